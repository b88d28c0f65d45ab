//! Prevention resources of the three-dimensional (立体化) system: human (人防), physical (物防)
//! and technical (技防), and the village officers of 一村一警.

use crate::code::RegionCode;
use serde::{Deserialize, Serialize};

/// Which leg of the three-dimensional prevention system a resource belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreventionKind {
    /// 人防: officers, patrol units, grid workers.
    Human,
    /// 物防: checkpoints (barriers, guard posts, locks). Key places are places to protect, not
    /// 物防.
    Physical,
    /// 技防: cameras, alarms.
    Technical,
}

impl PreventionKind {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Physical => "physical",
            Self::Technical => "technical",
        }
    }

    /// Chinese UI label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Human => "人防",
            Self::Physical => "物防",
            Self::Technical => "技防",
        }
    }

    /// English UI label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Human => "human prevention",
            Self::Physical => "physical prevention",
            Self::Technical => "technical prevention",
        }
    }
}

/// What a prevention resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// 派出所 (police station).
    Station,
    /// 巡逻组 (patrol unit).
    PatrolUnit,
    /// 网格员 (grid worker).
    GridWorker,
    /// 卡口/检查站 (checkpoint).
    Checkpoint,
    /// 重点场所 (key place: school, hospital, market).
    KeyPlace,
    /// 视频监控 (camera, Sharp Eyes network).
    Camera,
    /// 报警装置 (alarm).
    Alarm,
}

impl ResourceKind {
    /// Every kind.
    pub const ALL: [ResourceKind; 7] = [
        Self::Station,
        Self::PatrolUnit,
        Self::GridWorker,
        Self::Checkpoint,
        Self::KeyPlace,
        Self::Camera,
        Self::Alarm,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Station => "station",
            Self::PatrolUnit => "patrol_unit",
            Self::GridWorker => "grid_worker",
            Self::Checkpoint => "checkpoint",
            Self::KeyPlace => "key_place",
            Self::Camera => "camera",
            Self::Alarm => "alarm",
        }
    }

    /// Parses the API name.
    pub fn parse(s: &str) -> Option<ResourceKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Its leg of the prevention system; a key place (school, market, hospital) is a place to
    /// protect, in none.
    pub fn prevention(self) -> Option<PreventionKind> {
        match self {
            Self::Station | Self::PatrolUnit | Self::GridWorker => Some(PreventionKind::Human),
            Self::Checkpoint => Some(PreventionKind::Physical),
            Self::Camera | Self::Alarm => Some(PreventionKind::Technical),
            Self::KeyPlace => None,
        }
    }

    /// The stores' `prevention` column: the leg's API name, `protected` for a place to protect.
    pub fn prevention_name(self) -> &'static str {
        self.prevention().map_or("protected", PreventionKind::as_str)
    }

    /// Chinese UI label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Station => "派出所",
            Self::PatrolUnit => "巡逻组",
            Self::GridWorker => "网格员",
            Self::Checkpoint => "卡口/检查站",
            Self::KeyPlace => "重点场所",
            Self::Camera => "视频监控",
            Self::Alarm => "报警装置",
        }
    }

    /// English UI label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Station => "police station",
            Self::PatrolUnit => "patrol unit",
            Self::GridWorker => "grid worker",
            Self::Checkpoint => "checkpoint",
            Self::KeyPlace => "key place",
            Self::Camera => "camera",
            Self::Alarm => "alarm",
        }
    }
}

/// A camera's view sector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraView {
    /// Direction the camera faces, degrees clockwise from north.
    pub heading_deg: f64,
    /// Horizontal field of view, degrees.
    pub fov_deg: f64,
    /// Useful viewing distance, metres.
    pub range_m: f64,
}

/// A prevention resource at a point (WGS84).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Stable id within its kind's table.
    pub id: u64,
    /// What it is.
    pub kind: ResourceKind,
    /// Display name (Chinese).
    pub name: String,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// The region it serves: a township for stations and patrol units, a village otherwise.
    pub region_code: RegionCode,
    /// Sub-type of a key place (`school`, `hospital`, `market`) or checkpoint (`border`).
    pub subtype: Option<String>,
    /// View sector, cameras only.
    pub camera: Option<CameraView>,
}

/// A police officer (民警/辅警) assigned to villages under 一村一警.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Officer {
    /// Stable id.
    pub id: u64,
    /// Name (Chinese).
    pub name: String,
    /// Police number (警号).
    pub badge: String,
    /// The police station (a `Station` resource id) the officer works from.
    pub station_id: u64,
    /// Villages the officer currently covers.
    pub villages: Vec<RegionCode>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_leg_and_key_places_none() {
        let legs: Vec<(&str, &str)> = ResourceKind::ALL.iter().map(|k| (k.as_str(), k.prevention_name())).collect();
        assert_eq!(
            legs,
            [
                ("station", "human"),
                ("patrol_unit", "human"),
                ("grid_worker", "human"),
                ("checkpoint", "physical"),
                ("key_place", "protected"),
                ("camera", "technical"),
                ("alarm", "technical"),
            ]
        );
        assert_eq!(ResourceKind::KeyPlace.prevention(), None, "a place to protect, not 物防");
        for leg in [PreventionKind::Human, PreventionKind::Physical, PreventionKind::Technical] {
            assert_eq!(serde_json::to_value(leg).unwrap(), leg.as_str(), "the API name is the serde name");
        }
    }
}
