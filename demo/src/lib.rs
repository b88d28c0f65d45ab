//! The Wuwei demo world: real county boundaries and division codes, with everything the open
//! sources lack synthesised deterministically from a seed (townships', villages' and grid cells'
//! boundaries, populations, a year of incidents, prevention resources and officers).
//!
//! Invariants: no IO (the source files are compiled in), no clock reads (`end` is a parameter),
//! same seed and end → the same world, bit for bit. What was planted (hot cells, emerging cells,
//! near-repeat parameters) is returned in [`Truth`] so analyses can be checked against it.

pub mod campaigns;
pub mod departments;
pub mod desk;
mod geography;
pub mod handling;
mod incidents;
pub mod mediators;
mod names;
pub mod orders;
mod resources;
mod sample;
mod sources;

use chrono::{DateTime, Utc};
use model::{CellCode, NewIncident, Officer, Resource};
pub use model::{CellShape, RegionShape};
use serde::{Deserialize, Serialize};

pub use incidents::{CATEGORY_MIX, NEAR_REPEAT_SUBCATEGORIES};

/// Why the demo world could not be built (only if the compiled-in sources are inconsistent).
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A source file did not parse.
    #[error("demo source {file}: {message}")]
    Source {
        /// Which file.
        file: &'static str,
        /// What was wrong.
        message: String,
    },
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoParams {
    /// Random seed; the same seed gives the same world.
    pub seed: u64,
    /// End of the incident history (exclusive); usually "now".
    pub end: DateTime<Utc>,
    /// Days of history before `end`.
    pub days: u32,
    /// Background incidents before near-repeat offspring and emerging-hot-spot extras are added.
    pub base_incidents: usize,
}

impl DemoParams {
    /// The defaults of `safegrid demo`: a year and about 210,000 incidents.
    pub fn new(seed: u64, end: DateTime<Utc>) -> DemoParams {
        DemoParams { seed, end, days: 365, base_incidents: 200_000 }
    }
}

/// A generated incident and the cell it was generated in.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoIncident {
    /// The incident's fields.
    pub incident: NewIncident,
    /// The cell whose polygon contains its point.
    pub cell_code: CellCode,
}

/// An emerging hot spot the generator planted: the cell's rate ramps up towards the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergingCell {
    /// The cell.
    pub cell_code: CellCode,
    /// First day of the ramp, as days before `end`.
    pub ramp_start_days_before_end: u32,
    /// Rate multiplier reached on the last day (linear ramp from 1).
    pub final_multiplier: f64,
}

/// Near-repeat contagion the generator planted (a one-generation self-exciting process).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearRepeatTruth {
    /// Subcategories whose incidents trigger repeats (API names).
    pub subcategories: Vec<String>,
    /// Mean number of repeats each triggering incident causes.
    pub branching_ratio: f64,
    /// Mean distance of a repeat from its trigger, metres (exponential, capped at 3×).
    pub distance_mean_m: f64,
    /// Mean delay of a repeat after its trigger, days (exponential, capped at 3×).
    pub lag_mean_days: f64,
    /// How many repeats were generated.
    pub offspring: usize,
}

/// What was planted, for checking analyses against the truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// The seed used.
    pub seed: u64,
    /// End of the history (exclusive).
    pub end: DateTime<Utc>,
    /// Days of history.
    pub days: u32,
    /// About 5% of cells boosted to hold about half of the background incidents.
    pub hot_cells: Vec<CellCode>,
    /// Emerging hot spots (criminal incidents only).
    pub emerging: Vec<EmergingCell>,
    /// Near-repeat contagion (none is planted in other subcategories).
    pub near_repeat: NearRepeatTruth,
    /// Villages deliberately left without an officer.
    pub uncovered_villages: Vec<model::RegionCode>,
    /// Incidents generated in all.
    pub incidents: usize,
    /// The special campaigns declared, and the share of each one's targeted incidents removed
    /// (the first worked, the second did not).
    pub campaigns: Vec<campaigns::PlantedCampaign>,
}

/// The whole demo world.
#[derive(Debug, Clone)]
pub struct World {
    /// City, counties, townships and villages, parents before children, codes ascending per level.
    pub regions: Vec<RegionShape>,
    /// Grid cells, codes ascending.
    pub cells: Vec<CellShape>,
    /// Incidents, oldest first.
    pub incidents: Vec<DemoIncident>,
    /// Stations, patrol units, grid workers, checkpoints, key places, cameras and alarms.
    pub resources: Vec<Resource>,
    /// Village officers (一村一警).
    pub officers: Vec<Officer>,
    /// Departments that take 综治 work orders.
    pub departments: Vec<model::department::Department>,
    /// The villages' mediator rosters (法治带头人).
    pub mediators: Vec<model::desk::Mediator>,
    /// 综治 events with their work orders' steps, oldest first (stored after the incidents).
    pub orders: Vec<orders::DemoEvent>,
    /// The steps of the recent and the open 110 incidents and the units still out on calls
    /// ([`handling::police_history`]).
    pub police: handling::PoliceHistory,
    /// What was planted.
    pub truth: Truth,
}

/// Builds the demo world.
pub fn generate(params: &DemoParams) -> Result<World, DemoError> {
    let sources = sources::load()?;
    let geo = geography::build(&sources, params.seed);
    let (mut incidents, truth_parts) = incidents::generate(&geo, params);
    let campaigns = campaigns::plant(&geo.regions, &mut incidents, params.end, params.seed);
    let (resources, officers, uncovered) = resources::generate(&geo, params.seed);
    let police = handling::police_history(&mut incidents, &resources, params.end, params.seed);
    let truth = Truth {
        seed: params.seed,
        end: params.end,
        days: params.days,
        hot_cells: truth_parts.hot_cells,
        emerging: truth_parts.emerging,
        near_repeat: truth_parts.near_repeat,
        uncovered_villages: uncovered,
        incidents: incidents.len(),
        campaigns,
    };
    let departments = departments::generate(&geo.regions);
    let orders = orders::generate(&geo, &departments, params, incidents.len());
    let mediators = mediators::generate(&geo.regions, params.seed);
    Ok(World {
        regions: geo.regions,
        cells: geo.cells,
        incidents,
        resources,
        officers,
        departments,
        mediators,
        orders,
        police,
        truth,
    })
}
