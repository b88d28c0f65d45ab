//! The state every request, service and command shares: the store, the in-memory indexes, the
//! live board, the group-committing writers and the settings. Built in one place,
//! [`AppState::new`]; the HTTP API (`api`) is one of its users, not its owner.

use crate::clock::Clock;
use crate::geography::Geography;
use crate::incident_index::IncidentIndex;
use crate::tiles::TileShapes;
use std::sync::{Arc, RwLock};
use store::Store;

/// Shared state of every request, service and command.
#[derive(Clone)]
pub struct AppState {
    /// The system of record.
    pub store: Arc<dyn Store>,
    /// Regions, cells, resources, officers.
    pub geography: Arc<Geography>,
    /// The incident index (write-locked only to apply acknowledged writes).
    pub incidents: Arc<RwLock<IncidentIndex>>,
    /// "Now".
    pub clock: Arc<dyn Clock>,
    /// Region and cell geometry prepared for vector tiles.
    pub tiles: Arc<crate::tiles::TileShapes>,
    /// Recent per-cell counts for cell tiles.
    pub tile_counts: Arc<crate::tiles::CountsCache>,
    /// The built frontend served at `/`, if any.
    pub web_dir: Option<std::path::PathBuf>,
    /// Public settings for the browser (base layers).
    pub ui: Arc<model::api::UiConfig>,
    /// Failed-attempt counters (logins, password changes, unknown tokens).
    pub throttle: Arc<crate::throttle::Throttle>,
    /// Proxies whose forwarding headers name the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<crate::peer::TrustedProxies>,
    /// Places for heavy analyses.
    pub jobs: Arc<crate::jobs::Jobs>,
    /// Turns for password checks (argon2id: CPU and 19 MiB each), one per core.
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// Sessions recently confirmed by the store.
    pub sessions: Arc<crate::auth::SessionCache>,
    /// With PostGIS and a memory window: the database answering queries that reach before it.
    pub past: Option<Arc<crate::reads::Past>>,
    /// Incident writes, group-committed.
    pub commit: Arc<crate::ingest::GroupCommit>,
    /// The audit log, group-committed.
    pub audit_log: Arc<crate::ingest::AuditLog>,
    /// Live-log appends, group-committed.
    pub event_log: Arc<crate::ingest::EventLog>,
    /// The live board and feed.
    pub live: Arc<crate::live::Live>,
    /// Deadlines, alert thresholds, dispatch estimate.
    pub settings: Arc<crate::live::LiveSettings>,
    /// The published version of the world this state was loaded from (none before the first).
    pub world_version: Option<u32>,
    /// Told when this instance publishes a world, so that it reloads at once (other instances
    /// notice by polling the store).
    pub world_published: Arc<tokio::sync::Notify>,
    /// Counties whose forecast trial is running in this instance.
    pub trials_running: Arc<std::sync::Mutex<std::collections::HashSet<model::RegionCode>>>,
}

impl AppState {
    /// The state over a loaded store: `geography` and `index` built from it, `live` loaded from
    /// its live log. Starts the live pump and the group-committing writers; settings are the
    /// defaults (the caller changes what its flags say).
    pub fn new(
        store: Arc<dyn Store>,
        geography: Geography,
        index: IncidentIndex,
        clock: Arc<dyn Clock>,
        live: Arc<crate::live::Live>,
    ) -> AppState {
        let tiles = Arc::new(TileShapes::new(&geography));
        let incidents = Arc::new(RwLock::new(index));
        crate::live::spawn_pump(store.clone(), live.clone(), incidents.clone());
        let commit = Arc::new(crate::ingest::GroupCommit::new(store.clone(), incidents.clone(), live.clone()));
        let audit_log = Arc::new(crate::ingest::AuditLog::new(store.clone()));
        let event_log = Arc::new(crate::ingest::EventLog::new(store.clone()));
        AppState {
            store,
            geography: Arc::new(geography),
            incidents,
            clock,
            tiles,
            tile_counts: Arc::new(crate::tiles::counts_cache()),
            web_dir: None,
            ui: Arc::new(model::api::UiConfig::default()),
            throttle: Arc::default(),
            trusted_proxies: Arc::default(),
            jobs: Arc::default(),
            password_checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            )),
            sessions: Arc::new(crate::auth::SessionCache::default()),
            past: None,
            commit,
            audit_log,
            event_log,
            live,
            settings: Arc::new(crate::live::LiveSettings::default()),
            world_version: None,
            world_published: Arc::default(),
            trials_running: Arc::default(),
        }
    }

    /// Read access to the incident index (a poisoned lock still holds consistent data: writers
    /// only push whole records).
    pub fn index(&self) -> std::sync::RwLockReadGuard<'_, IncidentIndex> {
        self.incidents.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends to the audit log; returns once it is durable (shared commits with other requests).
    pub async fn audit(&self, entry: store::NewAudit) -> Result<(), store::StoreError> {
        self.audit_log.append(entry).await
    }

    /// Appends to the live log (shared commits with other requests), folds the events into the
    /// board and index at once, and wakes the pump to publish them.
    pub async fn log(
        &self,
        events: Vec<model::live::NewLiveEvent>,
    ) -> Result<Vec<model::live::LiveEvent>, store::StoreError> {
        let written = self.event_log.append(events).await?;
        self.live.apply(&written, &self.incidents);
        self.live.wake();
        Ok(written)
    }

    /// Write access to the incident index.
    pub fn index_mut(&self) -> std::sync::RwLockWriteGuard<'_, IncidentIndex> {
        self.incidents.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
