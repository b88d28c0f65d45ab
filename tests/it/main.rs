//! SafeGrid integration tests (one binary): the HTTP API through the router, the embedded
//! store, and the CLI commands.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod api_errors;
mod api_incidents;
mod api_regions;
mod auth;
mod browser;
mod cli;
mod desk;
mod desk_records;
mod field;
mod fuzz_seeds;
mod hostile;
mod layout;
mod leaders;
mod live;
mod ogc;
mod patrol;
mod petitions;
mod postgis;
mod security;
mod store;
mod tiles;
mod trials;
mod work_orders;
mod world_desk;
mod world_file;
