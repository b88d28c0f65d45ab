//! The dashboard: state shared through context, the layout, and the wiring between controls,
//! the map and the panels.

use crate::api::{self, Filter};
use crate::i18n::{Lang, T, category, tr};
use crate::map::{Map, MapEvent, MapOptions, Metric, category_color, scale};
use crate::panels::{Breadcrumb, Details, Kpis, SearchBox};
use crate::time::{input_value, now_ms, parse_input};
use leptos::html;
use leptos::prelude::*;
use model::api::Me;
use model::taxonomy::Workflow;
use model::{Category, ResourceKind};
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;
/// Wuwei's extent (WGS84), the initial view.
pub const CITY_BOUNDS: [f64; 4] = [101.85, 36.6, 104.25, 39.5];
/// How far back the time slider reaches.
const HISTORY_DAYS: i64 = 365;

/// The preset time windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The last 24 hours.
    H24,
    /// The last 7 days.
    D7,
    /// The last 30 days.
    D30,
    /// From and to chosen by hand.
    Custom,
}

impl Preset {
    fn length_ms(self) -> i64 {
        match self {
            Preset::H24 => DAY_MS,
            Preset::D7 => 7 * DAY_MS,
            Preset::D30 | Preset::Custom => 30 * DAY_MS,
        }
    }
}

/// What is selected for the details panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Nothing.
    None,
    /// A city, county, township or village.
    Region(String),
    /// A grid cell.
    Cell(String),
    /// An incident.
    Incident(u64),
}

/// Which layer groups are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    pub cells: bool,
    pub incidents: bool,
    pub regions: bool,
    pub stations: bool,
    pub cameras: bool,
    pub hotspots: bool,
    pub alerts: bool,
    pub gap: bool,
    pub blind: bool,
    pub backlog: bool,
}

/// What the analysis layers last loaded: the description (zh, en) and the near-repeat alerts.
#[derive(Debug, Clone, Default)]
pub struct AnalysisInfo {
    /// `None` while computing.
    pub description: Option<(String, String)>,
    /// Open near-repeat alerts (when that layer is on).
    pub alerts: Option<usize>,
    /// The forecast's method per county and why (empty for other analyses).
    pub methods: Vec<model::api::hotspots::CountyMethod>,
    /// The forecast's cells by code, for the clicked cell's details (empty for other analyses).
    pub forecast_cells: std::sync::Arc<std::collections::HashMap<String, model::api::hotspots::RiskCell>>,
}

/// State shared by every component.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub lang: RwSignal<Lang>,
    pub preset: RwSignal<Preset>,
    /// End of a preset window (the slider moves it), Unix ms.
    pub end_ms: RwSignal<i64>,
    pub custom_from: RwSignal<i64>,
    pub custom_to: RwSignal<i64>,
    pub playing: RwSignal<bool>,
    pub categories: RwSignal<Vec<Category>>,
    pub metric: RwSignal<Metric>,
    /// Region or cell the whole dashboard is filtered to (`None`: the city).
    pub scope: RwSignal<Option<String>>,
    pub selection: RwSignal<Selection>,
    pub layers: RwSignal<Layers>,
    /// When the page was loaded (the right end of the slider).
    pub loaded_ms: i64,
    pub filter: Memo<Filter>,
    pub map: StoredValue<Option<Map>>,
    /// Whether the map exists: the map is made after the page's first fetch, so an effect that
    /// draws on it must run again once it does.
    pub map_ready: RwSignal<bool>,
    /// The analysis the hot-spot layer shows.
    pub analysis: RwSignal<api::Analysis>,
    /// What it last loaded.
    pub analysis_info: RwSignal<AnalysisInfo>,
    /// The last call that failed while loading a layer or panel: what, and why (shown until
    /// dismissed or the next failure).
    pub failure: RwSignal<Option<(T, api::ApiError)>>,
}

impl Ctx {
    /// The map, once created. Inside an effect it tracks [`Ctx::map_ready`], so an effect that
    /// ran before the map existed runs again when it does.
    /// After sign-out (the dashboard disposed) it does nothing: answers still in flight may call it.
    pub fn with_map(&self, f: impl FnOnce(&Map)) {
        if self.map_ready.try_get().is_none() {
            return;
        }
        if let Some(Some(m)) = self.map.try_get_value() {
            f(&m);
        }
    }

    /// Translates a UI string in the current language.
    pub fn t(&self, t: T) -> &'static str {
        tr(self.lang.get(), t)
    }
}

/// Signed-in state: `None` while checking, `Some(None)` signed out, `Some(Some(me))` signed in.
pub type Session = RwSignal<Option<Option<Me>>>;

/// The signed-in user, if any, once the server's event taxonomy is in force (the categories of
/// everything the dashboard reads are the server's).
pub(crate) async fn signed_in() -> Option<Me> {
    let me = api::me().await.unwrap_or(None)?;
    if let Ok(text) = api::taxonomy().await {
        match model::taxonomy::Taxonomy::parse(&text) {
            // Already in force after signing out and in again: the same server's.
            Ok(t) => drop(model::taxonomy::install(t)),
            Err(e) => leptos::logging::error!("the server's taxonomy: {e}"),
        }
    }
    Some(me)
}

#[component]
pub fn App() -> impl IntoView {
    let lang = RwSignal::new(Lang::Zh);
    let session: Session = RwSignal::new(None);
    api::on_unauthorized(move || session.set(Some(None)));
    leptos::task::spawn_local(async move { session.set(Some(signed_in().await)) });
    view! {
        {move || match session.get() {
            None => view! { <p class="muted" style="padding:20px">"…"</p> }.into_any(),
            Some(None) => view! { <Login lang=lang session=session /> }.into_any(),
            Some(Some(me)) => view! { <Dashboard lang=lang session=session me=me /> }.into_any(),
        }}
    }
}

#[component]
pub(crate) fn Login(lang: RwSignal<Lang>, session: Session) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move || {
        busy.set(true);
        error.set(None);
        let (u, p) = (username.get_untracked(), password.get_untracked());
        leptos::task::spawn_local(async move {
            match api::login(&u, &p).await {
                Ok(()) => session.set(Some(signed_in().await)),
                Err(e) => error.set(Some(match e.status {
                    401 => tr(lang.get_untracked(), T::LoginRefused).to_owned(),
                    429 => tr(lang.get_untracked(), T::LoginThrottled).to_owned(),
                    _ => format!(
                        "{}: {}",
                        tr(lang.get_untracked(), T::Error),
                        crate::i18n::api_error(lang.get_untracked(), &e)
                    ),
                })),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="login">
            <form on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <h1 id="title">{move || tr(lang.get(), T::Title)}</h1>
                <label>{move || tr(lang.get(), T::Username)}</label>
                <input id="login-username" type="text" autocomplete="username" prop:value=move || username.get()
                    on:input=move |ev| username.set(event_target_value(&ev)) />
                <label>{move || tr(lang.get(), T::Password)}</label>
                <input id="login-password" type="password" autocomplete="current-password" prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev)) />
                <button id="login-submit" class="chip on" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { tr(lang.get(), T::SigningIn) } else { tr(lang.get(), T::SignIn) }}
                </button>
                {move || error.get().map(|e| view! { <p class="error" id="login-error">{e}</p> })}
                <button class="chip" type="button" on:click=move |_| lang.update(|l| *l = if *l == Lang::Zh { Lang::En } else { Lang::Zh })>
                    {move || tr(lang.get(), T::Switch)}
                </button>
            </form>
        </div>
    }
}

#[component]
fn Dashboard(lang: RwSignal<Lang>, session: Session, me: Me) -> impl IntoView {
    let loaded_ms = now_ms();
    let preset = RwSignal::new(Preset::D30);
    let end_ms = RwSignal::new(loaded_ms);
    let custom_from = RwSignal::new(loaded_ms - 7 * DAY_MS);
    let custom_to = RwSignal::new(loaded_ms);
    let categories = RwSignal::new(Category::all().to_vec());
    let scope = RwSignal::new(None::<String>);
    let filter = Memo::new(move |_| {
        let (from_ms, to_ms) = match preset.get() {
            Preset::Custom => (custom_from.get(), custom_to.get()),
            p => (end_ms.get() - p.length_ms(), end_ms.get()),
        };
        Filter { from_ms, to_ms, categories: categories.get(), region: scope.get() }
    });
    let ctx = Ctx {
        lang,
        preset,
        end_ms,
        custom_from,
        custom_to,
        playing: RwSignal::new(false),
        categories,
        metric: RwSignal::new(Metric::Count),
        scope,
        selection: RwSignal::new(Selection::None),
        layers: RwSignal::new(Layers {
            cells: true,
            incidents: true,
            regions: true,
            stations: true,
            cameras: false,
            hotspots: false,
            alerts: false,
            gap: false,
            blind: false,
            backlog: false,
        }),
        loaded_ms,
        filter,
        map: StoredValue::new(None),
        map_ready: RwSignal::new(false),
        analysis: RwSignal::new(api::Analysis::GiStar),
        analysis_info: RwSignal::new(AnalysisInfo::default()),
        failure: RwSignal::new(None),
    };
    provide_context(ctx);
    crate::command::start(ctx, me.user.role.writes_cases());
    let planner = crate::planner::start(ctx);
    let scorecard = crate::scorecard::start(ctx, me.user.role.reads_scorecard());
    let desk = crate::desk::start(ctx, me.user.role);
    let world = crate::world_desk::start(ctx, me.user.role.edits_world());
    crate::orders::start(&me);
    // Department staff see their work orders, not the situation.
    let staff = !me.user.role.sees_situation();
    fit_to_jurisdiction(ctx, me.scope.clone());

    // Keep <html lang> and the title in step with the language.
    Effect::new(move |_| {
        let l = lang.get();
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(tr(l, T::Title));
            if let Some(root) = doc.document_element() {
                let _ = root.set_attribute("lang", if l == Lang::Zh { "zh-CN" } else { "en" });
            }
        }
    });

    // The video wall (大屏) at /wall, for everyone who sees the situation.
    if crate::wall::is_wall_page() && !staff {
        return view! { <crate::wall::Wall roots=me.scope.clone() /> }.into_any();
    }
    view! {
        <div class="app">
            <header class="top">
                <h1 id="title">{move || ctx.t(T::Title)}</h1>
                {(!staff).then(|| view! { <Kpis /> <crate::command::UnitCounts /> <crate::command::AlertBell /> <crate::command::WallButton /> })}
                {(me.user.role.handles_cases() && !staff).then(|| view! { <crate::planner::PlannerButton /> })}
                {((me.user.role.handles_cases() || me.user.role.takes_charge()) && !staff).then(|| view! { <crate::desk::DeskButton /> })}
                {me.user.role.reads_scorecard().then(|| view! { <crate::scorecard::ScorecardButton /> })}
                {world.allowed.then(|| view! { <crate::world_desk::WorldButton /> })}
                <span class="lang muted" id="signed-in">
                    {me.user.username.clone()} " · " {move || if lang.get() == Lang::Zh { me.user.role.label_zh() } else { me.user.role.label_en() }}
                </span>
                <button id="lang-switch" class="chip" on:click=move |_| lang.update(|l| *l = if *l == Lang::Zh { Lang::En } else { Lang::Zh })>
                    {move || ctx.t(T::Switch)}
                </button>
                <button id="sign-out" class="chip" on:click=move |_| {
                    leptos::task::spawn_local(async move {
                        let _ = api::logout().await;
                        session.set(Some(None));
                    })
                }>{move || ctx.t(T::SignOut)}</button>
            </header>
            <Show when=move || staff>
                <main class="department-desk">
                    <crate::orders::WorkListPanel />
                    <section class="order-details"><Details /></section>
                </main>
            </Show>
            <Show when=move || !staff>
            <aside class="left">
                <WindowControls />
                <CategoryFilter />
                <MetricControl />
                <LayerToggles />
                <SearchBox />
                {me.user.role.is_admin().then(|| view! { <crate::panels::AuditLog /> })}
                {me.user.role.leads().then(|| view! { <crate::orders::SatisfactionPanel /> })}
            </aside>
            <div class="crumbs"><Breadcrumb /></div>
            <main class="map"><MapView /><crate::command::AlertNotice /></main>
            <crate::command::AlertTray />
            <aside class="right">
                <Show when=move || world.open.get() fallback=move || view! {
                <Show when=move || desk.open.get()
                    fallback=move || view! {
                        <Show when=move || scorecard.open.get()
                            fallback=move || view! {
                                <Show when=move || planner.open.get()
                                    fallback=|| view! { <crate::command::EventQueue /><Details /> }>
                                    <crate::planner::PlannerPanel />
                                </Show>
                            }>
                            <crate::scorecard::ScorecardPanel leads=me.user.role.leads() />
                        </Show>
                    }>
                    <crate::desk::DeskPanel />
                </Show>
                }>
                    <crate::world_desk::WorldPanel />
                </Show>
            </aside>
            </Show>
        </div>
    }
    .into_any()
}

/// A user whose jurisdiction is smaller than the city (a county, a township, a village officer's
/// villages) lands on it: the map is fitted to their regions once it exists.
fn fit_to_jurisdiction(ctx: Ctx, roots: Vec<String>) {
    if roots.is_empty() || roots.iter().any(|r| r.ends_with("00000000")) {
        return; // the city (or the whole of it)
    }
    let fitted = StoredValue::new(false);
    Effect::new(move |_| {
        if !ctx.map_ready.get() || fitted.get_value() {
            return;
        }
        fitted.set_value(true);
        let roots = roots.clone();
        leptos::task::spawn_local(async move {
            let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
            for root in roots {
                if let Some(hit) = api::region_path(&root).await.ok().and_then(|p| p.into_iter().last()) {
                    let c = hit.bbox;
                    b = [b[0].min(c[0]), b[1].min(c[1]), b[2].max(c[2]), b[3].max(c[3])];
                }
            }
            if b[0].is_finite() {
                ctx.with_map(|m| m.fit(b));
            }
        });
    });
}

/// The map, with its layers following the filters and toggles.
#[component]
pub fn MapView() -> impl IntoView {
    let planner = expect_context::<crate::planner::PlannerCtx>();
    let ctx = expect_context::<Ctx>();
    let world = expect_context::<crate::world_desk::WorldCtx>();
    let div = NodeRef::<html::Div>::new();
    // Create the map once the element exists (after the first render).
    Effect::new(move |created: Option<bool>| {
        if created == Some(true) {
            return true;
        }
        let Some(el) = div.get() else { return false };
        let f = ctx.filter.get_untracked();
        let window_days = (f.to_ms - f.from_ms) as f64 / DAY_MS as f64;
        let el: web_sys::HtmlElement = el.into();
        leptos::task::spawn_local(async move {
            // Base layers are optional; without the config the map still works.
            let base_layers = api::config().await.map(|c| c.base_layers).unwrap_or_default();
            // Signed out while the config loaded: the dashboard is gone, and so is the map's place.
            let Some(metric) = ctx.metric.try_get_untracked() else { return };
            let options = MapOptions {
                bounds: CITY_BOUNDS,
                regions_url: api::regions_tiles(),
                cells_url: api::cells_tiles(&f),
                incidents_url: api::incidents_tiles(&f),
                stations_url: api::resources_url(ResourceKind::Station),
                cameras_url: api::resources_url(ResourceKind::Camera),
                glyphs_url: api::glyphs_url(),
                category_colors: Category::all().iter().map(|c| (c.as_str(), category_color(*c))).collect(),
                backlog_colors: crate::map::BACKLOG_BAND_COLORS,
                scale: scale(metric, window_days),
                base_layers,
            };
            let map = Map::create(&el, &options, move |ev| match ev {
                MapEvent::Incident { id } => ctx.selection.set(crate::app::Selection::Incident(id)),
                MapEvent::Cell { code } => ctx.selection.set(crate::app::Selection::Cell(code)),
                MapEvent::Region { code } => ctx.selection.set(crate::app::Selection::Region(code)),
                MapEvent::Point { lon, lat, cell, resource } => world.on_point(lon, lat, cell, resource),
                MapEvent::Idle | MapEvent::Resource { .. } => {}
            });
            if ctx.map.try_set_value(Some(map)).is_some() {
                return;
            }
            let l = ctx.layers.get_untracked();
            map.set_visible("cameras", l.cameras);
            ctx.map_ready.set(true);
        });
        true
    });
    // Filters → tile URLs; metric and window length → colour scale; toggles → visibility.
    Effect::new(move |_| {
        let f = ctx.filter.get();
        ctx.with_map(|m| m.set_sources(&api::incidents_tiles(&f), &api::cells_tiles(&f)));
    });
    Effect::new(move |_| {
        let f = ctx.filter.get();
        let s = scale(ctx.metric.get(), (f.to_ms - f.from_ms) as f64 / DAY_MS as f64);
        ctx.with_map(|m| m.set_scale(&s));
    });
    Effect::new(move |_| {
        let l = ctx.layers.get();
        ctx.with_map(|m| {
            m.set_visible("cells", l.cells);
            m.set_visible("incidents", l.incidents);
            m.set_visible("regions", l.regions);
            m.set_visible("stations", l.stations);
            m.set_visible("cameras", l.cameras);
            m.set_visible("hotspots", l.hotspots);
            m.set_visible("alerts", l.alerts);
            m.set_visible("gap", l.gap);
            m.set_visible("blind", l.blind);
            m.set_visible("backlog", l.backlog);
        });
    });
    // The analysis layer is computed only while it is shown; a newer request wins over an older.
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let (f, a) = (ctx.filter.get(), ctx.analysis.get());
        if !ctx.layers.get().hotspots {
            return;
        }
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        ctx.analysis_info.update(|i| {
            i.description = None;
            i.methods.clear();
            i.forecast_cells = Default::default();
        });
        leptos::task::spawn_local(async move {
            let answer = api::analysis(a, &f).await;
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match answer {
                Ok(answer) => {
                    let style = crate::map::analysis_style(a, answer.max_density_per_km2());
                    ctx.with_map(|m| m.set_hotspots(&answer.geojson(), &style));
                    let d = answer.description().clone();
                    let methods = answer.county_methods();
                    let forecast_cells = std::sync::Arc::new(answer.forecast_cells());
                    ctx.analysis_info.try_update(|i| {
                        i.description = Some((d.description_zh, d.description_en));
                        i.methods = methods;
                        i.forecast_cells = forecast_cells;
                    });
                }
                Err(e) => {
                    ctx.analysis_info.try_update(|i| {
                        i.description =
                            Some((crate::i18n::api_error(Lang::Zh, &e), crate::i18n::api_error(Lang::En, &e)))
                    });
                }
            }
        });
    });
    // The gap map follows the region in view and the planned visits of the current plan.
    Effect::new(move |_| {
        let region = ctx.filter.get().region;
        let planned = planner.planned_cells();
        if !ctx.layers.get().gap {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::coverage(region.as_deref(), &planned).await {
                Ok(fc) => ctx.with_map(|m| m.set_layer_data("gap", &fc.0)),
                Err(e) => {
                    ctx.failure.try_set(Some((T::LayerGap, e)));
                }
            }
        });
    });
    // The backlog age layer follows the region in view and every desk write.
    let desk = expect_context::<crate::desk::DeskCtx>();
    Effect::new(move |_| {
        let region = ctx.filter.get().region;
        desk.version.track();
        if !ctx.layers.get().backlog {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::backlog_heat(region.as_deref()).await {
                Ok(fc) => ctx.with_map(|m| m.set_layer_data("backlog", &fc.0)),
                Err(e) => {
                    ctx.failure.try_set(Some((T::LayerBacklog, e)));
                }
            }
        });
    });
    Effect::new(move |_| {
        let region = ctx.filter.get().region;
        if !ctx.layers.get().blind {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::blind_spots(region.as_deref()).await {
                Ok(fc) => ctx.with_map(|m| m.set_layer_data("blind", &fc.0)),
                Err(e) => {
                    ctx.failure.try_set(Some((T::LayerBlind, e)));
                }
            }
        });
    });
    Effect::new(move |_| {
        let f = ctx.filter.get();
        if !ctx.layers.get().alerts {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::near_repeat(&f).await {
                Ok(fc) => {
                    let n = fc.features.len();
                    ctx.with_map(|m| m.set_alerts(&serde_json::to_string(&fc).unwrap_or_default()));
                    ctx.analysis_info.try_update(|i| i.alerts = Some(n));
                }
                Err(e) => ctx.failure.set(Some((T::LayerAlerts, e))),
            }
        });
    });
    Effect::new(move |_| {
        let code = match ctx.selection.get() {
            Selection::Cell(c) => c,
            _ => String::new(),
        };
        ctx.with_map(|m| m.select_cell(&code));
    });
    // The current filter, for people debugging and for browser tests.
    view! { <div id="map" node_ref=div data-query=move || ctx.filter.get().query(true)></div> }
}

#[component]
fn WindowControls() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let preset_button = move |p: Preset, label: T| {
        view! {
            <button class="chip" class:on=move || ctx.preset.get() == p on:click=move |_| {
                ctx.preset.set(p);
                if p != Preset::Custom {
                    ctx.end_ms.set(now_ms());
                }
            }>{move || ctx.t(label)}</button>
        }
    };
    // Play: move the window's end forward one step at a time up to now.
    Effect::new(move |handle: Option<Option<IntervalHandle>>| {
        if let Some(Some(h)) = handle {
            h.clear();
        }
        if !ctx.playing.get() {
            return None;
        }
        set_interval_with_handle(
            move || {
                let step = if ctx.preset.get_untracked() == Preset::H24 { 3_600_000 } else { DAY_MS };
                let next = ctx.end_ms.get_untracked() + step;
                if next >= now_ms() {
                    ctx.end_ms.set(now_ms());
                    ctx.playing.set(false);
                } else {
                    ctx.end_ms.set(next);
                }
            },
            Duration::from_millis(900),
        )
        .ok()
    });
    view! {
        <section>
            <h2>{move || ctx.t(T::Window)}</h2>
            <div class="row">
                {preset_button(Preset::H24, T::Last24h)}
                {preset_button(Preset::D7, T::Last7d)}
                {preset_button(Preset::D30, T::Last30d)}
                {preset_button(Preset::Custom, T::Custom)}
            </div>
            <Show
                when=move || ctx.preset.get() == Preset::Custom
                fallback=move || {
                    view! {
                        <div>
                            <label class="muted">
                                {move || ctx.t(T::WindowEnd)} ": " {move || crate::time::local_minutes(ctx.end_ms.get())}
                            </label>
                            <input
                                id="window-end"
                                type="range"
                                min=ctx.loaded_ms - HISTORY_DAYS * DAY_MS
                                max=ctx.loaded_ms
                                step=3_600_000
                                prop:value=move || ctx.end_ms.get().to_string()
                                on:input=move |ev| {
                                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                        ctx.end_ms.set(v as i64);
                                    }
                                }
                            />
                            <button id="play" class="chip" on:click=move |_| {
                                if !ctx.playing.get() && ctx.end_ms.get() >= now_ms() - 60_000 {
                                    ctx.end_ms.set(now_ms() - 30 * DAY_MS);
                                }
                                ctx.playing.update(|p| *p = !*p);
                            }>{move || if ctx.playing.get() { ctx.t(T::Pause) } else { ctx.t(T::Play) }}</button>
                        </div>
                    }
                }
            >
                <label>{move || ctx.t(T::From)}</label>
                {time_input("custom-from", ctx.custom_from)}
                <label>{move || ctx.t(T::To)}</label>
                {time_input("custom-to", ctx.custom_to)}
            </Show>
        </section>
    }
}

/// A time input (`YYYY-MM-DD HH:MM`, China time) bound to `ms`: a typo is marked, not taken.
fn time_input(id: &'static str, ms: RwSignal<i64>) -> impl IntoView {
    view! {
        <input type="text" class="time" inputmode="numeric" maxlength="19" placeholder=crate::time::INPUT_FORMAT
            id=id prop:value=move || input_value(ms.get())
            on:change=move |ev| {
                let v = parse_input(&event_target_value(&ev));
                crate::time::mark_time_input(&ev, v.is_some());
                if let Some(v) = v { ms.set(v) }
            } />
    }
}

#[component]
fn CategoryFilter() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // The taxonomy's kinds, grouped by workflow: the 110 calls, then the 综治 events; a group's
    // heading ticks or clears all of its kinds.
    let group = move |workflow: Workflow, title: T| {
        let kinds: Vec<Category> = Category::all().iter().copied().filter(|c| c.workflow() == workflow).collect();
        if kinds.is_empty() {
            return None;
        }
        let all = kinds.clone();
        Some(view! {
            <label class="check group" data-workflow=if workflow == Workflow::Police { "police" } else { "department" }>
                <input type="checkbox"
                    prop:checked=move || { let cs = ctx.categories.get(); all.iter().all(|c| cs.contains(c)) }
                    on:change={
                        let kinds = kinds.clone();
                        move |_| ctx.categories.update(|cs| {
                            if kinds.iter().all(|c| cs.contains(c)) {
                                cs.retain(|c| !kinds.contains(c));
                            } else {
                                cs.extend(kinds.iter().filter(|c| !cs.contains(c)).copied().collect::<Vec<_>>());
                                cs.sort();
                            }
                        })
                    } />
                <b>{move || ctx.t(title)}</b>
            </label>
            {kinds.into_iter().map(move |c| category_check(ctx, c)).collect_view()}
        })
    };
    view! {
        <section>
            <h2>{move || ctx.t(T::Categories)}</h2>
            {group(Workflow::Police, T::PoliceEvents)}
            {group(Workflow::Department, T::GovernanceEvents)}
        </section>
    }
}

/// One kind's checkbox in the category filter.
fn category_check(ctx: Ctx, c: Category) -> impl IntoView {
    view! {
        <label class="check">
            <input
                type="checkbox"
                data-category=c.as_str()
                prop:checked=move || ctx.categories.get().contains(&c)
                on:change=move |_| {
                    ctx.categories.update(|cs| {
                        if let Some(i) = cs.iter().position(|x| *x == c) {
                            cs.remove(i);
                        } else {
                            cs.push(c);
                            cs.sort();
                        }
                    })
                }
            />
            <span class="swatch" style=format!("background:{}", category_color(c))></span>
            {move || category(ctx.lang.get(), c)}
        </label>
    }
}

#[component]
fn MetricControl() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let legend = move || {
        let f = ctx.filter.get();
        let s = scale(ctx.metric.get(), (f.to_ms - f.from_ms) as f64 / DAY_MS as f64);
        s.stops
            .iter()
            .map(|(v, c)| {
                let label = if v.abs() >= 10.0 || *v == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") };
                view! { <div><div class="box" style=format!("background:{c}")></div><div class="tick">{label}</div></div> }
            })
            .collect_view()
    };
    view! {
        <section>
            <h2>{move || ctx.t(T::Choropleth)}</h2>
            <select id="metric" on:change=move |ev| {
                ctx.metric.set(match event_target_value(&ev).as_str() {
                    "rate" => Metric::Rate,
                    "prev" => Metric::ChangePrev,
                    "yoy" => Metric::ChangeYoy,
                    _ => Metric::Count,
                })
            }>
                <option value="count">{move || ctx.t(T::MetricCount)}</option>
                <option value="rate">{move || ctx.t(T::MetricRate)}</option>
                <option value="prev">{move || ctx.t(T::MetricPrev)}</option>
                <option value="yoy">{move || ctx.t(T::MetricYoy)}</option>
            </select>
            <div class="legend" title=move || ctx.t(T::Legend)>{legend}</div>
        </section>
    }
}

#[component]
fn LayerToggles() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let toggle = move |label: T, id: &'static str, get: fn(&Layers) -> bool, set: fn(&mut Layers, bool)| {
        view! {
            <label class="check">
                <input type="checkbox" data-layer=id prop:checked=move || get(&ctx.layers.get())
                    on:change=move |ev| { let on = event_target_checked(&ev); ctx.layers.update(|l| set(l, on)) } />
                {move || ctx.t(label)}
            </label>
        }
    };
    view! {
        <section>
            <h2>{move || ctx.t(T::Layers)}</h2>
            {toggle(T::LayerCells, "cells", |l| l.cells, |l, v| l.cells = v)}
            {toggle(T::LayerIncidents, "incidents", |l| l.incidents, |l, v| l.incidents = v)}
            {toggle(T::LayerRegions, "regions", |l| l.regions, |l, v| l.regions = v)}
            {toggle(T::LayerStations, "stations", |l| l.stations, |l, v| l.stations = v)}
            {toggle(T::LayerCameras, "cameras", |l| l.cameras, |l, v| l.cameras = v)}
            {toggle(T::LayerGap, "gap", |l| l.gap, |l, v| l.gap = v)}
            <Show when=move || ctx.layers.get().gap>
                <div class="legend">
                    {["#ffeda0", "#feb24c", "#f03b20", "#bd0026"].map(|c| view! { <div class="box" style=format!("background:{c}")></div> }).collect_view()}
                </div>
                <p class="muted" style="font-size:11px">{move || ctx.t(T::GapLegend)}</p>
            </Show>
            {toggle(T::LayerBlind, "blind", |l| l.blind, |l, v| l.blind = v)}
            {toggle(T::LayerBacklog, "backlog", |l| l.backlog, |l, v| l.backlog = v)}
            <Show when=move || ctx.layers.get().backlog>
                <div class="legend">
                    {crate::map::BACKLOG_BAND_COLORS.map(|c| view! { <div class="box" style=format!("background:{c}")></div> }).collect_view()}
                </div>
                <p class="muted" style="font-size:11px">{move || {
                    let l = ctx.lang.get();
                    (0..model::desk::AGE_BANDS).map(|b| if l == Lang::Zh { model::desk::age_band_label_zh(b) } else { model::desk::age_band_label_en(b) })
                        .collect::<Vec<_>>().join(" · ")
                }}</p>
            </Show>
            {toggle(T::LayerHotspots, "hotspots", |l| l.hotspots, |l, v| l.hotspots = v)}
            <Show when=move || ctx.layers.get().hotspots>
                <select id="analysis" on:change=move |ev| ctx.analysis.set(api::Analysis::parse(&event_target_value(&ev)))>
                    {api::Analysis::ALL.map(|a| {
                        let label = match a {
                            api::Analysis::GiStar => T::AnalysisGiStar,
                            api::Analysis::Optimized => T::AnalysisOptimized,
                            api::Analysis::LocalMoran => T::AnalysisLocalMoran,
                            api::Analysis::Emerging => T::AnalysisEmerging,
                            api::Analysis::Kde => T::AnalysisKde,
                            api::Analysis::Forecast => T::AnalysisForecast,
                        };
                        view! { <option value=a.key() selected=move || ctx.analysis.get() == a>{move || ctx.t(label)}</option> }
                    }).collect_view()}
                </select>
                <Show when=move || matches!(ctx.analysis.get(), api::Analysis::GiStar | api::Analysis::Optimized)
                    fallback=move || view! {
                        <div class="legend-rows">
                            {move || crate::map::analysis_style(ctx.analysis.get(), 0.0).legend.into_iter().map(|(c, t)| view! {
                                <div class="legend-row"><span class="box" style=format!("background:{c}")></span>{ctx.t(t)}</div>
                            }).collect_view()}
                        </div>
                    }>
                    <div class="legend">
                        {[-3i8, -2, -1, 1, 2, 3].map(|b| view! { <div class="box" style=format!("background:{}", Map::bin_color(b))></div> }).collect_view()}
                    </div>
                    <p class="muted" style="font-size:11px">{move || ctx.t(T::HotspotLegend)}</p>
                </Show>
                <div id="forecast-methods">
                    {move || ctx.analysis_info.get().methods.into_iter().map(|m| view! { <crate::trials::CountyMethodLine method=m/> }).collect_view()}
                </div>
                <p id="analysis-description" class="muted" style="font-size:11px">
                    {move || match ctx.analysis_info.get().description {
                        None => ctx.t(T::Computing).to_owned(),
                        Some((zh, en)) => if ctx.lang.get() == Lang::Zh { zh } else { en },
                    }}
                </p>
            </Show>
            {toggle(T::LayerAlerts, "alerts", |l| l.alerts, |l, v| l.alerts = v)}
            {move || ctx.failure.get().map(|(what, e)| view! {
                <p class="error" id="load-error">
                    {move || {
                        let lang = ctx.lang.get();
                        let colon = if lang == Lang::Zh { "：" } else { ": " };
                        format!("{}{colon}{}{colon}{}", ctx.t(T::LoadFailed), ctx.t(what), crate::i18n::api_error(lang, &e))
                    }}
                    <button class="link" on:click=move |_| ctx.failure.set(None)>"×"</button>
                </p>
            })}
            <Show when=move || ctx.layers.get().alerts>
                <p id="alerts-count" class="muted" style="font-size:11px">
                    {move || match ctx.analysis_info.get().alerts {
                        None => ctx.t(T::Computing).to_owned(),
                        Some(n) => format!("{n} {}", ctx.t(T::AlertsCount)),
                    }}
                </p>
            </Show>
        </section>
    }
}
