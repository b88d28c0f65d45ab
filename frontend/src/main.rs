//! SafeGrid's map dashboard: a Leptos client-side app. Only `api.rs` talks to the server and
//! only `map.rs` (with `js/map.js`) touches MapLibre. `js/errors.js` keeps the page's errors for
//! the browser tests.

mod api;
mod app;
mod campaigns;
mod charts;
mod command;
mod desk;
mod field;
mod i18n;
mod map;
mod orders;
mod panels;
mod petitions;
mod planner;
mod scorecard;
mod time;
mod trials;
mod wall;
mod world_desk;

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    /// Keeps every page error and console error in `window.__safegridErrors`.
    #[wasm_bindgen(js_name = recordErrors)]
    fn record_errors();
}

fn main() {
    record_errors();
    console_error_panic_hook::set_once();
    // The address picks the app: the phone app, the citizen pages, or the dashboard.
    match field::page() {
        field::Page::Field => leptos::mount::mount_to_body(field::FieldApp),
        field::Page::Report => leptos::mount::mount_to_body(field::CitizenReport),
        field::Page::Track(code) => {
            leptos::mount::mount_to_body(move || leptos::prelude::view! { <field::TrackPage code=code.clone() /> })
        }
        field::Page::Dashboard => leptos::mount::mount_to_body(app::App),
    }
}
