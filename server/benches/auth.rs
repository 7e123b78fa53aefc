//! What identity costs per request: checking an access token (every authenticated request),
//! issuing one (every sign-in and refresh), and an argon2id password check (every staff
//! login, and every login attempt for an unknown name).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gridline_core::codes::GridCode;
use gridline_core::workflow::Role;
use gridline_server::auth::Scope;
use gridline_server::auth::jwt::AccessTokenKeys;
use gridline_server::auth::password::{hash_password, verify_password};

fn tokens(c: &mut Criterion) {
    let keys = AccessTokenKeys::from_secret(b"benchmark-secret-of-thirty-two-bytes!!").unwrap();
    let now = chrono::Utc::now().timestamp();
    let cells: Scope =
        Scope::Grids { grids: (1..=40).map(|n| GridCode::from_parts(110101, 1, 1, n).unwrap()).collect() };
    let token = keys.issue("0190f3a4-0000-7000-8000-000000000001", Role::Inspector, &cells, now).unwrap();
    c.bench_function("access token verify (inspector, 40 cells)", |b| {
        b.iter(|| keys.verify(black_box(&token)).unwrap())
    });
    c.bench_function("access token issue (inspector, 40 cells)", |b| {
        b.iter(|| {
            keys.issue(black_box("0190f3a4-0000-7000-8000-000000000001"), Role::Inspector, &cells, now)
                .unwrap()
        })
    });
}

fn passwords(c: &mut Criterion) {
    let hash = hash_password("correct horse battery staple").unwrap();
    let mut group = c.benchmark_group("argon2id m=19MiB t=2 p=1");
    group.sample_size(10);
    group.bench_function("verify", |b| {
        b.iter(|| verify_password(black_box("correct horse battery staple"), &hash))
    });
    group.finish();
}

criterion_group!(benches, tokens, passwords);
criterion_main!(benches);
