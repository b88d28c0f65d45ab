//! The world file on disk: a GeoPackage with the eight layers of [`world::Layer`], a folder of
//! GeoJSON files named after the layers (`cells.geojson`, …), one layer's GeoJSON file, or a zip
//! of Shapefiles named after their layers (`cells.shp` …, or one Shapefile in `cells.zip`).
//!
//! Field names are matched without regard to case, and each has Chinese aliases (`编码`, `名称`,
//! …; see [`fields`]). Coordinates are converted to WGS84 as they are read: the file's own CRS
//! (EPSG:4326, EPSG:4490, or a CGCS2000 Gauss–Krüger zone) or, where the file does not say,
//! the one given (`--crs gcj02|bd09|cgcs2000|wgs84`). What is written is always WGS84.

mod fields;
mod geojson;
mod gpkg;
mod shapefile;
mod transform;

pub use fields::{Field, fields};
pub use transform::{SourceCrs, Transform};

use std::path::{Path, PathBuf};
use world::{Layer, WorldFile};

/// Why a world file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WorldFileError {
    /// The file or folder could not be opened or read.
    #[error("{path}: {message}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A SQLite statement failed.
    #[error("{path}: {op}: {source}")]
    Sql {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A row lacks a field, or holds a value of the wrong kind.
    #[error("{layer} row {row}: {field}: {message}")]
    Field {
        /// The layer.
        layer: &'static str,
        /// The row (GeoPackage fid, or the feature's position from 1).
        row: u64,
        /// The field (its canonical name).
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The coordinates' system is missing, unsupported or contradicted.
    #[error("{layer}: {message}")]
    Crs {
        /// The layer.
        layer: &'static str,
        /// What is wrong, and what to do.
        message: String,
    },
    /// The file holds none of the eight layers.
    #[error("{path}: no world layer found (expected {expected})")]
    Empty {
        /// The file.
        path: PathBuf,
        /// The layer names.
        expected: String,
    },
    /// The output already exists.
    #[error("{0} exists: choose a new file")]
    Exists(PathBuf),
}

/// What reading a world file found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorldRead {
    /// The records, in WGS84.
    pub world: WorldFile,
    /// The layers the file had (the others are empty in `world`).
    pub layers: Vec<Layer>,
    /// How each layer's coordinates were read, for the user (`cells: EPSG:4490 (from the file)`).
    pub notes: Vec<String>,
}

/// Reads a world file: a `.gpkg`, a folder of `<layer>.geojson`, or one `<layer>.geojson`.
/// `crs` names the system of coordinates where the file does not say (and overrides what it says,
/// with a note).
pub fn read_world(path: &Path, crs: Option<analytics::crs::Crs>) -> Result<WorldRead, WorldFileError> {
    let open = |message: String| WorldFileError::Open { path: path.to_path_buf(), message };
    let meta = std::fs::metadata(path).map_err(|e| open(e.to_string()))?;
    let read = if meta.is_dir() {
        geojson::read_folder(path, crs)?
    } else {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("gpkg") => gpkg::read(path, crs)?,
            Some("geojson" | "json") => geojson::read_one(path, crs)?,
            Some("zip") => shapefile::read_zip(path, crs)?,
            _ => {
                return Err(open(
                    "a world file is a .gpkg, a folder of .geojson files, one .geojson layer, or zipped Shapefiles"
                        .into(),
                ));
            }
        }
    };
    if read.layers.is_empty() {
        return Err(WorldFileError::Empty {
            path: path.to_path_buf(),
            expected: Layer::ALL.map(Layer::as_str).join(", "),
        });
    }
    Ok(read)
}

/// Writes `world` as a new GeoPackage at `path` (WGS84). Refuses an existing file.
pub fn write_gpkg(path: &Path, world: &WorldFile) -> Result<(), WorldFileError> {
    if path.exists() {
        return Err(WorldFileError::Exists(path.to_path_buf()));
    }
    gpkg::write(path, world)
}

/// `base` with the layers of `read` put in place of its own (a one-layer upload keeps the rest).
pub fn merged(base: &WorldFile, read: &WorldRead) -> WorldFile {
    let mut out = base.clone();
    for layer in &read.layers {
        let w = &read.world;
        match layer {
            Layer::Regions => out.regions = w.regions.clone(),
            Layer::Cells => out.cells = w.cells.clone(),
            Layer::Resources => out.resources = w.resources.clone(),
            Layer::Officers => out.officers = w.officers.clone(),
            Layer::GridWorkers => out.grid_workers = w.grid_workers.clone(),
            Layer::Units => out.units = w.units.clone(),
            Layer::Departments => out.departments = w.departments.clone(),
            Layer::Mediators => out.mediators = w.mediators.clone(),
        }
    }
    out
}
