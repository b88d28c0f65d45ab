//! SafeGrid's plain data types: the governance hierarchy, incidents, prevention resources and
//! the JSON shapes of the HTTP API. No IO, no clock reads; builds for wasm32 so the frontend
//! shares these types with the server.
//!
//! Coordinates are always WGS84 longitude/latitude in degrees. Times are UTC; the UI shows them in
//! Asia/Shanghai ([`time::SHANGHAI_OFFSET_S`]).

pub mod api;
pub mod auth;
pub mod code;
pub mod desk;
pub mod desk_book;
pub mod incident;
pub mod live;
pub mod region;
pub mod resource;
pub mod scope;
pub mod time;
pub mod workflow;

pub use code::{CellCode, CodeError, RegionCode, RegionLevel};
pub use incident::{Category, Incident, IncidentId, NewIncident, Placement, Severity, Source, Status, Subcategory};
pub use region::{Cell, CellShape, Region, RegionShape};
pub use resource::{Officer, PreventionKind, Resource, ResourceKind};
