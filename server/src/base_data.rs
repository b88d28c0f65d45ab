//! The city's base data from and to world files: `safegrid world validate|import|export|
//! versions|rollback`, and the browser's base-data desk (check an upload or grid edits, then
//! publish). The checks, edits and difference are the `world` crate's; reading and writing
//! files is `store::world_file`'s; this module runs them against a store. It knows no HTTP.

use crate::boot::open_store;
use crate::config::{
    CliLang, ReportFormat, WorldExportArgs, WorldFileArgs, WorldImportArgs, WorldRollbackArgs, WorldValidateArgs,
};
use crate::geography::Geography;
use crate::state::AppState;
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

/// The latest published version (0 before the first) and the world as stored. The version is
/// read first: a publication in between makes the pair look stale, never fresh.
pub async fn published_world(store: &dyn Store) -> Result<(u32, WorldFile), store::StoreError> {
    let version = store.world_versions().await?.last().map_or(0, |v| v.version);
    let world = WorldFile::from_parts(&parts_of(store.load_geography().await?));
    Ok((version, world))
}

fn parts_of(g: GeographyData) -> WorldParts {
    WorldParts {
        regions: g.regions,
        cells: g.cells,
        resources: g.resources,
        officers: g.officers,
        departments: g.departments,
        mediators: g.mediators,
    }
}

/// The geography a world's parts make (the inverse of [`parts_of`]).
fn geography_of(p: WorldParts) -> GeographyData {
    GeographyData {
        regions: p.regions,
        cells: p.cells,
        resources: p.resources,
        officers: p.officers,
        departments: p.departments,
        mediators: p.mediators,
    }
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
    let (follows, current) = published_world(store.as_ref()).await?;
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
    let parts = next.to_parts(&rules)?;
    if args.dry_run {
        let grid = Geography::new(geography_of(parts));
        let found = placements_in(store.as_ref(), &grid).await?;
        let (moved, uncovered) = (found.moved.len(), found.uncovered.len());
        writeln!(
            out,
            "{}",
            match (args.file.lang, uncovered) {
                (CliLang::Zh, 0) => format!("试导入：{moved} 件已存警情将改划到其他网格"),
                (CliLang::Zh, _) => format!(
                    "试导入：{moved} 件已存警情将改划到其他网格，{uncovered} 件不在新网格内（发布将被拒绝，首批编号 {:?}）",
                    &found.uncovered[..uncovered.min(5)]
                ),
                (CliLang::En, 0) => format!("dry run: {moved} stored incident(s) would move to another cell"),
                (CliLang::En, _) => format!(
                    "dry run: {moved} stored incident(s) would move to another cell; {uncovered} lie in no cell of the new grid (publication would be refused; first ids {:?})",
                    &found.uncovered[..uncovered.min(5)]
                ),
            }
        )?;
        return Ok(true);
    }
    let note = format!("import {}", args.file.file.display());
    let done = publish(store.as_ref(), parts, &diff, note, Author::cli(), Some(follows)).await?;
    writeln!(out, "{}", published_line(&done.version, args.file.lang))?;
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
    /// The world has errors.
    #[error(transparent)]
    Invalid(world::Invalid),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Who publishes, for the version and the audit log.
#[derive(Debug, Clone)]
pub struct Author {
    /// A username, or `cli:<os user>`.
    pub by: String,
    /// Their role, if a user.
    pub role: Option<model::auth::Role>,
    /// From where (`cli`, or the client's address).
    pub source: String,
}

impl Author {
    /// The command line's user.
    pub fn cli() -> Author {
        Author { by: crate::cli::cli_actor(), role: None, source: "cli".into() }
    }
}

/// What a publication did.
#[derive(Debug, Clone)]
pub struct Published {
    /// The version.
    pub version: WorldVersion,
    /// Incidents placed in another cell.
    pub moved_incidents: usize,
}

/// Publishes `parts` as the next version by `author`, decided on version `follows` (refused
/// with [`store::StoreError::StaleWorld`] when another was published since): every stored
/// incident is placed in the new grid (the publication is refused when one falls outside it),
/// and the publication is audited.
pub async fn publish(
    store: &dyn Store,
    parts: WorldParts,
    diff: &Difference,
    note: String,
    author: Author,
    follows: Option<u32>,
) -> Result<Published, PublishError> {
    let by = author.by.clone();
    let geography = geography_of(parts);
    let Placements { moved: placements, uncovered, .. } =
        placements_in(store, &Geography::new(geography.clone())).await?;
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
        follows,
    };
    let version = store.publish_world(publication).await?;
    store
        .append_audit(NewAudit {
            actor: by,
            role: author.role,
            action: "publish_world",
            target: version.version.to_string(),
            source: Some(author.source),
            result: "ok",
            detail: Some(format!("{note}; {moved} incident(s) re-placed; changes {changes}")),
        })
        .await?;
    Ok(Published { version, moved_incidents: moved })
}

/// Where the stored incidents fall in a grid.
#[derive(Debug, Clone, Default)]
pub struct Placements {
    /// Incidents that lie in another cell than the one stored, with their new placement.
    pub moved: Vec<(model::IncidentId, Placement)>,
    /// Ids of the incidents that lie in no cell.
    pub uncovered: Vec<u64>,
    /// Incidents located.
    pub located: usize,
    /// Seconds spent locating them (reading them from the store aside).
    pub locate_s: f64,
}

impl Placements {
    /// One line saying so, in `lang`.
    pub fn line(&self, lang: CliLang) -> String {
        let (n, moved, uncovered) = (self.located, self.moved.len(), self.uncovered.len());
        let rate = n as f64 / self.locate_s.max(1e-9);
        match lang {
            CliLang::Zh => format!(
                "已定位 {n} 件警情（{:.2} 秒，每秒 {rate:.0} 件）：{moved} 件不在所存网格内，{uncovered} 件不在任何网格内",
                self.locate_s
            ),
            CliLang::En => format!(
                "located {n} incident(s) ({:.2} s, {rate:.0} a second): {moved} lie in another cell than stored, {uncovered} in no cell",
                self.locate_s
            ),
        }
    }
}

/// Locates every stored incident in `grid`.
pub async fn placements_in(store: &dyn Store, grid: &Geography) -> Result<Placements, store::StoreError> {
    let rows = store.load_incident_rows().await?;
    let started = std::time::Instant::now();
    let mut out = Placements { located: rows.len(), ..Placements::default() };
    for row in &rows {
        match grid.locate(row.lon, row.lat) {
            Some(i) => {
                let cell = grid.cells()[i as usize].cell.code;
                if cell != row.cell_code {
                    out.moved.push((row.id, Placement::of_cell(cell)));
                }
            }
            None => out.uncovered.push(row.id.0),
        }
    }
    out.locate_s = started.elapsed().as_secs_f64();
    Ok(out)
}

/// `safegrid world placements`: locates every stored incident in the grid in force and says how
/// many lie elsewhere than stored; `false` when any does.
pub async fn check_placements(store_args: crate::config::StoreArgs, out: &mut impl Write) -> anyhow::Result<bool> {
    let store = open_store(&store_args).await?;
    let grid = Geography::new(store.load_geography().await?);
    let found = placements_in(store.as_ref(), &grid).await?;
    writeln!(out, "{}", found.line(CliLang::Zh))?;
    writeln!(out, "{}", found.line(CliLang::En))?;
    for (id, p) in found.moved.iter().take(5) {
        writeln!(out, "  {} -> {}", id.0, p.cell_code)?;
    }
    Ok(found.moved.is_empty() && found.uncovered.is_empty())
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
    let (follows, current) = published_world(store.as_ref()).await?;
    let target = parts_of(old);
    let diff = difference(&current, &WorldFile::from_parts(&target));
    let note = format!("rollback to version {}", args.to);
    let done = publish(store.as_ref(), target, &diff, note, Author::cli(), Some(follows)).await?;
    writeln!(out, "{} / {}", published_line(&done.version, CliLang::Zh), published_line(&done.version, CliLang::En))?;
    Ok(())
}

/// `safegrid world export`.
pub async fn export(args: WorldExportArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store).await?;
    let world = WorldFile::from_parts(&parts_of(store.load_geography().await?));
    write_gpkg(&args.out, &world).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "wrote {}: {} regions, {} cells, {} resources, {} officers, {} grid workers, {} units, {} departments, {} mediators (已导出基础数据)",
        args.out.display(),
        world.regions.len(),
        world.cells.len(),
        world.resources.len(),
        world.officers.len(),
        world.grid_workers.len(),
        world.units.len(),
        world.departments.len(),
        world.mediators.len()
    );
    Ok(())
}

/// A world checked against the published one, not yet published (the browser's base-data desk).
#[derive(Debug, Clone)]
pub struct Checked {
    /// The published version it was compared with.
    pub base_version: u32,
    /// The published world.
    pub current: WorldFile,
    /// The world that would be published.
    pub next: WorldFile,
    /// The layers the upload had (every layer for edits).
    pub layers: Vec<world::Layer>,
    /// How the upload's coordinates were read.
    pub notes: Vec<String>,
    /// Validation of `next`.
    pub report: Report,
    /// From `current` to `next`.
    pub diff: Difference,
}

/// Why an upload or an edit could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The file's name is not one a world file has.
    #[error("{0}")]
    Name(String),
    /// The file could not be read.
    #[error(transparent)]
    File(#[from] store::world_file::WorldFileError),
    /// Edit `index` cannot be made.
    #[error("edits[{index}].{}: {}", .error.field, .error.message)]
    Edit {
        /// Its position.
        index: usize,
        /// Why.
        error: world::EditError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The analysis places were full or shutting down.
    #[error(transparent)]
    Job(#[from] crate::jobs::JobError),
}

/// The extension of an uploaded world file's name (`cells.geojson`, `world.gpkg`,
/// `cells.zip`), checked: the name says how to read it and, for one layer, which layer it is.
pub fn upload_name(name: &str) -> Result<String, CheckError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let ok = !base.is_empty()
        && base.len() <= 100
        && base.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !base.starts_with('.');
    let ext = base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !ok || !["gpkg", "geojson", "json", "zip"].contains(&ext.as_str()) {
        return Err(CheckError::Name(
            "a world file is a .gpkg, one layer's .geojson (named after the layer) or a .zip of Shapefiles, named in ASCII letters, digits, _ - . (文件须为 .gpkg、.geojson 或 .zip)".into(),
        ));
    }
    Ok(base.to_owned())
}

/// Validates `next` and compares it with `current`, on the analysis places.
async fn checked(
    state: &AppState,
    base_version: u32,
    current: WorldFile,
    next: WorldFile,
    layers: Vec<world::Layer>,
    notes: Vec<String>,
) -> Result<Checked, CheckError> {
    let (current, next, report, diff) = state
        .jobs
        .run(move |_| {
            let report = validate(&next, &Rules::default());
            let diff = difference(&current, &next);
            Ok((current, next, report, diff))
        })
        .await?;
    Ok(Checked { base_version, current, next, layers, notes, report, diff })
}

/// Checks an uploaded world file (or one layer of it, the others kept as published): read in
/// a private temporary file named `name`, with `crs` where the file does not say.
pub async fn check_upload(
    state: &AppState,
    bytes: Vec<u8>,
    name: &str,
    crs: Option<analytics::crs::Crs>,
) -> Result<Checked, CheckError> {
    let name = upload_name(name)?;
    let (base_version, current) = published_world(state.store.as_ref()).await?;
    let read = state
        .jobs
        .run(move |_| {
            Ok((|| {
                let dir = tempfile::Builder::new().prefix("safegrid-upload-").tempdir()?;
                let path = dir.path().join(&name);
                std::fs::write(&path, &bytes)?;
                Ok::<_, std::io::Error>(read_world(&path, crs))
            })())
        })
        .await?
        .map_err(|e| store::world_file::WorldFileError::Open { path: "upload".into(), message: e.to_string() })??;
    let next = merged(&current, &read);
    checked(state, base_version, current, next, read.layers, read.notes).await
}

/// Checks `edits` made in order on the published world of `base_version` (a later
/// publication makes them stale: [`store::StoreError::StaleWorld`]).
pub async fn check_edits(state: &AppState, base_version: u32, edits: &[world::Edit]) -> Result<Checked, CheckError> {
    let (latest, current) = published_world(state.store.as_ref()).await?;
    if latest != base_version {
        return Err(store::StoreError::StaleWorld { follows: base_version, current: latest }.into());
    }
    let next = world::apply_all(&current, edits).map_err(|(index, error)| CheckError::Edit { index, error })?;
    checked(state, base_version, current, next, world::Layer::ALL.to_vec(), Vec::new()).await
}

/// Publishes a checked world that has no error, decided on its base version, and tells this
/// instance to reload.
pub async fn publish_checked(
    state: &AppState,
    checked: &Checked,
    note: String,
    author: Author,
) -> Result<Published, PublishError> {
    let parts = checked.next.to_parts(&Rules::default()).map_err(PublishError::Invalid)?;
    let done = publish(state.store.as_ref(), parts, &checked.diff, note, author, Some(checked.base_version)).await?;
    state.world_published.notify_one();
    Ok(done)
}
