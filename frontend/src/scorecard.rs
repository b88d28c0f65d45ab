//! The assessment scorecard page (考核): ranks the caller's counties or townships for a month
//! (`GET /api/scorecard`), shows each region's indicators with numerator, denominator, 环比 and
//! 同比, colours the map's regions by the total or any indicator, and exports CSV.

use crate::api;
use crate::app::Ctx;
use crate::i18n::{Lang, T};
use leptos::prelude::*;
use model::api::scorecard::{IndicatorCell, IndicatorInfo, Scorecard, ScorecardRow};
use model::scorecard::{Indicator, Judgement, Month};

/// Colour of a region with nothing scored.
pub const UNSCORED_COLOR: &str = "#5b6670";

/// The scorecard's state, shared by its button, its panel and the map.
#[derive(Clone, Copy)]
pub struct ScorecardCtx {
    /// Whether the panel replaces the event queue on the right.
    pub open: RwSignal<bool>,
    /// The month, `YYYY-MM`.
    pub period: RwSignal<String>,
    /// `county` or `township` (`None`: the server's default for the caller).
    pub level: RwSignal<Option<String>>,
    /// What colours the map (`None`: the total score).
    pub colour_by: RwSignal<Option<Indicator>>,
    /// The last answer.
    pub card: RwSignal<Option<Result<Scorecard, api::ApiError>>>,
    /// The region whose indicators are unfolded.
    pub unfolded: RwSignal<Option<String>>,
    /// Whether the campaigns tab (专项整治) is shown instead of the ranking.
    pub campaigns_tab: RwSignal<bool>,
    /// Whether the signed-in role reads scorecards, campaigns and briefings.
    pub allowed: bool,
}

/// Creates the scorecard's state: it loads while open and colours the map from its answer.
pub fn start(ctx: Ctx, allowed: bool) -> ScorecardCtx {
    let now = chrono::DateTime::from_timestamp_millis(crate::time::now_ms()).unwrap_or_default();
    let sc = ScorecardCtx {
        open: RwSignal::new(false),
        period: RwSignal::new(Month::of(now).previous().to_string()),
        level: RwSignal::new(None),
        colour_by: RwSignal::new(None),
        card: RwSignal::new(None),
        unfolded: RwSignal::new(None),
        campaigns_tab: RwSignal::new(false),
        allowed,
    };
    provide_context(sc);
    Effect::new(move |_| {
        if !sc.open.get() {
            return;
        }
        let (period, level) = (sc.period.get(), sc.level.get());
        leptos::task::spawn_local(async move {
            let answer = api::scorecard(&period, level.as_deref()).await;
            // A newer request may have been made meanwhile: keep the answer only if it is ours.
            if sc.period.try_get_untracked().as_ref() == Some(&period) && sc.level.try_get_untracked() == Some(level) {
                sc.card.try_set(Some(answer));
            }
        });
    });
    Effect::new(move |_| {
        // The ranking's colours, while the ranking is shown.
        let open = sc.open.get() && !sc.campaigns_tab.get();
        let by = sc.colour_by.get();
        let (level, colours) = sc.card.with(|c| match c {
            Some(Ok(card)) if open => (card.level.as_str().to_owned(), region_colours(card, by)),
            _ => (String::new(), Vec::new()),
        });
        ctx.with_map(|m| m.set_scorecard(&level, &colours));
    });
    sc
}

/// Colour of a score 0–100: red (worst) through yellow to green (best).
pub fn score_color(score: f64) -> String {
    let stops: [(f64, [u8; 3]); 3] =
        [(0.0, [0xd7, 0x26, 0x3d]), (50.0, [0xe8, 0xc5, 0x47]), (100.0, [0x2e, 0xcc, 0x71])];
    let s = score.clamp(0.0, 100.0);
    let k = if s <= 50.0 { 0 } else { 1 };
    let ((a, ca), (b, cb)) = (stops[k], stops[k + 1]);
    let t = (s - a) / (b - a);
    let mix = |i: usize| (f64::from(ca[i]) + t * (f64::from(cb[i]) - f64::from(ca[i]))).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2))
}

/// Each region's colour by the total score (`by` `None`) or an indicator's score.
pub fn region_colours(card: &Scorecard, by: Option<Indicator>) -> Vec<(String, String)> {
    card.rows
        .iter()
        .map(|r| {
            let score = match by {
                None => r.score,
                Some(i) => r.cells.iter().find(|c| c.indicator == i).and_then(|c| c.score),
            };
            (r.code.clone(), score.map_or_else(|| UNSCORED_COLOR.to_owned(), score_color))
        })
        .collect()
}

/// A value as the page shows it: shares as percentages, rates per 10,000 to 2 decimals.
pub fn format_value(info: &IndicatorInfo, value: Option<f64>) -> String {
    match value {
        None => "—".into(),
        Some(v) if info.is_share => format!("{:.1}%", v * 100.0),
        Some(v) => format!("{v:.2}"),
    }
}

/// A change (环比, 同比) with its sign: percentage points for shares.
pub fn format_change(lang: Lang, info: &IndicatorInfo, change: Option<f64>) -> String {
    match change {
        None => "—".into(),
        Some(c) if info.is_share => {
            let unit = if lang == Lang::Zh { "个百分点" } else { " pt" };
            format!("{:+.1}{unit}", c * 100.0)
        }
        Some(c) => format!("{c:+.2}"),
    }
}

fn label(lang: Lang, info: &IndicatorInfo) -> String {
    if lang == Lang::Zh { info.label_zh.clone() } else { info.label_en.clone() }
}

/// The header button.
#[component]
pub fn ScorecardButton() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let sc = expect_context::<ScorecardCtx>();
    view! {
        <button id="scorecard-button" class="chip" class:on=move || sc.open.get()
            on:click=move |_| sc.open.update(|o| *o = !*o)>{move || ctx.t(T::Scorecard)}</button>
    }
}

/// The 考核 panel: the ranking, or the campaigns (专项整治; leaders declare them).
#[component]
pub fn ScorecardPanel(leads: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let sc = expect_context::<ScorecardCtx>();
    let tab = move |campaigns: bool, text: T, id: &'static str| {
        let on = move || sc.campaigns_tab.get() == campaigns;
        view! {
            <button class="chip" id=id class:on=on attr:aria-pressed=move || on().to_string()
                on:click=move |_| sc.campaigns_tab.set(campaigns)>{move || ctx.t(text)}</button>
        }
    };
    view! {
        <section id="scorecard-panel" class="scorecard" aria-labelledby="scorecard-title">
            <button class="chip no-print" style="float:right" on:click=move |_| sc.open.set(false)>{move || ctx.t(T::Close)}</button>
            <h2 id="scorecard-title">{move || ctx.t(T::ScorecardTitle)}</h2>
            <p role="group">{tab(false, T::Ranking, "tab-ranking")} " " {tab(true, T::Campaigns, "tab-campaigns")}</p>
            <Show when=move || sc.campaigns_tab.get() fallback=|| view! { <Ranking /> }>
                <crate::campaigns::CampaignsView leads=leads />
            </Show>
        </section>
    }
}

/// The ranking tab.
#[component]
fn Ranking() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let sc = expect_context::<ScorecardCtx>();
    let level_button = move |level: &'static str, text: T| {
        let on = move || sc.card.with(|c| matches!(c, Some(Ok(card)) if card.level.as_str() == level));
        view! {
            <button class="chip" class:on=on attr:aria-pressed=move || on().to_string() id=format!("scorecard-{level}")
                on:click=move |_| { sc.level.set(Some(level.to_owned())); sc.unfolded.set(None); }>{move || ctx.t(text)}</button>
        }
    };
    let colour_options = move || {
        let infos = sc.card.with(|c| match c {
            Some(Ok(card)) => card.indicators.clone(),
            _ => Vec::new(),
        });
        let lang = ctx.lang.get();
        let chosen = sc.colour_by.get();
        std::iter::once(view! { <option value="" selected=chosen.is_none()>{ctx.t(T::TotalScore)}</option> }.into_any())
            .chain(infos.into_iter().map(move |i| {
                let selected = chosen == Some(i.indicator);
                view! { <option value=i.indicator.as_str() selected=selected>{label(lang, &i)}</option> }.into_any()
            }))
            .collect_view()
    };
    let csv_href = move || api::scorecard_url(&sc.period.get(), sc.level.get().as_deref(), "csv");
    view! {
        <div id="scorecard-ranking">
            <div class="scorecard-controls">
                <label>{move || ctx.t(T::ScorecardMonth)} " "
                    <input type="month" id="scorecard-month" prop:value=move || sc.period.get()
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if Month::parse(&v).is_ok() { sc.period.set(v); sc.unfolded.set(None); }
                        } />
                </label>
                <span role="group">{level_button("county", T::Counties)} {level_button("township", T::Townships)}</span>
                <label>{move || ctx.t(T::ColourMapBy)} " "
                    <select id="scorecard-colour" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        sc.colour_by.set(Indicator::parse(&v));
                    }>{colour_options}</select>
                </label>
                <a class="chip" id="scorecard-csv" href=csv_href download="scorecard.csv">{move || ctx.t(T::ExportCsv)}</a>
            </div>
            <p class="legend muted" id="scorecard-legend">
                {move || ctx.t(T::Worse)} " "
                <span class="swatch" style=format!("background:{}", score_color(0.0))></span>
                <span class="swatch" style=format!("background:{}", score_color(50.0))></span>
                <span class="swatch" style=format!("background:{}", score_color(100.0))></span>
                " " {move || ctx.t(T::Better)} " · "
                <span class="swatch" style=format!("background:{UNSCORED_COLOR}")></span> " " {move || ctx.t(T::TooFew)}
            </p>
            // The table is drawn afresh for a new answer, another colouring or language.
            {move || {
                sc.colour_by.track();
                ctx.lang.track();
                match sc.card.get() {
                    None => view! { <p class="muted">{ctx.t(T::Loading)}</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="error" role="alert">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> }.into_any(),
                    Some(Ok(card)) => view! { <ScorecardTable card=card /> }.into_any(),
                }
            }}
        </div>
    }
}

#[component]
fn ScorecardTable(card: Scorecard) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let sc = expect_context::<ScorecardCtx>();
    let lang = ctx.lang.get_untracked();
    let infos = card.indicators.clone();
    let shown = sc.colour_by.get_untracked();
    let shown_info = shown.and_then(|i| infos.iter().find(|x| x.indicator == i).cloned());
    let partial = card.partial;
    let method = if lang == Lang::Zh { card.method_zh.clone() } else { card.method_en.clone() };
    let weights = infos
        .iter()
        .map(|i| format!("{} {} {}", label(lang, i), ctx.t(T::Weight), i.weight))
        .collect::<Vec<_>>()
        .join(" · ");
    let rows = card.rows.into_iter().map(|r| {
        let shown_info = shown_info.clone();
        let infos = infos.clone();
        view! { <ScorecardRowView row=r infos=infos shown=shown_info /> }
    });
    view! {
        {partial.then(|| view! { <p class="muted" id="scorecard-partial">{ctx.t(T::MonthUnderWay)}</p> })}
        <table id="scorecard-table" class="scorecard-table">
            <thead><tr>
                <th scope="col">{ctx.t(T::Rank)}</th>
                <th scope="col">{ctx.t(T::RegionName)}</th>
                <th scope="col">{ctx.t(T::Score)}</th>
                <th scope="col">{shown_info.as_ref().map_or_else(|| ctx.t(T::TotalScore).to_owned(), |i| label(lang, i))}</th>
                <th scope="col">{ctx.t(T::VsLastMonth)}</th>
                <th scope="col">{ctx.t(T::VsYearAgo)}</th>
            </tr></thead>
            <tbody>{rows.collect_view()}</tbody>
        </table>
        <details class="muted"><summary>{ctx.t(T::Method)}</summary><p>{method}</p><p>{weights}</p></details>
    }
}

#[component]
fn ScorecardRowView(row: ScorecardRow, infos: Vec<IndicatorInfo>, shown: Option<IndicatorInfo>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let sc = expect_context::<ScorecardCtx>();
    let lang = ctx.lang.get_untracked();
    let code = row.code.clone();
    let unfolded = {
        let code = code.clone();
        Memo::new(move |_| sc.unfolded.get().as_deref() == Some(code.as_str()))
    };
    let toggle = {
        let code = code.clone();
        move |_| {
            sc.unfolded.update(|u| *u = if u.as_deref() == Some(code.as_str()) { None } else { Some(code.clone()) })
        }
    };
    let score_text = row.score.map_or_else(|| ctx.t(T::TooFew).to_owned(), |s| format!("{s:.1}"));
    let (value, prev, yoy) = match &shown {
        None => (score_text.clone(), "—".to_owned(), "—".to_owned()),
        Some(info) => {
            let c = row.cells.iter().find(|c| c.indicator == info.indicator);
            (
                c.map_or_else(|| "—".into(), |c| cell_value(lang, info, c)),
                format_change(lang, info, c.and_then(|c| c.change_prev)),
                format_change(lang, info, c.and_then(|c| c.change_yoy)),
            )
        }
    };
    let details = infos
        .iter()
        .zip(&row.cells)
        .map(|(info, c)| {
            view! {
                <tr class="scorecard-indicator" data-indicator=info.indicator.as_str()>
                    <td></td>
                    <td>{label(lang, info)}</td>
                    <td>{c.score.map_or_else(|| "—".to_owned(), |s| format!("{s:.1}"))}</td>
                    <td>{cell_value(lang, info, c)} <span class="muted">{format!(" {}/{}", c.numerator, c.denominator)}</span></td>
                    <td>{format_change(lang, info, c.change_prev)}</td>
                    <td>{format_change(lang, info, c.change_yoy)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <tr class="scorecard-row" data-code=code.clone() class:unfolded=move || unfolded.get()>
            <td>{row.rank.map_or_else(|| "—".to_owned(), |k| k.to_string())}</td>
            <td><button class="link" aria-expanded=move || unfolded.get().to_string() on:click=toggle>{row.name.clone()}</button></td>
            <td>{score_text}</td>
            <td>{value}</td>
            <td>{prev}</td>
            <td>{yoy}</td>
        </tr>
        <Show when=move || unfolded.get()>{details.clone()}
            <tr class="scorecard-extra" data-indicator="receptions">
                <td></td><td>{crate::i18n::tr(lang, T::ReceptionsCount)}</td><td>"—"</td>
                <td>{row.receptions.to_string()}</td><td></td><td></td>
            </tr>
        </Show>
    }
}

/// An indicator's value, or why it is not judged.
fn cell_value(lang: Lang, info: &IndicatorInfo, c: &IndicatorCell) -> String {
    match c.judgement {
        Judgement::Unavailable => crate::i18n::tr(lang, T::NoDataYet).to_owned(),
        Judgement::TooFew => format!("{} ({})", format_value(info, c.value), crate::i18n::tr(lang, T::TooFew)),
        Judgement::Scored => format_value(info, c.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_run_from_red_through_yellow_to_green() {
        assert_eq!(score_color(0.0), "#d7263d");
        assert_eq!(score_color(50.0), "#e8c547");
        assert_eq!(score_color(100.0), "#2ecc71");
        assert_eq!(score_color(-5.0), score_color(0.0));
        assert_eq!(score_color(75.0), "#8bc95c");
    }

    #[test]
    fn values_and_changes_read_in_their_units() {
        let info = |is_share| IndicatorInfo {
            indicator: Indicator::OnTimeRate,
            label_zh: String::new(),
            label_en: String::new(),
            weight: 1.0,
            direction: model::scorecard::Direction::HigherIsBetter,
            min_denominator: 1,
            is_share,
        };
        assert_eq!(format_value(&info(true), Some(0.9853)), "98.5%");
        assert_eq!(format_value(&info(false), Some(143.821)), "143.82");
        assert_eq!(format_value(&info(true), None), "—");
        assert_eq!(format_change(Lang::Zh, &info(true), Some(0.012)), "+1.2个百分点");
        assert_eq!(format_change(Lang::En, &info(true), Some(-0.012)), "-1.2 pt");
        assert_eq!(format_change(Lang::En, &info(false), Some(3.0)), "+3.00");
    }
}
