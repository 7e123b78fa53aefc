//! `/api/v1/me` (the caller's own account, and `/api/v1/me/password` to change its password) and `/api/v1/admin/users` (accounts, roles and
//! scopes; admin only). Password hashes and device secrets are never part of any answer.

pub mod admin;
pub mod me;
pub mod password;
