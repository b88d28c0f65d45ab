//! Who is calling: passwords (argon2id), session tokens (random, stored as SHA-256), the
//! `Caller` extractor (session cookie or `Authorization: Bearer`), and login throttling.

use crate::api::error::AppError;
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use model::auth::{Role, User};
use model::scope::Scope;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use store::NewAudit;

/// Name of the session cookie.
pub const COOKIE: &str = "safegrid_session";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// An argon2id PHC hash of `password` with a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches a stored hash (false for a malformed hash).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A new random session token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 3339 with milliseconds, the form the store compares.
pub fn stamp(t: DateTime<Utc>) -> String {
    let mut s = String::new();
    model::time::format_utc_millis(t.timestamp_millis(), &mut s);
    s
}

/// The session token of a request: the bearer token, else the cookie.
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// Where a request came from: the socket's peer (set by `serve`), or the client a trusted
/// proxy names (see [`crate::peer`]). `None` only for requests that did not come through a
/// socket (tests driving the router directly).
pub fn request_source(parts: &Parts, trusted: &crate::peer::TrustedProxies) -> Option<crate::peer::Source> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(crate::peer::source(peer, &parts.headers, trusted))
}

/// Longest source kept in an audit row, characters.
pub const AUDIT_SOURCE_CHARS: usize = 100;
/// Longest username kept in an audit row, characters.
pub const AUDIT_USERNAME_CHARS: usize = 64;

/// A source as the audit log keeps it.
pub fn audit_source(source: Option<crate::peer::Source>) -> Option<String> {
    source.map(|s| s.to_string().chars().take(AUDIT_SOURCE_CHARS).collect())
}

/// Whether `token` has the form [`new_token`] gives (64 lowercase hex digits): anything else
/// is refused without asking the store.
pub fn well_formed_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The signed-in user of a request, with their scope.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// What they may see.
    pub scope: Scope,
    /// Where the request came from.
    pub source: Option<crate::peer::Source>,
    /// The session token's hash (for logout and password change).
    pub token_hash: String,
}

impl Caller {
    /// Fails with 403 unless the role may change cases.
    pub fn require_writer(&self) -> Result<(), AppError> {
        if self.user.role.writes_cases() {
            Ok(())
        } else {
            Err(AppError::Forbidden { message: format!("the {} role is read-only for cases", self.user.role.as_str()) })
        }
    }

    /// Fails with 403 unless the caller is an administrator.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.user.role.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden { message: "administrators only".into() })
        }
    }

    /// Whether reporters' personal data must be masked for this caller.
    pub fn masks_personal_data(&self) -> bool {
        !self.user.role.handles_cases()
    }

    /// This caller as the submitter of incidents (their audit entries are written with them).
    pub fn attribution(&self) -> store::Attribution {
        store::Attribution {
            actor: self.user.username.clone(),
            role: Some(self.user.role),
            source: audit_source(self.source),
        }
    }

    /// An audit entry by this caller.
    pub fn audit(&self, action: &'static str, target: impl Into<String>, result: &'static str) -> NewAudit {
        NewAudit {
            actor: self.user.username.clone(),
            role: Some(self.user.role),
            action,
            target: target.into(),
            source: audit_source(self.source),
            result,
            detail: None,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, AppError> {
        let unauthorized = || AppError::Unauthorized { message: "sign in first (POST /api/login)".into() };
        let token = request_token(&parts.headers).ok_or_else(unauthorized)?;
        if !well_formed_token(&token) {
            return Err(unauthorized());
        }
        let source = request_source(parts, &state.trusted_proxies);
        let hash = token_hash(&token);
        // A refused token is remembered for a minute, so a client repeating an expired or forged
        // token asks the store once; the store's session lookups have a connection of their own,
        // so a flood of fresh tokens never stalls sign-in or other reads.
        let user = match state.sessions.get(&hash) {
            Some(Some(user)) => user,
            Some(None) => return Err(unauthorized()),
            None => match state.store.session_user(hash.clone(), stamp(state.clock.now())).await? {
                Some(user) => {
                    state.sessions.put(hash.clone(), Some(user.clone()));
                    user
                }
                None => {
                    state.sessions.put(hash, None);
                    return Err(unauthorized());
                }
            },
        };
        let scope = scope_of(&user, &state.live.desk(), &state.geography);
        Ok(Caller { user, scope, source, token_hash: hash })
    }
}

/// How long a session confirmed by the store is trusted without asking the store again.
pub const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a token the store did not know is refused without asking again (a token never
/// becomes valid later: each is made at sign-in).
pub const REFUSED_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(60);
/// Most sessions held; past it the cache starts afresh.
const SESSION_CACHE_MAX: usize = 10_000;

/// Sessions the store confirmed in the last [`SESSION_CACHE_TTL`], and tokens it refused in the
/// last [`REFUSED_TOKEN_TTL`], by token hash, so a burst of requests on one session reads the
/// store once a second, not once a request. This instance's
/// logouts and password changes take effect at once (they forget the entries); a session ended
/// on another instance or by `safegrid user disable` stops working here within the TTL.
#[derive(Default)]
pub struct SessionCache(Mutex<HashMap<String, (Option<User>, std::time::Instant)>>);

impl SessionCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Option<User>, std::time::Instant)>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Some(Some(user))` for a session confirmed within the TTL, `Some(None)` for a token
    /// refused within its TTL, `None` when the store must be asked.
    pub fn get(&self, token_hash: &str) -> Option<Option<User>> {
        let entries = self.entries();
        entries
            .get(token_hash)
            .filter(|(u, at)| at.elapsed() < if u.is_some() { SESSION_CACHE_TTL } else { REFUSED_TOKEN_TTL })
            .map(|(u, _)| u.clone())
    }

    /// Remembers a session the store just confirmed (`Some`) or a token it refused (`None`).
    pub fn put(&self, token_hash: String, user: Option<User>) {
        let mut entries = self.entries();
        if entries.len() >= SESSION_CACHE_MAX {
            entries.clear();
        }
        entries.insert(token_hash, (user, std::time::Instant::now()));
    }

    /// Forgets one session (logout).
    pub fn forget(&self, token_hash: &str) {
        self.entries().remove(token_hash);
    }

    /// Forgets every session of a user (password change, disabling).
    pub fn forget_user(&self, user_id: u64) {
        self.entries().retain(|_, (u, _)| u.as_ref().is_none_or(|u| u.id != user_id));
    }
}

/// A user's scope now: [`Scope::of_user`] with the desk's current officer villages and the
/// world's current grid-worker cells (`Geography::grid_worker_scope`), so a reassignment moves
/// it at once.
pub fn scope_of(user: &User, desk: &model::desk_book::DeskBook, geography: &crate::geography::Geography) -> Scope {
    Scope::of_user(user, desk, |id| geography.grid_worker_scope(id))
}

/// A role's jurisdiction must be a region at a level the role works at.
pub fn check_jurisdiction(role: Role, code: model::RegionCode) -> Result<(), String> {
    use model::RegionLevel::*;
    let ok = match role {
        Role::City | Role::Analyst | Role::Admin => true,
        Role::County => code.level() >= County,
        Role::Township => code.level() >= Township,
        // A leader leads the city, a county or a township.
        Role::Leader => code.level() <= Township,
        Role::Village => code.level() == Village,
        Role::Department => matches!(code.level(), County | Township),
        // A grid worker's jurisdiction is their grid worker's cells, never a region.
        Role::GridWorker => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("a {} user's jurisdiction cannot be the {} {code}", role.as_str(), code.level().as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "correct horsE"));
        assert!(!verify_password("not a hash", "x"));
        assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; safegrid_session=abc; b=2".parse().unwrap());
        assert_eq!(request_token(&h).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(request_token(&h).as_deref(), Some("xyz"));
    }

    #[test]
    fn only_well_formed_tokens_reach_the_store() {
        assert!(well_formed_token(&new_token()));
        for bad in ["", "abc", &"A".repeat(64), &"g".repeat(64), &"a".repeat(65)] {
            assert!(!well_formed_token(bad), "{bad}");
        }
    }
}
