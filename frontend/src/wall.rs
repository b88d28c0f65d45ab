//! The video wall (大屏, `/wall`): the map in the centre and, around it, what a command centre
//! reads from five metres: today's and this month's incidents with 环比, the last 24 hours by
//! hour, the categories, the live ticker, the units' status, the top hot spots and the overdue
//! events. Dark, sized by the screen (1920 × 1080 to 3840 × 2160), refreshed by the live feed
//! and every minute; when nobody touches it, the map tours the regions one by one.

use crate::api::{self, Filter};
use crate::app::Ctx;
use crate::command::LiveCtx;
use crate::i18n::{Lang, T};
use crate::time::{local_midnight_ms, local_minutes, now_ms};
use leptos::prelude::*;
use model::api::Stats;
use model::live::{QueueItem, UnitStatus};
use model::{Category, RegionLevel};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Seconds between refreshes when the feed is quiet.
const REFRESH_S: i32 = 60;

/// Seconds between loads of the hot spots.
const HOT_SPOTS_S: i32 = 600;

/// Seconds on each region of the tour, and of stillness before it starts.
const TOUR_STEP_S: f64 = 40.0;
const IDLE_S: f64 = 60.0;

/// Whether the address is the wall's.
pub fn is_wall_page() -> bool {
    web_sys::window().and_then(|w| w.location().pathname().ok()).is_some_and(|p| p.trim_end_matches('/') == "/wall")
}

/// Start of the local (Asia/Shanghai) month containing `ms`, and of the month before it.
fn month_starts_ms(ms: i64) -> (i64, i64) {
    let off = i64::from(model::time::SHANGHAI_OFFSET_S) * 1000;
    let days = (ms + off).div_euclid(DAY_MS);
    let (y, m, _) = model::time::civil_from_days(days);
    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    let start = |y: i64, m: u32| model::time::days_from_civil(y, m, 1) * DAY_MS - off;
    (start(y, m), start(py, pm))
}

/// `+12%` / `−5%` from `before` to `now` (`—` when there was nothing before).
fn change_label(now: u64, before: u64) -> String {
    if before == 0 {
        return "—".to_owned();
    }
    let pct = (now as f64 - before as f64) / before as f64 * 100.0;
    if pct >= 0.0 { format!("+{pct:.0}%") } else { format!("−{:.0}%", -pct) }
}

/// Rows of the live ticker, and of the overdue list (a last row counts the rest): with the units
/// and the hot spots, the right column fits a 1920 × 1080 wall whatever the day brings.
const TICKER_ROWS: usize = 6;
const OVERDUE_ROWS: usize = 4;

/// The figures of the wall, loaded together.
#[derive(Clone, Default)]
struct Figures {
    today: u64,
    yesterday_same_time: u64,
    month: u64,
    last_month_same_span: u64,
    /// Incidents per hour over the last 24 hours, oldest hour first, with its local hour.
    hours: Vec<(u32, u64)>,
    categories: Vec<(Category, u64)>,
    /// The first [`OVERDUE_ROWS`] escalated events, and how many there are in all.
    overdue: Vec<QueueItem>,
    overdue_total: usize,
    /// The newest open events (id, category, reported), newest first: the ticker until the
    /// feed brings new ones.
    recent: Vec<(u64, Category, chrono::DateTime<chrono::Utc>)>,
}

async fn load(scope: Option<String>) -> Result<Figures, api::ApiError> {
    let now = now_ms();
    let window = |from_ms: i64, to_ms: i64| Filter {
        from_ms,
        to_ms,
        categories: Category::all().to_vec(),
        region: scope.clone(),
    };
    let midnight = local_midnight_ms(now);
    let (month, last_month) = month_starts_ms(now);
    let total = |s: Stats| s.total;
    let today = total(api::stats(&window(midnight, now)).await?);
    let yesterday_same_time = total(api::stats(&window(midnight - DAY_MS, now - DAY_MS)).await?);
    let month_count = total(api::stats(&window(month, now)).await?);
    let last_month_same_span = total(api::stats(&window(last_month, (last_month + (now - month)).min(month))).await?);
    // The last 24 hours by local hour, from the start of the hour 23 hours ago to now: each hour
    // of the day once, the current one so far.
    let hour_start = now.div_euclid(HOUR_MS) * HOUR_MS;
    let day = api::stats(&window(hour_start - 23 * HOUR_MS, now)).await?;
    let hour_now = ((now + i64::from(model::time::SHANGHAI_OFFSET_S) * 1000).div_euclid(HOUR_MS) % 24) as u32;
    let hours = (1..=24)
        .map(|k| {
            let h = (hour_now + k) % 24;
            (h, day.hour_weekday.get(h as usize).map_or(0, |r| r.iter().sum()))
        })
        .collect();
    let mut categories: Vec<(Category, u64)> =
        day.by_category.iter().filter(|c| c.count > 0).map(|c| (c.category, c.count)).collect();
    categories.sort_by_key(|c| std::cmp::Reverse(c.1));
    categories.truncate(8);
    let queue = api::queue(scope.as_deref(), 500).await?.items;
    let mut recent: Vec<(u64, Category, chrono::DateTime<chrono::Utc>)> =
        queue.iter().map(|i| (i.id, i.category, i.reported_at)).collect();
    recent.sort_by(|a, b| b.2.cmp(&a.2).then(b.0.cmp(&a.0)));
    recent.truncate(TICKER_ROWS);
    let mut overdue: Vec<QueueItem> = queue.into_iter().filter(|i| i.escalated_to.is_some()).collect();
    let overdue_total = overdue.len();
    overdue.truncate(OVERDUE_ROWS);
    Ok(Figures {
        today,
        yesterday_same_time,
        month: month_count,
        last_month_same_span,
        hours,
        categories,
        overdue,
        overdue_total,
        recent,
    })
}

/// The last 24 hours as columns, labelled every three hours.
#[component]
fn HourColumns(hours: Vec<(u32, u64)>) -> impl IntoView {
    let max = hours.iter().map(|h| h.1).max().unwrap_or(0).max(1) as f64;
    view! {
        <div class="wall-hours" id="wall-hours">
            {hours.into_iter().map(|(h, v)| {
                let height = format!("height:{:.1}%", v as f64 / max * 100.0);
                view! {
                    <div class="col" title=format!("{h:02}:00 · {v}")>
                        <div class="track"><span class="bar" style=height></span></div>
                        <span class="h">{(h % 3 == 0).then(|| format!("{h:02}"))}</span>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

/// The significant hot cells (95% or more) of the last 30 days by Gi*, hottest first: (name,
/// confidence bin, z).
async fn hot_spots(scope: Option<String>) -> Result<Vec<(String, u8, f64)>, api::ApiError> {
    let now = now_ms();
    let f = Filter { from_ms: now - 30 * DAY_MS, to_ms: now, categories: Category::all().to_vec(), region: scope };
    let api::AnalysisAnswer::GiStar(fc) = api::analysis(api::Analysis::GiStar, &f).await? else {
        return Ok(Vec::new());
    };
    let mut hot: Vec<(String, u8, f64)> = fc
        .features
        .into_iter()
        .filter(|f| f.properties.values.bin >= 2)
        .map(|f| (f.properties.name, f.properties.values.bin as u8, f.properties.values.z))
        .collect();
    hot.sort_by(|a, b| b.2.total_cmp(&a.2));
    hot.truncate(6);
    Ok(hot)
}

/// The wall page; `roots` are the caller's jurisdiction (`/api/me`'s `scope`).
#[component]
pub fn Wall(roots: Vec<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let live = expect_context::<LiveCtx>();
    let figures = RwSignal::new(None::<Result<Figures, api::ApiError>>);
    let hot = RwSignal::new(None::<Result<Vec<(String, u8, f64)>, api::ApiError>>);
    // One load at a time: every minute, and at most every 15 s while the feed reports changes.
    let last_load = StoredValue::new(f64::NEG_INFINITY);
    let last_hot = StoredValue::new(f64::NEG_INFINITY);
    let loading = StoredValue::new(false);
    let changed = StoredValue::new(false);
    Effect::new(move |first: Option<()>| {
        let _ = live.changes.get();
        if first.is_some() {
            changed.set_value(true);
        }
    });
    Effect::new(move |_| {
        let now = live.now_ms.get();
        let since = now - last_load.get_value();
        let due = since > f64::from(REFRESH_S) * 1000.0 || (changed.get_value() && since > 15_000.0);
        if due && !loading.get_value() {
            loading.set_value(true);
            changed.set_value(false);
            last_load.set_value(now);
            let scope = ctx.scope.get_untracked();
            leptos::task::spawn_local(async move {
                let loaded = load(scope).await;
                figures.try_set(Some(loaded));
                loading.try_set_value(false);
            });
        }
        // The hot spots are a heavier analysis: every ten minutes.
        if now - last_hot.get_value() > f64::from(HOT_SPOTS_S) * 1000.0 {
            last_hot.set_value(now);
            let scope = ctx.scope.get_untracked();
            leptos::task::spawn_local(async move {
                let found = hot_spots(scope).await;
                hot.try_set(Some(found));
            });
        }
    });
    start_tour(ctx, live, roots);
    let kpi = move |label: T, id: &'static str, now: fn(&Figures) -> u64, before: fn(&Figures) -> u64| {
        view! {
            <div class="wall-kpi">
                <div class="label">{move || ctx.t(label)}</div>
                <div class="value" id=id>{move || figures.get().and_then(Result::ok).map(|f| now(&f).to_string()).unwrap_or_else(|| "…".into())}</div>
                <div class="change">
                    {move || ctx.t(T::WallChange)} " "
                    <b>{move || figures.get().and_then(Result::ok).map(|f| change_label(now(&f), before(&f))).unwrap_or_default()}</b>
                </div>
            </div>
        }
    };
    let units = move |s: UnitStatus| live.units.with(|u| u.iter().filter(|x| x.status == s).count());
    let clock = move || local_minutes(live.now_ms.get() as i64);
    view! {
        <div class="wall-page" id="wall">
            <header class="wall-top">
                <h1 id="title">{move || ctx.t(T::Title)} " · " {move || ctx.t(T::WallMode)}</h1>
                <span class="wall-clock">{clock}</span>
                <span class="muted" id="feed-state">{move || if live.connected.get() { ctx.t(T::WallLive) } else { ctx.t(T::WallOffline) }}</span>
                <button class="chip" id="wall-full-screen" on:click=move |_| {
                    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
                        let _ = root.request_fullscreen();
                    }
                }>{move || ctx.t(T::WallFullScreen)}</button>
                <a class="chip" id="wall-exit" href="/">{move || ctx.t(T::WallExit)}</a>
            </header>
            <aside class="wall-left">
                <section class="wall-kpis">
                    {kpi(T::KpiToday, "wall-today", |f| f.today, |f| f.yesterday_same_time)}
                    {kpi(T::WallMonth, "wall-month", |f| f.month, |f| f.last_month_same_span)}
                </section>
                <section>
                    <h2>{move || ctx.t(T::WallHours)}</h2>
                    {move || figures.get().and_then(Result::ok).map(|f| view! { <HourColumns hours=f.hours /> })}
                </section>
                <section>
                    <h2>{move || ctx.t(T::WallCategories)}</h2>
                    <ul class="wall-bars" id="wall-categories">
                        {move || figures.get().and_then(Result::ok).map(|f| {
                            let max = f.categories.first().map_or(1, |c| c.1.max(1)) as f64;
                            f.categories.into_iter().map(|(c, n)| {
                                let width = format!("width:{:.0}%", n as f64 / max * 100.0);
                                view! {
                                    <li>
                                        <span>{move || if ctx.lang.get() == Lang::Zh { c.label_zh() } else { c.label_en() }}</span>
                                        <span class="bar"><span class="fill" style=width></span></span>
                                        <b>{n}</b>
                                    </li>
                                }
                            }).collect_view()
                        })}
                    </ul>
                </section>
            </aside>
            <main class="map wall-map"><crate::app::MapView /><crate::command::AlertNotice /></main>
            <aside class="wall-right">
                <section>
                    <h2>{move || ctx.t(T::Units)}</h2>
                    <div class="wall-units" id="wall-units">
                        <span><i class="swatch" style="background:#2ecc71"></i> {move || ctx.t(T::WallAvailable)} " " <b>{move || units(UnitStatus::Available)}</b></span>
                        <span><i class="swatch" style="background:#ff8a3d"></i> {move || ctx.t(T::WallBusy)} " " <b>{move || units(UnitStatus::Busy)}</b></span>
                        <span><i class="swatch" style="background:#93a7bd"></i> {move || ctx.t(T::WallOffDuty)} " " <b>{move || units(UnitStatus::OffDuty)}</b></span>
                    </div>
                </section>
                <section>
                    <h2>{move || ctx.t(T::WallTicker)}</h2>
                    <ul class="wall-list" id="wall-ticker">
                        {move || {
                            let lang = ctx.lang.get();
                            // The feed's newest first, then the open events loaded with the figures.
                            let mut rows: Vec<(u64, Category, chrono::DateTime<chrono::Utc>)> =
                                live.recent.with(|r| r.iter().map(|i| (i.id, i.category, i.reported_at)).collect());
                            if let Some(Ok(f)) = figures.get() {
                                rows.extend(f.recent.into_iter().filter(|r| !rows.iter().any(|x| x.0 == r.0)).collect::<Vec<_>>());
                            }
                            if rows.is_empty() {
                                return view! { <li class="muted">{ctx.t(T::WallQuiet)}</li> }.into_any();
                            }
                            rows.into_iter().take(TICKER_ROWS).map(|(id, category, at)| {
                                let time = crate::time::local_hhmm(at.timestamp_millis());
                                let cat = if lang == Lang::Zh { category.label_zh() } else { category.label_en() };
                                view! { <li><span class="muted">{time}</span> " " <b>{cat}</b> " #" {id}</li> }
                            }).collect_view().into_any()
                        }}
                    </ul>
                </section>
                <section>
                    <h2>{move || ctx.t(T::WallHotspots)}</h2>
                    <ul class="wall-list" id="wall-hotspots">
                        {move || hot.get().map(|found| {
                            let found = match found {
                                Ok(found) => found,
                                Err(e) => return view! { <li class="error">{crate::i18n::api_error(ctx.lang.get(), &e)}</li> }.into_any(),
                            };
                            if found.is_empty() {
                                return view! { <li class="muted">{ctx.t(T::WallNone)}</li> }.into_any();
                            }
                            found.into_iter().map(|(name, bin, z)| {
                                let confidence = match bin { 3 => "99%", 2 => "95%", _ => "90%" };
                                view! { <li><b>{name}</b> " " <span class="muted">{format!("{confidence} · z {z:.1}")}</span></li> }
                            }).collect_view().into_any()
                        })}
                    </ul>
                </section>
                <section>
                    <h2>{move || ctx.t(T::WallOverdue)}</h2>
                    <ul class="wall-list" id="wall-overdue">
                        {move || figures.get().and_then(Result::ok).map(|f| {
                            let lang = ctx.lang.get();
                            if f.overdue.is_empty() {
                                return view! { <li class="muted">{ctx.t(T::WallNone)}</li> }.into_any();
                            }
                            let more = f.overdue_total.saturating_sub(f.overdue.len());
                            let rows = f.overdue.into_iter().map(|i| {
                                let cat = if lang == Lang::Zh { i.category.label_zh() } else { i.category.label_en() };
                                let late = crate::command::timer(i.due_at.timestamp_millis() as f64, live.now_ms.get_untracked());
                                view! {
                                    <li class="overdue"><b>{cat}</b> " #" {i.id} " "
                                        {i.escalated_to.map(|l| view! { <span class="badge">{crate::command::level_label(lang, l)}</span> })}
                                        " " <span class="timer">{late}</span></li>
                                }
                            }).collect_view();
                            view! {
                                {rows}
                                {(more > 0).then(|| view! {
                                    <li class="muted" id="wall-overdue-more">{ctx.t(T::WallMoreBefore)} " " {more} " " {ctx.t(T::WallMoreAfter)}</li>
                                })}
                            }.into_any()
                        })}
                    </ul>
                </section>
                {move || figures.get().and_then(Result::err).map(|e| view! { <p class="error">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> })}
            </aside>
        </div>
    }
}

/// The idle tour: after [`IDLE_S`] without a touch, the map shows each region below the
/// caller's jurisdiction in turn (the counties for the city; the townships for a county), for
/// [`TOUR_STEP_S`] each.
fn start_tour(ctx: Ctx, live: LiveCtx, roots: Vec<String>) {
    let last_touch = StoredValue::new(now_ms() as f64);
    let stops = StoredValue::new(Vec::<[f64; 4]>::new());
    let next = StoredValue::new(0usize);
    let last_step = StoredValue::new(0.0f64);
    leptos::task::spawn_local(async move {
        let root_level = |r: &String| r.parse::<model::RegionCode>().ok().map(|c| c.level());
        let level = match roots.as_slice() {
            [] => Some(("county", None)),
            [root] if root_level(root) == Some(RegionLevel::City) => Some(("county", None)),
            [root] if root_level(root) == Some(RegionLevel::County) => Some(("township", Some(root.clone()))),
            _ => None,
        };
        let Some((level, parent)) = level else { return };
        let codes = api::region_codes(level, parent.as_deref()).await.unwrap_or_default();
        let mut boxes = Vec::new();
        for code in codes {
            if let Some(hit) = api::region_path(&code).await.ok().and_then(|p| p.into_iter().last()) {
                boxes.push(hit.bbox);
            }
        }
        stops.try_set_value(boxes);
    });
    let touch = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        last_touch.try_set_value(now_ms() as f64);
    });
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        use wasm_bindgen::JsCast;
        for ev in ["pointermove", "pointerdown", "keydown", "wheel"] {
            let _ = doc.add_event_listener_with_callback(ev, touch.as_ref().unchecked_ref());
        }
    }
    touch.forget();
    Effect::new(move |_| {
        let now = live.now_ms.get();
        let idle = now - last_touch.get_value() > IDLE_S * 1000.0;
        if !idle || now - last_step.get_value() < TOUR_STEP_S * 1000.0 {
            return;
        }
        let boxes = stops.get_value();
        if boxes.is_empty() {
            return;
        }
        last_step.set_value(now);
        let k = next.get_value() % boxes.len();
        next.set_value(k + 1);
        ctx.with_map(|m| m.fit(boxes[k]));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_start_at_local_midnight_of_the_first() {
        // 2026-12-04 10:00 UTC; December starts 2026-11-30 16:00 UTC, November 2026-10-31 16:00 UTC.
        let (this, before) = month_starts_ms(1_796_378_400_000);
        assert_eq!(this, model::time::days_from_civil(2026, 12, 1) * DAY_MS - 8 * HOUR_MS);
        assert_eq!(before, this - 30 * DAY_MS);
        // January's month before is December of the year before.
        let jan = model::time::days_from_civil(2027, 1, 15) * DAY_MS;
        let (j, d) = month_starts_ms(jan);
        assert_eq!(j - d, 31 * DAY_MS);
    }

    #[test]
    fn changes_read_as_percentages() {
        assert_eq!(change_label(120, 100), "+20%");
        assert_eq!(change_label(80, 100), "−20%");
        assert_eq!(change_label(5, 0), "—");
    }
}
