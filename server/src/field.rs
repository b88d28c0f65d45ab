//! The phone app's service (grid workers and village officers in the field): a report with up
//! to three photos, stored once however often the phone resends it; the caller's own reports;
//! and the tasks of their cells or villages: 核查 (a public report to verify on the spot), 回访
//! (a finished work order whose reporter is to be asked) and, for village officers, 走访.
//!
//! A report's photos are the first steps of its history (notes `现场照片 k/n` by the reporter).
//! A resend after a lost answer finds the report by (source, the caller's id, the phone's id)
//! and adds only the photos not yet stored, one report at a time on this instance.

use crate::auth::Caller;
use crate::ingest::{IngestError, submit};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use model::api::field::{FieldReport, FieldReportView, FieldTask, MAX_FIELD_PHOTOS, TaskKind};
use model::auth::Role;
use model::live::IncidentChange;
use model::taxonomy::Workflow;
use model::workflow::Transition;
use model::{Category, IncidentId, NewIncident, Severity, Source, Status};
use store::{AuditQuery, StoreError};

/// Longest description, characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// How far back a report made offline may say it was made.
pub const MAX_OFFLINE_DAYS: i64 = 7;
/// How many of the caller's reports `GET /api/field/reports` lists.
pub const MY_REPORTS: usize = 50;
/// How far back tasks look for open events.
pub const TASK_DAYS: i64 = 30;
/// How a verification note starts.
pub const VERIFIED_NOTE: &str = "核查：";
/// How a photo note starts.
const PHOTO_NOTE: &str = "现场照片 ";

/// Why a field request is refused.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    /// Only grid workers and village officers use the field app (403).
    #[error("the field app is for grid workers and village officers")]
    NotInTheField,
    /// A field is wrong (422).
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// In words.
        message: String,
    },
    /// Storing the report was refused or failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// Storing a photo was refused or failed.
    #[error(transparent)]
    Change(#[from] crate::live::ChangeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError::Invalid { field, message: message.into() }
}

/// The channel a field user's reports come through: 网格员上报 for grid workers, 巡逻发现 for
/// village officers.
pub fn source_of(role: Role) -> Result<Source, FieldError> {
    match role {
        Role::GridWorker => Ok(Source::GridWorker),
        Role::Village => Ok(Source::Patrol),
        Role::City | Role::County | Role::Township | Role::Analyst | Role::Admin | Role::Department | Role::Leader => {
            Err(FieldError::NotInTheField)
        }
    }
}

/// The stored external id of a phone's report: the user's id keeps two users' ids apart.
pub fn stored_external_id(user_id: u64, phone_id: &str) -> String {
    format!("m:{user_id}:{phone_id}")
}

/// Checks a report; the incident it becomes.
pub fn check(caller: &Caller, r: &FieldReport, now: DateTime<Utc>) -> Result<NewIncident, FieldError> {
    let source = source_of(caller.user.role)?;
    let id_ok = (8..=64).contains(&r.external_id.len())
        && r.external_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return Err(invalid("external_id", "the phone's id is 8 to 64 letters, digits, - or _"));
    }
    let kind = Category::parse_label(r.kind.trim())
        .ok_or_else(|| invalid("kind", format!("{:?} is not an event kind", r.kind)))?;
    let description = r.description.trim();
    if description.is_empty()
        || description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(invalid("description", format!("describe it in 1 to {MAX_DESCRIPTION_CHARS} characters")));
    }
    if !(r.lon.is_finite() && r.lat.is_finite()) {
        return Err(invalid("lon", "the position is not a number"));
    }
    if r.photos.len() > MAX_FIELD_PHOTOS {
        return Err(invalid("photos", format!("at most {MAX_FIELD_PHOTOS} photos")));
    }
    // A phone's clock ahead of the server's is taken as now; a resend is found by its id, not by
    // its times, so this never splits one report in two.
    let made_at = r.made_at.unwrap_or(now).min(now);
    if made_at < now - Duration::days(MAX_OFFLINE_DAYS) {
        return Err(invalid("made_at", format!("a report is sent within {MAX_OFFLINE_DAYS} days of being made")));
    }
    Ok(NewIncident {
        source,
        external_id: Some(stored_external_id(caller.user.id, &r.external_id)),
        category: kind,
        subcategory: None,
        occurred_at: made_at,
        reported_at: made_at,
        lon: r.lon,
        lat: r.lat,
        address: None,
        summary: Some(description.to_owned()),
        reporter_name: None,
        reporter_phone: None,
        severity: Severity::Minor,
        status: Status::Reported,
    })
}

/// One filing per phone report at a time on this instance.
static REPORTS: std::sync::LazyLock<crate::keyed_lock::KeyedLocks> = std::sync::LazyLock::new(Default::default);

/// The report stored under (source, key), read in full.
async fn stored(s: &AppState, source: Source, key: &str) -> Result<Option<model::Incident>, StoreError> {
    let Some(id) = s.store.incident_by_external(source, key).await? else { return Ok(None) };
    Ok(s.store.incidents_by_id(&model::scope::Scope::everything(), vec![id]).await?.into_iter().next())
}

/// Stores a report and the photos not yet stored with it: its view, and whether it was new. A
/// report already stored under its phone id (a resend) is that report, whatever its times say.
pub async fn report(
    s: &AppState,
    caller: &Caller,
    new: NewIncident,
    photos: Vec<store::Photo>,
) -> Result<(FieldReportView, bool), FieldError> {
    let phone_id = new.external_id.clone().unwrap_or_default();
    let source = new.source;
    let _one = REPORTS.lock(&phone_id).await;
    let (incident, created) = match stored(s, source, &phone_id).await? {
        Some(existing) => (existing, false),
        None => {
            let derive = Some(crate::live::derive(s));
            let by = Some(caller.attribution());
            match submit(&s.commit, &s.geography, &caller.scope, vec![new], by, derive).await {
                Ok(done) => {
                    let Some(done) = done.into_iter().next() else {
                        return Err(invalid("external_id", "the report was not stored; send it again"));
                    };
                    (done.incident, done.created)
                }
                // Another instance stored it meanwhile: the same report.
                Err(IngestError::Conflict { .. }) => match stored(s, source, &phone_id).await? {
                    Some(existing) => (existing, false),
                    None => return Err(invalid("external_id", "the report was not stored; send it again")),
                },
                Err(e) => return Err(e.into()),
            }
        }
    };
    let mut history = crate::live::history(s, incident.id.0).await?;
    let n = photos.len();
    let mut added = false;
    for (k, photo) in photos.into_iter().enumerate() {
        let note = format!("{PHOTO_NOTE}{}/{n}", k + 1);
        if history.iter().any(|c| c.note_only && c.by == caller.user.username && c.note.as_deref() == Some(&note)) {
            continue;
        }
        let t = Transition { to: Status::Reported, note: Some(note), note_only: true, ..Transition::default() };
        crate::live::change(s, &incident, t, &caller.user.username, Some(photo)).await?;
        added = true;
    }
    // Read again only when photos were added.
    if added {
        history = crate::live::history(s, incident.id.0).await?;
    }
    Ok((view(&incident, &history, &phone_id), created))
}

fn view(incident: &model::Incident, history: &[IncidentChange], stored_id: &str) -> FieldReportView {
    let phone_id = stored_id.splitn(3, ':').nth(2).unwrap_or(stored_id).to_owned();
    FieldReportView {
        id: incident.id.0,
        external_id: phone_id,
        kind: incident.fields.category,
        status: history.iter().rev().find(|c| !c.note_only).map_or(incident.fields.status, |c| c.to),
        reported_at: incident.fields.reported_at,
        photos: history
            .iter()
            .filter(|c| c.photo.is_some() && c.note.as_deref().is_some_and(|n| n.starts_with(PHOTO_NOTE)))
            .count(),
    }
}

/// The caller's own reports through the field app, newest first (from the audit log's
/// `create_incident` entries), as far as they still lie in the caller's jurisdiction.
pub async fn my_reports(s: &AppState, caller: &Caller) -> Result<Vec<FieldReportView>, FieldError> {
    source_of(caller.user.role)?;
    let entries = s
        .store
        .audit(AuditQuery {
            actor: Some(caller.user.username.clone()),
            action: Some("create_incident".into()),
            limit: MY_REPORTS * 4,
            ..AuditQuery::default()
        })
        .await?;
    let mut ids: Vec<IncidentId> =
        entries.iter().filter(|e| e.result == "ok").filter_map(|e| e.target.parse().ok().map(IncidentId)).collect();
    let mut seen = std::collections::HashSet::new();
    ids.retain(|i| seen.insert(*i));
    let prefix = format!("m:{}:", caller.user.id);
    let mut out = Vec::new();
    for incident in s.store.incidents_by_id(&caller.scope, ids).await? {
        let Some(stored_id) = incident.fields.external_id.clone().filter(|x| x.starts_with(&prefix)) else { continue };
        let history = crate::live::history(s, incident.id.0).await?;
        out.push(view(&incident, &history, &stored_id));
    }
    out.sort_by(|a, b| b.reported_at.cmp(&a.reported_at).then(b.id.cmp(&a.id)));
    out.truncate(MY_REPORTS);
    Ok(out)
}

/// The tasks of the caller's cells or villages: 核查 of public reports not yet verified, 回访 of
/// finished work orders, and a village officer's 走访 due. Overdue first, then by due time.
pub async fn tasks(s: &AppState, caller: &Caller, now: DateTime<Utc>) -> Result<Vec<FieldTask>, FieldError> {
    source_of(caller.user.role)?;
    let query = crate::query::IncidentQuery::default();
    let filter = query.filter(&s.geography, &caller.scope).map_err(|e| invalid("region", format!("{e:?}")))?;
    let open = crate::live::open_queue(s, filter, now, now - Duration::days(TASK_DAYS));
    let mut out = Vec::new();
    let to_verify: Vec<IncidentId> = open
        .iter()
        .filter(|q| q.status == Status::Reported && q.category.workflow() == Workflow::Department)
        .map(|q| IncidentId(q.id))
        .collect();
    let public = crate::citizen::PUBLIC_SOURCES;
    let records = s.store.incidents_by_id(&caller.scope, to_verify).await?;
    for q in &open {
        let task = match q.status {
            Status::Reported if q.category.workflow() == Workflow::Department => {
                let Some(r) = records.iter().find(|r| r.id.0 == q.id) else { continue };
                if !public.contains(&r.fields.source) {
                    continue;
                }
                let history = crate::live::history(s, q.id).await?;
                if history.iter().any(|c| c.note.as_deref().is_some_and(|n| n.starts_with(VERIFIED_NOTE))) {
                    continue;
                }
                (TaskKind::Verify, "核查群众上报", "verify a public report")
            }
            Status::Completed => {
                (TaskKind::Callback, "回访：请上报人评价办理结果", "call back: ask the reporter's verdict")
            }
            _ => continue,
        };
        let (kind, zh, en) = task;
        out.push(FieldTask {
            kind,
            id: Some(q.id),
            category: Some(q.category),
            cell_code: Some(q.cell_code),
            village: None,
            title_zh: format!("{zh}（{}）", q.category.label_zh()),
            title_en: format!("{en} ({})", q.category.label_en()),
            lon: Some(q.lon),
            lat: Some(q.lat),
            due_at: Some(q.due_at),
            overdue: q.due_at < now,
        });
    }
    if let (Role::Village, Some(officer)) = (caller.user.role, caller.user.officer_id)
        && let Some(desk) = crate::desk_records::desk_of(s, officer, &caller.scope, now)
    {
        for v in desk.villages.iter().filter(|v| v.visit_due.is_some()) {
            let centre = [(v.bbox[0] + v.bbox[2]) / 2.0, (v.bbox[1] + v.bbox[3]) / 2.0];
            out.push(FieldTask {
                kind: TaskKind::Visit,
                id: None,
                category: None,
                cell_code: None,
                village: Some(v.village.clone()),
                title_zh: format!("走访{}", v.village.name),
                title_en: format!("visit {}", v.village.name),
                lon: Some(centre[0]),
                lat: Some(centre[1]),
                due_at: v.visit_due,
                overdue: v.visit_overdue,
            });
        }
    }
    out.sort_by_key(|t| (!t.overdue, t.due_at));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_ids_keep_users_apart_and_read_back() {
        assert_eq!(stored_external_id(7, "a1b2c3d4"), "m:7:a1b2c3d4");
        assert_ne!(stored_external_id(7, "a1b2c3d4"), stored_external_id(8, "a1b2c3d4"));
    }

    #[test]
    fn only_field_roles_report_from_the_phone() {
        assert_eq!(source_of(Role::GridWorker).unwrap(), Source::GridWorker);
        assert_eq!(source_of(Role::Village).unwrap(), Source::Patrol);
        assert!(source_of(Role::City).is_err() && source_of(Role::Department).is_err());
    }
}
