//! Command-line configuration, parsed once with clap; every flag also reads a `SAFEGRID_*`
//! environment variable. Secrets (the database URL) are never printed.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// SafeGrid (平安网格): GIS public-safety prevention dashboard for Wuwei.
#[derive(Debug, Parser)]
#[command(name = "safegrid", version, about)]
pub struct Cli {
    /// The city's event taxonomy, replacing the standard `data/taxonomy.json` (事件分类文件;
    /// README, *Event taxonomy*).
    #[arg(long, global = true, env = "SAFEGRID_TAXONOMY", value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (启动服务).
    Serve(ServeArgs),
    /// Rebuild the Wuwei demo world in the store, replacing its contents (重建演示数据).
    Demo(DemoArgs),
    /// Import incidents from a CSV or GeoJSON file (导入警情).
    Import(ImportArgs),
    /// Export incidents as GeoJSON or CSV (导出警情).
    Export(ExportArgs),
    /// Manage users (用户管理).
    #[command(subcommand)]
    User(UserCommand),
    /// Hot spots of any CSV of points on a square or hexagonal grid (热点分析).
    Hotspots(HotspotArgs),
    /// Rolling-origin backtest of shift forecasts against baselines on any CSV (预测回测).
    Backtest(BacktestArgs),
    /// Create or upgrade the PostGIS schema (数据库迁移).
    Migrate(MigrateArgs),
    /// Move a whole embedded store (users and audit log included) into an empty PostGIS database (迁移到数据库).
    CopyStore(CopyStoreArgs),
    /// Write a consistent copy of the embedded store, safe while the server runs (备份).
    Backup(BackupArgs),
    /// Plan a patrol shift: routes over the forecast hot spots for N available units (巡逻排班).
    Plan(PlanArgs),
    /// The city's base data: validate, import or export a world file (基础数据).
    #[command(subcommand)]
    World(WorldCommand),
}

/// `safegrid world …`.
#[derive(Debug, Subcommand)]
pub enum WorldCommand {
    /// Check a world file and list every problem; exits 1 when it has errors (校验).
    Validate(WorldValidateArgs),
    /// Validate a world file and publish it; `--dry-run` prints the difference only (导入).
    Import(WorldImportArgs),
    /// Write the current world as a GeoPackage world file (导出).
    Export(WorldExportArgs),
    /// List the published versions of the world (版本列表).
    Versions {
        /// Store selection.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Publish an old version again, as a new version (回滚).
    Rollback(WorldRollbackArgs),
    /// Locate every stored incident in the grid in force; exits 1 when any lies elsewhere than
    /// stored (落点核查).
    Placements {
        /// Store selection.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `safegrid world rollback`.
#[derive(Debug, Clone, Args)]
pub struct WorldRollbackArgs {
    /// Store selection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The version to publish again (版本号).
    #[arg(long)]
    pub to: u32,
}

/// Report formats of `world validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One line per problem.
    Text,
    /// The report as JSON.
    Json,
}

/// Languages of command-line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CliLang {
    /// 中文.
    Zh,
    /// English.
    En,
}

/// How a world file is read and checked.
#[derive(Debug, Clone, Args)]
pub struct WorldFileArgs {
    /// The world file: a .gpkg, a folder of <layer>.geojson, or one <layer>.geojson (基础数据文件).
    pub file: PathBuf,
    /// The coordinates' system where the file does not say: wgs84, cgcs2000, gcj02 or bd09 (坐标系).
    #[arg(long)]
    pub crs: Option<String>,
    /// Overlaps, gaps and parts outside a village up to this area are slivers, m² (容差).
    #[arg(long, default_value_t = 100.0)]
    pub tolerance_m2: f64,
    /// Pieces narrower than this on average are slivers whatever their area, metres (碎片宽度).
    #[arg(long, default_value_t = 2.0)]
    pub sliver_width_m: f64,
    /// Language of the report (语言).
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: CliLang,
}

/// `safegrid world validate`.
#[derive(Debug, Clone, Args)]
pub struct WorldValidateArgs {
    /// The file and how to read it.
    #[command(flatten)]
    pub file: WorldFileArgs,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

/// `safegrid world import`.
#[derive(Debug, Clone, Args)]
pub struct WorldImportArgs {
    /// Store selection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The file and how to read it.
    #[command(flatten)]
    pub file: WorldFileArgs,
    /// Print what would change, layer by layer, and change nothing (试运行).
    #[arg(long)]
    pub dry_run: bool,
}

/// `safegrid world export`.
#[derive(Debug, Clone, Args)]
pub struct WorldExportArgs {
    /// Store selection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The GeoPackage to write; must not exist (输出文件).
    #[arg(long)]
    pub out: PathBuf,
}

/// Plan output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// The plan as JSON (per unit its stops and route; `coverage`, `naive_coverage`).
    Json,
    /// Routes and stops as a GeoJSON FeatureCollection.
    Geojson,
    /// One row per stop.
    Csv,
}

/// `safegrid plan`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Store selection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Start of the shift, RFC 3339 (班次开始).
    #[arg(long)]
    pub shift_start: String,
    /// Length of the shift, hours (班次时长).
    #[arg(long, default_value_t = 8.0)]
    pub shift_hours: f64,
    /// How many of the available patrol units to plan for, lowest ids first (巡逻组数).
    #[arg(long)]
    pub units: usize,
    /// Minutes at each stop.
    #[arg(long, default_value_t = 15.0)]
    pub dwell_min: f64,
    /// Minutes between visits to one place.
    #[arg(long, default_value_t = 120.0)]
    pub revisit_min: f64,
    /// Most distinct places per unit.
    #[arg(long, default_value_t = 5)]
    pub max_places: usize,
    /// Seed of the random choice among near-equal places (default: from the shift start).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Road network, a GeoJSON file of LineStrings (WGS84) (路网).
    #[arg(long, env = "SAFEGRID_ROADS")]
    pub roads: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: PlanFormat,
}

/// `safegrid copy-store`.
#[derive(Debug, Clone, Args)]
pub struct CopyStoreArgs {
    /// Data directory of the embedded store to copy (源数据目录).
    #[arg(long)]
    pub from_data_dir: PathBuf,
    /// The empty PostgreSQL/PostGIS database to fill (目标数据库地址).
    #[arg(long, env = "SAFEGRID_DATABASE_URL", hide_env_values = true)]
    pub to_database_url: String,
}

/// `safegrid backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Directory of the embedded store (数据目录).
    #[arg(long, env = "SAFEGRID_DATA_DIR", default_value = ".safegrid")]
    pub data_dir: PathBuf,
    /// The backup file to write; must not exist (备份文件).
    #[arg(long)]
    pub out: PathBuf,
}

/// Output formats of analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One row per cell.
    Csv,
    /// A FeatureCollection of cell squares.
    Geojson,
}

/// Hot-spot methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HotspotMethod {
    /// Getis-Ord Gi* with Benjamini-Hochberg FDR.
    GiStar,
    /// Gi* at the distance band where Global Moran's I z peaks (incremental spatial autocorrelation), with FDR.
    Optimized,
    /// Local Moran's I clusters and outliers (HH/LL/HL/LH) with seeded permutations and FDR.
    LocalMoran,
}

/// Where the points come from: a CSV file and its columns.
#[derive(Debug, Clone, Args)]
pub struct PointsArgs {
    /// The CSV file of points (输入文件).
    #[arg(long)]
    pub input: PathBuf,
    /// Column holding the WGS84 longitude.
    #[arg(long)]
    pub lon_col: String,
    /// Column holding the WGS84 latitude.
    #[arg(long)]
    pub lat_col: String,
    /// Study area `minLon,minLat,maxLon,maxLat` (WGS84); points outside are skipped (default: the data's extent).
    #[arg(long)]
    pub bbox: Option<String>,
    /// Side of a square grid cell, metres (网格边长，米).
    #[arg(long, default_value_t = 500.0)]
    pub cell_m: f64,
    /// Use H3 hexagons of this resolution (0–15; 8 ≈ 531 m edges) instead of squares.
    #[arg(long)]
    pub h3_resolution: Option<u8>,
}

/// `safegrid migrate`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// PostgreSQL/PostGIS connection URL (数据库地址).
    #[arg(long, env = "SAFEGRID_DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}

/// `safegrid backtest`.
#[derive(Debug, Clone, Args)]
pub struct BacktestArgs {
    /// The points and the grid.
    #[command(flatten)]
    pub points: PointsArgs,
    /// Column holding the time.
    #[arg(long)]
    pub time_col: String,
    /// Days of data before each origin that a method may use.
    #[arg(long, default_value_t = 30)]
    pub train_days: u32,
    /// Days after each origin that are scored.
    #[arg(long, default_value_t = 1)]
    pub test_days: u32,
    /// Hours after each origin that are scored, instead of days: `8` scores every 8-hour shift,
    /// the unit the patrol planner uses (origins every that many hours).
    #[arg(long)]
    pub test_hours: Option<u32>,
    /// Number of origins, one every `test_days` (or `test_hours`), ending where the data end
    /// (the last UTC midnight).
    #[arg(long, default_value_t = 10)]
    pub origins: u32,
    /// Share of the study area flagged by each method (0–1).
    #[arg(long, default_value_t = 0.01)]
    pub area_share: f64,
    /// Output format (standard output): one row per method, or JSON with every origin.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: TableFormat,
}

/// Formats of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// Comma-separated rows.
    Csv,
    /// One JSON document.
    Json,
}

/// `safegrid hotspots`.
#[derive(Debug, Clone, Args)]
pub struct HotspotArgs {
    /// The points and the grid.
    #[command(flatten)]
    pub points: PointsArgs,
    /// Column holding the time (needed for --from/--to).
    #[arg(long)]
    pub time_col: Option<String>,
    /// Only points at or after this time.
    #[arg(long)]
    pub from: Option<String>,
    /// Only points before this time.
    #[arg(long)]
    pub to: Option<String>,
    /// The statistic.
    #[arg(long, value_enum, default_value = "gi-star")]
    pub method: HotspotMethod,
    /// Neighbours: `queen` (cells sharing an edge or corner; 6 for hexagons) or `distance:METRES` (not used by `optimized`, which chooses its band).
    #[arg(long, default_value = "queen")]
    pub weights: String,
    /// Permutations for `local-moran`.
    #[arg(long, default_value_t = 999)]
    pub permutations: usize,
    /// Seed of the permutations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output format (standard output).
    #[arg(long, value_enum, default_value = "csv")]
    pub format: OutputFormat,
}

/// `safegrid user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (添加用户).
    Add(UserAddArgs),
    /// List users (用户列表).
    List {
        /// Store selection.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Disable a user and end their sessions (停用用户).
    Disable {
        /// Store selection.
        #[command(flatten)]
        store: StoreArgs,
        /// The username.
        #[arg(long)]
        name: String,
    },
}

/// `safegrid user add`.
#[derive(Debug, Clone, Args)]
pub struct UserAddArgs {
    /// Store selection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Login name (用户名).
    #[arg(long)]
    pub name: String,
    /// city, county, township, village, analyst, admin, department or grid_worker (角色).
    #[arg(long)]
    pub role: String,
    /// Region code whose subtree the user sees (管辖区域).
    #[arg(long)]
    pub jurisdiction: Option<String>,
    /// For a village user: the officer whose current villages are the jurisdiction (民警编号).
    #[arg(long)]
    pub officer: Option<u64>,
    /// For department staff: their department's code; the jurisdiction is the region it serves
    /// (部门编码).
    #[arg(long)]
    pub department: Option<String>,
    /// For a grid worker: their grid worker's id in the world (网格员编号); the jurisdiction is
    /// that worker's cells (a 网格长: the village's), and follows the world's reassignments.
    #[arg(long)]
    pub grid_worker: Option<u64>,
    /// Read the password from standard input (required: passwords never go on the command line).
    #[arg(long, required = true)]
    pub password_stdin: bool,
}

/// Where the data lives: the embedded store in a data directory, or PostGIS.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory of the embedded GeoPackage store (数据目录).
    #[arg(long, env = "SAFEGRID_DATA_DIR", default_value = ".safegrid")]
    pub data_dir: PathBuf,
    /// PostgreSQL/PostGIS connection URL; when given, the data directory is not used (数据库地址).
    #[arg(long, env = "SAFEGRID_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Most connections this process keeps to PostgreSQL for queries; sign-in and the audit log
    /// have 2 more of their own, session checks 2, following other instances' writes 1, and
    /// a read whose caller went away keeps its connection until it is cancelled (连接池大小).
    #[arg(long, env = "SAFEGRID_DB_POOL", default_value_t = 16)]
    pub db_pool: usize,
    /// With PostGIS: days of incidents held in memory; older ones are queried in the database
    /// (the embedded store keeps everything in memory) (内存窗口天数).
    #[arg(long, env = "SAFEGRID_MEMORY_WINDOW_DAYS", default_value_t = 430)]
    pub memory_window_days: u32,
}

impl StoreArgs {
    /// Where the demo logins file goes: the data directory of an embedded store (a PostGIS
    /// deployment prints them only).
    pub fn logins_dir(&self) -> Option<&std::path::Path> {
        self.database_url.is_none().then_some(self.data_dir.as_path())
    }
}

/// `safegrid serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (监听地址).
    #[arg(long, env = "SAFEGRID_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Store selection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The built frontend to serve at / (Trunk's dist folder); default: the copy in the binary
    /// (`cargo xtask dist`), else `dist` (前端目录).
    #[arg(long, env = "SAFEGRID_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Optional raster base layer under the map, an XYZ URL template with {z}/{x}/{y} and any key
    /// (an intranet PGIS or 天地图), e.g. http://pgis.local/tiles/{z}/{x}/{y}.png (底图地址).
    #[arg(long, env = "SAFEGRID_BASEMAP_URL", hide_env_values = true)]
    pub basemap_url: Option<String>,
    /// Display name and attribution of the base layer (底图名称).
    #[arg(long, env = "SAFEGRID_BASEMAP_NAME", default_value = "底图 Basemap")]
    pub basemap_name: String,
    /// Keep reporting synthetic incidents and moving patrol units, so the demo map is alive
    /// (演示实时数据流).
    #[arg(long, env = "SAFEGRID_DEMO_FEED")]
    pub demo_feed: bool,
    /// JSON file of per-category deadlines in minutes replacing the defaults, e.g.
    /// {"criminal": {"dispatch_min": 3, "arrive_min": 15, "resolve_min": 1440, "feedback_min": 4320,
    /// "close_min": 10080}} (处置时限).
    #[arg(long, env = "SAFEGRID_DEADLINES")]
    pub deadlines: Option<PathBuf>,
    /// The assessment scorecard's indicators, weights, directions and minimum denominators,
    /// replacing `data/scorecard.json` (考核指标配置; README, *Assessment scorecard*).
    #[arg(long, env = "SAFEGRID_SCORECARD", value_name = "FILE")]
    pub scorecard: Option<PathBuf>,
    /// The TrueType font briefings embed (.docx and print view; 简报字体). Default: Droid Sans
    /// Fallback from Debian's fonts-droid-fallback when installed, else none (the .docx then
    /// names 宋体/黑体 and relies on the reader's fonts).
    #[arg(long, env = "SAFEGRID_BRIEFING_FONT", value_name = "FILE")]
    pub briefing_font: Option<PathBuf>,
    /// Road network, a GeoJSON file of LineStrings (WGS84): dispatch ETAs and patrol routes
    /// follow it instead of straight line × detour (路网).
    #[arg(long, env = "SAFEGRID_ROADS")]
    pub roads: Option<PathBuf>,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client, as
    /// comma-separated addresses or CIDR networks, e.g. 10.0.0.5,192.168.1.0/24. Default: none,
    /// so every request's source is its socket's peer (可信反向代理).
    #[arg(long, env = "SAFEGRID_TRUSTED_PROXY", value_parser = crate::peer::TrustedProxies::parse, default_value = "")]
    pub trusted_proxy: crate::peer::TrustedProxies,
    /// The forwarding header the trusted proxies append to: x-forwarded-for (nginx, HAProxy) or
    /// forwarded (RFC 7239). Only that one is read (代理转发头).
    #[arg(long, env = "SAFEGRID_PROXY_HEADER", value_enum, default_value = "x-forwarded-for")]
    pub proxy_header: crate::peer::ProxyHeader,
    /// New synthetic incidents a minute with --demo-feed; default: the rate of the last 60
    /// days' incidents (演示警情频率).
    #[arg(long, value_parser = per_minute)]
    pub demo_feed_per_minute: Option<f64>,
    /// Do not run the nightly forecast trials in this instance (another instance runs them, or a
    /// test wants the machine to itself); analysts can still run one (不做夜间预测回测).
    #[arg(long, env = "SAFEGRID_NO_NIGHTLY_TRIALS")]
    pub no_nightly_trials: bool,
    /// Seconds between checks for a newly published world; on one the server reloads (基础数据检查间隔).
    #[arg(long, env = "SAFEGRID_WORLD_POLL_S", default_value_t = 5.0)]
    pub world_poll_s: f64,
}

/// `safegrid demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Store selection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Random seed; the same seed and end give the same world (随机种子).
    #[arg(long, default_value_t = crate::boot::DEFAULT_DEMO_SEED)]
    pub seed: u64,
    /// End of the incident history, RFC 3339 (default: now) (截止时间).
    #[arg(long)]
    pub end: Option<String>,
    /// Days of incident history before the end, up to ten years (历史天数).
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Background incidents to generate over those days (smaller worlds for tests and slow machines) (警情数量).
    #[arg(long, default_value_t = 200_000)]
    pub base_incidents: usize,
}

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// A GeoJSON FeatureCollection of Point features.
    Geojson,
}

/// `safegrid import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Store selection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The file to import (导入文件).
    pub file: PathBuf,
    /// File format (default: from the file name's extension).
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// CSV column holding the longitude.
    #[arg(long, default_value = "lon")]
    pub lon_col: String,
    /// CSV column holding the latitude.
    #[arg(long, default_value = "lat")]
    pub lat_col: String,
    /// CSV column holding when the incident occurred (RFC 3339, `YYYY-MM-DD HH:MM:SS+HH`, or local time).
    #[arg(long, default_value = "occurred_at")]
    pub time_col: String,
    /// CSV column holding the category (code name, Chinese or English label).
    #[arg(long, default_value = "category")]
    pub category_col: String,
    /// CSV column holding the subcategory (used when present).
    #[arg(long, default_value = "subcategory")]
    pub subcategory_col: String,
    /// CSV column holding the sender's own id, for idempotent re-imports (used when present).
    #[arg(long, default_value = "external_id")]
    pub id_col: String,
    /// CSV column holding the address (used when present).
    #[arg(long, default_value = "address")]
    pub address_col: String,
    /// CSV column holding the summary text (used when present).
    #[arg(long, default_value = "summary")]
    pub summary_col: String,
    /// Source channel recorded for rows without a `source` column.
    #[arg(long, default_value = "import")]
    pub source: String,
    /// Coordinate system of the file: wgs84, cgcs2000, gcj02 or bd09.
    #[arg(long, default_value = "wgs84")]
    pub crs: String,
    /// Import the valid rows and list the skipped ones, instead of importing nothing on any error.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// `safegrid export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Store selection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "geojson")]
    pub format: FileFormat,
    /// Output file (default: standard output).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Only this region (12 digits) or cell (15 digits).
    #[arg(long)]
    pub region: Option<String>,
    /// Only incidents at or after this time.
    #[arg(long)]
    pub from: Option<String>,
    /// Only incidents before this time.
    #[arg(long)]
    pub to: Option<String>,
    /// Only these categories (repeatable).
    #[arg(long)]
    pub category: Vec<String>,
    /// Only these statuses (repeatable).
    #[arg(long)]
    pub status: Vec<String>,
}

impl ImportArgs {
    /// The arguments of `safegrid import FILE --data-dir DIR` with every other flag at its
    /// default (the defaults live once, in the clap attributes above).
    pub fn with_defaults(data_dir: &std::path::Path, file: &std::path::Path) -> Result<ImportArgs, clap::Error> {
        let cli = Cli::try_parse_from([
            "safegrid".as_ref(),
            "import".as_ref(),
            "--data-dir".as_ref(),
            data_dir.as_os_str(),
            file.as_os_str(),
        ])?;
        match cli.command {
            Command::Import(args) => Ok(args),
            _ => Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand)),
        }
    }
}

/// A rate a minute: a finite number, 0–600.
fn per_minute(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|r| (0.0..=600.0).contains(r))
        .ok_or_else(|| format!("{s:?} is not a rate from 0 to 600 a minute"))
}
