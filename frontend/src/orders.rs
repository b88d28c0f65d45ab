//! The 综治 work orders in the browser: the steps a centre or a department takes on one order
//! (分拨 with the suggested department, 改派, 签收, 办结, 退单 with a reason, 回访, 结案, 协办
//! notes), a department's work list with its timers, and the satisfaction rates.

use crate::api::{self, ApiError};
use crate::app::{Ctx, Selection};
use crate::i18n::{Lang, T};
use leptos::prelude::*;
use model::Status;
use model::api::live::Progress;
use model::api::work::{Bucket, WorkItem};
use model::auth::Role;
use model::department::{Department, DepartmentCode, ReturnReason, Verdict};
use serde_json::json;

/// Who is signed in, as the work orders need it.
#[derive(Clone)]
pub struct OrdersCtx {
    /// The role.
    pub role: Role,
    /// Department staff's department.
    pub department: Option<DepartmentCode>,
    /// Departments the user may meet (names for the history), loaded once.
    pub departments: RwSignal<Vec<Department>>,
}

/// Provides the context and loads the department names.
pub fn start(me: &model::api::Me) -> OrdersCtx {
    let ctx = OrdersCtx {
        role: me.user.role,
        department: me.user.department.clone(),
        departments: RwSignal::new(Vec::new()),
    };
    let departments = ctx.departments;
    leptos::task::spawn_local(async move {
        if let Ok(list) = api::departments(None).await {
            // Signed out meanwhile: nobody needs them.
            departments.try_set(list);
        }
    });
    provide_context(ctx.clone());
    ctx
}

/// A department's name in `lang` (its code when unknown).
pub fn department_name(lang: Lang, code: &DepartmentCode) -> String {
    let orders = expect_context::<OrdersCtx>();
    orders.departments.with_untracked(|ds| {
        ds.iter()
            .find(|d| d.code == *code)
            .map(|d| if lang == Lang::Zh { d.name_zh.clone() } else { d.name_en.clone() })
            .unwrap_or_else(|| code.to_string())
    })
}

fn label(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Zh { zh } else { en }
}

/// What a step of an order's history adds to its line: the department it went to or came from,
/// the reason, the verdict, a note's mark.
pub fn history_detail(lang: Lang, c: &model::live::IncidentChange) -> String {
    let mut parts = Vec::new();
    if let Some(o) = c.order.as_ref().filter(|_| c.to == Status::Assigned && !c.note_only) {
        parts.push(department_name(lang, &o.department));
        if !o.co_departments.is_empty() {
            let co: Vec<String> = o.co_departments.iter().map(|d| department_name(lang, d)).collect();
            parts.push(format!("{} {}", crate::i18n::tr(lang, T::CoDepartments), co.join("、")));
        }
    }
    if let Some(d) = &c.by_department {
        parts.push(department_name(lang, d));
    }
    if let Some(r) = c.reason {
        parts.push(label(lang, r.label_zh(), r.label_en()).to_owned());
    }
    if let Some(v) = c.verdict {
        parts.push(label(lang, v.label_zh(), v.label_en()).to_owned());
    }
    if c.note_only {
        parts.push(crate::i18n::tr(lang, T::Note).to_owned());
    }
    parts.into_iter().map(|p| format!(" · {p}")).collect()
}

fn value(id: &str) -> String {
    crate::desk::input_value(id).trim().to_owned()
}

/// The steps the signed-in user may take on a work order, by its status: a form per step.
/// `done` is called with the order's new progress.
#[component]
pub fn OrderActions(p: Progress, done: Callback<Progress>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let orders = expect_context::<OrdersCtx>();
    let error = RwSignal::new(None::<ApiError>);
    let id = p.id;
    let send = move |assign: bool, body: serde_json::Value| {
        leptos::task::spawn_local(async move {
            let answer = if assign { api::assign(id, &body).await } else { api::order_step(id, &body).await };
            // The panel may have been redrawn (and this form disposed) while the answer came.
            match answer {
                Ok(progress) => {
                    error.try_set(None);
                    done.try_run(progress);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        })
    };
    let note = move || Some(value("order-note")).filter(|n| !n.is_empty());
    let mine = orders.department.clone();
    let lead = p.order.as_ref().zip(mine.as_ref()).is_some_and(|(o, d)| o.department == *d);
    let helping = p.order.as_ref().zip(mine.as_ref()).is_some_and(|(o, d)| o.co_departments.contains(d));
    let centre = orders.role.leads();
    let lang = ctx.lang.get_untracked();
    let note_box = move || {
        view! { <input type="text" id="order-note" maxlength="500" placeholder=move || ctx.t(T::Note) /> }
    };
    let status = p.status;
    let form = match (status, centre, lead) {
        (Status::Reported | Status::Returned, true, _) => {
            let suggested = p.suggested_department.clone();
            let cell = p.cell_code;
            let co = RwSignal::new(Vec::<String>::new());
            // The departments loaded at sign-in, those serving the event's place: the ones that
            // can take it.
            let all = orders.departments;
            let choices = move || {
                all.get().into_iter().filter(|d| cell.is_none_or(|c| d.region.contains(c.village()))).collect::<Vec<_>>()
            };
            let name = move |d: &Department| if ctx.lang.get() == Lang::Zh { d.name_zh.clone() } else { d.name_en.clone() };
            let is_returned = status == Status::Returned;
            view! {
                <div class="order-form" id="assign-form">
                    <label for="order-department">{move || ctx.t(T::AssignTo)}</label>
                    <select id="order-department">
                        {move || choices().into_iter().map(|d| {
                            let code = d.code.to_string();
                            let is_suggested = suggested.as_ref() == Some(&d.code);
                            let text = format!("{}{}", name(&d), if is_suggested { format!("（{}）", ctx.t(T::Suggested)) } else { String::new() });
                            view! { <option value=code selected=is_suggested>{text}</option> }
                        }).collect_view()}
                    </select>
                    <details class="co-departments">
                        <summary>{move || ctx.t(T::CoDepartments)}</summary>
                        {move || choices().into_iter().map(|d| {
                            let code = d.code.to_string();
                            let toggled = code.clone();
                            view! {
                                <label class="check"><input type="checkbox" name="order-co" value=code.clone()
                                    on:change=move |_| co.update(|c| if let Some(i) = c.iter().position(|x| *x == toggled) { c.remove(i); } else { c.push(toggled.clone()); }) />
                                {name(&d)}</label>
                            }
                        }).collect_view()}
                    </details>
                    <input type="text" id="order-due" class="time" maxlength="16" placeholder=move || ctx.t(T::DueBy) />
                    {note_box()}
                    <div class="row">
                        <button class="chip" id="order-assign" on:click=move |_| {
                            let department = value("order-department");
                            let co: Vec<String> = co.get_untracked().into_iter().filter(|c| *c != department).collect();
                            let due = value("order-due");
                            let due_at = if due.is_empty() {
                                None
                            } else {
                                match crate::time::parse_input(&due) {
                                    Some(ms) => chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()),
                                    None => {
                                        error.try_set(Some(ApiError::local(0, format!("{due}: YYYY-MM-DD HH:MM"))));
                                        return;
                                    }
                                }
                            };
                            send(true, json!({"department": department, "co_departments": co, "due_at": due_at, "note": note()}));
                        }>{move || ctx.t(if is_returned { T::Reassign } else { T::Assign })}</button>
                        // A returned order closes as invalid; a report never assigned is rejected
                        // (不予受理). Both need the reason in the note.
                        <button class="chip" id="order-close-invalid" on:click=move |_| {
                            send(false, json!({"to": "closed", "note": note()}));
                        }>{move || ctx.t(if is_returned { T::CloseInvalid } else { T::RejectReport })}</button>
                    </div>
                </div>
            }
            .into_any()
        }
        (Status::Assigned | Status::Accepted, _, true) => {
            let accept = status == Status::Assigned;
            view! {
                <div class="order-form" id="department-form">
                    {note_box()}
                    <div class="row">
                        {if accept {
                            view! { <button class="chip" id="order-accept" on:click=move |_| send(false, json!({"to": "accepted", "note": note()}))>{move || ctx.t(T::AcceptOrder)}</button> }.into_any()
                        } else {
                            view! {
                                <label class="muted">{move || ctx.t(T::PhotoOptional)}
                                    <input type="file" id="order-photo" accept="image/jpeg,image/png,image/webp" /></label>
                                <button class="chip" id="order-complete" on:click=move |_| {
                                    let text = note();
                                    leptos::task::spawn_local(async move {
                                        let photo = crate::desk::chosen_photo("order-photo").await;
                                        send(false, json!({"to": "completed", "note": text, "photo": photo}));
                                    });
                                }>{move || ctx.t(T::CompleteOrder)}</button>
                            }.into_any()
                        }}
                    </div>
                    <div class="row">
                        <select id="order-reason" aria-label=move || ctx.t(T::Reason)>
                            {ReturnReason::ALL.iter().map(|r| view! { <option value=r.as_str()>{move || label(ctx.lang.get(), r.label_zh(), r.label_en())}</option> }).collect_view()}
                        </select>
                        <button class="chip" id="order-return" on:click=move |_| {
                            send(false, json!({"to": "returned", "reason": value("order-reason"), "note": note()}))
                        }>{move || ctx.t(T::ReturnOrder)}</button>
                    </div>
                </div>
            }
            .into_any()
        }
        (Status::Completed, true, _) => view! {
            <div class="order-form" id="visit-form">
                <b>{move || ctx.t(T::ReturnVisit)}</b>
                <select id="order-verdict" aria-label=move || ctx.t(T::Verdict)>
                    {Verdict::ALL.iter().map(|v| view! { <option value=v.as_str()>{move || label(ctx.lang.get(), v.label_zh(), v.label_en())}</option> }).collect_view()}
                </select>
                {note_box()}
                <button class="chip" id="order-verdict-submit" on:click=move |_| {
                    send(false, json!({"to": "feedback", "verdict": value("order-verdict"), "note": note()}))
                }>{move || ctx.t(T::RecordVerdict)}</button>
            </div>
        }
        .into_any(),
        (Status::Feedback, true, _) => view! {
            <div class="order-form">
                <button class="chip" id="order-close" on:click=move |_| send(false, json!({"to": "closed"}))>{move || ctx.t(T::CloseOrder)}</button>
            </div>
        }
        .into_any(),
        (Status::Closed, _, _) => ().into_any(),
        // 协办 (and the centre, on an order in a department's hands): a note.
        _ if helping || centre => view! {
            <div class="order-form" id="note-form">
                {note_box()}
                <button class="chip" id="order-add-note" on:click=move |_| {
                    send(false, json!({"to": status.as_str(), "note_only": true, "note": note()}))
                }>{move || ctx.t(T::AddNote)}</button>
            </div>
        }
        .into_any(),
        _ => ().into_any(),
    };
    let order_line = p.order.as_ref().map(|o| {
        let lead = department_name(lang, &o.department);
        let flags = format!(
            "{}{}",
            if o.returns > 0 {
                format!(" · {} {}", label(lang, "退单", "returned"), o.returns)
            } else {
                String::new()
            },
            if o.reworked { format!(" · {}", crate::i18n::tr(lang, T::ReturnedForRework)) } else { String::new() }
        );
        view! { <p class="order-line" id="order-line">{move || ctx.t(T::AssignTo)} ": " <b>{lead}</b> {flags}</p> }
    });
    view! {
        <div class="work-order" data-status=status.as_str()>
            <h4>{move || ctx.t(T::WorkOrder)}</h4>
            {order_line}
            {form}
            {move || error.get().map(|e| view! { <p class="error" id="order-error">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> })}
        </div>
    }
}

/// 非警务警情分流: a 110 call not yet dispatched goes to the 综治 loop as an event of a chosen
/// kind; the panel then shows the new event.
#[component]
pub fn DivertForm(id: u64) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let error = RwSignal::new(None::<ApiError>);
    let kinds: Vec<model::Category> = model::Category::all()
        .iter()
        .copied()
        .filter(|k| k.workflow() == model::taxonomy::Workflow::Department)
        .collect();
    view! {
        <div class="order-form row" id="divert-form">
            <select id="divert-kind" aria-label=move || ctx.t(T::DivertTo)>
                {kinds.into_iter().map(|k| view! { <option value=k.as_str()>{move || if ctx.lang.get() == Lang::Zh { k.label_zh() } else { k.label_en() }}</option> }).collect_view()}
            </select>
            <button class="chip" id="divert-submit" on:click=move |_| {
                let body = json!({"kind": value("divert-kind")});
                leptos::task::spawn_local(async move {
                    match api::divert(id, &body).await {
                        Ok(p) => {
                            ctx.selection.try_set(Selection::Incident(p.id));
                        }
                        Err(e) => {
                            error.try_set(Some(e));
                        }
                    }
                })
            }>{move || ctx.t(T::DivertTo)}</button>
            {move || error.get().map(|e| view! { <p class="error">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> })}
        </div>
    }
}

/// A department's work list: counts per bucket and the orders with their timers; a row opens
/// the order in the details panel.
#[component]
pub fn WorkListPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let orders = expect_context::<OrdersCtx>();
    let live = expect_context::<crate::command::LiveCtx>();
    let version = RwSignal::new(0u32);
    let code = orders.department.clone().map(|d| d.to_string()).unwrap_or_default();
    let list = LocalResource::new(move || {
        version.track();
        live.changes.track();
        let code = code.clone();
        async move { api::work_list(&code).await }
    });
    // Orders change without a feed for staff: look again every 20 s.
    let last = StoredValue::new(0.0f64);
    Effect::new(move |_| {
        let now = live.now_ms.get();
        if now - last.get_value() > 20_000.0 {
            last.set_value(now);
            version.update(|v| *v += 1);
        }
    });
    let row = move |i: WorkItem| {
        let lang = ctx.lang.get();
        let due_ms = i.due_at.timestamp_millis() as f64;
        let id = i.id;
        let kind = if lang == Lang::Zh { i.category.label_zh() } else { i.category.label_en() };
        let bucket = match i.bucket {
            Bucket::Pending => T::Pending,
            Bucket::InProgress => T::InProgress,
            Bucket::Returned => T::ReturnedForRework,
        };
        view! {
            <li class="queue-row work-item" class:overdue=move || due_ms < live.now_ms.get() data-id=id.to_string()
                data-bucket=format!("{:?}", i.bucket).to_lowercase()
                on:click=move |_| ctx.selection.set(Selection::Incident(id))>
                <span class="q-main">
                    <b>{kind}</b> " #" {id} " · " {move || ctx.t(bucket)}
                    {(!i.lead).then(|| view! { <span class="badge">{move || ctx.t(T::Helping)}</span> })}
                    <br /><span class="muted">{i.address.clone().unwrap_or_default()} " " {i.summary.clone().unwrap_or_default()}</span>
                </span>
                <span class="timer">{move || crate::command::timer(due_ms, live.now_ms.get())}</span>
            </li>
        }
    };
    view! {
        <section id="work-list">
            <h2>{move || ctx.t(T::WorkList)}</h2>
            {move || match list.get() {
                None => view! { <p class="muted">{move || ctx.t(T::Loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> }.into_any(),
                Some(Ok(l)) => {
                    let lang = ctx.lang.get();
                    let name = if lang == Lang::Zh { l.department.name_zh.clone() } else { l.department.name_en.clone() };
                    let c = l.counts;
                    view! {
                        <p class="muted" id="work-department">{name}</p>
                        <p class="counts" id="work-counts">
                            {ctx.t(T::Pending)} " " <b>{c.pending}</b> " · " {ctx.t(T::InProgress)} " " <b>{c.in_progress}</b>
                            " · " {ctx.t(T::ReturnedForRework)} " " <b>{c.returned}</b> " · " {ctx.t(T::Overdue)} " " <b class="overdue">{c.overdue}</b>
                        </p>
                        {l.items.is_empty().then(|| view! { <p class="muted">{ctx.t(T::NothingToDo)}</p> })}
                        <ul class="queue">{l.items.into_iter().map(row).collect_view()}</ul>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

/// The return visits' verdicts of the last 30 days, per department and per area, as bars.
#[component]
pub fn SatisfactionPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let answer = LocalResource::new(move || {
        let region = ctx.scope.get();
        async move { api::satisfaction(region.as_deref()).await }
    });
    let bars = move |rows: Vec<model::api::work::SatisfactionRow>, id: &'static str| {
        view! {
            <ul class="bars" id=id>
                {rows.into_iter().map(|r| {
                    let pct = r.rate.map_or(0.0, |x| x * 100.0);
                    let name = if ctx.lang.get() == Lang::Zh { r.name_zh.clone() } else { r.name_en.clone() };
                    let rated = r.rated();
                    view! {
                        <li data-code=r.code.clone()>
                            <span class="bar-label">{name}</span>
                            <span class="bar"><span class="fill" style=format!("width:{pct:.0}%")></span></span>
                            <span class="bar-value">{format!("{pct:.0}% · {rated}")}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    };
    view! {
        <section id="satisfaction">
            <h3>{move || ctx.t(T::Satisfaction)}</h3>
            {move || match answer.get() {
                None => view! { <p class="muted">{move || ctx.t(T::Loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{crate::i18n::api_error(ctx.lang.get(), &e)}</p> }.into_any(),
                Some(Ok(s)) if s.total.rated() == 0 => view! { <p class="muted">{ctx.t(T::NoVerdicts)}</p> }.into_any(),
                Some(Ok(s)) => view! {
                    <h4>{ctx.t(T::ByDepartment)}</h4>
                    {bars(s.departments, "satisfaction-departments")}
                    <h4>{ctx.t(T::ByArea)}</h4>
                    {bars(s.regions, "satisfaction-areas")}
                }
                .into_any(),
            }}
        </section>
    }
}
