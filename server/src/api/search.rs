//! `GET /api/search?q=`: regions and cells by name or code, incidents by case number, address or
//! summary text.

use super::error::AppError;
use super::features::bbox_of;
use super::params::Params;
use crate::auth::Caller;
use crate::state::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use model::api::{IncidentHit, RegionHit, SearchResults};

/// Most regions returned.
const MAX_REGIONS: usize = 10;
/// Most incidents returned.
const MAX_INCIDENTS: usize = 20;

fn bbox(mp: &geo::MultiPolygon<f64>) -> [f64; 4] {
    bbox_of(mp).unwrap_or([0.0; 4])
}

pub async fn search(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<SearchResults>, AppError> {
    let mut p = Params::parse(q.as_deref());
    let text = p.one("q")?.unwrap_or_default();
    p.finish()?;
    let text = text.trim().to_owned();
    let chars = text.chars().count();
    if !(2..=100).contains(&chars) {
        return Err(AppError::bad("q", "the search text must have 2 to 100 characters"));
    }
    let digits = text.bytes().all(|b| b.is_ascii_digit());
    let lower = text.to_lowercase();
    let mut regions: Vec<RegionHit> = s
        .geography
        .regions()
        .iter()
        .filter(|r| caller.scope.allows_region(r.region.code))
        .filter(|r| {
            if digits {
                r.region.code.to_string().starts_with(&text)
            } else {
                r.region.name.to_lowercase().contains(&lower)
            }
        })
        .take(MAX_REGIONS)
        .map(|r| RegionHit {
            code: r.region.code.to_string(),
            name: r.region.name.clone(),
            level: r.region.level.as_str().into(),
            bbox: bbox(&r.boundary),
        })
        .collect();
    if regions.len() < MAX_REGIONS {
        let room = MAX_REGIONS - regions.len();
        regions.extend(
            s.geography
                .cells()
                .iter()
                .filter(|c| caller.scope.allows_cell(c.cell.code))
                .filter(|c| {
                    if digits {
                        c.cell.code.to_string().starts_with(&text)
                    } else {
                        c.cell.name.to_lowercase().contains(&lower)
                    }
                })
                .take(room)
                .map(|c| RegionHit {
                    code: c.cell.code.to_string(),
                    name: c.cell.name.clone(),
                    level: "cell".into(),
                    bbox: bbox(&c.boundary),
                }),
        );
    }
    let found = s.store.search_incidents(&caller.scope, &text, MAX_INCIDENTS).await?;
    // Hits carry addresses and summaries: like a case-detail read, they are on record before
    // they are answered.
    if !found.is_empty() {
        let mut entry = caller.audit("search_incidents", text.clone(), "ok");
        entry.detail = Some(found.iter().map(|i| i.id.0.to_string()).collect::<Vec<_>>().join(","));
        s.audit(entry).await?;
    }
    let incidents = found
        .into_iter()
        .map(|i| IncidentHit {
            id: i.id.0,
            external_id: i.fields.external_id,
            category: i.fields.category,
            occurred_at: i.fields.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            address: i.fields.address,
            summary: i.fields.summary,
            lon: i.fields.lon,
            lat: i.fields.lat,
        })
        .collect();
    Ok(Json(SearchResults { regions, incidents }))
}
