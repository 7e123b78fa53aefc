//! Who may be given a handled case's verification (指派核查, the `assign_verifier` step): an
//! enabled inspector account working in the case's street, that is holding at least one cell of
//! it. The step's check ([`check`]) and the list the street office chooses from ([`candidates`],
//! `GET /api/v1/cases/{id}/verifiers`) read this one rule, so the list never offers someone the
//! step would refuse.

use gridline_core::codes::AreaCode;
use gridline_core::workflow::Role;

use crate::auth::Scope;
use crate::auth::users::{self, User};
use crate::error::{ApiError, ErrorKind};
use crate::store::cases::CaseRow;
use crate::store::{DbConnection, StoreResult};

/// The street a case belongs to (for a case in no cell, the street nearest to it).
fn street_of(case: &CaseRow) -> Option<AreaCode> {
    case.street_code.as_deref().and_then(|s| AreaCode::parse(s).ok())
}

/// Whether `account` may be given the verification of `case`.
pub fn eligible(account: &User, case: &CaseRow) -> bool {
    let Some(street) = street_of(case) else { return false };
    account.role == Role::Inspector
        && !account.disabled
        && matches!(&account.scope, Scope::Grids { grids } if grids.iter().any(|g| street.contains(*g)))
}

/// The inspectors `case`'s verification may be given to, in the order the accounts list them.
pub fn candidates(conn: &mut DbConnection, case: &CaseRow) -> Result<Vec<User>, ApiError> {
    let inspectors = users::all_staff_of(conn, Role::Inspector)?;
    Ok(inspectors.into_iter().filter(|account| eligible(account, case)).collect())
}

/// Refuses an `assign_verifier` naming `id` unless that account is [`eligible`]. Read inside the
/// step's transaction, so an account disabled a moment ago is refused. The inner `Err` is the
/// answer.
pub(super) fn check(conn: &mut DbConnection, id: &str, case: &CaseRow) -> StoreResult<Result<(), ApiError>> {
    let account = match users::find_by_id(conn, id).and_then(|row| row.map(|r| r.to_user()).transpose()) {
        Ok(account) => account,
        Err(e) => return Ok(Err(e.into())),
    };
    if account.as_ref().is_some_and(|account| eligible(account, case)) {
        return Ok(Ok(()));
    }
    Ok(Err(ApiError::new(
        ErrorKind::Unprocessable,
        "unknown_inspector",
        format!(
            "{id:?} is not an enabled inspector working in the case's street; \
             GET /api/v1/cases/{{id}}/verifiers lists the inspectors it may go to"
        ),
    )
    .with_field("inspector")))
}
