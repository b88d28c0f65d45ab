//! A city's own event taxonomy on the real binary (`--taxonomy FILE`): a kind added in the file,
//! with no code change, is accepted by an import that the standard taxonomy refuses; a broken
//! file stops the command and names what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::BIN;
use std::process::Command;

fn run(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::new(BIN).args(args).env("RUST_LOG", "error").output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn a_kind_added_in_the_taxonomy_file_is_taken_without_a_code_change() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let os = |s: &str| std::ffi::OsString::from(s);
    let (code, out) =
        run(&["demo".as_ref(), "--data-dir".as_ref(), data.as_os_str(), "--base-incidents".as_ref(), "200".as_ref()]);
    assert_eq!(code, Some(0), "{out}");

    // The standard taxonomy and one kind more: 禁牧巡查, handled by natural resources.
    let mut doc: serde_json::Value = serde_json::from_str(model::taxonomy::STANDARD).unwrap();
    doc["kinds"].as_array_mut().unwrap().push(serde_json::json!({
        "code": "grazing_ban", "zh": "禁牧巡查", "en": "grazing ban patrol", "workflow": "department",
        "department": "natural_resources", "color": "#7cb518",
        "deadlines": {"assign_min": 240, "accept_min": 480, "complete_min": 4320, "feedback_min": 4320, "close_min": 1440}
    }));
    let taxonomy = dir.path().join("taxonomy.json");
    std::fs::write(&taxonomy, doc.to_string()).unwrap();
    let csv = dir.path().join("events.csv");
    std::fs::write(
        &csv,
        "lon,lat,occurred_at,category,external_id\n102.638,37.928,2026-10-01T08:00:00Z,禁牧巡查,g-1\n",
    )
    .unwrap();
    let import = |extra: &[std::ffi::OsString]| {
        let mut args: Vec<std::ffi::OsString> = extra.to_vec();
        args.extend([os("import"), os("--data-dir"), data.clone().into_os_string(), csv.clone().into_os_string()]);
        run(&args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>())
    };
    let (code, out) = import(&[]);
    assert_eq!(code, Some(1), "the standard taxonomy has no such kind: {out}");
    assert!(out.contains("category"), "{out}");
    let (code, out) = import(&[os("--taxonomy"), taxonomy.clone().into_os_string()]);
    assert_eq!(code, Some(0), "{out}");

    // A broken file stops the command, naming the fault.
    doc["kinds"][0]["code"] = "crime".into();
    std::fs::write(&taxonomy, doc.to_string()).unwrap();
    let (code, out) = import(&[os("--taxonomy"), taxonomy.into_os_string()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("--taxonomy") && out.contains("first eight"), "{out}");
}
