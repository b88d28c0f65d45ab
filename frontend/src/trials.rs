//! Forecast trials (预测方法回测) in the forecast panel and the planner: per county one line on
//! what its backtest found and the method used, a link to the trial's table (every method's hit
//! rate, PAI and PEI over the shifts), and a button that runs the trial now (the server refuses
//! those who may not, and says why).

use crate::api;
use crate::app::Ctx;
use crate::i18n::{Lang, T};
use leptos::prelude::*;
use model::api::hotspots::{CountyMethod, TrialsAnswer};

/// One county's method line, with its details on demand.
#[component]
pub fn CountyMethodLine(method: CountyMethod) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let open = RwSignal::new(false);
    let reload = RwSignal::new(0u32);
    let note = RwSignal::new(None::<(String, String)>);
    let county = method.county_code.to_string();
    let details = {
        let county = county.clone();
        LocalResource::new(move || {
            reload.track();
            let (county, open) = (county.clone(), open.get());
            async move { if open { Some(api::forecast_trials(&county).await) } else { None } }
        })
    };
    let (zh, en) = (method.summary_zh.clone(), method.summary_en.clone());
    let run = move |_| {
        let county = county.clone();
        leptos::task::spawn_local(async move {
            let said = match api::run_forecast_trial(&county).await {
                Ok(_) => (
                    crate::i18n::tr(Lang::Zh, T::TrialRunning).to_owned(),
                    crate::i18n::tr(Lang::En, T::TrialRunning).to_owned(),
                ),
                Err(e) => (crate::i18n::api_error(Lang::Zh, &e), crate::i18n::api_error(Lang::En, &e)),
            };
            note.set(Some(said));
            reload.update(|n| *n += 1);
        });
    };
    view! {
        <div class="forecast-method" data-county=method.county_code.to_string() data-method=method.method.clone()>
            <p class="muted" style="font-size:11px">
                {move || if ctx.lang.get() == Lang::Zh { zh.clone() } else { en.clone() }}" "
                <button class="link trial-details" on:click=move |_| open.update(|o| *o = !*o)>{move || ctx.t(T::TrialDetails)}</button>
            </p>
            <Show when=move || open.get()>
                <div class="trial-table">
                    {move || details.get().flatten().map(|answer| match answer {
                        Ok(t) => trial_table(ctx, t).into_any(),
                        Err(e) => view! { <p class="error">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> }.into_any(),
                    })}
                    <button class="chip trial-run" on:click=run.clone()>{move || ctx.t(T::TrialRunNow)}</button>
                    {move || note.get().map(|(zh, en)| view! { <p class="muted trial-note">{if ctx.lang.get() == Lang::Zh { zh } else { en }}</p> })}
                </div>
            </Show>
        </div>
    }
}

/// The newest trial's scores, the chosen method marked.
fn trial_table(ctx: Ctx, t: TrialsAnswer) -> impl IntoView {
    let running = t.running;
    let Some(newest) = t.trials.into_iter().next() else {
        return view! { <p class="muted">{move || ctx.t(if running { T::TrialRunning } else { T::TrialNone })}</p> }
            .into_any();
    };
    let ran_at = crate::time::local_minutes(newest.ran_at.timestamp_millis());
    let chosen = newest.chosen.clone();
    view! {
        <p class="muted" style="font-size:11px">{move || ctx.t(T::TrialRanAt)}" "{ran_at.clone()}
            {move || running.then(|| format!(" · {}", ctx.t(T::TrialRunning)))}</p>
        <table class="trial-scores">
            <tr><th>{move || ctx.t(T::TrialMethod)}</th><th>{move || ctx.t(T::TrialHitRate)}</th><th>"PAI"</th><th>"PEI"</th><th></th></tr>
            {newest.scores.into_iter().map(|s| {
                let is_chosen = s.method == chosen;
                let (zh, en) = (s.label_zh.clone(), s.label_en.clone());
                view! {
                    <tr class:chosen=is_chosen data-method=s.method.clone()>
                        <td>{move || if ctx.lang.get() == Lang::Zh { zh.clone() } else { en.clone() }}</td>
                        <td>{format!("{:.1}%", s.hit_rate * 100.0)}</td>
                        <td>{format!("{:.2}", s.pai)}</td>
                        <td>{format!("{:.2}", s.pei)}</td>
                        <td>{move || is_chosen.then(|| ctx.t(T::TrialChosen))}</td>
                    </tr>
                }
            }).collect_view()}
        </table>
    }
    .into_any()
}
