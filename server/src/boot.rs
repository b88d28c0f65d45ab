//! Start-up: open the configured store, seed the demo world into an empty embedded store, and
//! build the in-memory indexes from the store.

use crate::api::AppState;
use crate::clock::Clock;
use crate::config::StoreArgs;
use crate::geography::Geography;
use crate::incident_index::{IncidentIndex, IncidentPoint};
use crate::store::gpkg::GpkgStore;
use crate::store::{GeographyData, Store, StoreError, WorldData};
use crate::tiles::{CountsCache, TileShapes};
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use model::Placement;
use std::sync::{Arc, RwLock};

/// The seed `serve` uses when it seeds an empty embedded store.
pub const DEFAULT_DEMO_SEED: u64 = 2024;

/// Opens the store named by `--data-dir` / `--database-url`.
pub fn open_store(args: &StoreArgs) -> anyhow::Result<Arc<dyn Store>> {
    if args.database_url.is_some() {
        bail!(
            "--database-url: this build has no PostGIS backend yet; run on the embedded store with --data-dir \
             (PostGIS 存储尚未提供，请使用 --data-dir)"
        );
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
        },
        incidents: world.incidents.into_iter().map(|d| (d.incident, Placement::of_cell(d.cell_code))).collect(),
        demo_truth_json: truth,
    }
}

/// Generates the demo world and replaces the store's contents with it.
pub async fn seed_demo(store: &dyn Store, seed: u64, end: DateTime<Utc>) -> anyhow::Result<demo::Truth> {
    let world = demo::generate(&demo::DemoParams::new(seed, end)).context("generating the demo world")?;
    let truth = world.truth.clone();
    store.replace_world(world_data(world)).await.context("writing the demo world")?;
    Ok(truth)
}

/// Loads geography and incidents from the store into the request state.
pub async fn load_state(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<AppState, StoreError> {
    let geography = Geography::new(store.load_geography().await?);
    let rows = store.load_incident_rows().await?;
    let mut points = Vec::with_capacity(rows.len());
    let mut orphans = 0usize;
    for r in &rows {
        match geography.cell(r.cell_code) {
            Some((idx, _)) => points.push(IncidentPoint::new(r, idx)),
            None => orphans += 1,
        }
    }
    drop(rows);
    if orphans > 0 {
        tracing::warn!(orphans, "incidents whose cell is not in the store were left out of the index");
    }
    let index = IncidentIndex::new(points);
    let tiles = Arc::new(TileShapes::new(&geography));
    Ok(AppState {
        store,
        geography: Arc::new(geography),
        incidents: Arc::new(RwLock::new(index)),
        clock,
        tiles,
        tile_counts: Arc::new(CountsCache::default()),
        web_dir: None,
        ui: Arc::new(model::api::UiConfig::default()),
    })
}
