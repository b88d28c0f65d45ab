//! Small SVG charts: bars by category, a daily trend line and the hour × weekday matrix.

use leptos::prelude::*;

/// Horizontal bars: (label, value, colour).
#[component]
pub fn Bars(rows: Vec<(String, u64, &'static str)>) -> impl IntoView {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let height = rows.len() * 16 + 4;
    view! {
        <svg class="chart bars" width="300" height=height viewBox=format!("0 0 300 {height}")>
            {rows
                .into_iter()
                .enumerate()
                .map(|(i, (label, value, color))| {
                    let y = i * 16 + 2;
                    let w = (value as f64 / max * 170.0).max(if value > 0 { 1.0 } else { 0.0 });
                    view! {
                        <g>
                            <text x="0" y=y + 11>{label}</text>
                            <rect x="84" y=y width=w height="12" fill=color rx="2"></rect>
                            <text x=84.0 + w + 4.0 y=y + 11>{value}</text>
                        </g>
                    }
                })
                .collect_view()}
        </svg>
    }
}

/// A line of daily counts with the first and last date and the maximum marked.
#[component]
pub fn Trend(days: Vec<(String, u64)>) -> impl IntoView {
    let (w, h) = (300.0, 90.0);
    let n = days.len().max(2) as f64;
    let max = days.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let points: String = days
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            format!("{:.1},{:.1}", 4.0 + i as f64 / (n - 1.0) * (w - 8.0), h - 16.0 - *v as f64 / max * (h - 28.0))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let first = days.first().map(|d| d.0.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.0.clone()).unwrap_or_default();
    view! {
        <svg class="chart trend" width="300" height="90" viewBox="0 0 300 90">
            <polyline points=points fill="none" stroke="#3fa7ff" stroke-width="1.5"></polyline>
            <text x="4" y="10">{format!("max {}", max as u64)}</text>
            <text x="4" y="88">{first}</text>
            <text x="230" y="88">{last}</text>
        </svg>
    }
}

/// The hour × weekday matrix: 7 rows (Monday first) × 24 columns.
#[component]
pub fn Matrix(cells: Vec<[u64; 7]>, weekdays: [&'static str; 7]) -> impl IntoView {
    let max = cells.iter().flat_map(|r| r.iter()).copied().max().unwrap_or(0).max(1) as f64;
    let rects = (0..7usize)
        .flat_map(|d| (0..24usize).map(move |h| (d, h)))
        .map(|(d, h)| {
            let v = cells.get(h).map_or(0, |r| r[d]);
            let t = v as f64 / max;
            let color = format!("rgba(255,{},{},{:.2})", (200.0 - 150.0 * t) as u8, (60.0 - 40.0 * t) as u8, 0.08 + 0.92 * t);
            view! { <rect x=22 + h * 11 y=d * 11 width="10" height="10" fill=color><title>{format!("{h}:00 {}", v)}</title></rect> }
        })
        .collect_view();
    let labels = weekdays
        .into_iter()
        .enumerate()
        .map(|(d, name)| view! { <text x="0" y=d * 11 + 8>{name}</text> })
        .collect_view();
    view! {
        <svg class="chart matrix" width="300" height="92" viewBox="0 0 300 92">
            {labels}
            {rects}
            <text x="22" y="88">"0"</text>
            <text x="150" y="88">"12"</text>
            <text x="270" y="88">"23"</text>
        </svg>
    }
}
