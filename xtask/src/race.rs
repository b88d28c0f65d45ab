//! `cargo xtask race [--incidents N] [--days D] [--seconds S]`: SafeGrid's embedded store and the same rows
//! in PostGIS, raced side by side over HTTP with one load generator (`wrk`, from Debian) at the
//! same concurrency. Not part of CI.
//!
//! 1. Builds the release `safegrid`, writes the demo world with N base incidents over D days
//!    (default a year; timed).
//! 2. Starts `safegrid serve` on it (start-up timed, whole-process RSS read from /proc), then
//!    waits until the server is idle (its background work after start-up is not a row's load).
//! 3. Starts the private PostGIS cluster of the tests, moves the same store there with
//!    `copy-store`, and starts a second `safegrid serve` on it with a memory window of 0 days, so
//!    every tile is one `ST_AsMVT` query in the database.
//! 4. For z10, z12 and z14, 16 connections cycle over every incident tile of the Liangzhou urban
//!    box for a year of incidents, then over its z12 cell tiles; then the viewport query (5,000
//!    newest in a 0.2° box) on one connection.
//! 5. For the same zooms, tiles and year, Martin's query for an uncached tile of a table source
//!    (one `ST_AsMVT` over `ST_AsMVTGeom` of every point in the tile, with the time window) run
//!    straight in the database by `pgbench` at the same concurrency.
//! 6. Gi* hot spots over the city's cells for the year and for the whole history, one connection.
//! 7. Prints one table with the ratios and the machine.
//!
//! `--embedded-only` leaves PostGIS out (for worlds whose copy would take long, e.g. 10 million
//! incidents over ten years). `--memory-window-days W` starts the PostGIS side with that memory
//! window instead of 0 (the deployment's own set-up: the last W days in memory, reads reaching
//! further pushed down); its start-up and memory are measured as the embedded side's, and the
//! one-connection rows run on both sides. `--no-martin` leaves out Martin's query (at ten years
//! it scans every year's points in a tile, minutes per tile).
//!
//! Before each measurement the database is made idle (queries left running by the previous
//! row's closed connections are cancelled), so each side has the machine to itself.

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The demo world's end: a fixed day, so runs are comparable.
const END: &str = "2026-11-01T04:00:00Z";
/// Before any incident of the demo world, however many days it holds.
const EPOCH: &str = "2000-01-01T00:00:00Z";
/// The year of incidents every tile asks for.
const WINDOW: &str = "from=2025-11-01T04:00:00Z&to=2026-11-01T04:00:00Z";
/// The Liangzhou urban box (lon/lat).
const URBAN: [f64; 4] = [102.58, 37.89, 102.70, 37.97];
/// Concurrent connections on both sides.
const CONNECTIONS: u32 = 16;
const EMBEDDED_PORT: u16 = 18_431;
const POSTGIS_PORT: u16 = 18_432;

/// What `wrk` measured.
struct Load {
    per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// The slowest request: with the database's counts kept a minute, a one-connection row's
    /// first request is its only uncached one.
    max_ms: f64,
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    name: &'static str,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn rss_mb(&self, field: &str) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {field} in /proc/{}/status", self.child.id()))?;
        Ok(kb / 1024.0)
    }

    /// CPU seconds the process has used (user + system, from /proc).
    fn cpu_s(&self) -> Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = stat.rsplit_once(')').context("a /proc stat line")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks =
            |i: usize| -> Result<f64> { fields.get(i).context("a short /proc stat line")?.parse().context("ticks") };
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
        Ok((ticks(11)? + ticks(12)?) / 100.0)
    }

    /// Waits until the server is idle (under 5% of a core over a second), at most two minutes:
    /// after its first answer it still works in the background (the embedded store packs the
    /// parts a world's 综治 steps changed), which would be measured as the first row's load.
    fn settle(&self) -> Result<f64> {
        let started = Instant::now();
        let mut before = self.cpu_s()?;
        while started.elapsed() < Duration::from_secs(120) {
            std::thread::sleep(Duration::from_secs(1));
            let now = self.cpu_s()?;
            if now - before < 0.05 {
                break;
            }
            before = now;
        }
        Ok(started.elapsed().as_secs_f64())
    }
}

pub fn race(root: &Path, args: &[String]) -> Result<()> {
    let mut incidents: usize = 1_000_000;
    let mut seconds: u32 = 10;
    let mut days: u32 = 365;
    let mut embedded_only = false;
    let mut window_days: u32 = 0;
    let mut with_martin = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match a.as_str() {
            "--incidents" => incidents = value("--incidents")?.parse().context("--incidents: a whole number")?,
            "--seconds" => seconds = value("--seconds")?.parse().context("--seconds: a whole number")?,
            "--days" => days = value("--days")?.parse().context("--days: a whole number")?,
            "--embedded-only" => embedded_only = true,
            "--memory-window-days" => {
                window_days = value("--memory-window-days")?.parse().context("--memory-window-days: a whole number")?
            }
            "--no-martin" => with_martin = false,
            other => bail!(
                "unknown option {other}; usage: cargo xtask race [--incidents N] [--days D] [--seconds S] [--embedded-only] [--memory-window-days W] [--no-martin]"
            ),
        }
    }
    ensure_wrk()?;
    crate::sh(crate::cargo().args(["build", "--release", "--package", "server", "--bin", "safegrid"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let bin = target.join("release").join("safegrid");
    let work = PathBuf::from("/var/tmp/safegrid-race");
    let data = work.join("embedded");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&data)?;

    let t = Instant::now();
    crate::sh(
        Command::new(&bin)
            .args(["demo", "--end", END, "--days", &days.to_string(), "--base-incidents", &incidents.to_string()])
            .arg("--data-dir")
            .arg(&data),
    )?;
    let generated_s = t.elapsed().as_secs_f64();
    let (user, password) = city_login(&data)?;

    let t = Instant::now();
    let embedded = serve(&bin, &["--data-dir".into(), data.display().to_string()], EMBEDDED_PORT, "embedded")?;
    let startup_s = t.elapsed().as_secs_f64();
    let rss_start_mb = embedded.rss_mb("VmRSS:")?;
    let stored = held_incidents(EMBEDDED_PORT)?;
    let settled_s = embedded.settle()?;
    eprintln!("race: the embedded server was idle {settled_s:.1} s after its first answer");

    // The PostGIS side: its URL, its server and how long `copy-store` took.
    let postgis = if embedded_only {
        None
    } else {
        let admin = crate::setup::postgis_cluster(root, crate::setup::Cluster::Fast)?;
        let db_url = format!("{}/safegrid_race", admin.rsplit_once('/').context("a URL with a database")?.0);
        psql(&admin, "DROP DATABASE IF EXISTS safegrid_race WITH (FORCE)")?;
        psql(&admin, "CREATE DATABASE safegrid_race")?;
        crate::sh(Command::new(&bin).args(["migrate", "--database-url", &db_url]))?;
        let t = Instant::now();
        crate::sh(
            Command::new(&bin).arg("copy-store").arg("--from-data-dir").arg(&data).args(["--to-database-url", &db_url]),
        )?;
        let copy_s = t.elapsed().as_secs_f64();
        psql(&db_url, "VACUUM ANALYZE")?;
        let t = Instant::now();
        let server = serve(
            &bin,
            &["--database-url".into(), db_url.clone(), "--memory-window-days".into(), window_days.to_string()],
            POSTGIS_PORT,
            "postgis",
        )?;
        let startup_s = t.elapsed().as_secs_f64();
        let rss_start_mb = server.rss_mb("VmRSS:")?;
        let settled_s = server.settle()?;
        eprintln!("race: the PostGIS server was idle {settled_s:.1} s after its first answer");
        let cookie = login(POSTGIS_PORT, &user, &password)?;
        Some(PostgisSide { db_url, server, cookie, copy_s, startup_s, rss_start_mb })
    };
    let quiet_db = || postgis.as_ref().map_or(Ok(()), |p| quiet(&p.db_url));
    // The PostGIS server's answer to the same paths, on `connections` connections.
    let theirs = |paths: &[String], connections: u32| -> Result<Option<Load>> {
        let Some(p) = &postgis else { return Ok(None) };
        quiet(&p.db_url)?;
        Ok(Some(wrk(&work, POSTGIS_PORT, &p.cookie, paths, connections, seconds)?))
    };

    let cookie = login(EMBEDDED_PORT, &user, &password)?;
    let mut rows: Vec<Row> = Vec::new();
    for z in [10u8, 12, 14] {
        let tiles = tiles_of(URBAN, z);
        let paths: Vec<String> =
            tiles.iter().map(|(x, y)| format!("/tiles/incidents/{z}/{x}/{y}.mvt?{WINDOW}")).collect();
        quiet_db()?;
        let ours = wrk(&work, EMBEDDED_PORT, &cookie, &paths, CONNECTIONS, seconds)?;
        let postgis_load = theirs(&paths, CONNECTIONS)?;
        let martin = match &postgis {
            Some(p) if with_martin => {
                quiet(&p.db_url)?;
                Some(martin(&work, &p.db_url, z, &tiles, seconds)?)
            }
            _ => None,
        };
        rows.push(Row {
            name: format!("z{z} incident tiles ({} tiles)", paths.len()),
            ours,
            postgis: postgis_load,
            martin,
            one_connection: false,
        });
    }
    {
        let z = 12;
        let paths: Vec<String> =
            tiles_of(URBAN, z).into_iter().map(|(x, y)| format!("/tiles/cells/{z}/{x}/{y}.mvt?{WINDOW}")).collect();
        quiet_db()?;
        let ours = wrk(&work, EMBEDDED_PORT, &cookie, &paths, CONNECTIONS, seconds)?;
        rows.push(Row {
            name: format!("z{z} cell tiles with counts, 环比, 同比 ({} tiles)", paths.len()),
            ours,
            postgis: theirs(&paths, CONNECTIONS)?,
            martin: None,
            one_connection: false,
        });
    }
    let viewport = format!(
        "/api/incidents?bbox={},{},{},{}&limit=5000&{WINDOW}",
        URBAN[0] - 0.04,
        URBAN[1] - 0.06,
        URBAN[2] + 0.04,
        URBAN[3] + 0.06
    );
    for (name, path) in [
        ("viewport: 5,000 newest in a 0.2° box, 1 connection", viewport),
        ("Gi* over the city's cells, the year, 1 connection", format!("/api/hotspots?{WINDOW}")),
        ("Gi* over the city's cells, the whole history, 1 connection", format!("/api/hotspots?from={EPOCH}&to={END}")),
    ] {
        quiet_db()?;
        let ours = wrk(&work, EMBEDDED_PORT, &cookie, std::slice::from_ref(&path), 1, seconds)?;
        // With a memory window the PostGIS side is the deployment's own: time it too (with a
        // window of 0 every read is pushed down, minutes at ten years).
        // A refusal there (a read past the window waits its turn) is reported, not fatal.
        let postgis_load = if window_days > 0 {
            theirs(std::slice::from_ref(&path), 1).unwrap_or_else(|e| {
                eprintln!("race: the PostGIS side of {name:?} failed: {e:#}");
                None
            })
        } else {
            None
        };
        rows.push(Row { name: name.into(), ours, postgis: postgis_load, martin: None, one_connection: true });
    }
    let peak_mb = embedded.rss_mb("VmHWM:")?;
    // After the rows: the allocator has returned the start-up's scratch memory by now.
    let rss_end_mb = embedded.rss_mb("VmRSS:")?;
    let copy_s = postgis.as_ref().map(|p| p.copy_s);
    let postgis_memory = match &postgis {
        Some(p) => Some((p.startup_s, p.rss_start_mb, p.server.rss_mb("VmHWM:")?, p.server.rss_mb("VmRSS:")?)),
        None => None,
    };
    // Point-in-cell of every incident, the servers idle: SafeGrid's grid index (`world
    // placements`, which times the locating apart from reading the store), and PostGIS's best
    // plan, a LATERAL join through the cells' GiST index.
    let ours_located = {
        let out = Command::new(&bin).args(["world", "placements", "--data-dir"]).arg(&data).output()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        located_rate(&text).with_context(|| format!("world placements said: {text}"))?
    };
    let theirs_located = match &postgis {
        Some(PostgisSide { db_url, .. }) => {
            quiet(db_url)?;
            let out = Command::new("psql")
                .args(["-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", db_url, "-c"])
                .arg("SET max_parallel_workers_per_gather = 0; EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT count(c.code) FROM incidents i CROSS JOIN LATERAL (SELECT code FROM cells WHERE ST_Intersects(cells.geom, i.geom) LIMIT 1) c")
                .output()?;
            let text = String::from_utf8_lossy(&out.stdout);
            let ms: f64 = text
                .split("\"Execution Time\":")
                .nth(1)
                .and_then(|t| t.split([',', '\n', '}']).next())
                .and_then(|t| t.trim().parse().ok())
                .with_context(|| format!("EXPLAIN said: {text}"))?;
            Some(ms / 1_000.0)
        }
        None => None,
    };
    drop((embedded, postgis));

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "race: {stored} incidents (demo world, --days {days} --base-incidents {incidents}); {cores} cores, {cpu}; wrk, {CONNECTIONS} connections, {seconds} s per row"
    );
    println!(
        "| | SafeGrid (embedded) | SafeGrid on PostGIS (memory window {window_days} days) | ratio | Martin's ST_AsMVT query (pgbench) | ratio |"
    );
    println!("|---|---|---|---|---|---|");
    let cell = |l: &Load| format!("{:.0} req/s, p50 {:.1} ms, p99 {:.1} ms", l.per_s, l.p50_ms, l.p99_ms);
    let versus = |ours: &Load, theirs: &Option<Load>| match theirs {
        Some(t) => format!("{} | {:.1}×", cell(t), ours.per_s / t.per_s.max(1e-9)),
        None => " | ".into(),
    };
    for Row { name, ours, postgis, martin, one_connection } in &rows {
        if *one_connection {
            let theirs = postgis.as_ref().map_or_else(String::new, |t| {
                format!("median {:.1} ms, p99 {:.1} ms, max {:.1} ms", t.p50_ms, t.p99_ms, t.max_ms)
            });
            println!(
                "| {name} | median {:.1} ms, p99 {:.1} ms, max {:.1} ms | {theirs} | | | |",
                ours.p50_ms, ours.p99_ms, ours.max_ms
            );
        } else {
            println!("| {name} | {} | {} | {} |", cell(ours), versus(ours, postgis), versus(ours, martin));
        }
    }
    let copied = copy_s.map_or_else(String::new, |s| format!("copy-store into PostGIS {s:.1} s"));
    println!("| demo world generated and written | {generated_s:.1} s | {copied} | | | |");
    let per_incident = |mb: f64| mb * 1_048_576.0 / stored.max(1) as f64;
    let (theirs_startup, theirs_after) = postgis_memory.map_or_else(
        || (String::new(), String::new()),
        |(s, start, peak, end)| {
            (
                format!(
                    "{s:.2} s, RSS {start:.0} MB ({:.0} B per stored incident); peak {peak:.0} MB",
                    per_incident(start)
                ),
                format!("RSS {end:.0} MB ({:.0} B per stored incident)", per_incident(end)),
            )
        },
    );
    println!(
        "| start-up to the first answer | {startup_s:.2} s, RSS {rss_start_mb:.0} MB ({:.0} B per incident, whole process); peak {peak_mb:.0} MB | {theirs_startup} | | | |",
        per_incident(rss_start_mb)
    );
    let (located_n, located_s) = ours_located;
    let rate = |s: f64| located_n as f64 / s.max(1e-9);
    println!(
        "| point-in-cell of every stored incident, 1 thread | {located_s:.2} s, {:.0} a second (`world placements`) | {} |",
        rate(located_s),
        theirs_located.map_or_else(
            || " | | |".into(),
            |s| format!("LATERAL join {s:.1} s, {:.0} a second | {:.0}× | | ", rate(s), s / located_s.max(1e-9))
        )
    );
    println!(
        "| memory after the rows | RSS {rss_end_mb:.0} MB ({:.0} B per incident, whole process) | {theirs_after} | | | |",
        per_incident(rss_end_mb)
    );
    Ok(())
}

/// Incidents located and seconds taken, from `world placements`' English line ("located N
/// incident(s) (X s, …").
fn located_rate(text: &str) -> Option<(u64, f64)> {
    let rest = text.split("located ").nth(1)?;
    let (n, rest) = rest.split_once(" incident(s) (")?;
    let (s, _) = rest.split_once(" s,")?;
    Some((n.parse().ok()?, s.parse().ok()?))
}

/// The PostGIS side: its database, its server and what its set-up took.
struct PostgisSide {
    db_url: String,
    server: Server,
    cookie: String,
    copy_s: f64,
    startup_s: f64,
    rss_start_mb: f64,
}

/// One row of the table: SafeGrid, SafeGrid on PostGIS, Martin's query.
struct Row {
    name: String,
    ours: Load,
    postgis: Option<Load>,
    martin: Option<Load>,
    /// Timed one request at a time: latencies only.
    one_connection: bool,
}

/// Cancels every statement still running in `db_url`'s database (left by the previous row's
/// closed connections) and waits until none runs.
fn quiet(db_url: &str) -> Result<()> {
    let active = "FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()";
    let started = Instant::now();
    loop {
        let out = Command::new("psql")
            .args(["-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", db_url, "-c"])
            .arg(format!("SELECT count(pg_cancel_backend(pid)) {active}"))
            .output()
            .context("running psql")?;
        if !out.status.success() {
            bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        if String::from_utf8_lossy(&out.stdout).trim() == "0" {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the race database is still busy after a minute of cancelling");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Martin's query for an uncached tile of a table source (`ST_AsMVTGeom` of every point in the
/// tile and its 64-pixel buffer, one `ST_AsMVT`), here with the race's year and the same
/// properties as SafeGrid's tiles, over `tiles` at random, by `pgbench` with 16 clients.
fn martin(work: &Path, db_url: &str, z: u8, tiles: &[(u32, u32)], seconds: u32) -> Result<Load> {
    let (from, to) = WINDOW.split_once('&').context("a window of two bounds")?;
    let (from, to) = (from.trim_start_matches("from="), to.trim_start_matches("to="));
    let x = (tiles.iter().map(|t| t.0).min().unwrap_or(0), tiles.iter().map(|t| t.0).max().unwrap_or(0));
    let y = (tiles.iter().map(|t| t.1).min().unwrap_or(0), tiles.iter().map(|t| t.1).max().unwrap_or(0));
    let script = format!(
        "\\set x random({}, {})\n\\set y random({}, {})\n\
         SELECT ST_AsMVT(tile, 'incidents', 4096, 'geom') FROM (\
         SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope({z}, :x, :y), 4096, 64, true) AS geom, \
         id, category, status, severity, occurred_at FROM incidents \
         WHERE geom && ST_Transform(ST_TileEnvelope({z}, :x, :y, margin => (64.0 / 4096)), 4326) \
         AND occurred_at >= '{from}' AND occurred_at < '{to}') AS tile;\n",
        x.0, x.1, y.0, y.1
    );
    let file = work.join("martin.sql");
    std::fs::write(&file, script)?;
    let logs = work.join(format!("martin-z{z}"));
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs)?;
    let out = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-c", &CONNECTIONS.to_string(), "-j", "2", "-T", &seconds.to_string()])
        .arg("-f")
        .arg(&file)
        .arg("-l")
        .arg(format!("--log-prefix={}", logs.join("tx").display()))
        .arg(db_url)
        .output()
        .context("running pgbench (Debian's postgresql-client)")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("pgbench failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let per_s = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no tps in pgbench's output:\n{text}"))?;
    // Each log line: client, transaction, latency (µs), script, epoch s, µs.
    let mut ms = Vec::new();
    for entry in std::fs::read_dir(&logs)? {
        for line in std::fs::read_to_string(entry?.path())?.lines() {
            if let Some(us) = line.split_whitespace().nth(2).and_then(|v| v.parse::<f64>().ok()) {
                ms.push(us / 1e3);
            }
        }
    }
    if ms.is_empty() {
        bail!("pgbench logged no transaction:\n{text}");
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    Ok(Load { per_s, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1.0) })
}

/// Installs Debian's `wrk` when it is missing.
fn ensure_wrk() -> Result<()> {
    if Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok() {
        return Ok(());
    }
    crate::sh(Command::new("apt-get").args(["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", "wrk"]))
}

/// The city command centre's demo login.
fn city_login(data: &Path) -> Result<(String, String)> {
    let text = std::fs::read_to_string(data.join("demo-logins.txt")).context("reading demo-logins.txt")?;
    text.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f.len() == 3 && f[1] == "city")
        .map(|f| (f[0].to_owned(), f[2].to_owned()))
        .context("no city login in demo-logins.txt")
}

fn psql(url: &str, sql: &str) -> Result<()> {
    crate::sh(Command::new("psql").args(["-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql]))
}

/// Starts `safegrid serve` and waits until it answers.
fn serve(bin: &Path, store: &[String], port: u16, name: &'static str) -> Result<Server> {
    let child = Command::new(bin)
        .arg("serve")
        .args(store)
        .args(["--bind", &format!("127.0.0.1:{port}"), "--no-nightly-trials"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut server = Server { child, name };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(600) {
        // A server that could not start (the port taken) must not be mistaken for whatever
        // answers there.
        if let Some(status) = server.child.try_wait()? {
            bail!("the {} server exited at start-up ({status})", server.name);
        }
        if http(port, "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .is_ok_and(|r| r.starts_with("HTTP/1.1 200"))
        {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("the {} server did not answer within 10 minutes", server.name)
}

/// One request on a fresh connection; the whole response as text.
fn http(port: u16, request: &str) -> Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.write_all(request.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Signs in; the session cookie (`name=value`).
fn login(port: u16, user: &str, password: &str) -> Result<String> {
    let body = serde_json::json!({"username": user, "password": password}).to_string();
    let response = http(
        port,
        &format!(
            "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )?;
    response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .with_context(|| format!("sign-in on port {port} failed: {}", response.lines().next().unwrap_or("")))
}

/// Incidents the server holds in memory (`/api/health`).
fn held_incidents(port: u16) -> Result<u64> {
    let response = http(port, "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    let json: serde_json::Value = serde_json::from_str(body).context("/api/health: not JSON")?;
    json["incidents"].as_u64().context("/api/health: no incidents")
}

/// The tiles (x, y) at zoom `z` over a lon/lat box.
fn tiles_of(b: [f64; 4], z: u8) -> Vec<(u32, u32)> {
    let n = f64::from(1u32 << z);
    let x = |lon: f64| ((lon + 180.0) / 360.0 * n) as u32;
    let y = |lat: f64| {
        let r = f64::to_radians(lat);
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32
    };
    let mut out = Vec::new();
    for ty in y(b[3])..=y(b[1]) {
        for tx in x(b[0])..=x(b[2]) {
            out.push((tx, ty));
        }
    }
    out
}

/// Runs `wrk` cycling over `paths` with the session cookie; fails on any non-2xx answer.
fn wrk(work: &Path, port: u16, cookie: &str, paths: &[String], connections: u32, seconds: u32) -> Result<Load> {
    let list: Vec<String> = paths.iter().map(|p| format!("{p:?}")).collect();
    let script = format!(
        "local paths = {{ {} }}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(\"GET\", paths[(i % #paths) + 1], {{ [\"Cookie\"] = {cookie:?} }})\nend\n",
        list.join(", ")
    );
    // The script carries a session cookie: readable by its owner only.
    let file = work.join("paths.lua");
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&file)?;
        f.write_all(script.as_bytes())?;
    }
    let threads = connections.min(2).to_string();
    let out = Command::new("wrk")
        // A slow side's answers count however long they take (wrk's default gives up at 2 s).
        .args(["-t", &threads, "-c", &connections.to_string(), "-d", &format!("{seconds}s"), "--timeout", "60s"])
        .args(["--latency", "-s"])
        .arg(&file)
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    if let Some(l) = text.lines().find(|l| l.contains("Non-2xx")) {
        bail!("wrk saw errors on port {port}: {}\n{text}", l.trim());
    }
    let per_s = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    // A latency as wrk prints it ("812.00us", "6.17ms", "1.60s"), in ms.
    let ms_of = |v: &str| -> Result<f64> {
        let (number, factor) = if let Some(n) = v.strip_suffix("us") {
            (n, 1e-3)
        } else if let Some(n) = v.strip_suffix("ms") {
            (n, 1.0)
        } else if let Some(n) = v.strip_suffix('s') {
            (n, 1e3)
        } else {
            (v, 1.0)
        };
        Ok(number.parse::<f64>().with_context(|| format!("latency {v:?}"))? * factor)
    };
    let pct = |p: &str| -> Result<f64> {
        let v = text
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(p))
            .map(str::trim)
            .with_context(|| format!("no {p} latency in wrk's output:\n{text}"))?;
        ms_of(v)
    };
    // "Latency  avg  stdev  max  +/- stdev"
    let max_ms = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Latency"))
        .and_then(|l| l.split_whitespace().nth(2))
        .with_context(|| format!("no Latency line in wrk's output:\n{text}"))?;
    Ok(Load { per_s, p50_ms: pct("50%")?, p99_ms: pct("99%")?, max_ms: ms_of(max_ms)? })
}
