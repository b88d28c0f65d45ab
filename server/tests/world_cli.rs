//! `safegrid world validate` on the real binary: exit status 0 for a valid world file, 1 with
//! every problem on standard output for a broken one, and a flag error that names the flag.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::BIN;
use std::process::Command;

fn validate(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).args(["world", "validate"]).args(args).env("RUST_LOG", "error").output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// A county, a township and one village of two cells, as one layer file each.
fn write_world(dir: &std::path::Path, second_cell_code: &str) {
    let square = |x0: f64, x1: f64| serde_json::json!({"type": "Polygon", "coordinates": [[[x0, 37.9], [x1, 37.9], [x1, 37.92], [x0, 37.92], [x0, 37.9]]]});
    let regions = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": square(102.60, 102.62), "properties": {"编码": "620602000000", "名称": "凉州区"}},
        {"type": "Feature", "geometry": square(102.60, 102.62), "properties": {"编码": "620602001000", "名称": "东大街街道"}},
        {"type": "Feature", "geometry": square(102.60, 102.62), "properties": {"编码": "620602001001", "名称": "南苑社区"}},
    ]});
    let cells = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": square(102.60, 102.61), "properties": {"网格编码": "620602001001001", "网格名称": "第1网格"}},
        {"type": "Feature", "geometry": square(102.61, 102.62), "properties": {"网格编码": second_cell_code, "网格名称": "第2网格"}},
    ]});
    std::fs::write(dir.join("regions.geojson"), regions.to_string()).unwrap();
    std::fs::write(dir.join("cells.geojson"), cells.to_string()).unwrap();
}

#[test]
fn validate_exits_0_for_a_valid_world_and_1_listing_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    write_world(dir.path(), "620602001001002");
    let (code, out, err) = validate(&[dir.path().as_os_str(), "--lang".as_ref(), "en".as_ref()]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("0 error(s)"), "{out}");
    // The same code twice: the duplicate, and the gap its dropped cell leaves.
    write_world(dir.path(), "620602001001001");
    let (code, out, err) = validate(&[dir.path().as_os_str(), "--lang".as_ref(), "en".as_ref()]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("error\tcells\t620602001001001\tduplicate code"), "{out}");
    assert!(out.contains("error\tregions\t620602001001\tgap inside a village"), "{out}");
    assert!(err.contains("the world file has errors"), "{err}");
    // In Chinese by default, and as JSON.
    let (_, out, _) = validate(&[dir.path().as_os_str()]);
    assert!(out.contains("编码重复") && out.contains("个错误"), "{out}");
    let (code, out, _) = validate(&[dir.path().as_os_str(), "--format".as_ref(), "json".as_ref()]);
    assert_eq!(code, Some(1));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["errors"], 2, "{doc}");
    // A bad flag names the flag.
    let (code, _, err) = validate(&[dir.path().as_os_str(), "--crs".as_ref(), "utm".as_ref()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--crs"), "{err}");
}
