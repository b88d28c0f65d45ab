//! The HTTP API (axum). Only this module (with its siblings `tiles` and `web`) knows HTTP.
//! `app(state)` builds the router so tests drive it with `tower::ServiceExt::oneshot`; the
//! routes are declared once in [`routes`], which also lists them for the access-matrix test.

mod desk;
pub mod error;
pub mod features;
mod field;
pub mod guard;
pub mod hotspots;
mod incidents;
mod leaders;
pub use incidents::MAX_BATCH_ITEMS;
mod live;
mod ogc;
pub mod params;
mod patrol;
mod petitions;
pub mod public;
mod regions;
mod search;
pub mod session;
mod stats;
mod trials;
mod work;
mod world;

use crate::auth::Caller;
use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{MethodRouter, get, post};
use model::api::Health;

/// Default window of counts and statistics when `from`/`to` are absent: the last 30 days.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;

/// Largest accepted request body, bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Longest a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, login, glyphs, the frontend's files).
    Public,
    /// Any signed-in user; answers are limited to their jurisdiction.
    Signed,
    /// Administrators only.
    Admin,
}

/// One route of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// HTTP method.
    pub method: &'static str,
    /// Path template (axum syntax).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

struct Routes {
    router: Router<AppState>,
    list: Vec<RouteInfo>,
}

impl Routes {
    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Routes {
        self.list.push(RouteInfo { method, path, access });
        self.router = self.router.route(path, handler);
        self
    }
}

/// Every route, declared once.
fn routes() -> Routes {
    use Access::*;
    Routes { router: Router::new(), list: Vec::new() }
        .add("GET", "/api/health", Public, get(health))
        .add("GET", "/ogc", Signed, get(ogc::landing))
        .add("GET", "/ogc/conformance", Signed, get(ogc::conformance))
        .add("GET", "/ogc/collections", Signed, get(ogc::collections))
        .add("GET", "/ogc/collections/{id}", Signed, get(ogc::collection))
        .add("GET", "/ogc/collections/{id}/items", Signed, get(ogc::items))
        .add("GET", "/ogc/collections/{id}/items/{fid}", Signed, get(ogc::item))
        .add("POST", "/api/login", Public, post(session::login))
        .add(
            "POST",
            "/api/public/reports",
            Public,
            post(public::report).layer(DefaultBodyLimit::max(public::MAX_REPORT_BODY_BYTES)),
        )
        .add(
            "POST",
            "/api/field/reports",
            Signed,
            post(field::report).layer(DefaultBodyLimit::max(field::MAX_FIELD_BODY_BYTES)),
        )
        .add("GET", "/api/field/reports", Signed, get(field::my_reports))
        .add("GET", "/api/field/tasks", Signed, get(field::tasks))
        .add("GET", "/api/public/areas", Public, get(public::areas))
        .add("GET", "/api/public/track/{code}", Public, get(public::track))
        .add("POST", "/api/public/track/{code}/verdict", Public, post(public::verdict))
        .add("POST", "/api/logout", Signed, post(session::logout))
        .add("GET", "/api/me", Signed, get(session::me))
        .add("POST", "/api/password", Signed, post(session::password))
        .add("GET", "/api/audit", Admin, get(session::audit))
        .add("GET", "/api/world/versions", Signed, get(session::world_versions))
        .add(
            "POST",
            "/api/world/check",
            Signed,
            post(world::check).layer(DefaultBodyLimit::max(world::MAX_UPLOAD_BYTES)),
        )
        .add(
            "POST",
            "/api/world/publish",
            Signed,
            post(world::publish_upload).layer(DefaultBodyLimit::max(world::MAX_UPLOAD_BYTES)),
        )
        .add("POST", "/api/world/edits/check", Signed, post(world::check_edits))
        .add("POST", "/api/world/edits", Signed, post(world::publish_edits))
        .add("GET", "/api/config", Signed, get(config))
        .add("GET", "/api/taxonomy", Public, get(taxonomy))
        .add("GET", "/api/regions", Signed, get(regions::list))
        .add("GET", "/api/regions/{code}", Signed, get(regions::one))
        .add("GET", "/api/regions/{code}/path", Signed, get(regions::path))
        .add("GET", "/api/cells", Signed, get(regions::cells))
        .add("GET", "/api/resources", Signed, get(regions::resources))
        .add("GET", "/api/incidents", Signed, get(incidents::list))
        .add("POST", "/api/incidents", Signed, post(incidents::create))
        .add(
            "POST",
            "/api/incidents/batch",
            Signed,
            post(incidents::batch).layer(DefaultBodyLimit::max(incidents::MAX_BATCH_BYTES)),
        )
        .add("GET", "/api/incidents/{id}", Signed, get(incidents::one))
        .add("GET", "/api/incidents/{id}/history", Signed, get(live::history))
        .add(
            "POST",
            "/api/incidents/{id}/transitions",
            Signed,
            post(live::transition).layer(DefaultBodyLimit::max(desk::MAX_VISIT_BODY_BYTES)),
        )
        .add("GET", "/api/incidents/{id}/photos/{step}", Signed, get(live::step_photo))
        .add("GET", "/api/incidents/{id}/dispatch", Signed, get(live::dispatch))
        .add("POST", "/api/incidents/{id}/merge", Signed, post(live::merge))
        .add("POST", "/api/incidents/{id}/split", Signed, post(live::split))
        .add("POST", "/api/incidents/{id}/assign", Signed, post(live::assign))
        .add("POST", "/api/incidents/{id}/divert", Signed, post(live::divert))
        .add("GET", "/api/queue", Signed, get(live::queue))
        .add("GET", "/api/departments", Signed, get(work::departments))
        .add("GET", "/api/satisfaction", Signed, get(work::satisfaction))
        .add("GET", "/api/scorecard", Signed, get(leaders::scorecard))
        .add("GET", "/api/briefing", Signed, get(leaders::briefing))
        .add("GET", "/api/campaigns", Signed, get(leaders::list_campaigns))
        .add("POST", "/api/campaigns", Signed, post(leaders::create_campaign))
        .add("GET", "/api/campaigns/{id}/evaluation", Signed, get(leaders::evaluation))
        .add("GET", "/api/units", Signed, get(live::units))
        .add("POST", "/api/units/{id}/position", Signed, post(live::position))
        .add("GET", "/api/alerts", Signed, get(live::alerts))
        .add("POST", "/api/alerts/{id}/ack", Signed, post(live::ack))
        .add("GET", "/api/live", Signed, get(live::live))
        .add("GET", "/api/stats", Signed, get(stats::stats))
        .add("GET", "/api/hotspots", Signed, get(hotspots::hotspots))
        .add("GET", "/api/hotspots/emerging", Signed, get(hotspots::emerging))
        .add("GET", "/api/hotspots/kde", Signed, get(hotspots::kde))
        .add("GET", "/api/hotspots/near-repeat", Signed, get(hotspots::near_repeat))
        .add("GET", "/api/hotspots/forecast", Signed, get(hotspots::forecast))
        .add("GET", "/api/forecast/trials", Signed, get(trials::list))
        .add("POST", "/api/forecast/trials", Signed, post(trials::create))
        .add("POST", "/api/plans", Signed, post(patrol::create))
        .add("GET", "/api/coverage", Signed, get(patrol::coverage))
        .add("GET", "/api/coverage/blind-spots", Signed, get(patrol::blind))
        .add("GET", "/api/coverage/suggestions", Signed, get(patrol::suggestions))
        .add("GET", "/api/villages/{code}", Signed, get(desk::village))
        .add("GET", "/api/workload", Signed, get(desk::load))
        .add("GET", "/api/workload/rebalance", Signed, get(desk::rebalance))
        .add("GET", "/api/desk", Signed, get(desk::desk))
        .add("GET", "/api/assignments", Signed, get(desk::assignments))
        .add("POST", "/api/assignments", Signed, post(desk::assign))
        .add("GET", "/api/visits", Signed, get(desk::list_visits))
        .add(
            "POST",
            "/api/visits",
            Signed,
            post(desk::create_visit).layer(DefaultBodyLimit::max(desk::MAX_VISIT_BODY_BYTES)),
        )
        .add("GET", "/api/visits/{id}/photo", Signed, get(desk::visit_photo))
        .add("GET", "/api/disputes", Signed, get(desk::list_disputes))
        .add("GET", "/api/mediators", Signed, get(desk::mediators))
        .add("POST", "/api/disputes", Signed, post(desk::create_dispute))
        .add("GET", "/api/disputes/stats", Signed, get(desk::dispute_statistics))
        .add("GET", "/api/disputes/{id}", Signed, get(desk::one_dispute))
        .add("POST", "/api/disputes/{id}/transitions", Signed, post(desk::dispute_step))
        .add("GET", "/api/my-cases", Signed, get(desk::my_cases))
        .add("GET", "/api/petitions", Signed, get(petitions::list))
        .add("POST", "/api/petitions", Signed, post(petitions::create))
        .add("GET", "/api/petitions/{id}", Signed, get(petitions::one))
        .add("POST", "/api/petitions/{id}/transitions", Signed, post(petitions::step))
        .add("GET", "/api/receptions", Signed, get(petitions::list_receptions))
        .add("POST", "/api/receptions", Signed, post(petitions::create_reception))
        .add("GET", "/api/screenings", Signed, get(desk::list_screenings))
        .add("POST", "/api/screenings", Signed, post(desk::create_screening))
        .add("GET", "/api/backlog", Signed, get(desk::backlog))
        .add("GET", "/api/backlog/heat", Signed, get(desk::backlog_heat))
        .add("POST", "/api/backlog/{origin}/{id}", Signed, post(desk::update_backlog))
        .add("GET", "/api/search", Signed, get(search::search))
        .add("GET", "/tiles/{layer}/{z}/{x}/{y}", Signed, get(crate::tiles::tile))
        .add("GET", "/glyphs/{fontstack}/{range}", Public, get(crate::web::glyphs))
}

/// The routes of [`app`], for tests that must cover every one.
pub fn route_list() -> Vec<RouteInfo> {
    routes().list
}

/// The router of the whole API.
pub fn app(state: AppState) -> Router {
    routes()
        .router
        .fallback(crate::web::frontend)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(time_limit))
        .layer(axum::middleware::from_fn(guard::guard))
        .with_state(state)
}

/// Answers 503 (in the API's error shape) when a request runs past [`REQUEST_TIMEOUT`].
async fn time_limit(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => error::AppError::Timeout {
            message: format!("the request took longer than {} s", REQUEST_TIMEOUT.as_secs()),
        }
        .into_response(),
    }
}

async fn health(State(s): State<AppState>, _: params::NoQuery) -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
        backend: s.store.backend().into(),
        incidents: s.index().len() as u64,
        cells: s.geography.cells().len() as u64,
        version: env!("CARGO_PKG_VERSION").into(),
        world_version: s.world_version,
    })
}

/// `GET /api/taxonomy`: the event taxonomy in force (kinds, their workflow, department type,
/// colour and deadlines; the department types), as `data/taxonomy.json` has it. Public: the
/// citizen channel's form offers its kinds.
async fn taxonomy(_: params::NoQuery) -> axum::Json<&'static model::taxonomy::Taxonomy> {
    axum::Json(model::taxonomy::taxonomy())
}

async fn config(State(s): State<AppState>, _caller: Caller, _: params::NoQuery) -> axum::Json<model::api::UiConfig> {
    axum::Json((*s.ui).clone())
}

async fn method_not_allowed() -> error::AppError {
    error::AppError::MethodNotAllowed
}
