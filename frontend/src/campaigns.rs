//! Special campaigns (专项整治) on the 考核 panel: the campaigns of the caller's jurisdiction,
//! each one's evaluation (did it work, did crime move next door; `GET
//! /api/campaigns/{id}/evaluation`), and for leaders a form that declares one over the region
//! selected on the map, for the kinds the dashboard's filter shows.

use crate::api;
use crate::app::Ctx;
use crate::i18n::{Lang, T};
use leptos::prelude::*;
use model::Category;
use model::api::campaign::{CampaignBody, CampaignStage, CampaignView, Evaluation, RateRatioView};

fn stage_text(stage: CampaignStage) -> T {
    match stage {
        CampaignStage::Planned => T::StagePlanned,
        CampaignStage::Running => T::StageRunning,
        CampaignStage::Finished => T::StageFinished,
    }
}

/// A rate ratio with its interval: `0.69 (0.60–0.79)`.
pub fn ratio_text(r: &RateRatioView) -> String {
    let ratio = r.ratio.map_or_else(|| "—".to_owned(), |x| format!("{x:.2}"));
    let high = r.ci_high.map_or_else(|| "∞".to_owned(), |x| format!("{x:.2}"));
    format!("{ratio} ({:.2}–{high})", r.ci_low)
}

/// A p-value as the table shows it.
pub fn p_text(p: f64) -> String {
    if p < 0.001 { "< 0.001".into() } else { format!("{p:.3}") }
}

/// The campaigns list, an evaluation, and the form.
#[component]
pub fn CampaignsView(leads: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let reload = RwSignal::new(0u32);
    let chosen = RwSignal::new(None::<u64>);
    let list = LocalResource::new(move || {
        reload.track();
        api::campaigns()
    });
    view! {
        <section id="campaigns">
            <Show when=move || chosen.get().is_some()
                fallback=move || view! {
                    {move || match list.get() {
                        None => view! { <p class="muted">{ctx.t(T::Loading)}</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="error" role="alert">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> }.into_any(),
                        Some(Ok(v)) if v.is_empty() => view! { <p class="muted" id="no-campaigns">{ctx.t(T::NoCampaigns)}</p> }.into_any(),
                        Some(Ok(v)) => view! {
                            <ul class="campaign-list">
                                {v.into_iter().map(|c| campaign_item(ctx, c, chosen)).collect_view()}
                            </ul>
                        }.into_any(),
                    }}
                    {leads.then(|| view! { <CampaignForm reload=reload /> })}
                }>
                {move || chosen.get().map(|id| view! { <EvaluationView id=id chosen=chosen /> })}
            </Show>
        </section>
    }
}

fn campaign_item(ctx: Ctx, c: CampaignView, chosen: RwSignal<Option<u64>>) -> impl IntoView {
    let id = c.id;
    let kinds = if c.categories.is_empty() {
        ctx.t(T::AllKinds).to_owned()
    } else {
        c.categories.iter().map(|k| crate::i18n::category(ctx.lang.get_untracked(), *k)).collect::<Vec<_>>().join("、")
    };
    view! {
        <li class="campaign" data-id=id.to_string()>
            <button class="link" on:click=move |_| chosen.set(Some(id))>{c.name.clone()}</button>
            <span class="muted">{format!(" · {} · {} · {} – {} · ", c.area_name, kinds, c.start, c.end)}{ctx.t(stage_text(c.stage))}</span>
        </li>
    }
}

#[component]
fn EvaluationView(id: u64, chosen: RwSignal<Option<u64>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let answer = LocalResource::new(move || api::campaign_evaluation(id));
    view! {
        <div id="campaign-evaluation">
            <button class="chip" id="campaign-back" on:click=move |_| chosen.set(None)>{move || ctx.t(T::BackToList)}</button>
            {move || match answer.get() {
                None => view! { <p class="muted">{ctx.t(T::Loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> }.into_any(),
                Some(Ok(e)) => evaluation(ctx, e).into_any(),
            }}
        </div>
    }
}

fn evaluation(ctx: Ctx, e: Evaluation) -> impl IntoView {
    let lang = ctx.lang.get();
    let zh = lang == Lang::Zh;
    let row = |label: String, r: &RateRatioView| {
        view! {
            <tr>
                <th scope="row">{label}</th>
                <td>{r.before}</td>
                <td>{r.after}</td>
                <td>{ratio_text(r)}</td>
                <td>{p_text(r.p_value)}</td>
            </tr>
        }
    };
    let mut rows = vec![row(ctx.t(T::TheArea).to_owned(), &e.target).into_any()];
    if let Some(c) = &e.control {
        rows.push(row(format!("{} · {}", ctx.t(T::ControlArea), e.control_name), c).into_any());
    }
    for r in &e.rings {
        rows.push(row(format!("{} {:.0}–{:.0} m", ctx.t(T::Ring), r.inner_m, r.outer_m), &r.rate_ratio).into_any());
    }
    let relative = e.relative.as_ref().map(|r| {
        format!("{}: {:.2} ({:.2}–{:.2}), p {}", ctx.t(T::Relative), r.ratio, r.ci_low, r.ci_high, p_text(r.p_value))
    });
    let rings = e
        .rings
        .iter()
        .map(|r| {
            let wdq = r.wdq.map_or_else(String::new, |w| format!(" WDQ {w:.2}:"));
            let text = if zh { r.reading_zh.clone() } else { r.reading_en.clone() };
            view! { <li data-reading=r.reading.clone()>{format!("{:.0}–{:.0} m{wdq} {text}", r.inner_m, r.outer_m)}</li> }
        })
        .collect_view();
    let warnings = if zh { e.warnings_zh.clone() } else { e.warnings_en.clone() };
    view! {
        <h3>{e.campaign.name.clone()} <span class="muted">{format!(" · {} · {} – {}", e.campaign.area_name, e.campaign.start, e.campaign.end)}</span></h3>
        <p id="campaign-summary"><strong>{if zh { e.summary_zh.clone() } else { e.summary_en.clone() }}</strong></p>
        <table class="scorecard-table" id="campaign-table">
            <thead><tr>
                <th scope="col"></th>
                <th scope="col">{ctx.t(T::Baseline)}</th>
                <th scope="col">{ctx.t(T::During)}</th>
                <th scope="col">{ctx.t(T::RateRatio)}</th>
                <th scope="col">{ctx.t(T::PValue)}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {relative.map(|t| view! { <p id="campaign-relative">{t}</p> })}
        <h4>{ctx.t(T::Displacement)}</h4>
        <ul class="campaign-rings">{rings}</ul>
        {(!warnings.is_empty()).then(|| view! {
            <h4>{ctx.t(T::Cautions)}</h4>
            <ul class="campaign-warnings">{warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
        })}
        <details class="muted"><summary>{ctx.t(T::EvaluationMethod)}</summary><p>{if zh { e.method_zh.clone() } else { e.method_en.clone() }}</p></details>
    }
}

#[component]
fn CampaignForm(reload: RwSignal<u32>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let name = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let baseline = RwSignal::new(String::new());
    let error = RwSignal::new(None::<api::ApiError>);
    let busy = RwSignal::new(false);
    let field = move |label: T, id: &'static str, signal: RwSignal<String>, placeholder: &'static str| {
        view! {
            <label class="field">{move || ctx.t(label)}
                <input type="text" id=id placeholder=placeholder prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev)) />
            </label>
        }
    };
    let kinds = move || {
        let all = Category::all();
        let chosen = ctx.categories.get();
        if chosen.len() == all.len() {
            ctx.t(T::AllKinds).to_owned()
        } else {
            chosen.iter().map(|k| crate::i18n::category(ctx.lang.get(), *k)).collect::<Vec<_>>().join("、")
        }
    };
    let declare = move |_| {
        let Some(region) = ctx.scope.get_untracked() else { return };
        let chosen = ctx.categories.get_untracked();
        let categories = if chosen.len() == Category::all().len() {
            Vec::new()
        } else {
            chosen.iter().map(|k| k.as_str().to_owned()).collect()
        };
        let body = CampaignBody {
            name: name.get_untracked(),
            region: Some(region),
            geometry: None,
            categories,
            start: start.get_untracked(),
            end: end.get_untracked(),
            baseline_days: baseline.get_untracked().trim().parse().ok(),
            control: None,
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = api::create_campaign(&body).await;
            busy.try_set(false);
            match answer {
                Ok(_) => {
                    error.try_set(None);
                    name.try_set(String::new());
                    reload.try_update(|n| *n += 1);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <details class="campaign-form" id="campaign-form">
            <summary>{move || ctx.t(T::NewCampaign)}</summary>
            {field(T::CampaignName, "campaign-name", name, "")}
            <p class="muted">{move || ctx.t(T::CampaignArea)} "："
                {move || ctx.scope.get().unwrap_or_else(|| ctx.t(T::SelectRegionFirst).to_owned())}</p>
            <p class="muted">{move || ctx.t(T::CampaignKinds)} "：" {kinds}</p>
            {field(T::StartDay, "campaign-start", start, "YYYY-MM-DD")}
            {field(T::EndDay, "campaign-end", end, "YYYY-MM-DD")}
            {field(T::BaselineDays, "campaign-baseline", baseline, "")}
            <button class="chip" id="campaign-declare" disabled=move || busy.get() || ctx.scope.get().is_none_or(|r| r.len() != 12)
                on:click=declare>{move || ctx.t(T::Declare)}</button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> })}
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_read_with_their_interval() {
        let r = RateRatioView {
            before: 523,
            before_days: 60.0,
            after: 362,
            after_days: 60.0,
            ratio: Some(0.6921),
            ci_low: 0.6036,
            ci_high: Some(0.7929),
            p_value: 6.9e-8,
            too_few: false,
        };
        assert_eq!(ratio_text(&r), "0.69 (0.60–0.79)");
        assert_eq!(ratio_text(&RateRatioView { ratio: None, ci_high: None, ..r.clone() }), "— (0.60–∞)");
        assert_eq!(p_text(r.p_value), "< 0.001");
        assert_eq!(p_text(0.1395), "0.140");
    }
}
