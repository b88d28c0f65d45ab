//! The crate map of ARCHITECTURE.md holds: each workspace crate depends only on the crates its
//! row allows, and the pure and storage crates never reach HTTP or a database they do not own.

use std::path::Path;

/// The `[dependencies]` of a crate's Cargo.toml, by name (dev-dependencies excluded).
fn dependencies(krate: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let text = std::fs::read_to_string(root.join(krate).join("Cargo.toml")).unwrap();
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && let Some((name, _)) = line.split_once('=') {
            let name = name.trim().trim_end_matches(".workspace").trim();
            if !name.is_empty() && !name.starts_with('#') {
                out.push(name.to_owned());
            }
        }
    }
    out
}

const WORKSPACE: [&str; 8] = ["model", "analytics", "world", "demo", "store", "server", "frontend", "tests"];

#[test]
fn each_crate_depends_only_on_what_the_architecture_allows() {
    let allowed: [(&str, &[&str]); 7] = [
        ("model", &[]),
        ("analytics", &[]),
        ("world", &["model", "analytics"]),
        ("demo", &["model", "analytics"]),
        ("store", &["model", "analytics", "world"]),
        ("server", &["model", "analytics", "world", "demo", "store"]),
        ("frontend", &["model"]),
    ];
    for (krate, may) in allowed {
        let internal: Vec<String> =
            dependencies(krate).into_iter().filter(|d| WORKSPACE.contains(&d.as_str())).collect();
        for d in &internal {
            assert!(may.contains(&d.as_str()), "{krate} depends on {d}; ARCHITECTURE.md allows only {may:?}");
        }
    }
}

#[test]
fn pure_and_storage_crates_reach_no_http_or_foreign_io() {
    let http = ["axum", "tower", "tower-http", "hyper", "reqwest"];
    let databases = ["rusqlite", "tokio-postgres", "deadpool-postgres", "postgres"];
    for krate in ["model", "analytics", "world", "demo", "frontend"] {
        for d in dependencies(krate) {
            assert!(!http.contains(&d.as_str()) && !databases.contains(&d.as_str()), "{krate} depends on {d}");
            assert!(d != "tokio", "{krate} (pure) depends on tokio");
        }
    }
    for d in dependencies("store") {
        assert!(!http.contains(&d.as_str()), "store depends on {d}: HTTP stays in server::api");
    }
    for d in dependencies("server") {
        assert!(!databases.contains(&d.as_str()), "server depends on {d}: SQL stays in the store crate");
    }
}

#[test]
fn the_parser_reads_dependency_names() {
    let deps = dependencies("store");
    assert!(deps.iter().any(|d| d == "model") && deps.iter().any(|d| d == "rusqlite"), "{deps:?}");
}
