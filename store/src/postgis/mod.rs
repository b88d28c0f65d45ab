//! The PostGIS system of record: connection and pool, forward-only schema migrations
//! (`migrate`), the `Store` implementation (`store`, its statements in `sql/`), the bulk loader
//! (`copy`) and the change feed other instances follow (`listen`).

pub mod copy;
pub mod migrate;
pub mod partitions;
pub mod past;
pub mod store;

pub use store::{EVENTS_CHANNEL, HEAVY_READS, INCIDENTS_CHANNEL, PLAIN_FIRST_MIN_ITEMS, PgError, PgStore};

use crate::Notice;
use anyhow::Context;
use std::ops::RangeInclusive;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

/// Connects to `url` (no TLS: use a local socket, a private network or a TLS-terminating proxy),
/// driving the connection on the Tokio runtime. Errors never print the URL (it may hold a password).
pub async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.context("connecting to the database")?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!("database connection: {e}");
        }
    });
    Ok(client)
}

/// Connections of the sign-in pool ([`PgStore::with_auth_pools`]): sign-in and sign-out beside
/// the audit log's group commit.
pub const SIGN_IN_CONNECTIONS: usize = 2;

/// Connections of the session-check pool ([`PgStore::with_auth_pools`]).
pub const SESSION_CONNECTIONS: usize = 2;

/// Opens the store at `url` with a pool of at most `max_connections` for queries, one of
/// [`SIGN_IN_CONNECTIONS`] for sign-in, sign-out and the audit log and one of
/// [`SESSION_CONNECTIONS`] for session checks: an empty database gets the schema; an older, newer
/// or PostGIS-less one is refused with a message saying what to do.
pub async fn open(url: &str, max_connections: usize) -> anyhow::Result<PgStore> {
    let mut client = connect(url).await?;
    let migrated = migrate::ensure_current(&mut client).await?;
    if migrated.from != migrated.to {
        tracing::info!(from = migrated.from, to = migrated.to, "created the SafeGrid schema in the empty database");
    }
    let config: tokio_postgres::Config = url.parse().context("--database-url is not a PostgreSQL URL")?;
    let pool_of = |size: usize, what: &str| {
        let manager = deadpool_postgres::Manager::from_config(
            config.clone(),
            NoTls,
            deadpool_postgres::ManagerConfig { recycling_method: deadpool_postgres::RecyclingMethod::Fast },
        );
        deadpool_postgres::Pool::builder(manager)
            .max_size(size)
            .build()
            .with_context(|| format!("building the {what} pool"))
    };
    let pool = pool_of(max_connections.max(1), "connection")?;
    let (sign_in, sessions) = (pool_of(SIGN_IN_CONNECTIONS, "sign-in")?, pool_of(SESSION_CONNECTIONS, "session")?);
    Ok(PgStore::new(pool, Some(url.to_owned())).with_auth_pools(sign_in, sessions))
}

fn parse_created(payload: &str) -> Option<RangeInclusive<u64>> {
    let (lo, hi) = payload.split_once(' ')?;
    let (lo, hi) = (lo.parse().ok()?, hi.parse().ok()?);
    (lo <= hi).then_some(lo..=hi)
}

/// Keeps one connection to `url` listening on [`INCIDENTS_CHANNEL`] and [`EVENTS_CHANNEL`] for as long as the receiver lives,
/// reconnecting after a second when it drops; each (re)connection is announced with
/// [`Notice::Listening`] so the follower can catch up on what it missed.
pub fn listen(url: String) -> mpsc::Receiver<Notice> {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        loop {
            match tokio_postgres::connect(&url, NoTls).await {
                Ok((client, mut connection)) => {
                    let feed = tx.clone();
                    let driver = tokio::spawn(async move {
                        loop {
                            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                                Some(Ok(AsyncMessage::Notification(n))) => {
                                    let notice = if n.channel() == EVENTS_CHANNEL {
                                        n.payload().parse().ok().map(Notice::Events)
                                    } else {
                                        parse_created(n.payload()).map(Notice::Created)
                                    };
                                    if let Some(notice) = notice
                                        && feed.send(notice).await.is_err()
                                    {
                                        return;
                                    }
                                }
                                Some(Ok(_)) => {}
                                Some(Err(e)) => {
                                    tracing::warn!("database change feed: {e}");
                                    return;
                                }
                                None => return,
                            }
                        }
                    });
                    match client.batch_execute(&format!("LISTEN {INCIDENTS_CHANNEL}; LISTEN {EVENTS_CHANNEL}")).await {
                        Ok(()) => {
                            if tx.send(Notice::Listening).await.is_err() {
                                return;
                            }
                            // Runs until the connection drops (or the follower goes away).
                            let _ = driver.await;
                        }
                        Err(e) => {
                            tracing::warn!("database change feed: LISTEN failed: {e}");
                            driver.abort();
                        }
                    }
                    drop(client);
                }
                Err(e) => tracing::warn!("database change feed: cannot connect: {e}"),
            }
            if tx.is_closed() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_payloads_parse_or_are_ignored() {
        assert_eq!(parse_created("12 40"), Some(12..=40));
        assert_eq!(parse_created("7 7"), Some(7..=7));
        assert_eq!(parse_created("40 12"), None);
        assert_eq!(parse_created("x 1"), None);
        assert_eq!(parse_created(""), None);
    }
}
