//! The live command centre: the feed (new incidents pulse on the map, units move), the event
//! queue with deadline timers and dispatch, the alert tray (a bell with a count, the open alerts
//! newest first by kind, acknowledged from the list; a short notice for urgent ones), and the
//! button to the video wall (`wall.rs`).

use crate::api::{self, ApiError};
use crate::app::{Ctx, Selection};
use crate::i18n::{Lang, T};
use leptos::prelude::*;
use model::live::{Alert, AlertAck, AlertKind, FeedMessage, IncidentData, QueueItem, UnitState, UnitStatus};
use model::{RegionLevel, Status};
use serde_json::Value;

/// Live state shared by the command-centre components.
#[derive(Clone, Copy)]
pub struct LiveCtx {
    /// Patrol units by their last report.
    pub units: RwSignal<Vec<UnitState>>,
    /// Alerts waiting to be acknowledged (newest first).
    pub alerts: RwSignal<Vec<Alert>>,
    /// Whether the alert tray is open.
    pub tray_open: RwSignal<bool>,
    /// The newest urgent alert, shown for a few seconds over the map's corner.
    pub notice: RwSignal<Option<Alert>>,
    /// The newest incidents the feed reported (newest first, at most 30).
    pub recent: RwSignal<Vec<IncidentData>>,
    /// Bumped on every incident or status change (the queue reloads).
    pub changes: RwSignal<u64>,
    /// Whether the feed is connected.
    pub connected: RwSignal<bool>,
    /// The clock for deadline timers (Unix ms, ticks every second).
    pub now_ms: RwSignal<f64>,
    /// Whether the signed-in user may act on cases (dispatch, merge, split).
    pub writes_cases: bool,
}

fn units_geojson(units: &[UnitState]) -> String {
    let features: Vec<Value> = units
        .iter()
        .map(|u| {
            serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [u.lon, u.lat]},
                "properties": {"id": u.id, "name": u.name, "status": u.status.as_str()}})
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// Starts the feed and the clock; call once after sign-in.
pub fn start(ctx: Ctx, writes_cases: bool) -> LiveCtx {
    let live = LiveCtx {
        units: RwSignal::new(Vec::new()),
        alerts: RwSignal::new(Vec::new()),
        tray_open: RwSignal::new(false),
        notice: RwSignal::new(None),
        recent: RwSignal::new(Vec::new()),
        changes: RwSignal::new(0),
        connected: RwSignal::new(false),
        now_ms: RwSignal::new(js_sys::Date::now()),
        writes_cases,
    };
    provide_context(live);
    leptos::task::spawn_local(async move {
        match api::units().await {
            Ok(units) => {
                live.units.try_set(units);
            }
            Err(e) => {
                ctx.failure.try_set(Some((T::Units, e)));
            }
        }
        match api::open_alerts().await {
            // Merged with what the feed brought meanwhile.
            Ok(loaded) => {
                live.alerts.try_update(|all| {
                    for a in loaded {
                        if !all.iter().any(|x| x.id == a.id) {
                            all.push(a);
                        }
                    }
                    newest_first(all);
                });
            }
            Err(e) => {
                ctx.failure.try_set(Some((T::Alerts, e)));
            }
        }
    });
    Effect::new(move |_| {
        let units = live.units.get();
        ctx.with_map(|m| m.set_units(&units_geojson(&units)));
    });
    let tick = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || live.now_ms.set(js_sys::Date::now()));
    if let Some(w) = web_sys::window() {
        use wasm_bindgen::JsCast;
        let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 1000);
    }
    tick.forget();
    api::live_feed(
        move |msg: FeedMessage| {
            let data = msg.data;
            match msg.kind.as_str() {
                "incident" => {
                    if let Ok(i) = serde_json::from_value::<IncidentData>(data) {
                        let f = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [i.lon, i.lat]},
                            "properties": {"id": i.id, "category": i.category.as_str(), "status": i.status.as_str()}});
                        ctx.with_map(|m| m.add_live(&f.to_string()));
                        live.recent.update(|r| {
                            r.insert(0, i);
                            r.truncate(30);
                        });
                        live.changes.update(|n| *n += 1);
                    }
                }
                "incident_changed" => live.changes.update(|n| *n += 1),
                "unit" => {
                    if let Ok(u) = serde_json::from_value::<UnitState>(data) {
                        live.units.update(|all| match all.iter_mut().find(|x| x.id == u.id) {
                            Some(x) => *x = u,
                            None => all.push(u),
                        });
                    }
                }
                "alert" => {
                    if let Ok(mut a) = serde_json::from_value::<Alert>(data) {
                        a.id = msg.seq;
                        if a.kind.is_urgent() {
                            announce(live, a.clone());
                        }
                        live.alerts.update(|t| {
                            t.retain(|x| x.id != a.id);
                            t.insert(0, a);
                            t.truncate(500);
                        });
                    }
                }
                "alert_acked" => {
                    if let Ok(ack) = serde_json::from_value::<AlertAck>(data) {
                        live.alerts.try_update(|t| t.retain(|a| a.id != ack.id));
                        if live.notice.try_get_untracked().flatten().is_some_and(|n| n.id == ack.id) {
                            live.notice.try_set(None);
                        }
                    }
                }
                _ => {}
            }
        },
        move |up| live.connected.set(up),
    );
    live
}

fn status_label(lang: Lang, s: Status) -> &'static str {
    if lang == Lang::Zh { s.label_zh() } else { s.label_en() }
}

/// Who supervises an overdue stage, named by the supervising level (督办 goes from a higher
/// level to a lower one: 乡镇督办 … 市级督办); at the village's own level it is a reminder.
pub fn level_label(lang: Lang, l: RegionLevel) -> &'static str {
    match (lang, l) {
        (Lang::Zh, RegionLevel::Village) => "村级提醒",
        (Lang::Zh, RegionLevel::Township) => "乡镇督办",
        (Lang::Zh, RegionLevel::County) => "县级督办",
        (Lang::Zh, _) => "市级督办",
        (_, RegionLevel::Village) => "village reminder",
        (_, RegionLevel::Township) => "township supervision",
        (_, RegionLevel::County) => "county supervision",
        (_, _) => "city supervision",
    }
}

/// `mm:ss` left (or `-mm:ss` overdue); hours when long.
pub fn timer(due_ms: f64, now_ms: f64) -> String {
    let s = ((due_ms - now_ms) / 1000.0).round() as i64;
    let (sign, a) = if s < 0 { ("-", -s) } else { ("", s) };
    if a >= 3600 {
        format!("{sign}{}h{:02}m", a / 3600, (a % 3600) / 60)
    } else {
        format!("{sign}{:02}:{:02}", a / 60, a % 60)
    }
}

/// One incident's event loop, in its details panel: the deadline of the current stage, every step
/// with who took it, and its 一事多报 links, which a case handler merges or splits.
#[component]
pub fn IncidentProgress(id: u64) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let live = expect_context::<LiveCtx>();
    let version = RwSignal::new(0u32);
    let error = RwSignal::new(None::<ApiError>);
    let merge_into = RwSignal::new(String::new());
    let progress = LocalResource::new(move || {
        version.track();
        async move { api::progress(id).await }
    });
    // A merge (`Some(into)`) or a split (`None`) of `report`.
    let act = move |report: u64, into: Option<u64>| {
        leptos::task::spawn_local(async move {
            let done = match into {
                Some(into) => api::merge(report, into).await,
                None => api::split(report).await,
            };
            match done {
                Ok(_) => {
                    error.try_set(None);
                    version.update(|v| *v += 1);
                    live.changes.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let split = move |report: u64| {
        view! {
            <button class="chip split" data-id=report.to_string()
                on:click=move |_| act(report, None)>
                {move || ctx.t(T::SplitOff)}
            </button>
        }
    };
    let report_link = move |report: u64| {
        view! { <a href="#" class="report" on:click=move |ev| { ev.prevent_default(); ctx.selection.set(Selection::Incident(report)); }>"#" {report}</a> }
    };
    // A unit by the name the feed reports (its id for a unit not on the feed). Read in its own text
    // node: the units move all the time, and the panel (with the merge input) must not redraw.
    let unit_name = move |unit: u64| {
        live.units.with(|us| us.iter().find(|u| u.id == unit).map(|u| u.name.clone())).unwrap_or(format!("#{unit}"))
    };
    let shown = move |p: model::api::live::Progress| {
        let lang = ctx.lang.get();
        let due_ms = p.due_at.map(|t| t.timestamp_millis() as f64);
        let centre = expect_context::<crate::orders::OrdersCtx>().role.leads();
        let divert = (p.workflow == model::taxonomy::Workflow::Police && p.status == Status::Reported && centre)
            .then(|| view! { <crate::orders::DivertForm id=id /> });
        let actions = (p.workflow == model::taxonomy::Workflow::Department).then(|| {
            let done = Callback::new(move |_: model::api::live::Progress| {
                version.try_update(|v| *v += 1);
                live.changes.try_update(|n| *n += 1);
            });
            view! { <crate::orders::OrderActions p=p.clone() done=done /> }
        });
        let history = p.history;
        let event = p.event;
        let others: Vec<u64> = p.linked.into_iter().filter(|r| *r != id).collect();
        let writes = live.writes_cases;
        let links = match event {
            Some(first) => view! {
                <p class="links">{ctx.t(T::LinkedToFirst)} " " {report_link(first)} " " {writes.then(|| split(id))}</p>
            }
            .into_any(),
            None if !others.is_empty() => view! {
                <p class="links">{ctx.t(T::OtherReports)}</p>
                <ul class="linked">
                    {others.into_iter().map(|r| view! { <li>{report_link(r)} " " {writes.then(|| split(r))}</li> }).collect_view()}
                </ul>
            }
            .into_any(),
            None if writes => view! {
                <div class="row merge">
                    <label for="merge-into">{ctx.t(T::MergeInto)}</label>
                    <input id="merge-into" type="number" min="1" prop:value=move || merge_into.get()
                        on:input=move |ev| merge_into.set(event_target_value(&ev)) />
                    <button id="merge-submit" class="chip" on:click=move |_| {
                        let into: u64 = merge_into.get_untracked().trim().parse().unwrap_or(0);
                        act(id, Some(into));
                    }>{ctx.t(T::Merge)}</button>
                </div>
            }
            .into_any(),
            None => ().into_any(),
        };
        view! {
            {due_ms.map(|due_ms| view! {
                <p>{ctx.t(T::DueIn)} " " <span class="timer" class:overdue=move || due_ms < live.now_ms.get()>{move || timer(due_ms, live.now_ms.get())}</span></p>
            })}
            <ol class="history" id="progress-history">
                {history.into_iter().enumerate().map(|(step, c)| {
                    let unit = c.unit;
                    let photo = c.photo.is_some().then(|| view! {
                        " · " <a class="step-photo" href=format!("/api/incidents/{id}/photos/{step}") target="_blank">{ctx.t(T::PhotoLink)}</a>
                    });
                    let detail = crate::orders::history_detail(lang, &c);
                    let note = c.note.map(|n| format!(" · {n}")).unwrap_or_default();
                    view! {
                        <li>
                            <span class="muted">{crate::time::local_minutes(c.at.timestamp_millis())}</span> " "
                            {status_label(lang, c.from)} " → " <b>{status_label(lang, c.to)}</b>
                            " · " {c.by} {move || unit.map(|u| format!(" · {}", unit_name(u))).unwrap_or_default()} {detail} {note} {photo}
                        </li>
                    }
                }).collect_view()}
            </ol>
            {actions}
            {divert}
            {links}
        }
        .into_any()
    };
    view! {
        <section id="incident-progress">
            <h4>{move || ctx.t(T::EventLoop)}</h4>
            {move || match progress.get() {
                None => view! { <p class="muted">{ctx.t(T::Loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> }.into_any(),
                Some(Ok(p)) => shown(p),
            }}
            {move || error.get().map(|e| view! { <p class="error" id="progress-error">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> })}
        </section>
    }
}

/// The event queue: open incidents by urgency with their deadline timers; dispatch and the
/// next step from the row.
#[component]
pub fn EventQueue() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let live = expect_context::<LiveCtx>();
    let queue = RwSignal::new(None::<model::live::Queue>);
    let error = RwSignal::new(None::<api::ApiError>);
    // Reload on changes and every 30 s, one load at a time: a change that arrives while a load
    // is under way (its answer may predate the change) loads once more after it.
    let loading = StoredValue::new(false);
    let again = StoredValue::new(false);
    let last_load = StoredValue::new(0.0f64);
    Effect::new(move |_| {
        let _ = live.changes.get();
        let _ = ctx.scope.get();
        if loading.get_value() {
            again.set_value(true);
            return;
        }
        loading.set_value(true);
        leptos::task::spawn_local(async move {
            loop {
                again.set_value(false);
                last_load.set_value(live.now_ms.get_untracked());
                match api::queue(ctx.scope.get_untracked().as_deref(), 60).await {
                    Ok(q) => {
                        queue.try_set(Some(q));
                        error.try_set(None);
                    }
                    Err(e) => {
                        error.try_set(Some(e));
                    }
                }
                // Signed out meanwhile: the values are gone, and so is the need to load again.
                if !again.try_get_value().unwrap_or(false) {
                    break;
                }
            }
            loading.try_set_value(false);
        });
    });
    Effect::new(move |_| {
        let now = live.now_ms.get();
        if now - last_load.get_value() > 30_000.0 {
            live.changes.update(|n| *n += 1);
        }
    });
    let offer = RwSignal::new(None::<(u64, Vec<model::api::live::Suggestion>)>);
    let row = move |i: QueueItem| {
        let lang = ctx.lang.get();
        let due_ms = i.due_at.timestamp_millis() as f64;
        let id = i.id;
        let status = i.status;
        let overdue = move || due_ms < live.now_ms.get();
        let cat = if lang == Lang::Zh { i.category.label_zh() } else { i.category.label_en() };
        let next = match status {
            Status::Dispatched => Some(Status::OnScene),
            Status::OnScene => Some(Status::Resolved),
            _ => None,
        };
        view! {
            <li class="queue-row" class:overdue=overdue data-id=id.to_string()>
                <button type="button" class="q-main" on:click=move |_| {
                    ctx.selection.set(Selection::Incident(id));
                    ctx.with_map(|m| m.fly_to(i.lon, i.lat, 14.0));
                }>
                    <b>{cat}</b> " #" {id} " · " {status_label(lang, status)}
                    {i.escalated_to.map(|l| view! { <span class="badge">{level_label(lang, l)}</span> })}
                    {(i.reports > 1).then(|| view! {
                        <span class="badge reports">{if lang == Lang::Zh { format!("{} 报", i.reports) } else { format!("{} reports", i.reports) }}</span>
                    })}
                </button>
                <span class="timer">{move || timer(due_ms, live.now_ms.get())}</span>
                {(status == Status::Reported && live.writes_cases).then(|| view! {
                    <button class="chip dispatch" on:click=move |_| {
                        leptos::task::spawn_local(async move {
                            match api::dispatch_options(id).await {
                                Ok(options) => {
                                    offer.try_set(Some((id, options.units)));
                                }
                                Err(e) => {
                                    error.try_set(Some(e));
                                }
                            }
                        })
                    }>{move || ctx.t(T::Dispatch)}</button>
                })}
                {next.filter(|_| live.writes_cases).map(|to| view! {
                    <button class="chip" on:click=move |_| {
                        leptos::task::spawn_local(async move {
                            if let Err(e) = api::transition(id, to, None).await { error.try_set(Some(e)); }
                        })
                    }>{move || status_label(ctx.lang.get(), to)}</button>
                })}
            </li>
        }
    };
    view! {
        <section id="event-queue">
            <h2>
                {move || ctx.t(T::EventQueue)} " "
                <span class="muted" id="feed-state">{move || if live.connected.get() { "●" } else { "○" }}</span>
                " " <span class="muted">{move || queue.get().map(|q| q.total.to_string()).unwrap_or_default()}</span>
            </h2>
            {move || offer.get().map(|(id, units)| view! {
                <div class="offer">
                    <div class="muted">{move || ctx.t(T::NearestUnits)} " #" {id}</div>
                    {units.into_iter().map(|u| {
                        let (unit, name) = (u.unit, u.name);
                        let eta_min = (u.eta_s / 60.0).ceil();
                        let km = u.road_m / 1000.0;
                        view! {
                            <button class="chip unit-option" on:click=move |_| {
                                offer.set(None);
                                leptos::task::spawn_local(async move {
                                    if let Err(e) = api::transition(id, Status::Dispatched, Some(unit)).await { error.try_set(Some(e)); }
                                })
                            }>{name} " · " {format!("{km:.1} km · {eta_min} min")}</button>
                        }
                    }).collect_view()}
                    <button class="chip" on:click=move |_| offer.set(None)>"×"</button>
                </div>
            })}
            {move || error.get().map(|e| view! { <p class="error">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> })}
            <ul class="queue">
                {move || queue.get().map(|q| q.items.into_iter().map(row).collect_view())}
            </ul>
        </section>
    }
}

/// How long an urgent alert's notice stays over the map, milliseconds.
const NOTICE_MS: i32 = 8_000;

/// Shows `a` as the notice over the map's corner for [`NOTICE_MS`] (a newer one replaces it).
fn announce(live: LiveCtx, a: Alert) {
    let id = a.id;
    live.notice.set(Some(a));
    let clear = wasm_bindgen::closure::Closure::once_into_js(move || {
        if live.notice.try_get_untracked().flatten().is_some_and(|n| n.id == id) {
            live.notice.try_set(None);
        }
    });
    if let Some(w) = web_sys::window() {
        use wasm_bindgen::JsCast;
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(clear.unchecked_ref(), NOTICE_MS);
    }
}

/// Alerts newest first (the tray's order).
fn newest_first(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
}

fn kind_label(lang: Lang, k: AlertKind) -> &'static str {
    if lang == Lang::Zh { k.label_zh() } else { k.label_en() }
}

/// Acknowledges `alert`: it leaves the tray at once (the feed tells every other screen); a
/// refusal other than "already acknowledged" puts it back and says why.
fn acknowledge(ctx: Ctx, live: LiveCtx, alert: Alert) {
    let id = alert.id;
    live.alerts.update(|t| t.retain(|x| x.id != id));
    if live.notice.get_untracked().is_some_and(|n| n.id == id) {
        live.notice.set(None);
    }
    leptos::task::spawn_local(async move {
        match api::ack_alert(id).await {
            Err(e) if e.status != 409 => {
                live.alerts.try_update(|t| {
                    if !t.iter().any(|x| x.id == id) {
                        t.push(alert);
                        newest_first(t);
                    }
                });
                ctx.failure.try_set(Some((T::Alerts, e)));
            }
            _ => {}
        }
    });
}

/// The header's bell: the count of open alerts; it opens the tray.
#[component]
pub fn AlertBell() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let live = expect_context::<LiveCtx>();
    let count = move || live.alerts.with(Vec::len);
    view! {
        <button id="alert-bell" class="chip bell" class:on=move || live.tray_open.get() data-some=move || (count() > 0).to_string()
            aria-haspopup="dialog" aria-expanded=move || live.tray_open.get().to_string() aria-controls="alert-tray"
            title=move || ctx.t(T::Alerts)
            on:click=move |_| live.tray_open.update(|o| *o = !*o)>
            <svg class="icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">
                <path fill="currentColor" d="M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6v-5c0-3.07-1.64-5.64-4.5-6.32V4a1.5 1.5 0 0 0-3 0v.68C7.63 5.36 6 7.92 6 11v5l-2 2v1h16v-1z"></path>
            </svg>
            " " {move || ctx.t(T::Alerts)} " "
            <span class="count" id="alert-count">{count}</span>
        </button>
    }
}

/// The alert tray: open alerts newest first, filtered by kind; each one locates on the map and
/// is acknowledged from the list. It opens over the right-hand panel, never over the map.
#[component]
pub fn AlertTray() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let live = expect_context::<LiveCtx>();
    let kind = RwSignal::new(None::<AlertKind>);
    let count = move |k: AlertKind| live.alerts.with(|all| all.iter().filter(|a| a.kind == k).count());
    let chip = move |k: Option<AlertKind>| {
        let label = move || match k {
            None => format!("{} {}", ctx.t(T::AllKinds), live.alerts.with(Vec::len)),
            Some(k) => format!("{} {}", kind_label(ctx.lang.get(), k), count(k)),
        };
        view! {
            <button class="chip" class:on=move || kind.get() == k aria-pressed=move || (kind.get() == k).to_string()
                data-kind=k.map(AlertKind::as_str).unwrap_or("all") on:click=move |_| kind.set(k)>{label}</button>
        }
    };
    let row = move |a: Alert| {
        let (id, kind, at) = (a.id, a.kind, a.at);
        let (lon, lat) = (a.lon, a.lat);
        let (zh, en) = (a.message_zh.clone(), a.message_en.clone());
        view! {
            <li class="alert-row" data-id=id.to_string() data-kind=kind.as_str() class:urgent=kind.is_urgent()>
                <div>
                    <b>{move || kind_label(ctx.lang.get(), kind)}</b> " "
                    <span class="muted">{crate::time::local_minutes(at.timestamp_millis())}</span>
                </div>
                <div>{move || if ctx.lang.get() == Lang::Zh { zh.clone() } else { en.clone() }}</div>
                <div class="row">
                    <button class="chip locate" on:click=move |_| ctx.with_map(|m| m.fly_to(lon, lat, 15.0))>{move || ctx.t(T::Locate)}</button>
                    {live.writes_cases.then(|| view! {
                        <button class="chip ack" on:click=move |_| acknowledge(ctx, live, a.clone())>{move || ctx.t(T::Acknowledge)}</button>
                    })}
                </div>
            </li>
        }
    };
    // Opening the tray takes the keyboard there (Escape closes it, Tab walks its list).
    let close = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = close.get() {
            let _ = b.focus();
        }
    });
    view! {
        <Show when=move || live.tray_open.get()>
            <section id="alert-tray" class="tray" role="dialog" aria-labelledby="alert-tray-title"
                on:keydown=move |ev| if ev.key() == "Escape" { live.tray_open.set(false) }>
                <h2 id="alert-tray-title">
                    {move || ctx.t(T::Alerts)}
                    <button class="chip close" node_ref=close on:click=move |_| live.tray_open.set(false)>{move || ctx.t(T::Close)}</button>
                </h2>
                <div class="row kinds">
                    {chip(None)}
                    {AlertKind::ALL.into_iter().map(|k| chip(Some(k))).collect_view()}
                </div>
                <ul class="alert-list" id="alert-list">
                    {move || {
                        let shown: Vec<Alert> = live.alerts.with(|all| {
                            all.iter().filter(|a| kind.get().is_none_or(|k| a.kind == k)).take(100).cloned().collect()
                        });
                        if shown.is_empty() {
                            view! { <li class="muted">{ctx.t(T::NoAlerts)}</li> }.into_any()
                        } else {
                            shown.into_iter().map(row).collect_view().into_any()
                        }
                    }}
                </ul>
            </section>
        </Show>
    }
}

/// The newest urgent alert, for a few seconds in the map's lower left corner: it does not take
/// the pointer away from the map, and screen readers hear it.
#[component]
pub fn AlertNotice() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let live = expect_context::<LiveCtx>();
    view! {
        <div id="alert-notice" class="notice-area" role="status" aria-live="polite">
            {move || live.notice.get().map(|a| {
                let (lon, lat) = (a.lon, a.lat);
                let (zh, en) = (a.message_zh, a.message_en);
                view! {
                    <div class="alert-notice" data-kind=a.kind.as_str()>
                        <b>{move || kind_label(ctx.lang.get(), a.kind)}</b> " "
                        {move || if ctx.lang.get() == Lang::Zh { zh.clone() } else { en.clone() }}
                        " "
                        <button class="chip" on:click=move |_| ctx.with_map(|m| m.fly_to(lon, lat, 15.0))>{move || ctx.t(T::Locate)}</button>
                        <button class="chip" aria-label=move || ctx.t(T::Close) on:click=move |_| live.notice.set(None)>"×"</button>
                    </div>
                }
            })}
        </div>
    }
}

/// Unit counts by status for the header.
#[component]
pub fn UnitCounts() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let live = expect_context::<LiveCtx>();
    let count = move |s: UnitStatus| live.units.get().iter().filter(|u| u.status == s).count();
    view! {
        <span class="units-count muted" title=move || ctx.t(T::Units)>
            <span class="swatch" style="background:#2ecc71"></span> {move || count(UnitStatus::Available)} " "
            <span class="swatch" style="background:#ff8a3d"></span> {move || count(UnitStatus::Busy)}
        </span>
    }
}

/// Opens the video wall (大屏) at `/wall` (full screen from its own button: a browser leaves full
/// screen when the page changes).
#[component]
pub fn WallButton() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <a id="wall-mode" class="chip" href="/wall">{move || ctx.t(T::WallMode)}</a>
    }
}
