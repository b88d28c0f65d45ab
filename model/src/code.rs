//! Statistical division codes (统计用区划代码): 12 digits, a code's prefix is its parent.
//! Grid cells (网格) extend their village's code by three digits (15 digits).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid division or cell code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The code does not have the required number of ASCII digits.
    #[error("expected {expected} digits, got {got:?}")]
    Digits {
        /// How many digits a code of this kind has.
        expected: usize,
        /// The rejected input.
        got: String,
    },
    /// The digits do not form a code at any level (e.g. a county part of 00 under a non-zero township).
    #[error("{0:?} is not a well-formed division code")]
    Shape(String),
}

/// Level of the governance hierarchy: city → county (district) → township (street) → village (community).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 市 (prefecture-level city).
    City,
    /// 县（区）.
    County,
    /// 乡镇（街道）.
    Township,
    /// 村（社区）.
    Village,
}

impl RegionLevel {
    /// All levels from the top down.
    pub const ALL: [RegionLevel; 4] = [Self::City, Self::County, Self::Township, Self::Village];

    /// The API name (`city`, `county`, `township`, `village`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::County => "county",
            Self::Township => "township",
            Self::Village => "village",
        }
    }

    /// Chinese UI label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::City => "市",
            Self::County => "县（区）",
            Self::Township => "乡镇（街道）",
            Self::Village => "村（社区）",
        }
    }

    /// English UI label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::County => "county (district)",
            Self::Township => "township (street)",
            Self::Village => "village (community)",
        }
    }

    /// Number of leading digits that identify a region at this level.
    pub fn significant_digits(self) -> usize {
        match self {
            Self::City => 4,
            Self::County => 6,
            Self::Township => 9,
            Self::Village => 12,
        }
    }

    /// The level one step down, if any.
    pub fn child(self) -> Option<RegionLevel> {
        match self {
            Self::City => Some(Self::County),
            Self::County => Some(Self::Township),
            Self::Township => Some(Self::Village),
            Self::Village => None,
        }
    }
}

impl FromStr for RegionLevel {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|l| l.as_str() == s).ok_or(())
    }
}

const POW10: [u64; 16] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
];

fn parse_digits(s: &str, n: usize) -> Result<u64, CodeError> {
    if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError::Digits { expected: n, got: s.to_owned() });
    }
    s.parse::<u64>().map_err(|_| CodeError::Digits { expected: n, got: s.to_owned() })
}

/// A 12-digit statistical division code of a city, county, township or village.
///
/// ```
/// use model::{RegionCode, RegionLevel};
/// let village: RegionCode = "620602001001".parse().unwrap();
/// assert_eq!(village.level(), RegionLevel::Village);
/// assert_eq!(village.parent().unwrap().to_string(), "620602001000");
/// assert!(RegionCode::parse("620600000000").unwrap().contains(village));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(u64);

impl RegionCode {
    /// Parses exactly 12 ASCII digits forming a code at some level.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        RegionCode::from_u64(parse_digits(s, 12)?).ok_or_else(|| CodeError::Shape(s.to_owned()))
    }

    /// The code of a number (12 digits with leading zeros), if it has the shape of one.
    pub fn from_u64(v: u64) -> Option<Self> {
        if v >= POW10[12] {
            return None;
        }
        let code = RegionCode(v);
        // A lower part may be non-zero only if every higher part is: 6206 00 001 000 is malformed.
        let lvl = code.level();
        let head = v / POW10[12 - lvl.significant_digits()];
        let ok = match lvl {
            RegionLevel::City => !head.is_multiple_of(100),
            RegionLevel::County => !head.is_multiple_of(100),
            RegionLevel::Township => !head.is_multiple_of(1000) && !(head / 1000).is_multiple_of(100),
            RegionLevel::Village => !(head / 1000).is_multiple_of(1000) && !(head / 1_000_000).is_multiple_of(100),
        };
        (ok && v / POW10[10] != 0).then_some(code)
    }

    /// The code as a number (12 digits when printed with leading zeros).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Level implied by the trailing zeros.
    pub fn level(self) -> RegionLevel {
        let v = self.0;
        if v.is_multiple_of(POW10[8]) {
            RegionLevel::City
        } else if v.is_multiple_of(POW10[6]) {
            RegionLevel::County
        } else if v.is_multiple_of(POW10[3]) {
            RegionLevel::Township
        } else {
            RegionLevel::Village
        }
    }

    /// The enclosing region's code, `None` for a city.
    pub fn parent(self) -> Option<RegionCode> {
        let lvl = self.level();
        let parent_level = match lvl {
            RegionLevel::City => return None,
            RegionLevel::County => RegionLevel::City,
            RegionLevel::Township => RegionLevel::County,
            RegionLevel::Village => RegionLevel::Township,
        };
        Some(self.truncate(parent_level))
    }

    /// This code cut to `level` (its ancestor at that level, or itself).
    pub fn truncate(self, level: RegionLevel) -> RegionCode {
        let p = POW10[12 - level.significant_digits()];
        RegionCode(self.0 / p * p)
    }

    /// Whether `other` lies in this region's subtree (a region contains itself).
    pub fn contains(self, other: RegionCode) -> bool {
        let lvl = self.level();
        other.level() >= lvl && other.truncate(lvl) == self
    }

    /// The range of 15-digit cell codes inside this region, as numbers `[start, end)`.
    pub fn cell_range(self) -> (u64, u64) {
        let p = POW10[12 - self.level().significant_digits()];
        (self.0 * 1000, (self.0 + p) * 1000)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012}", self.0)
    }
}

impl FromStr for RegionCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        Self::parse(s)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A 15-digit grid-cell code: the village code followed by a 3-digit cell number (001–999).
///
/// ```
/// use model::CellCode;
/// let cell: CellCode = "620602001001007".parse().unwrap();
/// assert_eq!(cell.village().to_string(), "620602001001");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellCode(u64);

impl CellCode {
    /// Parses exactly 15 digits whose first 12 are a village code and whose last 3 are not 000.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let v = parse_digits(s, 15)?;
        let village = RegionCode::parse(&s[..12])?;
        if village.level() != RegionLevel::Village || v % 1000 == 0 {
            return Err(CodeError::Shape(s.to_owned()));
        }
        Ok(CellCode(v))
    }

    /// The code of a number (15 digits with leading zeros), if it has the shape of one: the
    /// inverse of [`CellCode::as_u64`].
    pub fn from_u64(v: u64) -> Option<Self> {
        let village = RegionCode::from_u64(v / 1000)?;
        (v < POW10[15] && village.level() == RegionLevel::Village && !v.is_multiple_of(1000)).then_some(CellCode(v))
    }

    /// The `n`-th cell (1–999) of `village`.
    pub fn new(village: RegionCode, n: u16) -> Option<CellCode> {
        (village.level() == RegionLevel::Village && (1..=999).contains(&n))
            .then(|| CellCode(village.0 * 1000 + u64::from(n)))
    }

    /// The code as a number (15 digits).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The village (村/社区) this cell belongs to.
    pub fn village(self) -> RegionCode {
        RegionCode(self.0 / 1000)
    }
}

impl fmt::Display for CellCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:015}", self.0)
    }
}

impl FromStr for CellCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        Self::parse(s)
    }
}

impl Serialize for CellCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CellCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_parents_follow_the_prefix() {
        let cases = [
            ("620600000000", RegionLevel::City, None),
            ("620602000000", RegionLevel::County, Some("620600000000")),
            ("620602001000", RegionLevel::Township, Some("620602000000")),
            ("620602001001", RegionLevel::Village, Some("620602001000")),
            ("620621100201", RegionLevel::Village, Some("620621100000")),
        ];
        for (s, level, parent) in cases {
            let c = RegionCode::parse(s).unwrap();
            assert_eq!(c.level(), level, "{s}");
            assert_eq!(c.parent().map(|p| p.to_string()).as_deref(), parent, "{s}");
            assert_eq!(c.to_string(), s);
            if let Some(p) = c.parent() {
                assert!(p.contains(c));
                assert!(!c.contains(p));
            }
        }
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for s in ["", "6206", "62060000000a", "6206020010011", "620600001000", "000000000000", "620600000001"] {
            assert!(RegionCode::parse(s).is_err(), "{s} should be rejected");
        }
        assert!(CellCode::parse("620602001001000").is_err());
        assert!(CellCode::parse("620602001000001").is_err());
        assert!(CellCode::parse("620602001001001").is_ok());
    }

    #[test]
    fn a_code_read_back_from_its_number_is_checked_as_its_text_is() {
        for s in ["620602001001007", "620602001001999", "620621100201001"] {
            let c = CellCode::parse(s).unwrap();
            assert_eq!(CellCode::from_u64(c.as_u64()), Some(c), "{s}");
        }
        // The numbers of malformed codes: a cell 000, a township for a village, 16 digits,
        // a region code that is not a village's.
        for v in [620602001001000, 620602001000001, 6_206_020_010_010_071, 620602000000001, 7] {
            assert_eq!(CellCode::from_u64(v), None, "{v}");
        }
        for s in ["620600000000", "620602001001"] {
            assert_eq!(
                RegionCode::from_u64(RegionCode::parse(s).unwrap().as_u64()).map(|c| c.to_string()).as_deref(),
                Some(s)
            );
        }
        for v in [620600001000, 620600000001, 0, 1_000_000_000_000] {
            assert_eq!(RegionCode::from_u64(v), None, "{v}");
        }
    }

    #[test]
    fn cell_range_covers_exactly_the_subtree() {
        let county = RegionCode::parse("620602000000").unwrap();
        let (a, b) = county.cell_range();
        let inside = CellCode::parse("620602120203999").unwrap().as_u64();
        let outside = CellCode::parse("620621100201001").unwrap().as_u64();
        assert!((a..b).contains(&inside));
        assert!(!(a..b).contains(&outside));
        let village = RegionCode::parse("620602001001").unwrap();
        assert_eq!(village.cell_range(), (620_602_001_001_000, 620_602_001_002_000));
    }

    #[test]
    fn codes_serialise_as_zero_padded_strings() {
        let c = CellCode::new(RegionCode::parse("620602001001").unwrap(), 7).unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"620602001001007\"");
        let back: CellCode = serde_json::from_str("\"620602001001007\"").unwrap();
        assert_eq!(back, c);
    }
}
