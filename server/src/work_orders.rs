//! The 综治 work orders' read side: which orders department staff may see, a department's work
//! list, the suggestion for an order still to assign, and the public's verdicts as rates. The
//! rules of each step are `model::workflow`'s; the store decides a step against the stored order.
//!
//! Department staff have an empty jurisdiction ([`model::scope::Scope::of_user`]), so every list,
//! count, tile and feed shows them nothing; an order is granted to them one by one, when it names
//! their department (lead or 协办) and lies in the region the department serves.

use crate::auth::Caller;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use model::api::work::{Bucket, Satisfaction, SatisfactionRow, WorkCounts, WorkItem, WorkList};
use model::department::{Department, DepartmentCode, WorkOrder};
use model::live::{IncidentChange, LiveKind};
use model::scope::Scope;
use model::taxonomy::Workflow;
use model::{IncidentId, RegionCode, Status};
use store::StoreError;

/// The department a caller works for (`None`: not department staff, or a department the world
/// no longer has).
pub fn department_of<'a>(s: &'a AppState, caller: &Caller) -> Option<&'a Department> {
    caller.user.department.as_ref().and_then(|d| s.geography.department(d))
}

/// An incident's work order: the board's, or read back from its history.
pub async fn order_of(s: &AppState, id: u64) -> Result<Option<WorkOrder>, StoreError> {
    if let Some(o) = s.live.board().order(id).cloned() {
        return Ok(Some(o));
    }
    Ok(store::latest_order(&s.store.subject_events(LiveKind::IncidentChanged, id).await?))
}

/// The jurisdiction to read incident `id` with: the caller's own, or for department staff the
/// region their department serves when the incident's order names the department (otherwise
/// nowhere, so the incident answers 404 as one that does not exist).
pub async fn read_scope(s: &AppState, caller: &Caller, id: u64) -> Result<Scope, StoreError> {
    if caller.user.role.sees_situation() {
        return Ok(caller.scope.clone());
    }
    let Some(department) = department_of(s, caller) else { return Ok(Scope::of(Vec::new())) };
    let involved = order_of(s, id).await?.is_some_and(|o| o.involves(&department.code));
    Ok(Scope::of(if involved { vec![department.region] } else { Vec::new() }))
}

/// The department suggested for an event of `category` in `cell`: of the kind's department type,
/// the most local one serving the place.
pub fn suggestion(s: &AppState, category: model::Category, cell: model::CellCode) -> Option<DepartmentCode> {
    if category.workflow() != Workflow::Department {
        return None;
    }
    model::department::suggest(s.geography.departments(), category.department_type(), cell).map(|d| d.code.clone())
}

/// The departments serving places inside `area` (or, with no area, inside the caller's
/// jurisdiction), and those above it that serve it (a county bureau for a township): what a
/// centre may assign to. Department staff see their own department only.
pub fn departments_for(s: &AppState, caller: &Caller, area: Option<RegionCode>) -> Vec<Department> {
    if !caller.user.role.sees_situation() {
        return department_of(s, caller).into_iter().cloned().collect();
    }
    s.geography
        .departments()
        .iter()
        .filter(|d| caller.scope.allows_path_to(d.region))
        .filter(|d| area.is_none_or(|a| a.contains(d.region) || d.region.contains(a)))
        .cloned()
        .collect()
}

/// `department`'s open orders (as lead or 协办) in the region it serves, seen by `scope`:
/// overdue first, then by due time.
pub async fn work_list(
    s: &AppState,
    department: &Department,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<WorkList, StoreError> {
    let mut items = Vec::new();
    {
        let board = s.live.board();
        let index = s.index();
        for (id, order) in board.orders() {
            if !order.involves(&department.code) {
                continue;
            }
            let Some(p) = index.get(IncidentId(id)) else { continue };
            let cell_code = s.geography.cell_code(p.cell);
            if !department.region.contains(cell_code.village()) || !scope.allows_cell(cell_code) {
                continue;
            }
            let bucket = match p.status {
                Status::Assigned => Bucket::Pending,
                Status::Accepted if order.reworked => Bucket::Returned,
                Status::Accepted => Bucket::InProgress,
                _ => continue,
            };
            let reported_at = DateTime::from_timestamp(p.reported_s, 0).unwrap_or(now);
            let entered_at = board.stage(id).map_or(reported_at, |st| st.entered_at);
            let deadlines = s.settings.deadlines(p.category);
            let Some(due_at) = model::workflow::due_at(&deadlines, p.status, entered_at, Some(order)) else {
                continue;
            };
            items.push(WorkItem {
                id,
                category: p.category,
                status: p.status,
                bucket,
                lead: order.department == department.code,
                department: order.department.clone(),
                lon: p.lon,
                lat: p.lat,
                cell_code,
                address: None,
                summary: None,
                reported_at,
                entered_at,
                due_at,
                due_in_s: (due_at - now).num_seconds(),
                overdue: due_at < now,
                returns: order.returns,
            });
        }
    }
    // The records' address and summary, read with the department's own reach.
    let ids = items.iter().map(|i| IncidentId(i.id)).collect();
    let records = s.store.incidents_by_id(&Scope::of(vec![department.region]), ids).await?;
    for item in &mut items {
        if let Some(r) = records.iter().find(|r| r.id.0 == item.id) {
            item.address = r.fields.address.clone();
            item.summary = r.fields.summary.clone();
        }
    }
    items.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.due_at.cmp(&b.due_at)).then(a.id.cmp(&b.id)));
    let mut counts = WorkCounts::default();
    for i in &items {
        match i.bucket {
            Bucket::Pending => counts.pending += 1,
            Bucket::InProgress => counts.in_progress += 1,
            Bucket::Returned => counts.returned += 1,
        }
        counts.overdue += usize::from(i.overdue);
    }
    Ok(WorkList { department: department.clone(), now, counts, items })
}

/// The verdicts of return visits made in `[from, to)` on events in `scope` and inside `region`
/// (and of `department`'s orders only, when given): per department, and per region one level
/// below `region`.
pub async fn satisfaction(
    s: &AppState,
    scope: &Scope,
    region: RegionCode,
    department: Option<&DepartmentCode>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Satisfaction, StoreError> {
    let events = s.store.events_since(from, vec![LiveKind::IncidentChanged]).await?;
    let mut total = SatisfactionRow::new(region.to_string(), String::new(), String::new());
    let mut by_department: std::collections::BTreeMap<DepartmentCode, SatisfactionRow> = Default::default();
    let mut by_region: std::collections::BTreeMap<RegionCode, SatisfactionRow> = Default::default();
    let child_level = region.level().child();
    for e in events.iter().filter(|e| e.event.at < to) {
        let Some(cell) = e.event.cell_code else { continue };
        if !scope.allows_cell(cell) || !region.contains(cell.village()) {
            continue;
        }
        let Ok(c) = serde_json::from_str::<IncidentChange>(&e.event.data) else { continue };
        let (Some(verdict), Some(order)) = (c.verdict, c.order) else { continue };
        if department.is_some_and(|d| *d != order.department) {
            continue;
        }
        total.add(verdict);
        let d = s.geography.department(&order.department);
        by_department
            .entry(order.department.clone())
            .or_insert_with(|| {
                SatisfactionRow::new(
                    order.department.to_string(),
                    d.map_or_else(|| order.department.to_string(), |d| d.name_zh.clone()),
                    d.map_or_else(|| order.department.to_string(), |d| d.name_en.clone()),
                )
            })
            .add(verdict);
        if let Some(level) = child_level {
            let child = cell.village().truncate(level);
            let name = s.geography.region(child).map(|r| r.region.name.clone()).unwrap_or_else(|| child.to_string());
            by_region
                .entry(child)
                .or_insert_with(|| SatisfactionRow::new(child.to_string(), name.clone(), name))
                .add(verdict);
        }
    }
    let ranked = |rows: Vec<SatisfactionRow>| {
        let mut rows = rows;
        rows.sort_by(|a, b| {
            b.rate.partial_cmp(&a.rate).unwrap_or(std::cmp::Ordering::Equal).then(b.rated().cmp(&a.rated()))
        });
        rows
    };
    let name = s.geography.region(region).map(|r| r.region.name.clone()).unwrap_or_default();
    total.name_zh = name.clone();
    total.name_en = name;
    Ok(Satisfaction {
        from,
        to,
        total,
        departments: ranked(by_department.into_values().collect()),
        regions: ranked(by_region.into_values().collect()),
    })
}
