//! The claims of early warning's scheduled scan (`warning_scan_claims`): which node runs the
//! scan of one category class on one city day. The primary key (day, class) makes the insert
//! the claim, so on any number of nodes one insert wins; the claim holds a lease, and a claim
//! whose lease has passed without a finish (its node died or hung) is taken over by an update
//! that only one node's statement can match. The job is `crate::jobs::warnings`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::warning_scan_claims;
use super::{DbConnection, StoreResult, is_unique_violation};

/// What a claim attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This node now holds the run: first claim, or taken over from an expired lease.
    Won { taken_over: bool },
    /// Another node holds a live lease, or the day's run of the class is finished.
    Held,
}

/// One claim row, as tests and the logs read it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = warning_scan_claims)]
pub struct ClaimRow {
    pub city_day: String,
    pub class: String,
    pub node: String,
    pub claimed_at: NaiveDateTime,
    pub lease_until: NaiveDateTime,
    pub attempts: i32,
    pub finished_at: Option<NaiveDateTime>,
    pub raised: Option<i32>,
    pub grown: Option<i32>,
}

#[derive(Insertable)]
#[diesel(table_name = warning_scan_claims)]
struct NewClaim<'a> {
    city_day: &'a str,
    class: &'a str,
    node: &'a str,
    claimed_at: NaiveDateTime,
    lease_until: NaiveDateTime,
    attempts: i32,
}

/// Claims the run of `class` on `city_day` for `node` until `lease_until`. Each statement is
/// its own transaction: the insert either creates the row or fails on the key, and the
/// take-over's conditions are re-checked by the database on the row it updates.
pub fn claim(
    conn: &mut DbConnection,
    city_day: &str,
    class: &str,
    node: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> StoreResult<Claim> {
    let fresh = NewClaim { city_day, class, node, claimed_at: now, lease_until, attempts: 1 };
    match diesel::insert_into(warning_scan_claims::table).values(&fresh).execute(conn) {
        Ok(_) => return Ok(Claim::Won { taken_over: false }),
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let taken = diesel::update(
        warning_scan_claims::table
            .filter(warning_scan_claims::city_day.eq(city_day))
            .filter(warning_scan_claims::class.eq(class))
            .filter(warning_scan_claims::finished_at.is_null())
            .filter(warning_scan_claims::lease_until.lt(now)),
    )
    .set((
        warning_scan_claims::node.eq(node),
        warning_scan_claims::claimed_at.eq(now),
        warning_scan_claims::lease_until.eq(lease_until),
        warning_scan_claims::attempts.eq(warning_scan_claims::attempts + 1),
    ))
    .execute(conn)?;
    Ok(if taken == 1 { Claim::Won { taken_over: true } } else { Claim::Held })
}

/// Marks the run finished with what it did, if `node` still holds the claim. `Ok(false)`: the
/// lease passed and another node took the run over (its finish is the one recorded).
pub fn finish(
    conn: &mut DbConnection,
    city_day: &str,
    class: &str,
    node: &str,
    now: NaiveDateTime,
    raised: i32,
    grown: i32,
) -> StoreResult<bool> {
    let updated = diesel::update(
        warning_scan_claims::table
            .filter(warning_scan_claims::city_day.eq(city_day))
            .filter(warning_scan_claims::class.eq(class))
            .filter(warning_scan_claims::node.eq(node))
            .filter(warning_scan_claims::finished_at.is_null()),
    )
    .set((
        warning_scan_claims::finished_at.eq(Some(now)),
        warning_scan_claims::raised.eq(Some(raised)),
        warning_scan_claims::grown.eq(Some(grown)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Gives a failed run back at once (its lease ends now), so the next check of any node retries
/// it instead of waiting out the lease.
pub fn release(
    conn: &mut DbConnection,
    city_day: &str,
    class: &str,
    node: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(
        warning_scan_claims::table
            .filter(warning_scan_claims::city_day.eq(city_day))
            .filter(warning_scan_claims::class.eq(class))
            .filter(warning_scan_claims::node.eq(node))
            .filter(warning_scan_claims::finished_at.is_null()),
    )
    .set(warning_scan_claims::lease_until.eq(now - chrono::Duration::seconds(1)))
    .execute(conn)?;
    Ok(())
}

/// The claims of one city day, by class.
pub fn of_day(conn: &mut DbConnection, city_day: &str) -> StoreResult<Vec<ClaimRow>> {
    Ok(warning_scan_claims::table
        .filter(warning_scan_claims::city_day.eq(city_day))
        .order(warning_scan_claims::class)
        .select(ClaimRow::as_select())
        .load(conn)?)
}

/// The latest city day claimed for each class, finished or not: where a node that was down
/// resumes the daily runs.
pub fn latest_days(conn: &mut DbConnection) -> StoreResult<Vec<(String, String)>> {
    use diesel::dsl::max;
    let rows: Vec<(String, Option<String>)> = warning_scan_claims::table
        .group_by(warning_scan_claims::class)
        .select((warning_scan_claims::class, max(warning_scan_claims::city_day)))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(class, day)| Some((class, day?))).collect())
}
