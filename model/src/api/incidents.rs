//! The answer about one incident (`GET /api/incidents/{id}`, and the stored Feature a write
//! answers): its facts without the position (that is the geometry) and the names of where it is.

use super::geo::{Feature, FeatureId};
use crate::incident::{Category, Incident, IncidentId, Placement, Severity, Source, Status, Subcategory};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An incident's properties as the API answers them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentDetail {
    /// Store-assigned id.
    pub id: IncidentId,
    /// Channel it arrived through.
    pub source: Source,
    /// The sender's own id.
    pub external_id: Option<String>,
    /// 110 category.
    pub category: Category,
    /// Finer classification.
    pub subcategory: Option<Subcategory>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// Street address as reported.
    pub address: Option<String>,
    /// Free-text summary (简要案情).
    pub summary: Option<String>,
    /// Reporter's name, masked for roles that do not handle personal data.
    pub reporter_name: Option<String>,
    /// Reporter's phone, masked likewise.
    pub reporter_phone: Option<String>,
    /// Severity grade.
    pub severity: Severity,
    /// Event-loop status.
    pub status: Status,
    /// Regions and cell it falls in.
    #[serde(flatten)]
    pub placement: Placement,
    /// Name of the county.
    pub county_name: Option<String>,
    /// Name of the township.
    pub township_name: Option<String>,
    /// Name of the village.
    pub village_name: Option<String>,
    /// Name of the cell.
    pub cell_name: Option<String>,
}

/// The names of an incident's county, township, village and cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceNames {
    /// County.
    pub county: Option<String>,
    /// Township.
    pub township: Option<String>,
    /// Village.
    pub village: Option<String>,
    /// Cell.
    pub cell: Option<String>,
}

impl IncidentDetail {
    /// The Feature of `incident` at its point; the reporter is masked when `mask`.
    pub fn feature(incident: &Incident, names: PlaceNames, mask: bool) -> Feature<IncidentDetail> {
        let f = &incident.fields;
        let masked = |v: &Option<String>, how: fn(&str) -> String| {
            v.as_deref().map(|s| if mask { how(s) } else { s.to_owned() })
        };
        let detail = IncidentDetail {
            id: incident.id,
            source: f.source,
            external_id: f.external_id.clone(),
            category: f.category,
            subcategory: f.subcategory,
            occurred_at: f.occurred_at,
            reported_at: f.reported_at,
            address: f.address.clone(),
            summary: f.summary.clone(),
            reporter_name: masked(&f.reporter_name, crate::auth::mask_name),
            reporter_phone: masked(&f.reporter_phone, crate::auth::mask_phone),
            severity: f.severity,
            status: f.status,
            placement: incident.placement,
            county_name: names.county,
            township_name: names.township,
            village_name: names.village,
            cell_name: names.cell,
        };
        Feature::point(FeatureId::Number(incident.id.0), f.lon, f.lat, detail)
    }
}
