//! The HTTP API (axum). Only this module knows HTTP. `app(state)` builds the router so tests drive
//! it with `tower::ServiceExt::oneshot`.

pub mod error;
pub mod features;
mod incidents;
pub mod params;
mod regions;
mod stats;

use crate::clock::Clock;
use crate::geography::Geography;
use crate::incident_index::IncidentIndex;
use crate::store::Store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use error::AppError;
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
        .route("/api/cells", get(regions::cells))
        .route("/api/resources", get(regions::resources))
        .route("/api/incidents", get(incidents::list).post(incidents::create))
        .route("/api/incidents/{id}", get(incidents::one))
        .route("/api/stats", get(stats::stats))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(crate::tiles::tile))
        .fallback(not_found)
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

async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound { message: format!("no such endpoint {}", uri.path()), field: None }
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
