//! In the field: the phone app at `/m/` (grid workers and village officers: 上报, 我的任务,
//! 我的上报, offline first) and the citizen pages (`/report`, `/track/{code}`: no sign-in).
//!
//! A report made on the phone goes first into the outbox (IndexedDB, `js/field.js`) with its
//! own id, shown as 待发送 (`data-state="queued"`), and is sent while the browser is online: at
//! once, when the network returns, and every 20 seconds. The server stores a resend with the
//! same id once, so an answer lost on the way costs nothing. Photos are resized on the phone.

use crate::api::{self, ApiError};
use crate::app::{Login, Session, signed_in};
use crate::desk::input_value;
use crate::i18n::{Lang, T, api_error, category, status, tr};
use crate::map::{Picker, PickerOptions};
use leptos::html;
use leptos::prelude::*;
use model::Category;
use model::api::desk::{PhotoBody, VisitBody};
use model::api::field::{FieldReport, FieldReportView, FieldTask, MAX_FIELD_PHOTOS, TaskKind};
use model::api::public::{PublicReport, PublicVerdict, Receipt, Tracking};
use model::auth::Role;
use model::department::Verdict;
use model::taxonomy::Workflow;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/field.js")]
extern "C" {
    #[wasm_bindgen(js_name = outboxAll, catch)]
    async fn outbox_all() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = outboxPut, catch)]
    async fn outbox_put(entry: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = outboxDelete, catch)]
    async fn outbox_delete(external_id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = resizePhoto, catch)]
    async fn resize_photo(file: &web_sys::File, max_px: u32, quality: f64) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = geolocate, catch)]
    async fn geolocate() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = isOnline)]
    fn is_online() -> bool;
    #[wasm_bindgen(js_name = onOnline)]
    fn on_online(f: &js_sys::Function);
    #[wasm_bindgen(js_name = registerWorker)]
    fn register_worker();
    #[wasm_bindgen(js_name = newId)]
    fn new_id() -> String;
}

/// Longest side of a photo after resizing on the phone, pixels.
const PHOTO_MAX_PX: u32 = 1280;
/// JPEG quality of a resized photo.
const PHOTO_QUALITY: f64 = 0.8;
/// How often the outbox is tried while entries wait.
const RETRY_EVERY: Duration = Duration::from_secs(20);
/// Wuwei's centre, where the picker starts before a position is known.
const CITY_CENTRE: [f64; 2] = [102.64, 37.93];

/// Which page the address names.
pub enum Page {
    /// `/m/…`: the phone app.
    Field,
    /// `/report`: a citizen's report.
    Report,
    /// `/track/{code}`: a citizen's tracking page.
    Track(String),
    /// Anything else: the dashboard.
    Dashboard,
}

/// The page of the current address.
pub fn page() -> Page {
    let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
    if path == "/m" || path.starts_with("/m/") {
        Page::Field
    } else if path == "/report" || path == "/report/" {
        Page::Report
    } else if let Some(code) = path.strip_prefix("/track/") {
        Page::Track(code.trim_end_matches('/').to_owned())
    } else {
        Page::Dashboard
    }
}

/// One report in the phone's outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    /// The phone's id of the report (the server stores a resend once).
    external_id: String,
    /// Who made it (the outbox of a shared phone sends each user's own).
    username: String,
    kind: String,
    description: String,
    lon: f64,
    lat: f64,
    /// When it was made (RFC 3339).
    made_at: String,
    photos: Vec<PhotoBody>,
    /// `queued` (待发送), `sent` (已发送) or `failed` (refused: the error says why).
    state: String,
    /// The incident, once sent.
    incident: Option<u64>,
    /// Why the server refused it.
    error: Option<String>,
}

fn now_rfc3339() -> String {
    let mut s = String::new();
    model::time::format_utc_millis(crate::time::now_ms(), &mut s);
    s
}

async fn load_outbox() -> Vec<Entry> {
    match outbox_all().await {
        Ok(v) => serde_json::from_str(&v.as_string().unwrap_or_default()).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

async fn save(entry: &Entry) -> bool {
    match serde_json::to_string(entry) {
        Ok(json) => outbox_put(&json).await.is_ok(),
        Err(_) => false,
    }
}

/// The phone's position `(lon, lat, accuracy_m)`.
async fn position() -> Option<(f64, f64, f64)> {
    let v = geolocate().await.ok()?.as_string()?;
    let [lon, lat, acc]: [f64; 3] = serde_json::from_str(&v).ok()?;
    Some((lon, lat, acc))
}

/// The photos chosen in file input `id`, resized, at most `max`.
async fn chosen_photos(id: &str, max: usize) -> Vec<PhotoBody> {
    let Some(input) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let Some(files) = input.files() else { return Vec::new() };
    let mut out = Vec::new();
    for k in 0..files.length().min(max as u32) {
        let Some(file) = files.get(k) else { continue };
        if let Ok(data) = resize_photo(&file, PHOTO_MAX_PX, PHOTO_QUALITY).await
            && let Some(data) = data.as_string()
        {
            out.push(PhotoBody { content_type: "image/jpeg".into(), data });
        }
    }
    out
}

fn clear_inputs(ids: &[&str]) {
    let Some(d) = web_sys::window().and_then(|w| w.document()) else { return };
    for id in ids {
        let Some(e) = d.get_element_by_id(id) else { continue };
        if let Ok(i) = e.clone().dyn_into::<web_sys::HtmlInputElement>() {
            i.set_value("");
        } else if let Ok(t) = e.dyn_into::<web_sys::HtmlTextAreaElement>() {
            t.set_value("");
        }
    }
}

/// Links the phone app's manifest (installable as an app) and registers its service worker.
fn install_app_shell() {
    if let Some(d) = web_sys::window().and_then(|w| w.document())
        && d.query_selector("link[rel=manifest]").ok().flatten().is_none()
        && let (Ok(link), Ok(Some(head))) = (d.create_element("link"), d.query_selector("head"))
    {
        let _ = link.set_attribute("rel", "manifest");
        let _ = link.set_attribute("href", "/m/manifest.webmanifest");
        let _ = head.append_child(&link);
    }
    register_worker();
}

fn lang_switch(lang: RwSignal<Lang>) -> impl IntoView {
    view! {
        <button class="chip" type="button" on:click=move |_| lang.update(|l| *l = if *l == Lang::Zh { Lang::En } else { Lang::Zh })>
            {move || tr(lang.get(), T::Switch)}
        </button>
    }
}

/// `/m/`: the phone app.
#[component]
pub fn FieldApp() -> impl IntoView {
    let lang = RwSignal::new(Lang::Zh);
    let session: Session = RwSignal::new(None);
    api::on_unauthorized(move || session.set(Some(None)));
    install_app_shell();
    leptos::task::spawn_local(async move { session.set(Some(signed_in().await)) });
    view! {
        <div class="field">
            {move || match session.get() {
                None => view! { <p class="muted">"…"</p> }.into_any(),
                Some(None) => view! { <Login lang=lang session=session /> }.into_any(),
                Some(Some(me)) if matches!(me.user.role, Role::GridWorker | Role::Village) => {
                    view! { <FieldHome lang=lang session=session username=me.user.username.clone() /> }.into_any()
                }
                Some(Some(_)) => view! {
                    <p class="error">{move || tr(lang.get(), T::FieldOnly)}</p>
                    <a href="/">{move || tr(lang.get(), T::Title)}</a>
                }.into_any(),
            }}
        </div>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Report,
    Tasks,
    Mine,
}

/// What the phone app's parts share.
#[derive(Clone, Copy)]
struct FieldCtx {
    lang: RwSignal<Lang>,
    username: StoredValue<String>,
    outbox: RwSignal<Vec<Entry>>,
    sending: StoredValue<bool>,
    message: RwSignal<Option<String>>,
}

impl FieldCtx {
    fn t(&self, t: T) -> &'static str {
        tr(self.lang.get(), t)
    }

    /// Reads the outbox again (the user's own entries); nothing once the app is gone.
    async fn reload(self) {
        let Some(me) = self.username.try_get_value() else { return };
        let mine: Vec<Entry> = load_outbox().await.into_iter().filter(|e| e.username == me).collect();
        let _ = self.outbox.try_set(mine);
    }

    /// Sends the queued entries while online, one at a time, oldest first.
    fn send(self) {
        if self.sending.try_get_value().unwrap_or(true) {
            return;
        }
        self.sending.set_value(true);
        let Some(me) = self.username.try_get_value() else { return };
        leptos::task::spawn_local(async move {
            for mut entry in load_outbox().await.into_iter().filter(|e| e.username == me && e.state == "queued") {
                if !is_online() {
                    break;
                }
                let report = FieldReport {
                    external_id: entry.external_id.clone(),
                    kind: entry.kind.clone(),
                    description: entry.description.clone(),
                    lon: entry.lon,
                    lat: entry.lat,
                    made_at: chrono::DateTime::parse_from_rfc3339(&entry.made_at).ok().map(|t| t.to_utc()),
                    photos: entry.photos.clone(),
                };
                match api::field_report(&report).await {
                    Ok(answer) => {
                        entry.state = "sent".into();
                        entry.incident = answer.items.first().map(|v| v.id);
                        // Sent photos need not stay on the phone.
                        entry.photos.clear();
                        save(&entry).await;
                    }
                    // No answer, a server fault or a throttle: it stays queued for the next try.
                    Err(e) if e.status == 0 || e.status == 401 || e.status == 429 || e.status >= 500 => break,
                    Err(e) => {
                        let lang = self.lang.try_get_untracked().unwrap_or(Lang::Zh);
                        entry.state = "failed".into();
                        entry.error = Some(api_error(lang, &e));
                        save(&entry).await;
                    }
                }
            }
            self.sending.try_set_value(false);
            self.reload().await;
        });
    }
}

#[component]
fn FieldHome(lang: RwSignal<Lang>, session: Session, username: String) -> impl IntoView {
    let ctx = FieldCtx {
        lang,
        username: StoredValue::new(username.clone()),
        outbox: RwSignal::new(Vec::new()),
        sending: StoredValue::new(false),
        message: RwSignal::new(None),
    };
    let tab = RwSignal::new(Tab::Report);
    leptos::task::spawn_local(async move {
        ctx.reload().await;
        ctx.send();
    });
    let again = Closure::<dyn Fn()>::new(move || ctx.send());
    on_online(again.as_ref().unchecked_ref());
    again.forget();
    let retry = set_interval_with_handle(move || ctx.send(), RETRY_EVERY).ok();
    on_cleanup(move || {
        if let Some(h) = retry {
            h.clear();
        }
    });
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::logout().await;
            session.set(Some(None));
        });
    };
    let tab_button = move |t: Tab, label: T, id: &'static str| {
        view! {
            <button id=id class=move || if tab.get() == t { "tab on" } else { "tab" } on:click=move |_| tab.set(t)>
                {move || ctx.t(label)}
            </button>
        }
    };
    view! {
        <header class="field-top">
            <h1>{move || ctx.t(T::FieldTitle)}</h1>
            <span id="signed-in" class="muted">{username}</span>
            {lang_switch(lang)}
            <button class="chip" on:click=sign_out>{move || ctx.t(T::SignOut)}</button>
        </header>
        <nav class="tabs">
            {tab_button(Tab::Report, T::FieldReport, "tab-report")}
            {tab_button(Tab::Tasks, T::FieldTasks, "tab-tasks")}
            {tab_button(Tab::Mine, T::FieldMine, "tab-mine")}
        </nav>
        {move || ctx.message.get().map(|m| view! { <p class="notice" id="field-message">{m}</p> })}
        {move || match tab.get() {
            Tab::Report => view! { <ReportForm ctx=ctx /> }.into_any(),
            Tab::Tasks => view! { <TaskList ctx=ctx /> }.into_any(),
            Tab::Mine => view! { <MyReports ctx=ctx /> }.into_any(),
        }}
    }
}

/// The picker's options: the cells' outlines when signed in, base layers when configured.
async fn picker_options(center: [f64; 2], signed: bool) -> PickerOptions {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let base_layers = if signed { api::config().await.map(|c| c.base_layers).unwrap_or_default() } else { Vec::new() };
    PickerOptions {
        center,
        zoom: if signed { 14.0 } else { 11.0 },
        cells_url: signed.then(|| format!("{origin}/tiles/cells/{{z}}/{{x}}/{{y}}.mvt")),
        areas: (!signed).then(|| format!("{origin}/api/public/areas")),
        glyphs_url: api::glyphs_url(),
        base_layers,
    }
}

/// Where a report is: the phone's position, changed by a tap on the picker.
#[derive(Clone, Copy)]
struct Place {
    at: RwSignal<Option<(f64, f64)>>,
    accuracy_m: RwSignal<Option<f64>>,
    picker: StoredValue<Option<Picker>>,
}

impl Place {
    fn new() -> Place {
        Place { at: RwSignal::new(None), accuracy_m: RwSignal::new(None), picker: StoredValue::new(None) }
    }

    /// Asks the phone for its position and moves the picker there.
    fn locate(self) {
        leptos::task::spawn_local(async move {
            if let Some((lon, lat, acc)) = position().await {
                if self.at.try_set(Some((lon, lat))).is_some() {
                    return;
                }
                self.accuracy_m.set(Some(acc));
                if let Some(p) = self.picker.get_value() {
                    p.set(lon, lat);
                }
            }
        });
    }

    /// The picker in `div`, once it exists.
    fn mount(self, div: NodeRef<html::Div>, signed: bool) {
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) {
                return true;
            }
            let Some(el) = div.get() else { return false };
            let el: web_sys::HtmlElement = el.into();
            leptos::task::spawn_local(async move {
                let center = self.at.try_get_untracked().flatten().map_or(CITY_CENTRE, |(x, y)| [x, y]);
                let options = picker_options(center, signed).await;
                let Some(None) = self.picker.try_get_value() else { return };
                let at = self.at;
                let accuracy = self.accuracy_m;
                let picker = Picker::create(&el, &options, move |lon, lat| {
                    at.try_set(Some((lon, lat)));
                    accuracy.try_set(None);
                });
                self.picker.set_value(Some(picker));
                if let Some((lon, lat)) = self.at.get_untracked() {
                    picker.set(lon, lat);
                }
            });
            true
        });
        on_cleanup(move || {
            if let Some(Some(p)) = self.picker.try_get_value() {
                p.remove();
            }
        });
    }

    fn shown(self, lang: RwSignal<Lang>) -> impl IntoView {
        move || match (self.at.get(), self.accuracy_m.get()) {
            (Some((lon, lat)), Some(acc)) => format!("{lon:.6}, {lat:.6} (±{acc:.0} m)"),
            (Some((lon, lat)), None) => format!("{lon:.6}, {lat:.6} ({})", tr(lang.get(), T::PickedOnMap)),
            (None, _) => tr(lang.get(), T::Locating).to_owned(),
        }
    }
}

#[component]
fn ReportForm(ctx: FieldCtx) -> impl IntoView {
    let place = Place::new();
    let div = NodeRef::<html::Div>::new();
    place.mount(div, true);
    place.locate();
    let photos = RwSignal::new(0usize);
    let busy = RwSignal::new(false);
    let submit = move || {
        let Some((lon, lat)) = place.at.get_untracked() else {
            ctx.message.set(Some(ctx.t(T::NoPosition).to_owned()));
            return;
        };
        let description = input_value("field-description").trim().to_owned();
        if description.is_empty() {
            ctx.message.set(Some(ctx.t(T::DescribeIt).to_owned()));
            return;
        }
        busy.set(true);
        let kind = input_value("field-kind");
        let username = ctx.username.get_value();
        leptos::task::spawn_local(async move {
            let entry = Entry {
                external_id: new_id(),
                username,
                kind,
                description,
                lon,
                lat,
                made_at: now_rfc3339(),
                photos: chosen_photos("field-photo", MAX_FIELD_PHOTOS).await,
                state: "queued".into(),
                incident: None,
                error: None,
            };
            let kept = save(&entry).await;
            let lang = ctx.lang.try_get_untracked().unwrap_or(Lang::Zh);
            ctx.message.try_set(Some(tr(lang, if kept { T::Queued } else { T::NotKept }).to_owned()));
            clear_inputs(&["field-description", "field-photo"]);
            photos.try_set(0);
            busy.try_set(false);
            ctx.reload().await;
            ctx.send();
        });
    };
    // 综治 kinds first: most of what a grid worker finds is not a police matter.
    let kinds = || {
        let mut all = Category::all().to_vec();
        all.sort_by_key(|c| c.workflow() != Workflow::Department);
        all
    };
    view! {
        <form class="field-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <label for="field-kind">{move || ctx.t(T::Kind)}</label>
            <select id="field-kind" name="kind">
                {move || kinds().into_iter().map(|c| view! { <option value=c.as_str()>{category(ctx.lang.get(), c)}</option> }).collect_view()}
            </select>
            <label for="field-description">{move || ctx.t(T::Description)}</label>
            <textarea id="field-description" name="description" rows="3" maxlength="500"></textarea>
            <label>{move || ctx.t(T::Location)}</label>
            <div class="row">
                <span id="field-position" class="muted">{place.shown(ctx.lang)}</span>
                <button class="chip" type="button" on:click=move |_| place.locate()>{move || ctx.t(T::Relocate)}</button>
            </div>
            <div id="field-picker" class="picker" node_ref=div></div>
            <label for="field-photo">{move || ctx.t(T::Photos)}</label>
            <input id="field-photo" name="photo" type="file" accept="image/*" capture="environment" multiple=true
                on:change=move |ev| {
                    let n = event_target::<web_sys::HtmlInputElement>(&ev).files().map_or(0, |f| f.length() as usize);
                    photos.set(n.min(MAX_FIELD_PHOTOS));
                } />
            <span class="muted">{move || format!("{}/{MAX_FIELD_PHOTOS}", photos.get())}</span>
            <button id="field-submit" class="big" type="submit" disabled=move || busy.get()>{move || ctx.t(T::SendReport)}</button>
        </form>
        <h2>{move || ctx.t(T::Outbox)}</h2>
        <ul id="outbox" class="outbox">
            {move || ctx.outbox.get().into_iter().rev().map(|e| {
                let state = e.state.clone();
                let label = match state.as_str() {
                    "sent" => T::Sent,
                    "failed" => T::SendFailed,
                    _ => T::Waiting,
                };
                let kind = Category::parse(&e.kind).map(|c| category(ctx.lang.get(), c).to_owned()).unwrap_or(e.kind.clone());
                let when = e.made_at.replace('T', " ").chars().take(16).collect::<String>();
                view! {
                    <li data-state=state data-id=e.external_id.clone() data-incident=e.incident.map(|i| i.to_string())>
                        <b>{kind}</b>" · "{when}" · "<span class="state">{move || ctx.t(label)}</span>
                        {e.error.clone().map(|m| {
                            // A refused report can be dropped from the phone (with its photos).
                            let id = e.external_id.clone();
                            view! {
                                <div class="error">{m}</div>
                                <button class="chip" data-action="discard" on:click=move |_| {
                                    let id = id.clone();
                                    leptos::task::spawn_local(async move {
                                        let _ = outbox_delete(&id).await;
                                        ctx.reload().await;
                                    });
                                }>{move || ctx.t(T::Discard)}</button>
                            }
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn TaskList(ctx: FieldCtx) -> impl IntoView {
    let tasks = RwSignal::new(None::<Result<Vec<FieldTask>, ApiError>>);
    let load = move || {
        leptos::task::spawn_local(async move {
            let answer = api::field_tasks().await.map(|t| t.items);
            tasks.try_set(Some(answer));
        });
    };
    load();
    let done = move |result: Result<(), ApiError>| {
        let lang = ctx.lang.get_untracked();
        ctx.message.set(Some(match result {
            Ok(()) => tr(lang, T::TaskDone).to_owned(),
            Err(e) => api_error(lang, &e),
        }));
        load();
    };
    let verify = move |id: u64, found: bool| {
        let note = if found { "核查：属实" } else { "核查：不属实" };
        leptos::task::spawn_local(async move {
            let body = serde_json::json!({"to": "reported", "note_only": true, "note": note});
            let r = api::order_step(id, &body).await.map(drop);
            let _ = ctx.lang.try_get_untracked().map(|_| done(r));
        });
    };
    let callback = move |id: u64| {
        let verdict = input_value(&format!("verdict-{id}"));
        leptos::task::spawn_local(async move {
            let body = serde_json::json!({"to": "feedback", "verdict": verdict, "note": "现场回访"});
            let r = api::order_step(id, &body).await.map(drop);
            let _ = ctx.lang.try_get_untracked().map(|_| done(r));
        });
    };
    let visit = move |village: String| {
        leptos::task::spawn_local(async move {
            let at = position().await;
            let body = VisitBody {
                village,
                visited_at: None,
                place: "现场走访".into(),
                people_met: String::new(),
                notes: String::new(),
                lon: at.map(|a| a.0),
                lat: at.map(|a| a.1),
                photo: None,
            };
            let r = api::record_visit(body).await.map(drop);
            let _ = ctx.lang.try_get_untracked().map(|_| done(r));
        });
    };
    view! {
        <ul id="tasks" class="tasks">
            {move || match tasks.get() {
                None => view! { <li class="muted">"…"</li> }.into_any(),
                Some(Err(e)) => view! { <li class="error">{api_error(ctx.lang.get(), &e)}</li> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <li class="muted">{ctx.t(T::NoTasks)}</li> }.into_any(),
                Some(Ok(list)) => list.into_iter().map(|t| {
                    let lang = ctx.lang.get();
                    let title = if lang == Lang::Zh { t.title_zh.clone() } else { t.title_en.clone() };
                    let due = t.due_at.map(|d| crate::time::local_minutes(d.timestamp_millis())).unwrap_or_default();
                    let kind = match t.kind { TaskKind::Verify => "verify", TaskKind::Callback => "callback", TaskKind::Visit => "visit" };
                    let actions = match (t.kind, t.id, t.village.clone()) {
                        (TaskKind::Verify, Some(id), _) => view! {
                            <button class="big" data-action="verified" on:click=move |_| verify(id, true)>{ctx.t(T::Verified)}</button>
                            <button class="big" data-action="unfounded" on:click=move |_| verify(id, false)>{ctx.t(T::Unfounded)}</button>
                        }.into_any(),
                        (TaskKind::Callback, Some(id), _) => view! {
                            <select id=format!("verdict-{id}")>
                                {Verdict::ALL.iter().map(|v| view! { <option value=v.as_str()>{if lang == Lang::Zh { v.label_zh() } else { v.label_en() }}</option> }).collect_view()}
                            </select>
                            <button class="big" data-action="callback" on:click=move |_| callback(id)>{ctx.t(T::RecordCallback)}</button>
                        }.into_any(),
                        (TaskKind::Visit, _, Some(v)) => {
                            let code = v.code.to_string();
                            view! { <button class="big" data-action="visit" on:click=move |_| visit(code.clone())>{ctx.t(T::RecordVisit)}</button> }.into_any()
                        }
                        _ => ().into_any(),
                    };
                    view! {
                        <li data-kind=kind data-id=t.id.map(|i| i.to_string()) class=if t.overdue { "overdue" } else { "" }>
                            <b>{title}</b>
                            <div class="muted">{ctx.t(T::DueAt)}" "{due}</div>
                            <div class="row">{actions}</div>
                        </li>
                    }
                }).collect_view().into_any(),
            }}
        </ul>
    }
}

#[component]
fn MyReports(ctx: FieldCtx) -> impl IntoView {
    let list = RwSignal::new(None::<Result<Vec<FieldReportView>, ApiError>>);
    leptos::task::spawn_local(async move {
        let answer = api::field_reports().await.map(|r| r.items);
        list.try_set(Some(answer));
    });
    view! {
        <ul id="my-reports" class="tasks">
            {move || match list.get() {
                None => view! { <li class="muted">"…"</li> }.into_any(),
                Some(Err(e)) => view! { <li class="error">{api_error(ctx.lang.get(), &e)}</li> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! { <li class="muted">{ctx.t(T::NoReports)}</li> }.into_any(),
                Some(Ok(items)) => items.into_iter().map(|r| {
                    let lang = ctx.lang.get();
                    view! {
                        <li data-id=r.id.to_string() data-status=r.status.as_str()>
                            <b>{category(lang, r.kind)}</b>" · "{crate::time::local_minutes(r.reported_at.timestamp_millis())}
                            <div>{status(lang, r.status)}" · "{r.photos}" "{ctx.t(T::PhotosStored)}</div>
                        </li>
                    }
                }).collect_view().into_any(),
            }}
        </ul>
    }
}

/// Installs the server's taxonomy for a page without a session (the citizen pages).
async fn public_taxonomy() {
    if let Ok(text) = api::taxonomy().await
        && let Ok(t) = model::taxonomy::Taxonomy::parse(&text)
    {
        drop(model::taxonomy::install(t));
    }
}

/// `/report`: a citizen reports a matter (no sign-in) and receives a tracking code.
#[component]
pub fn CitizenReport() -> impl IntoView {
    let lang = RwSignal::new(Lang::Zh);
    let ready = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        public_taxonomy().await;
        ready.set(true);
    });
    let place = Place::new();
    let div = NodeRef::<html::Div>::new();
    place.mount(div, false);
    let receipt = RwSignal::new(None::<Receipt>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let t = move |k: T| tr(lang.get(), k);
    let submit = move || {
        let lang_now = lang.get_untracked();
        let Some((lon, lat)) = place.at.get_untracked() else {
            error.set(Some(tr(lang_now, T::NoPosition).to_owned()));
            return;
        };
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let optional = |id: &str| Some(input_value(id).trim().to_owned()).filter(|v| !v.is_empty());
            let report = PublicReport {
                kind: input_value("report-kind"),
                description: input_value("report-description"),
                lon,
                lat,
                address: optional("report-address"),
                phone: optional("report-phone"),
                photo: chosen_photos("report-photo", 1).await.into_iter().next(),
                source: None,
                external_id: None,
            };
            match api::public_report(&report).await {
                Ok(r) => {
                    receipt.try_set(Some(r));
                }
                Err(e) => {
                    let lang = lang.try_get_untracked().unwrap_or(Lang::Zh);
                    let text =
                        if e.status == 429 { tr(lang, T::TooManyReports).to_owned() } else { api_error(lang, &e) };
                    error.try_set(Some(text));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <div class="field">
            <header class="field-top">
                <h1>{move || t(T::CitizenTitle)}</h1>
                {lang_switch(lang)}
            </header>
            <p class="muted">{move || t(T::EmergencyCall)}</p>
            {move || match receipt.get() {
                Some(r) => view! {
                    <div class="receipt">
                        <p>{t(T::ReportReceived)}</p>
                        <p class="code" id="receipt-code">{r.tracking_code.clone()}</p>
                        <p class="muted">{t(T::KeepCode)}</p>
                        <a id="receipt-track" class="big" href=r.track_url.clone()>{t(T::TrackIt)}</a>
                    </div>
                }.into_any(),
                None => view! {
                    <form class="field-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                        <label for="report-kind">{move || t(T::Kind)}</label>
                        <select id="report-kind" name="kind">
                            {move || ready.get().then(|| Category::all().iter().copied()
                                .filter(|c| c.workflow() == Workflow::Department)
                                .map(|c| view! { <option value=c.as_str()>{category(lang.get(), c)}</option> })
                                .collect_view())}
                        </select>
                        <label for="report-description">{move || t(T::Description)}</label>
                        <textarea id="report-description" name="description" rows="4" maxlength="500"></textarea>
                        <label>{move || t(T::Location)}</label>
                        <div class="row">
                            <span id="report-position" class="muted">{move || match place.at.get() {
                                Some((lon, lat)) => format!("{lon:.5}, {lat:.5}"),
                                None => t(T::TapTheMap).to_owned(),
                            }}</span>
                            <button class="chip" type="button" on:click=move |_| place.locate()>{move || t(T::UseMyPosition)}</button>
                        </div>
                        <div id="report-picker" class="picker" node_ref=div></div>
                        <label for="report-address">{move || t(T::AddressOptional)}</label>
                        <input id="report-address" name="address" type="text" maxlength="100" />
                        <label for="report-phone">{move || t(T::PhoneOptional)}</label>
                        <input id="report-phone" name="phone" type="tel" maxlength="16" />
                        <label for="report-photo">{move || t(T::PhotoOptional)}</label>
                        <input id="report-photo" name="photo" type="file" accept="image/*" />
                        <button id="report-submit" class="big" type="submit" disabled=move || busy.get()>{move || t(T::SendReport)}</button>
                        {move || error.get().map(|e| view! { <p class="error" id="report-error">{e}</p> })}
                    </form>
                }.into_any(),
            }}
        </div>
    }
}

/// `/track/{code}`: the report's stage and dates; the verdict once it is closed.
#[component]
pub fn TrackPage(code: String) -> impl IntoView {
    let lang = RwSignal::new(Lang::Zh);
    let answer = RwSignal::new(None::<Result<Tracking, ApiError>>);
    let code = StoredValue::new(code);
    leptos::task::spawn_local(async move {
        public_taxonomy().await;
        let a = api::track(&code.get_value()).await;
        answer.try_set(Some(a));
    });
    let t = move |k: T| tr(lang.get(), k);
    let rate = move || {
        let verdict = Verdict::parse(&input_value("track-verdict"));
        let comment = Some(input_value("track-comment").trim().to_owned()).filter(|c| !c.is_empty());
        let Some(verdict) = verdict else { return };
        leptos::task::spawn_local(async move {
            let a = api::public_verdict(&code.get_value(), &PublicVerdict { verdict, comment }).await;
            answer.try_set(Some(a));
        });
    };
    view! {
        <div class="field">
            <header class="field-top">
                <h1>{move || t(T::TrackTitle)}</h1>
                {lang_switch(lang)}
            </header>
            {move || match answer.get() {
                None => view! { <p class="muted">"…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" id="track-error">{if e.status == 404 { t(T::UnknownCode).to_owned() } else { api_error(lang.get(), &e) }}</p> }.into_any(),
                Some(Ok(tr_)) => {
                    let l = lang.get();
                    let stage = |s: model::api::public::PublicStage| if l == Lang::Zh { s.label_zh() } else { s.label_en() };
                    view! {
                        <p>{category(l, tr_.kind)}</p>
                        <p class="code" id="track-stage" data-stage=tr_.stage.as_str()>{stage(tr_.stage)}</p>
                        <ol id="track-steps">
                            {tr_.steps.iter().map(|s| view! {
                                <li data-stage=s.stage.as_str()>{stage(s.stage)}" · "{crate::time::local_minutes(s.at.timestamp_millis())}</li>
                            }).collect_view()}
                        </ol>
                        {tr_.verdict.map(|v| view! { <p id="track-verdict-given">{t(T::YourVerdict)}{if l == Lang::Zh { "：" } else { ": " }}{if l == Lang::Zh { v.label_zh() } else { v.label_en() }}</p> })}
                        {tr_.verdict_open.then(|| view! {
                            <form class="field-form" on:submit=move |ev| { ev.prevent_default(); rate(); }>
                                <label for="track-verdict">{t(T::GiveVerdict)}</label>
                                <select id="track-verdict">
                                    {Verdict::ALL.iter().map(|v| view! { <option value=v.as_str()>{if l == Lang::Zh { v.label_zh() } else { v.label_en() }}</option> }).collect_view()}
                                </select>
                                <input id="track-comment" type="text" maxlength="200" placeholder=t(T::CommentOptional) />
                                <button id="track-submit" class="big" type="submit">{t(T::SendVerdict)}</button>
                            </form>
                        })}
                    }.into_any()
                }
            }}
        </div>
    }
}
