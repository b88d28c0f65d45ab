//! The monthly briefing (简报): one region's month in figures ([`briefing`], the JSON answer)
//! and its print view ([`html`]: key figures with 环比 and 同比, kinds as a table and a chart,
//! the map coloured by incidents per 10,000 residents as an SVG drawn here, hot spots in words,
//! the event loop, disputes and backlog, the scorecard row, campaigns). Every figure is the
//! JSON's; the scorecard's are `/api/scorecard`'s for the same month and level. Knows no HTTP.

use crate::docx::xml_escape as escape;
use crate::incident_index::IncidentFilter;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use geo::{BoundingRect, InteriorPoint, MultiPolygon};
use model::api::briefing::{AreaFigure, Briefing, CategoryTrio, HotSpotLine, Trio};
use model::scope::Scope;
use model::scorecard::{Indicator, Month, per_10k};
use model::{Category, RegionCode, RegionLevel};
use std::fmt::Write;
use store::StoreError;

/// The region's briefing for `month`, inside `scope`, with each area's boundary for the map.
pub async fn briefing(
    s: &AppState,
    scope: &Scope,
    region: RegionCode,
    month: Month,
) -> Result<(Briefing, Vec<MultiPolygon<f64>>), StoreError> {
    let g = &s.geography;
    let shape = g.region(region);
    let (level, name) =
        shape.map_or((RegionLevel::Village, region.to_string()), |r| (r.region.level, r.region.name.clone()));
    let now = s.clock.now();
    let months = [month, month.previous(), month.year_ago()];
    let first_record_s = if s.past.is_some() { None } else { s.index().first_occurred_s() };
    let covered = |m: Month| {
        first_record_s.is_none_or(|first| m.start().timestamp() >= first - crate::scorecard::RECORDS_SLACK_S)
    };
    // Per month: incidents per kind, and per cell (this month only).
    let n_kinds = Category::count();
    let mut by_kind = vec![[None::<u64>; 3]; n_kinds];
    let mut cell_counts = Vec::new();
    for (k, m) in months.iter().enumerate() {
        let (from, to) = m.bounds();
        let mut f = IncidentFilter::new(g.cells_in(scope));
        f.cells = Some(g.cell_range(region));
        f.from_s = Some(from.timestamp());
        f.to_s = Some(to.timestamp());
        if k > 0 && !covered(*m) {
            continue;
        }
        let mut counts = vec![0u64; n_kinds];
        s.for_each_incident(&f, |p| counts[usize::from(p.category.index())] += 1).await?;
        for (kind, n) in counts.into_iter().enumerate() {
            by_kind[kind][k] = Some(n);
        }
        if k == 0 {
            cell_counts = s.cell_counts(&f).await?;
        }
    }
    let trio = |c: [Option<u64>; 3]| Trio { now: c[0].unwrap_or(0), previous: c[1], year_ago: c[2] };
    let sum = |k: usize| by_kind.iter().map(|c| c[k]).sum::<Option<u64>>();
    let incidents = Trio { now: sum(0).unwrap_or(0), previous: sum(1), year_ago: sum(2) };
    let by_category = Category::all()
        .iter()
        .map(|c| CategoryTrio { category: *c, counts: trio(by_kind[usize::from(c.index())]) })
        .collect();

    // The map's areas: one level down, or the cells of a village.
    let range = g.cell_range(region);
    let mut areas = Vec::new();
    let mut shapes = Vec::new();
    let in_scope = |i: u32| g.scope_allows_cell(scope, i);
    match level.child().filter(|l| *l != RegionLevel::City) {
        Some(child) if level != RegionLevel::Village => {
            for r in g.regions_at(child, Some(region)).filter(|r| scope.allows_region(r.region.code)) {
                let n: u64 = g
                    .cell_range(r.region.code)
                    .filter(|&i| in_scope(i))
                    .map(|i| u64::from(cell_counts[i as usize]))
                    .sum();
                areas.push(area(r.region.code.to_string(), &r.region.name, n, r.region.population));
                shapes.push(r.boundary.clone());
            }
        }
        _ => {
            for i in range.clone().filter(|&i| in_scope(i)) {
                let c = &g.cells()[i as usize];
                let n = u64::from(cell_counts[i as usize]);
                areas.push(area(c.cell.code.to_string(), &c.cell.name, n, c.cell.population));
                shapes.push(c.boundary.clone());
            }
        }
    }

    // Hot spots: Gi* over the region's cells of the month.
    let mut f = IncidentFilter::new(g.cells_in(scope));
    f.cells = Some(range);
    let (from, to) = month.bounds();
    f.from_s = Some(from.timestamp());
    f.to_s = Some(to.timestamp());
    let study = crate::cell_hotspots::StudyArea::of(s, &f);
    let values = study.counts(s, &f).await?;
    let centres = study.centres_m.clone();
    let counts_for_job = values.clone();
    let stats = s
        .jobs
        .run(move |_| {
            let band = crate::cell_hotspots::DEFAULT_BAND_M;
            Ok(crate::cell_hotspots::band_neighbours(&centres, band)
                .ok()
                .map(|w| analytics::gi_star::hot_spots(&counts_for_job, &w, true).0))
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut hot_spots: Vec<HotSpotLine> = stats
        .iter()
        .zip(&study.cells)
        .zip(&values)
        .filter(|((h, _), _)| h.bin > 0)
        .map(|((h, &i), &n)| {
            let c = &g.cells()[i as usize];
            let village = g.region(c.cell.code.village()).map_or_else(String::new, |r| r.region.name.clone());
            HotSpotLine {
                cell_code: c.cell.code.to_string(),
                cell_name: c.cell.name.clone(),
                village_name: village,
                incidents: n as u64,
                confidence: match h.bin {
                    3 => 99,
                    2 => 95,
                    _ => 90,
                },
                z: h.z,
            }
        })
        .collect();
    hot_spots.sort_by(|a, b| b.z.total_cmp(&a.z));
    hot_spots.truncate(10);

    // The event loop now.
    let mut f = IncidentFilter::new(g.cells_in(scope));
    f.cells = Some(g.cell_range(region));
    let queue = crate::live::open_queue(s, f, now, DateTime::<Utc>::MIN_UTC);
    let overdue_events = queue.iter().filter(|q| q.due_in_s < 0).count() as u64;

    // The scorecard row at the region's level.
    let scorecard = if matches!(level, RegionLevel::County | RegionLevel::Township) {
        let card = crate::scorecard::scorecard(s, scope, month, level).await?;
        let n = card.rows.len();
        card.rows.into_iter().find(|r| r.code == region.to_string()).map(|r| (r, n))
    } else {
        None
    };
    let disputes_registered = {
        let desk = s.live.desk();
        desk.disputes()
            .filter(|d| region.contains(d.registered.village) && scope.allows_region(d.registered.village))
            .filter(|d| d.registered.opened_at >= from && d.registered.opened_at < to)
            .count() as u64
    };
    let campaigns = crate::campaigns::list(s, scope, now)
        .into_iter()
        .filter(|c| {
            let (a, b) = (model::campaign::local_midnight(c.start), model::campaign::local_midnight(c.end));
            let inside = match &c.area {
                model::campaign::CampaignArea::Region(code) => region.contains(*code) || code.contains(region),
                model::campaign::CampaignArea::Polygon(_) => region.contains(c.county) || c.county.contains(region),
            };
            inside && a < to && b + chrono::Duration::days(1) > from
        })
        .collect();
    Ok((
        Briefing {
            region: region.to_string(),
            region_name: name,
            level,
            period: month.to_string(),
            from,
            to,
            partial: to > now,
            generated_at: now,
            incidents,
            by_category,
            areas,
            hot_spots,
            open_events: queue.len() as u64,
            overdue_events,
            scorecard,
            disputes_registered,
            campaigns,
        },
        shapes,
    ))
}

fn area(code: String, name: &str, incidents: u64, population: u64) -> AreaFigure {
    AreaFigure { code, name: name.to_owned(), incidents, population, incidents_per_10k: per_10k(incidents, population) }
}

/// Colours of the map's classes, light to dark.
pub const MAP_COLORS: [&str; 5] = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];

/// The class (0–4) of `value` among `max`: equal steps of the largest rate.
pub fn class_of(value: f64, max: f64) -> usize {
    if max <= 0.0 { 0 } else { ((value / max * 5.0).floor() as usize).min(4) }
}

/// How the map's lon/lat become pixels: equirectangular, shrunk in longitude by the latitude's
/// cosine, fitted to `width` × `height` with a 10-pixel margin.
pub struct Frame {
    west: f64,
    north: f64,
    k: f64,
    scale: f64,
    ox: f64,
    oy: f64,
}

impl Frame {
    /// The frame of `shapes` (`None` when there is nothing to draw).
    pub fn of(shapes: &[MultiPolygon<f64>], width: f64, height: f64) -> Option<Frame> {
        let mut b = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        for s in shapes {
            if let Some(r) = s.bounding_rect() {
                b = (b.0.min(r.min().x), b.1.min(r.min().y), b.2.max(r.max().x), b.3.max(r.max().y));
            }
        }
        if !b.0.is_finite() {
            return None;
        }
        let k = ((b.1 + b.3) / 2.0).to_radians().cos();
        let (w, h) = (((b.2 - b.0) * k).max(1e-9), (b.3 - b.1).max(1e-9));
        let scale = ((width - 20.0) / w).min((height - 20.0) / h);
        Some(Frame { west: b.0, north: b.3, k, scale, ox: (width - w * scale) / 2.0, oy: (height - h * scale) / 2.0 })
    }

    /// Pixel coordinates of a lon/lat.
    pub fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (self.ox + (lon - self.west) * self.k * self.scale, self.oy + (self.north - lat) * self.scale)
    }

    /// A shape's rings in pixels.
    pub fn rings(&self, shape: &MultiPolygon<f64>) -> Vec<Vec<(f64, f64)>> {
        shape
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| r.coords().map(|c| self.xy(c.x, c.y)).collect())
            .collect()
    }
}

/// The areas as an SVG map, `width` × `height` pixels, coloured by incidents per 10,000.
pub fn map_svg(areas: &[AreaFigure], shapes: &[MultiPolygon<f64>], width: f64, height: f64) -> String {
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">"#
    );
    let Some(frame) = Frame::of(shapes, width, height) else {
        out.push_str("</svg>");
        return out;
    };
    let xy = |lon: f64, lat: f64| frame.xy(lon, lat);
    let max = areas.iter().map(|a| a.incidents_per_10k).fold(0.0, f64::max);
    for (a, s) in areas.iter().zip(shapes) {
        let mut d = String::new();
        for ring in frame.rings(s) {
            for (i, (x, y)) in ring.into_iter().enumerate() {
                let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        let _ = write!(
            out,
            r##"<path d="{d}" fill="{}" stroke="#555" stroke-width="0.6"><title>{} {:.2}</title></path>"##,
            MAP_COLORS[class_of(a.incidents_per_10k, max)],
            escape(&a.name),
            a.incidents_per_10k
        );
    }
    // Labels for a map of regions (not of many cells).
    if areas.len() <= 40 {
        for (a, s) in areas.iter().zip(shapes) {
            if let Some(p) = s.interior_point() {
                let (x, y) = xy(p.x(), p.y());
                let _ = write!(
                    out,
                    r##"<text x="{x:.1}" y="{y:.1}" font-size="11" text-anchor="middle" fill="#222">{}</text>"##,
                    escape(&a.name)
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

/// A horizontal bar chart of the kinds with any incident this month, as SVG.
pub fn category_svg(rows: &[(String, u64)], width: f64) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let height = 22.0 * rows.len() as f64 + 10.0;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">"#
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = 5.0 + 22.0 * i as f64;
        let w = (width - 200.0) * (*n as f64) / max;
        let _ = write!(
            out,
            r##"<text x="110" y="{:.1}" font-size="12" text-anchor="end">{}</text><rect x="118" y="{y:.1}" width="{w:.1}" height="16" fill="#3f7fbf"/><text x="{:.1}" y="{:.1}" font-size="12">{n}</text>"##,
            y + 13.0,
            escape(label),
            122.0 + w,
            y + 13.0
        );
    }
    out.push_str("</svg>");
    out
}

/// How an indicator's value and its changes read: shares as percentages and percentage points,
/// rates with two decimals, "—" where there is none.
fn indicator_texts(indicator: Indicator, zh: bool) -> (impl Fn(Option<f64>) -> String, impl Fn(Option<f64>) -> String) {
    let share = indicator.is_share();
    let value = move |v: Option<f64>| match v {
        None => "—".to_owned(),
        Some(v) if share => format!("{:.1}%", v * 100.0),
        Some(v) => format!("{v:.2}"),
    };
    let change = move |v: Option<f64>| match v {
        None => "—".to_owned(),
        Some(v) if share => format!("{:+.1} {}", v * 100.0, if zh { "个百分点" } else { "pt" }),
        Some(v) => format!("{v:+.2}"),
    };
    (value, change)
}

/// A hot spot in words, for the print view and the document alike.
fn hot_spot_sentence(h: &HotSpotLine, zh: bool) -> String {
    if zh {
        format!(
            "{}（{}），本月 {} 起，{}% 置信度热点（Gi* z = {:.2}）",
            h.cell_name, h.village_name, h.incidents, h.confidence, h.z
        )
    } else {
        format!(
            "{} ({}): {} incidents, a hot spot at {}% confidence (Gi* z = {:.2})",
            h.cell_name, h.village_name, h.incidents, h.confidence, h.z
        )
    }
}

fn change_text(now: u64, other: Option<u64>, zh: bool) -> String {
    match other {
        None => {
            if zh {
                "无可比数据".into()
            } else {
                "no comparison".into()
            }
        }
        Some(0) if now == 0 => "0".into(),
        Some(0) => {
            if zh {
                "上期为 0".into()
            } else {
                "was 0".into()
            }
        }
        Some(o) => format!("{:+.1}%", (now as f64 - o as f64) / o as f64 * 100.0),
    }
}

/// The family name the print view gives its embedded font.
pub const EMBEDDED_FAMILY: &str = "SafeGrid Briefing";

/// The Content-Security-Policy of the print view: its own inline styles, pictures and font
/// from data: URLs, nothing else (no script, no frame, no form).
pub const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The briefing as a printable HTML page (A4; the browser prints it to PDF), in Chinese
/// (`zh`) or English.
pub fn html(b: &Briefing, shapes: &[MultiPolygon<f64>], zh: bool, font: Option<&crate::docx::EmbeddedFont>) -> String {
    let t = |c: &'static str, e: &'static str| if zh { c } else { e };
    let kind = |c: Category| if zh { c.label_zh() } else { c.label_en() };
    let mut o = String::new();
    let title = if zh {
        format!("{} {} 社会治安形势简报", b.region_name, b.period)
    } else {
        format!("{}: public-safety briefing for {}", b.region_name, b.period)
    };
    let _ = write!(
        o,
        r#"<!doctype html><html lang="{}"><head><meta charset="utf-8"><title>{}</title><style>
@page {{ size: A4; margin: 18mm 16mm; }}
body {{ font-family: "{EMBEDDED_FAMILY}", "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", "Songti SC", serif; color: #111; max-width: 780px; margin: 0 auto; line-height: 1.55; }}
h1 {{ text-align: center; font-size: 22px; }} h2 {{ font-size: 16px; border-bottom: 1px solid #999; }}
table {{ border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0; }} th, td {{ border: 1px solid #999; padding: 3px 6px; text-align: left; }}
.muted {{ color: #555; font-size: 12px; }} .legend span {{ display: inline-block; width: 18px; height: 10px; margin: 0 3px; }}
</style></head><body>"#,
        if zh { "zh-CN" } else { "en" },
        escape(&title)
    );
    let _ = write!(o, "<h1>{}</h1>", escape(&title));
    let _ = write!(
        o,
        r#"<p class="muted" id="briefing-meta">{} {} – {}{}；{} {}</p>"#,
        t("统计时段", "Period"),
        model::time::local_date(b.from),
        model::time::local_date(b.to - chrono::Duration::seconds(1)),
        if b.partial { t("（本月尚未结束）", " (month under way)") } else { "" },
        t("生成时间", "made"),
        b.generated_at.with_timezone(&model::time::shanghai()).format("%Y-%m-%d %H:%M")
    );
    // 一、Key figures.
    let _ = write!(
        o,
        "<h2>{}</h2><table id=\"key-figures\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("一、主要指标", "1. Key figures"),
        t("指标", "Figure"),
        t("本月", "This month"),
        t("环比", "vs last month"),
        t("同比", "vs a year ago")
    );
    let _ = write!(
        o,
        r#"<tr data-figure="incidents"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
        t("警情总数", "Incidents"),
        b.incidents.now,
        change_text(b.incidents.now, b.incidents.previous, zh),
        change_text(b.incidents.now, b.incidents.year_ago, zh)
    );
    if let Some((row, _)) = &b.scorecard {
        for c in &row.cells {
            if c.judgement == model::scorecard::Judgement::Unavailable {
                continue;
            }
            let (fmt, ch) = indicator_texts(c.indicator, zh);
            let _ = write!(
                o,
                r#"<tr data-figure="{}"><td>{}</td><td>{} <span class="muted">({}/{})</span></td><td>{}</td><td>{}</td></tr>"#,
                c.indicator.as_str(),
                if zh { c.indicator.label_zh() } else { c.indicator.label_en() },
                fmt(c.value),
                c.numerator,
                c.denominator,
                ch(c.change_prev),
                ch(c.change_yoy)
            );
        }
    }
    o.push_str("</table>");
    // 二、Kinds.
    let _ = write!(
        o,
        "<h2>{}</h2><table id=\"by-category\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("二、警情类别", "2. Incidents by kind"),
        t("类别", "Kind"),
        t("本月", "This month"),
        t("环比", "vs last month"),
        t("同比", "vs a year ago")
    );
    let mut bars = Vec::new();
    for c in b.by_category.iter().filter(|c| c.counts.now > 0 || c.counts.previous.is_some_and(|p| p > 0)) {
        let _ = write!(
            o,
            r#"<tr data-category="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            c.category.as_str(),
            kind(c.category),
            c.counts.now,
            change_text(c.counts.now, c.counts.previous, zh),
            change_text(c.counts.now, c.counts.year_ago, zh)
        );
        if c.counts.now > 0 {
            bars.push((kind(c.category).to_owned(), c.counts.now));
        }
    }
    o.push_str("</table>");
    bars.sort_by_key(|b| std::cmp::Reverse(b.1));
    o.push_str(&category_svg(&bars, 700.0));
    // 三、Map.
    let _ = write!(o, "<h2>{}</h2>", t("三、万人发案率分布", "3. Incidents per 10,000 residents"));
    o.push_str(&map_svg(&b.areas, shapes, 700.0, 460.0));
    let max = b.areas.iter().map(|a| a.incidents_per_10k).fold(0.0, f64::max);
    let _ = write!(o, r#"<p class="legend muted">0"#);
    for (k, c) in MAP_COLORS.iter().enumerate() {
        let _ = write!(o, r#"<span style="background:{c}"></span>{:.1}"#, max * (k + 1) as f64 / 5.0);
    }
    o.push_str("</p>");
    // 四、Hot spots.
    let _ = write!(o, "<h2>{}</h2>", t("四、热点区域", "4. Hot spots"));
    if b.hot_spots.is_empty() {
        let _ = write!(
            o,
            "<p>{}</p>",
            t("本月未发现统计显著的热点网格。", "No statistically significant hot spot this month.")
        );
    } else {
        o.push_str("<ol id=\"hot-spots\">");
        for h in &b.hot_spots {
            let _ = write!(o, "<li>{}</li>", escape(&hot_spot_sentence(h, zh)));
        }
        o.push_str("</ol>");
    }
    // 五、Event loop, disputes, backlog and the rank.
    let _ = write!(
        o,
        "<h2>{}</h2><ul id=\"loop\">",
        t("五、事件处置、矛盾纠纷与考核", "5. Event loop, disputes and the scorecard")
    );
    let _ = if zh {
        write!(o, "<li>当前未结事件 {} 起，其中超时 {} 起</li>", b.open_events, b.overdue_events)
    } else {
        write!(o, "<li>Open events now: {}, of which overdue: {}</li>", b.open_events, b.overdue_events)
    };
    let _ = write!(
        o,
        "<li>{} {}</li>",
        t("本月登记矛盾纠纷（起）", "Disputes registered this month:"),
        b.disputes_registered
    );
    if let Some((row, n)) = &b.scorecard {
        let cell = |i: Indicator| row.cells.iter().find(|c| c.indicator == i);
        if let Some(c) = cell(Indicator::BacklogClearance) {
            let _ = write!(
                o,
                "<li>{} {}/{}</li>",
                t("积案化解（月初积案中本月化解）", "Backlog cleared (of the month's opening backlog):"),
                c.numerator,
                c.denominator
            );
        }
        let _ = write!(
            o,
            "<li id=\"rank\">{} {}{}</li>",
            t("考核得分", "Scorecard:"),
            row.score.map_or_else(|| t("样本不足", "too few").to_owned(), |s| format!("{s:.1}")),
            row.rank.map_or_else(String::new, |r| format!("{} {r}/{n}", t("，排名", ", rank"))),
        );
    }
    o.push_str("</ul>");
    // 六、Campaigns.
    let _ = write!(o, "<h2>{}</h2>", t("六、专项整治", "6. Special campaigns"));
    if b.campaigns.is_empty() {
        let _ = write!(o, "<p>{}</p>", t("本月无专项整治。", "No campaign this month."));
    } else {
        o.push_str("<ul id=\"campaigns\">");
        for c in &b.campaigns {
            let _ = write!(o, "<li>{} · {} · {} – {}</li>", escape(&c.name), escape(&c.area_name), c.start, c.end);
        }
        o.push_str("</ul>");
    }
    o.push_str("</body></html>");
    // The page carries the subset of the briefing font its text needs, so it prints alike on
    // every machine (the response's policy allows fonts from data: URLs only).
    if let Some(font) = font
        && let Ok(subset) = crate::font_subset::subset(&font.bytes, &o)
    {
        use base64::Engine as _;
        let face = format!(
            r#"@font-face {{ font-family: "{EMBEDDED_FAMILY}"; src: url(data:font/ttf;base64,{}) format("truetype"); }}"#,
            base64::engine::general_purpose::STANDARD.encode(subset)
        );
        o = o.replacen("<style>", &format!("<style>\n{face}"), 1);
    }
    o
}

fn rgb(hex: &str) -> [u8; 3] {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

/// The map as a PNG picture for the Word document.
pub fn map_png(
    areas: &[AreaFigure],
    shapes: &[MultiPolygon<f64>],
    width: u32,
    height: u32,
) -> std::io::Result<Vec<u8>> {
    let mut r = crate::docx::Raster::new(width, height);
    if let Some(frame) = Frame::of(shapes, f64::from(width), f64::from(height)) {
        let max = areas.iter().map(|a| a.incidents_per_10k).fold(0.0, f64::max);
        for (a, s) in areas.iter().zip(shapes) {
            r.fill(&frame.rings(s), rgb(MAP_COLORS[class_of(a.incidents_per_10k, max)]));
        }
        for s in shapes {
            r.outline(&frame.rings(s), [0x55, 0x55, 0x55]);
        }
    }
    r.png()
}

/// The briefing as a Word document (.docx): the print view's sections, the map as a picture
/// with its legend, the kinds with text bars.
pub fn docx(
    b: &Briefing,
    shapes: &[MultiPolygon<f64>],
    zh: bool,
    font: Option<&crate::docx::EmbeddedFont>,
) -> std::io::Result<Vec<u8>> {
    let t = |c: &'static str, e: &'static str| if zh { c } else { e };
    let mut d = crate::docx::Document::new(font);
    d.title(&if zh {
        format!("{} {} 社会治安形势简报", b.region_name, b.period)
    } else {
        format!("{}: public-safety briefing for {}", b.region_name, b.period)
    });
    d.paragraph(&format!(
        "{} {} – {}{}",
        t("统计时段", "Period"),
        model::time::local_date(b.from),
        model::time::local_date(b.to - chrono::Duration::seconds(1)),
        if b.partial { t("（本月尚未结束）", " (month under way)") } else { "" }
    ));
    d.heading(t("一、主要指标", "1. Key figures"));
    let mut rows = vec![vec![
        t("指标", "Figure").into(),
        t("本月", "This month").into(),
        t("环比", "vs last month").into(),
        t("同比", "vs a year ago").into(),
    ]];
    rows.push(vec![
        t("警情总数", "Incidents").into(),
        b.incidents.now.to_string(),
        change_text(b.incidents.now, b.incidents.previous, zh),
        change_text(b.incidents.now, b.incidents.year_ago, zh),
    ]);
    if let Some((row, _)) = &b.scorecard {
        for c in row.cells.iter().filter(|c| c.judgement != model::scorecard::Judgement::Unavailable) {
            let (fmt, ch) = indicator_texts(c.indicator, zh);
            rows.push(vec![
                (if zh { c.indicator.label_zh() } else { c.indicator.label_en() }).into(),
                format!("{} ({}/{})", fmt(c.value), c.numerator, c.denominator),
                ch(c.change_prev),
                ch(c.change_yoy),
            ]);
        }
    }
    d.table(&rows);
    d.heading(t("二、警情类别", "2. Incidents by kind"));
    let max = b.by_category.iter().map(|c| c.counts.now).max().unwrap_or(0).max(1);
    let mut rows = vec![vec![
        t("类别", "Kind").into(),
        t("本月", "This month").into(),
        t("环比", "vs last month").into(),
        "".into(),
    ]];
    for c in b.by_category.iter().filter(|c| c.counts.now > 0 || c.counts.previous.is_some_and(|p| p > 0)) {
        // At most ten blocks: a quarter of the page's width holds them on one line.
        let bar = "█".repeat(((c.counts.now * 10).div_ceil(max)) as usize);
        rows.push(vec![
            (if zh { c.category.label_zh() } else { c.category.label_en() }).into(),
            c.counts.now.to_string(),
            change_text(c.counts.now, c.counts.previous, zh),
            bar,
        ]);
    }
    d.table(&rows);
    d.heading(t("三、万人发案率分布", "3. Incidents per 10,000 residents"));
    d.picture(map_png(&b.areas, shapes, 640, 420)?, 640, 420, t("万人发案率分布图", "map of incidents per 10,000"));
    let max = b.areas.iter().map(|a| a.incidents_per_10k).fold(0.0, f64::max);
    let legend: Vec<(String, String)> = MAP_COLORS
        .iter()
        .enumerate()
        .map(|(k, c)| (c.to_string(), format!("{:.1} – {:.1}", max * k as f64 / 5.0, max * (k + 1) as f64 / 5.0)))
        .collect();
    d.legend(&legend);
    let mut rows = vec![vec![
        t("地区", "Area").into(),
        t("警情", "Incidents").into(),
        t("常住人口", "Residents").into(),
        t("万人发案率", "Per 10,000").into(),
    ]];
    let mut top: Vec<&AreaFigure> = b.areas.iter().collect();
    top.sort_by(|a, b| b.incidents_per_10k.total_cmp(&a.incidents_per_10k));
    for a in top.into_iter().take(10) {
        rows.push(vec![
            a.name.clone(),
            a.incidents.to_string(),
            a.population.to_string(),
            format!("{:.2}", a.incidents_per_10k),
        ]);
    }
    d.table(&rows);
    d.heading(t("四、热点区域", "4. Hot spots"));
    if b.hot_spots.is_empty() {
        d.paragraph(t("本月未发现统计显著的热点网格。", "No statistically significant hot spot this month."));
    }
    for (k, h) in b.hot_spots.iter().enumerate() {
        d.paragraph(&format!("{}. {}", k + 1, hot_spot_sentence(h, zh)));
    }
    d.heading(t("五、事件处置、矛盾纠纷与考核", "5. Event loop, disputes and the scorecard"));
    d.paragraph(&if zh {
        format!(
            "当前未结事件 {} 起，其中超时 {} 起；本月登记矛盾纠纷 {} 起。",
            b.open_events, b.overdue_events, b.disputes_registered
        )
    } else {
        format!(
            "Open events now: {}, of which overdue: {}; disputes registered this month: {}.",
            b.open_events, b.overdue_events, b.disputes_registered
        )
    });
    if let Some((row, n)) = &b.scorecard {
        let score = row.score.map_or_else(|| t("样本不足", "too few").to_owned(), |s| format!("{s:.1}"));
        let rank = row.rank.map_or_else(String::new, |r| format!("{} {r}/{n}", t("，排名", ", rank")));
        d.paragraph(&format!("{} {score}{rank}", t("考核得分", "Scorecard:")));
    }
    d.heading(t("六、专项整治", "6. Special campaigns"));
    if b.campaigns.is_empty() {
        d.paragraph(t("本月无专项整治。", "No campaign this month."));
    }
    for c in &b.campaigns {
        d.paragraph(&format!("{} · {} · {} – {}", c.name, c.area_name, c.start, c.end));
    }
    d.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_classes_are_equal_steps() {
        assert_eq!(escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
        assert_eq!((class_of(0.0, 10.0), class_of(1.9, 10.0), class_of(2.0, 10.0), class_of(10.0, 10.0)), (0, 0, 1, 4));
        assert_eq!(class_of(3.0, 0.0), 0);
        assert_eq!(change_text(12, Some(10), true), "+20.0%");
        assert_eq!(change_text(5, None, false), "no comparison");
    }
}
