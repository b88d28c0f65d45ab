//! SafeGrid server: the axum HTTP API, the `safegrid` CLI, storage adapters and the in-memory
//! indexes. The pure core lives in the `model`, `analytics` and `demo` crates; the system of
//! record behind its seam in `store`.

pub mod api;
pub mod auth;
pub mod base_data;
pub mod boot;
pub mod briefing;
pub mod campaigns;
pub mod cell_hotspots;
pub mod citizen;
pub mod cli;
pub mod clock;
pub mod config;
pub mod count_pyramid;
pub mod csv_export;
pub mod desk;
pub mod desk_records;
pub mod docx;
pub mod field;
pub mod follow;
pub mod font_subset;
pub mod forecast_trials;
pub mod geography;
pub mod group;
pub mod incident_index;
pub mod ingest;
pub mod intake;
pub mod jobs;
pub mod keyed_lock;
pub mod live;
pub mod patrol;
pub mod peer;
pub mod petitions;
pub mod point_hotspots;
pub mod prevention;
pub mod query;
pub mod reads;
pub mod roads;
pub mod scorecard;
pub mod screenings;
pub mod spatial_order;
pub mod state;
pub mod throttle;
pub mod tiles;
pub mod web;
pub mod work_orders;
