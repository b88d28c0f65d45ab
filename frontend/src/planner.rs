//! The patrol planner (巡逻排班): pick a shift and the units on duty, generate routes over the
//! forecast hot spots (`POST /api/plans`), pin or exclude places and generate again, see the
//! routes on the map with stop timers, print the plan or export it as GeoJSON or CSV.

use crate::api;
use crate::app::Ctx;
use crate::command::LiveCtx;
use crate::i18n::T;
use leptos::prelude::*;
use model::api::patrol::{Plan, PlanRequest};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;

/// Route colours, one per unit in turn.
const ROUTE_COLORS: [&str; 8] =
    ["#3fa7ff", "#ffb000", "#2ecc71", "#ff5c8a", "#b084ff", "#00d1c1", "#ff7a3d", "#e6e65c"];

/// Planner state shared by its panel, the header button and the map layers.
#[derive(Clone, Copy)]
pub struct PlannerCtx {
    /// Whether the planner replaces the event queue on the right.
    pub open: RwSignal<bool>,
    /// The last plan.
    pub plan: RwSignal<Option<Plan>>,
    /// Cells that must be visited.
    pub pinned: RwSignal<Vec<String>>,
    /// Cells not to visit.
    pub excluded: RwSignal<Vec<String>>,
    /// Units chosen.
    pub units: RwSignal<Vec<u64>>,
    /// Shift start as typed, `YYYY-MM-DD HH:MM` (Asia/Shanghai).
    pub start: RwSignal<String>,
    /// Shift length, hours.
    pub hours: RwSignal<f64>,
    /// Minutes per stop.
    pub dwell: RwSignal<f64>,
    /// The special campaign the plan serves (专项整治), if any.
    pub campaign: RwSignal<Option<u64>>,
    /// A request is running.
    pub busy: RwSignal<bool>,
    /// Why there is no plan: `Some(None)` when no unit is chosen, `Some(Some(e))` when the
    /// request failed.
    pub error: RwSignal<Option<Option<api::ApiError>>>,
}

impl PlannerCtx {
    /// The cells the current plan visits, once per planned visit (for the coverage layer).
    pub fn planned_cells(&self) -> Vec<String> {
        self.plan
            .with(|p| p.iter().flat_map(|p| &p.units).flat_map(|u| &u.stops).map(|s| s.cell_code.to_string()).collect())
    }

    fn request(&self) -> PlanRequest {
        let start_ms = crate::time::parse_input(&self.start.get_untracked()).unwrap_or_else(crate::time::now_ms);
        let shift_start = chrono::DateTime::from_timestamp_millis(start_ms).unwrap_or_default();
        let cells = |list: Vec<String>| list.iter().filter_map(|c| c.parse().ok()).collect();
        PlanRequest {
            shift_hours: self.hours.get_untracked(),
            dwell_min: self.dwell.get_untracked(),
            pinned: cells(self.pinned.get_untracked()),
            excluded: cells(self.excluded.get_untracked()),
            campaign: self.campaign.get_untracked(),
            ..PlanRequest::new(shift_start, self.units.get_untracked())
        }
    }
}

/// Sets up the planner state and draws the plan on the map.
pub fn start(ctx: Ctx) -> PlannerCtx {
    let next_hour = (crate::time::now_ms() / 3_600_000 + 1) * 3_600_000;
    let planner = PlannerCtx {
        open: RwSignal::new(false),
        plan: RwSignal::new(None),
        pinned: RwSignal::new(Vec::new()),
        excluded: RwSignal::new(Vec::new()),
        units: RwSignal::new(Vec::new()),
        start: RwSignal::new(crate::time::input_value(next_hour)),
        hours: RwSignal::new(8.0),
        dwell: RwSignal::new(15.0),
        campaign: RwSignal::new(None),
        busy: RwSignal::new(false),
        error: RwSignal::new(None),
    };
    provide_context(planner);
    Effect::new(move |_| {
        let data = planner
            .plan
            .with(|p| p.as_ref().map(plan_features))
            .unwrap_or_else(|| json!({"type": "FeatureCollection", "features": []}));
        ctx.with_map(|m| m.set_layer_data("plan", &data.to_string()));
        // Show the whole plan.
        let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        planner.plan.with(|p| {
            for [x, y] in p.iter().flat_map(|p| &p.units).flat_map(|u| u.route.iter().copied()) {
                b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            }
        });
        if b[0].is_finite() {
            ctx.with_map(|m| m.fit(b));
        }
    });
    planner
}

/// The plan as map features: a coloured route per unit and numbered stops.
fn plan_features(plan: &Plan) -> Value {
    let mut features = Vec::new();
    for (k, u) in plan.units.iter().enumerate() {
        let color = ROUTE_COLORS[k % ROUTE_COLORS.len()];
        features.push(json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": u.route},
            "properties": {"kind": "route", "unit": u.unit, "color": color}}));
        for (i, s) in u.stops.iter().enumerate() {
            features.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {"kind": "stop", "unit": u.unit, "color": color, "order": i + 1, "cell_code": s.cell_code}}));
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

fn generate(planner: PlannerCtx) {
    if planner.units.get_untracked().is_empty() {
        planner.error.set(Some(None));
        return;
    }
    planner.busy.set(true);
    planner.error.set(None);
    let request = planner.request();
    leptos::task::spawn_local(async move {
        match api::plan(&request).await {
            Ok(plan) => {
                planner.plan.try_set(Some(plan));
            }
            Err(e) => {
                planner.error.try_set(Some(Some(e)));
            }
        }
        planner.busy.try_set(false);
    });
}

fn download(planner: PlannerCtx, format: &'static str) {
    let request = planner.request();
    leptos::task::spawn_local(async move {
        match api::plan_file(&request, format).await {
            Ok(text) => {
                let mime = if format == "csv" { "text/csv" } else { "application/geo+json" };
                let href = format!("data:{mime};charset=utf-8,{}", js_sys::encode_uri_component(&text));
                let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
                if let Ok(a) = doc.create_element("a") {
                    let _ = a.set_attribute("href", &href);
                    let _ = a.set_attribute(
                        "download",
                        &format!("patrol-plan.{}", if format == "csv" { "csv" } else { "geojson" }),
                    );
                    if let Ok(a) = a.dyn_into::<web_sys::HtmlElement>() {
                        a.click();
                    }
                }
            }
            Err(e) => planner.error.set(Some(Some(e))),
        }
    });
}

fn toggle(list: RwSignal<Vec<String>>, code: &str) {
    list.update(|l| {
        if let Some(i) = l.iter().position(|c| c == code) {
            l.remove(i);
        } else {
            l.push(code.to_owned());
        }
    });
}

/// The header button that opens the planner.
#[component]
pub fn PlannerButton() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let planner = expect_context::<PlannerCtx>();
    view! {
        <button id="planner-button" class="chip" class:on=move || planner.open.get()
            on:click=move |_| planner.open.update(|o| *o = !*o)>{move || ctx.t(T::Planner)}</button>
    }
}

/// The planner panel.
#[component]
pub fn PlannerPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let live = expect_context::<LiveCtx>();
    let planner = expect_context::<PlannerCtx>();
    // Units on duty: the available ones are chosen first time round.
    Effect::new(move |_| {
        let units = live.units.get();
        if planner.units.get_untracked().is_empty() {
            let available: Vec<u64> =
                units.iter().filter(|u| u.status == model::live::UnitStatus::Available).take(6).map(|u| u.id).collect();
            planner.units.set(available);
        }
    });
    let number = move |label: T, id: &'static str, signal: RwSignal<f64>| {
        view! {
            <label class="field">{move || ctx.t(label)}
                <input type="number" id=id prop:value=move || signal.get().to_string()
                    on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f64>() { signal.set(v) } } />
            </label>
        }
    };
    let hhmm = |t: chrono::DateTime<chrono::Utc>| -> String { crate::time::local_hhmm(t.timestamp_millis()) };
    // The campaigns a plan may serve: running or planned ones the user reads (none for roles
    // that read no campaigns).
    let campaigns = LocalResource::new(|| async {
        api::campaigns()
            .await
            .map(|list| list.into_iter().filter(|c| c.stage != model::api::campaign::CampaignStage::Finished).collect())
            .unwrap_or_else(|_| Vec::<model::api::campaign::CampaignView>::new())
    });
    let campaign_select = move || {
        let list = campaigns.get().unwrap_or_default();
        (!list.is_empty()).then(|| {
            let chosen = planner.campaign.get();
            view! {
                <label class="field">{move || ctx.t(T::Campaigns)}
                    <select id="plan-campaign" on:change=move |ev| planner.campaign.set(event_target_value(&ev).parse().ok())>
                        <option value="" selected=chosen.is_none()>"—"</option>
                        {list.into_iter().map(|c| view! {
                            <option value=c.id.to_string() selected=chosen == Some(c.id)>{c.name}</option>
                        }).collect_view()}
                    </select>
                </label>
            }
        })
    };
    view! {
        <section id="planner">
            <h2>{move || ctx.t(T::Planner)}
                <button class="chip no-print" style="float:right" on:click=move |_| planner.open.set(false)>{move || ctx.t(T::Close)}</button>
            </h2>
            <div class="no-print">
                <label class="field">{move || ctx.t(T::ShiftStart)}
                    <input type="text" class="time" inputmode="numeric" maxlength="19" placeholder=crate::time::INPUT_FORMAT
                        class:invalid=move || crate::time::parse_input(&planner.start.get()).is_none()
                        id="shift-start" prop:value=move || planner.start.get()
                        on:change=move |ev| planner.start.set(event_target_value(&ev)) />
                </label>
                <div class="row">
                    {number(T::ShiftHours, "shift-hours", planner.hours)}
                    {number(T::DwellMin, "dwell-min", planner.dwell)}
                </div>
                {campaign_select}
                <h2>{move || ctx.t(T::PlanUnits)}</h2>
                <div class="unit-list">
                    {move || live.units.get().into_iter().map(|u| {
                        let id = u.id;
                        view! {
                            <label class="check">
                                <input type="checkbox" data-unit=id.to_string()
                                    prop:checked=move || planner.units.get().contains(&id)
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        planner.units.update(|l| { l.retain(|x| *x != id); if on { l.push(id) } });
                                    } />
                                {u.name.clone()}
                            </label>
                        }
                    }).collect_view()}
                </div>
                <div class="row">
                    <button id="generate-plan" class="chip on" disabled=move || planner.busy.get() on:click=move |_| generate(planner)>
                        {move || if planner.busy.get() { ctx.t(T::Planning) } else { ctx.t(T::Generate) }}
                    </button>
                    <Show when=move || !planner.pinned.get().is_empty() || !planner.excluded.get().is_empty()>
                        <span class="muted">{move || format!("{} {} · {} {}", ctx.t(T::Pinned), planner.pinned.get().len(), ctx.t(T::Excluded), planner.excluded.get().len())}</span>
                        <button class="chip" on:click=move |_| { planner.pinned.set(Vec::new()); planner.excluded.set(Vec::new()); }>{move || ctx.t(T::ClearPins)}</button>
                    </Show>
                </div>
                {move || planner.error.get().map(|e| view! {
                    <p class="error" id="plan-error">{match e {
                        None => ctx.t(T::NoUnits).to_owned(),
                        Some(e) => crate::i18n::api_error(ctx.lang.get(), &e),
                    }}</p>
                })}
            </div>
            {move || planner.plan.get().map(|plan| {
                let (coverage, naive) = (plan.coverage, plan.naive_coverage);
                let tag = plan.campaign.clone().map(|(_, name)| view! { <p id="plan-campaign-tag">{move || ctx.t(T::PlanServes)}{name.clone()}</p> });
                let methods = plan.forecast_methods.clone();
                view! {
                    {tag}
                    <div id="plan-forecast-methods">
                        {methods.into_iter().map(|m| view! { <crate::trials::CountyMethodLine method=m/> }).collect_view()}
                    </div>
                    <p id="plan-coverage"><b>{move || ctx.t(T::Coverage)}</b>" "{format!("{:.0}%", coverage * 100.0)}
                        <span class="muted">{move || format!(" ({} {:.0}%)", ctx.t(T::NaiveCoverage), naive * 100.0)}</span></p>
                    {(!plan.unreached_pinned.is_empty()).then(|| {
                        let n = plan.unreached_pinned.len();
                        view! { <p class="error" id="plan-unreached">{move || ctx.t(T::Unreached).replace("{}", &n.to_string())}</p> }
                    })}
                    <div class="row no-print">
                        <button class="chip" id="plan-print" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>{move || ctx.t(T::Print)}</button>
                        <button class="chip" id="plan-geojson" on:click=move |_| download(planner, "geojson")>{move || ctx.t(T::ExportGeojson)}</button>
                        <button class="chip" id="plan-csv" on:click=move |_| download(planner, "csv")>{move || ctx.t(T::ExportCsv)}</button>
                    </div>
                    {plan.units.into_iter().enumerate().map(|(k, u)| {
                        let color = ROUTE_COLORS[k % ROUTE_COLORS.len()];
                        let stops = u.stops;
                        view! {
                            <div class="plan-unit">
                                <div><span class="swatch" style=format!("background:{color}")></span>" "<b>{u.name}</b>
                                    <span class="muted">{format!(" · {} km · ", u.travel_km)}{move || ctx.t(T::Back)}" "{hhmm(u.back_at)}</span></div>
                                <ol class="plan-stops">
                                    {stops.into_iter().map(|s| {
                                        let code = s.cell_code.to_string();
                                        let (c1, c2) = (code.clone(), code.clone());
                                        let (arrive, leave) = (s.arrive.timestamp_millis(), s.leave.timestamp_millis());
                                        let (visit, pinned) = (s.visit, s.pinned);
                                        view! {
                                            <li class="plan-stop" data-cell=code.clone()>
                                                <span>{s.cell_name}{pinned.then_some(" 📌")}</span>
                                                <span class="muted">" "{hhmm(s.arrive)}"–"{hhmm(s.leave)}" · "{move || ctx.t(T::Visit).replace("{}", &visit.to_string())}</span>
                                                <span class="timer">{move || {
                                                    let now = live.now_ms.get() as i64;
                                                    if now < arrive { ctx.t(T::StartsIn).replace("{}", &((arrive - now) / 60_000).to_string()) }
                                                    else if now < leave { ctx.t(T::Now).to_owned() } else { ctx.t(T::Done).to_owned() }
                                                }}</span>
                                                <span class="no-print">
                                                    <button class="chip pin" on:click=move |_| { toggle(planner.pinned, &c1); generate(planner) }>{move || ctx.t(T::Pin)}</button>
                                                    <button class="chip exclude" on:click=move |_| { toggle(planner.excluded, &c2); generate(planner) }>{move || ctx.t(T::Exclude)}</button>
                                                </span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            </div>
                        }
                    }).collect_view()}
                }
            })}
        </section>
    }
}
