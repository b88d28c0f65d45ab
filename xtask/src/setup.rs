//! Idempotent installation of what the run and test commands need on a fresh Debian machine.
//! Each step first checks whether its tool is already there, so a second run costs nothing.

use crate::sh;
use anyhow::Result;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool} >/dev/null 2>&1")]).status().is_ok_and(|s| s.success())
}

/// Installs Debian packages if `probe` is not on PATH (needs root, as on these machines).
fn apt_install(probe: &str, packages: &[&str]) -> Result<()> {
    if have(probe) {
        return Ok(());
    }
    eprintln!("installing {packages:?} (for `{probe}`)");
    sh(Command::new("apt-get").args(["-o", "DPkg::Lock::Timeout=600", "update", "-qq"]))?;
    sh(Command::new("apt-get")
        .args(["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// What `cargo xtask run` needs beyond cargo (nothing yet beyond the Rust toolchain).
pub fn ensure_run_tools() -> Result<()> {
    Ok(())
}

/// What `cargo xtask test` needs: `ogrinfo` (gdal-bin) to check the GeoPackage store.
pub fn ensure_test_tools() -> Result<()> {
    apt_install("ogrinfo", &["gdal-bin"])
}
