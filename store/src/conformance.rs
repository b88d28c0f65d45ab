//! The conformance suite every backend passes: round trips, idempotent all-or-nothing batches,
//! scope, the live log, desk records, users, sessions and audit. Each case takes a
//! [`Backend`]: a fresh, empty store that can be opened again (a restart, or a second process,
//! reading what the first acknowledged), and the world to write into it. The integration tests
//! run every case on the embedded GeoPackage and on PostGIS (`tests/it/store.rs`).
//!
//! Compiled with the `conformance` feature only; cases panic on the first broken promise, naming
//! the backend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{AuditQuery, InsertOutcome, NewAudit, NewUser, Store, StoreError, WorldData};
use chrono::{DateTime, Duration, TimeZone, Utc};
use model::auth::Role;
use model::scope::Scope;
use model::{Category, Incident, IncidentId, NewIncident, Placement, Severity, Source, Status};
use std::future::Future;
use std::sync::Arc;

/// A backend under test: one fresh, empty store, opened as often as a case asks.
pub trait Backend {
    /// `geopackage` or `postgis` (what [`Store::backend`] says).
    fn name(&self) -> &'static str;
    /// A new handle on the store.
    fn open(&self) -> impl Future<Output = Arc<dyn Store>>;
}

/// The time the cases write at (the end of a test world's history).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 4, 0, 0).unwrap()
}

/// A patrol report of public disorder `minute` minutes after noon on 2026-10-31.
pub fn incident(ext: Option<&str>, minute: i64) -> NewIncident {
    let t = Utc.with_ymd_and_hms(2026, 10, 31, 12, 0, 0).unwrap() + Duration::minutes(minute);
    NewIncident {
        source: Source::Patrol,
        external_id: ext.map(str::to_owned),
        category: Category::PUBLIC_ORDER,
        subcategory: None,
        occurred_at: t,
        reported_at: t,
        lon: 102.64,
        lat: 37.93,
        address: Some("测试地址".into()),
        summary: None,
        reporter_name: None,
        reporter_phone: None,
        severity: Severity::Minor,
        status: Status::Reported,
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    let mut s = String::new();
    model::time::format_utc_millis(t.timestamp_millis(), &mut s);
    s
}

/// The live log numbers events in commit order, pages end with whole packed rows, status changes are checked against the stored status, and replacing the world empties the log while numbering continues.
pub async fn the_live_log_numbers_events_in_commit_order_and_status_changes_are_checked(
    backend: &impl Backend,
    world: &WorldData,
) {
    use model::live::{LiveKind, NewLiveEvent};
    use model::workflow::{Transition, WorkflowError};
    let placement = Placement::of_cell(world.incidents[0].1.cell_code);
    let name = backend.name();
    let store = backend.open().await;
    store.replace_world(world.clone()).await.unwrap();
    let start = store.last_seq().await.unwrap();
    // The demo world and bulk loads are history, not live events.
    assert!(store.events_after(0, 10).await.unwrap().is_empty(), "{name}");
    store.bulk_load(vec![(incident(Some("bulk-1"), 1), placement)]).await.unwrap();
    assert_eq!(store.last_seq().await.unwrap(), start, "{name}: bulk loads log nothing");
    // Each created incident logs one `incident` event; a retry logs none.
    let batch = vec![(incident(Some("live-1"), 2), placement), (incident(Some("live-2"), 3), placement)];
    let created = store.insert_incidents(batch.clone()).await.unwrap();
    store.insert_incidents(batch).await.unwrap();
    let logged = store.events_after(start, 100).await.unwrap();
    assert_eq!(logged.len(), 2, "{name}");
    let ids: Vec<u64> = created
        .iter()
        .map(|o| match o {
            InsertOutcome::Created(i) => i.id.0,
            InsertOutcome::Existing(i) => panic!("{name}: {i:?} existed"),
        })
        .collect();
    for (e, id) in logged.iter().zip(&ids) {
        assert_eq!((e.event.kind, e.event.subject), (LiveKind::Incident, *id), "{name}");
        assert_eq!(e.event.cell_code, Some(placement.cell_code));
        let data: model::live::IncidentData = serde_json::from_str(&e.event.data).unwrap();
        assert_eq!((data.id, data.lon, data.lat), (*id, 102.64, 37.93), "{name}");
    }
    assert!(logged[0].seq < logged[1].seq);
    // Appended events get the next numbers, in order, and read back exactly.
    let t = now();
    let ev = |subject: u64, kind| NewLiveEvent {
        at: t,
        kind,
        subject,
        cell_code: None,
        category: None,
        actor: Some("city".into()),
        data: format!(r#"{{"n":{subject}}}"#),
    };
    let appended = store.append_events(vec![ev(7, LiveKind::Unit), ev(8, LiveKind::Alert)]).await.unwrap();
    assert_eq!(appended.iter().map(|e| e.seq).collect::<Vec<_>>(), [logged[1].seq + 1, logged[1].seq + 2]);
    let back = store.events_after(logged[1].seq, 100).await.unwrap();
    assert_eq!(back, appended, "{name}");
    // The two reports were logged together as one packed row: a page ends with a whole row,
    // and a reader resuming inside the row gets the rest of it.
    assert_eq!(store.events_after(start, 1).await.unwrap(), logged, "{name}: limit");
    assert_eq!(store.events_after(logged[0].seq, 1).await.unwrap(), logged[1..].to_vec(), "{name}: resume");
    assert_eq!(logged[1].seq, logged[0].seq + 1, "{name}");
    assert_eq!(store.last_seq().await.unwrap(), appended[1].seq);
    let units = store.events_since(t - Duration::minutes(1), vec![LiveKind::Unit]).await.unwrap();
    assert_eq!(units, appended[..1].to_vec(), "{name}");
    assert!(store.events_since(t + Duration::minutes(1), vec![LiveKind::Unit]).await.unwrap().is_empty());
    // Status changes: checked against the stored status, logged with who and when.
    let id = IncidentId(ids[0]);
    let to = |s, unit| Transition { to: s, unit, note: Some("备注".into()), ..Transition::default() };
    match store.change_status(id, to(Status::Closed, None), "city".into(), t, None).await {
        Err(StoreError::Workflow(WorkflowError::Illegal { from: Status::Reported, to: Status::Closed, .. })) => {}
        other => panic!("{name}: {other:?}"),
    }
    match store.change_status(IncidentId(u64::MAX >> 2), to(Status::Dispatched, Some(1)), "city".into(), t, None).await
    {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("{name}: {other:?}"),
    }
    assert_eq!(store.last_seq().await.unwrap(), appended[1].seq, "{name}: refusals log nothing");
    let e = store.change_status(id, to(Status::Dispatched, Some(3)), "county".into(), t, None).await.unwrap();
    assert_eq!(
        (e.seq, e.event.kind, e.event.actor.as_deref()),
        (appended[1].seq + 1, LiveKind::IncidentChanged, Some("county"))
    );
    let change: model::live::IncidentChange = serde_json::from_str(&e.event.data).unwrap();
    assert_eq!(
        (change.from, change.to, change.unit, change.by.as_str()),
        (Status::Reported, Status::Dispatched, Some(3), "county")
    );
    assert_eq!(change.at, t);
    let everything = Scope::everything();
    assert_eq!(store.incidents_by_id(&everything, vec![id]).await.unwrap()[0].fields.status, Status::Dispatched);
    let history = store.subject_events(LiveKind::IncidentChanged, id.0).await.unwrap();
    assert_eq!(history, vec![e.clone()], "{name}");
    // Replacing the world clears the log, but numbering continues (clients resume by seq).
    store.replace_world(world.clone()).await.unwrap();
    assert!(store.events_after(0, 10).await.unwrap().is_empty(), "{name}");
    let after = store.append_events(vec![ev(9, LiveKind::Unit)]).await.unwrap();
    assert!(after[0].seq > e.seq, "{name}: {} after {}", after[0].seq, e.seq);
    // Pages end with whole rows: three packed rows of four unit pings each.
    let before = after[0].seq;
    let mut pings = Vec::new();
    for k in 0..3u64 {
        let run = (0..4u64).map(|j| ev(20 + k * 4 + j, LiveKind::Unit)).collect();
        pings.extend(store.append_events(run).await.unwrap());
    }
    let seqs: Vec<u64> = pings.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (before + 1..=before + 12).collect::<Vec<_>>(), "{name}");
    assert_eq!(store.events_after(before, 2).await.unwrap(), pings[..4].to_vec(), "{name}: one row");
    assert_eq!(store.events_after(before, 5).await.unwrap(), pings[..8].to_vec(), "{name}: two rows");
    assert_eq!(store.events_after(before + 1, 4).await.unwrap(), pings[1..8].to_vec(), "{name}: rest + row");
    assert_eq!(store.events_after(before, 100).await.unwrap(), pings, "{name}: to the end");
    assert_eq!(store.last_seq().await.unwrap(), before + 12, "{name}");
}

/// A work order's steps are decided against the order its history ends with, read in the step's
/// transaction: assigned, returned with a reason, reassigned, accepted, completed, sent back once
/// by a dissatisfied verdict, completed again and closed; each step's event carries the order.
pub async fn work_orders_are_decided_against_the_stored_order(backend: &impl Backend, world: &WorldData) {
    use model::department::{DepartmentCode, ReturnReason, Verdict};
    use model::live::{IncidentChange, LiveKind};
    use model::workflow::{Transition, WorkflowError};
    let name = backend.name();
    let store = backend.open().await;
    store.replace_world(world.clone()).await.unwrap();
    let placement = Placement::of_cell(world.incidents[0].1.cell_code);
    let kind = Category::parse("city_management").unwrap();
    let created = store
        .insert_incidents(vec![(NewIncident { category: kind, ..incident(Some("order-1"), 5) }, placement)])
        .await
        .unwrap();
    let id = match &created[0] {
        InsertOutcome::Created(i) => i.id,
        InsertOutcome::Existing(i) => panic!("{name}: {i:?} existed"),
    };
    let code = |s: &str| DepartmentCode::parse(s).unwrap();
    let t = now();
    let step = |tr: Transition| {
        let store = &store;
        async move { store.change_status(id, tr, "city".into(), t, None).await }
    };
    let plain = |to| Transition { to, ..Transition::default() };
    let as_dept = |to, d: &str| Transition { to, by_department: Some(code(d)), ..Transition::default() };
    // The police chain's steps do not apply.
    match step(Transition { unit: Some(1), ..plain(Status::Dispatched) }).await {
        Err(StoreError::Workflow(WorkflowError::Illegal { .. })) => {}
        other => panic!("{name}: {other:?}"),
    }
    let assign = |d: &str| Transition {
        department: Some(code(d)),
        co_departments: vec![code("market-620602")],
        ..plain(Status::Assigned)
    };
    step(assign("water-620602")).await.unwrap();
    // The lead is read back from the stored order: another department may not send it back.
    let back = |d: &str| Transition { reason: Some(ReturnReason::NotOurs), ..as_dept(Status::Returned, d) };
    match step(back("market-620602")).await {
        Err(StoreError::Workflow(WorkflowError::NotTheLead { lead, .. })) => assert_eq!(lead, code("water-620602")),
        other => panic!("{name}: {other:?}"),
    }
    step(back("water-620602")).await.unwrap();
    step(assign("law_enforcement-620602")).await.unwrap();
    step(as_dept(Status::Accepted, "law_enforcement-620602")).await.unwrap();
    step(as_dept(Status::Completed, "law_enforcement-620602")).await.unwrap();
    let verdict = |v| Transition { verdict: Some(v), ..plain(Status::Feedback) };
    let rework = step(verdict(Verdict::Dissatisfied)).await.unwrap();
    let change: IncidentChange = serde_json::from_str(&rework.event.data).unwrap();
    assert_eq!(
        (change.from, change.to, change.verdict),
        (Status::Completed, Status::Accepted, Some(Verdict::Dissatisfied)),
        "{name}"
    );
    let order = change.order.unwrap();
    assert_eq!(
        (order.department.as_str(), order.returns, order.reworked),
        ("law_enforcement-620602", 1, true),
        "{name}"
    );
    assert_eq!(order.co_departments, [code("market-620602")]);
    step(as_dept(Status::Completed, "law_enforcement-620602")).await.unwrap();
    step(verdict(Verdict::Satisfied)).await.unwrap();
    step(plain(Status::Closed)).await.unwrap();
    let everything = Scope::everything();
    assert_eq!(store.incidents_by_id(&everything, vec![id]).await.unwrap()[0].fields.status, Status::Closed, "{name}");
    let history = store.subject_events(LiveKind::IncidentChanged, id.0).await.unwrap();
    let steps: Vec<(Status, Status)> = history
        .iter()
        .map(|e| serde_json::from_str::<IncidentChange>(&e.event.data).unwrap())
        .map(|c| (c.from, c.to))
        .collect();
    use Status::*;
    assert_eq!(
        steps,
        [
            (Reported, Assigned),
            (Assigned, Returned),
            (Returned, Assigned),
            (Assigned, Accepted),
            (Accepted, Completed),
            (Completed, Accepted),
            (Accepted, Completed),
            (Completed, Feedback),
            (Feedback, Closed)
        ],
        "{name}"
    );
    assert_eq!(crate::latest_order(&history).map(|o| o.reworked), Some(true), "{name}");
}

/// Events derived from a write (alerts, links) are logged in its transaction: with its incidents, naming the ids they got, or not at all.
pub async fn derived_events_are_logged_with_their_incidents_or_not_at_all(backend: &impl Backend, world: &WorldData) {
    use crate::Derive;
    use model::live::{LiveKind, NewLiveEvent};
    let placement = Placement::of_cell(world.incidents[0].1.cell_code);
    // One alert per created incident, naming it.
    let derive: Derive = std::sync::Arc::new(|created: &[&Incident]| {
        created
            .iter()
            .map(|i| NewLiveEvent {
                at: now(),
                kind: LiveKind::Alert,
                subject: 0,
                cell_code: Some(i.placement.cell_code),
                category: Some(i.fields.category),
                actor: None,
                data: format!(r#"{{"incident":{}}}"#, i.id.0),
            })
            .collect()
    });
    let name = backend.name();
    let store = backend.open().await;
    store.replace_world(world.clone()).await.unwrap();
    let start = store.last_seq().await.unwrap();
    let batch = vec![(incident(Some("d-1"), 1), placement), (incident(Some("d-2"), 2), placement)];
    let inserted = store.insert_deriving(batch.clone(), Vec::new(), Some(derive.clone())).await.unwrap();
    let ids: Vec<u64> = inserted
        .outcomes
        .iter()
        .map(|o| match o {
            InsertOutcome::Created(i) => i.id.0,
            InsertOutcome::Existing(i) => panic!("{name}: {i:?} existed"),
        })
        .collect();
    let logged = store.events_after(start, 100).await.unwrap();
    let kinds: Vec<LiveKind> = logged.iter().map(|e| e.event.kind).collect();
    assert_eq!(kinds, [LiveKind::Incident, LiveKind::Incident, LiveKind::Alert, LiveKind::Alert], "{name}");
    assert_eq!(inserted.derived, logged[2..].to_vec(), "{name}: derived events answered as logged");
    let named: Vec<String> = inserted.derived.iter().map(|e| e.event.data.clone()).collect();
    assert_eq!(named, ids.iter().map(|id| format!(r#"{{"incident":{id}}}"#)).collect::<Vec<_>>(), "{name}");
    // A retry creates nothing, so nothing is derived or logged.
    let again = store.insert_deriving(batch.clone(), Vec::new(), Some(derive.clone())).await.unwrap();
    assert!(again.derived.is_empty(), "{name}");
    assert_eq!(store.last_seq().await.unwrap(), logged[3].seq, "{name}");
    // A refused batch logs nothing, derived events included.
    let mut changed = batch[1].clone();
    changed.0.summary = Some("另一内容".into());
    let refused = vec![(incident(Some("d-3"), 3), placement), changed];
    match store.insert_deriving(refused, Vec::new(), Some(derive.clone())).await {
        Err(StoreError::Conflict { index: 1, .. }) => {}
        other => panic!("{name}: {other:?}"),
    }
    assert_eq!(store.last_seq().await.unwrap(), logged[3].seq, "{name}: nothing of it logged");
    // A large write (the GeoPackage store derives alongside its rows, assuming every item is
    // new and takes the next id): the derived events name the ids the rows got, also when an
    // item is a retry (not new), in the middle of the write or first.
    for (k, retry_at) in [None, Some(150), Some(0)].into_iter().enumerate() {
        let large: Vec<(NewIncident, Placement)> = (0..300)
            .map(|j| match retry_at {
                Some(r) if r == j => batch[0].clone(),
                _ => (incident(Some(&format!("large-{k}-{j}")), j as i64), placement),
            })
            .collect();
        let before = store.last_seq().await.unwrap();
        let inserted = store.insert_deriving(large, Vec::new(), Some(derive.clone())).await.unwrap();
        let created: Vec<String> = inserted
            .outcomes
            .iter()
            .filter_map(InsertOutcome::created)
            .map(|i| format!(r#"{{"incident":{}}}"#, i.id.0))
            .collect();
        assert_eq!(created.len(), 300 - usize::from(retry_at.is_some()), "{name}");
        let named: Vec<String> = inserted.derived.iter().map(|e| e.event.data.clone()).collect();
        assert_eq!(named, created, "{name}: retry at {retry_at:?}");
        let logged = store.events_after(before, 1_000).await.unwrap();
        assert_eq!(inserted.derived, logged[created.len()..].to_vec(), "{name}: retry at {retry_at:?}");
    }
}

/// Desk records get per-kind subject numbers, optimistic versions and photos.
pub async fn desk_records_get_ids_versions_and_photos(backend: &impl Backend, world: &WorldData) {
    use crate::{DeskCheck, Photo};
    use model::live::{LiveKind, NewLiveEvent};
    let event = |kind: LiveKind, subject: u64, data: &str| NewLiveEvent {
        at: now(),
        kind,
        subject,
        cell_code: None,
        category: None,
        actor: Some("t".into()),
        data: data.into(),
    };
    let name = backend.name();
    let store = backend.open().await;
    store.replace_world(world.clone()).await.unwrap();
    // New subjects are numbered per kind from 1.
    let a = store.append_desk(event(LiveKind::Dispute, 0, "{}"), DeskCheck::NewSubject, None).await.unwrap();
    let b = store.append_desk(event(LiveKind::Dispute, 0, "{}"), DeskCheck::NewSubject, None).await.unwrap();
    assert_eq!((a.event.subject, b.event.subject), (1, 2), "{name}");
    assert!(b.seq > a.seq, "{name}");
    // A change naming the current version is written; naming an older one is stale and
    // writes nothing.
    let history = vec![LiveKind::Dispute, LiveKind::DisputeChanged];
    let check = |seq| DeskCheck::Version { kinds: history.clone(), seq };
    let c = store.append_desk(event(LiveKind::DisputeChanged, 1, "{}"), check(a.seq), None).await.unwrap();
    let before = store.last_seq().await.unwrap();
    match store.append_desk(event(LiveKind::DisputeChanged, 1, "{}"), check(a.seq), None).await {
        Err(StoreError::Stale { subject: 1, newest }) => assert_eq!(newest, c.seq, "{name}"),
        other => panic!("{name}: {other:?}"),
    }
    assert_eq!(store.last_seq().await.unwrap(), before, "{name}: nothing written");
    // Dispute 2's history is its own.
    store.append_desk(event(LiveKind::DisputeChanged, 2, "{}"), check(b.seq), None).await.unwrap();
    // No history yet is version 0 (an assignment of a village on the roster).
    let roster = DeskCheck::Version { kinds: vec![LiveKind::Assignment], seq: 0 };
    let v = 620602001001u64;
    store.append_desk(event(LiveKind::Assignment, v, "{}"), roster.clone(), None).await.unwrap();
    assert!(matches!(
        store.append_desk(event(LiveKind::Assignment, v, "{}"), roster, None).await,
        Err(StoreError::Stale { .. })
    ));
    // A village's screening of a month: its subject is the village code × 10⁶ + YYYYMM (beyond
    // 32 bits), its first filing names version 0, a second one without the first's seq is stale.
    let screening = DeskCheck::Version { kinds: vec![LiveKind::Screening], seq: 0 };
    let subject = 620_602_001_001_202_611u64;
    let filed = store.append_desk(event(LiveKind::Screening, subject, "{}"), screening.clone(), None).await.unwrap();
    assert_eq!(filed.event.subject, subject, "{name}");
    assert!(matches!(
        store.append_desk(event(LiveKind::Screening, subject, "{}"), screening, None).await,
        Err(StoreError::Stale { .. })
    ));
    let correction = DeskCheck::Version { kinds: vec![LiveKind::Screening], seq: filed.seq };
    store.append_desk(event(LiveKind::Screening, subject, "{}"), correction, None).await.unwrap();
    // A photo is stored with its record and read back by the record's seq.
    let photo = Photo { content_type: "image/jpeg".into(), bytes: vec![0xFF, 0xD8, 0xFF, 0, 1, 2, 255] };
    let visit =
        store.append_desk(event(LiveKind::Visit, 7, "{}"), DeskCheck::Nothing, Some(photo.clone())).await.unwrap();
    assert_eq!(store.photo(visit.seq).await.unwrap(), Some(photo), "{name}");
    assert_eq!(store.photo(a.seq).await.unwrap(), None, "{name}");
    // Desk records are in the log, in order, with their kinds.
    let kinds: Vec<LiveKind> = store
        .events_since(now() - Duration::days(1), LiveKind::DESK.to_vec())
        .await
        .unwrap()
        .iter()
        .map(|e| e.event.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            LiveKind::Dispute,
            LiveKind::Dispute,
            LiveKind::DisputeChanged,
            LiveKind::DisputeChanged,
            LiveKind::Assignment,
            LiveKind::Screening,
            LiveKind::Screening,
            LiveKind::Visit
        ],
        "{name}"
    );
    // Replacing the world clears the desk and its photos.
    store.replace_world(world.clone()).await.unwrap();
    assert_eq!(store.photo(visit.seq).await.unwrap(), None, "{name}");
}

/// Submitters' audit entries are written with their incidents, a retry is on record as one, a refused batch leaves none; a
/// batch's one entry counts its new items and retries.
pub async fn submitters_audit_entries_are_written_with_their_incidents(backend: &impl Backend, world: &WorldData) {
    use crate::{Attribution, Audited};
    let placement = Placement::of_cell(world.incidents[0].1.cell_code);
    let by = Attribution { actor: "clerk".into(), role: Some(Role::County), source: Some("10.0.0.9".into()) };
    let entries = |store: std::sync::Arc<dyn Store>| async move {
        let q = AuditQuery { action: Some("create_incident".into()), limit: 100, ..AuditQuery::default() };
        store.audit(q).await.unwrap()
    };
    let name = backend.name();
    let store = backend.open().await;
    store.replace_world(world.clone()).await.unwrap();
    let items = vec![(incident(Some("at-1"), 1), placement), (incident(Some("at-2"), 2), placement)];
    let out = store.insert_attributed(items.clone(), vec![Some(Audited::Item(by.clone())), None]).await.unwrap();
    let first = match &out[0] {
        InsertOutcome::Created(i) => i.id,
        other => panic!("{name}: {other:?}"),
    };
    let logged = entries(store.clone()).await;
    assert_eq!(logged.len(), 1, "{name}: only the attributed item is on record");
    assert_eq!((logged[0].actor.as_str(), logged[0].target.clone()), ("clerk", first.0.to_string()), "{name}");
    assert_eq!((logged[0].role.as_deref(), logged[0].source.as_deref()), (Some("county"), Some("10.0.0.9")));
    // A retry is on record as one.
    store.insert_attributed(items[..1].to_vec(), vec![Some(Audited::Item(by.clone()))]).await.unwrap();
    let logged = entries(store.clone()).await;
    assert_eq!(logged[0].detail.as_deref(), Some("retry of an existing report"), "{name}");
    // A refused batch leaves no audit entry either.
    let mut clash = incident(Some("at-2"), 2);
    clash.summary = Some("different".into());
    let refused = vec![(incident(Some("at-3"), 3), placement), (clash, placement)];
    let each = Some(Audited::Item(by.clone()));
    assert!(store.insert_attributed(refused.clone(), vec![each.clone(), each]).await.is_err());
    assert_eq!(entries(store.clone()).await.len(), 2, "{name}");
    let batch = |items: usize| vec![Some(Audited::Batch { by: by.clone(), items })];
    assert!(store.insert_attributed(refused, batch(2)).await.is_err());
    // A batch is one entry: two new items and a retry, then the same again, all retries.
    let batches = |store: std::sync::Arc<dyn Store>| async move {
        let q = AuditQuery { action: Some("create_incidents".into()), limit: 100, ..AuditQuery::default() };
        store.audit(q).await.unwrap()
    };
    assert_eq!(batches(store.clone()).await.len(), 0, "{name}: a refused batch leaves no entry");
    let three = vec![
        (incident(Some("at-4"), 4), placement),
        (incident(Some("at-1"), 1), placement),
        (incident(Some("at-5"), 5), placement),
    ];
    let mut by_item = batch(3);
    by_item.extend([None, None]);
    store.insert_attributed(three.clone(), by_item).await.unwrap();
    store.insert_attributed(three, batch(3)).await.unwrap();
    let logged = batches(store.clone()).await;
    let seen: Vec<(&str, &str, Option<&str>)> =
        logged.iter().map(|e| (e.actor.as_str(), e.target.as_str(), e.detail.as_deref())).collect();
    assert_eq!(
        seen,
        [("clerk", "batch of 3", Some("0 new, 3 retries")), ("clerk", "batch of 3", Some("2 new, 1 retries"))],
        "{name}: newest first"
    );
    assert_eq!(entries(store.clone()).await.len(), 2, "{name}: a batch has no entry per item");
}

/// A world round-trips through the store, across a reopen; id ranges and time windows read back exactly.
pub async fn a_world_round_trips_through_the_store(backend: &impl Backend, world: &WorldData) {
    let name = backend.name();
    {
        let store = backend.open().await;
        assert_eq!(store.backend(), name);
        assert!(!store.has_world().await.unwrap());
        store.replace_world(world.clone()).await.unwrap();
    }
    let store = backend.open().await;
    assert!(store.has_world().await.unwrap(), "{name}");
    let g = store.load_geography().await.unwrap();
    assert_eq!(g.regions, world.geography.regions, "{name}");
    assert_eq!(g.cells, world.geography.cells, "{name}");
    assert_eq!(g.resources, world.geography.resources, "{name}");
    assert_eq!(g.officers, world.geography.officers, "{name}");
    assert!(!g.departments.is_empty(), "{name}: the demo world has departments");
    assert_eq!(g.departments, world.geography.departments, "{name}");
    assert!(g.mediators.iter().any(|m| m.phone.is_some()), "{name}: the demo world has mediators with phones");
    assert_eq!(g.mediators, world.geography.mediators, "{name}");
    let rows = store.load_incident_rows().await.unwrap();
    assert_eq!(rows.len(), world.incidents.len(), "{name}");
    for (r, d) in rows.iter().zip(&world.incidents) {
        assert_eq!((r.lon, r.lat), (d.0.lon, d.0.lat), "{name}");
        assert_eq!(r.occurred_s, d.0.occurred_at.timestamp(), "{name}");
        assert_eq!((r.category, r.status, r.cell_code), (d.0.category, d.0.status, d.1.cell_code));
    }
    let everything = Scope::everything();
    let full = store.incidents_by_id(&everything, vec![rows[10].id]).await.unwrap();
    assert_eq!(full[0].fields, world.incidents[10].0, "{name}");
    assert_eq!(store.meta("demo_truth").await.unwrap(), world.demo_truth_json, "{name}");
    assert_eq!(store.meta("no such key").await.unwrap(), None);
    let span = store.incident_id_span(None).await.unwrap();
    assert_eq!(span, Some(rows[0].id.0..=rows[rows.len() - 1].id.0), "{name}");
    // The span of a window of recent incidents: from its own first id, not the first stored.
    let cut_s = {
        let mut times: Vec<i64> = rows.iter().map(|r| r.occurred_s).collect();
        times.sort_unstable();
        times[times.len() * 3 / 4]
    };
    let in_window: Vec<u64> = rows.iter().filter(|r| r.occurred_s >= cut_s).map(|r| r.id.0).collect();
    let window_span = store.incident_id_span(Some(chrono::DateTime::from_timestamp(cut_s, 0).unwrap())).await.unwrap();
    assert_eq!(
        window_span,
        Some(*in_window.iter().min().unwrap()..=*in_window.iter().max().unwrap()),
        "{name}: the window's span"
    );
    assert!(window_span.as_ref().is_some_and(|s| *s.start() > rows[0].id.0), "{name}: the window starts later");
    let after_all = rows.iter().map(|r| r.occurred_s).max().unwrap() + 1;
    assert_eq!(
        store.incident_id_span(Some(chrono::DateTime::from_timestamp(after_all, 0).unwrap())).await.unwrap(),
        None,
        "{name}: an empty window"
    );
    // A part of the id range, as a follower reads it.
    let (a, b) = (rows[100].id.0, rows[119].id.0);
    let some = store.incident_rows(a..=b, None).await.unwrap();
    assert_eq!(some, rows[100..120].to_vec(), "{name}");
    // And of those, the ones at or after a time (a window of recent incidents).
    let cut = chrono::DateTime::from_timestamp(rows[110].occurred_s, 0).unwrap();
    let recent = store.incident_rows(a..=b, Some(cut)).await.unwrap();
    let expected: Vec<_> = rows[100..120].iter().filter(|r| r.occurred_s >= rows[110].occurred_s).copied().collect();
    assert!(!expected.is_empty() && expected.len() < 20, "{name}");
    assert_eq!(recent, expected, "{name}");
    // Replacing the world again replaces, it does not add.
    store.replace_world(world.clone()).await.unwrap();
    assert_eq!(store.load_incident_rows().await.unwrap().len(), world.incidents.len(), "{name}");
    assert_eq!(store.load_geography().await.unwrap().officers, world.geography.officers, "{name}");
}

/// Publishing a world replaces its layers, moves the incidents given and keeps every other
/// incident, the live log, users and the audit log; versions count up from the whole-store
/// write (version 1) and each keeps its world for a rollback.
pub async fn publishing_a_world_keeps_incidents_and_records_versions(backend: &impl Backend, world: &WorldData) {
    let name = backend.name();
    let store = backend.open().await;
    store.replace_world(world.clone()).await.unwrap();
    let first = store.world_versions().await.unwrap();
    assert_eq!(first.len(), 1, "{name}: the whole-store write is version 1");
    assert_eq!(first[0].version, 1, "{name}");
    let rows_before = store.load_incident_rows().await.unwrap();
    let seq_before = store.last_seq().await.unwrap();
    // The next world: one cell renamed, one resource dropped, and the first incident moved to
    // the last cell (as a redrawn grid would move it).
    let mut next = world.geography.clone();
    next.cells[0].cell.name = "新名称网格".into();
    let dropped = next.resources.pop().unwrap();
    let last_cell = next.cells.last().unwrap().cell.code;
    let moved = rows_before[0].id;
    let publication = crate::Publication {
        geography: next.clone(),
        placements: vec![(moved, Placement::of_cell(last_cell))],
        by: "tester".into(),
        note: "import test.gpkg".into(),
        changes: r#"{"cells":[0,1,0]}"#.into(),
        at: "2026-11-01T04:00:00Z".into(),
        follows: Some(1),
    };
    // A publication decided on an older version than the latest is refused whole.
    let stale = crate::Publication { follows: Some(0), ..publication.clone() };
    assert!(
        matches!(store.publish_world(stale).await, Err(crate::StoreError::StaleWorld { follows: 0, current: 1 })),
        "{name}"
    );
    assert_eq!(store.world_versions().await.unwrap().len(), 1, "{name}: nothing published");
    let v = store.publish_world(publication).await.unwrap();
    assert_eq!((v.version, v.by.as_str(), v.note.as_str()), (2, "tester", "import test.gpkg"), "{name}");
    // Another handle (a restart, another instance) sees the new world and the versions.
    let again = backend.open().await;
    let g = again.load_geography().await.unwrap();
    assert_eq!(g.cells, next.cells, "{name}");
    assert_eq!(g.regions, next.regions, "{name}");
    assert!(!g.resources.contains(&dropped), "{name}");
    assert_eq!(g.officers, next.officers, "{name}");
    let rows = again.load_incident_rows().await.unwrap();
    assert_eq!(rows.len(), rows_before.len(), "{name}: no incident lost");
    for (after, before) in rows.iter().zip(&rows_before) {
        assert_eq!(after.id, before.id, "{name}");
        let want = if after.id == moved { last_cell } else { before.cell_code };
        assert_eq!(after.cell_code, want, "{name}: incident {}", after.id.0);
    }
    let full = again.incidents_by_id(&Scope::everything(), vec![moved]).await.unwrap();
    assert_eq!(full[0].placement, Placement::of_cell(last_cell), "{name}");
    assert_eq!(again.last_seq().await.unwrap(), seq_before, "{name}: the live log is kept");
    let versions = again.world_versions().await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2], "{name}");
    assert_eq!(
        (versions[1].published_at.as_str(), versions[1].changes.as_str()),
        ("2026-11-01T04:00:00Z", r#"{"cells":[0,1,0]}"#)
    );
    // Each version keeps its world whole.
    let old = again.world_of_version(1).await.unwrap().unwrap();
    assert_eq!(
        (old.cells, old.resources),
        (world.geography.cells.clone(), world.geography.resources.clone()),
        "{name}"
    );
    let new = again.world_of_version(2).await.unwrap().unwrap();
    assert_eq!(new.cells[0].cell.name, "新名称网格", "{name}");
    assert!(again.world_of_version(3).await.unwrap().is_none(), "{name}");
}

/// Batches are idempotent on (source, external_id) and all or nothing; acknowledged writes are there for another reader.
pub async fn batches_are_idempotent_and_all_or_nothing(backend: &impl Backend) {
    let name = backend.name();
    let store = backend.open().await;
    let place = Placement::of_cell("620602001001001".parse().unwrap());
    let first =
        store.insert_incidents(vec![(incident(Some("A"), 0), place), (incident(None, 1), place)]).await.unwrap();
    assert!(matches!(first[..], [InsertOutcome::Created(_), InsertOutcome::Created(_)]), "{name}");
    let InsertOutcome::Created(a) = &first[0] else { unreachable!() };
    assert_eq!(a.fields, incident(Some("A"), 0), "{name}: stored as given");
    let again =
        store.insert_incidents(vec![(incident(Some("A"), 0), place), (incident(Some("B"), 2), place)]).await.unwrap();
    assert!(
        matches!(&again[..], [InsertOutcome::Existing(x), InsertOutcome::Created(_)] if x.id == a.id),
        "{name}: {again:?}"
    );
    // C would be new, but A comes back with other content: nothing of the batch is written.
    let err = store
        .insert_incidents(vec![(incident(Some("C"), 3), place), (incident(Some("A"), 9), place)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { index: 1, existing } if existing == a.id), "{name}: {err}");
    assert_eq!(store.load_incident_rows().await.unwrap().len(), 3, "{name}");
    // A key repeated inside one batch: with the same report it is the first item's incident,
    // with another it names the first item; nothing of that batch is written.
    let err = store
        .insert_incidents(vec![
            (incident(Some("D"), 4), place),
            (incident(None, 5), place),
            (incident(Some("D"), 6), place),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Repeated { index: 2, first: 0 }), "{name}: {err}");
    assert_eq!(store.load_incident_rows().await.unwrap().len(), 3, "{name}");
    let twice = store
        .insert_incidents(vec![
            (incident(Some("D"), 4), place),
            (incident(None, 5), place),
            (incident(Some("D"), 4), place),
            (incident(Some("E"), 7), place),
        ])
        .await
        .unwrap();
    let ids: Vec<IncidentId> = twice
        .iter()
        .map(|o| match o {
            InsertOutcome::Created(i) | InsertOutcome::Existing(i) => i.id,
        })
        .collect();
    assert!(
        matches!(
            &twice[..],
            [
                InsertOutcome::Created(_),
                InsertOutcome::Created(_),
                InsertOutcome::Existing(_),
                InsertOutcome::Created(_)
            ]
        ),
        "{name}: {twice:?}"
    );
    assert!(ids[0] < ids[1] && ids[1] < ids[3] && ids[2] == ids[0], "{name}: ids in batch order: {ids:?}");
    // What a write answers is what a read returns.
    let answered: Vec<Incident> = twice
        .into_iter()
        .filter_map(|o| match o {
            InsertOutcome::Created(i) => Some(i),
            InsertOutcome::Existing(_) => None,
        })
        .collect();
    let read = store.incidents_by_id(&Scope::everything(), answered.iter().map(|i| i.id).collect()).await.unwrap();
    assert_eq!(read, answered, "{name}");
    // Sub-millisecond differences are the same report (both stores keep milliseconds).
    let mut fine = incident(Some("A"), 0);
    fine.occurred_at += Duration::microseconds(300);
    assert!(matches!(store.insert_incidents(vec![(fine, place)]).await.unwrap()[..], [InsertOutcome::Existing(_)]));
    // The same external id under another source is another incident.
    let mut other = incident(Some("A"), 9);
    other.source = Source::GridWorker;
    let r = store.insert_incidents(vec![(other, place)]).await.unwrap();
    assert!(matches!(r[..], [InsertOutcome::Created(_)]), "{name}");
    // Found by its key, under its own source only.
    let InsertOutcome::Created(grid) = &r[0] else { unreachable!() };
    assert_eq!(store.incident_by_external(Source::GridWorker, "A").await.unwrap(), Some(grid.id), "{name}");
    let first = store.incident_by_external(Source::Patrol, "A").await.unwrap();
    assert!(first.is_some_and(|id| id != grid.id), "{name}");
    assert_eq!(store.incident_by_external(Source::CitizenApp, "A").await.unwrap(), None, "{name}");
    // The same rules for a feed's large batch (PostGIS inserts one plainly first and, meeting a
    // stored or repeated key, again skipping keys): a stored key, a repeated key, new keys, and
    // then the same batch as a retry.
    let large = crate::postgis::PLAIN_FIRST_MIN_ITEMS + 20;
    let mut batch: Vec<(NewIncident, Placement)> =
        (0..large as i64 - 2).map(|i| (incident(Some(&format!("L{i}")), 20 + i), place)).collect();
    batch.insert(7, (incident(Some("E"), 7), place));
    batch.push((incident(Some("L3"), 23), place));
    let outcomes = store.insert_incidents(batch.clone()).await.unwrap();
    let existing: Vec<usize> =
        outcomes.iter().enumerate().filter(|(_, o)| matches!(o, InsertOutcome::Existing(_))).map(|(i, _)| i).collect();
    assert_eq!(existing, [7, large - 1], "{name}: the stored key and the repeat are existing");
    let id_of = |o: &InsertOutcome| match o {
        InsertOutcome::Created(i) | InsertOutcome::Existing(i) => i.id,
    };
    assert_eq!(id_of(&outcomes[7]), ids[3], "{name}: E is the stored incident");
    assert_eq!(id_of(&outcomes[large - 1]), id_of(&outcomes[3]), "{name}: L3 is the batch's first L3");
    let created: Vec<IncidentId> =
        outcomes.iter().filter(|o| matches!(o, InsertOutcome::Created(_))).map(id_of).collect();
    assert!(created.windows(2).all(|w| w[0] < w[1]), "{name}: ids in batch order");
    let retried = store.insert_incidents(batch).await.unwrap();
    assert!(retried.iter().all(|o| matches!(o, InsertOutcome::Existing(_))), "{name}: a retry creates nothing");
    assert_eq!(retried.iter().map(id_of).collect::<Vec<_>>(), outcomes.iter().map(id_of).collect::<Vec<_>>(), "{name}");
    // Acknowledged writes are there for any other reader.
    drop(store);
    let reopened = backend.open().await;
    assert_eq!(reopened.load_incident_rows().await.unwrap().len(), 7 + large - 2, "{name}");
    drop(reopened);
}

/// Reads by id and search keep to the scope, in the order asked; `%` is a literal.
pub async fn reads_and_search_keep_to_the_scope(backend: &impl Backend) {
    let name = backend.name();
    let store = backend.open().await;
    let here = Placement::of_cell("620602001001001".parse().unwrap());
    let there = Placement::of_cell("620621100201003".parse().unwrap());
    let mut items = Vec::new();
    for k in 0..6 {
        let mut i = incident(Some(&format!("S-{k}")), k);
        i.address = Some(if k % 2 == 0 { "东大街 100% 商铺".into() } else { "西关街".into() });
        items.push((i, if k < 3 { here } else { there }));
    }
    let ids: Vec<IncidentId> = store
        .insert_incidents(items)
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            InsertOutcome::Created(i) => i.id,
            InsertOutcome::Existing(i) => panic!("{name}: {i:?} existed"),
        })
        .collect();
    let township = Scope::of(vec!["620602001000".parse().unwrap()]);
    // In the order asked, unknown ids and ids outside the scope left out.
    let asked = vec![ids[2], IncidentId(999_999), ids[4], ids[0]];
    let got: Vec<IncidentId> =
        store.incidents_by_id(&township, asked.clone()).await.unwrap().iter().map(|i| i.id).collect();
    assert_eq!(got, [ids[2], ids[0]], "{name}");
    let all: Vec<IncidentId> =
        store.incidents_by_id(&Scope::everything(), asked).await.unwrap().iter().map(|i| i.id).collect();
    assert_eq!(all, [ids[2], ids[4], ids[0]], "{name}");
    assert!(store.incidents_by_id(&Scope::of(vec![]), ids.clone()).await.unwrap().is_empty(), "{name}");
    // Search: newest first, `%` is a literal, the scope and the limit hold.
    let hits: Vec<IncidentId> =
        store.search_incidents(&Scope::everything(), "100%", 10).await.unwrap().iter().map(|i| i.id).collect();
    assert_eq!(hits, [ids[4], ids[2], ids[0]], "{name}");
    let hits: Vec<IncidentId> =
        store.search_incidents(&township, "100%", 10).await.unwrap().iter().map(|i| i.id).collect();
    assert_eq!(hits, [ids[2], ids[0]], "{name}");
    assert_eq!(store.search_incidents(&Scope::everything(), "街", 2).await.unwrap().len(), 2, "{name}");
    let by_ext = store.search_incidents(&Scope::everything(), "S-3", 10).await.unwrap();
    assert_eq!(by_ext.iter().map(|i| i.id).collect::<Vec<_>>(), [ids[3]], "{name}");
    assert!(store.search_incidents(&township, "S-3", 10).await.unwrap().is_empty(), "{name}");
}

/// Users, sessions (expiry, password change, disabling) and the audit log (newest first, filtered).
pub async fn users_sessions_and_the_audit_log(backend: &impl Backend) {
    let t = |h: i64| stamp(now() + Duration::hours(h));
    let name = backend.name();
    let store = backend.open().await;
    let new = |u: &str| NewUser {
        username: u.into(),
        password_hash: format!("hash-of-{u}"),
        role: Role::County,
        jurisdiction: Some("620602000000".parse().unwrap()),
        officer_id: None,
        department: None,
        grid_worker_id: None,
    };
    let ann = store.create_user(new("ann")).await.unwrap().unwrap();
    assert!(store.create_user(new("ann")).await.unwrap().is_none(), "{name}: a taken name");
    let bob = store
        .create_user(NewUser { role: Role::Village, jurisdiction: None, officer_id: Some(7), ..new("bob") })
        .await
        .unwrap()
        .unwrap();
    let water = model::department::DepartmentCode::parse("water-620602").unwrap();
    let cy = store
        .create_user(NewUser { role: Role::Department, department: Some(water.clone()), ..new("cy") })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cy.department.as_ref(), Some(&water));
    let gus = store
        .create_user(NewUser { role: Role::GridWorker, jurisdiction: None, grid_worker_id: Some(4021), ..new("gus") })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.user_by_name("gus").await.unwrap().unwrap().0.grid_worker_id, Some(4021), "{name}");
    assert_eq!(store.users().await.unwrap(), [ann.clone(), bob.clone(), cy.clone(), gus.clone()], "{name}");
    // The schema's own rules: a grid worker has a worker and no region; nobody else has one.
    let both = NewUser { role: Role::GridWorker, grid_worker_id: Some(4022), ..new("gil") };
    assert!(store.create_user(both).await.is_err(), "{name}: a grid worker with a region too");
    let worker_of_county = NewUser { grid_worker_id: Some(4023), jurisdiction: None, ..new("gay") };
    assert!(store.create_user(worker_of_county).await.is_err(), "{name}: a county user with a grid worker");
    assert_eq!(store.user_by_name("cy").await.unwrap().unwrap().0, cy, "{name}: the department is kept");
    // The schema's own rule: staff have a department, nobody else has one.
    assert!(store.create_user(NewUser { department: Some(water), ..new("dee") }).await.is_err(), "{name}");
    let (found, hash) = store.user_by_name("bob").await.unwrap().unwrap();
    assert_eq!((found, hash.as_str()), (bob.clone(), "hash-of-bob"), "{name}");
    assert!(store.user_by_name("nobody").await.unwrap().is_none());
    // Sessions live until they expire; a new session purges expired ones.
    store.create_session("s1".into(), ann.id, t(0), t(8)).await.unwrap();
    store.create_session("s2".into(), ann.id, t(0), t(8)).await.unwrap();
    assert_eq!(store.session_user("s1".into(), t(1)).await.unwrap(), Some(ann.clone()), "{name}");
    assert_eq!(store.session_user("s1".into(), t(9)).await.unwrap(), None, "{name}: expired");
    assert_eq!(store.session_user("nope".into(), t(1)).await.unwrap(), None);
    // A new password ends the other sessions, not the one kept.
    store.set_password(ann.id, "new-hash".into(), Some("s2".into())).await.unwrap();
    assert_eq!(store.session_user("s1".into(), t(1)).await.unwrap(), None, "{name}");
    assert_eq!(store.session_user("s2".into(), t(1)).await.unwrap(), Some(ann.clone()), "{name}");
    assert_eq!(store.user_by_name("ann").await.unwrap().unwrap().1, "new-hash");
    store.delete_session("s2".into()).await.unwrap();
    assert_eq!(store.session_user("s2".into(), t(1)).await.unwrap(), None, "{name}");
    // Disabling ends sessions and keeps the user out; enabling lets them log in again.
    store.create_session("s3".into(), bob.id, t(0), t(8)).await.unwrap();
    assert!(store.set_user_disabled("bob", true).await.unwrap());
    assert_eq!(store.session_user("s3".into(), t(1)).await.unwrap(), None, "{name}");
    assert!(store.user_by_name("bob").await.unwrap().unwrap().0.disabled);
    assert!(!store.set_user_disabled("nobody", true).await.unwrap());
    assert!(store.set_user_disabled("bob", false).await.unwrap());
    store.create_session("s4".into(), bob.id, t(0), t(8)).await.unwrap();
    assert!(store.session_user("s4".into(), t(1)).await.unwrap().is_some(), "{name}");
    // The audit log: newest first, filtered, limited, with store-assigned times.
    for (actor, action) in [("ann", "login"), ("bob", "login"), ("ann", "read_incident")] {
        store
            .append_audit(NewAudit {
                actor: actor.into(),
                role: Some(Role::County),
                action,
                target: "x".into(),
                source: Some("127.0.0.1".into()),
                result: "ok",
                detail: None,
            })
            .await
            .unwrap();
    }
    let q = |actor: Option<&str>, action: Option<&str>, limit| AuditQuery {
        actor: actor.map(Into::into),
        action: action.map(Into::into),
        from: None,
        to: None,
        limit,
    };
    let all = store.audit(q(None, None, 10)).await.unwrap();
    let seen: Vec<(&str, &str)> = all.iter().map(|e| (e.actor.as_str(), e.action.as_str())).collect();
    assert_eq!(seen, [("ann", "read_incident"), ("bob", "login"), ("ann", "login")], "{name}");
    assert!(all.windows(2).all(|w| w[0].id > w[1].id && w[0].at >= w[1].at), "{name}");
    assert_eq!(all[0].role.as_deref(), Some("county"));
    assert!(model::time::parse_utc_millis(&all[0].at).is_some(), "{name}: {}", all[0].at);
    assert_eq!(store.audit(q(Some("ann"), None, 10)).await.unwrap().len(), 2, "{name}");
    assert_eq!(store.audit(q(None, Some("login"), 10)).await.unwrap().len(), 2, "{name}");
    assert_eq!(store.audit(q(None, None, 1)).await.unwrap().len(), 1, "{name}");
    let mut later = q(None, None, 10);
    later.from = Some(stamp(chrono::Utc::now() + Duration::hours(1)));
    assert!(store.audit(later).await.unwrap().is_empty(), "{name}");
    let mut earlier = q(None, None, 10);
    earlier.to = Some(stamp(chrono::Utc::now() + Duration::hours(1)));
    assert_eq!(store.audit(earlier).await.unwrap().len(), 3, "{name}");
}
