//! `/api/v1/me` (the caller's own account, and `/api/v1/me/password` to change its password),
//! `/api/v1/admin/users` (accounts, roles and scopes; admin only) and `/api/v1/street/users` (a
//! street office's own inspectors and handlers). Password hashes and device secrets are never part of any answer.

pub mod admin;
pub mod fields;
pub mod me;
pub mod password;
pub mod street;
