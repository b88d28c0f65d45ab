//! Every string of the UI in Chinese (default) and English.

use model::{Category, RegionLevel, Severity, Source, Status};

/// The UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

/// A UI string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    Title,
    Dispatch,
    EventQueue,
    NearestUnits,
    Acknowledge,
    Units,
    WallMode,
    KpiToday,
    KpiOpen,
    KpiConcentration,
    KpiConcentrationUnit,
    Window,
    Last24h,
    Last7d,
    Last30d,
    Custom,
    From,
    To,
    Play,
    Pause,
    WindowEnd,
    Categories,
    Choropleth,
    MetricCount,
    MetricRate,
    MetricPrev,
    MetricYoy,
    Layers,
    LayerCells,
    LayerIncidents,
    LayerRegions,
    LayerStations,
    LayerCameras,
    LayerHotspots,
    HotspotLegend,
    LayerAlerts,
    LayerGap,
    LayerBlind,
    GapLegend,
    Planner,
    ShiftStart,
    ShiftHours,
    DwellMin,
    PlanUnits,
    Generate,
    Planning,
    Coverage,
    NaiveCoverage,
    Pin,
    Exclude,
    Pinned,
    Excluded,
    ClearPins,
    Print,
    ExportGeojson,
    Visit,
    Back,
    StartsIn,
    Now,
    Done,
    NoUnits,
    Unreached,
    Close,
    AlertsCount,
    Computing,
    AnalysisGiStar,
    AnalysisOptimized,
    AnalysisLocalMoran,
    AnalysisEmerging,
    AnalysisKde,
    AnalysisForecast,
    LisaHH,
    LisaLL,
    LisaHL,
    LisaLH,
    EmergingNew,
    EmergingConsecutive,
    EmergingIntensifying,
    EmergingPersistent,
    EmergingDiminishing,
    EmergingSporadic,
    EmergingOscillating,
    EmergingHistorical,
    EmergingCold,
    KdeLow,
    KdeHigh,
    ForecastFlagged,
    Search,
    SearchHint,
    Regions,
    NoResults,
    Details,
    SelectHint,
    Code,
    Level,
    Population,
    Households,
    Total,
    ByCategory,
    Trend,
    HourWeekday,
    Officers,
    NoOfficer,
    Loading,
    Error,
    Synthetic,
    CaseNumber,
    Occurred,
    Reported,
    Address,
    Summary,
    Reporter,
    Phone,
    Status,
    Severity,
    Source,
    Cell,
    City,
    Legend,
    Switch,
    SignIn,
    SignOut,
    Username,
    Password,
    SigningIn,
    LoginRefused,
    LoginThrottled,
    Audit,
    Actor,
    AnyAction,
    Query,
    ExportCsv,
}

/// The text of `t` in `lang`.
pub fn tr(lang: Lang, t: T) -> &'static str {
    use T::*;
    let (zh, en) = match t {
        Title => ("平安网格 · 武威", "SafeGrid · Wuwei"),
        Dispatch => ("派警", "Dispatch"),
        EventQueue => ("待办事件", "Event queue"),
        NearestUnits => ("最近可派警力", "Nearest available units"),
        Acknowledge => ("确认", "Acknowledge"),
        Units => ("巡逻警力：待命 / 出警中", "Patrol units: available / busy"),
        WallMode => ("大屏", "Wall"),
        KpiToday => ("今日警情", "Incidents today"),
        KpiOpen => ("未结事件", "Open events"),
        KpiConcentration => ("警情集中度", "Concentration"),
        KpiConcentrationUnit => ("的网格承载一半警情", "of cells hold half the incidents"),
        Window => ("时间范围", "Time window"),
        Last24h => ("24小时", "24 h"),
        Last7d => ("7天", "7 days"),
        Last30d => ("30天", "30 days"),
        Custom => ("自定义", "Custom"),
        From => ("开始", "From"),
        To => ("结束", "To"),
        Play => ("▶ 播放", "▶ Play"),
        Pause => ("❚❚ 暂停", "❚❚ Pause"),
        WindowEnd => ("窗口截止", "Window ends"),
        Categories => ("警情类别", "Categories"),
        Choropleth => ("网格着色", "Cell colouring"),
        MetricCount => ("警情数", "Incident count"),
        MetricRate => ("每千人警情数", "Per 1,000 residents"),
        MetricPrev => ("环比变化", "Period-on-period change"),
        MetricYoy => ("同比变化", "Year-on-year change"),
        Layers => ("图层", "Layers"),
        LayerCells => ("网格", "Grid cells"),
        LayerIncidents => ("警情点位", "Incidents"),
        LayerRegions => ("行政边界", "Boundaries"),
        LayerStations => ("派出所", "Police stations"),
        LayerCameras => ("视频监控", "Cameras"),
        LayerHotspots => ("热点分析", "Hot-spot analysis"),
        HotspotLegend => ("冷点 ← 99% 95% 90% · 90% 95% 99% → 热点", "cold ← 99% 95% 90% · 90% 95% 99% → hot"),
        LayerAlerts => ("近重复预警", "Near-repeat alerts"),
        LayerGap => ("防控缺口", "Prevention gap"),
        LayerBlind => ("视频盲区", "Camera blind spots"),
        GapLegend => ("缺口 = 风险 ×（1 − 人防物防技防强度）", "gap = risk × (1 − human/physical/technical strength)"),
        Planner => ("巡逻排班", "Patrol planner"),
        ShiftStart => ("班次开始", "Shift start"),
        ShiftHours => ("时长（小时）", "Hours"),
        DwellMin => ("每处停留（分钟）", "Minutes per stop"),
        PlanUnits => ("参加巡逻的巡逻组", "Patrol units on duty"),
        Generate => ("生成方案", "Generate plan"),
        Planning => ("正在规划…", "Planning…"),
        Coverage => ("覆盖预测风险", "Forecast risk covered"),
        NaiveCoverage => ("就近巡逻", "nearest-first"),
        Pin => ("必到", "Pin"),
        Exclude => ("不去", "Exclude"),
        Pinned => ("必到点", "Pinned"),
        Excluded => ("排除点", "Excluded"),
        ClearPins => ("清除", "Clear"),
        Print => ("打印", "Print"),
        ExportGeojson => ("导出 GeoJSON", "Export GeoJSON"),
        Visit => ("第{}次", "visit {}"),
        Back => ("返回驻地", "Back at station"),
        StartsIn => ("{} 分钟后", "in {} min"),
        Now => ("进行中", "now"),
        Done => ("已完成", "done"),
        Unreached => (
            "{} 个必到点在一轮巡逻（两次巡查间隔）内无法到达",
            "{} pinned places cannot be reached within one round (the revisit gap)",
        ),
        NoUnits => ("请选择至少一个巡逻组", "Choose at least one unit"),
        Close => ("关闭", "Close"),
        AlertsCount => {
            ("处近重复预警（红圈内7天内风险升高）", "near-repeat alerts (raised risk inside the circles for 7 days)")
        }
        Computing => ("计算中…", "Computing…"),
        AnalysisGiStar => ("热点 Gi*（1.5公里邻域）", "Hot spots Gi* (1.5 km)"),
        AnalysisOptimized => ("优化热点（自动选邻域）", "Optimized hot spots (auto neighbourhood)"),
        AnalysisLocalMoran => ("聚集与异常（局部莫兰）", "Clusters & outliers (Local Moran)"),
        AnalysisEmerging => ("时空热点趋势（12周）", "Emerging hot spots (12 weeks)"),
        AnalysisKde => ("核密度", "Kernel density"),
        AnalysisForecast => ("班次预测（未来8小时）", "Shift forecast (next 8 h)"),
        LisaHH => ("高高聚集", "High-high cluster"),
        LisaLL => ("低低聚集", "Low-low cluster"),
        LisaHL => ("高值异常", "High outlier"),
        LisaLH => ("低值异常", "Low outlier"),
        EmergingNew => ("新热点", "New hot spot"),
        EmergingConsecutive => ("连续热点", "Consecutive hot spot"),
        EmergingIntensifying => ("加剧热点", "Intensifying hot spot"),
        EmergingPersistent => ("持续热点", "Persistent hot spot"),
        EmergingDiminishing => ("减弱热点", "Diminishing hot spot"),
        EmergingSporadic => ("零星热点", "Sporadic hot spot"),
        EmergingOscillating => ("振荡热点", "Oscillating hot spot"),
        EmergingHistorical => ("历史热点", "Historical hot spot"),
        EmergingCold => ("冷点（各类）", "Cold spots (all kinds)"),
        KdeLow => ("密度低", "Lower density"),
        KdeHigh => ("密度高", "Higher density"),
        ForecastFlagged => ("风险最高的5%网格", "Riskiest 5% of cells"),
        Search => ("搜索", "Search"),
        SearchHint => ("地区名称、代码、警情编号、地址或摘要", "Region name or code, case number, address or summary"),
        Regions => ("地区与网格", "Regions and cells"),
        NoResults => ("无结果", "No results"),
        Details => ("详情", "Details"),
        SelectHint => ("点击地图上的网格、地区或警情查看详情", "Click a cell, region or incident on the map"),
        Code => ("代码", "Code"),
        Level => ("层级", "Level"),
        Population => ("人口", "Population"),
        Households => ("户数", "Households"),
        Total => ("警情总数", "Incidents"),
        ByCategory => ("分类统计", "By category"),
        Trend => ("趋势", "Trend"),
        HourWeekday => ("时段 × 星期", "Hour × weekday"),
        Officers => ("驻村民警", "Village officer"),
        NoOfficer => ("未配备", "none assigned"),
        Loading => ("加载中…", "Loading…"),
        Error => ("出错", "Error"),
        Synthetic => ("边界为合成数据", "synthetic boundary"),
        CaseNumber => ("警情编号", "Case number"),
        Occurred => ("发生时间", "Occurred"),
        Reported => ("报警时间", "Reported"),
        Address => ("地址", "Address"),
        Summary => ("简要案情", "Summary"),
        Reporter => ("报警人", "Reporter"),
        Phone => ("联系电话", "Phone"),
        Status => ("状态", "Status"),
        Severity => ("等级", "Severity"),
        Source => ("来源", "Source"),
        Cell => ("网格", "Grid cell"),
        City => ("武威市", "Wuwei"),
        Legend => ("图例", "Legend"),
        Switch => ("English", "中文"),
        SignIn => ("登录", "Sign in"),
        SignOut => ("退出", "Sign out"),
        Username => ("用户名", "Username"),
        Password => ("密码", "Password"),
        SigningIn => ("正在登录…", "Signing in…"),
        LoginRefused => ("用户名或密码错误", "Wrong username or password"),
        LoginThrottled => ("登录失败次数过多，请15分钟后再试", "Too many failed sign-ins; try again in 15 minutes"),
        Audit => ("审计日志", "Audit log"),
        Actor => ("操作人", "Who"),
        AnyAction => ("全部操作", "Any action"),
        Query => ("查询", "Search"),
        ExportCsv => ("导出 CSV", "Export CSV"),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A category's label.
pub fn category(lang: Lang, c: Category) -> &'static str {
    if lang == Lang::Zh { c.label_zh() } else { c.label_en() }
}

/// A status's label.
pub fn status(lang: Lang, s: Status) -> &'static str {
    if lang == Lang::Zh { s.label_zh() } else { s.label_en() }
}

/// A severity's label.
pub fn severity(lang: Lang, s: Severity) -> &'static str {
    if lang == Lang::Zh { s.label_zh() } else { s.label_en() }
}

/// A source's label.
pub fn source(lang: Lang, s: Source) -> &'static str {
    if lang == Lang::Zh { s.label_zh() } else { s.label_en() }
}

/// A level's label (`cell` included).
pub fn level(lang: Lang, level: &str) -> &'static str {
    match level.parse::<RegionLevel>() {
        Ok(l) => {
            if lang == Lang::Zh {
                l.label_zh()
            } else {
                l.label_en()
            }
        }
        Err(()) => tr(lang, T::Cell),
    }
}

/// Weekday short names, Monday first.
pub fn weekdays(lang: Lang) -> [&'static str; 7] {
    match lang {
        Lang::Zh => ["一", "二", "三", "四", "五", "六", "日"],
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    }
}
