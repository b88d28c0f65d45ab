//! The base-data desk over HTTP (administrators everywhere, the command centre inside its
//! jurisdiction): check an uploaded world file or grid edits against the published world, then
//! publish the result as a new version. The work is `base_data`'s.

use super::error::AppError;
use super::features::multipolygon_json;
use super::params::{Params, json_body};
use crate::auth::{Caller, audit_source};
use crate::base_data::{self, Author, CheckError, Checked, PublishError};
use crate::state::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use model::api::world::{FeatureRef, LayerChange, WorldCheck, WorldEdits, WorldProblem, WorldPublished};
use model::scope::Scope;
use serde_json::{Value, json};

/// Largest world file accepted, bytes (a city's grid as a GeoPackage is some tens of MB).
pub const MAX_UPLOAD_BYTES: usize = 256 << 20;
/// Most edits in one request.
pub const MAX_EDITS: usize = 100;
/// Most problem features drawn on the map.
const MAX_HIGHLIGHTS: usize = 2_000;

fn require_editor(caller: &Caller) -> Result<Scope, AppError> {
    if !caller.user.role.edits_world() {
        return Err(AppError::Forbidden {
            message: "only administrators and the command centre edit the base data (无权修改基础数据)".into(),
        });
    }
    Ok(if caller.user.role.is_admin() { Scope::everything() } else { caller.scope.clone() })
}

impl From<CheckError> for AppError {
    fn from(e: CheckError) -> AppError {
        match e {
            CheckError::Name(m) => AppError::bad("name", m),
            CheckError::File(e) => AppError::unprocessable("file", e.to_string()),
            CheckError::Edit { index, error } => AppError::unprocessable(
                &format!("edits[{index}].{}", error.field),
                format!("edits[{index}].{}: {}", error.field, error.message),
            ),
            CheckError::Store(e) => e.into(),
            CheckError::Job(e) => e.into(),
        }
    }
}

impl From<PublishError> for AppError {
    fn from(e: PublishError) -> AppError {
        match e {
            PublishError::Uncovered { .. } => AppError::unprocessable("cells", e.to_string()),
            PublishError::Invalid(i) => AppError::unprocessable("file", i.to_string()),
            PublishError::Store(store::StoreError::StaleWorld { .. }) => {
                AppError::Conflict { message: e.to_string(), field: Some("base_version".into()) }
            }
            PublishError::Store(e) => e.into(),
        }
    }
}

fn stale(e: CheckError) -> AppError {
    match e {
        CheckError::Store(s @ store::StoreError::StaleWorld { .. }) => {
            AppError::Conflict { message: s.to_string(), field: Some("base_version".into()) }
        }
        e => e.into(),
    }
}

fn changes(c: &Checked) -> Vec<LayerChange> {
    c.diff
        .layers
        .iter()
        .map(|l| LayerChange {
            layer: l.layer.as_str().into(),
            added: l.added.clone(),
            changed: l.changed.clone(),
            removed: l.removed.clone(),
        })
        .collect()
}

/// Whether a problem is on a feature that `c` adds or alters (or names one as the other party).
fn on_change(c: &Checked, p: &world::Problem) -> bool {
    c.diff.layers.iter().filter(|l| l.layer == p.layer).any(|l| {
        l.added.iter().chain(&l.changed).any(|code| *code == p.code || p.other.as_deref() == Some(code.as_str()))
    })
}

/// The geometry of the errors and of the warnings on what changes: a cell's or region's
/// boundary, a point resource's place.
fn highlights(c: &Checked) -> Value {
    use world::Layer;
    let mut features = Vec::new();
    for p in c.report.problems.iter().filter(|p| p.severity == world::Severity::Error || on_change(c, p)) {
        if features.len() >= MAX_HIGHLIGHTS {
            break;
        }
        let geometry = match p.layer {
            Layer::Cells => c.next.cells.iter().find(|x| x.code == p.code).map(|x| multipolygon_json(&x.boundary)),
            Layer::Regions => c.next.regions.iter().find(|x| x.code == p.code).map(|x| multipolygon_json(&x.boundary)),
            _ => None,
        }
        .or_else(|| Some(json!({"type": "Point", "coordinates": [p.lon?, p.lat?]})));
        let Some(geometry) = geometry else { continue };
        let severity = if p.severity == world::Severity::Error { "error" } else { "warning" };
        features.push(json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": {"layer": p.layer.as_str(), "code": p.code, "severity": severity},
        }));
    }
    json!({"type": "FeatureCollection", "features": features})
}

fn answer(c: &Checked, scope: &Scope) -> WorldCheck {
    let mut problems: Vec<WorldProblem> = c
        .report
        .problems
        .iter()
        .map(|p| WorldProblem {
            severity: if p.severity == world::Severity::Error { "error" } else { "warning" }.into(),
            kind: serde_json::to_value(p.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            label_zh: p.kind.label_zh().into(),
            label_en: p.kind.label_en().into(),
            layer: p.layer.as_str().into(),
            code: p.code.clone(),
            lon: p.lon,
            lat: p.lat,
            area_m2: p.area_m2,
            other: p.other.clone(),
            detail: p.detail.clone(),
            on_change: on_change(c, p),
        })
        .collect();
    problems.sort_by_key(|p| (p.severity != "error", !p.on_change));
    WorldCheck {
        base_version: c.base_version,
        layers: c.layers.iter().map(|l| l.as_str().to_owned()).collect(),
        notes: c.notes.clone(),
        valid: c.report.is_valid(),
        errors: c.report.errors().count(),
        warnings: c.report.warnings().count(),
        problems,
        changes: changes(c),
        outside_jurisdiction: c
            .diff
            .first_outside(&c.current, &c.next, scope)
            .map(|(layer, code)| FeatureRef { layer: layer.as_str().into(), code }),
        highlights: highlights(c),
    }
}

/// Publishes a check that has no error and stays in `scope`.
async fn publish(
    s: &AppState,
    caller: &Caller,
    c: &Checked,
    scope: &Scope,
    note: String,
) -> Result<Response, AppError> {
    if !c.report.is_valid() {
        return Err(AppError::unprocessable(
            "file",
            format!(
                "the world has {} error(s): check it and correct them first (基础数据有误，不能发布)",
                c.report.errors().count()
            ),
        ));
    }
    if c.diff.is_empty() {
        return Err(AppError::unprocessable("file", "nothing changes: the world is as published (无变化)"));
    }
    if let Some((layer, code)) = c.diff.first_outside(&c.current, &c.next, scope) {
        return Err(AppError::Forbidden {
            message: format!("{} {code} lies outside your jurisdiction (超出辖区)", layer.as_str()),
        });
    }
    let author = Author {
        by: caller.user.username.clone(),
        role: Some(caller.user.role),
        source: audit_source(caller.source).unwrap_or_else(|| "-".into()),
    };
    let done = base_data::publish_checked(s, c, note, author).await?;
    Ok(Json(WorldPublished {
        version: done.version.version,
        published_at: done.version.published_at,
        changes: changes(c),
        moved_incidents: done.moved_incidents,
        warnings: c.report.warnings().count(),
    })
    .into_response())
}

struct Upload {
    name: String,
    crs: Option<analytics::crs::Crs>,
    base_version: Option<u32>,
    note: Option<String>,
}

fn upload_params(q: Option<&str>, publishing: bool) -> Result<Upload, AppError> {
    let mut p = Params::parse(q);
    let name = p.one("name")?.ok_or_else(|| AppError::bad("name", "name: the file's name is required"))?;
    let crs = p
        .one("crs")?
        .map(|c| {
            analytics::crs::Crs::parse(&c)
                .ok_or_else(|| AppError::bad("crs", format!("crs: {c:?} is not wgs84, cgcs2000, gcj02 or bd09")))
        })
        .transpose()?;
    let (base_version, note) = if publishing {
        let v = p
            .one("base_version")?
            .ok_or_else(|| AppError::bad("base_version", "base_version: the version the check answered is required"))?;
        let v = v.parse().map_err(|_| AppError::bad("base_version", "base_version: a version number"))?;
        (Some(v), p.one("note")?)
    } else {
        (None, None)
    };
    p.finish()?;
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(AppError::bad("note", "note: at most 500 characters"));
    }
    Ok(Upload { name, crs, base_version, note })
}

/// `POST /api/world/check?name=FILE&crs=`: the body is a world file (`.gpkg`, one layer's
/// `.geojson`, or a `.zip` of Shapefiles). Answers its validation report and its difference
/// from the published world; nothing is stored.
pub async fn check(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (scope, _, c) = checked_upload(&s, &caller, q.as_deref(), &body, false).await?;
    Ok(Json(answer(&c, &scope)).into_response())
}

/// The caller's scope for editing, the upload's parameters and its check.
async fn checked_upload(
    s: &AppState,
    caller: &Caller,
    q: Option<&str>,
    body: &[u8],
    publishing: bool,
) -> Result<(Scope, Upload, Checked), AppError> {
    let scope = require_editor(caller)?;
    let up = upload_params(q, publishing)?;
    let c = base_data::check_upload(s, body.to_vec(), &up.name, up.crs).await?;
    Ok((scope, up, c))
}

/// `POST /api/world/publish?name=FILE&crs=&base_version=N&note=`: checks the file again and
/// publishes it as a new version when it has no error, stays in the caller's jurisdiction, and
/// no other version was published since `base_version`.
pub async fn publish_upload(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (scope, up, c) = checked_upload(&s, &caller, q.as_deref(), &body, true).await?;
    let base = up.base_version.unwrap_or_default();
    if c.base_version != base {
        return Err(stale(CheckError::Store(store::StoreError::StaleWorld { follows: base, current: c.base_version })));
    }
    let note = up.note.unwrap_or_else(|| format!("upload {}", up.name));
    publish(&s, &caller, &c, &scope, note).await
}

/// The caller's scope for editing, the edits and their check.
async fn checked_edits(s: &AppState, caller: &Caller, body: &[u8]) -> Result<(Scope, WorldEdits, Checked), AppError> {
    let scope = require_editor(caller)?;
    let body = edits_of(body)?;
    let c = base_data::check_edits(s, body.base_version, &body.edits).await.map_err(stale)?;
    Ok((scope, body, c))
}

fn edits_of(body: &[u8]) -> Result<WorldEdits, AppError> {
    let body: WorldEdits = json_body(body)?;
    if body.edits.is_empty() || body.edits.len() > MAX_EDITS {
        return Err(AppError::unprocessable("edits", format!("edits: 1 to {MAX_EDITS} edits")));
    }
    if body.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(AppError::unprocessable("note", "note: at most 500 characters"));
    }
    Ok(body)
}

/// `POST /api/world/edits/check`: grid edits made on the published world (`base_version`),
/// validated and compared; nothing is stored.
pub async fn check_edits(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (scope, _, c) = checked_edits(&s, &caller, &body).await?;
    Ok(Json(answer(&c, &scope)).into_response())
}

/// `POST /api/world/edits`: the edits checked and, when valid and inside the caller's
/// jurisdiction, published as a new version.
pub async fn publish_edits(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (scope, body, c) = checked_edits(&s, &caller, &body).await?;
    let ops: Vec<&str> = body
        .edits
        .iter()
        .map(|e| match e {
            model::api::world::Edit::MergeCells { .. } => "merge_cells",
            model::api::world::Edit::SplitCell { .. } => "split_cell",
            model::api::world::Edit::EditCell { .. } => "edit_cell",
            model::api::world::Edit::AddResource { .. } => "add_resource",
            model::api::world::Edit::UpdateResource { .. } => "update_resource",
            model::api::world::Edit::RemoveResource { .. } => "remove_resource",
        })
        .collect();
    let note = body.note.unwrap_or_else(|| format!("edit: {}", ops.join(", ")));
    publish(&s, &caller, &c, &scope, note).await
}
