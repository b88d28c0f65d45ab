//! Start-up: open the configured store, seed the demo world into an empty embedded store, and
//! build the in-memory indexes from the store.

use crate::clock::Clock;
use crate::config::StoreArgs;
use crate::geography::Geography;
use crate::incident_index::{IncidentIndex, IncidentPoint};
use crate::state::AppState;
use anyhow::Context;
use model::taxonomy::Workflow;
use store::gpkg::GpkgStore;
use store::{GeographyData, INCIDENT_PART_IDS, NewUser, Store, StoreError, WorldData};

use model::Placement;
use model::RegionCode;
use model::auth::Role;
use std::sync::Arc;

/// The seed `serve` uses when it seeds an empty embedded store.
pub const DEFAULT_DEMO_SEED: u64 = 2024;

/// Opens the store named by `--data-dir` / `--database-url`. A PostGIS database without the
/// SafeGrid schema gets it; one whose schema is older or newer than this build, or without
/// PostGIS, is refused with a message saying what to do.
pub async fn open_store(args: &StoreArgs) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(url) = &args.database_url {
        let store = store::postgis::open(url, args.db_pool).await.context("opening the PostGIS store")?;
        return Ok(Arc::new(store));
    }
    let store =
        GpkgStore::open(&args.data_dir).with_context(|| format!("opening the store in {}", args.data_dir.display()))?;
    Ok(Arc::new(store))
}

/// The store form of a generated demo world.
pub fn world_data(world: demo::World) -> WorldData {
    let truth = serde_json::to_string(&world.truth).ok();
    WorldData {
        geography: GeographyData {
            regions: world.regions,
            cells: world.cells,
            resources: world.resources,
            officers: world.officers,
            departments: world.departments,
            mediators: world.mediators,
        },
        incidents: world.incidents.into_iter().map(|d| (d.incident, Placement::of_cell(d.cell_code))).collect(),
        demo_truth_json: truth,
    }
}

/// The demo's desk records as live-log events for a store whose log was just emptied by
/// `replace_world`: disputes, petitions and receptions are numbered 1, 2, … in order, as
/// `DeskCheck::NewSubject` would.
fn demo_desk_events(records: Vec<demo::desk::DeskRecord>) -> Vec<model::live::NewLiveEvent> {
    use crate::desk_records::desk_event;
    use model::live::LiveKind;
    let mut out = Vec::new();
    let (mut id, mut petition, mut reception) = (0, 0, 0);
    for r in records {
        match r {
            demo::desk::DeskRecord::Visit(v) => out.push(desk_event(LiveKind::Visit, v.officer, &v.by, v.at, &v)),
            demo::desk::DeskRecord::Petition(p, changes) => {
                petition += 1;
                out.push(desk_event(LiveKind::Petition, petition, &p.by, p.at, &p));
                for c in changes {
                    let c = model::desk_book::PetitionChange { id: petition, ..c };
                    out.push(desk_event(LiveKind::PetitionChanged, petition, &c.by, c.at, &c));
                }
            }
            demo::desk::DeskRecord::Reception(r) => {
                reception += 1;
                out.push(desk_event(LiveKind::Reception, reception, &r.by, r.at, &r));
            }
            demo::desk::DeskRecord::Screening(x) => {
                let subject = model::screening::subject(x.village, x.month);
                out.push(desk_event(LiveKind::Screening, subject, &x.by, x.at, &x));
            }
            demo::desk::DeskRecord::Dispute(d, changes) => {
                id += 1;
                out.push(desk_event(LiveKind::Dispute, id, &d.by, d.at, &d));
                for c in changes {
                    let c = model::desk_book::DisputeChange { id, ..c };
                    out.push(desk_event(LiveKind::DisputeChanged, id, &c.by, c.at, &c));
                }
            }
        }
    }
    out
}

/// Stores the demo's 综治 events after its incidents, and returns their work orders' steps as
/// live-log events. The events are loaded in one transaction after the store's last incident, so
/// they get the next ids in order (checked on the first and the last).
async fn seed_orders(
    store: &dyn Store,
    events: Vec<demo::orders::DemoEvent>,
) -> anyhow::Result<Vec<model::live::NewLiveEvent>> {
    use model::live::{IncidentChange, LiveKind, NewLiveEvent};
    let Some(last_event) = events.last() else { return Ok(Vec::new()) };
    let first = store.load_incident_rows().await?.iter().map(|r| r.id.0).max().unwrap_or(0) + 1;
    let items =
        events.iter().map(|e| (e.incident.incident.clone(), Placement::of_cell(e.incident.cell_code))).collect();
    store.bulk_load(items).await?;
    let last = first + events.len() as u64 - 1;
    let check = store
        .incidents_by_id(&model::scope::Scope::everything(), vec![model::IncidentId(first), model::IncidentId(last)])
        .await?;
    let external = |id: u64| check.iter().find(|i| i.id.0 == id).and_then(|i| i.fields.external_id.clone());
    anyhow::ensure!(
        external(first) == events[0].incident.incident.external_id
            && external(last) == last_event.incident.incident.external_id,
        "the 综治 events did not get the ids {first}..={last}"
    );
    let mut log: Vec<NewLiveEvent> = Vec::new();
    for (e, id) in events.iter().zip(first..) {
        for c in &e.steps {
            let change = IncidentChange { id, ..c.clone() };
            log.push(NewLiveEvent {
                at: c.at,
                kind: LiveKind::IncidentChanged,
                subject: id,
                cell_code: Some(e.incident.cell_code),
                category: Some(e.incident.incident.category),
                actor: Some(c.by.clone()),
                data: serde_json::to_string(&change)?,
            });
        }
    }
    Ok(log)
}

/// One of the demo's recent or open 110 calls: what finds it in the store (source, external
/// id), what its live-log events carry (cell, category), its steps, and the unit still out on it
/// at the end (as it stands then: at the call once on scene, else at its station).
struct PoliceCall {
    key: (model::Source, String),
    cell_code: model::CellCode,
    category: model::Category,
    steps: Vec<model::live::IncidentChange>,
    unit_out: Option<model::live::UnitState>,
}

fn police_calls(world: &demo::World) -> Vec<PoliceCall> {
    world
        .police
        .steps
        .iter()
        .filter_map(|(i, steps)| {
            let d = world.incidents.get(*i)?;
            let unit_out = world.police.busy_units.iter().find(|(_, k)| k == i).and_then(|(unit, _)| {
                let r = world.resources.iter().find(|r| r.id == *unit)?;
                let dispatched = steps.first()?;
                let on_scene = steps.get(1);
                let (lon, lat) = if on_scene.is_some() { (d.incident.lon, d.incident.lat) } else { (r.lon, r.lat) };
                Some(model::live::UnitState {
                    id: r.id,
                    name: r.name.clone(),
                    lon,
                    lat,
                    status: model::live::UnitStatus::Busy,
                    incident: None,
                    at: on_scene.unwrap_or(dispatched).at,
                })
            });
            Some(PoliceCall {
                key: (d.incident.source, d.incident.external_id.clone()?),
                cell_code: d.cell_code,
                category: d.incident.category,
                steps: steps.clone(),
                unit_out,
            })
        })
        .collect()
}

/// The steps of the demo's recent 110 calls, and the units still out on them, as live-log
/// events, each under the id the store gave its call.
async fn police_call_events(
    store: &dyn Store,
    calls: Vec<PoliceCall>,
) -> anyhow::Result<Vec<model::live::NewLiveEvent>> {
    use model::live::{IncidentChange, LiveKind, NewLiveEvent};
    let mut log: Vec<NewLiveEvent> = Vec::new();
    for call in calls {
        let (source, external_id) = &call.key;
        let id = store
            .incident_by_external(*source, external_id)
            .await?
            .with_context(|| format!("no stored incident {external_id}"))?
            .0;
        for c in call.steps {
            let change = IncidentChange { id, ..c };
            log.push(NewLiveEvent {
                at: change.at,
                kind: LiveKind::IncidentChanged,
                subject: id,
                cell_code: Some(call.cell_code),
                category: Some(call.category),
                actor: Some(change.by.clone()),
                data: serde_json::to_string(&change)?,
            });
        }
        if let Some(unit) = call.unit_out {
            let unit = model::live::UnitState { incident: Some(id), ..unit };
            log.push(NewLiveEvent {
                at: unit.at,
                kind: LiveKind::Unit,
                subject: unit.id,
                cell_code: Some(call.cell_code),
                category: None,
                actor: None,
                data: serde_json::to_string(&unit)?,
            });
        }
    }
    Ok(log)
}

/// The department of the demo's `department` user.
pub const DEMO_DEPARTMENT: &str = "law_enforcement-620602";

/// The grid worker of the demo's `grid_worker` user: the first one serving the first village of
/// the first officer (the demo's `village` user), so the two demo users share a village.
pub fn demo_grid_worker(resources: &[model::Resource], officers: &[model::Officer]) -> Option<u64> {
    let village = officers.first()?.villages.first()?;
    resources.iter().find(|r| r.kind == model::ResourceKind::GridWorker && r.region_code == *village).map(|r| r.id)
}

/// A demo login: username, role, password.
pub type DemoLogin = (String, Role, String);

/// Generates the demo world, replaces the store's contents with it, and creates (or resets the
/// passwords of) one user per role with fresh random passwords, written to
/// `data_dir/demo-logins.txt` (owner-only) when a data directory is given.
pub async fn seed_demo(
    store: &dyn Store,
    params: &demo::DemoParams,
    data_dir: Option<&std::path::Path>,
) -> anyhow::Result<(demo::Truth, Vec<DemoLogin>)> {
    let mut world = demo::generate(params).context("generating the demo world")?;
    let orders = std::mem::take(&mut world.orders);
    let police_calls = police_calls(&world);
    let truth = world.truth.clone();
    let demo_grid_worker = demo_grid_worker(&world.resources, &world.officers);
    let first_officer = world.officers.first().map(|o| o.id);
    // The demo's department user works for 凉州区's law enforcement bureau (城市管理 events).
    let demo_department = world.departments.iter().find(|d| d.code.as_str() == DEMO_DEPARTMENT).cloned();
    let desk = demo::desk::records(&world.regions, &world.officers, &world.mediators, params.end, params.seed);
    store.replace_world(world_data(world)).await.context("writing the demo world")?;
    store.append_events(demo_desk_events(desk)).await.context("writing the demo desk records")?;
    // The two finished campaigns, numbered 1 and 2 as `DeskCheck::NewSubject` would.
    let campaigns = truth.campaigns.iter().enumerate().map(|(k, p)| {
        let c = &p.campaign;
        crate::desk_records::desk_event(model::live::LiveKind::Campaign, k as u64 + 1, &c.by, c.at, c)
    });
    store.append_events(campaigns.collect()).await.context("writing the demo's campaigns")?;
    let mut steps = seed_orders(store, orders).await.context("writing the demo's 综治 events")?;
    steps.extend(police_call_events(store, police_calls).await.context("finding the demo's recent 110 events")?);
    // One log in time order: the 综治 orders' steps and the recent 110 events'.
    steps.sort_by_key(|e| e.at);
    store.append_events(steps).await.context("writing the demo's event steps")?;
    let city: RegionCode = "620600000000".parse()?;
    let (county, township): (RegionCode, RegionCode) = ("620602000000".parse()?, "620602001000".parse()?);
    let mut logins = Vec::new();
    // One demo user per role, named after it (a new role gets one, or this does not build).
    for &role in Role::ALL {
        let (jurisdiction, officer_id, grid_worker_id) = match role {
            Role::City | Role::Analyst | Role::Admin => (Some(city), None, None),
            Role::County | Role::Leader => (Some(county), None, None),
            Role::Township => (Some(township), None, None),
            Role::Village => (None, first_officer, None),
            Role::Department => (demo_department.as_ref().map(|d| d.region), None, None),
            Role::GridWorker => (None, None, demo_grid_worker),
        };
        let name = role.as_str();
        let password: String = crate::auth::new_token().chars().take(16).collect();
        let hash = crate::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let department = (role == Role::Department).then(|| demo_department.as_ref().map(|d| d.code.clone())).flatten();
        let new = NewUser {
            username: name.into(),
            password_hash: hash.clone(),
            role,
            jurisdiction,
            officer_id,
            department,
            grid_worker_id,
        };
        if store.create_user(new).await?.is_none()
            && let Some((existing, _)) = store.user_by_name(name).await?
        {
            store.set_password(existing.id, hash, None).await?;
            store.set_user_disabled(name, false).await?;
        }
        logins.push((name.to_owned(), role, password));
    }
    if let Some(dir) = data_dir {
        let path = dir.join("demo-logins.txt");
        let text: String = logins.iter().map(|(u, r, p)| format!("{u}\t{}\t{p}\n", r.as_str())).collect();
        write_private(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok((truth, logins))
}

/// Writes a file readable by its owner only.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// Opens the store and builds the request state ([`state_of`]).
pub async fn open_state(args: &StoreArgs, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    state_of(open_store(args).await?, args, clock).await
}

/// Builds the request state over an open store: every incident in memory, or, when the store
/// answers queries in place (PostGIS), those of the last `--memory-window-days` in memory and
/// queries reaching further back answered by the store (`reads`).
pub async fn state_of(store: Arc<dyn Store>, args: &StoreArgs, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let Some(reads) = store.past_reads() else { return Ok(load_state(store, clock).await?) };
    let since = clock.now() - chrono::Duration::days(i64::from(args.memory_window_days));
    let mut state = load_state_since(store, clock, Some(since)).await?;
    state.past = Some(Arc::new(crate::reads::Past::new(since, reads)));
    Ok(state)
}

/// Loads geography and every incident from the store into the request state.
pub async fn load_state(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<AppState, StoreError> {
    load_state_since(store, clock, None).await
}

/// Parts read at once: the store parses one while the next is read, and the rows held at any
/// time are a few parts', not every incident's.
const READS_AT_ONCE: usize = 2;

/// The index records of the incidents that occurred at or after `since` (all when `None`), read
/// in parts of the id range, [`READS_AT_ONCE`] at a time; and how many rows were left out
/// because their cell is not in `geography`.
async fn read_points(
    store: &Arc<dyn Store>,
    geography: &Geography,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(Vec<IncidentPoint>, usize), StoreError> {
    let Some(span) = store.incident_id_span(since).await? else { return Ok((Vec::new(), 0)) };
    let (lo, hi) = (*span.start(), *span.end());
    if lo > hi {
        return Ok((Vec::new(), 0));
    }
    let ids = (hi - lo).saturating_add(1);
    // The parts of the id range aligned to multiples of INCIDENT_PART_IDS (the embedded store
    // keeps each one's index fields packed); ids far apart (written by hand) in wider parts.
    let part_ids = INCIDENT_PART_IDS.max(ids.div_ceil(4_096).next_power_of_two());
    let first = lo / part_ids;
    let parts = hi / part_ids - first + 1;
    let mut ranges = (first..first + parts)
        .map(move |k| (k * part_ids).max(lo)..=(k * part_ids).saturating_add(part_ids - 1).min(hi));
    let mut points: Vec<IncidentPoint> = Vec::new();
    let mut orphans = 0usize;
    let mut reading = std::collections::VecDeque::new();
    loop {
        while reading.len() < READS_AT_ONCE {
            let Some(range) = ranges.next() else { break };
            let store = Arc::clone(store);
            reading.push_back(tokio::spawn(async move { store.incident_rows(range, since).await }));
        }
        let Some(next) = reading.pop_front() else { break };
        let rows = next.await.map_err(|e| StoreError::Task(e.to_string()))??;
        if points.capacity() == 0 && since.is_none() {
            // As many as the first part's density promises (ids are dense in practice): one
            // allocation instead of a doubling copy of every record.
            points.reserve((rows.len() as u64).saturating_mul(parts).min(ids).min(1 << 27) as usize);
        }
        for r in rows {
            match geography.cell(r.cell_code) {
                Some((idx, _)) => points.push(IncidentPoint::new(&r, idx)),
                None => orphans += 1,
            }
        }
    }
    if points.capacity() > points.len() + points.len() / 4 {
        points.shrink_to_fit();
    }
    Ok((points, orphans))
}

/// Loads geography, and the incidents that occurred at or after `since` (all when `None`), into
/// the request state; the index then refuses older incidents.
pub async fn load_state_since(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<AppState, StoreError> {
    let started = std::time::Instant::now();
    let geography = Geography::new(store.load_geography().await?);
    let (points, orphans) = read_points(&store, &geography, since).await?;
    let read_s = started.elapsed().as_secs_f64();
    if orphans > 0 {
        tracing::warn!(orphans, "incidents whose cell is not in the store were left out of the index");
    }
    let index = match since {
        Some(t) => IncidentIndex::with_floor(points, t.timestamp()),
        None => IncidentIndex::new(points),
    };
    let indexed_s = started.elapsed().as_secs_f64() - read_s;
    let live = Arc::new(crate::live::Live::load(store.as_ref(), &geography, clock.now()).await?);
    // Work orders still open but last changed before the board's window: read back one by one.
    let mut older = Vec::new();
    index.for_each(&crate::incident_index::IncidentFilter::new(crate::incident_index::CellScope::all()), |p| {
        if p.status.is_open() && p.status != model::Status::Reported && p.category.workflow() == Workflow::Department {
            older.push(p.id.0);
        }
    });
    older.retain(|id| live.board().order(*id).is_none());
    for id in older {
        let history = store.subject_events(model::live::LiveKind::IncidentChanged, id).await?;
        live.apply_board(&history);
    }
    tracing::info!(
        incidents = index.len(),
        read_s,
        indexed_s,
        total_s = started.elapsed().as_secs_f64(),
        "state loaded: geography and incidents read, incident index built, live log read"
    );
    Ok(AppState::new(store, geography, index, clock, live))
}
