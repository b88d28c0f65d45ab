//! The only HTTP client of the frontend: typed calls to the SafeGrid API and the URLs the map
//! loads tiles and GeoJSON from. Failures come back as [`ApiError`] for the UI to show.

use model::api::desk::{
    AssignBody, AssignmentRecorded, BacklogBoard, BacklogBody, BacklogUpdateRecorded, Desk, DisputeBody, DisputeStats,
    DisputeStepBody, DisputeView, RebalanceSuggestion, ScreeningBoard, ScreeningBody, ScreeningView, VisitBody,
    VisitView, Workload,
};
use model::api::geo::Feature;
use model::api::hotspots::{
    Description, EmergingAnswer, ForecastAnswer, GiStarAnswer, KdeAnswer, LisaAnswer, NearRepeatAnswer,
};
use model::api::incidents::IncidentDetail;
use model::api::petition::{
    PetitionBody, PetitionList, PetitionStepBody, PetitionView, ReceptionBody, ReceptionCalendar, ReceptionView,
};
use model::api::regions::AreaFeature;
use model::api::{ErrorBody, Me, RegionHit, SearchResults, Stats, UiConfig};
use model::desk_book::CaseOrigin;
use model::live::FeedMessage;
use model::time::format_utc_millis;
use model::{Category, ResourceKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

/// A failed call: the server's error body, or why there was none. The UI shows it through
/// [`crate::i18n::api_error`] (the server's own message is in English).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status (0 when the request did not complete).
    pub status: u16,
    /// The server's error code (`conflict`, `validation`, …); empty when there was no error body.
    pub code: String,
    /// The server's message or a network error.
    pub message: String,
    /// The parameter or body field at fault, when the server named one.
    pub field: Option<String>,
}

impl ApiError {
    /// A failure without an answer from the server (`status` 0) or with an unreadable one.
    pub fn local(status: u16, message: String) -> ApiError {
        ApiError { status, code: String::new(), message, field: None }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.status == 0 { write!(f, "{}", self.message) } else { write!(f, "{} ({})", self.message, self.status) }
    }
}

fn network(e: wasm_bindgen::JsValue) -> ApiError {
    ApiError::local(0, e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

thread_local! {
    static ON_UNAUTHORIZED: std::cell::RefCell<Option<Box<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
}

/// Registers what to do when the server says the session is over (401).
pub fn on_unauthorized(f: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|c| *c.borrow_mut() = Some(Box::new(f)));
}

async fn fetch(method: &str, path: &str, body: Option<String>) -> Result<(u16, String), ApiError> {
    fetch_body(method, path, body.map(|b| ("application/json", wasm_bindgen::JsValue::from_str(&b)))).await
}

/// A request with a body of `content_type` (a string, or a file as it is).
async fn fetch_body(
    method: &str,
    path: &str,
    body: Option<(&str, wasm_bindgen::JsValue)>,
) -> Result<(u16, String), ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::local(0, "no window".into()))?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some((content_type, b)) = body {
        let headers = web_sys::Headers::new().map_err(network)?;
        headers.set("content-type", content_type).map_err(network)?;
        init.set_headers(&headers);
        init.set_body(&b);
    }
    let resp = JsFuture::from(window.fetch_with_str_and_init(path, &init)).await.map_err(network)?;
    let resp: web_sys::Response = resp.dyn_into().map_err(network)?;
    let text = JsFuture::from(resp.text().map_err(network)?).await.map_err(network)?;
    let status = resp.status();
    if status == 401 && path != "/api/login" && path != "/api/me" {
        ON_UNAUTHORIZED.with(|c| {
            if let Some(f) = c.borrow().as_ref() {
                f();
            }
        });
    }
    Ok((status, text.as_string().unwrap_or_default()))
}

fn parse<T: DeserializeOwned>(status: u16, text: String) -> Result<T, ApiError> {
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(b) => ApiError { status, code: b.error.code, message: b.error.message, field: b.error.field },
            Err(_) => ApiError::local(status, text),
        });
    }
    serde_json::from_str(&text).map_err(|e| ApiError::local(status, format!("unexpected answer: {e}")))
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let (status, text) = fetch("GET", path, None).await?;
    parse(status, text)
}

/// GeoJSON that only the map reads (a layer's features, drawn as they come): the browser's
/// code reads nothing in it, so it stays text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapData(pub String);

async fn get_map_data(path: &str) -> Result<MapData, ApiError> {
    let (status, text) = fetch("GET", path, None).await?;
    if (200..300).contains(&status) {
        Ok(MapData(text))
    } else {
        parse::<Value>(status, text).map(|_| MapData(String::new()))
    }
}

/// `GET /api/me`: the signed-in user, or `None` when signed out.
pub async fn me() -> Result<Option<Me>, ApiError> {
    let (status, text) = fetch("GET", "/api/me", None).await?;
    if status == 401 {
        return Ok(None);
    }
    parse(status, text).map(Some)
}

/// `POST /api/login`: the server sets the HttpOnly session cookie.
pub async fn login(username: &str, password: &str) -> Result<(), ApiError> {
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let (status, text) = fetch("POST", "/api/login", Some(body)).await?;
    parse::<Value>(status, text).map(drop)
}

/// `POST /api/logout`.
pub async fn logout() -> Result<(), ApiError> {
    let (status, text) = fetch("POST", "/api/logout", Some(String::new())).await?;
    if status == 204 { Ok(()) } else { parse::<Value>(status, text).map(drop) }
}

fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s).as_string().unwrap_or_default()
}

fn rfc3339(ms: i64) -> String {
    let mut s = String::new();
    format_utc_millis(ms, &mut s);
    s
}

/// What the dashboard is filtering by.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Window start, Unix ms.
    pub from_ms: i64,
    /// Window end, Unix ms.
    pub to_ms: i64,
    /// Categories shown (all when every one is on).
    pub categories: Vec<Category>,
    /// The region or cell in scope (`None`: the whole city).
    pub region: Option<String>,
}

impl Filter {
    /// The query string (without `?`), `region` included when `with_region`.
    pub fn query(&self, with_region: bool) -> String {
        let q = format!("from={}&to={}", encode(&rfc3339(self.from_ms)), encode(&rfc3339(self.to_ms)));
        self.and_rest(q, with_region)
    }

    /// Categories and region appended to `q`.
    fn and_rest(&self, mut q: String, with_region: bool) -> String {
        if self.categories.len() < Category::all().len() {
            for c in &self.categories {
                q.push_str("&category=");
                q.push_str(c.as_str());
            }
        }
        if with_region && let Some(r) = &self.region {
            q.push_str("&region=");
            q.push_str(r);
        }
        q
    }

    /// The same filter over another window.
    pub fn with_window(&self, from_ms: i64, to_ms: i64) -> Filter {
        Filter { from_ms, to_ms, ..self.clone() }
    }

    /// The same filter scoped to `region`.
    pub fn in_region(&self, region: &str) -> Filter {
        Filter { region: Some(region.to_owned()), ..self.clone() }
    }
}

/// Tile URL template of the incidents layer for a filter.
pub fn incidents_tiles(f: &Filter) -> String {
    tiles_url("incidents", f)
}

/// Tile URL template of the cells layer for a filter.
pub fn cells_tiles(f: &Filter) -> String {
    tiles_url("cells", f)
}

fn tiles_url(layer: &str, f: &Filter) -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!("{origin}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt?{}", f.query(true))
}

/// Tile URL template of region boundaries.
pub fn regions_tiles() -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!("{origin}/tiles/regions/{{z}}/{{x}}/{{y}}.mvt")
}

/// Glyph URL template.
pub fn glyphs_url() -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!("{origin}/glyphs/{{fontstack}}/{{range}}.pbf")
}

/// GeoJSON URL of one kind of resource.
pub fn resources_url(kind: ResourceKind) -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!("{origin}/api/resources?kind={}", kind.as_str())
}

/// `GET /api/stats`.
pub async fn stats(f: &Filter) -> Result<Stats, ApiError> {
    get_json(&format!("/api/stats?{}", f.query(true))).await
}

/// `GET /api/regions?level=&parent=`: the codes of the regions of a level (under `parent`) in
/// the caller's jurisdiction.
pub async fn region_codes(level: &str, parent: Option<&str>) -> Result<Vec<String>, ApiError> {
    let parent = parent.map(|p| format!("&parent={}", encode(p))).unwrap_or_default();
    let fc: serde_json::Value = get_json(&format!("/api/regions?level={level}{parent}")).await?;
    Ok(fc["features"]
        .as_array()
        .map(|fs| fs.iter().filter_map(|f| f["properties"]["code"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default())
}

/// `GET /api/regions/{code}` (a region or cell Feature).
pub async fn region(code: &str) -> Result<AreaFeature, ApiError> {
    get_json(&format!("/api/regions/{}", encode(code))).await
}

/// `GET /api/regions/{code}/path`: the region and its ancestors, city first.
pub async fn region_path(code: &str) -> Result<Vec<RegionHit>, ApiError> {
    get_json(&format!("/api/regions/{}/path", encode(code))).await
}

/// `GET /api/incidents/{id}` (the full Feature).
pub async fn incident(id: u64) -> Result<Feature<IncidentDetail>, ApiError> {
    get_json(&format!("/api/incidents/{id}")).await
}

/// `GET /api/search?q=`.
pub async fn search(q: &str) -> Result<SearchResults, ApiError> {
    get_json(&format!("/api/search?q={}", encode(q))).await
}

/// `GET /api/config`.
pub async fn config() -> Result<UiConfig, ApiError> {
    get_json("/api/config").await
}

/// `GET /api/audit` (administrators): newest first.
pub async fn audit(actor: &str, action: &str) -> Result<Vec<model::auth::AuditEntry>, ApiError> {
    get_json(&format!("/api/audit?{}", audit_query(actor, action))).await
}

/// The CSV export of the same audit query (a link: the session cookie authenticates it).
pub fn audit_csv_url(actor: &str, action: &str) -> String {
    format!("/api/audit?format=csv&{}", audit_query(actor, action))
}

fn audit_query(actor: &str, action: &str) -> String {
    let mut q = String::from("limit=500");
    if !actor.trim().is_empty() {
        q.push_str(&format!("&actor={}", encode(actor.trim())));
    }
    if !action.is_empty() {
        q.push_str(&format!("&action={}", encode(action)));
    }
    q
}

/// The analyses the map's hot-spot layer can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Analysis {
    /// Getis-Ord Gi* with the default neighbourhood.
    GiStar,
    /// Gi* at the neighbourhood chosen by incremental spatial autocorrelation.
    Optimized,
    /// Local Moran's I clusters and outliers.
    LocalMoran,
    /// Emerging hot-spot patterns (12 steps of 7 days ending at the window's end).
    Emerging,
    /// Kernel density.
    Kde,
    /// The shift forecast for the 8 hours after the window's end.
    Forecast,
}

impl Analysis {
    /// Every analysis, in menu order.
    pub const ALL: [Analysis; 6] = [
        Analysis::GiStar,
        Analysis::Optimized,
        Analysis::LocalMoran,
        Analysis::Emerging,
        Analysis::Kde,
        Analysis::Forecast,
    ];

    /// Its key in the menu and the API.
    pub fn key(self) -> &'static str {
        match self {
            Analysis::GiStar => "gi-star",
            Analysis::Optimized => "optimized",
            Analysis::LocalMoran => "local-moran",
            Analysis::Emerging => "emerging",
            Analysis::Kde => "kde",
            Analysis::Forecast => "forecast",
        }
    }

    /// The analysis of a menu key (Gi* for anything else).
    pub fn parse(key: &str) -> Analysis {
        Analysis::ALL.into_iter().find(|a| a.key() == key).unwrap_or(Analysis::GiStar)
    }
}

/// The URL of an analysis over a filter.
pub fn analysis_url(a: Analysis, f: &Filter) -> String {
    let to = encode(&rfc3339(f.to_ms));
    match a {
        Analysis::GiStar | Analysis::Optimized | Analysis::LocalMoran => {
            format!("/api/hotspots?{}&method={}", f.query(true), a.key())
        }
        Analysis::Emerging => format!("/api/hotspots/emerging?{}", f.and_rest(format!("to={to}"), true)),
        Analysis::Kde => format!("/api/hotspots/kde?{}", f.query(true)),
        Analysis::Forecast => format!("/api/hotspots/forecast?{}", f.and_rest(format!("at={to}&hours=8"), true)),
    }
}

/// An analysis answer, typed by its method.
#[derive(Debug, Clone)]
pub enum AnalysisAnswer {
    /// Gi* or optimized Gi*.
    GiStar(GiStarAnswer),
    /// Local Moran's I.
    Lisa(LisaAnswer),
    /// Emerging hot spots.
    Emerging(EmergingAnswer),
    /// Kernel density.
    Kde(KdeAnswer),
    /// The shift forecast.
    Forecast(ForecastAnswer),
}

impl AnalysisAnswer {
    /// Per county, the forecast method used and why (the forecast only).
    pub fn county_methods(&self) -> Vec<model::api::hotspots::CountyMethod> {
        match self {
            AnalysisAnswer::Forecast(fc) => fc.members.parameters.counties.clone(),
            _ => Vec::new(),
        }
    }

    /// The method in words, Chinese and English.
    pub fn description(&self) -> &Description {
        match self {
            AnalysisAnswer::GiStar(fc) => &fc.members.parameters.description,
            AnalysisAnswer::Lisa(fc) => &fc.members.parameters.description,
            AnalysisAnswer::Emerging(fc) => &fc.members.parameters.description,
            AnalysisAnswer::Kde(fc) => &fc.members.parameters.description,
            AnalysisAnswer::Forecast(fc) => &fc.members.parameters.description,
        }
    }

    /// The highest kernel density of a KDE answer (0 for the others), for the colour ramp.
    pub fn max_density_per_km2(&self) -> f64 {
        match self {
            AnalysisAnswer::Kde(fc) => fc.max_density_per_km2(),
            _ => 0.0,
        }
    }

    /// The forecast's cells by code (empty for other analyses).
    pub fn forecast_cells(&self) -> std::collections::HashMap<String, model::api::hotspots::RiskCell> {
        match self {
            AnalysisAnswer::Forecast(fc) => {
                fc.features.iter().map(|f| (f.properties.code.to_string(), f.properties.values)).collect()
            }
            _ => Default::default(),
        }
    }

    /// The answer as GeoJSON text, for the map.
    pub fn geojson(&self) -> String {
        let text = match self {
            AnalysisAnswer::GiStar(fc) => serde_json::to_string(fc),
            AnalysisAnswer::Lisa(fc) => serde_json::to_string(fc),
            AnalysisAnswer::Emerging(fc) => serde_json::to_string(fc),
            AnalysisAnswer::Kde(fc) => serde_json::to_string(fc),
            AnalysisAnswer::Forecast(fc) => serde_json::to_string(fc),
        };
        text.unwrap_or_default()
    }
}

/// An analysis as GeoJSON (with `parameters`).
pub async fn analysis(a: Analysis, f: &Filter) -> Result<AnalysisAnswer, ApiError> {
    let url = analysis_url(a, f);
    Ok(match a {
        Analysis::GiStar | Analysis::Optimized => AnalysisAnswer::GiStar(get_json(&url).await?),
        Analysis::LocalMoran => AnalysisAnswer::Lisa(get_json(&url).await?),
        Analysis::Emerging => AnalysisAnswer::Emerging(get_json(&url).await?),
        Analysis::Kde => AnalysisAnswer::Kde(get_json(&url).await?),
        Analysis::Forecast => AnalysisAnswer::Forecast(get_json(&url).await?),
    })
}

/// The open near-repeat alerts at the window's end (with the Knox tables in `parameters`).
pub async fn near_repeat(f: &Filter) -> Result<NearRepeatAnswer, ApiError> {
    let to = encode(&rfc3339(f.to_ms));
    get_json(&format!("/api/hotspots/near-repeat?{}", f.and_rest(format!("to={to}"), true))).await
}

/// `GET /api/queue`: open events, most urgent first.
pub async fn queue(region: Option<&str>, limit: usize) -> Result<model::live::Queue, ApiError> {
    let region = region.map(|r| format!("&region={r}")).unwrap_or_default();
    get_json(&format!("/api/queue?limit={limit}{region}")).await
}

/// `GET /api/units`: patrol units with their last report.
pub async fn units() -> Result<Vec<model::live::UnitState>, ApiError> {
    get_json("/api/units").await
}

/// `GET /api/alerts?open=true`: unacknowledged recent alerts.
pub async fn open_alerts() -> Result<Vec<model::live::Alert>, ApiError> {
    get_json("/api/alerts?open=true").await
}

/// `GET /api/incidents/{id}/dispatch?k=3`: the nearest available units.
pub async fn dispatch_options(id: u64) -> Result<model::api::live::DispatchOptions, ApiError> {
    get_json(&format!("/api/incidents/{id}/dispatch?k=3")).await
}

/// `GET /api/incidents/{id}/history`: the incident's place in the event loop.
pub async fn progress(id: u64) -> Result<model::api::live::Progress, ApiError> {
    get_json(&format!("/api/incidents/{id}/history")).await
}

/// `GET /api/forecast/trials?county=`: a county's forecast trials, newest first.
pub async fn forecast_trials(county: &str) -> Result<model::api::hotspots::TrialsAnswer, ApiError> {
    get_json(&format!("/api/forecast/trials?county={}", encode(county))).await
}

/// `POST /api/forecast/trials`: runs a county's trial now (in the background).
pub async fn run_forecast_trial(county: &str) -> Result<model::api::hotspots::TrialStarted, ApiError> {
    post_json("/api/forecast/trials", &serde_json::json!({ "county": county })).await
}

/// `POST /api/incidents/{id}/transitions`.
pub async fn transition(id: u64, to: model::Status, unit: Option<u64>) -> Result<model::api::live::Progress, ApiError> {
    let body = serde_json::json!({"to": to.as_str(), "unit": unit}).to_string();
    let (status, text) = fetch("POST", &format!("/api/incidents/{id}/transitions"), Some(body)).await?;
    parse(status, text)
}

/// `POST /api/incidents/{id}/transitions` with a work order's fields (`department`,
/// `co_departments`, `due_at`, `reason`, `verdict`, `note`, `note_only`).
pub async fn order_step(id: u64, body: &Value) -> Result<model::api::live::Progress, ApiError> {
    post_json(&format!("/api/incidents/{id}/transitions"), body).await
}

/// `POST /api/incidents/{id}/divert`: a 110 call that is no police matter becomes a 综治 event;
/// answers the new event's progress.
pub async fn divert(id: u64, body: &Value) -> Result<model::api::live::Progress, ApiError> {
    post_json(&format!("/api/incidents/{id}/divert"), body).await
}

/// `POST /api/incidents/{id}/assign`: 分拨 to a department (again: 改派).
pub async fn assign(id: u64, body: &Value) -> Result<model::api::live::Progress, ApiError> {
    post_json(&format!("/api/incidents/{id}/assign"), body).await
}

/// `GET /api/departments?region=`: the departments serving the region.
pub async fn departments(region: Option<&str>) -> Result<Vec<model::department::Department>, ApiError> {
    let q = region.map(|r| format!("?region={}", encode(r))).unwrap_or_default();
    get_json(&format!("/api/departments{q}")).await
}

/// `GET /api/queue?department=`: a department's work list.
pub async fn work_list(department: &str) -> Result<model::api::work::WorkList, ApiError> {
    get_json(&format!("/api/queue?department={}", encode(department))).await
}

/// `GET /api/satisfaction?region=`: the return visits' verdicts of the last 30 days.
pub async fn satisfaction(region: Option<&str>) -> Result<model::api::work::Satisfaction, ApiError> {
    let q = region.map(|r| format!("?region={}", encode(r))).unwrap_or_default();
    get_json(&format!("/api/satisfaction{q}")).await
}

/// `POST /api/incidents/{id}/merge`: report `id` joins the event of report `into` (一事多报).
pub async fn merge(id: u64, into: u64) -> Result<model::api::live::Progress, ApiError> {
    let body = serde_json::json!({ "into": into }).to_string();
    let (status, text) = fetch("POST", &format!("/api/incidents/{id}/merge"), Some(body)).await?;
    parse(status, text)
}

/// `POST /api/incidents/{id}/split`: report `id` leaves its event (no body).
pub async fn split(id: u64) -> Result<model::api::live::Progress, ApiError> {
    let (status, text) = fetch("POST", &format!("/api/incidents/{id}/split"), Some(String::new())).await?;
    parse(status, text)
}

/// `POST /api/plans`: a shift plan.
pub async fn plan(request: &model::api::patrol::PlanRequest) -> Result<model::api::patrol::Plan, ApiError> {
    let body = serde_json::to_string(request).map_err(|e| ApiError::local(0, e.to_string()))?;
    let (status, text) = fetch("POST", "/api/plans?format=json", Some(body)).await?;
    parse(status, text)
}

/// `POST /api/plans?format=geojson|csv`: the same plan as a file's text.
pub async fn plan_file(request: &model::api::patrol::PlanRequest, format: &str) -> Result<String, ApiError> {
    let body = serde_json::to_string(request).map_err(|e| ApiError::local(0, e.to_string()))?;
    let (status, text) = fetch("POST", &format!("/api/plans?format={format}"), Some(body)).await?;
    if (200..300).contains(&status) { Ok(text) } else { parse::<Value>(status, text).map(|_| String::new()) }
}

/// `GET /api/coverage?region=&planned=`: per-cell prevention coverage (GeoJSON).
pub async fn coverage(region: Option<&str>, planned: &[String]) -> Result<MapData, ApiError> {
    let mut q = Vec::new();
    if let Some(r) = region {
        q.push(format!("region={r}"));
    }
    if !planned.is_empty() {
        q.push(format!("planned={}", planned.join(",")));
    }
    get_map_data(&format!("/api/coverage?{}", q.join("&"))).await
}

/// `GET /api/coverage/blind-spots?region=`: hot spots no camera sees (GeoJSON points).
pub async fn blind_spots(region: Option<&str>) -> Result<MapData, ApiError> {
    let q = region.map(|r| format!("?region={r}")).unwrap_or_default();
    get_map_data(&format!("/api/coverage/blind-spots{q}")).await
}

/// `POST`s `body` as JSON to `path`, its typed answer back.
async fn post_json<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    let body = serde_json::to_string(body).map_err(|e| ApiError::local(0, format!("unwritable body: {e}")))?;
    let (status, text) = fetch("POST", path, Some(body)).await?;
    parse(status, text)
}

/// `GET /api/desk`: the signed-in village officer's desk.
pub async fn desk() -> Result<Desk, ApiError> {
    get_json("/api/desk").await
}

/// `GET /api/backlog`: the backlog clearance board of the caller's jurisdiction.
pub async fn backlog() -> Result<BacklogBoard, ApiError> {
    get_json("/api/backlog").await
}

/// `GET /api/backlog/heat?region=`: backlog cases as GeoJSON points with their age band.
pub async fn backlog_heat(region: Option<&str>) -> Result<MapData, ApiError> {
    let q = region.map(|r| format!("?region={}", encode(r))).unwrap_or_default();
    get_map_data(&format!("/api/backlog/heat{q}")).await
}

/// `POST /api/backlog/{origin}/{id}`: take charge of a backlog case or note its progress.
pub async fn update_backlog_case(
    origin: CaseOrigin,
    id: u64,
    body: BacklogBody,
) -> Result<BacklogUpdateRecorded, ApiError> {
    post_json(&format!("/api/backlog/{}/{id}", origin.as_str()), &body).await
}

/// `GET /api/workload`: the officers' workload in the caller's jurisdiction.
pub async fn workload() -> Result<Workload, ApiError> {
    get_json("/api/workload").await
}

/// `GET /api/workload/rebalance?max_moves=`: a suggestion to move villages between officers.
pub async fn rebalance(max_moves: usize) -> Result<RebalanceSuggestion, ApiError> {
    get_json(&format!("/api/workload/rebalance?max_moves={max_moves}")).await
}

/// `POST /api/assignments`: gives a village to an officer (or to nobody).
pub async fn assign_village(body: AssignBody) -> Result<AssignmentRecorded, ApiError> {
    post_json("/api/assignments", &body).await
}

/// `GET /api/disputes/stats`: dispute counts by kind, village, status and track.
pub async fn dispute_stats() -> Result<DisputeStats, ApiError> {
    get_json("/api/disputes/stats").await
}

/// `GET /api/petitions?limit=100`: the open petitions of the jurisdiction.
pub async fn petitions() -> Result<PetitionList, ApiError> {
    get_json("/api/petitions?limit=100").await
}

/// `POST /api/petitions`: registers a petition.
pub async fn register_petition(body: PetitionBody) -> Result<Option<PetitionView>, ApiError> {
    post_json("/api/petitions", &body).await
}

/// `POST /api/petitions/{id}/transitions`: moves a petition on, extends or notes it.
pub async fn petition_step(id: u64, body: PetitionStepBody) -> Result<Option<PetitionView>, ApiError> {
    post_json(&format!("/api/petitions/{id}/transitions"), &body).await
}

/// `GET /api/my-cases`: the backlog cases in the signed-in leader's charge.
pub async fn my_cases() -> Result<model::api::desk::MyCases, ApiError> {
    get_json("/api/my-cases").await
}

/// `GET /api/receptions`: this month's calendar of leaders' receptions and visits.
pub async fn receptions() -> Result<ReceptionCalendar, ApiError> {
    get_json("/api/receptions").await
}

/// `POST /api/receptions`: puts a reception or visit on the calendar.
pub async fn schedule_reception(body: ReceptionBody) -> Result<Option<ReceptionView>, ApiError> {
    post_json("/api/receptions", &body).await
}

/// `GET /api/screenings?limit=500`: this month's dispute screening board.
pub async fn screenings() -> Result<ScreeningBoard, ApiError> {
    get_json("/api/screenings?limit=500").await
}

/// `POST /api/screenings`: files a village's monthly dispute screening.
pub async fn file_screening(body: ScreeningBody) -> Result<Option<ScreeningView>, ApiError> {
    post_json("/api/screenings", &body).await
}

/// `GET /api/mediators`: the mediator rosters of the caller's villages.
pub async fn mediators() -> Result<Vec<model::api::desk::MediatorView>, ApiError> {
    get_json("/api/mediators").await
}

/// `POST /api/disputes`: registers a dispute (its view back).
pub async fn register_dispute(body: DisputeBody) -> Result<Option<DisputeView>, ApiError> {
    post_json("/api/disputes", &body).await
}

/// `POST /api/disputes/{id}/transitions`: moves a dispute on and/or records a session.
pub async fn dispute_step(id: u64, body: DisputeStepBody) -> Result<Option<DisputeView>, ApiError> {
    post_json(&format!("/api/disputes/{id}/transitions"), &body).await
}

/// `POST /api/visits`: the signed-in village officer records a visit.
pub async fn record_visit(body: VisitBody) -> Result<VisitView, ApiError> {
    post_json("/api/visits", &body).await
}

/// `POST /api/alerts/{id}/ack`.
pub async fn ack_alert(id: u64) -> Result<(), ApiError> {
    let (status, text) = fetch("POST", &format!("/api/alerts/{id}/ack"), Some(String::new())).await?;
    parse::<Value>(status, text).map(drop)
}

/// The close code of a live feed whose session ended (the server's `CLOSE_SESSION_ENDED`).
const LIVE_CLOSE_SESSION_ENDED: u16 = 4001;

/// The live feed (`GET /api/live` as a WebSocket; the session cookie authenticates it):
/// `on_message` gets each message, read as a [`FeedMessage`]. It reconnects with `since=` after a drop, so no
/// message is lost or repeated.
pub fn live_feed(on_message: impl Fn(FeedMessage) + 'static, on_state: impl Fn(bool) + 'static) {
    use std::cell::Cell;
    use std::rc::Rc;
    struct Feed {
        last_seq: Cell<Option<u64>>,
        on_message: Box<dyn Fn(FeedMessage)>,
        on_state: Box<dyn Fn(bool)>,
        retry_ms: Cell<i32>,
    }
    fn connect(feed: Rc<Feed>) {
        let Some(window) = web_sys::window() else { return };
        let origin = window.location().host().unwrap_or_default();
        let scheme = if window.location().protocol().is_ok_and(|p| p == "https:") { "wss" } else { "ws" };
        let since = feed.last_seq.get().map(|s| format!("?since={s}")).unwrap_or_default();
        let Ok(ws) = web_sys::WebSocket::new(&format!("{scheme}://{origin}/api/live{since}")) else { return };
        let on_msg = {
            let feed = feed.clone();
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(text) = e.data().as_string() else { return };
                feed.retry_ms.set(1000);
                let Ok(message) = serde_json::from_str::<FeedMessage>(&text) else { return };
                feed.last_seq.set(Some(message.seq));
                (feed.on_message)(message);
            })
        };
        ws.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
        on_msg.forget();
        let on_open = {
            let feed = feed.clone();
            Closure::<dyn Fn()>::new(move || (feed.on_state)(true))
        };
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_close = {
            let feed = feed.clone();
            Closure::<dyn Fn(web_sys::CloseEvent)>::new(move |e: web_sys::CloseEvent| {
                (feed.on_state)(false);
                // The session this feed was opened with ended (signed out, here or elsewhere,
                // expired, password changed, user disabled): reconnecting cannot succeed. The
                // feed stays closed; the next call to the API says to sign in again, and a new
                // sign-in opens a new feed.
                if e.code() == LIVE_CLOSE_SESSION_ENDED {
                    return;
                }
                let again = feed.clone();
                let delay = feed.retry_ms.get();
                feed.retry_ms.set((delay * 2).min(30_000));
                let retry = Closure::once_into_js(move || connect(again));
                if let Some(w) = web_sys::window() {
                    let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), delay);
                }
            })
        };
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
    }
    connect(Rc::new(Feed {
        last_seq: Cell::new(None),
        on_message: Box::new(on_message),
        on_state: Box::new(on_state),
        retry_ms: Cell::new(1000),
    }));
}

/// `GET /api/health`: the world version the server has loaded, among others.
pub async fn health() -> Result<model::api::Health, ApiError> {
    get_json("/api/health").await
}

/// `GET /api/world/versions` (administrators and the command centre).
pub async fn world_versions() -> Result<Vec<model::api::world::WorldVersion>, ApiError> {
    get_json("/api/world/versions").await
}

fn upload_query(name: &str, crs: &str) -> String {
    let mut q = format!("name={}", encode(name));
    if !crs.is_empty() {
        q.push_str(&format!("&crs={}", encode(crs)));
    }
    q
}

/// `POST /api/world/check`: the world file `file` (named `name`, coordinates in `crs` where it
/// does not say; empty: as it says) validated and compared with the published world.
pub async fn world_check(
    file: &web_sys::File,
    name: &str,
    crs: &str,
) -> Result<model::api::world::WorldCheck, ApiError> {
    let path = format!("/api/world/check?{}", upload_query(name, crs));
    let (status, text) = fetch_body("POST", &path, Some(("application/octet-stream", file.clone().into()))).await?;
    parse(status, text)
}

/// `POST /api/world/publish`: the same file published on `base_version`.
pub async fn world_publish(
    file: &web_sys::File,
    name: &str,
    crs: &str,
    base_version: u32,
) -> Result<model::api::world::WorldPublished, ApiError> {
    let path = format!("/api/world/publish?{}&base_version={base_version}", upload_query(name, crs));
    let (status, text) = fetch_body("POST", &path, Some(("application/octet-stream", file.clone().into()))).await?;
    parse(status, text)
}

/// `POST /api/world/edits/check`.
pub async fn world_edits_check(
    body: &model::api::world::WorldEdits,
) -> Result<model::api::world::WorldCheck, ApiError> {
    post_json("/api/world/edits/check", body).await
}

/// `POST /api/world/edits`: the edits published.
pub async fn world_edits(body: &model::api::world::WorldEdits) -> Result<model::api::world::WorldPublished, ApiError> {
    post_json("/api/world/edits", body).await
}

/// `GET /api/taxonomy`: the event taxonomy in force, as text for `Taxonomy::parse`.
pub async fn taxonomy() -> Result<String, ApiError> {
    let (status, text) = fetch("GET", "/api/taxonomy", None).await?;
    if (200..300).contains(&status) { Ok(text) } else { parse::<Value>(status, text).map(|_| String::new()) }
}

/// `POST /api/field/reports`: a report from the phone's outbox (idempotent on its id).
pub async fn field_report(
    report: &model::api::field::FieldReport,
) -> Result<model::api::field::FieldReports, ApiError> {
    post_json("/api/field/reports", report).await
}

/// `GET /api/field/reports`: the signed-in field user's own reports.
pub async fn field_reports() -> Result<model::api::field::FieldReports, ApiError> {
    get_json("/api/field/reports").await
}

/// `GET /api/field/tasks`: 核查, 回访 and 走访 of the field user's cells or villages.
pub async fn field_tasks() -> Result<model::api::field::FieldTasks, ApiError> {
    get_json("/api/field/tasks").await
}

/// `POST /api/public/reports`: a citizen's report, no session.
pub async fn public_report(report: &model::api::public::PublicReport) -> Result<model::api::public::Receipt, ApiError> {
    post_json("/api/public/reports", report).await
}

/// `GET /api/public/track/{code}`.
pub async fn track(code: &str) -> Result<model::api::public::Tracking, ApiError> {
    get_json(&format!("/api/public/track/{}", encode(code))).await
}

/// `POST /api/public/track/{code}/verdict`.
pub async fn public_verdict(
    code: &str,
    v: &model::api::public::PublicVerdict,
) -> Result<model::api::public::Tracking, ApiError> {
    post_json(&format!("/api/public/track/{}/verdict", encode(code)), v).await
}

/// `GET /api/scorecard?period=&level=`: the assessment scorecard (`level` `None`: the server's
/// default for the caller).
pub async fn scorecard(period: &str, level: Option<&str>) -> Result<model::api::scorecard::Scorecard, ApiError> {
    get_json(&scorecard_url(period, level, "json")).await
}

/// The scorecard's URL in `format` (`json`, `csv`).
pub fn scorecard_url(period: &str, level: Option<&str>, format: &str) -> String {
    let mut url = format!("/api/scorecard?format={format}&period={}", encode(period));
    if let Some(l) = level {
        url.push_str(&format!("&level={}", encode(l)));
    }
    url
}

/// `GET /api/campaigns`: the campaigns of the caller's jurisdiction, newest first.
pub async fn campaigns() -> Result<Vec<model::api::campaign::CampaignView>, ApiError> {
    get_json("/api/campaigns").await
}

/// `POST /api/campaigns`.
pub async fn create_campaign(
    body: &model::api::campaign::CampaignBody,
) -> Result<model::api::campaign::CampaignView, ApiError> {
    post_json("/api/campaigns", body).await
}

/// `GET /api/campaigns/{id}/evaluation`.
pub async fn campaign_evaluation(id: u64) -> Result<model::api::campaign::Evaluation, ApiError> {
    get_json(&format!("/api/campaigns/{id}/evaluation")).await
}

/// A region's monthly briefing (简报): `html` is the print view, `docx` the Word document.
pub fn briefing_url(format: &str, region: &str, period: &str, lang: &str) -> String {
    format!(
        "/api/briefing?format={}&region={}&period={}&lang={}",
        encode(format),
        encode(region),
        encode(period),
        encode(lang)
    )
}
