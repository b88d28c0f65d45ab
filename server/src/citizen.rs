//! The citizen channel (群众上报, 表决器): a report without signing in becomes a 综治 event with
//! source 群众APP (or a signed-in integration's channel), waiting for the centre to accept it
//! into the loop (分拨) or reject it (不予受理); its tracking code shows the stage and dates,
//! nothing more; once closed, the public gives its verdict, once.
//!
//! The tracking code is 20 characters of a 32-letter alphabet (100 random bits; for a channel
//! integration, 100 bits of a keyed SHA-256 of its channel and id under the store's
//! `tracking_secret`, so a resend gets the same code and nobody without the key can derive one);
//! the store keeps only the code's SHA-256, as the event's `external_id` (`track:<hex>`), so a
//! stolen store names no code. What a citizen sends is read back only by staff whose
//! jurisdiction holds the place.

use crate::geography::Geography;
use crate::ingest::{IngestError, submit};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use model::api::public::{PublicReport, PublicStage, PublicStep, PublicVerdict, Receipt, Tracking};
use model::live::IncidentChange;
use model::scope::Scope;
use model::taxonomy::Workflow;
use model::workflow::Transition;
use model::{Category, IncidentId, NewIncident, Severity, Source, Status};
use sha2::{Digest, Sha256};
use store::StoreError;

/// Characters of a tracking code.
pub const TRACKING_CODE_CHARS: usize = 20;
/// The letters a tracking code is written in (Crockford's base 32, lower case: no i, l, o, u).
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Longest description, characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Longest address, characters.
pub const MAX_ADDRESS_CHARS: usize = 100;
/// Longest verdict comment, characters.
pub const MAX_COMMENT_CHARS: usize = 200;
/// Longest external id an integration may send, characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 64;
/// Who the public's steps are by, in an event's history.
pub const PUBLIC_ACTOR: &str = "群众";
/// The store's `safegrid_meta` key of the secret integrations' codes are derived with.
pub const SECRET_KEY: &str = "tracking_secret";
/// Where a tracking code's hash is kept.
const EXTERNAL_ID_PREFIX: &str = "track:";

/// Why a citizen's request is refused.
#[derive(Debug, thiserror::Error)]
pub enum CitizenError {
    /// A field is wrong (422, naming it).
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong, in words.
        message: String,
    },
    /// No report has this tracking code (404).
    #[error("no report has this tracking code")]
    UnknownCode,
    /// The verdict was given already, or the report is not closed yet (409).
    #[error("{0}")]
    NotNow(&'static str),
    /// Storing the report was refused or failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// Storing a step (the photo's note, the verdict) was refused or failed.
    #[error(transparent)]
    Change(#[from] crate::live::ChangeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> CitizenError {
    CitizenError::Invalid { field, message: message.into() }
}

/// A fresh tracking code.
pub fn new_code() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; TRACKING_CODE_CHARS];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| ALPHABET[usize::from(b & 31)] as char).collect()
}

/// Whether `code` could be a tracking code (checked before any lookup).
pub fn well_formed(code: &str) -> bool {
    code.len() == TRACKING_CODE_CHARS && code.bytes().all(|b| ALPHABET.contains(&b))
}

/// The `external_id` a tracking code is stored under.
pub fn external_id_of(code: &str) -> String {
    let digest = Sha256::digest(code.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{EXTERNAL_ID_PREFIX}{hex}")
}

/// The channels a report may come through: a citizen's own is `citizen_app`; a signed-in
/// integration names its channel.
pub fn channel(asked: Option<&str>, integration: bool) -> Result<Source, CitizenError> {
    match (asked, integration) {
        (None, _) => Ok(Source::CitizenApp),
        (Some(_), false) => Err(invalid("source", "only a channel integration (a bearer token) names its source")),
        (Some(s), true) => match Source::parse_label(s) {
            Some(src @ (Source::CitizenApp | Source::Hotline12345 | Source::WeChat)) => Ok(src),
            _ => Err(invalid("source", format!("{s:?} is not a public channel: citizen_app, hotline_12345 or wechat"))),
        },
    }
}

/// A report checked field by field, as the incident it becomes (status `reported`), its
/// tracking code when the server made one, and its photo.
pub struct Checked {
    /// The incident to store.
    pub incident: NewIncident,
    /// The tracking code (made here, or derived from an integration's external id).
    pub code: String,
}

/// The public channels a report may come through.
pub const PUBLIC_SOURCES: [Source; 3] = [Source::CitizenApp, Source::Hotline12345, Source::WeChat];

/// The tracking code of an integration's report: 100 bits of SHA-256 over the store's secret,
/// the channel and the integration's id (secret first and the output truncated, so neither
/// the code nor the id lets anyone compute another code).
pub fn integration_code(secret: &str, source: Source, id: &str) -> String {
    let digest = Sha256::digest(format!("{secret}\u{1f}{}\u{1f}{id}", source.as_str()).as_bytes());
    digest.iter().take(TRACKING_CODE_CHARS).map(|b| ALPHABET[usize::from(b & 31)] as char).collect()
}

/// Checks a report: kind of the 综治 loop, description, place inside the grid, address, phone.
/// `integration_secret`: the store's `tracking_secret` when a channel integration sends it with
/// its own `external_id` (the tracking code is then derived, so a resubmission gets the same
/// receipt).
pub fn check(
    report: &PublicReport,
    source: Source,
    geography: &Geography,
    now: DateTime<Utc>,
    integration_secret: Option<&str>,
) -> Result<Checked, CitizenError> {
    let kind = Category::parse_label(report.kind.trim())
        .ok_or_else(|| invalid("kind", format!("{:?} is not an event kind", report.kind)))?;
    if kind.workflow() != Workflow::Department {
        return Err(invalid("kind", "this kind is a police matter: call 110 (紧急情况请拨打110)"));
    }
    let description = report.description.trim();
    if description.is_empty() || description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid("description", format!("describe the matter in 1 to {MAX_DESCRIPTION_CHARS} characters")));
    }
    if description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid("description", "control characters are not allowed"));
    }
    if !(report.lon.is_finite() && report.lat.is_finite()) || geography.locate(report.lon, report.lat).is_none() {
        return Err(invalid("lon", "the place is outside the city's grid"));
    }
    let address = report.address.as_deref().map(str::trim).filter(|a| !a.is_empty());
    if let Some(a) = address
        && (a.chars().count() > MAX_ADDRESS_CHARS || a.chars().any(char::is_control))
    {
        return Err(invalid("address", format!("an address is at most {MAX_ADDRESS_CHARS} characters, one line")));
    }
    let phone = report.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if let Some(p) = phone {
        let digits = p.strip_prefix('+').unwrap_or(p);
        if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("phone", "a phone number is 7 to 15 digits"));
        }
    }
    let code = match (report.external_id.as_deref(), integration_secret) {
        (None, _) => new_code(),
        (Some(id), Some(secret))
            if !id.is_empty() && id.chars().count() <= MAX_EXTERNAL_ID_CHARS && !id.chars().any(char::is_control) =>
        {
            integration_code(secret, source, id)
        }
        (Some(_), Some(_)) => {
            return Err(invalid("external_id", format!("an external id is 1 to {MAX_EXTERNAL_ID_CHARS} characters")));
        }
        (Some(_), None) => {
            return Err(invalid("external_id", "only a channel integration (a bearer token) sends an external id"));
        }
    };
    let incident = NewIncident {
        source,
        external_id: Some(external_id_of(&code)),
        category: kind,
        subcategory: None,
        occurred_at: now,
        reported_at: now,
        lon: report.lon,
        lat: report.lat,
        address: address.map(str::to_owned),
        summary: Some(description.to_owned()),
        reporter_name: None,
        reporter_phone: phone.map(str::to_owned),
        severity: Severity::Minor,
        status: Status::Reported,
    };
    Ok(Checked { incident, code })
}

/// One filing per tracking code at a time on this instance.
static FILINGS: std::sync::LazyLock<crate::keyed_lock::KeyedLocks> = std::sync::LazyLock::new(Default::default);

/// Stores a checked report inside `scope` (a citizen's: everywhere; an integration's: its
/// user's jurisdiction) and its photo: the receipt, and whether it was new. A report already
/// stored under its code (an integration's resend) is answered with the same receipt, whatever
/// its times say.
pub async fn file(
    s: &AppState,
    checked: Checked,
    photo: Option<store::Photo>,
    by: store::Attribution,
    scope: &Scope,
) -> Result<(Receipt, bool), CitizenError> {
    let track_url = format!("/track/{}", checked.code);
    let key = checked.incident.external_id.clone().unwrap_or_default();
    let source = checked.incident.source;
    let _one = FILINGS.lock(&key).await;
    if s.store.incident_by_external(source, &key).await?.is_some() {
        return Ok((Receipt { tracking_code: checked.code, track_url }, false));
    }
    let derive = Some(crate::live::derive(s));
    let stored = match submit(&s.commit, &s.geography, scope, vec![checked.incident], Some(by), derive).await {
        Ok(stored) => stored,
        // Another instance stored it meanwhile: the same report.
        Err(IngestError::Conflict { .. }) if s.store.incident_by_external(source, &key).await?.is_some() => {
            return Ok((Receipt { tracking_code: checked.code, track_url }, false));
        }
        Err(e) => return Err(e.into()),
    };
    let Some(stored) = stored.into_iter().next() else {
        return Err(invalid("description", "the report was not stored; send it again"));
    };
    if stored.created
        && let Some(photo) = photo
    {
        let t = Transition {
            to: Status::Reported,
            note: Some("群众上报照片 (photo sent with the report)".into()),
            note_only: true,
            ..Transition::default()
        };
        crate::live::change(s, &stored.incident, t, PUBLIC_ACTOR, Some(photo)).await?;
    }
    Ok((Receipt { tracking_code: checked.code, track_url }, stored.created))
}

/// The report a tracking code names, and its history.
async fn find(s: &AppState, code: &str) -> Result<(model::Incident, Vec<IncidentChange>), CitizenError> {
    if !well_formed(code) {
        return Err(CitizenError::UnknownCode);
    }
    let wanted = external_id_of(code);
    let mut found = None;
    for source in PUBLIC_SOURCES {
        if let Some(id) = s.store.incident_by_external(source, &wanted).await? {
            found = Some(id);
            break;
        }
    }
    let id = found.ok_or(CitizenError::UnknownCode)?;
    let incident = s
        .store
        .incidents_by_id(&Scope::everything(), vec![id])
        .await?
        .into_iter()
        .next()
        .ok_or(CitizenError::UnknownCode)?;
    let history = crate::live::history(s, incident.id.0).await?;
    Ok((incident, history))
}

/// What the public sees of a report: its stage and the dates each stage was reached.
pub fn tracking(incident: &model::Incident, history: &[IncidentChange]) -> Tracking {
    let mut ever_assigned = false;
    let mut steps = vec![PublicStep { stage: PublicStage::Received, at: incident.fields.reported_at }];
    let mut status = incident.fields.status;
    for c in history.iter().filter(|c| !c.note_only) {
        ever_assigned |= c.order.is_some();
        status = c.to;
        let stage = PublicStage::of(c.to, ever_assigned);
        if steps.last().is_none_or(|s| s.stage != stage) {
            steps.push(PublicStep { stage, at: c.at });
        }
    }
    let verdict = public_verdict(history);
    let stage = PublicStage::of(status, ever_assigned);
    Tracking {
        kind: incident.fields.category,
        stage,
        reported_at: incident.fields.reported_at,
        steps,
        verdict_open: status == Status::Closed && verdict.is_none(),
        verdict,
    }
}

/// The verdict the public gave through the tracking page, if any.
fn public_verdict(history: &[IncidentChange]) -> Option<model::department::Verdict> {
    history
        .iter()
        .find(|c| c.note_only && c.by == PUBLIC_ACTOR && c.note.as_deref().is_some_and(|n| n.starts_with(VERDICT_NOTE)))
        .and_then(|c| {
            let label = c.note.as_deref()?.strip_prefix(VERDICT_NOTE)?.split('；').next()?;
            model::department::Verdict::parse_label(label)
        })
}

/// How a public verdict's note starts (then the verdict's label, then the comment).
const VERDICT_NOTE: &str = "群众评价（表决器）：";

/// `GET /api/public/track/{code}`.
pub async fn track(s: &AppState, code: &str) -> Result<Tracking, CitizenError> {
    let (incident, history) = find(s, code).await?;
    Ok(tracking(&incident, &history))
}

/// The public's verdict on a closed report, once. It is counted in the satisfaction rates as the
/// event's 回访 when no return visit recorded a verdict; otherwise it is kept in the history
/// only.
pub async fn give_verdict(s: &AppState, code: &str, v: &PublicVerdict) -> Result<Tracking, CitizenError> {
    let comment = v.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = comment
        && (c.chars().count() > MAX_COMMENT_CHARS || c.chars().any(|ch| ch.is_control() && ch != '\n'))
    {
        return Err(invalid("comment", format!("a comment is at most {MAX_COMMENT_CHARS} characters")));
    }
    // One verdict per code at a time on this instance, so two sends of it count once.
    let _one = FILINGS.lock(&format!("verdict:{code}")).await;
    let (incident, history) = find(s, code).await?;
    let now = tracking(&incident, &history);
    if now.verdict.is_some() {
        return Err(CitizenError::NotNow("the verdict on this report was given already"));
    }
    if !now.verdict_open {
        return Err(CitizenError::NotNow("the verdict is given once the report is closed"));
    }
    let return_visit_counted = history.iter().any(|c| c.verdict.is_some());
    let mut note = format!("{VERDICT_NOTE}{}", v.verdict.label_zh());
    if let Some(c) = comment {
        note.push('；');
        note.push_str(c);
    }
    let t = Transition {
        to: Status::Closed,
        note: Some(note),
        note_only: true,
        verdict: (!return_visit_counted).then_some(v.verdict),
        ..Transition::default()
    };
    crate::live::change(s, &incident, t, PUBLIC_ACTOR, None).await?;
    let (incident, history) = find(s, code).await?;
    Ok(tracking(&incident, &history))
}

/// The id of the report a tracking code names (for tests and the centre's tools).
pub async fn incident_of(s: &AppState, code: &str) -> Result<IncidentId, CitizenError> {
    Ok(find(s, code).await?.0.id)
}
