//! The one-village-one-officer desk (一村一警). A village officer lands on their desk: their
//! villages outlined on the map, today's tasks, the visit form (with a photo) and log, disputes
//! (register, move along the mediation tracks), near-repeat alerts and backlog cases. Township,
//! county and city users get the backlog clearance board (积案清零: leaders take charge), the
//! officers' workload and a rebalancing suggestion they can accept move by move.

use crate::api::{self, ApiError};
use crate::app::{Ctx, Selection};
use crate::i18n::{Lang, T};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use model::api::desk::{
    AssignBody, BacklogBoard, BacklogBody, ConfirmationBody, Desk, DisputeBody, DisputeStats, DisputeStepBody,
    PhotoBody, RebalanceSuggestion, ScreeningBoard, ScreeningBody, ScreeningState, VisitBody, Workload,
};
use model::auth::Role;
use model::desk::{CaseTag, DisputeKind, DisputeStatus, Referral};
use model::screening::RiskGrade;
use serde_json::json;
use std::future::Future;
use wasm_bindgen::JsCast;

/// Desk state shared by its panel, the header button and the map.
#[derive(Clone, Copy)]
pub struct DeskCtx {
    /// Whether the desk replaces the event queue on the right.
    pub open: RwSignal<bool>,
    /// The village officer's desk (`GET /api/desk`).
    pub desk: RwSignal<Option<Desk>>,
    /// The backlog board (`GET /api/backlog`).
    pub board: RwSignal<Option<BacklogBoard>>,
    /// Officers' workload (`GET /api/workload`).
    pub workload: RwSignal<Option<Workload>>,
    /// A rebalancing suggestion (`GET /api/workload/rebalance`).
    pub rebalance: RwSignal<Option<RebalanceSuggestion>>,
    /// Dispute statistics (`GET /api/disputes/stats`).
    pub stats: RwSignal<Option<DisputeStats>>,
    /// This month's dispute screening board (`GET /api/screenings`).
    pub screenings: RwSignal<Option<ScreeningBoard>>,
    /// The open petitions (`GET /api/petitions`).
    pub petitions: RwSignal<Option<model::api::petition::PetitionList>>,
    /// The cases in the signed-in leader's charge (`GET /api/my-cases`).
    pub my_cases: RwSignal<Option<model::api::desk::MyCases>>,
    /// This month's receptions and visits (`GET /api/receptions`).
    pub receptions: RwSignal<Option<model::api::petition::ReceptionCalendar>>,
    /// The mediator rosters of the officer's villages (`GET /api/mediators`).
    pub mediators: RwSignal<Vec<model::api::desk::MediatorView>>,
    /// The village chosen in the dispute form (its roster is offered).
    pub dispute_village: RwSignal<String>,
    /// Bumped after every write: everything reloads.
    pub version: RwSignal<u32>,
    /// The last message: a confirmation or why a call failed (shown in the current language).
    pub message: RwSignal<Option<Result<T, ApiError>>>,
    /// Whether the signed-in user is a village officer.
    pub officer: bool,
    /// Whether the signed-in user takes charge of backlog cases (command centres and leaders).
    pub leads: bool,
    /// Whether the signed-in user changes cases (registers and moves petitions on).
    pub writes: bool,
}

/// Sets up the desk; a village officer's opens at once.
pub fn start(ctx: Ctx, role: Role) -> DeskCtx {
    let officer = role == Role::Village;
    let desk = DeskCtx {
        open: RwSignal::new(officer),
        desk: RwSignal::new(None),
        board: RwSignal::new(None),
        workload: RwSignal::new(None),
        rebalance: RwSignal::new(None),
        stats: RwSignal::new(None),
        screenings: RwSignal::new(None),
        petitions: RwSignal::new(None),
        receptions: RwSignal::new(None),
        my_cases: RwSignal::new(None),
        mediators: RwSignal::new(Vec::new()),
        dispute_village: RwSignal::new(String::new()),
        version: RwSignal::new(0),
        message: RwSignal::new(None),
        officer,
        leads: role.takes_charge(),
        writes: role.writes_cases(),
    };
    provide_context(desk);
    // Load what the panel shows whenever it opens or something was written.
    Effect::new(move |_| {
        desk.version.track();
        if !desk.open.get() {
            return;
        }
        leptos::task::spawn_local(async move {
            if desk.officer {
                match api::desk().await {
                    Ok(d) => {
                        if desk.dispute_village.get_untracked().is_empty()
                            && let Some(v) = d.villages.first()
                        {
                            desk.dispute_village.try_set(v.village.code.to_string());
                        }
                        desk.desk.try_set(Some(d));
                    }
                    Err(e) => {
                        desk.message.try_set(Some(Err(e)));
                    }
                }
                match api::mediators().await {
                    Ok(m) => {
                        desk.mediators.try_set(m);
                    }
                    Err(e) => {
                        desk.message.try_set(Some(Err(e)));
                    }
                }
            } else {
                match api::backlog().await {
                    Ok(b) => {
                        desk.board.try_set(Some(b));
                    }
                    Err(e) => {
                        desk.message.try_set(Some(Err(e)));
                    }
                }
                if desk.leads {
                    match api::my_cases().await {
                        Ok(m) => {
                            desk.my_cases.try_set(Some(m));
                        }
                        Err(e) => {
                            desk.message.try_set(Some(Err(e)));
                        }
                    }
                }
                match api::workload().await {
                    Ok(wl) => {
                        desk.workload.try_set(Some(wl));
                    }
                    Err(e) => {
                        desk.message.try_set(Some(Err(e)));
                    }
                }
            }
            match api::dispute_stats().await {
                Ok(st) => {
                    desk.stats.try_set(Some(st));
                }
                Err(e) => {
                    desk.message.try_set(Some(Err(e)));
                }
            }
            match api::screenings().await {
                Ok(b) => {
                    desk.screenings.try_set(Some(b));
                }
                Err(e) => {
                    desk.message.try_set(Some(Err(e)));
                }
            }
            match api::petitions().await {
                Ok(list) => {
                    desk.petitions.try_set(Some(list));
                }
                Err(e) => {
                    desk.message.try_set(Some(Err(e)));
                }
            }
            match api::receptions().await {
                Ok(cal) => {
                    desk.receptions.try_set(Some(cal));
                }
                Err(e) => {
                    desk.message.try_set(Some(Err(e)));
                }
            }
        });
    });
    // The officer's villages outlined on the map, and the map fitted to them once.
    let fitted = StoredValue::new(false);
    Effect::new(move |_| {
        let Some(d) = desk.desk.get() else { return };
        let codes: Vec<String> = d.villages.iter().map(|v| v.village.code.to_string()).collect();
        let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for c in d.villages.iter().map(|v| v.bbox) {
            b = [b[0].min(c[0]), b[1].min(c[1]), b[2].max(c[2]), b[3].max(c[3])];
        }
        // Fitted once, when the map exists (this effect runs again when it comes to be).
        if b[0].is_finite() && !fitted.get_value() && ctx.map_ready.get() {
            fitted.set_value(true);
            ctx.with_map(|m| m.fit(b));
        }
        if !ctx.map_ready.get() {
            return;
        }
        leptos::task::spawn_local(async move {
            let mut features = Vec::new();
            for code in codes {
                match api::region(&code).await {
                    Ok(f) => features.push(f),
                    Err(e) => {
                        desk.message.try_set(Some(Err(e)));
                    }
                }
            }
            let fc = json!({"type": "FeatureCollection", "features": features});
            ctx.with_map(|m| m.set_layer_data("desk", &fc.to_string()));
        });
    });
    desk
}

/// Runs a desk write; on success confirms with `done` and reloads, on failure shows why.
fn write<A>(desk: DeskCtx, call: impl Future<Output = Result<A, ApiError>> + 'static, done: T) {
    leptos::task::spawn_local(async move {
        match call.await {
            Ok(_) => {
                desk.message.try_set(Some(Ok(done)));
                desk.version.try_update(|v| *v += 1);
            }
            Err(e) => desk.message.set(Some(Err(e))),
        }
    });
}

/// The header button that opens the desk.
#[component]
pub fn DeskButton() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let desk = expect_context::<DeskCtx>();
    view! {
        <button id="desk-button" class="chip" class:on=move || desk.open.get()
            on:click=move |_| desk.open.update(|o| *o = !*o)>{move || ctx.t(T::Desk)}</button>
    }
}

/// A UTC time as the desk shows it (local minutes); empty when there is none.
fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| crate::time::local_minutes(t.timestamp_millis())).unwrap_or_default()
}

/// The Chinese or the English of a pair of labels, by language.
fn label(lang: Lang, zh: &str, en: &str) -> String {
    if lang == Lang::Zh { zh } else { en }.to_owned()
}

/// The value of the input, select or text area with id `id` (empty when there is none).
pub fn input_value(id: &str) -> String {
    let Some(e) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id)) else {
        return String::new();
    };
    match e.dyn_into::<web_sys::HtmlInputElement>() {
        Ok(i) => i.value(),
        Err(e) => match e.dyn_into::<web_sys::HtmlSelectElement>() {
            Ok(s) => s.value(),
            Err(e) => e.dyn_into::<web_sys::HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default(),
        },
    }
}

/// The time in a time input (China time, `YYYY-MM-DD HH:MM`), if it holds one.
fn time_of_input(id: &str) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(crate::time::parse_input(&input_value(id))?)
}

/// The photo chosen in the file input with id `id`, base64, if any.
pub async fn chosen_photo(id: &str) -> Option<PhotoBody> {
    let input: web_sys::HtmlInputElement = web_sys::window()?.document()?.get_element_by_id(id)?.dyn_into().ok()?;
    let file = input.files()?.get(0)?;
    let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await.ok()?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    Some(PhotoBody { content_type: file.type_(), data: base64::engine::general_purpose::STANDARD.encode(bytes) })
}

fn save_visit(desk: DeskCtx) {
    // A time that is typed but not a time is refused here, not replaced by "now".
    if !input_value("visit-at").trim().is_empty() && time_of_input("visit-at").is_none() {
        desk.message.set(Some(Err(ApiError {
            status: 422,
            code: "validation".into(),
            message: format!("visited_at: the time is written {}", crate::time::INPUT_FORMAT),
            field: Some("visited_at".into()),
        })));
        return;
    }
    leptos::task::spawn_local(async move {
        let body = VisitBody {
            village: input_value("visit-village"),
            visited_at: time_of_input("visit-at"),
            place: input_value("visit-place"),
            people_met: input_value("visit-people"),
            notes: input_value("visit-notes"),
            lon: None,
            lat: None,
            photo: chosen_photo("visit-photo").await,
        };
        match api::record_visit(body).await {
            Ok(_) => saved(desk, &["visit-place", "visit-people", "visit-notes", "visit-photo"]),
            Err(e) => {
                desk.message.try_set(Some(Err(e)));
            }
        }
    });
}

/// After a form was stored: confirm, reload, empty the form's inputs.
fn saved(desk: DeskCtx, inputs: &[&str]) {
    desk.message.set(Some(Ok(T::Saved)));
    desk.version.update(|v| *v += 1);
    for id in inputs {
        if let Some(e) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            e.set_value("");
        }
    }
}

fn save_dispute(desk: DeskCtx) {
    let body = DisputeBody {
        village: input_value("dispute-village"),
        kind: input_value("dispute-kind"),
        track: None,
        title: input_value("dispute-title"),
        parties: input_value("dispute-parties"),
        summary: input_value("dispute-summary"),
        mediator: input_value("dispute-mediator"),
        mediator_id: input_value("dispute-mediator-pick").parse().ok(),
        opened_at: None,
        incident: None,
        court_reference: Some(input_value("dispute-court-ref")).filter(|r| !r.trim().is_empty()),
    };
    leptos::task::spawn_local(async move {
        match api::register_dispute(body).await {
            Ok(_) => saved(
                desk,
                &["dispute-title", "dispute-parties", "dispute-mediator", "dispute-summary", "dispute-court-ref"],
            ),
            Err(e) => {
                desk.message.try_set(Some(Err(e)));
            }
        }
    });
}

/// The desk panel: the officer's desk or the leaders' board.
#[component]
pub fn DeskPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let desk = expect_context::<DeskCtx>();
    view! {
        <section id="desk">
            <h2>{move || ctx.t(T::Desk)}
                <button class="chip" style="float:right" on:click=move |_| desk.open.set(false)>{move || ctx.t(T::Close)}</button>
            </h2>
            {move || desk.message.get().map(|m| {
                let (class, text) = match m {
                    Ok(done) => ("ok", ctx.t(done).to_owned()),
                    Err(e) => ("error", crate::i18n::api_error(ctx.lang.get(), &e)),
                };
                view! { <p id="desk-message" class=class>{text}</p> }
            })}
            {move || if desk.officer { view! { <OfficerDesk /> }.into_any() } else { view! { <LeaderBoard /> }.into_any() }}
            <Screenings />
            <crate::petitions::Petitions />
            <crate::petitions::Receptions />
            <DisputeStats />
        </section>
    }
}

#[component]
fn OfficerDesk() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let desk = expect_context::<DeskCtx>();
    let village_options = move || {
        desk.desk.get().map(|d| {
            d.villages
                .into_iter()
                .map(|v| view! { <option value=v.village.code.to_string()>{v.village.name}</option> })
                .collect_view()
        })
    };
    view! {
        {move || desk.desk.get().map(|d| {
            let lang = ctx.lang.get();
            let o = d.officer;
            view! {
                <p id="desk-officer"><b>{o.name}</b>" · "{o.badge}" · "{o.station.unwrap_or_default()}</p>
                <h3>{ctx.t(T::MyVillages)}</h3>
                <table class="desk-table" id="desk-villages">
                    <tr><th>{ctx.t(T::Village)}</th><th>{ctx.t(T::LastVisit)}</th><th>{ctx.t(T::NextVisit)}</th><th>{ctx.t(T::OpenEvents)}</th><th>{ctx.t(T::OpenDisputes)}</th></tr>
                    {d.villages.into_iter().map(|v| {
                        let code = v.village.code.to_string();
                        let bbox = v.bbox;
                        let overdue = v.visit_overdue;
                        view! {
                            <tr class="desk-village" data-code=code.clone() tabindex="0"
                                on:click={
                                    let code = code.clone();
                                    move |_| {
                                        ctx.with_map(|m| m.fit(bbox));
                                        ctx.selection.set(Selection::Region(code.clone()));
                                    }
                                }
                                on:keydown=move |ev| if ev.key() == "Enter" {
                                    ctx.with_map(|m| m.fit(bbox));
                                    ctx.selection.set(Selection::Region(code.clone()));
                                }>
                                <td>{v.village.name}</td>
                                <td>{if v.last_visit.is_none() { ctx.t(T::Never).to_owned() } else { when(v.last_visit) }}</td>
                                <td class:overdue=overdue>{when(v.visit_due)}{overdue.then(|| format!(" {}", ctx.t(T::Overdue)))}</td>
                                <td>{v.open_events.to_string()}</td>
                                <td>{v.open_disputes.to_string()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </table>
                <p class="muted">{ctx.t(T::SyntheticPopulation)}</p>
                <h3>{ctx.t(T::Tasks)}</h3>
                <ul id="desk-tasks" class="desk-list">
                    {if d.tasks.is_empty() { view! { <li class="muted">{ctx.t(T::NoTasks)}</li> }.into_any() } else {
                     d.tasks.into_iter().take(30).map(|t| {
                        let overdue = t.overdue;
                        let id = t.id;
                        let is_event = t.kind == "event";
                        view! {
                            <li class="desk-task" class:overdue=overdue data-kind=t.kind.clone()
                                tabindex=is_event.then_some("0")
                                on:click=move |_| if let (true, Some(id)) = (is_event, id) { ctx.selection.set(Selection::Incident(id)) }
                                on:keydown=move |ev| if let (true, Some(id), "Enter") = (is_event, id, ev.key().as_str()) { ctx.selection.set(Selection::Incident(id)) }>
                                {label(lang, &t.title_zh, &t.title_en)}
                                <span class="muted">" · "{when(t.due_at)}{overdue.then(|| format!(" {}", ctx.t(T::Overdue)))}</span>
                            </li>
                        }
                     }).collect_view().into_any() }}
                </ul>
            }
        })}
        <h3>{move || ctx.t(T::RecordVisit)}</h3>
        <div class="desk-form" id="visit-form">
            <select id="visit-village">{village_options}</select>
            <label class="field">{move || ctx.t(T::VisitedAt)}
                <input type="text" class="time" inputmode="numeric" maxlength="19" placeholder=crate::time::INPUT_FORMAT
                    id="visit-at" prop:value=crate::time::input_value(crate::time::now_ms())
                    on:input=move |ev| crate::time::mark_time_input(&ev, crate::time::parse_input(&event_target_value(&ev)).is_some()) /></label>
            <input id="visit-place" placeholder=move || ctx.t(T::Place) />
            <input id="visit-people" placeholder=move || ctx.t(T::PeopleMet) />
            <input id="visit-notes" placeholder=move || ctx.t(T::Notes) />
            <label class="field">{move || ctx.t(T::PhotoOptional)}
                <input type="file" id="visit-photo" accept="image/jpeg,image/png,image/webp" /></label>
            <button id="visit-save" class="chip on" on:click=move |_| save_visit(desk)>{move || ctx.t(T::Save)}</button>
        </div>
        {move || desk.desk.get().map(|d| {
            let visits = d.visits;
            view! {
                <h3>{ctx.t(T::VisitLog)}</h3>
                <ul id="desk-visits" class="desk-list">
                    {if visits.is_empty() { view! { <li class="muted">{ctx.t(T::NoVisits)}</li> }.into_any() } else {
                        visits.into_iter().map(|v| view! {
                            <li class="desk-visit">{when(Some(v.visited_at))}" · "{v.village.name}" · "{v.place}
                                <span class="muted">" "{v.people_met}" "{v.notes}</span>
                                {v.photo_url.map(|u| view! { " " <a href=u target="_blank">{ctx.t(T::PhotoLink)}</a> })}
                            </li>
                        }).collect_view().into_any() }}
                </ul>
            }
        })}
        <h3>{move || ctx.t(T::RegisterDispute)}</h3>
        <div class="desk-form" id="dispute-form">
            <select id="dispute-village" on:change=move |ev| desk.dispute_village.set(event_target_value(&ev))>{village_options}</select>
            <select id="dispute-kind" title=move || ctx.t(T::DisputeKindLabel)>
                {move || { let lang = ctx.lang.get(); DisputeKind::ALL.iter().map(|k| view! {
                    <option value=k.as_str()>{if lang == Lang::Zh { k.label_zh() } else { k.label_en() }}</option>
                }).collect_view() }}
            </select>
            <input id="dispute-title" placeholder=move || ctx.t(T::DisputeTitle) />
            <input id="dispute-parties" placeholder=move || ctx.t(T::Parties) />
            <select id="dispute-mediator-pick" title=move || ctx.t(T::MediatorRoster)>
                <option value="">{move || ctx.t(T::MediatorOther)}</option>
                {move || {
                    let lang = ctx.lang.get();
                    let village = desk.dispute_village.get();
                    desk.mediators.get().into_iter().filter(|m| m.village.code.to_string() == village).map(|m| view! {
                        <option value=m.id.to_string()>{format!("{} · {}", m.name, label(lang, &m.role_zh, &m.role_en))}</option>
                    }).collect_view()
                }}
            </select>
            <input id="dispute-mediator" placeholder=move || ctx.t(T::Mediator) />
            <input id="dispute-summary" placeholder=move || ctx.t(T::Summary) />
            <input id="dispute-court-ref" placeholder=move || ctx.t(T::CourtReference) />
            <button id="dispute-save" class="chip on" on:click=move |_| save_dispute(desk)>{move || ctx.t(T::Register)}</button>
        </div>
        {move || desk.desk.get().map(|d| {
            let lang = ctx.lang.get();
            let (disputes, alerts, backlog) = (d.disputes, d.alerts, d.backlog);
            view! {
                <h3>{ctx.t(T::Disputes)}</h3>
                <ul id="desk-disputes" class="desk-list">
                    {if disputes.is_empty() { view! { <li class="muted">{ctx.t(T::NoDisputes)}</li> }.into_any() } else {
                        disputes.into_iter().map(|x| {
                            let (id, version) = (x.id, x.version);
                            let can_refer = x.next_steps.iter().any(|st| st.to == DisputeStatus::Referred);
                            view! {
                                <li class="desk-dispute" data-id=id.to_string()>
                                    <b>{x.title}</b>" · "{label(lang, &x.kind_zh, &x.kind_en)}" · "{label(lang, &x.track_zh, &x.track_en)}" · "
                                    <span class="status">{label(lang, &x.status_zh, &x.status_en)}</span>
                                    {x.court_reference.map(|r| view! { " " <span class="badge court-ref">{ctx.t(T::CourtReferred)}" "{r}</span> })}
                                    {x.confirmation.map(|c| view! { " " <span class="badge confirmed">{ctx.t(T::Confirmed)}" "{c.reference}</span> })}
                                    {x.confirmation_apply_by.map(|d| view! { " " <span class="muted">{ctx.t(T::ConfirmApplyBy)}" "{d.to_string()}</span> })}
                                    <span class="muted">" "{x.parties}</span>
                                    <span class="muted mediator">" · "{ctx.t(T::Mediator)}" "{x.mediator.clone()}
                                        {x.mediator_role.map(|r| format!("（{}）", if lang == Lang::Zh { r.label_zh() } else { r.label_en() }))}</span>
                                    <span class="steps">
                                        {can_refer.then(|| view! {
                                            <select id=format!("referral-{id}") title=move || ctx.t(T::ReferredTo)>
                                                {Referral::ALL.iter().map(|r| view! {
                                                    <option value=r.as_str()>{if lang == Lang::Zh { r.label_zh() } else { r.label_en() }}</option>
                                                }).collect_view()}
                                            </select>
                                        })}
                                        {x.next_steps.into_iter().map(|st| {
                                            let to = st.to;
                                            let step = move || DisputeStepBody {
                                                to: Some(to.as_str().to_owned()),
                                                session: None,
                                                outcome: String::new(),
                                                mediator: None,
                                                mediator_id: None,
                                                referral: (to == DisputeStatus::Referred).then(|| input_value(&format!("referral-{id}"))),
                                                confirmation: None,
                                                version: Some(version),
                                            };
                                            view! { <button class="chip step" data-to=to.as_str()
                                                on:click=move |_| write(desk, api::dispute_step(id, step()), T::Saved)>
                                                {label(lang, &st.label_zh, &st.label_en)}</button> }
                                        }).collect_view()}
                                    </span>
                                    {x.confirmation_allowed.then(|| view! {
                                        <span class="confirm-form">
                                            <input id=format!("confirm-court-{id}") placeholder=move || ctx.t(T::Court) />
                                            <input id=format!("confirm-ref-{id}") placeholder=move || ctx.t(T::RulingReference) />
                                            <input id=format!("confirm-date-{id}") type="date" />
                                            <button class="chip" id=format!("confirm-{id}")
                                                on:click=move |_| match confirmation_body(id) {
                                                    Ok(c) => write(desk, api::dispute_step(id, DisputeStepBody {
                                                        to: None, session: None, outcome: String::new(), mediator: None, mediator_id: None,
                                                        referral: None, confirmation: Some(c), version: Some(version),
                                                    }), T::Saved),
                                                    Err(e) => desk.message.set(Some(Err(e))),
                                                }>{move || ctx.t(T::RecordConfirmation)}</button>
                                        </span>
                                    })}
                                </li>
                            }
                        }).collect_view().into_any() }}
                </ul>
                <h3>{ctx.t(T::NearRepeatHere)}</h3>
                <ul id="desk-alerts" class="desk-list">
                    {if alerts.is_empty() { view! { <li class="muted">{ctx.t(T::NoAlerts)}</li> }.into_any() } else {
                        alerts.into_iter().map(|a| view! { <li>{when(Some(a.at))}" · "{label(lang, &a.message_zh, &a.message_en)}</li> }).collect_view().into_any() }}
                </ul>
                <h3>{ctx.t(T::Backlog)}</h3>
                <ul id="desk-backlog" class="desk-list">
                    {if backlog.is_empty() { view! { <li class="muted">{ctx.t(T::NoBacklog)}</li> }.into_any() } else {
                        backlog.into_iter().take(30).map(|c| view! {
                            <li class=format!("band-{}", c.band)>{label(lang, &c.title_zh, &c.title_en)}" · "{c.village.name}
                                <span class="muted">" "{ctx.t(T::AgeDays).replace("{}", &c.age_days.to_string())}
                                {c.leader_in_charge.map(|l| format!(" · {} {l}", ctx.t(T::Leader)))}</span></li>
                        }).collect_view().into_any() }}
                </ul>
            }
        })}
    }
}

/// The judicial confirmation typed in dispute `id`'s row, or why its date is not a date.
fn confirmation_body(id: u64) -> Result<ConfirmationBody, ApiError> {
    let raw = input_value(&format!("confirm-date-{id}"));
    let confirmed_on: NaiveDate =
        raw.parse().map_err(|e| ApiError::local(0, format!("confirmation.confirmed_on {raw:?} is not a date: {e}")))?;
    Ok(ConfirmationBody {
        court: input_value(&format!("confirm-court-{id}")),
        reference: input_value(&format!("confirm-ref-{id}")),
        confirmed_on,
    })
}

/// The body of a backlog case's take-charge row: the leader, target date and note typed in it
/// (empty inputs left out), or why the target date is not a date.
fn backlog_body(key: &str) -> Result<BacklogBody, ApiError> {
    let leader = input_value(&format!("leader-{key}"));
    let target = input_value(&format!("target-{key}"));
    let note = input_value(&format!("note-{key}"));
    let target_date = if target.is_empty() {
        None
    } else {
        let date: NaiveDate =
            target.parse().map_err(|e| ApiError::local(0, format!("target_date {target:?} is not a date: {e}")))?;
        Some(date)
    };
    let account = input_value(&format!("leader-user-{key}"));
    let tag = input_value(&format!("tag-{key}"));
    Ok(BacklogBody {
        leader_in_charge: (!leader.trim().is_empty()).then_some(leader),
        leader_user: (!account.trim().is_empty()).then_some(account),
        tag: (!tag.is_empty()).then_some(tag),
        department: None,
        target_date,
        note: if note.trim().is_empty() { String::new() } else { note },
    })
}

#[component]
fn LeaderBoard() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let desk = expect_context::<DeskCtx>();
    let suggest = move |_| {
        leptos::task::spawn_local(async move {
            match api::rebalance(10).await {
                Ok(r) => {
                    desk.rebalance.try_set(Some(r));
                }
                Err(e) => {
                    desk.message.try_set(Some(Err(e)));
                }
            }
        })
    };
    view! {
        {move || desk.my_cases.get().filter(|m| !m.cases.is_empty()).map(|m| {
            let lang = ctx.lang.get();
            view! {
                <h3>{ctx.t(T::MyCases)}</h3>
                <ul id="my-cases" class="desk-list">
                    {m.cases.into_iter().map(|c| view! {
                        <li class:band-3=c.reminder == Some(model::desk::Reminder::Missed)>
                            {label(lang, &c.case.title_zh, &c.case.title_en)}" · "{c.case.village.name}
                            {c.case.target_date.map(|t| format!(" · {} {t}", ctx.t(T::TargetDate)))}
                            {c.reminder_zh.map(|zh| view! { " " <span class="badge overdue">{if lang == Lang::Zh { zh } else { c.reminder_en.unwrap_or_default() }}</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            }
        })}
        {move || desk.board.get().map(|b| {
            let lang = ctx.lang.get();
            let band_labels = if lang == Lang::Zh { b.band_labels_zh.clone() } else { b.band_labels_en.clone() };
            view! {
                <h3>{ctx.t(T::BacklogBoard)}</h3>
                <p id="backlog-total"><b>{ctx.t(T::CaseTotal)}" "{b.total.to_string()}</b>
                    <span class="muted">" · "{ctx.t(T::BacklogEvents)}" "{b.events.to_string()}" · "{ctx.t(T::Disputes)}" "{b.disputes.to_string()}" · "{ctx.t(T::Petitions)}" "{b.petitions.to_string()}</span>
                    <span class="muted">" · "{ctx.t(T::WithLeader)}" "{b.with_leader.to_string()}" · "{ctx.t(T::TargetMissed)}" "{b.target_missed.to_string()}</span></p>
                <p id="police-overdue" class="muted">{ctx.t(T::PoliceOverdue)}" "<b>{b.police_overdue.to_string()}</b></p>
                <p class="bands">{b.by_band.iter().zip(band_labels).enumerate().map(|(k, (n, l))| view! {
                    <span class=format!("chip band-{k}")>{l}" "{n.to_string()}</span> }).collect_view()}</p>
                <p class="muted">{ctx.t(T::BacklogTrend)}</p>
                {let n = b.weekly.len();
                 let days: Vec<(String, u64)> = b.weekly.iter().enumerate()
                    .map(|(k, v)| (format!("-{}{}", n - 1 - k, ctx.t(T::WeekShort)), u64::from(*v))).collect();
                 view! { <crate::charts::Trend days=days /> }}
                <table class="desk-table" id="backlog-areas">
                    {b.areas.into_iter().take(12).map(|a| view! {
                        <tr><td>{a.area.name}</td><td>{a.total.to_string()}</td>
                            <td class="muted">{a.by_band.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" / ")}</td>
                            <td class="muted">{ctx.t(T::WithLeader)}" "{a.with_leader.to_string()}</td></tr>
                    }).collect_view()}
                </table>
                <ul id="backlog-cases" class="desk-list">
                    {b.cases.into_iter().take(15).map(|c| {
                        let (origin, id) = (c.origin, c.id);
                        let key = format!("{}-{}", origin.as_str(), id);
                        let (k0, k1, k2, k3) = (key.clone(), key.clone(), key.clone(), key.clone());
                        view! {
                            <li class=format!("backlog-case band-{}", c.band) data-key=k0>
                                {label(lang, &c.title_zh, &c.title_en)}" · "{c.village.name}
                                <span class="muted">" "{ctx.t(T::AgeDays).replace("{}", &c.age_days.to_string())}
                                    {c.leader_in_charge.map(|l| format!(" · {} {l}", ctx.t(T::Leader)))}
                                    {c.leader_user.map(|l| format!(" · {l}"))}
                                    {c.tag_zh.map(|zh| format!(" · {}", if lang == Lang::Zh { zh } else { c.tag_en.clone().unwrap_or_default() }))}
                                    {c.target_date.map(|t| format!(" · {} {t}", ctx.t(T::TargetDate)))}</span>
                                <span class="take-charge">
                                    <input class="leader" id=format!("leader-{k1}") placeholder=ctx.t(T::Leader) />
                                    <input class="leader" id=format!("leader-user-{}", k1.clone()) placeholder=ctx.t(T::LeaderAccount) />
                                    <select id=format!("tag-{}", k1.clone())>
                                        <option value="">"—"</option>
                                        {CaseTag::ALL.iter().map(|t| view! { <option value=t.as_str()>{if lang == Lang::Zh { t.label_zh() } else { t.label_en() }}</option> }).collect_view()}
                                    </select>
                                    <input class="target time" type="text" inputmode="numeric" maxlength="10" placeholder="YYYY-MM-DD" id=format!("target-{k2}") />
                                    <input class="note" id=format!("note-{k3}") placeholder=ctx.t(T::AddNote) />
                                    <button class="chip" on:click=move |_| match backlog_body(&key) {
                                        Ok(body) => write(desk, api::update_backlog_case(origin, id, body), T::Saved),
                                        Err(e) => desk.message.set(Some(Err(e))),
                                    }>{ctx.t(T::TakeCharge)}</button>
                                </span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
        })}
        {move || desk.workload.get().map(|wl| {
            let uncovered = wl.unassigned;
            view! {
                <h3>{ctx.t(T::Workload)}</h3>
                <table class="desk-table" id="workload">
                    <tr><th>{ctx.t(T::Officer)}</th><th>{ctx.t(T::Villages)}</th><th>{ctx.t(T::Population)}</th><th>{ctx.t(T::OpenEvents)}</th><th>{ctx.t(T::OpenDisputes)}</th><th>{ctx.t(T::VisitsDoneDue)}</th></tr>
                    {wl.officers.into_iter().take(40).map(|o| view! {
                        <tr><td>{o.officer.name}</td><td>{o.villages.len().to_string()}</td>
                            <td>{o.population.to_string()}</td><td>{o.open_events.to_string()}</td><td>{o.open_disputes.to_string()}</td>
                            <td>{format!("{}/{}", o.visits_done, o.visits_due)}</td></tr>
                    }).collect_view()}
                </table>
                {(!uncovered.is_empty()).then(|| view! {
                    <p class="error" id="uncovered">{ctx.t(T::Uncovered)}": "{uncovered.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join("、")}</p>
                })}
                <button id="rebalance-button" class="chip" on:click=suggest>{ctx.t(T::Rebalance)}</button>
            }
        })}
        {move || desk.rebalance.get().map(|r| {
            let moves = r.moves;
            view! {
                <ul id="rebalance-moves" class="desk-list">
                    {if moves.is_empty() { view! { <li class="muted">{ctx.t(T::NoMoves)}</li> }.into_any() } else {
                        moves.into_iter().map(|m| {
                            let body = AssignBody {
                                village: m.village.code.to_string(),
                                officer: Some(m.to.id),
                                note: String::new(),
                                version: None,
                            };
                            view! {
                                <li>{m.village.name}": "{m.from.map_or_else(|| "—".to_owned(), |f| f.name)}" → "{m.to.name}
                                    " "<button class="chip" on:click=move |_| {
                                        write(desk, api::assign_village(body.clone()), T::Accepted);
                                        desk.rebalance.set(None);
                                    }>{ctx.t(T::Accept)}</button></li>
                            }
                        }).collect_view().into_any() }}
                </ul>
            }
        })}
    }
}

/// Whether the checkbox with id `id` is ticked.
fn is_checked(id: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}

/// Files the screening typed in the officer's form: the ticked disputes, or a zero report when
/// none is ticked.
fn save_screening(desk: DeskCtx, dispute_ids: Vec<u64>) {
    let disputes: Vec<u64> =
        dispute_ids.into_iter().filter(|id| is_checked(&format!("screening-dispute-{id}"))).collect();
    let month = input_value("screening-month");
    let body = ScreeningBody {
        village: input_value("screening-village"),
        month: (!month.trim().is_empty()).then_some(month),
        zero_report: disputes.is_empty(),
        disputes,
        risk: input_value("screening-risk"),
        notes: input_value("screening-notes"),
        version: None,
    };
    leptos::task::spawn_local(async move {
        match api::file_screening(body).await {
            Ok(_) => saved(desk, &["screening-notes"]),
            Err(e) => {
                desk.message.try_set(Some(Err(e)));
            }
        }
    });
}

/// The month's dispute screening (矛盾纠纷排查): counts, risk grades, the villages (overdue
/// first) and, for a village officer, the form to file a village's screening.
#[component]
fn Screenings() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let desk = expect_context::<DeskCtx>();
    let form = move || {
        let d = desk.desk.get()?;
        let lang = ctx.lang.get();
        let ids: Vec<u64> = d.disputes.iter().map(|x| x.id).collect();
        Some(view! {
            <div class="desk-form" id="screening-form">
                <select id="screening-village">{d.villages.into_iter().map(|v| view! {
                    <option value=v.village.code.to_string()>{v.village.name}</option> }).collect_view()}</select>
                <input id="screening-month" placeholder="YYYY-MM" maxlength="7" title=move || ctx.t(T::ScreeningMonth) />
                <select id="screening-risk" title=move || ctx.t(T::RiskGrade)>
                    {RiskGrade::ALL.iter().rev().map(|g| view! {
                        <option value=g.as_str()>{if lang == Lang::Zh { g.label_zh() } else { g.label_en() }}</option> }).collect_view()}
                </select>
                <input id="screening-notes" placeholder=move || ctx.t(T::Notes) />
                <span class="muted">{ctx.t(T::ScreeningFound)}</span>
                {d.disputes.into_iter().map(|x| view! {
                    <label class="check"><input type="checkbox" id=format!("screening-dispute-{}", x.id) />
                        {x.title}" · "{x.village.name}</label> }).collect_view()}
                <button id="screening-save" class="chip on" on:click=move |_| save_screening(desk, ids.clone())>
                    {move || ctx.t(T::FileScreening)}</button>
            </div>
        })
    };
    view! {
        {move || desk.screenings.get().map(|b| {
            let lang = ctx.lang.get();
            view! {
                <h3>{ctx.t(T::Screening)}" "{b.month.to_string()}</h3>
                <p id="screening-counts">
                    <span class="chip">{ctx.t(T::ScreeningOnTime)}" "{b.on_time.to_string()}</span>
                    <span class="chip">{ctx.t(T::ScreeningLate)}" "{b.late.to_string()}</span>
                    <span class="chip band-3">{ctx.t(T::ScreeningOverdue)}" "{b.overdue.to_string()}</span>
                    <span class="chip">{ctx.t(T::ScreeningPending)}" "{b.pending.to_string()}</span>
                    <span class="chip">{ctx.t(T::ZeroReports)}" "{b.zero_reports.to_string()}</span>
                </p>
                <p class="bands">{RiskGrade::ALL.iter().zip(b.by_risk).map(|(g, n)| view! {
                    <span class=format!("chip risk-{}", g.as_str())>{if lang == Lang::Zh { g.label_zh() } else { g.label_en() }}" "{n.to_string()}</span>
                }).collect_view()}</p>
                <ul id="screening-villages" class="desk-list">
                    {b.villages.into_iter().filter(|v| v.state == ScreeningState::Overdue || v.screening.as_ref().is_some_and(|x| x.risk != RiskGrade::Green)).take(30).map(|v| view! {
                        <li class=format!("screening-{}", v.state.as_str())>
                            {v.village.name}" · "{label(lang, &v.state_zh, &v.state_en)}
                            {v.screening.map(|x| view! { " · " <span class=format!("risk-{}", x.risk.as_str())>{label(lang, &x.risk_zh, &x.risk_en)}</span>
                                <span class="muted">" "{if x.zero_report { ctx.t(T::ZeroReport).to_owned() } else { x.disputes.iter().map(|d| d.title.clone()).collect::<Vec<_>>().join("、") }}</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            }
        })}
        {form}
    }
}

#[component]
fn DisputeStats() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let desk = expect_context::<DeskCtx>();
    move || {
        desk.stats.get().filter(|st| st.count.total > 0).map(|st| {
            let lang = ctx.lang.get();
            view! {
                <h3>{ctx.t(T::DisputeStats)}</h3>
                <table class="desk-table" id="dispute-stats">
                    {st.by_kind.into_iter().filter(|k| k.count.total > 0).map(|k| view! {
                        <tr><td>{label(lang, &k.label_zh, &k.label_en)}</td><td>{k.count.total.to_string()}</td>
                            <td class="muted">{ctx.t(T::OpenDisputes)}" "{k.count.open.to_string()}" · "{ctx.t(T::Resolved)}" "{k.count.resolved.to_string()}</td></tr>
                    }).collect_view()}
                </table>
            }
        })
    }
}
