//! Rate limits on failures and requests, kept in the database (`auth_throttles`) so that every
//! server node sees the same counts.
//!
//! A bucket (e.g. one login name, one client IP) counts hits within a fixed window. Once the
//! count reaches the rule's `max_hits`, the bucket is locked for `base_lock` seconds, doubling
//! with every further hit (the hit that finds the bucket locked is refused and not counted),
//! up to `max_lock`. When the window and any lock have passed, the count starts again.
//! Increments are single `UPDATE ... SET hits = hits + 1` statements, so concurrent requests
//! on several nodes never lose a hit.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::Conn;
use super::error::{AuthError, AuthResult};
use crate::store::schema::auth_throttles;

/// How many hits a bucket may take, over which window, and how long it then locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Short name that prefixes the bucket key.
    pub name: &'static str,
    pub max_hits: i32,
    pub window_seconds: i64,
    pub base_lock_seconds: i64,
    pub max_lock_seconds: i64,
}

/// Failed password logins per login name (known or not, so locking reveals nothing): 5, then
/// 30 s, 60 s, 120 s, ... up to an hour.
pub const LOGIN_PER_NAME: ThrottleRule = ThrottleRule {
    name: "login-name",
    max_hits: 5,
    window_seconds: 3600,
    base_lock_seconds: 30,
    max_lock_seconds: 3600,
};

/// Failed password logins per client IP, across all names.
pub const LOGIN_PER_IP: ThrottleRule = ThrottleRule {
    name: "login-ip",
    max_hits: 20,
    window_seconds: 3600,
    base_lock_seconds: 60,
    max_lock_seconds: 3600,
};

/// One-time code requests per phone number: 3 per 15 minutes.
pub const OTP_REQUEST_PER_PHONE: ThrottleRule = ThrottleRule {
    name: "otp-request-phone",
    max_hits: 3,
    window_seconds: 900,
    base_lock_seconds: 900,
    max_lock_seconds: 24 * 3600,
};

/// One-time code requests per client IP: 10 per hour.
pub const OTP_REQUEST_PER_IP: ThrottleRule = ThrottleRule {
    name: "otp-request-ip",
    max_hits: 10,
    window_seconds: 3600,
    base_lock_seconds: 3600,
    max_lock_seconds: 24 * 3600,
};

/// Wrong one-time codes per client IP, across numbers (each code also allows only 5 tries).
pub const OTP_VERIFY_PER_IP: ThrottleRule = ThrottleRule {
    name: "otp-verify-ip",
    max_hits: 20,
    window_seconds: 3600,
    base_lock_seconds: 300,
    max_lock_seconds: 24 * 3600,
};

/// Anonymous device accounts created per client IP: 20 per hour.
pub const ANONYMOUS_PER_IP: ThrottleRule = ThrottleRule {
    name: "anonymous-ip",
    max_hits: 20,
    window_seconds: 3600,
    base_lock_seconds: 3600,
    max_lock_seconds: 24 * 3600,
};

/// The subject a per-IP limit counts a client address under. An IPv6 host is usually given a
/// whole /64 and picks any address in it, so an IPv6 address counts as its /64
/// (`2001:db8:1:2::/64`); an IPv4 address, also when it arrives mapped into IPv6, as itself.
pub fn limit_subject(ip: std::net::IpAddr) -> String {
    use std::net::IpAddr;
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1));
                format!("{network}/64")
            }
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

impl ThrottleRule {
    /// The bucket key for `subject`. Subjects are hashed so that typed login names (sometimes
    /// a password typed in the wrong field) and phone numbers are not stored in clear.
    pub fn bucket(&self, subject: &str) -> String {
        let digest = Sha256::digest(subject.as_bytes());
        format!("{}:{}", self.name, hex::encode(&digest[..16]))
    }

    /// Lock length after the `hits`-th hit (`hits >= max_hits`).
    fn lock_seconds(&self, hits: i32) -> i64 {
        let doublings = (hits - self.max_hits).clamp(0, 30) as u32;
        self.base_lock_seconds.saturating_mul(1i64 << doublings).min(self.max_lock_seconds)
    }
}

/// Refuse with [`AuthError::RateLimited`] while the bucket of `subject` is locked.
pub fn check(conn: &mut Conn, rule: &ThrottleRule, subject: &str, now: i64) -> AuthResult<()> {
    let locked_until: Option<i64> = auth_throttles::table
        .find(rule.bucket(subject))
        .select(auth_throttles::locked_until)
        .first(conn)
        .optional()?;
    match locked_until {
        Some(until) if until > now => Err(AuthError::RateLimited { retry_after: until - now }),
        _ => Ok(()),
    }
}

/// A window that has passed with no lock in force starts over.
fn restart_passed_window(conn: &mut Conn, rule: &ThrottleRule, bucket: &str, now: i64) -> AuthResult<()> {
    diesel::update(
        auth_throttles::table
            .find(bucket)
            .filter(auth_throttles::window_started_at.le(now - rule.window_seconds))
            .filter(auth_throttles::locked_until.le(now)),
    )
    .set((auth_throttles::hits.eq(0), auth_throttles::window_started_at.eq(now)))
    .execute(conn)?;
    Ok(())
}

/// Creates the bucket holding its first hit: `false` when another node created it between the
/// caller's update and this insert (the caller then counts its hit on that bucket).
fn create_with_first_hit(conn: &mut Conn, bucket: &str, now: i64) -> AuthResult<bool> {
    let created = diesel::insert_into(auth_throttles::table)
        .values((
            auth_throttles::bucket.eq(bucket),
            auth_throttles::hits.eq(1),
            auth_throttles::window_started_at.eq(now),
            auth_throttles::locked_until.eq(0i64),
        ))
        .execute(conn);
    match created {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Takes one of the window's `max_hits` for `subject` before the work it limits, in one
/// conditional `UPDATE`: `Ok` when a hit was free (it is now counted), `RateLimited` until the
/// window ends when they are all taken. Unlike [`check`] then [`record`], requests arriving at
/// once on any number of nodes can never take more than `max_hits` between them. Give the hit
/// back with [`release`] when the work turns out not to count.
pub fn reserve(conn: &mut Conn, rule: &ThrottleRule, subject: &str, now: i64) -> AuthResult<()> {
    let bucket = rule.bucket(subject);
    let this = auth_throttles::table.find(&bucket);
    restart_passed_window(conn, rule, &bucket, now)?;
    // A few rounds at most: each one that takes no hit has seen the bucket change under it
    // (created by a request arriving at the same moment, or a hit given back).
    for _ in 0..4 {
        let taken = diesel::update(
            this.filter(auth_throttles::hits.lt(rule.max_hits)).filter(auth_throttles::locked_until.le(now)),
        )
        .set(auth_throttles::hits.eq(auth_throttles::hits + 1))
        .execute(conn)?;
        if taken == 1 {
            return Ok(());
        }
        let found: Option<BucketState> = this
            .select((auth_throttles::hits, auth_throttles::window_started_at, auth_throttles::locked_until))
            .first(conn)
            .optional()?;
        match after_missed_update(rule, found, now) {
            Missed::Refuse { retry_after } => return Err(AuthError::RateLimited { retry_after }),
            Missed::TryAgain => {}
            Missed::Create => {
                if create_with_first_hit(conn, &bucket, now)? {
                    return Ok(());
                }
            }
        }
    }
    Err(AuthError::Internal(format!("throttle bucket {} could not be taken", rule.name)))
}

/// A bucket's hits, window start and lock end, as read back by [`reserve`].
type BucketState = (i32, i64, i64);

/// What [`reserve`] does when its conditional update took no hit.
#[derive(Debug, PartialEq, Eq)]
enum Missed {
    /// Every hit of the window is taken, or the bucket is locked.
    Refuse { retry_after: i64 },
    /// The bucket has a free hit now: it did not exist when the update ran (another request
    /// created it since, which PostgreSQL's read-committed update does not see) or a hit
    /// was given back since.
    TryAgain,
    /// There is no bucket yet.
    Create,
}

fn after_missed_update(rule: &ThrottleRule, found: Option<BucketState>, now: i64) -> Missed {
    match found {
        Some((hits, started, locked_until)) if hits >= rule.max_hits || locked_until > now => {
            let until = locked_until.max(started + rule.window_seconds);
            Missed::Refuse { retry_after: (until - now).max(1) }
        }
        Some(_) => Missed::TryAgain,
        None => Missed::Create,
    }
}

/// Gives back a hit taken by [`reserve`] for work that did not count.
pub fn release(conn: &mut Conn, rule: &ThrottleRule, subject: &str) -> AuthResult<()> {
    diesel::update(auth_throttles::table.find(rule.bucket(subject)).filter(auth_throttles::hits.gt(0)))
        .set(auth_throttles::hits.eq(auth_throttles::hits - 1))
        .execute(conn)?;
    Ok(())
}

/// Takes one try for `subject` before the work it limits (a password check), locking the
/// bucket in the same statement when this try is the rule's `max_hits`-th: `Ok` when the try
/// may go ahead (it is counted), `RateLimited` while the bucket is locked. Unlike [`check`]
/// then [`record`], tries arriving at once on any number of nodes cannot pass the lock: each
/// try either takes a count below the limit, or sets the count and the lock together with a
/// compare-and-set on the count it read, which exactly one of the racing tries wins. After a
/// lock has passed, one more try is let through, and its failure locks for twice as long.
/// Forget the count with [`clear`] when the try succeeds.
pub fn take_try(conn: &mut Conn, rule: &ThrottleRule, subject: &str, now: i64) -> AuthResult<()> {
    let bucket = rule.bucket(subject);
    let this = auth_throttles::table.find(&bucket);
    restart_passed_window(conn, rule, &bucket, now)?;
    // A few rounds at most: each one that takes no try has seen the bucket change under it.
    for _ in 0..8 {
        let below_limit = diesel::update(
            this.filter(auth_throttles::hits.lt(rule.max_hits - 1))
                .filter(auth_throttles::locked_until.le(now)),
        )
        .set(auth_throttles::hits.eq(auth_throttles::hits + 1))
        .execute(conn)?;
        if below_limit == 1 {
            return Ok(());
        }
        let found: Option<(i32, i64)> =
            this.select((auth_throttles::hits, auth_throttles::locked_until)).first(conn).optional()?;
        match found {
            // The rules this is used with allow several tries, so a first one never locks.
            None => {
                if create_with_first_hit(conn, &bucket, now)? {
                    return Ok(());
                }
            }
            Some((_, locked_until)) if locked_until > now => {
                return Err(AuthError::RateLimited { retry_after: locked_until - now });
            }
            // Below the limit after all: the bucket was created, or restarted, between the update
            // above and this read. Another round takes the try below the limit; locking here
            // would lock the bucket after a try or two.
            Some((hits, _)) if hits < rule.max_hits - 1 => {}
            Some((hits, locked_until)) => {
                let until = now + rule.lock_seconds(hits + 1);
                let won = diesel::update(
                    this.filter(auth_throttles::hits.eq(hits))
                        .filter(auth_throttles::locked_until.eq(locked_until)),
                )
                .set((auth_throttles::hits.eq(hits + 1), auth_throttles::locked_until.eq(until)))
                .execute(conn)?;
                if won == 1 {
                    return Ok(());
                }
            }
        }
    }
    Err(AuthError::Internal(format!("throttle bucket {} could not be taken", rule.name)))
}

/// Count one hit for `subject`, locking the bucket when the rule's limit is reached.
pub fn record(conn: &mut Conn, rule: &ThrottleRule, subject: &str, now: i64) -> AuthResult<()> {
    let bucket = rule.bucket(subject);
    let this = auth_throttles::table.find(&bucket);
    restart_passed_window(conn, rule, &bucket, now)?;
    let mut updated =
        diesel::update(this).set(auth_throttles::hits.eq(auth_throttles::hits + 1)).execute(conn)?;
    if updated == 0 {
        updated = if create_with_first_hit(conn, &bucket, now)? {
            1
        } else {
            diesel::update(this).set(auth_throttles::hits.eq(auth_throttles::hits + 1)).execute(conn)?
        };
    }
    if updated == 0 {
        return Err(AuthError::Internal(format!("throttle bucket {} could not be counted", rule.name)));
    }
    let hits: i32 = this.select(auth_throttles::hits).first(conn)?;
    if hits >= rule.max_hits {
        let until = now + rule.lock_seconds(hits);
        diesel::update(this.filter(auth_throttles::locked_until.lt(until)))
            .set(auth_throttles::locked_until.eq(until))
            .execute(conn)?;
    }
    Ok(())
}

/// Forget the count of `subject` (after a successful login).
pub fn clear(conn: &mut Conn, rule: &ThrottleRule, subject: &str) -> AuthResult<()> {
    diesel::delete(auth_throttles::table.find(rule.bucket(subject))).execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_db;

    const RULE: ThrottleRule = ThrottleRule {
        name: "test",
        max_hits: 3,
        window_seconds: 100,
        base_lock_seconds: 10,
        max_lock_seconds: 35,
    };

    #[test]
    fn a_bucket_created_by_another_request_is_tried_again_not_refused() {
        // The update ran before a concurrent request created the bucket, the read after it:
        // that bucket still has free hits, so this request must not be refused.
        assert_eq!(after_missed_update(&RULE, Some((1, 1_000, 0)), 1_000), Missed::TryAgain);
        assert_eq!(after_missed_update(&RULE, None, 1_000), Missed::Create);
        assert_eq!(
            after_missed_update(&RULE, Some((3, 1_000, 0)), 1_030),
            Missed::Refuse { retry_after: 70 }
        );
        assert_eq!(
            after_missed_update(&RULE, Some((0, 1_000, 1_050)), 1_030),
            Missed::Refuse { retry_after: 70 }
        );
    }

    fn retry_after(result: AuthResult<()>) -> Option<i64> {
        match result {
            Ok(()) => None,
            Err(AuthError::RateLimited { retry_after }) => Some(retry_after),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn locks_after_max_hits_and_doubles_up_to_the_cap() {
        let mut conn = test_db::sqlite();
        let t = 1_000;
        for _ in 0..2 {
            record(&mut conn, &RULE, "a", t).unwrap();
            assert_eq!(retry_after(check(&mut conn, &RULE, "a", t)), None);
        }
        record(&mut conn, &RULE, "a", t).unwrap();
        assert_eq!(retry_after(check(&mut conn, &RULE, "a", t)), Some(10));
        assert_eq!(retry_after(check(&mut conn, &RULE, "a", t + 9)), Some(1));
        assert_eq!(retry_after(check(&mut conn, &RULE, "a", t + 10)), None);
        record(&mut conn, &RULE, "a", t + 10).unwrap();
        assert_eq!(retry_after(check(&mut conn, &RULE, "a", t + 10)), Some(20));
        record(&mut conn, &RULE, "a", t + 30).unwrap();
        assert_eq!(retry_after(check(&mut conn, &RULE, "a", t + 30)), Some(35), "capped");
        // other subjects are untouched
        assert_eq!(retry_after(check(&mut conn, &RULE, "b", t + 30)), None);
    }

    #[test]
    fn the_count_starts_over_after_the_window() {
        let mut conn = test_db::sqlite();
        record(&mut conn, &RULE, "a", 0).unwrap();
        record(&mut conn, &RULE, "a", 1).unwrap();
        record(&mut conn, &RULE, "a", 100).unwrap();
        assert_eq!(
            retry_after(check(&mut conn, &RULE, "a", 100)),
            None,
            "the window passed before the third hit"
        );
    }

    #[test]
    fn reserve_takes_at_most_max_hits_per_window_and_release_gives_one_back() {
        let mut conn = test_db::sqlite();
        for t in [1_000, 1_010, 1_020] {
            assert_eq!(retry_after(reserve(&mut conn, &RULE, "a", t)), None);
        }
        assert_eq!(retry_after(reserve(&mut conn, &RULE, "a", 1_030)), Some(70), "until the window ends");
        assert_eq!(retry_after(reserve(&mut conn, &RULE, "b", 1_030)), None, "other subjects are untouched");
        release(&mut conn, &RULE, "a").unwrap();
        assert_eq!(retry_after(reserve(&mut conn, &RULE, "a", 1_040)), None, "the hit given back");
        assert_eq!(retry_after(reserve(&mut conn, &RULE, "a", 1_040)), Some(60));
        assert_eq!(retry_after(reserve(&mut conn, &RULE, "a", 1_100)), None, "a new window");
    }

    #[test]
    fn take_try_locks_with_the_limit_th_try_and_lets_one_through_after_the_lock() {
        let mut conn = test_db::sqlite();
        for _ in 0..3 {
            assert_eq!(retry_after(take_try(&mut conn, &RULE, "a", 1_000)), None);
        }
        assert_eq!(retry_after(take_try(&mut conn, &RULE, "a", 1_000)), Some(10), "the third try locked");
        assert_eq!(retry_after(take_try(&mut conn, &RULE, "a", 1_010)), None, "one try after the lock");
        assert_eq!(retry_after(take_try(&mut conn, &RULE, "a", 1_010)), Some(20), "twice as long");
        assert_eq!(retry_after(take_try(&mut conn, &RULE, "b", 1_010)), None, "other subjects are untouched");
        clear(&mut conn, &RULE, "a").unwrap();
        assert_eq!(retry_after(take_try(&mut conn, &RULE, "a", 1_010)), None);
    }

    #[test]
    fn ipv6_clients_count_by_their_slash_64() {
        let subject = |text: &str| limit_subject(text.parse().unwrap());
        assert_eq!(subject("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(subject("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_eq!(subject("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(subject("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(subject("192.0.2.7"), "192.0.2.7");
    }

    #[test]
    fn clear_forgets_the_count() {
        let mut conn = test_db::sqlite();
        record(&mut conn, &RULE, "a", 0).unwrap();
        record(&mut conn, &RULE, "a", 0).unwrap();
        clear(&mut conn, &RULE, "a").unwrap();
        record(&mut conn, &RULE, "a", 0).unwrap();
        assert_eq!(retry_after(check(&mut conn, &RULE, "a", 0)), None);
    }

    #[test]
    fn buckets_do_not_hold_the_subject_in_clear() {
        let bucket = LOGIN_PER_NAME.bucket("alice");
        assert!(bucket.starts_with("login-name:"));
        assert!(!bucket.contains("alice"));
        assert_ne!(bucket, LOGIN_PER_IP.bucket("alice"));
    }
}
