//! The Rust side of the map: wasm-bindgen bindings to `js/map.js` (the one module that touches
//! MapLibre), the colours of categories and the choropleth scales (the legend uses the same).

use model::Category;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/map.js")]
extern "C" {
    #[wasm_bindgen(js_name = createMap)]
    fn create_map(container: &web_sys::HtmlElement, options: &str, on_event: &js_sys::Function);
    #[wasm_bindgen(js_name = setSources)]
    fn set_sources(incidents_url: &str, cells_url: &str);
    #[wasm_bindgen(js_name = setScale)]
    fn set_scale(scale: &str);
    #[wasm_bindgen(js_name = setVisible)]
    fn set_visible(group: &str, visible: bool);
    #[wasm_bindgen(js_name = fitBounds)]
    fn fit_bounds(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64);
    #[wasm_bindgen(js_name = flyTo)]
    fn fly_to(lon: f64, lat: f64, zoom: f64);
    #[wasm_bindgen(js_name = selectCell)]
    fn select_cell(code: &str);
    #[wasm_bindgen(js_name = setHotspots)]
    fn set_hotspots(data: &str, fill_color: &str);
    #[wasm_bindgen(js_name = setAlerts)]
    fn set_alerts(data: &str);
    #[wasm_bindgen(js_name = addLive)]
    fn add_live(feature: &str);
    #[wasm_bindgen(js_name = setUnits)]
    fn set_units(data: &str);
    #[wasm_bindgen(js_name = setLayerData)]
    fn set_layer_data(source: &str, data: &str);
    #[wasm_bindgen(js_name = setScorecard)]
    fn set_scorecard(level: &str, colors: &str);
    #[wasm_bindgen(js_name = setEditing)]
    fn set_editing(on: bool);
    #[wasm_bindgen(js_name = reloadWorld)]
    fn reload_world(version: u32);
    #[wasm_bindgen(js_name = createPicker)]
    fn create_picker(container: &web_sys::HtmlElement, options: &str, on_pick: &js_sys::Function);
    #[wasm_bindgen(js_name = setPickerPoint)]
    fn set_picker_point(lon: f64, lat: f64);
    #[wasm_bindgen(js_name = removePicker)]
    fn remove_picker();
}

/// Options of the place picker (`createPicker`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PickerOptions {
    /// Where the marker starts, WGS84 `[lon, lat]`.
    pub center: [f64; 2],
    /// Initial zoom.
    pub zoom: f64,
    /// Cell tiles (signed-in users), for the outlines.
    pub cells_url: Option<String>,
    /// Township outlines (GeoJSON URL), for those who see no cells.
    pub areas: Option<String>,
    /// Glyphs template.
    pub glyphs_url: String,
    /// Optional base layers.
    pub base_layers: Vec<model::api::BaseLayer>,
}

/// The small map that picks a place: one marker, moved by a tap or by [`Picker::set`].
#[derive(Clone, Copy)]
pub struct Picker;

impl Picker {
    /// Creates the picker in `container`; `on_pick` gets each tapped place (lon, lat).
    pub fn create(
        container: &web_sys::HtmlElement,
        options: &PickerOptions,
        on_pick: impl Fn(f64, f64) + 'static,
    ) -> Picker {
        let callback = Closure::<dyn Fn(String)>::new(move |json: String| {
            if let Ok([lon, lat]) = serde_json::from_str::<[f64; 2]>(&json) {
                on_pick(lon, lat);
            }
        });
        let options = serde_json::to_string(options).unwrap_or_default();
        create_picker(container, &options, callback.as_ref().unchecked_ref());
        // The picker lives until the next one replaces it.
        callback.forget();
        Picker
    }

    /// Moves the marker and the view to a place.
    pub fn set(&self, lon: f64, lat: f64) {
        set_picker_point(lon, lat);
    }

    /// Removes the picker.
    pub fn remove(&self) {
        remove_picker();
    }
}

/// Colour of a category (points and legend): the taxonomy's.
pub fn category_color(c: Category) -> &'static str {
    c.color()
}

/// What the cells are coloured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Incidents in the window.
    Count,
    /// Incidents per 10,000 residents (万人发案率).
    Rate,
    /// Change against the previous window (环比), percent.
    ChangePrev,
    /// Change against the same window a year before (同比), percent.
    ChangeYoy,
}

/// A colour ramp over a feature property.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scale {
    /// The cell property coloured.
    pub property: &'static str,
    /// (value, colour) stops, interpolated linearly.
    pub stops: Vec<(f64, &'static str)>,
    /// Value used when the property is missing (no baseline for a change).
    pub missing_value: f64,
}

const SEQUENTIAL: [&str; 6] = ["#1a2b3d", "#2d5f73", "#3f9a8a", "#e8c547", "#f07b3f", "#d7263d"];

/// The scale of a metric for the current window length.
pub fn scale(metric: Metric, window_days: f64) -> Scale {
    let w = window_days.max(1.0 / 24.0);
    match metric {
        Metric::Count => {
            let top = (w * 2.0).clamp(5.0, 400.0);
            Scale {
                property: "count",
                stops: vec![
                    (0.0, SEQUENTIAL[0]),
                    (1.0, SEQUENTIAL[1]),
                    (top * 0.1, SEQUENTIAL[2]),
                    (top * 0.25, SEQUENTIAL[3]),
                    (top * 0.5, SEQUENTIAL[4]),
                    (top, SEQUENTIAL[5]),
                ],
                missing_value: 0.0,
            }
        }
        Metric::Rate => {
            // Per 10,000 residents (万人发案率).
            let top = (w * 10.0).clamp(20.0, 2000.0);
            Scale {
                property: "incidents_per_10k",
                stops: vec![
                    (0.0, SEQUENTIAL[0]),
                    (top * 0.05, SEQUENTIAL[1]),
                    (top * 0.1, SEQUENTIAL[2]),
                    (top * 0.25, SEQUENTIAL[3]),
                    (top * 0.5, SEQUENTIAL[4]),
                    (top, SEQUENTIAL[5]),
                ],
                missing_value: 0.0,
            }
        }
        Metric::ChangePrev | Metric::ChangeYoy => Scale {
            property: if metric == Metric::ChangePrev { "change_pct_prev" } else { "change_pct_yoy" },
            stops: vec![
                (-100.0, "#2166ac"),
                (-50.0, "#67a9cf"),
                (0.0, "#26333f"),
                (50.0, "#ef8a62"),
                (200.0, "#b2182b"),
            ],
            missing_value: 0.0,
        },
    }
}

/// Map options passed to `createMap`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapOptions {
    /// Initial view, WGS84 `[minLon, minLat, maxLon, maxLat]`.
    pub bounds: [f64; 4],
    /// Region boundary tiles.
    pub regions_url: String,
    /// Cell tiles.
    pub cells_url: String,
    /// Incident tiles.
    pub incidents_url: String,
    /// Stations GeoJSON.
    pub stations_url: String,
    /// Cameras GeoJSON.
    pub cameras_url: String,
    /// Glyphs template.
    pub glyphs_url: String,
    /// Category → colour.
    pub category_colors: std::collections::BTreeMap<&'static str, &'static str>,
    /// Initial cell scale.
    pub scale: Scale,
    /// Optional base layers.
    pub base_layers: Vec<model::api::BaseLayer>,
    /// Backlog case colour by age band (0–3).
    pub backlog_colors: [&'static str; 4],
}

/// Backlog cases (积案) by age band: under 90 days, 90–179, 180–364, a year or more.
pub const BACKLOG_BAND_COLORS: [&str; model::desk::AGE_BANDS as usize] = ["#fee391", "#fe9929", "#d95f0e", "#7f0000"];

/// A map event from JavaScript.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MapEvent {
    /// The map finished rendering.
    Idle,
    /// An incident was clicked.
    Incident {
        /// Its id.
        id: u64,
    },
    /// A cell was clicked.
    Cell {
        /// Its code.
        code: String,
    },
    /// A region area was clicked (outside any cell).
    Region {
        /// Its code.
        code: String,
    },
    /// A resource (station) was clicked.
    Resource {
        /// Its id.
        id: u64,
        /// Its name.
        name: String,
    },
    /// While the base data is edited: a place was clicked, with the cell and the resource under it.
    Point {
        /// Longitude, WGS84.
        lon: f64,
        /// Latitude, WGS84.
        lat: f64,
        /// The cell under it, if any.
        cell: Option<String>,
        /// The station or camera under it, if any.
        resource: Option<u64>,
    },
}

/// Handle to the one map of the page.
#[derive(Clone, Copy)]
pub struct Map;

impl Map {
    /// Creates the map in `container`; `on_event` receives its events.
    pub fn create(
        container: &web_sys::HtmlElement,
        options: &MapOptions,
        on_event: impl Fn(MapEvent) + 'static,
    ) -> Map {
        let callback = Closure::<dyn Fn(String)>::new(move |json: String| {
            if let Ok(ev) = serde_json::from_str::<MapEvent>(&json) {
                on_event(ev);
            }
        });
        let options = serde_json::to_string(options).unwrap_or_default();
        create_map(container, &options, callback.as_ref().unchecked_ref());
        // The map lives as long as the page.
        callback.forget();
        Map
    }

    /// New tile URLs for the filtered layers.
    pub fn set_sources(&self, incidents_url: &str, cells_url: &str) {
        set_sources(incidents_url, cells_url);
    }

    /// New cell colouring.
    pub fn set_scale(&self, scale: &Scale) {
        set_scale(&serde_json::to_string(scale).unwrap_or_default());
    }

    /// Shows or hides a layer group (`cells`, `incidents`, `regions`, `stations`, `cameras`).
    pub fn set_visible(&self, group: &str, visible: bool) {
        set_visible(group, visible);
    }

    /// Zooms to WGS84 bounds.
    pub fn fit(&self, b: [f64; 4]) {
        fit_bounds(b[0], b[1], b[2], b[3]);
    }

    /// Flies to a point.
    pub fn fly_to(&self, lon: f64, lat: f64, zoom: f64) {
        fly_to(lon, lat, zoom);
    }

    /// Shows an analysis (GeoJSON) on the hot-spot layer, coloured as `style` says.
    pub fn set_hotspots(&self, geojson: &str, style: &AnalysisStyle) {
        set_hotspots(geojson, &style.fill_color.to_string());
    }

    /// Shows near-repeat alerts (GeoJSON points).
    pub fn set_alerts(&self, geojson: &str) {
        set_alerts(geojson);
    }

    /// Draws a new incident from the live feed with a pulse (GeoJSON Feature).
    pub fn add_live(&self, feature: &str) {
        add_live(feature);
    }

    /// Colours the regions of `level` (`county`, `township`) as `colors` says, `(code, colour)`;
    /// an empty list hides the scorecard layer.
    pub fn set_scorecard(&self, level: &str, colors: &[(String, String)]) {
        set_scorecard(level, &serde_json::to_string(colors).unwrap_or_else(|_| "[]".into()));
    }

    /// Replaces the data of the GeoJSON layer `source` (`gap`, `blind`, `plan`, `backlog`, `desk`).
    pub fn set_layer_data(&self, source: &str, geojson: &str) {
        set_layer_data(source, geojson);
    }

    /// Shows the patrol units (GeoJSON points with `status`).
    pub fn set_units(&self, geojson: &str) {
        set_units(geojson);
    }

    /// Colour of a hot-spot confidence bin (−3…3), as the layer draws it.
    pub fn bin_color(bin: i8) -> &'static str {
        match bin {
            3 => "#d7191c",
            2 => "#fc8d59",
            1 => "#fee08b",
            -1 => "#d1e5f0",
            -2 => "#67a9cf",
            -3 => "#2166ac",
            _ => "#26333f",
        }
    }

    /// While `on`, clicks are places for the base-data editor ([`MapEvent::Point`]).
    pub fn set_editing(&self, on: bool) {
        set_editing(on);
    }

    /// Fetches regions, cells, incidents, stations and cameras afresh for world `version`.
    pub fn reload_world(&self, version: u32) {
        reload_world(version);
    }

    /// Outlines the selected cell (empty: none).
    pub fn select_cell(&self, code: &str) {
        select_cell(code);
    }
}

/// How an analysis is drawn: the MapLibre `fill-color` expression and its legend (colour, label).
#[derive(Debug, Clone)]
pub struct AnalysisStyle {
    /// The paint expression.
    pub fill_color: serde_json::Value,
    /// Legend rows.
    pub legend: Vec<(&'static str, crate::i18n::T)>,
}

const CLEAR: &str = "rgba(0,0,0,0)";

/// The style of analysis `a`; `max_density` scales the KDE ramp.
pub fn analysis_style(a: crate::api::Analysis, max_density: f64) -> AnalysisStyle {
    use crate::api::Analysis;
    use crate::i18n::T;
    use serde_json::json;
    match a {
        Analysis::GiStar | Analysis::Optimized => {
            let mut expr = vec![json!("match"), json!(["get", "bin"])];
            for b in [3i8, 2, 1, -1, -2, -3] {
                expr.push(json!(b));
                expr.push(json!(Map::bin_color(b)));
            }
            expr.push(json!(CLEAR));
            AnalysisStyle { fill_color: json!(expr), legend: vec![] }
        }
        Analysis::LocalMoran => {
            let rows = [("#d7191c", T::LisaHH), ("#2166ac", T::LisaLL), ("#f4a582", T::LisaHL), ("#92c5de", T::LisaLH)];
            let mut expr = vec![json!("match"), json!(["get", "cluster"])];
            for (key, (c, _)) in ["HH", "LL", "HL", "LH"].iter().zip(rows) {
                expr.push(json!(key));
                expr.push(json!(c));
            }
            expr.push(json!(CLEAR));
            AnalysisStyle { fill_color: json!(expr), legend: rows.to_vec() }
        }
        Analysis::Emerging => {
            let hot = [
                ("new_hot", "#ff2d2d", T::EmergingNew),
                ("consecutive_hot", "#e6550d", T::EmergingConsecutive),
                ("intensifying_hot", "#a50f15", T::EmergingIntensifying),
                ("persistent_hot", "#de2d26", T::EmergingPersistent),
                ("diminishing_hot", "#fc9272", T::EmergingDiminishing),
                ("sporadic_hot", "#fdd0a2", T::EmergingSporadic),
                ("oscillating_hot", "#f16913", T::EmergingOscillating),
                ("historical_hot", "#fee6ce", T::EmergingHistorical),
            ];
            let mut expr = vec![json!("match"), json!(["get", "pattern"])];
            for (key, c, _) in hot {
                expr.push(json!(key));
                expr.push(json!(c));
            }
            let cold = [
                "new_cold",
                "consecutive_cold",
                "intensifying_cold",
                "persistent_cold",
                "diminishing_cold",
                "sporadic_cold",
                "oscillating_cold",
                "historical_cold",
            ];
            expr.push(json!(cold));
            expr.push(json!("#4292c6"));
            expr.push(json!(CLEAR));
            let mut legend: Vec<(&'static str, T)> = hot.iter().map(|(_, c, t)| (*c, *t)).collect();
            legend.push(("#4292c6", T::EmergingCold));
            AnalysisStyle { fill_color: json!(expr), legend }
        }
        Analysis::Kde => {
            let m = if max_density > 0.0 { max_density } else { 1.0 };
            let fill_color = json!([
                "interpolate",
                ["linear"],
                ["get", "density_per_km2"],
                0.0,
                CLEAR,
                m * 0.05,
                "#fee5d9",
                m * 0.25,
                "#fcae91",
                m * 0.5,
                "#fb6a4a",
                m,
                "#cb181d"
            ]);
            AnalysisStyle { fill_color, legend: vec![("#fcae91", T::KdeLow), ("#cb181d", T::KdeHigh)] }
        }
        Analysis::Forecast => {
            let fill_color = json!(["case", ["get", "flagged"], "#e31a1c", CLEAR]);
            AnalysisStyle { fill_color, legend: vec![("#e31a1c", T::ForecastFlagged)] }
        }
    }
}
