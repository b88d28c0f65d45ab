//! The petitions desk (信访) in the desk panel: open petitions with the deadline of their stage,
//! overdue ones marked with the level that supervises them, repeats and collective petitions
//! marked; the next steps (with the opinion written down), 交办 to a department, the one
//! extension; and the registration form.

use crate::api::{self, ApiError};
use crate::app::Ctx;
use crate::desk::{DeskCtx, input_value};
use crate::i18n::{Lang, T};
use chrono::DateTime;
use leptos::prelude::*;
use model::api::petition::{PetitionBody, PetitionStepBody, ReceptionBody};
use model::petition::{Channel, PetitionKind, PetitionStatus, Petitioner, ReceptionKind};

fn label(lang: Lang, zh: &str, en: &str) -> String {
    if lang == Lang::Zh { zh } else { en }.to_owned()
}

/// Sends a petition write; the desk reloads after it.
fn write(desk: DeskCtx, id: u64, body: PetitionStepBody) {
    leptos::task::spawn_local(async move {
        match api::petition_step(id, body).await {
            Ok(_) => {
                desk.message.try_set(Some(Ok(T::Saved)));
                desk.version.try_update(|v| *v += 1);
            }
            Err(e) => desk.message.set(Some(Err(e))),
        }
    });
}

/// The registration form's body, or why it cannot be sent.
fn petition_body() -> Result<PetitionBody, ApiError> {
    let headcount = input_value("petition-headcount");
    let headcount = if headcount.trim().is_empty() {
        None
    } else {
        Some(
            headcount
                .trim()
                .parse::<u32>()
                .map_err(|_| ApiError::local(0, format!("headcount {headcount:?} is not a whole number")))?,
        )
    };
    let repeat = input_value("petition-repeat");
    let repeat_of = if repeat.trim().is_empty() {
        None
    } else {
        Some(
            repeat
                .trim()
                .trim_start_matches('#')
                .parse::<u64>()
                .map_err(|_| ApiError::local(0, format!("repeat_of {repeat:?} is not a petition number")))?,
        )
    };
    Ok(PetitionBody {
        village: input_value("petition-village"),
        channel: input_value("petition-channel"),
        kind: input_value("petition-kind"),
        petitioners: vec![Petitioner { name: input_value("petition-name"), phone: input_value("petition-phone") }],
        headcount,
        matter: input_value("petition-matter"),
        summary: input_value("petition-summary"),
        repeat_of,
        dispute: None,
        incident: None,
        reception: input_value("petition-reception").parse::<u64>().ok(),
        received_at: None,
    })
}

/// The calendar form's body, or why it cannot be sent.
fn reception_body() -> Result<ReceptionBody, ApiError> {
    let raw = input_value("reception-at");
    let held_at = crate::time::parse_input(&raw)
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(|| ApiError::local(0, format!("held_at: the time is written {}", crate::time::INPUT_FORMAT)))?;
    Ok(ReceptionBody {
        leader: input_value("reception-leader"),
        kind: input_value("reception-kind"),
        held_at,
        place: input_value("reception-place"),
        region: input_value("reception-region"),
        notes: String::new(),
    })
}

/// The leaders' calendar of receptions and visits (接访下访) this month, each leader's count,
/// and (for leaders' offices) the form to put one on it.
#[component]
pub fn Receptions() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let desk = expect_context::<DeskCtx>();
    let schedule = move |_| match reception_body() {
        Ok(body) => leptos::task::spawn_local(async move {
            match api::schedule_reception(body).await {
                Ok(_) => {
                    desk.message.try_set(Some(Ok(T::Saved)));
                    desk.version.try_update(|v| *v += 1);
                }
                Err(e) => desk.message.set(Some(Err(e))),
            }
        }),
        Err(e) => desk.message.set(Some(Err(e))),
    };
    view! {
        {move || desk.receptions.get().map(|cal| {
            let lang = ctx.lang.get();
            view! {
                <h3>{ctx.t(T::ReceptionsTitle)}" "{cal.month.to_string()}</h3>
                <p id="reception-leaders" class="muted">{cal.by_leader.iter().map(|l| format!("{} {}/{}", l.leader, l.receptions, l.visits)).collect::<Vec<_>>().join(" · ")}</p>
                <ul id="reception-list" class="desk-list">
                    {cal.items.into_iter().take(40).map(|r| view! {
                        <li data-id=r.id.to_string()>{crate::time::local_minutes(r.held_at.timestamp_millis())}" · "
                            {label(lang, &r.kind_zh, &r.kind_en)}" · "<b>{r.leader}</b>" · "{r.place}
                            <span class="muted">" "{r.region.name}{(r.petitions > 0).then(|| format!(" · {} {}", ctx.t(T::Petitions), r.petitions))}</span></li>
                    }).collect_view()}
                </ul>
            }
        })}
        {move || desk.leads.then(|| view! {
            <div class="desk-form" id="reception-form">
                <input id="reception-leader" placeholder=move || ctx.t(T::ReceptionLeader) />
                <select id="reception-kind">{move || { let lang = ctx.lang.get(); ReceptionKind::ALL.iter().map(|k| view! {
                    <option value=k.as_str()>{if lang == Lang::Zh { k.label_zh() } else { k.label_en() }}</option> }).collect_view() }}</select>
                <input id="reception-at" type="text" class="time" inputmode="numeric" maxlength="16" placeholder=crate::time::INPUT_FORMAT />
                <input id="reception-place" placeholder=move || ctx.t(T::Place) />
                <input id="reception-region" placeholder=move || ctx.t(T::RegionCode) maxlength="12" />
                <button id="reception-save" class="chip on" on:click=schedule>{move || ctx.t(T::Schedule)}</button>
            </div>
        })}
    }
}

/// The petitions section of the desk panel.
#[component]
pub fn Petitions() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let desk = expect_context::<DeskCtx>();
    let register = move |_| match petition_body() {
        Ok(body) => leptos::task::spawn_local(async move {
            match api::register_petition(body).await {
                Ok(_) => {
                    desk.message.try_set(Some(Ok(T::Saved)));
                    desk.version.try_update(|v| *v += 1);
                }
                Err(e) => desk.message.set(Some(Err(e))),
            }
        }),
        Err(e) => desk.message.set(Some(Err(e))),
    };
    let village_field = move || match desk.desk.get() {
        Some(d) => view! {
            <select id="petition-village">{d.villages.into_iter().map(|v| view! {
                <option value=v.village.code.to_string()>{v.village.name}</option> }).collect_view()}</select>
        }
        .into_any(),
        None => view! { <input id="petition-village" placeholder=move || ctx.t(T::VillageCode) maxlength="12" /> }
            .into_any(),
    };
    view! {
        {move || desk.petitions.get().map(|list| {
            let lang = ctx.lang.get();
            view! {
                <h3>{ctx.t(T::Petitions)}</h3>
                <p id="petition-counts"><span class="chip">{ctx.t(T::PetitionsOpen)}" "{list.total.to_string()}</span>
                    <span class="chip band-3">{ctx.t(T::PetitionsOverdue)}" "{list.overdue.to_string()}</span></p>
                <ul id="petition-list" class="desk-list">
                    {list.items.into_iter().take(30).map(|p| {
                        let (id, version) = (p.id, p.version);
                        let names: Vec<String> = p.petitioners.iter().map(|x| x.name.clone()).collect();
                        view! {
                            <li class="petition" class:band-3=p.overdue data-id=id.to_string()>
                                <b>"#"{id.to_string()}" "{p.matter.clone()}</b>" · "{p.village.name.clone()}" · "
                                {label(lang, &p.kind_zh, &p.kind_en)}" · "{label(lang, &p.channel_zh, &p.channel_en)}" · "
                                <span class="status">{label(lang, &p.status_zh, &p.status_en)}</span>
                                {p.collective.then(|| view! { " " <span class="badge">{ctx.t(T::Collective)}" "{p.headcount.to_string()}</span> })}
                                {(p.group_size > 1).then(|| view! { " " <span class="badge">{ctx.t(T::RepeatPetition)}" ×"{p.group_size.to_string()}</span> })}
                                {p.due_at.map(|d| view! { " " <span class="muted">{ctx.t(T::DueAt)}" "{crate::time::local_minutes(d.timestamp_millis())}</span> })}
                                {p.supervision_zh.clone().map(|zh| view! { " " <span class="badge overdue">{label(lang, &zh, p.supervision_en.as_deref().unwrap_or_default())}</span> })}
                                <span class="muted">" "{names.join("、")}</span>
                                <span class="steps" class:hidden=!desk.writes>
                                    <input class="note" id=format!("petition-note-{id}") placeholder=move || ctx.t(T::PetitionOpinion) />
                                    {p.next_steps.iter().any(|st| st.to == PetitionStatus::Assigned).then(|| view! {
                                        <input class="note" id=format!("petition-dept-{id}") placeholder=move || ctx.t(T::AssignedDepartment) />
                                    })}
                                    {p.next_steps.into_iter().map(|st| {
                                        let to = st.to;
                                        let body = move || PetitionStepBody {
                                            to: Some(to.as_str().to_owned()),
                                            assigned_region: None,
                                            assigned_department: (to == PetitionStatus::Assigned).then(|| input_value(&format!("petition-dept-{id}"))),
                                            extension_reason: None,
                                            note: input_value(&format!("petition-note-{id}")),
                                            version: Some(version),
                                        };
                                        view! { <button class="chip step" data-to=to.as_str() on:click=move |_| write(desk, id, body())>
                                            {label(lang, &st.label_zh, &st.label_en)}</button> }
                                    }).collect_view()}
                                    {p.extension_allowed.then(|| view! {
                                        <button class="chip" data-to="extend" on:click=move |_| write(desk, id, PetitionStepBody {
                                            to: None, assigned_region: None, assigned_department: None,
                                            extension_reason: Some(input_value(&format!("petition-note-{id}"))),
                                            note: String::new(), version: Some(version),
                                        })>{move || ctx.t(T::ExtendDeadline)}</button>
                                    })}
                                </span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
        })}
        <h3 class:hidden=!desk.writes>{move || ctx.t(T::RegisterPetition)}</h3>
        <div class="desk-form" id="petition-form" class:hidden=!desk.writes>
            {village_field}
            <select id="petition-channel">{move || { let lang = ctx.lang.get(); Channel::ALL.iter().map(|c| view! {
                <option value=c.as_str()>{if lang == Lang::Zh { c.label_zh() } else { c.label_en() }}</option> }).collect_view() }}</select>
            <select id="petition-kind">{move || { let lang = ctx.lang.get(); PetitionKind::ALL.iter().map(|k| view! {
                <option value=k.as_str()>{if lang == Lang::Zh { k.label_zh() } else { k.label_en() }}</option> }).collect_view() }}</select>
            <input id="petition-name" placeholder=move || ctx.t(T::PetitionerName) />
            <input id="petition-phone" placeholder=move || ctx.t(T::PetitionerPhone) />
            <input id="petition-headcount" placeholder=move || ctx.t(T::Headcount) inputmode="numeric" />
            <input id="petition-matter" placeholder=move || ctx.t(T::PetitionMatter) />
            <input id="petition-summary" placeholder=move || ctx.t(T::Summary) />
            <input id="petition-repeat" placeholder=move || ctx.t(T::RepeatOf) />
            <select id="petition-reception" title=move || ctx.t(T::ReceivedAtReception)>
                <option value="">{move || ctx.t(T::NotAtReception)}</option>
                {move || desk.receptions.get().map(|cal| cal.items.into_iter().map(|r| view! {
                    <option value=r.id.to_string()>{format!("{} {} {}", crate::time::local_minutes(r.held_at.timestamp_millis()), r.leader, r.kind_zh)}</option>
                }).collect_view())}
            </select>
            <button id="petition-save" class="chip on" on:click=register>{move || ctx.t(T::Register)}</button>
        </div>
    }
}
