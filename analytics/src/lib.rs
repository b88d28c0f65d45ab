//! SafeGrid's pure spatial algorithms over `geo` types: projections to metres, conversion of
//! Chinese coordinate systems, polygon partitions and point-in-polygon location.
//!
//! Invariants: no IO, no clock reads, no global state; deterministic; builds for wasm32.
//! Longitude/latitude are WGS84 degrees unless a function's name says otherwise.

pub mod balance;
pub mod campaign;
pub mod clip;
pub mod coverage;
pub mod crs;
pub mod emerging;
pub mod forecast;
pub mod gi_star;
pub mod hex_grid;
pub mod kde;
pub mod knox;
pub mod mann_kendall;
pub mod moran;
pub mod normal;
pub mod optimized;
pub mod partition;
pub mod patrol;
pub mod pbf;
pub mod polygon_index;
pub mod projection;
pub mod roads;
pub mod square_grid;
pub mod weights;

pub use polygon_index::PolygonIndex;
pub use projection::TransverseMercator;
