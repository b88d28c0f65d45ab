//! The event taxonomy (事件分类) as data: every kind of event SafeGrid records, its labels, its
//! workflow (the police 110 chain, or a department's 综治 work order), the department type that
//! usually handles it, its colour and the deadline of each stage. The standard taxonomy is
//! `data/taxonomy.json`; a city installs its own at start-up (`--taxonomy FILE`), before anything
//! reads a category.
//!
//! The eight 110 categories and their subcategories come first, in a fixed order, with fixed
//! codes (the national 110 classification; their labels, colours and deadlines may change), so
//! code may name them ([`Category::CRIMINAL`], [`Subcategory::BURGLARY`]). Every other kind is the
//! city's. Nothing counts kinds at compile time: [`Category::all`] is the taxonomy's list.

use crate::workflow::Deadlines;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

/// How events of a kind are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Workflow {
    /// The police chain: 接警 → 派警 → 到场 → 处置 → 反馈 → 结案.
    Police,
    /// A department's work order: 分拨 → 签收 → 办结 → 回访 → 结案.
    Department,
}

/// A label pair and a code: a department type or a subkind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    /// Code (snake_case ASCII).
    pub code: String,
    /// Chinese label.
    pub zh: String,
    /// English label.
    pub en: String,
}

/// One kind of event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    /// Code (snake_case ASCII): what the API and the stores write.
    pub code: String,
    /// Chinese label.
    pub zh: String,
    /// English label.
    pub en: String,
    /// How it is handled.
    pub workflow: Workflow,
    /// The department type that usually handles it (a code of `department_types`).
    pub department: String,
    /// Colour on the map and in charts, `#rrggbb`.
    pub color: String,
    /// Minutes allowed per stage: `dispatch_min`, `arrive_min`, `resolve_min`, `feedback_min`,
    /// `close_min` for the police chain; `assign_min`, `accept_min`, `complete_min`,
    /// `feedback_min`, `close_min` for a department's work order.
    pub deadlines: BTreeMap<String, u32>,
    /// Finer kinds.
    #[serde(default)]
    pub subkinds: Vec<Named>,
}

/// The whole taxonomy, as `data/taxonomy.json` has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taxonomy {
    /// A note for the person editing the file.
    #[serde(default, rename = "_comment", skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// The department types (公安, 综合执法, 市场监管, …).
    pub department_types: Vec<Named>,
    /// Every kind, the eight 110 categories first.
    pub kinds: Vec<Kind>,
    #[serde(skip)]
    categories: Vec<Category>,
    /// Every subkind: its labels and its kind, in the order of the file.
    #[serde(skip)]
    subkinds: Vec<(Named, Category)>,
    #[serde(skip)]
    subcategories: Vec<Subcategory>,
}

/// The 110 categories' codes, in their fixed order.
pub const POLICE_CODES: [&str; 8] =
    ["criminal", "public_order", "traffic", "dispute", "assistance", "fire", "disaster", "other"];

/// The 110 subcategories' codes per category, in their fixed order.
pub const POLICE_SUBCODES: [&[&str]; 8] = [
    &["theft", "burglary", "vehicle_theft", "fraud", "robbery", "assault"],
    &["fight", "gambling", "drugs", "disturbance"],
    &["collision", "drunk_driving", "congestion"],
    &["neighbour", "family", "land", "labour"],
    &["missing_person", "medical", "other_assistance"],
    &["building_fire", "vehicle_fire", "wild_fire"],
    &["sandstorm", "flood", "geological"],
    &[],
];

/// The most kinds a taxonomy may have (category sets are 64-bit masks).
pub const MAX_KINDS: usize = 64;

const POLICE_STAGES: [&str; 5] = ["dispatch_min", "arrive_min", "resolve_min", "feedback_min", "close_min"];
const DEPARTMENT_STAGES: [&str; 5] = ["assign_min", "accept_min", "complete_min", "feedback_min", "close_min"];

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Taxonomy {
    /// Reads and checks a taxonomy file: every problem is named with the kind at fault.
    pub fn parse(text: &str) -> Result<Taxonomy, String> {
        let mut t: Taxonomy = serde_json::from_str(text).map_err(|e| format!("not a taxonomy file: {e}"))?;
        t.check()?;
        t.categories = (0..t.kinds.len()).map(|i| Category(i as u8)).collect();
        t.subkinds = t
            .kinds
            .iter()
            .enumerate()
            .flat_map(|(i, k)| k.subkinds.iter().map(move |s| (s.clone(), Category(i as u8))))
            .collect();
        t.subcategories = (0..t.subkinds.len()).map(|i| Subcategory(i as u8)).collect();
        Ok(t)
    }

    fn check(&self) -> Result<(), String> {
        if self.kinds.len() > MAX_KINDS {
            return Err(format!("kinds: at most {MAX_KINDS} kinds"));
        }
        let codes: Vec<&str> = self.kinds.iter().take(8).map(|k| k.code.as_str()).collect();
        if codes != POLICE_CODES {
            return Err(format!(
                "kinds: the first eight are the 110 categories {}, in this order",
                POLICE_CODES.join(", ")
            ));
        }
        let departments: HashSet<&str> = self.department_types.iter().map(|d| d.code.as_str()).collect();
        for d in &self.department_types {
            if !is_code(&d.code) || d.zh.trim().is_empty() || d.en.trim().is_empty() {
                return Err(format!("department_types: {:?} needs a snake_case code and both labels", d.code));
            }
        }
        if departments.len() != self.department_types.len() {
            return Err("department_types: a code is used twice".into());
        }
        let mut seen = HashSet::new();
        let mut sub_seen = HashSet::new();
        for (i, k) in self.kinds.iter().enumerate() {
            let at = format!("kinds[{i}] ({})", k.code);
            if !is_code(&k.code) || !seen.insert(k.code.as_str()) {
                return Err(format!("{at}: a code is snake_case ASCII and unique"));
            }
            if k.zh.trim().is_empty() || k.en.trim().is_empty() {
                return Err(format!("{at}: both labels are needed"));
            }
            if i < 8 && k.workflow != Workflow::Police {
                return Err(format!("{at}: a 110 category's workflow is police"));
            }
            if !departments.contains(k.department.as_str()) {
                return Err(format!("{at}: department {:?} is not among department_types", k.department));
            }
            let c = k.color.as_bytes();
            if !(c.len() == 7 && c[0] == b'#' && c[1..].iter().all(u8::is_ascii_hexdigit)) {
                return Err(format!("{at}: color is #rrggbb"));
            }
            let stages = match k.workflow {
                Workflow::Police => POLICE_STAGES,
                Workflow::Department => DEPARTMENT_STAGES,
            };
            for s in stages {
                if k.deadlines.get(s).is_none_or(|m| *m == 0) {
                    return Err(format!("{at}: deadlines.{s} is a number of minutes over 0"));
                }
            }
            if let Some(extra) = k.deadlines.keys().find(|s| !stages.contains(&s.as_str())) {
                return Err(format!("{at}: deadlines.{extra} is not a stage of the {:?} workflow", k.workflow));
            }
            if i < 8 && k.subkinds.iter().map(|s| s.code.as_str()).collect::<Vec<_>>() != POLICE_SUBCODES[i] {
                return Err(format!("{at}: a 110 category's subkinds are {}", POLICE_SUBCODES[i].join(", ")));
            }
            for s in &k.subkinds {
                if !is_code(&s.code)
                    || !sub_seen.insert(s.code.as_str())
                    || s.zh.trim().is_empty()
                    || s.en.trim().is_empty()
                {
                    return Err(format!("{at}: subkind {:?} needs a unique snake_case code and both labels", s.code));
                }
            }
        }
        if sub_seen.len() > 255 {
            return Err("kinds: at most 255 subkinds in all".into());
        }
        Ok(())
    }

    /// The standard taxonomy (`data/taxonomy.json`).
    pub fn standard() -> Taxonomy {
        #[allow(clippy::expect_used)]
        Taxonomy::parse(STANDARD).expect("data/taxonomy.json is a valid taxonomy")
    }

    /// The kind of `c`.
    pub fn kind(&self, c: Category) -> &Kind {
        &self.kinds[usize::from(c.0)]
    }

    /// Every category, in the file's order.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }
}

/// The standard taxonomy's text.
pub const STANDARD: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/taxonomy.json"));

static INSTALLED: OnceLock<Taxonomy> = OnceLock::new();

/// The taxonomy in force: the one installed, or the standard one.
pub fn taxonomy() -> &'static Taxonomy {
    INSTALLED.get_or_init(Taxonomy::standard)
}

/// Puts `t` in force. Refused (given back) once a taxonomy is in force: install before anything
/// reads a category.
pub fn install(t: Taxonomy) -> Result<(), Box<Taxonomy>> {
    INSTALLED.set(t).map_err(Box::new)
}

/// A kind of event: its position in the taxonomy in force.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category(u8);

impl Category {
    /// 刑事.
    pub const CRIMINAL: Category = Category(0);
    /// 治安.
    pub const PUBLIC_ORDER: Category = Category(1);
    /// 交通.
    pub const TRAFFIC: Category = Category(2);
    /// 纠纷.
    pub const DISPUTE: Category = Category(3);
    /// 求助.
    pub const ASSISTANCE: Category = Category(4);
    /// 火灾.
    pub const FIRE: Category = Category(5);
    /// 灾害.
    pub const DISASTER: Category = Category(6);
    /// 其他.
    pub const OTHER: Category = Category(7);
    /// The eight 110 categories.
    pub const POLICE: [Category; 8] = [
        Category::CRIMINAL,
        Category::PUBLIC_ORDER,
        Category::TRAFFIC,
        Category::DISPUTE,
        Category::ASSISTANCE,
        Category::FIRE,
        Category::DISASTER,
        Category::OTHER,
    ];

    /// Every category of the taxonomy in force, in its order.
    pub fn all() -> &'static [Category] {
        taxonomy().categories()
    }

    /// How many there are.
    pub fn count() -> usize {
        Category::all().len()
    }

    /// Its kind in the taxonomy in force.
    pub fn kind(self) -> &'static Kind {
        taxonomy().kind(self)
    }

    /// The API/code name (snake_case).
    pub fn as_str(self) -> &'static str {
        &self.kind().code
    }

    /// Chinese UI label.
    pub fn label_zh(self) -> &'static str {
        &self.kind().zh
    }

    /// English UI label.
    pub fn label_en(self) -> &'static str {
        &self.kind().en
    }

    /// How its events are handled.
    pub fn workflow(self) -> Workflow {
        self.kind().workflow
    }

    /// The department type that usually handles it (a code of the taxonomy's `department_types`).
    pub fn department_type(self) -> &'static str {
        &self.kind().department
    }

    /// Its colour, `#rrggbb`.
    pub fn color(self) -> &'static str {
        &self.kind().color
    }

    /// The minutes allowed per stage, in stage order (for a department's work order: assign as
    /// dispatch, accept as arrive, complete as resolve).
    pub fn deadlines(self) -> Deadlines {
        let d = &self.kind().deadlines;
        let stages = match self.workflow() {
            Workflow::Police => POLICE_STAGES,
            Workflow::Department => DEPARTMENT_STAGES,
        };
        let m = |i: usize| d.get(stages[i]).copied().unwrap_or(1);
        Deadlines { dispatch_min: m(0), arrive_min: m(1), resolve_min: m(2), feedback_min: m(3), close_min: m(4) }
    }

    /// Parses the code name only (what the API and the stores write).
    pub fn parse(s: &str) -> Option<Category> {
        Category::all().iter().copied().find(|c| c.as_str() == s)
    }

    /// Parses the code name, the Chinese label or the English label (case-insensitive).
    pub fn parse_label(s: &str) -> Option<Category> {
        let s = s.trim();
        Category::all()
            .iter()
            .copied()
            .find(|c| c.as_str() == s || c.label_zh() == s || c.label_en().eq_ignore_ascii_case(s))
    }

    /// Position in the taxonomy (a compact id for indexes).
    pub fn index(self) -> u8 {
        self.0
    }

    /// Inverse of [`Category::index`].
    pub fn from_index(i: u8) -> Option<Category> {
        Category::all().get(usize::from(i)).copied()
    }
}

/// A finer kind inside a [`Category`]: its position among all subkinds of the taxonomy in force.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subcategory(u8);

impl Subcategory {
    /// 盗窃.
    pub const THEFT: Subcategory = Subcategory(0);
    /// 入室盗窃.
    pub const BURGLARY: Subcategory = Subcategory(1);

    /// Every subcategory of the taxonomy in force.
    pub fn all() -> &'static [Subcategory] {
        &taxonomy().subcategories
    }

    fn entry(self) -> &'static (Named, Category) {
        &taxonomy().subkinds[usize::from(self.0)]
    }

    /// The category this subcategory refines.
    pub fn category(self) -> Category {
        self.entry().1
    }

    /// The subcategories of `category`.
    pub fn of(category: Category) -> impl Iterator<Item = Subcategory> {
        Subcategory::all().iter().copied().filter(move |s| s.category() == category)
    }

    /// The API/code name.
    pub fn as_str(self) -> &'static str {
        &self.entry().0.code
    }

    /// Chinese UI label.
    pub fn label_zh(self) -> &'static str {
        &self.entry().0.zh
    }

    /// English UI label.
    pub fn label_en(self) -> &'static str {
        &self.entry().0.en
    }

    /// Position among the subcategories of the taxonomy (a compact id for indexes).
    pub fn index(self) -> u8 {
        self.0
    }

    /// Inverse of [`Subcategory::index`].
    pub fn from_index(i: u8) -> Option<Subcategory> {
        Subcategory::all().get(usize::from(i)).copied()
    }

    /// Parses the code name only.
    pub fn parse(s: &str) -> Option<Subcategory> {
        Subcategory::all().iter().copied().find(|c| c.as_str() == s)
    }

    /// Parses the code name, the Chinese label or the English label (case-insensitive).
    pub fn parse_label(s: &str) -> Option<Subcategory> {
        let s = s.trim();
        Subcategory::all()
            .iter()
            .copied()
            .find(|c| c.as_str() == s || c.label_zh() == s || c.label_en().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Debug for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Subcategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

serde_by_code!(Category);
serde_by_code!(Subcategory);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_taxonomy_keeps_the_110_categories_and_adds_the_governance_kinds() {
        let t = Taxonomy::standard();
        assert_eq!(t.kinds.iter().take(8).map(|k| k.code.as_str()).collect::<Vec<_>>(), POLICE_CODES);
        for code in [
            "conflict",
            "security_hazard",
            "work_safety_hazard",
            "fire_hazard",
            "city_management",
            "sanitation",
            "market_supervision",
            "public_utilities",
            "social_assistance",
            "special_groups",
            "petition_stability",
            "governance_other",
        ] {
            let k = t.kinds.iter().find(|k| k.code == code).unwrap_or_else(|| panic!("no kind {code}"));
            assert_eq!(k.workflow, Workflow::Department, "{code}");
        }
        assert_eq!(Category::CRIMINAL.as_str(), "criminal");
        assert_eq!(Category::OTHER.label_zh(), "其他");
        assert_eq!(Subcategory::BURGLARY.as_str(), "burglary");
        assert_eq!(Subcategory::BURGLARY.category(), Category::CRIMINAL);
        let vending = Subcategory::parse("street_vending").unwrap();
        assert_eq!(vending.category().label_zh(), "城市管理");
        assert_eq!(Category::parse_label("市场监管").unwrap().workflow(), Workflow::Department);
        assert_eq!(Category::CRIMINAL.deadlines().dispatch_min, 3);
        assert_eq!(Category::count(), t.kinds.len());
        assert_eq!(serde_json::to_string(&Category::FIRE).unwrap(), "\"fire\"");
        assert_eq!(serde_json::from_str::<Category>("\"火灾\"").unwrap(), Category::FIRE);
        let e = serde_json::from_str::<Category>("\"ufo\"").unwrap_err().to_string();
        assert!(
            e.contains("unknown category \"ufo\"") && e.contains("criminal") && e.contains("market_supervision"),
            "{e}"
        );
    }

    #[test]
    fn a_city_adds_a_kind_without_code_and_faults_are_named() {
        let mut doc: serde_json::Value = serde_json::from_str(STANDARD).unwrap();
        let kinds = doc["kinds"].as_array_mut().unwrap();
        let mut grazing = kinds[10].clone();
        grazing["code"] = "grazing_ban".into();
        grazing["zh"] = "禁牧巡查".into();
        grazing["en"] = "grazing ban patrol".into();
        grazing["subkinds"] = serde_json::json!([]);
        kinds.push(grazing);
        let t = Taxonomy::parse(&doc.to_string()).unwrap();
        assert_eq!(t.categories().len(), Taxonomy::standard().categories().len() + 1);
        assert_eq!(t.kinds.last().unwrap().zh, "禁牧巡查");

        let broken = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut d: serde_json::Value = serde_json::from_str(STANDARD).unwrap();
            f(&mut d);
            Taxonomy::parse(&d.to_string()).unwrap_err()
        };
        assert!(broken(&|d| d["kinds"].as_array_mut().unwrap().swap(0, 1)).contains("first eight"));
        assert!(broken(&|d| d["kinds"][9]["color"] = "red".into()).contains("color"));
        assert!(broken(&|d| d["kinds"][9]["department"] = "army".into()).contains("army"));
        assert!(
            broken(&|d| {
                d["kinds"][9]["deadlines"].as_object_mut().unwrap().remove("accept_min");
            })
            .contains("deadlines.accept_min")
        );
        assert!(broken(&|d| d["kinds"][9]["code"] = "criminal".into()).contains("unique"));
        assert!(broken(&|d| d["kinds"][0]["subkinds"] = serde_json::json!([])).contains("subkinds"));
        assert!(broken(&|d| d["kinds"][3]["workflow"] = "department".into()).contains("police"));
    }
}
