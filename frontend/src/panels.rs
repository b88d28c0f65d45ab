//! The KPI strip, the breadcrumb, search, and the details panel of the selection.

use crate::api::{self, ApiError};
use crate::app::{Ctx, Selection};
use crate::charts::{Bars, Matrix, Trend};
use crate::i18n::{self, T};
use crate::map::category_color;
use crate::time::{local_midnight_ms, local_minutes, now_ms};
use leptos::prelude::*;
use model::api::regions::AreaFeature;
use model::api::{RegionHit, Stats};

fn error_view(ctx: Ctx, e: &ApiError) -> AnyView {
    let e = e.clone();
    view! { <p class="error">{move || ctx.t(T::Error)} ": " {move || crate::i18n::api_error(ctx.lang.get(), &e)}</p> }
        .into_any()
}

#[component]
pub fn Kpis() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let today = LocalResource::new(move || {
        let f = ctx.filter.get();
        let now = now_ms();
        async move { api::stats(&f.with_window(local_midnight_ms(now), now)).await }
    });
    let open = LocalResource::new(move || {
        let f = ctx.filter.get();
        let now = now_ms();
        async move { api::stats(&f.with_window(now - 365 * 86_400_000, now)).await }
    });
    let window = LocalResource::new(move || {
        let f = ctx.filter.get();
        async move { api::stats(&f).await }
    });
    let figure = move |r: Option<Result<Stats, ApiError>>, pick: fn(&Stats) -> String| match r {
        None => "…".to_owned(),
        Some(Ok(s)) => pick(&s),
        Some(Err(_)) => "—".to_owned(),
    };
    view! {
        <div class="kpis">
            <div class="kpi">
                <div class="label">{move || ctx.t(T::KpiToday)}</div>
                <div class="value" id="kpi-today">{move || figure(today.get(), |s| s.total.to_string())}</div>
            </div>
            <div class="kpi">
                <div class="label">{move || ctx.t(T::KpiOpen)}</div>
                <div class="value" id="kpi-open">{move || figure(open.get(), |s| s.open.to_string())}</div>
            </div>
            <div class="kpi">
                <div class="label">{move || ctx.t(T::KpiConcentration)}</div>
                <div class="value" id="kpi-concentration">
                    {move || figure(window.get(), |s| format!("{:.1}%", s.share_of_cells_holding_half * 100.0))}
                    <span class="muted" style="font-size:11px">" " {move || ctx.t(T::KpiConcentrationUnit)}</span>
                </div>
            </div>
        </div>
    }
}

/// The code of the current selection if it is a region or cell.
fn selected_area(s: &Selection) -> Option<String> {
    match s {
        Selection::Region(c) | Selection::Cell(c) => Some(c.clone()),
        _ => None,
    }
}

#[component]
pub fn Breadcrumb() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let path = LocalResource::new(move || {
        let code = selected_area(&ctx.selection.get()).or_else(|| ctx.scope.get());
        async move {
            match code {
                Some(c) => api::region_path(&c).await,
                None => Ok(vec![]),
            }
        }
    });
    let go = move |hit: Option<RegionHit>| match hit {
        None => {
            ctx.scope.set(None);
            ctx.selection.set(Selection::None);
            ctx.with_map(|m| m.fit(crate::app::CITY_BOUNDS));
        }
        Some(h) => {
            let whole_city = h.level == "city";
            ctx.scope.set((!whole_city).then(|| h.code.clone()));
            ctx.selection.set(if h.level == "cell" {
                Selection::Cell(h.code.clone())
            } else {
                Selection::Region(h.code.clone())
            });
            ctx.with_map(|m| m.fit(h.bbox));
        }
    };
    view! {
        <nav id="breadcrumb">
            <button on:click=move |_| go(None)>{move || ctx.t(T::City)}</button>
            {move || match path.get() {
                Some(Ok(hits)) => hits
                    .into_iter()
                    .filter(|h| h.level != "city")
                    .map(|h| {
                        let label = h.name.clone();
                        view! { <span class="sep">"›"</span><button data-code=h.code.clone() on:click=move |_| go(Some(h.clone()))>{label}</button> }
                    })
                    .collect_view()
                    .into_any(),
                Some(Err(e)) => error_view(ctx, &e),
                None => ().into_any(),
            }}
            {move || ctx.scope.get().map(|s| view! { <span class="muted">" · " {move || ctx.t(T::Regions)} ": " {s.clone()}</span> })}
        </nav>
    }
}

#[component]
pub fn SearchBox() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let query = RwSignal::new(String::new());
    let results = LocalResource::new(move || {
        let q = query.get();
        async move {
            if q.trim().chars().count() < 2 {
                Ok(model::api::SearchResults::default())
            } else {
                api::search(q.trim()).await
            }
        }
    });
    view! {
        <section>
            <h2>{move || ctx.t(T::Search)}</h2>
            <input id="search" type="text" placeholder=move || ctx.t(T::SearchHint) prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev)) />
            {move || match results.get() {
                None => ().into_any(),
                Some(Err(e)) => error_view(ctx, &e),
                Some(Ok(r)) if r.regions.is_empty() && r.incidents.is_empty() => {
                    if query.get().trim().chars().count() >= 2 { view! { <p class="muted">{move || ctx.t(T::NoResults)}</p> }.into_any() } else { ().into_any() }
                }
                Some(Ok(r)) => {
                    let lang = ctx.lang.get();
                    view! {
                        <ul class="results" id="search-results">
                            {r.regions.into_iter().map(|h| {
                                let hit = h.clone();
                                view! {
                                    <li tabindex="0" on:click={
                                        let hit = hit.clone();
                                        move |_| {
                                            ctx.selection.set(if hit.level == "cell" { Selection::Cell(hit.code.clone()) } else { Selection::Region(hit.code.clone()) });
                                            ctx.with_map(|m| m.fit(hit.bbox));
                                        }
                                    } on:keydown=move |ev| if ev.key() == "Enter" {
                                        ctx.selection.set(if hit.level == "cell" { Selection::Cell(hit.code.clone()) } else { Selection::Region(hit.code.clone()) });
                                        ctx.with_map(|m| m.fit(hit.bbox));
                                    }>
                                        {h.name} " " <span class="muted">{i18n::level(lang, &h.level)} " " {h.code}</span>
                                    </li>
                                }
                            }).collect_view()}
                            {r.incidents.into_iter().map(|i| {
                                let (id, lon, lat) = (i.id, i.lon, i.lat);
                                view! {
                                    <li tabindex="0" on:click=move |_| {
                                        ctx.selection.set(Selection::Incident(id));
                                        ctx.with_map(|m| m.fly_to(lon, lat, 15.0));
                                    } on:keydown=move |ev| if ev.key() == "Enter" {
                                        ctx.selection.set(Selection::Incident(id));
                                        ctx.with_map(|m| m.fly_to(lon, lat, 15.0));
                                    }>
                                        <span class="swatch" style=format!("background:{}", category_color(i.category))></span> " "
                                        {i.external_id.unwrap_or_default()} " " <span class="muted">{i.summary.unwrap_or_default()}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
pub fn Details() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <section>
            <h2>{move || ctx.t(T::Details)}</h2>
            {move || match ctx.selection.get() {
                Selection::None => view! { <p class="muted" id="panel-hint">{move || ctx.t(T::SelectHint)}</p> }.into_any(),
                Selection::Region(code) | Selection::Cell(code) => view! { <AreaDetails code=code /> }.into_any(),
                Selection::Incident(id) => view! { <IncidentDetails id=id /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn AreaDetails(code: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let code_for_feature = code.clone();
    let feature = LocalResource::new(move || {
        let c = code_for_feature.clone();
        async move { api::region(&c).await }
    });
    let code_for_stats = code.clone();
    let stats = LocalResource::new(move || {
        let f = ctx.filter.get().in_region(&code_for_stats);
        async move { api::stats(&f).await }
    });
    // Officers are recorded per village: a cell shows its village's.
    let village = if code.len() == 15 { code[..12].to_owned() } else { code.clone() };
    let officers = LocalResource::new(move || {
        let v = village.clone();
        async move { if v.len() == 12 && !v.ends_with("000") { api::region(&v).await.map(Some) } else { Ok(None) } }
    });
    view! {
        {move || match feature.get() {
            None => view! { <p class="muted">{move || ctx.t(T::Loading)}</p> }.into_any(),
            Some(Err(e)) => error_view(ctx, &e),
            Some(Ok(f)) => {
                let lang = ctx.lang.get();
                let (name, code, level, population, households, synthetic) = match f {
                    AreaFeature::Region(r) => {
                        let r = &r.properties.region;
                        let level = if lang == i18n::Lang::Zh { r.level.label_zh() } else { r.level.label_en() };
                        (r.name.clone(), r.code.to_string(), level, r.population, Some(r.households), r.synthetic)
                    }
                    AreaFeature::Cell(c) => {
                        let c = &c.properties;
                        (c.name.clone(), c.code.to_string(), ctx.t(T::Cell), c.population, None, c.synthetic)
                    }
                };
                // The region's monthly briefing (简报), the scorecard's month, as a print view and
                // as a Word document.
                let briefing = use_context::<crate::scorecard::ScorecardCtx>()
                    .filter(|sc| sc.allowed && code.len() == 12)
                    .map(|sc| {
                        let lang = if lang == i18n::Lang::Zh { "zh" } else { "en" };
                        let period = sc.period.get_untracked();
                        let html = api::briefing_url("html", &code, &period, lang);
                        let docx = api::briefing_url("docx", &code, &period, lang);
                        view! {
                            <a class="chip" id="panel-briefing" href=html target="_blank" rel="noopener">{ctx.t(T::Briefing)}</a>
                            <a class="chip" id="panel-briefing-docx" href=docx download="">{ctx.t(T::BriefingWord)}</a>
                        }
                    });
                view! {
                    <h3 id="panel-title">{name}</h3>
                    {briefing}
                    <dl class="facts">
                        <dt>{ctx.t(T::Code)}</dt><dd id="panel-code">{code}</dd>
                        <dt>{ctx.t(T::Level)}</dt><dd>{level}</dd>
                        <dt>{ctx.t(T::Population)}</dt><dd>{population}</dd>
                        {households.map(|h| view! { <dt>{ctx.t(T::Households)}</dt><dd>{h}</dd> })}
                    </dl>
                    {synthetic.then(|| view! { <p class="muted">"* " {ctx.t(T::Synthetic)}</p> })}
                }.into_any()
            }
        }}
        {move || match officers.get() {
            Some(Ok(Some(AreaFeature::Region(v)))) => {
                let list: Vec<String> = v.properties.officers.iter().flatten().map(|o| format!("{} ({})", o.name, o.badge)).collect();
                let shown = if list.is_empty() { ctx.t(T::NoOfficer).to_owned() } else { list.join("，") };
                view! { <dl class="facts"><dt>{ctx.t(T::Officers)}</dt><dd id="panel-officers">{shown}</dd></dl> }.into_any()
            }
            _ => ().into_any(),
        }}
        <ForecastDetails code=code.clone() />
        {move || match stats.get() {
            None => view! { <p class="muted">{move || ctx.t(T::Loading)}</p> }.into_any(),
            Some(Err(e)) => error_view(ctx, &e),
            Some(Ok(s)) => {
                let lang = ctx.lang.get();
                let rows: Vec<(String, u64, &'static str)> = s.by_category.iter().map(|c| (i18n::category(lang, c.category).to_owned(), c.count, category_color(c.category))).collect();
                let days: Vec<(String, u64)> = s.by_day.iter().map(|d| (d.date.clone(), d.count)).collect();
                view! {
                    <p>{ctx.t(T::Total)} ": " <span class="big" id="panel-total">{s.total}</span></p>
                    <h2>{ctx.t(T::ByCategory)}</h2>
                    <Bars rows=rows />
                    <h2>{ctx.t(T::Trend)}</h2>
                    <Trend days=days />
                    <h2>{ctx.t(T::HourWeekday)}</h2>
                    <Matrix cells=s.hour_weekday.clone() weekdays=i18n::weekdays(lang) />
                }.into_any()
            }
        }}
    }
}

/// A clicked cell's shift forecast while the forecast layer is shown: its expected incidents, its
/// rank, and how much of its risk is the long-term background and how much recent incidents set
/// off (the model's explanation per cell).
#[component]
fn ForecastDetails(code: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    move || {
        if !ctx.layers.get().hotspots || ctx.analysis.get() != api::Analysis::Forecast {
            return None;
        }
        let info = ctx.analysis_info.get();
        let cell = *info.forecast_cells.get(&code)?;
        let lang = ctx.lang.get();
        let sources = match cell.background_share {
            Some(share) => i18n::forecast_sources(lang, share),
            None => ctx.t(T::ForecastNoRisk).to_owned(),
        };
        Some(view! {
            <h2>{ctx.t(T::ForecastCell)}</h2>
            <dl class="facts" id="panel-forecast">
                <dt>{ctx.t(T::ForecastExpected)}</dt><dd id="panel-forecast-risk">{format!("{:.2}", cell.risk)}</dd>
                <dt>{ctx.t(T::ForecastRank)}</dt>
                <dd id="panel-forecast-rank">{i18n::forecast_rank(lang, cell.rank, info.forecast_cells.len(), cell.flagged)}</dd>
                <dt>{ctx.t(T::ForecastSources)}</dt><dd id="panel-forecast-sources">{sources}</dd>
            </dl>
        })
    }
}

#[component]
fn IncidentDetails(id: u64) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let incident = LocalResource::new(move || async move { api::incident(id).await });
    view! {
        {move || match incident.get() {
            None => view! { <p class="muted">{move || ctx.t(T::Loading)}</p> }.into_any(),
            Some(Err(e)) => error_view(ctx, &e),
            Some(Ok(f)) => {
                let p = f.properties;
                let lang = ctx.lang.get();
                let zh = lang == i18n::Lang::Zh;
                let when = |t: chrono::DateTime<chrono::Utc>| local_minutes(t.timestamp_millis());
                let text = |v: &Option<String>| v.clone().unwrap_or_default();
                let cat = if zh { p.category.label_zh() } else { p.category.label_en() };
                let sub = p.subcategory.map(|s| if zh { s.label_zh() } else { s.label_en() }).unwrap_or("");
                let status = i18n::status(lang, p.status);
                let severity = i18n::severity(lang, p.severity);
                let source = i18n::source(lang, p.source);
                let place = [&p.county_name, &p.township_name, &p.village_name, &p.cell_name].map(text).join(" / ");
                view! {
                    <h3 id="panel-title">{cat} " · " {sub}</h3>
                    <dl class="facts" id="incident-facts">
                        <dt>{ctx.t(T::CaseNumber)}</dt><dd>{text(&p.external_id)}</dd>
                        <dt>{ctx.t(T::Occurred)}</dt><dd>{when(p.occurred_at)}</dd>
                        <dt>{ctx.t(T::Reported)}</dt><dd>{when(p.reported_at)}</dd>
                        <dt>{ctx.t(T::Status)}</dt><dd>{status}</dd>
                        <dt>{ctx.t(T::Severity)}</dt><dd>{severity}</dd>
                        <dt>{ctx.t(T::Source)}</dt><dd>{source}</dd>
                        <dt>{ctx.t(T::Address)}</dt><dd>{text(&p.address)}</dd>
                        <dt>{ctx.t(T::Summary)}</dt><dd id="incident-summary">{text(&p.summary)}</dd>
                        <dt>{ctx.t(T::Reporter)}</dt><dd>{text(&p.reporter_name)}</dd>
                        <dt>{ctx.t(T::Phone)}</dt><dd>{text(&p.reporter_phone)}</dd>
                        <dt>{ctx.t(T::Cell)}</dt><dd>{place}</dd>
                        <dt>{ctx.t(T::Code)}</dt><dd>{p.placement.cell_code.to_string()}</dd>
                    </dl>
                    <crate::command::IncidentProgress id=id />
                }.into_any()
            }
        }}
    }
}

/// The audit log for administrators: filter by who and what, read, export as CSV.
#[component]
pub fn AuditLog() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let query = RwSignal::new((String::new(), String::new()));
    let entries = LocalResource::new(move || {
        let (a, b) = query.get();
        async move { api::audit(&a, &b).await }
    });
    const ACTIONS: [&str; 10] = [
        "login",
        "login_failed",
        "logout",
        "password_change",
        "read_incident",
        "create_incident",
        "export",
        "import",
        "user_add",
        "user_disable",
    ];
    view! {
        <section id="audit">
            <h2>{move || ctx.t(T::Audit)}</h2>
            <input type="text" placeholder=move || ctx.t(T::Actor) prop:value=move || actor.get() on:input=move |ev| actor.set(event_target_value(&ev)) />
            <select on:change=move |ev| action.set(event_target_value(&ev))>
                <option value="">{move || ctx.t(T::AnyAction)}</option>
                {ACTIONS.iter().map(|a| view! { <option value=*a>{*a}</option> }).collect_view()}
            </select>
            <div class="row">
                <button id="audit-search" class="chip" on:click=move |_| query.set((actor.get(), action.get()))>{move || ctx.t(T::Query)}</button>
                <a class="chip" href=move || api::audit_csv_url(&query.get().0, &query.get().1) download="audit.csv">{move || ctx.t(T::ExportCsv)}</a>
            </div>
            {move || match entries.get() {
                None => view! { <p class="muted">{move || ctx.t(T::Loading)}</p> }.into_any(),
                Some(Err(e)) => error_view(ctx, &e),
                Some(Ok(list)) => view! {
                    <ul class="results" id="audit-entries">
                        {list.into_iter().map(|e| {
                            let when = model::time::parse_timestamp(&e.at).map(|t| local_minutes(t.timestamp_millis())).unwrap_or(e.at.clone());
                            let result_class = if e.result == "ok" { "" } else { "error" };
                            view! {
                                <li>
                                    <span class="muted">{when}</span> " " {e.actor} " · " {e.action} " · " {e.target} " · "
                                    <span class=result_class>{e.result}</span>
                                    " " <span class="muted">{e.source.unwrap_or_default()}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}
