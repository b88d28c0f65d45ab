//! One WebSocket subscriber: replay from the store after `since`, then follow the broadcast,
//! filtered by the caller's jurisdiction, a region and categories. Every message is sent in
//! `seq` order and at most once. A subscriber more than [`super::FEED_CAPACITY`] messages
//! behind, or whose socket does not take a message within [`SEND_TIMEOUT`], is disconnected with a
//! close frame saying where to resume; ingest and other subscribers never wait for it.

use super::{Live, Published};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use model::scope::Scope;
use model::{Category, RegionCode};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::sync::broadcast::error::RecvError;

/// Longest wait for a slow socket to take one message.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Close code for a subscriber that fell behind (application range 4000–4999).
pub const CLOSE_LAGGED: u16 = 4000;

/// Close code for a subscriber whose session ended: signed out, expired, password changed or
/// user disabled. The reason says which; the client signs in again.
pub const CLOSE_SESSION_ENDED: u16 = 4001;

/// Most live feeds one user may hold open at once (a command centre's video wall may show many
/// under one account).
pub const MAX_FEEDS_PER_USER: usize = 256;

/// One of a user's open feeds; dropping it frees the place.
pub struct FeedSlot {
    feeds: Arc<std::sync::Mutex<std::collections::HashMap<u64, usize>>>,
    user: u64,
}

impl FeedSlot {
    /// A place for one more feed of `user`, unless they hold [`MAX_FEEDS_PER_USER`].
    pub fn take(feeds: &Arc<std::sync::Mutex<std::collections::HashMap<u64, usize>>>, user: u64) -> Option<FeedSlot> {
        let mut open = feeds.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(user).or_insert(0);
        if *n >= MAX_FEEDS_PER_USER {
            return None;
        }
        *n += 1;
        Some(FeedSlot { feeds: feeds.clone(), user })
    }
}

impl Drop for FeedSlot {
    fn drop(&mut self) {
        let mut open = self.feeds.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// The session a subscriber opened the feed with, checked again every `every`.
pub struct Session {
    /// The session token's hash.
    pub token_hash: String,
    /// Who opened the feed.
    pub user: model::auth::User,
    /// "Now", for the session's expiry.
    pub clock: Arc<dyn crate::clock::Clock>,
    /// Sessions the store confirmed within the last second (shared with every request).
    pub cache: Arc<crate::auth::SessionCache>,
    /// How often the session and the scope are checked.
    pub every: Duration,
    /// The world in force (grid workers' cells).
    pub geography: Arc<crate::geography::Geography>,
}

/// What a check of the session found.
enum Checked {
    /// Still signed in, with this jurisdiction now (a village officer's follows reassignment).
    Scope(Scope),
    /// The session ended, for this reason.
    Ended(&'static str),
}

async fn check(session: &Session, live: &Live, store: &dyn Store) -> Option<Checked> {
    // Many feeds on one session ask the store about once a second between them.
    // Only an answer of the store goes into the cache, so the entry expires and the next check
    // asks the store again.
    let found = match session.cache.get(&session.token_hash).flatten() {
        Some(user) => Ok(Some(user)),
        None => {
            let now = crate::auth::stamp(session.clock.now());
            let found = store.session_user(session.token_hash.clone(), now).await;
            if let Ok(Some(user)) = &found {
                session.cache.put(session.token_hash.clone(), Some(user.clone()));
            }
            found
        }
    };
    match found {
        Ok(Some(user)) => Some(Checked::Scope(crate::auth::scope_of(&user, &live.desk(), &session.geography))),
        Ok(None) => match store.user_by_name(&session.user.username).await {
            Ok(Some((user, _))) if !user.disabled => {
                Some(Checked::Ended("session ended: signed out, expired or password changed"))
            }
            Ok(_) => Some(Checked::Ended("session ended: the user was disabled")),
            Err(e) => {
                tracing::warn!("live feed session check: {e}");
                None
            }
        },
        // A passing store fault keeps the feed open; the next check decides.
        Err(e) => {
            tracing::warn!("live feed session check: {e}");
            None
        }
    }
}

/// What one subscriber sees.
#[derive(Debug, Clone)]
pub struct FeedFilter {
    /// The caller's jurisdiction.
    pub scope: Scope,
    /// Only events in this region's subtree.
    pub region: Option<RegionCode>,
    /// Only incidents and alerts of these categories (unit messages always pass).
    pub categories: Option<Vec<Category>>,
}

impl FeedFilter {
    /// Whether the subscriber gets `p`: never a village-desk record. Events without a cell (a unit outside every cell) are
    /// shown only to city-wide callers without a region filter.
    pub fn allows(&self, p: &Published) -> bool {
        if p.kind.is_desk() {
            return false;
        }
        let placed = match p.cell_code {
            Some(cell) => self.scope.allows_cell(cell) && self.region.is_none_or(|r| r.contains(cell.village())),
            None => self.scope.is_everything() && self.region.is_none(),
        };
        let category = match (&self.categories, p.category) {
            (Some(wanted), Some(c)) => wanted.contains(&c),
            _ => true,
        };
        placed && category
    }
}

async fn send(socket: &mut WebSocket, text: String) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await, Ok(Ok(())))
}

async fn close(socket: &mut WebSocket, code: u16, reason: String) {
    let frame = CloseFrame { code, reason: reason.into() };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

/// Serves one subscriber until it leaves, falls behind, its session ends or the server stops.
/// The first message is `{"type":"hello","seq":N}`: the feed continues after N.
pub async fn run(
    mut socket: WebSocket,
    live: Arc<Live>,
    store: Arc<dyn Store>,
    mut filter: FeedFilter,
    since: Option<u64>,
    session: Session,
) {
    // A session that ended between the upgrade and now replays nothing.
    if let Some(Checked::Ended(reason)) = check(&session, &live, store.as_ref()).await {
        close(&mut socket, CLOSE_SESSION_ENDED, reason.into()).await;
        return;
    }
    let (mut rx, published) = live.subscribe();
    let mut last = since.unwrap_or(published);
    // Replay what the store holds after `since`, up to what was published when we subscribed;
    // anything newer also arrives through the broadcast and is skipped there by `seq`.
    while last < published {
        let page = match store.events_after(last, 1000).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!("live feed replay: {e}");
                close(&mut socket, 1011, "cannot read the live log".into()).await;
                return;
            }
        };
        let Some(end) = page.last().map(|e| e.seq) else { break };
        for e in &page {
            let p = Published::of(e);
            if filter.allows(&p) && !send(&mut socket, p.json).await {
                return;
            }
        }
        last = end;
    }
    if !send(&mut socket, format!(r#"{{"type":"hello","seq":{last}}}"#)).await {
        return;
    }
    let mut checks = tokio::time::interval_at(tokio::time::Instant::now() + session.every, session.every);
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = checks.tick() => match check(&session, &live, store.as_ref()).await {
                Some(Checked::Scope(scope)) => filter.scope = scope,
                Some(Checked::Ended(reason)) => {
                    close(&mut socket, CLOSE_SESSION_ENDED, reason.into()).await;
                    return;
                }
                None => {}
            },
            got = rx.recv() => match got {
                Ok(p) => {
                    if p.seq <= last {
                        continue;
                    }
                    last = p.seq;
                    if filter.allows(&p) && !send(&mut socket, p.json.clone()).await {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let reason = format!("lagged by {missed}; reconnect with since={last}");
                    close(&mut socket, CLOSE_LAGGED, reason).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                // Pings are answered by the protocol layer; text from the client is ignored.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
