//! The demo's departments (部门) that take 综治 work orders: in each county its bureaus and
//! utilities, in each township its police station, judicial office and governance centre. Codes
//! are `<type>-<region digits>` (`water-620602`, `justice-620602001`).

use model::department::{Department, DepartmentCode};
use model::taxonomy::taxonomy;
use model::{RegionLevel, RegionShape};

/// County-level bureaus: (type, the name after the county's).
const COUNTY: &[(&str, &str)] = &[
    ("law_enforcement", "综合行政执法局"),
    ("market", "市场监督管理局"),
    ("civil_affairs", "民政局"),
    ("justice", "司法局"),
    ("housing", "住房和城乡建设局"),
    ("natural_resources", "自然资源局"),
    ("emergency", "应急管理局"),
    ("health", "卫生健康局"),
    ("petitions", "信访局"),
    ("water", "供水公司"),
    ("power", "供电公司"),
    ("police", "公安分局"),
];

/// Township-level offices.
const TOWNSHIP: &[(&str, &str)] = &[("police", "派出所"), ("justice", "司法所"), ("township_centre", "综治中心")];

/// The departments of the demo world's counties and townships, by code. Types the taxonomy in
/// force lacks are left out.
pub fn generate(regions: &[RegionShape]) -> Vec<Department> {
    let mut out = Vec::new();
    for r in regions {
        let offices = match r.region.level {
            RegionLevel::County => COUNTY,
            RegionLevel::Township => TOWNSHIP,
            RegionLevel::City | RegionLevel::Village => continue,
        };
        let digits = &r.region.code.to_string()[..r.region.level.significant_digits()];
        for (kind, suffix) in offices {
            let Some(t) = taxonomy().department_types.iter().find(|t| t.code == *kind) else { continue };
            let Ok(code) = DepartmentCode::parse(&format!("{kind}-{digits}")) else { continue };
            out.push(Department {
                code,
                kind: (*kind).to_owned(),
                name_zh: format!("{}{suffix}", r.region.name),
                name_en: format!("{}, {}", t.en, r.region.name),
                region: r.region.code,
            });
        }
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_township_has_its_three_offices_and_every_county_its_bureaus() {
        let world = crate::generate(&crate::DemoParams {
            days: 2,
            base_incidents: 100,
            ..crate::DemoParams::new(1, chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap())
        })
        .unwrap();
        let ds = generate(&world.regions);
        let level = |l: RegionLevel| world.regions.iter().filter(|r| r.region.level == l).count();
        assert_eq!(ds.len(), level(RegionLevel::County) * COUNTY.len() + level(RegionLevel::Township) * TOWNSHIP.len());
        let codes: std::collections::HashSet<&str> = ds.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes.len(), ds.len(), "codes are unique");
        assert!(codes.contains("water-620602") && codes.contains("justice-620602001"));
        // Every demo cell has a suggestion for every department type of the taxonomy's 综治 kinds.
        for c in world.cells.iter().step_by(97) {
            for kind in model::Category::all().iter().filter(|k| k.workflow() == model::taxonomy::Workflow::Department)
            {
                assert!(
                    model::department::suggest(&ds, kind.department_type(), c.cell.code).is_some(),
                    "{} in {}",
                    kind.as_str(),
                    c.cell.code
                );
            }
        }
    }
}
