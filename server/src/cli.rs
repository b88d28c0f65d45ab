//! The `safegrid` subcommands. Output for people goes to stderr; data (exports) to stdout or a file.

use crate::api;
use crate::boot::{DEFAULT_DEMO_SEED, open_state, open_store, seed_demo, state_of};
use crate::clock::SystemClock;
use crate::config::{DemoArgs, ExportArgs, FileFormat, ImportArgs, ServeArgs, UserAddArgs};
use crate::geography::Geography;
use crate::intake::{FieldError, incident_from_feature};
use crate::query::{Area, IncidentQuery};
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use model::auth::Role;
use model::scope::Scope;
use model::time::parse_timestamp;
use model::{Category, IncidentId, NewIncident, Placement, Source, Status};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use store::{NewAudit, NewUser, StoreError};

fn parse_time_arg(flag: &str, s: &str) -> anyhow::Result<DateTime<Utc>> {
    parse_timestamp(s).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

/// `safegrid serve`.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    {
        let store = open_store(&args.store).await?;
        let empty = !store.has_world().await?;
        if empty && args.store.database_url.is_some() {
            bail!(
                "the database has no regions or cells yet: load a world first (`safegrid demo --database-url …`, or \
                 `safegrid copy-store` from an embedded store) (数据库中尚无区划与网格)"
            );
        }
        if empty {
            tracing::info!(
                seed = DEFAULT_DEMO_SEED,
                "empty embedded store: generating the Wuwei demo world (首次启动，生成演示数据)"
            );
            let params = demo::DemoParams::new(DEFAULT_DEMO_SEED, Utc::now());
            let (truth, _) = seed_demo(store.as_ref(), &params, Some(&args.store.data_dir)).await?;
            tracing::info!(
                incidents = truth.incidents,
                logins = %args.store.data_dir.join("demo-logins.txt").display(),
                "demo world written; one demo user per role, passwords in the logins file (演示账号见该文件)"
            );
        }
    }
    // One socket for the life of the process: while a new world loads, connections wait in its
    // backlog instead of being refused.
    let listener = std::net::TcpListener::bind(args.bind).with_context(|| format!("binding {}", args.bind))?;
    listener.set_nonblocking(true)?;
    tracing::info!("SafeGrid listening on http://{} (平安网格已启动)", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let mut first = Some(started);
    loop {
        // Each generation runs on its own runtime: when the world changes, dropping it ends every
        // task of the old state (live pump, writers, feeds) before the new state starts.
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let (args, listener, stop, started) = (args.clone(), listener.try_clone()?, stop_rx.clone(), first.take());
        std::thread::Builder::new().name("safegrid-serve".into()).spawn(move || {
            let ended =
                tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(anyhow::Error::from).and_then(
                    |runtime| {
                        let ended = runtime.block_on(serve_generation(args, listener, stop, started));
                        runtime.shutdown_timeout(SHUTDOWN_GRACE);
                        ended
                    },
                );
            let _ = done_tx.send(ended);
        })?;
        match done_rx.await.map_err(|_| anyhow::anyhow!("the serving thread ended without a word"))?? {
            Ended::Stopped => return Ok(()),
            Ended::WorldChanged { version } => {
                tracing::info!(
                    version,
                    "a new version of the world was published: reloading (基础数据已更新，重新加载)"
                );
            }
        }
    }
}

/// How one generation of the server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The process was told to stop.
    Stopped,
    /// Another version of the world was published (by `safegrid world import` or another instance).
    WorldChanged {
        /// The version now published.
        version: u32,
    },
}

/// The last published version of the world (none before the first publication).
async fn world_version(store: &dyn store::Store) -> anyhow::Result<Option<u32>> {
    Ok(store.world_versions().await?.last().map(|v| v.version))
}

/// Loads the state and serves until stopped or until the world's version changes.
async fn serve_generation(
    args: ServeArgs,
    listener: std::net::TcpListener,
    mut stop: tokio::sync::watch::Receiver<bool>,
    started: Option<Instant>,
) -> anyhow::Result<Ended> {
    let loading = Instant::now();
    let store = open_store(&args.store).await?;
    // Read before loading: a publication while loading shows up as a newer version and reloads.
    let loaded_version = world_version(store.as_ref()).await?;
    // Listen before loading, so writes other instances commit meanwhile are not missed.
    let notices = store.changes();
    let mut state = state_of(store, &args.store, Arc::new(SystemClock)).await?;
    state.world_version = loaded_version;
    if let Some(notices) = notices {
        crate::follow::spawn(&state, notices);
    }
    state.web_dir = match &args.web_dir {
        Some(dir) => Some(dir.clone()),
        None if crate::web::EMBEDDED.is_empty() => Some(PathBuf::from("dist")),
        None => None,
    };
    state.trusted_proxies =
        Arc::new(crate::peer::TrustedProxies { header: args.proxy_header, ..args.trusted_proxy.clone() });
    if let Some(url) = &args.basemap_url {
        if !(url.contains("{z}") && url.contains("{x}") && url.contains("{y}")) {
            bail!("--basemap-url must contain {{z}}, {{x}} and {{y}}");
        }
        state.ui = Arc::new(model::api::UiConfig {
            base_layers: vec![model::api::BaseLayer {
                name: args.basemap_name.clone(),
                kind: "raster".into(),
                url: url.clone(),
                attribution: args.basemap_name.clone(),
            }],
        });
    }
    match &state.web_dir {
        Some(dir) if started.is_some() && !dir.join("index.html").exists() => {
            tracing::warn!(dir = %dir.display(), "no built frontend here: the API runs, / does not (run `cargo xtask run`)");
        }
        None if started.is_some() => {
            tracing::info!(files = crate::web::EMBEDDED.len(), "serving the web app in the binary")
        }
        _ => {}
    }
    if let Some(path) = &args.deadlines {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let deadlines = crate::live::parse_deadlines(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e} (处置时限文件有误)", path.display()))?;
        state.settings = Arc::new(crate::live::LiveSettings { deadlines, ..(*state.settings).clone() });
    }
    if let Some(path) = &args.scorecard {
        let text = std::fs::read_to_string(path).with_context(|| format!("--scorecard: reading {}", path.display()))?;
        let scorecard = model::scorecard::ScorecardConfig::parse(&text)
            .map_err(|e| anyhow::anyhow!("--scorecard {}: {e} (考核指标配置有误)", path.display()))?;
        state.settings =
            Arc::new(crate::live::LiveSettings { scorecard: Arc::new(scorecard), ..(*state.settings).clone() });
    }
    let font = match &args.briefing_font {
        Some(path) => Some(
            crate::docx::EmbeddedFont::load(path)
                .map_err(|e| anyhow::anyhow!("--briefing-font: {e} (简报字体有误)"))?,
        ),
        None if std::path::Path::new(crate::docx::DEFAULT_FONT_FILE).exists() => {
            crate::docx::EmbeddedFont::load(std::path::Path::new(crate::docx::DEFAULT_FONT_FILE))
                .inspect_err(|e| tracing::warn!("briefings embed no font: {e}"))
                .ok()
        }
        None => {
            tracing::warn!(
                "briefings embed no font: {} is absent (apt install fonts-droid-fallback, or --briefing-font)",
                crate::docx::DEFAULT_FONT_FILE
            );
            None
        }
    };
    if let Some(font) = font {
        tracing::info!(family = %font.family, "briefing font (简报字体)");
        state.settings =
            Arc::new(crate::live::LiveSettings { briefing_font: Some(Arc::new(font)), ..(*state.settings).clone() });
    }
    if let Some(path) = &args.roads {
        let roads = crate::roads::load(path, state.geography.projection())
            .map_err(|e| anyhow::anyhow!("--roads: {e} (路网文件有误)"))?;
        tracing::info!(nodes = roads.node_count(), "road network loaded (路网)");
        state.settings =
            Arc::new(crate::live::LiveSettings { roads: Some(Arc::new(roads)), ..(*state.settings).clone() });
    }
    tracing::info!(
        incidents = state.index().len(),
        cells = state.geography.cells().len(),
        world_version = loaded_version,
        seconds = started.unwrap_or(loading).elapsed().as_secs_f64(),
        "loaded"
    );
    crate::live::watch::spawn(state.clone(), std::time::Duration::from_secs(60));
    {
        // The next start-up reads what this one read row by row from packed parts.
        let store = state.store.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            match store.pack_incident_parts().await {
                Ok(0) => {}
                Ok(parts) => tracing::info!(parts, seconds = t.elapsed().as_secs_f64(), "incident parts packed"),
                Err(e) => tracing::warn!("packing incident parts: {e:#}"),
            }
        });
    }
    if !args.no_nightly_trials {
        crate::forecast_trials::spawn(state.clone(), std::time::Duration::from_secs(600));
    }
    if args.demo_feed {
        crate::live::demo_feed::spawn(state.clone(), args.demo_feed_per_minute);
    }
    let (ended_tx, mut ended_rx) = tokio::sync::watch::channel(None::<Ended>);
    {
        let (store, ended_tx, published) = (state.store.clone(), ended_tx.clone(), state.world_published.clone());
        let every = std::time::Duration::from_secs_f64(args.world_poll_s.max(0.1));
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    () = published.notified() => {}
                }
                match world_version(store.as_ref()).await {
                    Ok(Some(v)) if Some(v) != loaded_version => {
                        let _ = ended_tx.send(Some(Ended::WorldChanged { version: v }));
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("checking the world's version: {e:#}"),
                }
            }
        });
    }
    tokio::spawn(async move {
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                return;
            }
        }
        let _ = ended_tx.send(Some(Ended::Stopped));
    });
    let ended = {
        let mut rx = ended_rx.clone();
        async move {
            while rx.borrow().is_none() {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        }
    };
    let listener = tokio::net::TcpListener::from_std(listener)?;
    serve_http(listener, state, ended).await?;
    let how = *ended_rx.borrow_and_update();
    Ok(how.unwrap_or(Ended::Stopped))
}

/// Longest a shutdown waits for open requests and live feeds before the server stops anyway.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves the API on `listener` until `stop` resolves: every request knows its peer address
/// (the source of login throttling and audit rows). On `stop`, running analyses are told to
/// stop, new connections are refused, and open ones (live feeds never end by themselves) get
/// [`SHUTDOWN_GRACE`] to finish.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    state: crate::state::AppState,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let jobs = state.jobs.clone();
    let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
    let signal = async move {
        stop.await;
        tracing::info!("stopping (正在停止)");
        jobs.shut_down();
        let _ = stopping_tx.send(true);
    };
    let app = api::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    let mut stopping = stopping_rx;
    let grace = async move {
        while !*stopping.borrow() {
            if stopping.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = server => served,
        () = grace => {
            tracing::warn!("open connections did not close within {} s; stopping anyway", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// `safegrid demo`.
pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let end = match &args.end {
        Some(s) => parse_time_arg("--end", s)?,
        None => Utc::now(),
    };
    let store = open_store(&args.store).await?;
    let started = Instant::now();
    let params = demo::DemoParams {
        days: args.days,
        base_incidents: args.base_incidents,
        ..demo::DemoParams::new(args.seed, end)
    };
    let (truth, logins) = seed_demo(store.as_ref(), &params, args.store.logins_dir()).await?;
    eprintln!(
        "demo world written in {:.1} s: {} incidents up to {end}, seed {} ({} hot cells, {} emerging cells, {} near-repeat offspring)\n\
         演示数据已生成：{} 条警情",
        started.elapsed().as_secs_f64(),
        truth.incidents,
        truth.seed,
        truth.hot_cells.len(),
        truth.emerging.len(),
        truth.near_repeat.offspring,
        truth.incidents,
    );
    match args.store.logins_dir() {
        Some(dir) => eprintln!("demo logins (演示账号), also in {}:", dir.join("demo-logins.txt").display()),
        None => eprintln!("demo logins (演示账号), shown once:"),
    }
    for (user, role, password) in logins {
        eprintln!("  {user:<9} {:<18} {password}", role.label_zh());
    }
    Ok(())
}

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line (CSV) or feature number (GeoJSON, from 1).
    pub line: u64,
    /// What was wrong.
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// New incidents stored.
    pub created: usize,
    /// Rows whose (source, external_id) was already stored with the same content.
    pub existing: usize,
    /// Rows left out (only with --skip-invalid; otherwise any error aborts the import).
    pub skipped: Vec<RowError>,
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {percent}% {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// Reads a CSV file into features (one per row, with its line number), or row errors.
fn csv_features(path: &Path, args: &ImportArgs) -> anyhow::Result<Vec<(u64, Result<Value, String>)>> {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    csv_rows(file, len, args)
}

/// Turns CSV rows into GeoJSON features for [`incident_from_feature`], with line numbers; a
/// missing column is an error naming line 1. `len` (bytes) drives the progress bar.
pub fn csv_rows(
    input: impl std::io::Read,
    len: u64,
    args: &ImportArgs,
) -> anyhow::Result<Vec<(u64, Result<Value, String>)>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = reader.headers().context("reading the CSV header (line 1)")?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let required = |flag: &str, name: &str| {
        col(name).ok_or_else(|| {
            anyhow::anyhow!(
                "line 1: no column {name:?} ({flag}); the header has: {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            )
        })
    };
    let (lon_i, lat_i, time_i, cat_i) = (
        required("--lon-col", &args.lon_col)?,
        required("--lat-col", &args.lat_col)?,
        required("--time-col", &args.time_col)?,
        required("--category-col", &args.category_col)?,
    );
    let optional: Vec<(&str, Option<usize>)> = vec![
        ("subcategory", col(&args.subcategory_col)),
        ("external_id", col(&args.id_col)),
        ("address", col(&args.address_col)),
        ("summary", col(&args.summary_col)),
        ("source", col("source")),
        ("severity", col("severity")),
        ("status", col("status")),
        ("reported_at", col("reported_at")),
        ("reporter_name", col("reporter_name")),
        ("reporter_phone", col("reporter_phone")),
    ];
    let bar = progress(len, "reading");
    let mut out = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                out.push((line, Err(format!("unreadable CSV row: {e}"))));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        bar.set_position(record.position().map_or(0, |p| p.byte()));
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let row = (|| -> Result<Value, String> {
            let number = |i: usize, flag: &str, name: &str| -> Result<f64, String> {
                let v = field(i);
                if v.is_empty() {
                    return Err(format!("{name} ({flag} {:?}) is empty", &headers[i]));
                }
                v.parse::<f64>().map_err(|_| format!("{name} ({flag} {:?}) {v:?} is not a number", &headers[i]))
            };
            let lon = number(lon_i, "--lon-col", "longitude")?;
            let lat = number(lat_i, "--lat-col", "latitude")?;
            let occurred = parse_timestamp(field(time_i))
                .map_err(|e| format!("occurred_at (--time-col {:?}): {e}", &headers[time_i]))?;
            let mut props = serde_json::Map::new();
            props.insert("category".into(), json!(field(cat_i)));
            props.insert("occurred_at".into(), json!(occurred.to_rfc3339()));
            props.insert("crs".into(), json!(args.crs));
            props.insert("source".into(), json!(args.source));
            for (key, idx) in &optional {
                if let Some(i) = idx
                    && !field(*i).is_empty()
                {
                    let v = if *key == "reported_at" {
                        parse_timestamp(field(*i)).map_err(|e| format!("reported_at: {e}"))?.to_rfc3339()
                    } else {
                        field(*i).to_owned()
                    };
                    props.insert((*key).into(), json!(v));
                }
            }
            Ok(
                json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}),
            )
        })();
        out.push((line, row));
    }
    bar.finish_and_clear();
    Ok(out)
}

/// Reads a GeoJSON FeatureCollection into features, numbered from 1.
fn geojson_features(
    path: &Path,
    default_crs: &str,
    default_source: &str,
) -> anyhow::Result<Vec<(u64, Result<Value, String>)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("line {}: not valid JSON: {e}", e.line()))?;
    let Some(features) = value.get("features").and_then(Value::as_array) else {
        bail!("{}: expected a GeoJSON FeatureCollection with a \"features\" array", path.display());
    };
    Ok(features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut f = f.clone();
            if let Some(p) = f.get_mut("properties").and_then(Value::as_object_mut) {
                p.entry("crs").or_insert_with(|| json!(default_crs));
                p.entry("source").or_insert_with(|| json!(default_source));
            }
            (i as u64 + 1, Ok(f))
        })
        .collect())
}

/// `safegrid import`.
pub async fn import(args: ImportArgs) -> anyhow::Result<ImportReport> {
    let now = Utc::now();
    let format = match args.format {
        Some(f) => f,
        None => match args.file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => FileFormat::Csv,
            Some("geojson" | "json") => FileFormat::Geojson,
            _ => bail!("cannot tell the format of {}: pass --format csv or --format geojson", args.file.display()),
        },
    };
    let default_source = Source::parse_label(&args.source)
        .ok_or_else(|| anyhow::anyhow!("--source: unknown source {:?}", args.source))?;
    if analytics::crs::Crs::parse(&args.crs).is_none() {
        bail!("--crs: unknown crs {:?}; expected wgs84, cgcs2000, gcj02 or bd09", args.crs);
    }
    let rows = match format {
        FileFormat::Csv => csv_features(&args.file, &args)?,
        FileFormat::Geojson => geojson_features(&args.file, &args.crs, &args.source)?,
    };
    let unit = if format == FileFormat::Csv { "line" } else { "feature" };
    let store = open_store(&args.store).await?;
    if !store.has_world().await? {
        bail!("the store has no regions or cells yet: run `safegrid demo` (or load a world) before importing");
    }
    let geography = Geography::new(store.load_geography().await?);
    let mut valid: Vec<(u64, NewIncident, Placement)> = Vec::new();
    let mut errors: Vec<RowError> = Vec::new();
    for (line, row) in rows {
        let checked = row.and_then(|f| {
            let n = incident_from_feature(&f, now, default_source)
                .map_err(|FieldError { field, message }| format!("{field}: {message}"))?;
            match geography.locate(n.lon, n.lat) {
                Some(cell) => Ok((n, geography.placement(cell))),
                None => Err(format!("point ({}, {}) lies outside every grid cell of the city", n.lon, n.lat)),
            }
        });
        match checked {
            Ok((n, p)) => valid.push((line, n, p)),
            Err(message) => errors.push(RowError { line, message }),
        }
    }
    if !errors.is_empty() {
        for e in errors.iter().take(20) {
            eprintln!("{unit} {}: {}", e.line, e.message);
        }
        if errors.len() > 20 {
            eprintln!("… and {} more", errors.len() - 20);
        }
        if !args.skip_invalid {
            bail!("{} invalid {unit}s: nothing imported (use --skip-invalid to import the valid ones)", errors.len());
        }
    }
    let lines: Vec<u64> = valid.iter().map(|(l, _, _)| *l).collect();
    let items: Vec<(NewIncident, Placement)> = valid.into_iter().map(|(_, n, p)| (n, p)).collect();
    let total = items.len();
    eprintln!("writing {total} incidents in one transaction (写入中)…");
    let line = |index: usize| lines.get(index).copied().unwrap_or(0);
    let loaded = match store.bulk_load(items).await {
        Ok(l) => l,
        Err(StoreError::Conflict { index, existing }) => bail!(
            "{unit} {}: external_id already names incident {} with different content; nothing imported",
            line(index),
            existing.0
        ),
        Err(StoreError::Repeated { index, first }) => bail!(
            "{unit} {}: repeats the external_id of {unit} {} with different content; nothing imported",
            line(index),
            line(first)
        ),
        Err(e) => return Err(e.into()),
    };
    let (created, existing) = (loaded.created as usize, loaded.existing as usize);
    eprintln!(
        "imported {created} new incidents, {existing} already present, {} skipped (导入 {created} 条)",
        errors.len()
    );
    if !errors.is_empty() {
        let skipped: Vec<String> = errors.iter().map(|e| e.line.to_string()).collect();
        eprintln!("skipped {unit}s: {}", skipped.join(", "));
    }
    store
        .append_audit(cli_audit(
            "import",
            args.file.display().to_string(),
            "ok",
            Some(format!("{created} new, {existing} present, {} skipped", errors.len())),
        ))
        .await?;
    Ok(ImportReport { created, existing, skipped: errors })
}

const CSV_COLUMNS: [&str; 19] = [
    "id",
    "source",
    "external_id",
    "category",
    "subcategory",
    "occurred_at",
    "reported_at",
    "lon",
    "lat",
    "address",
    "summary",
    "reporter_name",
    "reporter_phone",
    "severity",
    "status",
    "county_code",
    "township_code",
    "village_code",
    "cell_code",
];

/// `safegrid export`.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let state = open_state(&args.store, Arc::new(SystemClock)).await?;
    let query = IncidentQuery {
        area: args.region.as_deref().map(Area::parse).transpose().map_err(|e| anyhow::anyhow!("--region: {e}"))?,
        bbox: None,
        from: args.from.as_deref().map(|s| parse_time_arg("--from", s)).transpose()?,
        to: args.to.as_deref().map(|s| parse_time_arg("--to", s)).transpose()?,
        categories: args
            .category
            .iter()
            .map(|c| Category::parse_label(c).ok_or_else(|| anyhow::anyhow!("--category: unknown category {c:?}")))
            .collect::<anyhow::Result<_>>()?,
        statuses: args
            .status
            .iter()
            .map(|c| Status::parse_label(c).ok_or_else(|| anyhow::anyhow!("--status: unknown status {c:?}")))
            .collect::<anyhow::Result<_>>()?,
    };
    // The command line runs with the data files' owner's rights: the whole city.
    let filter = query.filter(&state.geography, &Scope::everything()).map_err(|e| anyhow::anyhow!("--region: {e}"))?;
    let mut ids: Vec<(i64, IncidentId)> = Vec::new();
    state.for_each_incident(&filter, |p| ids.push((p.occurred_s, p.id))).await?;
    ids.sort_unstable();
    let out: Box<dyn Write> = match &args.output {
        Some(p) => {
            Box::new(std::io::BufWriter::new(owner_only_file(p).with_context(|| format!("creating {}", p.display()))?))
        }
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let ids: Vec<IncidentId> = ids.into_iter().map(|(_, id)| id).collect();
    match args.format {
        FileFormat::Csv => export_csv(&state, &ids, out).await?,
        FileFormat::Geojson => export_geojson(&state, &ids, out).await?,
    }
    state
        .store
        .append_audit(cli_audit(
            "export",
            args.output.as_ref().map_or("stdout".into(), |p| p.display().to_string()),
            "ok",
            Some(format!("{} incidents", ids.len())),
        ))
        .await?;
    eprintln!("exported {} incidents (导出 {} 条)", ids.len(), ids.len());
    Ok(())
}

/// Full records, fetched from the store in chunks so memory stays bounded.
async fn for_each_chunk(
    state: &crate::state::AppState,
    ids: &[IncidentId],
    mut visit: impl FnMut(&model::Incident) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for chunk in ids.chunks(5_000) {
        for i in &state.store.incidents_by_id(&Scope::everything(), chunk.to_vec()).await? {
            visit(i)?;
        }
    }
    Ok(())
}

/// Creates (or truncates) an output file readable by its owner only: exports hold reporters'
/// names and phone numbers.
fn owner_only_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

async fn export_csv(state: &crate::state::AppState, ids: &[IncidentId], out: Box<dyn Write>) -> anyhow::Result<()> {
    let mut w = crate::csv_export::SafeCsv::new(out);
    w.row(CSV_COLUMNS)?;
    for_each_chunk(state, ids, |i| {
        let (f, p) = (&i.fields, &i.placement);
        w.row([
            i.id.0.to_string(),
            f.source.as_str().to_owned(),
            f.external_id.clone().unwrap_or_default(),
            f.category.as_str().to_owned(),
            f.subcategory.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            f.occurred_at.to_rfc3339(),
            f.reported_at.to_rfc3339(),
            f.lon.to_string(),
            f.lat.to_string(),
            f.address.clone().unwrap_or_default(),
            f.summary.clone().unwrap_or_default(),
            f.reporter_name.clone().unwrap_or_default(),
            f.reporter_phone.clone().unwrap_or_default(),
            f.severity.as_str().to_owned(),
            f.status.as_str().to_owned(),
            p.county_code.to_string(),
            p.township_code.to_string(),
            p.village_code.to_string(),
            p.cell_code.to_string(),
        ])?;
        Ok(())
    })
    .await?;
    w.flush()?;
    Ok(())
}

async fn export_geojson(
    state: &crate::state::AppState,
    ids: &[IncidentId],
    mut out: Box<dyn Write>,
) -> anyhow::Result<()> {
    write!(out, r#"{{"type":"FeatureCollection","features":["#)?;
    let mut first = true;
    for_each_chunk(state, ids, |i| {
        if !first {
            out.write_all(b",\n")?;
        }
        first = false;
        serde_json::to_writer(&mut out, &api::features::incident_feature(i, &state.geography, false))?;
        Ok(())
    })
    .await?;
    writeln!(out, "]}}")?;
    out.flush()?;
    Ok(())
}

/// Who runs the command line, for the audit log.
/// Who acts from the command line: `cli:<OS user>`.
pub fn cli_actor() -> String {
    format!("cli:{}", std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into()))
}

/// An audit entry for a command-line action.
pub fn cli_audit(
    action: &'static str,
    target: impl Into<String>,
    result: &'static str,
    detail: Option<String>,
) -> NewAudit {
    NewAudit {
        actor: cli_actor(),
        role: None,
        action,
        target: target.into(),
        source: Some("cli".into()),
        result,
        detail,
    }
}

/// `safegrid user add`.
pub async fn user_add(args: UserAddArgs) -> anyhow::Result<()> {
    let chars = args.name.chars().count();
    if chars == 0 || chars > crate::auth::AUDIT_USERNAME_CHARS || args.name.chars().any(char::is_control) {
        bail!(
            "--name: a login name has 1 to {} characters and no control characters (登录名长度不符)",
            crate::auth::AUDIT_USERNAME_CHARS
        );
    }
    let role = Role::parse(&args.role).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        anyhow::anyhow!("--role: unknown role {:?}; roles are {}", args.role, roles.join(", "))
    })?;
    let store = open_store(&args.store).await?;
    let geography = Geography::new(store.load_geography().await?);
    let department = match (&args.department, role) {
        (Some(code), Role::Department) => {
            let code =
                model::department::DepartmentCode::parse(code).map_err(|e| anyhow::anyhow!("--department: {e}"))?;
            let Some(d) = geography.departments().iter().find(|d| d.code == code) else {
                bail!("--department: no department {code} in this store (safegrid world export lists them)");
            };
            if args.jurisdiction.is_some() || args.officer.is_some() {
                bail!(
                    "--department sets the jurisdiction (the region the department serves): leave out --jurisdiction and --officer"
                );
            }
            Some(d.clone())
        }
        (Some(_), _) => bail!("--department applies to department users only"),
        (None, Role::Department) => bail!("--department CODE is required for a department user"),
        (None, _) => None,
    };
    let grid_worker_id = match (args.grid_worker, role) {
        (Some(id), Role::GridWorker) => {
            if args.jurisdiction.is_some() || args.officer.is_some() {
                bail!(
                    "--grid-worker sets the jurisdiction (the worker's cells): leave out --jurisdiction and --officer"
                );
            }
            if !geography.resources().iter().any(|r| r.id == id && r.kind == model::ResourceKind::GridWorker) {
                bail!("--grid-worker: no grid worker {id} in this store (safegrid world export lists them)");
            }
            Some(id)
        }
        (Some(_), _) => bail!("--grid-worker applies to grid_worker users only"),
        (None, Role::GridWorker) => bail!("--grid-worker ID is required for a grid_worker user"),
        (None, _) => None,
    };
    let (jurisdiction, officer_id) = match (&args.jurisdiction, args.officer) {
        _ if department.is_some() => (department.as_ref().map(|d| d.region), None),
        _ if grid_worker_id.is_some() => (None, None),
        (Some(_), Some(_)) => bail!("give --jurisdiction or --officer, not both"),
        (None, None) => bail!("--jurisdiction CODE (or --officer ID for a village user) is required"),
        (Some(code), None) => {
            let code = model::RegionCode::parse(code).map_err(|e| anyhow::anyhow!("--jurisdiction: {e}"))?;
            if geography.region(code).is_none() {
                bail!("--jurisdiction: no region {code} in this store");
            }
            crate::auth::check_jurisdiction(role, code).map_err(|e| anyhow::anyhow!("--jurisdiction: {e}"))?;
            (Some(code), None)
        }
        (None, Some(officer)) => {
            if role != Role::Village {
                bail!("--officer applies to village users only");
            }
            if !geography.officers().iter().any(|o| o.id == officer) {
                bail!("--officer: no officer {officer} in this store");
            }
            (None, Some(officer))
        }
    };
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    if password.chars().count() < crate::auth::MIN_PASSWORD_CHARS {
        bail!("the password needs at least {} characters", crate::auth::MIN_PASSWORD_CHARS);
    }
    let hash = crate::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let user = store
        .create_user(NewUser {
            username: args.name.clone(),
            password_hash: hash,
            role,
            jurisdiction,
            officer_id,
            department: department.map(|d| d.code),
            grid_worker_id,
        })
        .await?
        .ok_or_else(|| anyhow::anyhow!("--name: the username {:?} is taken", args.name))?;
    store.append_audit(cli_audit("user_add", &user.username, "ok", Some(format!("role {}", role.as_str())))).await?;
    eprintln!("user {} ({}) added (已添加用户)", user.username, role.label_zh());
    Ok(())
}

/// `safegrid user list`.
pub async fn user_list(store_args: crate::config::StoreArgs) -> anyhow::Result<()> {
    let store = open_store(&store_args).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "username\trole\tjurisdiction\tofficer\tdepartment\tgrid_worker\tdisabled")?;
    for u in store.users().await? {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            u.username,
            u.role.as_str(),
            u.jurisdiction.map(|j| j.to_string()).unwrap_or_default(),
            u.officer_id.map(|o| o.to_string()).unwrap_or_default(),
            u.department.map(|d| d.to_string()).unwrap_or_default(),
            u.grid_worker_id.map(|g| g.to_string()).unwrap_or_default(),
            u.disabled
        )?;
    }
    Ok(())
}

/// `safegrid user disable`.
pub async fn user_disable(store_args: crate::config::StoreArgs, name: String) -> anyhow::Result<()> {
    let store = open_store(&store_args).await?;
    if !store.set_user_disabled(&name, true).await? {
        bail!("no user {name:?}");
    }
    store.append_audit(cli_audit("user_disable", &name, "ok", None)).await?;
    eprintln!("user {name} disabled and signed out (已停用)");
    Ok(())
}

/// `safegrid migrate`: creates or upgrades the PostGIS schema.
pub async fn migrate(args: crate::config::MigrateArgs) -> anyhow::Result<()> {
    use store::postgis::{connect, migrate::migrate};
    let mut client = connect(&args.database_url).await?;
    let done = migrate(&mut client).await?;
    if done.from == done.to {
        eprintln!("the schema is at version {}: nothing to do (数据库结构已是最新)", done.to);
    } else {
        eprintln!("schema migrated from version {} to {} (数据库结构已升级)", done.from, done.to);
    }
    Ok(())
}

/// `safegrid copy-store`: moves a whole embedded store into an empty PostGIS database, ids kept,
/// in one transaction, then checks the copy against the source.
pub async fn copy_store(args: crate::config::CopyStoreArgs) -> anyhow::Result<()> {
    use store::Store;
    use store::gpkg::{FILE_NAME, GpkgStore};
    let file = args.from_data_dir.join(FILE_NAME);
    if !file.exists() {
        bail!("--from-data-dir: no embedded store at {} (源目录中没有数据文件)", file.display());
    }
    let started = Instant::now();
    let source = GpkgStore::open(&args.from_data_dir).with_context(|| format!("opening {}", file.display()))?;
    let snap = source.snapshot().await?;
    eprintln!(
        "read {} regions, {} cells, {} incidents, {} users, {} audit entries from {} (读取完成)",
        snap.geography.regions.len(),
        snap.geography.cells.len(),
        snap.incidents.len(),
        snap.users.len(),
        snap.audit.len(),
        file.display()
    );
    let target = store::postgis::open(&args.to_database_url, 2).await?;
    target.restore(&snap).await.context("--to-database-url")?;
    // Check: the target now answers as the source does.
    let rows = target.load_incident_rows().await?;
    let same_ids = rows.iter().map(|r| r.id).eq(snap.incidents.iter().map(|i| i.id));
    let users = target.users().await?;
    if !same_ids || users.len() != snap.users.len() {
        bail!(
            "the copy does not match the source (迁移结果与源数据不一致; {} of {} incidents, {} of {} users)",
            rows.len(),
            snap.incidents.len(),
            users.len(),
            snap.users.len()
        );
    }
    target
        .append_audit(cli_audit(
            "copy_store",
            file.display().to_string(),
            "ok",
            Some(format!("{} incidents", rows.len())),
        ))
        .await?;
    eprintln!(
        "copied in {:.1} s: {} incidents, {} users, {} audit entries (已迁移到数据库); sessions are not copied: users sign in again",
        started.elapsed().as_secs_f64(),
        rows.len(),
        users.len(),
        snap.audit.len()
    );
    Ok(())
}

/// `safegrid backup`: a consistent copy of the embedded store (PostGIS deployments use pg_dump).
pub async fn backup(args: crate::config::BackupArgs) -> anyhow::Result<()> {
    use store::Store;
    use store::gpkg::{FILE_NAME, GpkgStore};
    let file = args.data_dir.join(FILE_NAME);
    if !file.exists() {
        bail!("--data-dir: no embedded store at {} (数据目录中没有数据文件)", file.display());
    }
    if args.out.exists() {
        bail!("--out: {} exists; choose a new file (备份文件已存在)", args.out.display());
    }
    let started = Instant::now();
    let store = GpkgStore::open(&args.data_dir)?;
    store.backup(&args.out).await.with_context(|| format!("writing {}", args.out.display()))?;
    store.append_audit(cli_audit("backup", args.out.display().to_string(), "ok", None)).await?;
    let bytes = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "backup written to {} ({:.1} MB, {:.1} s) (备份完成); restore by copying it to safegrid.gpkg in an empty data directory",
        args.out.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `safegrid plan`: plans a shift for the first `--units` available patrol units of the city
/// and prints it (the command line runs with the data files' owner's rights: the whole city).
pub async fn plan(args: crate::config::PlanArgs) -> anyhow::Result<()> {
    use crate::patrol::{plan_csv, plan_geojson, validate};
    use model::api::patrol::PlanRequest;
    let shift_start = parse_time_arg("--shift-start", &args.shift_start)?;
    if args.units == 0 {
        bail!("--units: plan for at least one unit (至少一个巡逻组)");
    }
    let mut state = open_state(&args.store, Arc::new(SystemClock)).await?;
    if let Some(path) = &args.roads {
        let roads =
            crate::roads::load(path, state.geography.projection()).map_err(|e| anyhow::anyhow!("--roads: {e}"))?;
        state.settings =
            Arc::new(crate::live::LiveSettings { roads: Some(Arc::new(roads)), ..(*state.settings).clone() });
    }
    let mut available: Vec<u64> =
        state.live.board().units().filter(|u| u.status == model::live::UnitStatus::Available).map(|u| u.id).collect();
    available.sort_unstable();
    if args.units > available.len() {
        bail!("--units: {} requested, {} patrol units are available (可用巡逻组不足)", args.units, available.len());
    }
    let req = PlanRequest {
        shift_start,
        shift_hours: args.shift_hours,
        units: available[..args.units].to_vec(),
        dwell_min: args.dwell_min,
        revisit_min: args.revisit_min,
        max_places: args.max_places,
        pinned: Vec::new(),
        excluded: Vec::new(),
        seed: args.seed,
        campaign: None,
    };
    let cli_error = |e: crate::patrol::PatrolError| match e {
        crate::patrol::PatrolError::Invalid { field, message } => {
            let flag = if field.starts_with("units") {
                "--units".to_owned()
            } else {
                format!("--{}", field.replace('_', "-"))
            };
            anyhow::anyhow!("{flag}: {message}")
        }
        other => anyhow::anyhow!("plan: {other}"),
    };
    validate(&req, state.clock.now()).map_err(cli_error)?;
    let planned = crate::patrol::plan(&state, &Scope::everything(), &req).await.map_err(cli_error)?;
    let text = match args.format {
        crate::config::PlanFormat::Json => serde_json::to_string_pretty(&planned)?,
        crate::config::PlanFormat::Geojson => plan_geojson(&planned).to_string(),
        crate::config::PlanFormat::Csv => plan_csv(&planned)?,
    };
    writeln!(std::io::stdout().lock(), "{text}")?;
    state
        .store
        .append_audit(cli_audit(
            "plan_patrol",
            format!("{} units", args.units),
            "ok",
            Some(format!("coverage {:.3} (nearest-first {:.3})", planned.coverage, planned.naive_coverage)),
        ))
        .await?;
    Ok(())
}

/// Reads the city's taxonomy and puts it in force (before anything reads a category).
pub fn install_taxonomy(path: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("--taxonomy: reading {}", path.display()))?;
    let t = model::taxonomy::Taxonomy::parse(&text)
        .map_err(|e| anyhow::anyhow!("--taxonomy {}: {e} (事件分类文件有误)", path.display()))?;
    let kinds = t.kinds.len();
    model::taxonomy::install(t).map_err(|_| anyhow::anyhow!("--taxonomy: a taxonomy is already in force"))?;
    tracing::info!(kinds, file = %path.display(), "event taxonomy (事件分类)");
    Ok(())
}
