//! The HTTP API (axum). Only this module knows HTTP. `app(state)` builds the router so tests drive
//! it with `tower::ServiceExt::oneshot`.

pub mod error;
pub mod features;
mod incidents;
pub mod params;
mod regions;
mod search;
mod stats;

use crate::clock::Clock;
use crate::geography::Geography;
use crate::incident_index::IncidentIndex;
use crate::store::Store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use model::api::Health;
use std::sync::{Arc, RwLock};

/// Default window of counts and statistics when `from`/`to` are absent: the last 30 days.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;

/// Largest accepted request body, bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    /// The system of record.
    pub store: Arc<dyn Store>,
    /// Regions, cells, resources, officers.
    pub geography: Arc<Geography>,
    /// The incident index (write-locked only to apply acknowledged writes).
    pub incidents: Arc<RwLock<IncidentIndex>>,
    /// "Now".
    pub clock: Arc<dyn Clock>,
    /// Region and cell geometry prepared for vector tiles.
    pub tiles: Arc<crate::tiles::TileShapes>,
    /// Recent per-cell counts for cell tiles.
    pub tile_counts: Arc<crate::tiles::CountsCache>,
    /// The built frontend served at `/`, if any.
    pub web_dir: Option<std::path::PathBuf>,
    /// Public settings for the browser (base layers).
    pub ui: Arc<model::api::UiConfig>,
}

impl AppState {
    /// Read access to the incident index (a poisoned lock still holds consistent data: writers
    /// only push whole records).
    pub fn index(&self) -> std::sync::RwLockReadGuard<'_, IncidentIndex> {
        self.incidents.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Write access to the incident index.
    pub fn index_mut(&self) -> std::sync::RwLockWriteGuard<'_, IncidentIndex> {
        self.incidents.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The router of the whole API.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/regions", get(regions::list))
        .route("/api/regions/{code}", get(regions::one))
        .route("/api/regions/{code}/path", get(regions::path))
        .route("/api/cells", get(regions::cells))
        .route("/api/resources", get(regions::resources))
        .route("/api/incidents", get(incidents::list).post(incidents::create))
        .route("/api/incidents/{id}", get(incidents::one))
        .route("/api/stats", get(stats::stats))
        .route("/api/config", get(config))
        .route("/api/search", get(search::search))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(crate::tiles::tile))
        .route("/glyphs/{fontstack}/{range}", get(crate::web::glyphs))
        .fallback(crate::web::frontend)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn health(State(s): State<AppState>) -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
        backend: s.store.backend().into(),
        incidents: s.index().len() as u64,
        cells: s.geography.cells().len() as u64,
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

async fn config(State(s): State<AppState>) -> axum::Json<model::api::UiConfig> {
    axum::Json((*s.ui).clone())
}

async fn method_not_allowed() -> (axum::http::StatusCode, axum::Json<model::api::ErrorBody>) {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(model::api::ErrorBody {
            error: model::api::ErrorDetail {
                code: "method_not_allowed".into(),
                message: "method not allowed on this endpoint".into(),
                field: None,
            },
        }),
    )
}
