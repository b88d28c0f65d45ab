//! Monthly dispute screenings (矛盾纠纷排查): the view of a village's filing and the board of a
//! month over a jurisdiction (every village, its state and risk grade). The rules are
//! `model::screening`'s; the filings are desk events folded by `model::desk_book`. Knows no HTTP.

use crate::state::AppState;
use chrono::{DateTime, Utc};
use model::api::desk::{DisputeRef, Named, ScreeningBoard, ScreeningState, ScreeningView, VillageScreening};
use model::desk_book::{DeskBook, ScreeningRecord};
use model::scope::Scope;
use model::scorecard::Month;
use model::screening::{RiskGrade, due_at, is_overdue, on_time};
use model::{RegionCode, RegionLevel};

fn named(s: &AppState, code: RegionCode) -> Named {
    Named { code, name: s.geography.region(code).map(|r| r.region.name.clone()).unwrap_or_default() }
}

/// The view of one filed screening.
pub fn screening_view(s: &AppState, desk: &DeskBook, r: &ScreeningRecord) -> ScreeningView {
    let report = &r.report;
    ScreeningView {
        village: named(s, report.village),
        month: report.month,
        zero_report: report.zero_report,
        disputes: report
            .disputes
            .iter()
            .filter_map(|id| desk.dispute(*id))
            .map(|d| DisputeRef {
                id: d.id,
                title: d.registered.title.clone(),
                kind: d.registered.kind,
                kind_zh: d.registered.kind.label_zh().to_owned(),
                kind_en: d.registered.kind.label_en().to_owned(),
                status: d.status,
            })
            .collect(),
        risk: report.risk,
        risk_zh: report.risk.label_zh().to_owned(),
        risk_en: report.risk.label_en().to_owned(),
        notes: report.notes.clone(),
        by: report.by.clone(),
        first_filed_at: r.first_filed_at,
        filed_at: report.at,
        on_time: on_time(report.month, r.first_filed_at),
        versions: r.versions,
        version: r.version,
    }
}

/// Where a village's screening of `month` stands at `now`.
pub fn state_of(month: Month, record: Option<&ScreeningRecord>, now: DateTime<Utc>) -> ScreeningState {
    match record {
        Some(r) if on_time(month, r.first_filed_at) => ScreeningState::OnTime,
        Some(_) => ScreeningState::Late,
        None if is_overdue(month, false, now) => ScreeningState::Overdue,
        None => ScreeningState::Pending,
    }
}

/// The villages of `scope` (sorted by code).
pub fn villages_in(s: &AppState, scope: &Scope) -> Vec<RegionCode> {
    s.geography
        .regions_at(RegionLevel::Village, None)
        .map(|r| r.region.code)
        .filter(|v| scope.allows_region(*v))
        .collect()
}

/// The screening board of `month` over `scope` at `now`: counts over every village, the first
/// `limit` villages listed (overdue, then not yet filed, then red to green, then by code).
pub fn board(
    s: &AppState,
    desk: &DeskBook,
    scope: &Scope,
    month: Month,
    now: DateTime<Utc>,
    limit: usize,
) -> ScreeningBoard {
    let mut out = ScreeningBoard {
        month,
        due_at: due_at(month),
        villages_total: 0,
        on_time: 0,
        late: 0,
        overdue: 0,
        pending: 0,
        zero_reports: 0,
        by_risk: [0; 4],
        villages: Vec::new(),
    };
    let mut rows: Vec<(u8, VillageScreening)> = Vec::new();
    for village in villages_in(s, scope) {
        let record = desk.screening(village, month);
        let state = state_of(month, record, now);
        out.villages_total += 1;
        match state {
            ScreeningState::OnTime => out.on_time += 1,
            ScreeningState::Late => out.late += 1,
            ScreeningState::Overdue => out.overdue += 1,
            ScreeningState::Pending => out.pending += 1,
        }
        if let Some(r) = record {
            out.by_risk[usize::from(r.report.risk.index())] += 1;
            out.zero_reports += u32::from(r.report.zero_report);
        }
        let order = match (state, record) {
            (ScreeningState::Overdue, _) => 0,
            (ScreeningState::Pending, _) => 1,
            (_, Some(r)) => 2 + r.report.risk.index(),
            (_, None) => 2 + RiskGrade::COUNT as u8,
        };
        rows.push((
            order,
            VillageScreening {
                village: named(s, village),
                state,
                state_zh: state.label_zh().to_owned(),
                state_en: state.label_en().to_owned(),
                screening: record.map(|r| screening_view(s, desk, r)),
            },
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.village.code.cmp(&b.1.village.code)));
    out.villages = rows.into_iter().take(limit).map(|(_, v)| v).collect();
    out
}
