//! The server's integration tests, linked into one test binary.
//!
//! Each module below drives a real `gridline` server (or the CLI) over HTTP on SQLite and on
//! PostgreSQL (started through `scripts/pg`). They share one binary rather than one per file
//! because every test binary links the whole server with all its dependencies: one link instead
//! of eleven keeps the test build's time and disk footprint in bounds.
//!
//! Shared fixtures live in [`common`] (servers, databases, demo cells, tokens) and
//! [`device_support`] (real device cores talking to a server).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;
mod device_support;

mod access;
mod access_admin_categories;
mod auth_http;
mod callbacks;
mod case_ids;
mod case_search;
mod case_service;
mod case_sheet;
mod channels;
mod cli_grid_import;
mod cli_user;
mod cli_warn;
mod dashboard;
mod device_citizen_journey;
mod device_exactly_once;
mod device_grid_package;
mod device_inspector_journey;
mod device_pull;
mod device_simulate;
mod duplicates;
mod emergency;
mod events;
mod faults;
mod field_lists;
mod hostile;
mod hostile_steps;
mod hotline;
mod intake;
mod intake_batch;
mod joint_handling;
mod notifications;
mod open311;
mod open_data;
mod openapi;
mod openapi_routes;
mod overdue;
mod partitions;
mod patrol_track;
mod phone_at_rest;
mod photo_store;
mod photos_idempotency;
mod schema_matches;
mod seed;
mod sensors;
mod serve;
mod shutdown;
mod stats;
mod stats_facts;
mod stats_rollups;
mod stopped_work;
mod street_desk;
mod street_triage;
mod summaries;
mod token_attacks;
mod topics;
mod transitions;
mod trusted_proxy;
mod urgency;
mod warnings;
mod warnings_schedule;
mod warnings_summaries;
mod web;
mod workflow;
