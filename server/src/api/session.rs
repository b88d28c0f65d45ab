//! Signing in and out: `POST /api/login` (cookie and bearer token), `POST /api/logout`,
//! `GET /api/me`, `POST /api/password`; and `GET /api/audit` for administrators.

use super::error::AppError;
use super::params::Params;
use crate::auth::{
    AUDIT_USERNAME_CHARS, COOKIE, Caller, MIN_PASSWORD_CHARS, SESSION_HOURS, audit_source, hash_password, new_token,
    request_source, stamp, token_hash, verify_password,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use model::api::Me;
use model::auth::{AuditEntry, User};
use serde::{Deserialize, Serialize};
use store::{AuditQuery, NewAudit};

/// `POST /api/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// `POST /api/login` answer (the same token is also set as an HttpOnly cookie).
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginAnswer {
    /// Bearer token for API clients.
    pub token: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// Who signed in.
    pub user: User,
}

async fn json_body<T: serde::de::DeserializeOwned>(req: Request) -> Result<T, AppError> {
    let bytes = axum::body::to_bytes(req.into_body(), super::MAX_BODY_BYTES).await.map_err(|_| {
        AppError::PayloadTooLarge { message: format!("request body exceeds {} bytes", super::MAX_BODY_BYTES) }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| AppError::BadRequest { message: format!("body: {e}"), field: None })
}

fn cookie(token: &str, max_age_s: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_s}{secure}"))
        .unwrap_or(HeaderValue::from_static(""))
}

fn behind_tls(headers: &axum::http::HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

/// A hash to check a password against when the user does not exist or is disabled, so the
/// answer takes as long as for a real user (no username discovery by timing).
fn stand_in_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
}

/// Checks a password off the async workers (argon2id takes tens of milliseconds of CPU and
/// 19 MiB), at most `checks`' permits at once; the others wait their turn.
async fn check_password(
    checks: &tokio::sync::Semaphore,
    hash: Option<String>,
    password: String,
) -> Result<bool, AppError> {
    let _turn = checks.acquire().await.map_err(|e| AppError::Internal(format!("password checks: {e}")))?;
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&hash, &password),
        None => {
            verify_password(stand_in_hash(), &password);
            false
        }
    })
    .await
    .map_err(|e| AppError::Internal(format!("checking a password: {e}")))
}

fn throttled(what: &str, until: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> AppError {
    AppError::TooManyRequests {
        message: format!("too many failed {what}; try again after {}", stamp(until)),
        retry_after_s: (until - now).num_seconds().max(1) as u64,
    }
}

pub async fn login(State(s): State<AppState>, req: Request) -> Result<Response, AppError> {
    use crate::throttle::{Key, PER_ACCOUNT, PER_ADDRESS};
    let (parts, body) = req.into_parts();
    let source = request_source(&parts, &s.trusted_proxies);
    let secure = behind_tls(&parts.headers);
    let body: Login = json_body(Request::from_parts(parts, body)).await?;
    let now = s.clock.now();
    let client = source.map(|s| s.client);
    let account = Key::account(&body.username, client);
    let keys = [(Key::address(client), PER_ADDRESS), (account.clone(), PER_ACCOUNT)];
    let name: String = body.username.chars().take(AUDIT_USERNAME_CHARS).collect();
    let audit = |result: &'static str, detail: Option<String>| NewAudit {
        actor: name.clone(),
        role: None,
        action: if result == "ok" { "login" } else { "login_failed" },
        target: name.clone(),
        source: audit_source(source),
        result,
        detail,
    };
    // Counted before the password is checked, so a burst of parallel guesses meets the delay.
    if let Err(until) = s.throttle.attempt(&keys, now) {
        if s.throttle.log_refusal(&keys[0].0, now) {
            let detail = "throttled; further refusals from this address within a minute are not logged one by one";
            s.audit(audit("denied", Some(detail.into()))).await?;
        }
        return Err(throttled("logins from this address", until, now));
    }
    let found = if body.username.chars().count() > AUDIT_USERNAME_CHARS {
        None
    } else {
        s.store.user_by_name(&body.username).await?.filter(|(user, _)| !user.disabled)
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let user = match (check_password(&s.password_checks, hash, body.password.clone()).await?, user) {
        (true, Some(user)) => user,
        _ => {
            s.audit(audit("denied", None)).await?;
            return Err(AppError::Unauthorized { message: "wrong username or password".into() });
        }
    };
    s.throttle.forget(&account);
    s.throttle.undo(&keys[0].0);
    let token = new_token();
    let expires = now + Duration::hours(SESSION_HOURS);
    s.store.create_session(token_hash(&token), user.id, stamp(now), stamp(expires)).await?;
    s.audit(NewAudit { role: Some(user.role), ..audit("ok", None) }).await?;
    let mut response = Json(LoginAnswer { token: token.clone(), expires_at: stamp(expires), user }).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(&token, SESSION_HOURS * 3600, secure));
    Ok(response)
}

pub async fn logout(
    State(s): State<AppState>,
    caller: Caller,
    _: super::params::Bodyless,
) -> Result<Response, AppError> {
    s.store.delete_session(caller.token_hash.clone()).await?;
    s.sessions.forget(&caller.token_hash);
    s.audit(caller.audit("logout", caller.user.username.clone(), "ok")).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie("", 0, false));
    Ok(response)
}

pub async fn me(caller: Caller, _: super::params::NoQuery) -> Json<Me> {
    let roots = caller.scope.roots().iter().map(ToString::to_string);
    let scope = roots.chain(caller.scope.cells().iter().map(ToString::to_string)).collect();
    Json(Me { user: caller.user, scope })
}

/// `POST /api/password` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    pub old_password: String,
    /// The new one (at least 8 characters).
    pub new_password: String,
}

pub async fn password(State(s): State<AppState>, caller: Caller, req: Request) -> Result<StatusCode, AppError> {
    use crate::throttle::{Key, PER_PASSWORD_CHANGE};
    let body: PasswordChange = json_body(req).await?;
    let now = s.clock.now();
    let keys = [(Key::PasswordChange(caller.user.id), PER_PASSWORD_CHANGE)];
    if let Err(until) = s.throttle.attempt(&keys, now) {
        s.audit(caller.audit("password_change", caller.user.username.clone(), "denied")).await?;
        return Err(throttled("password changes", until, now));
    }
    let (_, hash) = s
        .store
        .user_by_name(&caller.user.username)
        .await?
        .ok_or(AppError::Unauthorized { message: "no such user".into() })?;
    if !check_password(&s.password_checks, Some(hash), body.old_password.clone()).await? {
        s.audit(caller.audit("password_change", caller.user.username.clone(), "denied")).await?;
        return Err(AppError::Forbidden { message: "the current password is wrong".into() });
    }
    s.throttle.forget(&keys[0].0);
    if body.new_password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::Unprocessable {
            message: format!("the new password needs at least {MIN_PASSWORD_CHARS} characters"),
            field: Some("new_password".into()),
        });
    }
    s.store.set_password(caller.user.id, hash_password(&body.new_password)?, Some(caller.token_hash.clone())).await?;
    s.sessions.forget_user(caller.user.id);
    s.audit(caller.audit("password_change", caller.user.username.clone(), "ok")).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/audit?actor=&action=&from=&to=&limit=&format=json|csv` (administrators).
pub async fn audit(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    caller.require_admin()?;
    let mut p = Params::parse(q.as_deref());
    let actor = p.one("actor")?;
    let action = p.one("action")?;
    let (from, to) = p.window()?;
    let limit = p.limit()?;
    let format = p.one("format")?.unwrap_or_else(|| "json".into());
    p.finish()?;
    let query = AuditQuery { actor, action, from: from.map(stamp), to: to.map(stamp), limit };
    let entries = s.store.audit(query).await?;
    let result = match format.as_str() {
        "json" => Json(&entries).into_response(),
        "csv" => {
            let mut w = crate::csv_export::SafeCsv::new(Vec::new());
            let row = |e: &AuditEntry| {
                [
                    e.id.to_string(),
                    e.at.clone(),
                    e.actor.clone(),
                    e.role.clone().unwrap_or_default(),
                    e.action.clone(),
                    e.target.clone(),
                    e.source.clone().unwrap_or_default(),
                    e.result.clone(),
                    e.detail.clone().unwrap_or_default(),
                ]
            };
            let mut ok = w.row(["id", "at", "actor", "role", "action", "target", "source", "result", "detail"]).is_ok();
            for e in &entries {
                ok &= w.row(row(e)).is_ok();
            }
            let bytes = w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
            if !ok {
                return Err(AppError::Internal("writing the audit CSV".into()));
            }
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response()
        }
        _ => return Err(AppError::bad("format", "format must be json or csv")),
    };
    Ok(result)
}

/// `GET /api/world/versions` (administrators and the command centre, who edit the base data):
/// every published version of the world, oldest first: when, by whom, what it was and what
/// changed per layer.
pub async fn world_versions(
    State(s): State<AppState>,
    caller: Caller,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    if !caller.user.role.edits_world() {
        return Err(AppError::Forbidden { message: "administrators and the command centre only".into() });
    }
    Ok(Json(s.store.world_versions().await?).into_response())
}
