//! SafeGrid's map dashboard: a Leptos client-side app. Only `api.rs` talks to the server and
//! only `map.rs` (with `js/map.js`) touches MapLibre.

mod api;
mod app;
mod charts;
mod command;
mod desk;
mod i18n;
mod map;
mod panels;
mod planner;
mod time;
mod world_desk;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
