//! The PostGIS system of record (in progress): connection and forward-only schema migrations.
//! The `Store` implementation over this schema comes next; until then `serve`, `import` and
//! `export` refuse `--database-url`, and `safegrid migrate` prepares a database.

pub mod copy;
pub mod migrate;

use anyhow::Context;

/// Connects to `url` (no TLS: use a local socket, a private network or a TLS-terminating proxy),
/// driving the connection on the Tokio runtime. Errors never print the URL (it may hold a password).
pub async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) =
        tokio_postgres::connect(url, tokio_postgres::NoTls).await.context("connecting to the database")?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!("database connection: {e}");
        }
    });
    Ok(client)
}
