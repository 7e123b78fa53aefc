//! Crash safety (placeholder until the SIGKILL trial is written).

#![allow(clippy::unwrap_used, clippy::expect_used)]
