#![allow(clippy::panic)] // a build script fails by panicking, with the message cargo shows
//! Embeds the built web app in the binary when `SAFEGRID_EMBED_WEB` names Trunk's output
//! (`cargo xtask dist` sets it): `$OUT_DIR/embedded_web.rs` lists every file with its bytes.
//! Without it the list is empty and `safegrid serve` serves `--web-dir` (default `dist`).

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            println!("cargo:rerun-if-changed={}", p.display());
            files(&p, out);
        } else {
            println!("cargo:rerun-if-changed={}", p.display());
            out.push(p);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=SAFEGRID_EMBED_WEB");
    let mut table = String::from(
        "/// The web app's files (path below the root, bytes); empty unless built by `cargo xtask dist`.\npub static EMBEDDED: &[(&str, &[u8])] = &[\n",
    );
    if let Some(root) = std::env::var_os("SAFEGRID_EMBED_WEB").map(PathBuf::from) {
        let root = root.canonicalize().unwrap_or(root);
        assert!(root.join("index.html").is_file(), "SAFEGRID_EMBED_WEB={} has no index.html", root.display());
        println!("cargo:rerun-if-changed={}", root.display());
        let mut list = Vec::new();
        files(&root, &mut list);
        for f in list {
            let rel = f.strip_prefix(&root).unwrap_or(&f).to_string_lossy().replace('\\', "/");
            let _ = writeln!(table, "    ({rel:?}, include_bytes!({:?})),", f.display().to_string());
        }
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("embedded_web.rs");
    if let Err(e) = std::fs::write(&out, table) {
        panic!("writing {}: {e}", out.display());
    }
}
