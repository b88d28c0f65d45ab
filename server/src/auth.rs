//! Who is calling: passwords (argon2id), session tokens (random, stored as SHA-256), the
//! `Caller` extractor (session cookie or `Authorization: Bearer`), and login throttling.

use crate::api::AppState;
use crate::api::error::AppError;
use crate::scope::Scope;
use crate::store::NewAudit;
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Duration, Utc};
use model::auth::{Role, User};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

/// Name of the session cookie.
pub const COOKIE: &str = "safegrid_session";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Failed logins for one username before it is locked out.
pub const MAX_FAILURES: u32 = 5;
/// Failed logins from one address (any usernames) before it is locked out: higher, since a
/// whole command centre may sit behind one address.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 25;
/// Window in which failures count, and how long the lockout lasts.
pub const LOCKOUT_MINUTES: i64 = 15;
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

/// Where a request came from: the peer address, and X-Forwarded-For when a proxy set it.
pub fn request_source(parts: &Parts) -> Option<String> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let forwarded = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).map(str::to_owned);
    match (peer, forwarded) {
        (Some(p), Some(f)) => Some(format!("{p} (for {f})")),
        (p, f) => p.or(f),
    }
}

/// The signed-in user of a request, with their scope.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// What they may see.
    pub scope: Scope,
    /// Where the request came from.
    pub source: Option<String>,
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
    pub fn attribution(&self) -> crate::store::Attribution {
        crate::store::Attribution {
            actor: self.user.username.clone(),
            role: Some(self.user.role),
            source: self.source.clone(),
        }
    }

    /// An audit entry by this caller.
    pub fn audit(&self, action: &'static str, target: impl Into<String>, result: &'static str) -> NewAudit {
        NewAudit {
            actor: self.user.username.clone(),
            role: Some(self.user.role),
            action,
            target: target.into(),
            source: self.source.clone(),
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
        let hash = token_hash(&token);
        let user = match state.sessions.get(&hash) {
            Some(user) => user,
            None => {
                let user =
                    state.store.session_user(hash.clone(), stamp(state.clock.now())).await?.ok_or_else(unauthorized)?;
                state.sessions.put(hash.clone(), user.clone());
                user
            }
        };
        let scope = Scope::of_user(&user, &state.live.desk());
        Ok(Caller { user, scope, source: request_source(parts), token_hash: hash })
    }
}

/// How long a session confirmed by the store is trusted without asking the store again.
pub const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// Most sessions held; past it the cache starts afresh.
const SESSION_CACHE_MAX: usize = 10_000;

/// Sessions the store confirmed in the last [`SESSION_CACHE_TTL`], by token hash, so a burst of
/// requests on one session reads the store once a second, not once a request. This instance's
/// logouts and password changes take effect at once (they forget the entries); a session ended
/// on another instance or by `safegrid user disable` stops working here within the TTL.
#[derive(Default)]
pub struct SessionCache(Mutex<HashMap<String, (User, std::time::Instant)>>);

impl SessionCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (User, std::time::Instant)>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The user of a session confirmed within the TTL.
    pub fn get(&self, token_hash: &str) -> Option<User> {
        let entries = self.entries();
        entries.get(token_hash).filter(|(_, at)| at.elapsed() < SESSION_CACHE_TTL).map(|(u, _)| u.clone())
    }

    /// Remembers a session the store just confirmed.
    pub fn put(&self, token_hash: String, user: User) {
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
        self.entries().retain(|_, (u, _)| u.id != user_id);
    }
}

#[derive(Default)]
struct Failures {
    count: u32,
    first: Option<DateTime<Utc>>,
    locked_until: Option<DateTime<Utc>>,
}

/// Counts failed logins per username and per address; too many lock both out for a while.
#[derive(Default)]
pub struct LoginThrottle(Mutex<HashMap<String, Failures>>);

impl LoginThrottle {
    /// When one of the keys is locked out, until when.
    pub fn locked(&self, keys: &[(String, u32)], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.iter().filter_map(|(k, _)| map.get(k)).filter_map(|f| f.locked_until).filter(|t| *t > now).max()
    }

    /// Records a failure for each key; a key reaching its limit is locked out.
    pub fn fail(&self, keys: &[(String, u32)], now: DateTime<Utc>) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (k, limit) in keys {
            let f = map.entry(k.clone()).or_default();
            if f.first.is_none_or(|t| now - t > Duration::minutes(LOCKOUT_MINUTES)) {
                *f = Failures { count: 0, first: Some(now), locked_until: None };
            }
            f.count += 1;
            if f.count >= *limit {
                f.locked_until = Some(now + Duration::minutes(LOCKOUT_MINUTES));
            }
        }
    }

    /// Forgets the failures of the username after a successful login (not the address's).
    pub fn succeed(&self, user_key: &str) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(user_key);
    }
}

/// A role's jurisdiction must be a region at a level the role works at.
pub fn check_jurisdiction(role: Role, code: model::RegionCode) -> Result<(), String> {
    use model::RegionLevel::*;
    let ok = match role {
        Role::City | Role::Analyst | Role::Admin => true,
        Role::County => code.level() >= County,
        Role::Township => code.level() >= Township,
        Role::Village => code.level() == Village,
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
    fn throttle_locks_after_repeated_failures_and_forgets_after_success() {
        let t = LoginThrottle::default();
        let now = Utc::now();
        let keys = vec![("user:a".to_owned(), MAX_FAILURES)];
        for _ in 0..MAX_FAILURES - 1 {
            t.fail(&keys, now);
        }
        assert!(t.locked(&keys, now).is_none());
        t.fail(&keys, now);
        assert!(t.locked(&keys, now).is_some());
        assert!(t.locked(&keys, now + Duration::minutes(LOCKOUT_MINUTES + 1)).is_none());
        t.succeed("user:a");
        assert!(t.locked(&keys, now).is_none());
    }
}
