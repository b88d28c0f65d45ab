//! The base-data desk: checking an uploaded world file or a set of grid edits against the
//! published world, and publishing the result as a new version.

use serde::{Deserialize, Serialize};

/// One edit of the grid or the resources (网格划分调整). `op` names it in JSON:
/// `{"op":"merge_cells","keep":"…","absorb":"…"}`. `world::edit` makes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Edit {
    /// `absorb` becomes part of `keep` (same village, sharing an edge): one cell with `keep`'s
    /// code and name, both populations and households, and `absorb`'s grid workers.
    MergeCells {
        /// The cell that stays.
        keep: String,
        /// The cell that goes.
        absorb: String,
    },
    /// `code` is cut along `line` (its ends are extended straight until they leave the cell)
    /// into two cells: the part left of the line keeps the code, the other gets the village's
    /// next free code. Population and households are shared by area.
    SplitCell {
        /// The cell.
        code: String,
        /// The cut, WGS84 `[lon, lat]` vertices (at least two).
        line: Vec<[f64; 2]>,
    },
    /// A cell's name or population.
    EditCell {
        /// The cell.
        code: String,
        /// New name.
        #[serde(default)]
        name: Option<String>,
        /// New resident population.
        #[serde(default)]
        population: Option<u64>,
    },
    /// A new point resource; its region is the village (for a station, the township) holding
    /// the point, and its id the next free one.
    AddResource {
        /// `station`, `checkpoint`, `key_place`, `camera` or `alarm`.
        kind: String,
        /// Name.
        name: String,
        /// Longitude, WGS84.
        lon: f64,
        /// Latitude, WGS84.
        lat: f64,
        /// Sub-type (`school`, `hospital`, …).
        #[serde(default)]
        subtype: Option<String>,
        /// A camera's heading, degrees clockwise from north.
        #[serde(default)]
        heading_deg: Option<f64>,
        /// A camera's field of view, degrees.
        #[serde(default)]
        fov_deg: Option<f64>,
        /// A camera's range, metres.
        #[serde(default)]
        range_m: Option<f64>,
    },
    /// Moves or changes a point resource: only the fields given change; a move re-derives its
    /// region from the new point.
    UpdateResource {
        /// The resource.
        id: u64,
        /// New name.
        #[serde(default)]
        name: Option<String>,
        /// New longitude (with `lat`).
        #[serde(default)]
        lon: Option<f64>,
        /// New latitude (with `lon`).
        #[serde(default)]
        lat: Option<f64>,
        /// A camera's new heading.
        #[serde(default)]
        heading_deg: Option<f64>,
        /// A camera's new field of view.
        #[serde(default)]
        fov_deg: Option<f64>,
        /// A camera's new range.
        #[serde(default)]
        range_m: Option<f64>,
    },
    /// Removes a point resource.
    RemoveResource {
        /// The resource.
        id: u64,
    },
}

/// The body of `POST /api/world/edits/check` and `POST /api/world/edits`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldEdits {
    /// The version the edits were made on (`WorldCheck::base_version`); a publication after it
    /// makes them stale (409).
    pub base_version: u32,
    /// The edits, made in order (at most 100).
    pub edits: Vec<Edit>,
    /// What the change is, in words (kept with the version).
    #[serde(default)]
    pub note: Option<String>,
}

/// One problem validation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldProblem {
    /// `error` (stops a publication) or `warning`.
    pub severity: String,
    /// What is wrong (`overlapping_cells`, `gap_in_village`, …).
    pub kind: String,
    /// The kind in Chinese.
    pub label_zh: String,
    /// The kind in English.
    pub label_en: String,
    /// The layer of the feature.
    pub layer: String,
    /// The feature's code (or id).
    pub code: String,
    /// Where, WGS84.
    pub lon: Option<f64>,
    /// Where, WGS84.
    pub lat: Option<f64>,
    /// The area at fault, m².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_m2: Option<f64>,
    /// The other feature involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    /// What exactly, in English.
    pub detail: String,
    /// Whether the problem is on a feature the change adds or alters (the others were there
    /// before it).
    pub on_change: bool,
}

/// What a publication would change in one layer: codes (ids) added, changed, removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerChange {
    /// The layer.
    pub layer: String,
    /// Added.
    pub added: Vec<String>,
    /// Changed.
    pub changed: Vec<String>,
    /// Removed.
    pub removed: Vec<String>,
}

/// A feature of a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureRef {
    /// The layer.
    pub layer: String,
    /// Its code (or id).
    pub code: String,
}

/// The answer of a check (an upload or edits, not published): the report, the difference from
/// the published world, and whether the caller may publish it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldCheck {
    /// The published version the check compared with; publish with it.
    pub base_version: u32,
    /// The layers the file had (an upload of one layer keeps the others as published).
    pub layers: Vec<String>,
    /// How each layer's coordinates were read.
    pub notes: Vec<String>,
    /// Whether validation found no error.
    pub valid: bool,
    /// Errors found.
    pub errors: usize,
    /// Warnings found.
    pub warnings: usize,
    /// Every problem: errors first, then the warnings on what changes, then the others.
    pub problems: Vec<WorldProblem>,
    /// The difference from the published world, per layer.
    pub changes: Vec<LayerChange>,
    /// The first change outside the caller's jurisdiction, which they may not publish.
    pub outside_jurisdiction: Option<FeatureRef>,
    /// The geometry of the errors and of the warnings on what changes (GeoJSON
    /// FeatureCollection, WGS84; properties `layer`, `code`, `severity`), for the map.
    pub highlights: serde_json::Value,
}

/// The answer of a publication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldPublished {
    /// The new version.
    pub version: u32,
    /// When, RFC 3339 UTC.
    pub published_at: String,
    /// What it changed.
    pub changes: Vec<LayerChange>,
    /// Incidents placed in another cell by the new grid.
    pub moved_incidents: usize,
    /// Warnings the world still has.
    pub warnings: usize,
}

/// One published version of the world (`GET /api/world/versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldVersion {
    /// 1, 2, … in publication order.
    pub version: u32,
    /// When, RFC 3339 UTC.
    pub published_at: String,
    /// Who.
    pub by: String,
    /// What it is, in words.
    pub note: String,
    /// What changed, as JSON (added, changed, removed per layer).
    pub changes: String,
}
