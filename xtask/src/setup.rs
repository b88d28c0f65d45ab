//! Idempotent installation of what the run and test commands need on a fresh Debian machine.
//! Each step first checks whether its tool is already there (at the pinned version), so a
//! second run costs nothing. Tools go outside the checkout (~/.cargo/bin, the system), never
//! into it; nothing is downloaded except through crates.io, npm and Debian's package clients.

use crate::sh;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Pinned frontend tool versions (wasm-bindgen must equal the crate pinned in Cargo.toml).
pub const TRUNK_VERSION: &str = "0.21.14";
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// Pinned cargo-fuzz (runs the fuzz targets on stable with `--sanitizer none`).
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

fn have(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool} >/dev/null 2>&1")]).status().is_ok_and(|s| s.success())
}

/// Installs the Debian packages whose probe command is missing, in one apt run.
fn apt_install(wanted: &[(&str, &[&str])]) -> Result<()> {
    let missing: Vec<&str> =
        wanted.iter().filter(|(probe, _)| !have_or_file(probe)).flat_map(|(_, pkgs)| pkgs.iter().copied()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("installing Debian packages {missing:?}");
    sh(Command::new("apt-get").args(["-o", "DPkg::Lock::Timeout=600", "update", "-qq"]))?;
    sh(Command::new("apt-get")
        .args(["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// A probe is a command name or, when it contains a slash, a file that must exist.
fn have_or_file(probe: &str) -> bool {
    if probe.contains('/') { Path::new(probe).exists() } else { have(probe) }
}

fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|| home().join(".cargo")).join("bin")
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"))
}

fn cargo_install(binary: &str, version: &str, args: &[&str]) -> Result<()> {
    let exe = cargo_bin().join(binary);
    let current = output(&exe.to_string_lossy(), &["--version"]).unwrap_or_default();
    if current.split_whitespace().nth(1) == Some(version) {
        return Ok(());
    }
    eprintln!("installing {binary} {version} with cargo install (a few minutes, once per machine)");
    // These are build tools, not the product: their own release profiles ask for fat LTO and one
    // codegen unit (trunk), which on two cores costs more than their whole run time ever will.
    sh(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .arg("install")
        .args(args)
        .args(["--version", version])
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false"))
}

/// PATH with the frontend's npm tools (wasm-opt 132) and cargo-installed tools first.
pub fn frontend_path(root: &Path) -> String {
    let node_bin = root.join("frontend/node_modules/.bin");
    format!("{}:{}:{}", node_bin.display(), cargo_bin().display(), std::env::var("PATH").unwrap_or_default())
}

/// What `cargo xtask run` needs: the wasm target, Trunk, wasm-bindgen-cli and the npm packages.
pub fn ensure_run_tools(root: &Path) -> Result<()> {
    let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets.lines().any(|l| l.trim() == WASM_TARGET) {
        sh(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    // Without default features: no update check and no TLS stack (it never fetches anything here).
    cargo_install("trunk", TRUNK_VERSION, &["--locked", "--no-default-features", "trunk"])?;
    // Without --locked: wasm-bindgen-cli's lockfile pins a crate version the registry does not serve.
    cargo_install("wasm-bindgen", WASM_BINDGEN_VERSION, &["wasm-bindgen-cli"])?;
    let frontend = root.join("frontend");
    let installed = std::fs::read_to_string(frontend.join("node_modules/.package-lock.json")).unwrap_or_default();
    let lock = std::fs::read_to_string(frontend.join("package-lock.json")).context("frontend/package-lock.json")?;
    let want: serde_json::Value = serde_json::from_str(&lock)?;
    let present: serde_json::Value = serde_json::from_str(&installed).unwrap_or_default();
    let versions = |v: &serde_json::Value| -> Vec<(String, serde_json::Value)> {
        v["packages"]
            .as_object()
            .map(|p| p.iter().filter(|(k, _)| !k.is_empty()).map(|(k, v)| (k.clone(), v["version"].clone())).collect())
            .unwrap_or_default()
    };
    if versions(&want).is_empty() || versions(&want) != versions(&present) {
        if !have("npm") {
            apt_install(&[("npm", &["npm"])])?;
        }
        sh(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&frontend))?;
    }
    // The font briefings embed (server::docx::DEFAULT_FONT_FILE).
    apt_install(&[(BRIEFING_FONT, &["fonts-droid-fallback"])])
}

/// Droid Sans Fallback, the TrueType CJK font the server embeds in briefings by default.
const BRIEFING_FONT: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

/// What `cargo xtask test` builds with besides the run tools: cargo-fuzz.
pub fn ensure_test_cargo_tools(root: &Path) -> Result<()> {
    ensure_run_tools(root)?;
    cargo_install("cargo-fuzz", CARGO_FUZZ_VERSION, &["--locked", "cargo-fuzz"])
}

/// The Debian packages the tests run with: GDAL's ogrinfo, Chromium and its driver, CJK fonts
/// for screenshots, the fonts the font-subsetting tests read, and Python's sqlite3 as a second process on the embedded store
/// (PostgreSQL comes with [`postgis_cluster`]). Network- and disk-bound, so the
/// test command runs this beside the builds.
pub fn ensure_test_packages() -> Result<()> {
    apt_install(&[
        ("ogrinfo", &["gdal-bin"]),
        ("chromium", &["chromium"]),
        ("chromedriver", &["chromium-driver"]),
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", &["fonts-noto-cjk"]),
        (BRIEFING_FONT, &["fonts-droid-fallback"]),
        ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", &["fonts-dejavu-core"]),
        ("python3", &["python3"]),
    ])
}

/// Builds the frontend into dist/ with Trunk (release: wasm-opt -Oz).
pub fn build_frontend(root: &Path) -> Result<()> {
    let status = Command::new(cargo_bin().join("trunk"))
        .args(["build", "--release"])
        .current_dir(root)
        .env("PATH", frontend_path(root))
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .status()
        .context("starting trunk")?;
    if !status.success() {
        bail!("trunk build failed with {status}");
    }
    Ok(())
}

/// Fuzz targets and how long each runs under `cargo xtask test`.
pub const FUZZ_TARGETS: [&str; 5] = ["intake", "query", "csv_import", "timestamp", "geopackage_blob"];
/// Seconds of fuzzing per target in the test command.
pub const FUZZ_SECONDS: u32 = 15;

/// Runs every fuzz target for [`FUZZ_SECONDS`] from its seeds (fuzz/seeds/) and a corpus kept in
/// the cargo target folder, outside the checkout. A crash fails the run and leaves its input in
/// fuzz/artifacts/.
pub fn run_fuzzers(root: &Path) -> Result<()> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    for t in FUZZ_TARGETS {
        let corpus = target.join("fuzz-corpus").join(t);
        std::fs::create_dir_all(&corpus)?;
        sh(Command::new(cargo_bin().join("cargo-fuzz"))
            .args(["run", "--sanitizer", "none", "--target-dir"])
            .arg(target.join("fuzz"))
            .arg(t)
            .arg(&corpus)
            .arg(root.join("fuzz/seeds").join(t))
            .arg("--")
            .arg(format!("-max_total_time={FUZZ_SECONDS}"))
            .arg("-print_final_stats=1")
            .current_dir(root))?;
    }
    Ok(())
}

/// The private test clusters: fast (fsync off) for most tests, durable (fsync and
/// synchronous_commit on) for the crash test and durable benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cluster {
    /// 127.0.0.1:54329, /var/tmp/safegrid-pg, fsync off.
    Fast,
    /// 127.0.0.1:54330, /var/tmp/safegrid-pg-durable, fsync and synchronous_commit on.
    Durable,
}

impl Cluster {
    /// Its home (outside $HOME: the `postgres` user must reach it; a root home is mode 700).
    pub fn dir(self) -> &'static str {
        match self {
            Cluster::Fast => "/var/tmp/safegrid-pg",
            Cluster::Durable => "/var/tmp/safegrid-pg-durable",
        }
    }

    fn port(self) -> &'static str {
        match self {
            Cluster::Fast => "54329",
            Cluster::Durable => "54330",
        }
    }
}

/// Starts (or finds running) a private PostgreSQL 15 + PostGIS 3 test cluster with
/// `xtask/scripts/pg-up.sh` (installs the Debian packages when missing; idempotent) and returns
/// the superuser URL of its `postgres` database.
pub fn postgis_cluster(root: &Path, cluster: Cluster) -> Result<String> {
    let out = Command::new("bash")
        .arg(root.join("xtask/scripts/pg-up.sh"))
        .env("PGT_DIR", cluster.dir())
        .env("PGT_PORT", cluster.port())
        .env("PGT_DURABLE", if cluster == Cluster::Durable { "1" } else { "0" })
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("starting xtask/scripts/pg-up.sh")?;
    let text = String::from_utf8_lossy(&out.stdout);
    eprint!("{text}");
    if !out.status.success() {
        bail!("the PostGIS test cluster did not start ({})", out.status);
    }
    text.lines()
        .find_map(|l| l.strip_prefix("DATABASE_URL="))
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("pg-up.sh printed no DATABASE_URL"))
}
