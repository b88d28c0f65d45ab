//! The base-data desk (基础数据), for administrators and the command centre: upload a world
//! file and see its validation report, as a list and on the map, and its difference from the
//! published world before publishing it; or correct the grid where it is wrong (网格划分调整:
//! merge two cells, split one along a line drawn on the map, a cell's name and population) and
//! the resources (add, move, remove, a camera's direction). Every change is checked first and
//! published as a new version; the map then shows that version.

use crate::api::{self, ApiError};
use crate::app::Ctx;
use crate::desk::input_value;
use crate::i18n::{Lang, T};
use leptos::prelude::*;
use model::api::world::{Edit, WorldCheck, WorldEdits, WorldPublished, WorldVersion};
use wasm_bindgen::JsCast;

/// What a click on the map does while the desk is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Nothing: clicks select as usual.
    None,
    /// Pick two cells to merge.
    Merge,
    /// Pick a cell, then the points of the cut.
    Split,
    /// Pick a cell to rename or give a population.
    Cell,
    /// Pick the place of a new resource.
    Add,
    /// Pick a resource, then its new place.
    Move,
    /// Pick a resource to remove.
    Remove,
}

impl Tool {
    const ALL: [Tool; 6] = [Tool::Merge, Tool::Split, Tool::Cell, Tool::Add, Tool::Move, Tool::Remove];

    fn key(self) -> &'static str {
        match self {
            Tool::None => "none",
            Tool::Merge => "merge",
            Tool::Split => "split",
            Tool::Cell => "cell",
            Tool::Add => "add",
            Tool::Move => "move",
            Tool::Remove => "remove",
        }
    }

    fn label(self) -> T {
        match self {
            Tool::None => T::EditCancel,
            Tool::Merge => T::EditMerge,
            Tool::Split => T::EditSplit,
            Tool::Cell => T::EditCell,
            Tool::Add => T::EditAddResource,
            Tool::Move => T::EditMoveResource,
            Tool::Remove => T::EditRemoveResource,
        }
    }

    fn hint(self) -> Option<T> {
        match self {
            Tool::None => None,
            Tool::Merge => Some(T::HintMerge),
            Tool::Split => Some(T::HintSplit),
            Tool::Cell => Some(T::HintCell),
            Tool::Add => Some(T::HintAdd),
            Tool::Move => Some(T::HintMove),
            Tool::Remove => Some(T::HintRemove),
        }
    }
}

/// What a check was of, so that publishing sends the same.
#[derive(Debug, Clone, PartialEq)]
enum Subject {
    /// The file in the upload input, with its name and the coordinates chosen.
    Upload { name: String, crs: String },
    /// Edits of the published world.
    Edits(Vec<Edit>),
}

/// A message in both languages, or a failed call.
type Message = Result<(String, String), ApiError>;

/// The desk's state, shared by its panel, the header button and the map.
#[derive(Clone, Copy)]
pub struct WorldCtx {
    /// Whether the desk replaces the event queue on the right.
    pub open: RwSignal<bool>,
    /// The editing tool in use.
    tool: RwSignal<Tool>,
    /// Cells picked on the map (merge: two; split and cell: one).
    cells: RwSignal<Vec<String>>,
    /// Places picked: the cut's vertices, or a resource's place.
    points: RwSignal<Vec<[f64; 2]>>,
    /// The resource picked.
    resource: RwSignal<Option<u64>>,
    /// The last check and what it was of.
    check: RwSignal<Option<(Subject, WorldCheck)>>,
    /// Whether a call is running.
    busy: RwSignal<bool>,
    /// The last message.
    message: RwSignal<Option<Message>>,
    /// The published versions, oldest first.
    versions: RwSignal<Vec<WorldVersion>>,
    /// Bumped after a publication: the versions reload.
    reloads: RwSignal<u32>,
    /// Whether the user may edit the base data at all.
    pub allowed: bool,
}

/// Sets up the desk (closed).
pub fn start(ctx: Ctx, allowed: bool) -> WorldCtx {
    let w = WorldCtx {
        open: RwSignal::new(false),
        tool: RwSignal::new(Tool::None),
        cells: RwSignal::new(Vec::new()),
        points: RwSignal::new(Vec::new()),
        resource: RwSignal::new(None),
        check: RwSignal::new(None),
        busy: RwSignal::new(false),
        message: RwSignal::new(None),
        versions: RwSignal::new(Vec::new()),
        reloads: RwSignal::new(0),
        allowed,
    };
    provide_context(w);
    Effect::new(move |_| {
        w.reloads.track();
        if !w.open.get() {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::world_versions().await {
                Ok(v) => {
                    w.versions.try_set(v);
                }
                Err(e) => {
                    w.message.try_set(Some(Err(e)));
                }
            }
        });
    });
    // Clicks are places while a tool is in use; the picks and the cut are drawn.
    Effect::new(move |_| {
        let editing = w.open.get() && w.tool.get() != Tool::None;
        ctx.with_map(|m| m.set_editing(editing));
    });
    Effect::new(move |_| {
        let (points, tool) = (w.points.get(), w.tool.get());
        let mut features: Vec<serde_json::Value> = points
            .iter()
            .map(|p| serde_json::json!({"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": p}}))
            .collect();
        if tool == Tool::Split && points.len() >= 2 {
            features.push(serde_json::json!({"type": "Feature", "properties": {},
                "geometry": {"type": "LineString", "coordinates": points}}));
        }
        let fc = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
        ctx.with_map(|m| m.set_layer_data("draft", &fc));
    });
    Effect::new(move |_| {
        let cells = w.cells.get();
        ctx.with_map(|m| m.select_cell(cells.last().map_or("", String::as_str)));
    });
    Effect::new(move |_| {
        let shown = w.open.get();
        let highlights = w.check.with(|c| c.as_ref().map(|(_, c)| c.highlights.to_string()));
        let empty = r#"{"type":"FeatureCollection","features":[]}"#.to_owned();
        ctx.with_map(|m| m.set_layer_data("world", &highlights.filter(|_| shown).unwrap_or(empty)));
    });
    w
}

impl WorldCtx {
    /// Starts `tool` afresh: nothing picked, no check shown.
    fn use_tool(&self, tool: Tool) {
        self.tool.set(tool);
        self.cells.set(Vec::new());
        self.points.set(Vec::new());
        self.resource.set(None);
        self.check.set(None);
        self.message.set(None);
    }

    /// A click on the map while a tool is in use.
    pub fn on_point(&self, lon: f64, lat: f64, cell: Option<String>, resource: Option<u64>) {
        match self.tool.get_untracked() {
            Tool::None => {}
            Tool::Merge => {
                let Some(cell) = cell else { return };
                let mut picked = self.cells.get_untracked();
                if picked.len() >= 2 {
                    picked.clear();
                    self.check.set(None);
                }
                if !picked.contains(&cell) {
                    picked.push(cell);
                }
                self.cells.set(picked.clone());
                if let [keep, absorb] = &picked[..] {
                    self.check_edits(vec![Edit::MergeCells { keep: keep.clone(), absorb: absorb.clone() }]);
                }
            }
            Tool::Split => {
                if self.cells.with_untracked(Vec::is_empty) {
                    if let Some(cell) = cell {
                        self.cells.set(vec![cell]);
                    }
                } else {
                    self.points.update(|p| p.push([lon, lat]));
                }
            }
            Tool::Cell => {
                if let Some(cell) = cell {
                    self.cells.set(vec![cell]);
                    self.check.set(None);
                }
            }
            Tool::Add => self.points.set(vec![[lon, lat]]),
            Tool::Move => {
                if self.resource.get_untracked().is_none() {
                    self.resource.set(resource);
                } else {
                    self.points.set(vec![[lon, lat]]);
                }
            }
            Tool::Remove => {
                if let Some(id) = resource {
                    self.resource.set(Some(id));
                    self.check_edits(vec![Edit::RemoveResource { id }]);
                }
            }
        }
    }

    fn base_version(&self) -> u32 {
        self.versions.with_untracked(|v| v.last().map_or(0, |v| v.version))
    }

    /// Checks `edits` on the published world.
    fn check_edits(&self, edits: Vec<Edit>) {
        let w = *self;
        let body = WorldEdits { base_version: w.base_version(), edits: edits.clone(), note: None };
        w.busy.set(true);
        w.message.set(None);
        leptos::task::spawn_local(async move {
            match api::world_edits_check(&body).await {
                Ok(c) => {
                    w.check.try_set(Some((Subject::Edits(edits), c)));
                }
                Err(e) => {
                    w.check.try_set(None);
                    w.message.try_set(Some(Err(e)));
                }
            }
            w.busy.set(false);
        });
    }

    /// Checks the file chosen in the upload input.
    fn check_upload(&self, ctx: Ctx) {
        let w = *self;
        let Some(file) = chosen_file() else { return };
        let (name, crs) = (file.name(), input_value("world-crs"));
        w.use_tool(Tool::None);
        w.busy.set(true);
        leptos::task::spawn_local(async move {
            match api::world_check(&file, &name, &crs).await {
                Ok(c) => {
                    // To the first error, where the officer starts correcting.
                    if let Some((lon, lat)) =
                        c.problems.iter().find_map(|p| Some((p.lon?, p.lat?))).filter(|_| !c.valid)
                    {
                        ctx.with_map(|m| m.fly_to(lon, lat, 13.0));
                    }
                    w.check.set(Some((Subject::Upload { name, crs }, c)));
                }
                Err(e) => w.message.set(Some(Err(e))),
            }
            w.busy.set(false);
        });
    }

    /// Publishes what was last checked; once this server has loaded the new version, the map
    /// shows it.
    fn publish(&self, ctx: Ctx) {
        let w = *self;
        let Some((subject, check)) = w.check.get_untracked() else { return };
        w.busy.set(true);
        leptos::task::spawn_local(async move {
            let done: Result<WorldPublished, ApiError> = match &subject {
                Subject::Upload { name, crs } => match chosen_file() {
                    Some(file) => api::world_publish(&file, name, crs, check.base_version).await,
                    None => Err(ApiError::local(0, "the file is no longer chosen".into())),
                },
                Subject::Edits(edits) => {
                    let body = WorldEdits { base_version: check.base_version, edits: edits.clone(), note: None };
                    api::world_edits(&body).await
                }
            };
            match done {
                Ok(p) => {
                    let moved = (
                        crate::i18n::tr(Lang::Zh, T::IncidentsMoved).replace("{}", &p.moved_incidents.to_string()),
                        crate::i18n::tr(Lang::En, T::IncidentsMoved).replace("{}", &p.moved_incidents.to_string()),
                    );
                    let published = (
                        crate::i18n::tr(Lang::Zh, T::WorldPublished).replace("{}", &p.version.to_string()),
                        crate::i18n::tr(Lang::En, T::WorldPublished).replace("{}", &p.version.to_string()),
                    );
                    let tool = w.tool.get_untracked();
                    w.use_tool(tool);
                    w.message.set(Some(Ok((
                        format!("{}，{}", published.0, moved.0),
                        format!("{}; {}", published.1, moved.1),
                    ))));
                    w.reloads.update(|r| *r += 1);
                    w.busy.set(false);
                    if wait_for_version(p.version).await {
                        ctx.with_map(|m| m.reload_world(p.version));
                        w.message.try_set(Some(Ok((
                            crate::i18n::tr(Lang::Zh, T::WorldReloaded).replace("{}", &p.version.to_string()),
                            crate::i18n::tr(Lang::En, T::WorldReloaded).replace("{}", &p.version.to_string()),
                        ))));
                        set_loaded_version(p.version);
                    }
                }
                Err(e) => w.message.set(Some(Err(e))),
            }
            w.busy.set(false);
        });
    }
}

/// Waits (up to a minute) until this server has loaded world `version`.
async fn wait_for_version(version: u32) -> bool {
    for _ in 0..120 {
        if api::health().await.is_ok_and(|h| h.world_version.is_some_and(|v| v >= version)) {
            return true;
        }
        sleep_ms(500).await;
    }
    false
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Marks the page with the world version its map shows (for people debugging, and tests).
fn set_loaded_version(version: u32) {
    if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("world-desk")) {
        let _ = el.set_attribute("data-world-version", &version.to_string());
    }
}

fn chosen_file() -> Option<web_sys::File> {
    let input: web_sys::HtmlInputElement =
        web_sys::window()?.document()?.get_element_by_id("world-file")?.dyn_into().ok()?;
    input.files()?.get(0)
}

/// A number typed in an input; `None` when empty or not a number.
fn number(id: &str) -> Option<f64> {
    input_value(id).trim().parse().ok().filter(|v: &f64| v.is_finite())
}

/// The header button (administrators and the command centre).
#[component]
pub fn WorldButton() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let w = expect_context::<WorldCtx>();
    view! {
        <button id="world-button" class="chip" class:on=move || w.open.get()
            on:click=move |_| {
                let open = !w.open.get_untracked();
                w.open.set(open);
                if !open {
                    w.use_tool(Tool::None);
                }
            }>{move || ctx.t(T::BaseData)}</button>
    }
}

/// The desk's panel.
#[component]
pub fn WorldPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let w = expect_context::<WorldCtx>();
    let zh = move || ctx.lang.get() == Lang::Zh;
    view! {
        <section class="panel" id="world-desk">
            <h2>{move || ctx.t(T::BaseData)}</h2>
            <h3>{move || ctx.t(T::WorldUpload)}</h3>
            <p class="muted small">{move || ctx.t(T::WorldUploadHint)}</p>
            <input type="file" id="world-file" accept=".gpkg,.geojson,.json,.zip" />
            <label class="small">{move || ctx.t(T::WorldCrs)}
                <select id="world-crs">
                    <option value="">{move || ctx.t(T::CrsAsFile)}</option>
                    <option value="wgs84">"WGS84"</option>
                    <option value="cgcs2000">"CGCS2000"</option>
                    <option value="gcj02">"GCJ-02"</option>
                    <option value="bd09">"BD-09"</option>
                </select>
            </label>
            <button id="world-check" class="chip" disabled=move || w.busy.get()
                on:click=move |_| w.check_upload(ctx)>{move || ctx.t(T::WorldCheck)}</button>

            <h3>{move || ctx.t(T::WorldEdit)}</h3>
            <div class="chips">
                {Tool::ALL.map(|tool| view! {
                    <button class="chip" id=format!("tool-{}", tool.key()) class:on=move || w.tool.get() == tool
                        on:click=move |_| w.use_tool(if w.tool.get_untracked() == tool { Tool::None } else { tool })>
                        {move || ctx.t(tool.label())}
                    </button>
                }).collect_view()}
            </div>
            {move || w.tool.get().hint().map(|h| view! { <p class="muted small" id="tool-hint">{move || ctx.t(h)}</p> })}
            <ToolForm />
            {move || w.busy.get().then(|| view! { <p class="muted" id="world-busy">{move || ctx.t(T::WorldChecking)}</p> })}
            {move || w.message.get().map(|m| match m {
                Ok((z, e)) => view! { <p class="ok" id="world-message">{move || if zh() { z.clone() } else { e.clone() }}</p> }.into_any(),
                Err(e) => view! { <p class="error" id="world-message">{move || crate::i18n::api_error(ctx.lang.get(), &e)}</p> }.into_any(),
            })}
            <CheckReport />
            <h3>{move || ctx.t(T::WorldVersions)}</h3>
            <ul class="list small" id="world-versions">
                {move || w.versions.get().into_iter().rev().take(8).map(|v| view! {
                    <li>{format!("v{} · {} · {} · {}", v.version, crate::time::local_minutes(
                        chrono::DateTime::parse_from_rfc3339(&v.published_at).map_or(0, |t| t.timestamp_millis())), v.by, v.note)}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The form of the tool in use: what was picked, and the fields it needs.
#[component]
fn ToolForm() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let w = expect_context::<WorldCtx>();
    let picked = move || {
        let cells = w.cells.get();
        let resource = w.resource.get();
        let mut parts = cells;
        if let Some(id) = resource {
            parts.push(format!("{} {id}", ctx.t(T::Resource)));
        }
        (!parts.is_empty()).then(
            || view! { <p class="small" id="tool-picked">{move || ctx.t(T::Selected)} ": " {parts.join(" + ")}</p> },
        )
    };
    view! {
        {picked}
        {move || match w.tool.get() {
            Tool::Split => Some(view! {
                <button class="chip" id="finish-line" disabled=move || w.points.get().len() < 2 || w.cells.get().is_empty()
                    on:click=move |_| {
                        let Some(code) = w.cells.get_untracked().first().cloned() else { return };
                        w.check_edits(vec![Edit::SplitCell { code, line: w.points.get_untracked() }]);
                    }>{move || ctx.t(T::FinishLine)}</button>
            }.into_any()),
            Tool::Cell => w.cells.get().first().cloned().map(|code| view! {
                <div class="form">
                    <label>{move || ctx.t(T::Name)}<input id="cell-name" /></label>
                    <label>{move || ctx.t(T::Population)}<input id="cell-population" type="number" min="0" /></label>
                    <button class="chip" id="cell-check" on:click=move |_| {
                        let name = Some(input_value("cell-name")).filter(|n| !n.trim().is_empty());
                        let population = number("cell-population").map(|p| p.max(0.0) as u64);
                        w.check_edits(vec![Edit::EditCell { code: code.clone(), name, population }]);
                    }>{move || ctx.t(T::WorldCheck)}</button>
                </div>
            }.into_any()),
            Tool::Add => w.points.get().first().copied().map(|[lon, lat]| view! {
                <div class="form">
                    <label>{move || ctx.t(T::Kind)}
                        <select id="resource-kind">
                            <option value="camera">{move || ctx.t(T::KindCamera)}</option>
                            <option value="station">{move || ctx.t(T::KindStation)}</option>
                            <option value="checkpoint">{move || ctx.t(T::KindCheckpoint)}</option>
                            <option value="key_place">{move || ctx.t(T::KindKeyPlace)}</option>
                            <option value="alarm">{move || ctx.t(T::KindAlarm)}</option>
                        </select>
                    </label>
                    <label>{move || ctx.t(T::Name)}<input id="resource-name" /></label>
                    <CameraFields />
                    <button class="chip" id="resource-check" on:click=move |_| {
                        w.check_edits(vec![Edit::AddResource {
                            kind: input_value("resource-kind"),
                            name: input_value("resource-name"),
                            lon,
                            lat,
                            subtype: None,
                            heading_deg: number("resource-heading"),
                            fov_deg: number("resource-fov"),
                            range_m: number("resource-range"),
                        }]);
                    }>{move || ctx.t(T::WorldCheck)}</button>
                </div>
            }.into_any()),
            Tool::Move => w.resource.get().map(|id| view! {
                <div class="form">
                    <CameraFields />
                    <button class="chip" id="resource-check" on:click=move |_| {
                        let at = w.points.get_untracked().first().copied();
                        w.check_edits(vec![Edit::UpdateResource {
                            id,
                            name: None,
                            lon: at.map(|p| p[0]),
                            lat: at.map(|p| p[1]),
                            heading_deg: number("resource-heading"),
                            fov_deg: number("resource-fov"),
                            range_m: number("resource-range"),
                        }]);
                    }>{move || ctx.t(T::WorldCheck)}</button>
                </div>
            }.into_any()),
            _ => None,
        }}
    }
}

/// A camera's direction fields (left empty for other kinds).
#[component]
fn CameraFields() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <label>{move || ctx.t(T::HeadingDeg)}<input id="resource-heading" type="number" min="0" max="359" /></label>
        <label>{move || ctx.t(T::FovDeg)}<input id="resource-fov" type="number" min="1" max="360" /></label>
        <label>{move || ctx.t(T::RangeM)}<input id="resource-range" type="number" min="1" max="5000" /></label>
    }
}

/// Most problems listed (all are drawn on the map).
const LISTED: usize = 200;

/// The last check: valid or not, what would change, every problem (click one to go there), and
/// the publish button.
#[component]
fn CheckReport() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let w = expect_context::<WorldCtx>();
    move || {
        w.check.get().map(|(_, c)| {
            let zh = ctx.lang.get() == Lang::Zh;
            let status = if c.valid { T::WorldValid } else { T::WorldInvalid };
            let can_publish = c.valid
                && c.outside_jurisdiction.is_none()
                && c.changes.iter().any(|l| !(l.added.is_empty() && l.changed.is_empty() && l.removed.is_empty()));
            let changes = c
                .changes
                .iter()
                .filter(|l| !(l.added.is_empty() && l.changed.is_empty() && l.removed.is_empty()))
                .map(|l| {
                    let codes = |v: &[String]| v.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
                    view! {
                        <li class="change" data-layer=l.layer.clone()>
                            <b>{l.layer.clone()}</b>
                            {format!(" {} {} · {} {} · {} {}",
                                ctx.t(T::WorldAdded), l.added.len(), ctx.t(T::WorldChanged), l.changed.len(), ctx.t(T::WorldRemoved), l.removed.len())}
                            <div class="muted small">{[codes(&l.added), codes(&l.changed), codes(&l.removed)]
                                .into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" / ")}</div>
                        </li>
                    }
                })
                .collect_view();
            let unchanged = c.changes.iter().all(|l| l.added.is_empty() && l.changed.is_empty() && l.removed.is_empty());
            // Errors and the warnings on what changes; the warnings the world had before are counted.
            let listed: Vec<_> = c.problems.iter().filter(|p| p.severity == "error" || p.on_change).collect();
            let before = c.problems.len() - listed.len();
            let more = listed.len().saturating_sub(LISTED);
            let problems = listed
                .into_iter()
                .take(LISTED)
                .map(|p| {
                    let (lon, lat) = (p.lon, p.lat);
                    let label = if zh { p.label_zh.clone() } else { p.label_en.clone() };
                    let area = p.area_m2.map(|a| format!(" · {a:.0} m²")).unwrap_or_default();
                    let detail = if zh { String::new() } else { format!(" — {}", p.detail) };
                    view! {
                        <li class=format!("problem {}", p.severity) data-kind=p.kind.clone()
                            on:click=move |_| if let (Some(lon), Some(lat)) = (lon, lat) { ctx.with_map(|m| m.fly_to(lon, lat, 14.0)) }>
                            {format!("{} · {} {}{}{}", label, p.layer, p.code, area, detail)}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div id="world-report" data-valid=c.valid.to_string() data-errors=c.errors.to_string()>
                    <p class=if c.valid { "ok" } else { "error" } id="world-status">
                        {ctx.t(status)} {format!(" · {} {} · {} {}", c.errors, ctx.t(T::WorldErrors), c.warnings, ctx.t(T::WorldWarnings))}
                    </p>
                    {c.notes.iter().map(|n| view! { <p class="muted small">{n.clone()}</p> }).collect_view()}
                    {c.outside_jurisdiction.as_ref().map(|o| view! {
                        <p class="error" id="world-outside">{ctx.t(T::WorldOutside)} {format!(": {} {}", o.layer, o.code)}</p>
                    })}
                    <h3>{ctx.t(T::WorldChanges)}</h3>
                    <ul class="list small" id="world-changes">
                        {changes}
                        {unchanged.then(|| view! { <li class="muted">{ctx.t(T::WorldNoChange)}</li> })}
                    </ul>
                    <button class="chip primary" id="world-publish" disabled=move || !can_publish || w.busy.get()
                        on:click=move |_| w.publish(ctx)>{ctx.t(T::WorldPublish)}</button>
                    {(before < c.problems.len()).then(|| view! { <h3>{ctx.t(T::WorldProblems)}</h3> })}
                    <ul class="list small" id="world-problems">{problems}</ul>
                    {(more > 0).then(|| view! { <p class="muted small">{ctx.t(T::WorldMoreProblems).replace("{}", &more.to_string())}</p> })}
                    {(before > 0).then(|| view! { <p class="muted small" id="world-before">{ctx.t(T::WorldWarningsBefore).replace("{}", &before.to_string())}</p> })}
                </div>
            }
        })
    }
}
