//! The kinds the databases accept are the model's: every `CHECK (column IN (…))` list in the
//! PostGIS migrations (the last one per column, as migrations replace them) and in the
//! GeoPackage schema equals the enum it mirrors, in order. A new role, level or live-log kind
//! fails here until the schema (and a migration) says so too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use model::RegionLevel;
use model::auth::Role;
use model::desk::MediatorRole;
use model::live::LiveKind;
use std::path::Path;

/// Every `CHECK (<column> IN ('a', 'b', …))` of `sql`, as (column, values), in file order.
fn check_lists(sql: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find("CHECK (") {
        rest = &rest[at + "CHECK (".len()..];
        let Some((column, after)) = rest.split_once(" IN (") else { continue };
        if column.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            continue;
        }
        let Some(end) = after.find(')') else { continue };
        let values =
            after[..end].split(',').map(|v| v.trim().trim_matches('\'').to_owned()).filter(|v| !v.is_empty()).collect();
        out.push((column.to_owned(), values));
    }
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|&v| name(v).to_owned()).collect()
}

fn expected(column: &str) -> Option<Vec<String>> {
    match column {
        "role" => Some(names(Role::ALL, Role::as_str)),
        "level" => Some(names(&RegionLevel::ALL, RegionLevel::as_str)),
        "kind" => Some(names(&LiveKind::ALL, LiveKind::as_str)),
        "mediator_role" => Some(names(MediatorRole::ALL, MediatorRole::as_str)),
        _ => None,
    }
}

#[test]
fn the_postgis_migrations_end_with_the_models_lists() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut last: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for f in &files {
        for (column, values) in check_lists(&read(f)) {
            last.insert(column, values);
        }
    }
    assert_eq!(
        last.keys().collect::<Vec<_>>(),
        ["kind", "level", "mediator_role", "role"],
        "the lists the migrations hold"
    );
    for (column, values) in &last {
        assert_eq!(Some(values.clone()), expected(column), "migrations: {column}");
    }
}

#[test]
fn the_geopackage_schema_and_its_upgrade_hold_the_models_lists() {
    let sql = root().join("store/src/gpkg/sql");
    let schema = check_lists(&read(&sql.join("schema.sql")));
    let columns: Vec<&str> = schema.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(columns, ["level", "mediator_role", "role", "kind"], "the lists the schema holds");
    for (column, values) in schema.iter().chain(&check_lists(&read(&sql.join("upgrade_live_kinds.sql")))) {
        assert_eq!(Some(values.clone()), expected(column), "GeoPackage: {column}");
    }
}

#[test]
fn the_parser_reads_lists_and_skips_other_checks() {
    let sql = "a TEXT CHECK (code ~ '^[0-9]{12}$'), b TEXT CHECK (level IN ('city', 'county')),\n\
               CHECK ((x IS NULL) <> (y IS NULL)), c int CHECK (span >= 1), k TEXT CHECK (kind IN (\n  'a',\n  'b'))";
    assert_eq!(
        check_lists(sql),
        [
            ("level".to_owned(), vec!["city".to_owned(), "county".to_owned()]),
            ("kind".into(), vec!["a".into(), "b".into()])
        ]
    );
}
