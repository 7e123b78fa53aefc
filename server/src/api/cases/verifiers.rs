//! `GET /api/v1/cases/{id}/verifiers`: the inspectors the street office (or the city) may give
//! a handled case's verification to with the `assign_verifier` step: the enabled inspectors
//! working in the case's street ([`crate::cases::verifiers`], the rule the step checks). For
//! the street office's form, so it offers exactly the accounts the step accepts.

use actix_web::{HttpResponse, web};
use gridline_core::workflow::Role;
use serde::Serialize;

use super::load_case;
use crate::app::AppState;
use crate::auth::Principal;
use crate::auth::users::User;
use crate::cases::facts::in_scope;
use crate::error::{ApiError, ApiResult, ErrorKind};

/// The accounts a case's verification may be given to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifierCandidates {
    pub case_id: String,
    /// Enabled inspectors holding at least one cell of the case's street.
    pub inspectors: Vec<User>,
}

pub async fn list(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require_role(&[Role::Admin, Role::DistrictAdmin, Role::Dispatcher])?;
    let (case, ()) = load_case(&state, &id, |_, _| Ok(())).await?;
    if !in_scope(&who, &case) {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            "out_of_scope",
            "this case is outside the area your account covers",
        ));
    }
    let row = case.row.clone();
    let inspectors = state.db.run(move |conn| Ok(crate::cases::verifiers::candidates(conn, &row))).await??;
    Ok(HttpResponse::Ok().json(VerifierCandidates { case_id: case.row.id.to_string(), inspectors }))
}
