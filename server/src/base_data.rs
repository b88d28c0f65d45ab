//! `safegrid world validate|import|export`: the city's base data from and to world files.
//! The checks and the difference are the `world` crate's; reading and writing files is
//! `store::world_file`'s; this module only runs them against a store and prints.

use crate::boot::open_store;
use crate::config::{
    CliLang, ReportFormat, WorldExportArgs, WorldFileArgs, WorldImportArgs, WorldRollbackArgs, WorldValidateArgs,
};
use crate::geography::Geography;
use anyhow::Context;
use model::Placement;
use std::io::Write;
use store::GeographyData;
use store::world_file::{WorldRead, merged, read_world, write_gpkg};
use store::{NewAudit, Publication, Store, WorldVersion};
use world::{Difference, Problem, Report, Rules, WorldFile, WorldParts, difference, validate};

fn crs_of(args: &WorldFileArgs) -> anyhow::Result<Option<analytics::crs::Crs>> {
    args.crs
        .as_deref()
        .map(|c| {
            analytics::crs::Crs::parse(c)
                .ok_or_else(|| anyhow::anyhow!("--crs: {c:?} is not wgs84, cgcs2000, gcj02 or bd09 (坐标系不支持)"))
        })
        .transpose()
}

fn rules_of(args: &WorldFileArgs) -> anyhow::Result<Rules> {
    for (name, v) in [("--tolerance-m2", args.tolerance_m2), ("--sliver-width-m", args.sliver_width_m)] {
        if !(v.is_finite() && v >= 0.0) {
            anyhow::bail!("{name} must be a number of zero or more (须为不小于零的数)");
        }
    }
    Ok(Rules { tolerance_m2: args.tolerance_m2, sliver_width_m: args.sliver_width_m, ..Rules::default() })
}

fn read(args: &WorldFileArgs) -> anyhow::Result<WorldRead> {
    read_world(&args.file, crs_of(args)?).with_context(|| format!("reading {}", args.file.display()))
}

/// One problem as a line of the text report.
pub fn problem_line(p: &Problem, lang: CliLang) -> String {
    let (severity, kind) = match lang {
        CliLang::Zh => (if p.severity == world::Severity::Error { "错误" } else { "警告" }, p.kind.label_zh()),
        CliLang::En => (if p.severity == world::Severity::Error { "error" } else { "warning" }, p.kind.label_en()),
    };
    let at = match (p.lon, p.lat) {
        (Some(lon), Some(lat)) => format!(" @ {lon:.6},{lat:.6}"),
        _ => String::new(),
    };
    format!("{severity}\t{}\t{}\t{kind}\t{}{at}", p.layer.as_str(), p.code, p.detail)
}

fn summary(report: &Report, lang: CliLang) -> String {
    let (errors, warnings) = (report.errors().count(), report.warnings().count());
    match lang {
        CliLang::Zh => format!("{errors} 个错误，{warnings} 个警告"),
        CliLang::En => format!("{errors} error(s), {warnings} warning(s)"),
    }
}

fn print_report(out: &mut impl Write, read: &WorldRead, report: &Report, args: &WorldFileArgs) -> std::io::Result<()> {
    for note in &read.notes {
        writeln!(out, "# {note}")?;
    }
    for p in &report.problems {
        writeln!(out, "{}", problem_line(p, args.lang))?;
    }
    writeln!(out, "{}", summary(report, args.lang))
}

/// `safegrid world validate`: writes the report to `out`; `Ok(false)` when the file has errors.
pub fn validate_file(args: WorldValidateArgs, out: &mut impl Write) -> anyhow::Result<bool> {
    let read = read(&args.file)?;
    let report = validate(&read.world, &rules_of(&args.file)?);
    match args.format {
        ReportFormat::Json => {
            let doc = serde_json::json!({
                "valid": report.is_valid(),
                "errors": report.errors().count(),
                "warnings": report.warnings().count(),
                "layers": read.layers,
                "crs": read.notes,
                "problems": report.problems,
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        ReportFormat::Text => print_report(out, &read, &report, &args.file)?,
    }
    Ok(report.is_valid())
}

fn parts_of(g: GeographyData) -> WorldParts {
    WorldParts { regions: g.regions, cells: g.cells, resources: g.resources, officers: g.officers }
}

/// The text of a difference, one line per layer and one per changed code.
pub fn difference_lines(d: &Difference, lang: CliLang) -> Vec<String> {
    let mut lines = Vec::new();
    for l in &d.layers {
        lines.push(match lang {
            CliLang::Zh => format!(
                "{}：新增 {}，修改 {}，删除 {}",
                l.layer.as_str(),
                l.added.len(),
                l.changed.len(),
                l.removed.len()
            ),
            CliLang::En => format!(
                "{}: {} added, {} changed, {} removed",
                l.layer.as_str(),
                l.added.len(),
                l.changed.len(),
                l.removed.len()
            ),
        });
        for (sign, codes) in [("+", &l.added), ("~", &l.changed), ("-", &l.removed)] {
            for c in codes {
                lines.push(format!("  {sign} {c}"));
            }
        }
    }
    lines
}

/// `safegrid world import`: refuses a file with errors (writing the report to `out`); with
/// `--dry-run` writes the difference from the current world and changes nothing.
pub async fn import(args: WorldImportArgs, out: &mut (impl Write + Send)) -> anyhow::Result<bool> {
    let read = read(&args.file)?;
    let rules = rules_of(&args.file)?;
    let store = open_store(&args.store).await?;
    let current = WorldFile::from_parts(&parts_of(store.load_geography().await?));
    let next = merged(&current, &read);
    let report = validate(&next, &rules);
    if !report.is_valid() {
        print_report(out, &read, &report, &args.file)?;
        return Ok(false);
    }
    for note in &read.notes {
        writeln!(out, "# {note}")?;
    }
    let diff = difference(&current, &next);
    for line in difference_lines(&diff, args.file.lang) {
        writeln!(out, "{line}")?;
    }
    if args.dry_run {
        return Ok(true);
    }
    let parts = next.to_parts(&rules)?;
    let note = format!("import {}", args.file.file.display());
    let version = publish(store.as_ref(), parts, &diff, note, crate::cli::cli_actor()).await?;
    writeln!(out, "{}", published_line(&version, args.file.lang))?;
    Ok(true)
}

fn published_line(v: &WorldVersion, lang: CliLang) -> String {
    match lang {
        CliLang::Zh => format!("已发布第 {} 版（{}）", v.version, v.published_at),
        CliLang::En => format!("published version {} ({})", v.version, v.published_at),
    }
}

/// Why a world cannot be published although it is valid.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Stored incidents would lie in no cell of the new grid.
    #[error(
        "{count} stored incident(s) lie in no cell of the new grid (ids {first:?}…): extend the grid to cover them (有警情不在新网格内，请补全网格)"
    )]
    Uncovered {
        /// How many.
        count: usize,
        /// The first few ids.
        first: Vec<u64>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Publishes `parts` as the next version by `by`: every stored incident is placed in the new
/// grid (the publication is refused when one falls outside it), and the publication is audited.
pub async fn publish(
    store: &dyn Store,
    parts: WorldParts,
    diff: &Difference,
    note: String,
    by: String,
) -> Result<WorldVersion, PublishError> {
    let geography = GeographyData {
        regions: parts.regions,
        cells: parts.cells,
        resources: parts.resources,
        officers: parts.officers,
    };
    let grid = Geography::new(geography.clone());
    let mut placements = Vec::new();
    let mut uncovered = Vec::new();
    for row in store.load_incident_rows().await? {
        match grid.locate(row.lon, row.lat) {
            Some(i) => {
                let cell = grid.cells()[i as usize].cell.code;
                if cell != row.cell_code {
                    placements.push((row.id, Placement::of_cell(cell)));
                }
            }
            None => uncovered.push(row.id.0),
        }
    }
    if !uncovered.is_empty() {
        return Err(PublishError::Uncovered { count: uncovered.len(), first: uncovered.into_iter().take(5).collect() });
    }
    let changes = serde_json::json!(
        diff.layers
            .iter()
            .map(|l| (l.layer.as_str(), [l.added.len(), l.changed.len(), l.removed.len()]))
            .collect::<std::collections::BTreeMap<_, _>>()
    );
    let moved = placements.len();
    let publication = Publication {
        geography,
        placements,
        by: by.clone(),
        note: note.clone(),
        changes: changes.to_string(),
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let version = store.publish_world(publication).await?;
    store
        .append_audit(NewAudit {
            actor: by,
            role: None,
            action: "publish_world",
            target: version.version.to_string(),
            source: Some("cli".into()),
            result: "ok",
            detail: Some(format!("{note}; {moved} incident(s) re-placed; changes {changes}")),
        })
        .await?;
    Ok(version)
}

/// `safegrid world versions`.
pub async fn versions(store_args: crate::config::StoreArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let store = open_store(&store_args).await?;
    for v in store.world_versions().await? {
        writeln!(out, "{}	{}	{}	{}	{}", v.version, v.published_at, v.by, v.note, v.changes)?;
    }
    Ok(())
}

/// `safegrid world rollback --to N`: publishes version N's world again as a new version.
pub async fn rollback(args: WorldRollbackArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let store = open_store(&args.store).await?;
    let old = store
        .world_of_version(args.to)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--to: there is no version {} (无此版本)", args.to))?;
    let current = WorldFile::from_parts(&parts_of(store.load_geography().await?));
    let target = parts_of(old);
    let diff = difference(&current, &WorldFile::from_parts(&target));
    let note = format!("rollback to version {}", args.to);
    let version = publish(store.as_ref(), target, &diff, note, crate::cli::cli_actor()).await?;
    writeln!(out, "{}", published_line(&version, CliLang::Zh))?;
    Ok(())
}

/// `safegrid world export`.
pub async fn export(args: WorldExportArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store).await?;
    let world = WorldFile::from_parts(&parts_of(store.load_geography().await?));
    write_gpkg(&args.out, &world).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "wrote {}: {} regions, {} cells, {} resources, {} officers, {} grid workers, {} units (已导出基础数据)",
        args.out.display(),
        world.regions.len(),
        world.cells.len(),
        world.resources.len(),
        world.officers.len(),
        world.grid_workers.len(),
        world.units.len()
    );
    Ok(())
}
