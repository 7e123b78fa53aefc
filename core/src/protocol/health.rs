//! The answers of the health routes (`/healthz`, `/readyz`), read by load balancers and the
//! deployment scripts.

use serde::{Deserialize, Serialize};

/// `GET /healthz`: the process answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Liveness {
    /// Always `ok`.
    pub status: String,
}

/// `GET /readyz`: the database answers too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// Always `ready` (a database that does not answer is a 503 problem).
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}
