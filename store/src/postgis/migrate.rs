//! Forward-only schema migrations: the numbered files of `migrations/`, compiled in, applied in
//! order inside one transaction under an advisory lock (so instances starting together do not
//! race), each recorded in `safegrid_migrations`. A database whose schema is newer than this
//! build, or without PostGIS, is refused with a message saying what to do.

/// One migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Its number (the file's prefix).
    pub version: i32,
    /// Its file name without `.sql`.
    pub name: &'static str,
    /// Its SQL.
    pub sql: &'static str,
}

/// Every migration, in order. A test checks this list against the files in `migrations/`.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "0001_schema", sql: include_str!("../../../migrations/0001_schema.sql") },
    Migration { version: 2, name: "0002_live", sql: include_str!("../../../migrations/0002_live.sql") },
    Migration { version: 3, name: "0003_desk", sql: include_str!("../../../migrations/0003_desk.sql") },
    Migration {
        version: 4,
        name: "0004_packed_live_log",
        sql: include_str!("../../../migrations/0004_packed_live_log.sql"),
    },
    Migration { version: 5, name: "0005_live_log_lz4", sql: include_str!("../../../migrations/0005_live_log_lz4.sql") },
    Migration {
        version: 6,
        name: "0006_world_versions",
        sql: include_str!("../../../migrations/0006_world_versions.sql"),
    },
    Migration { version: 7, name: "0007_departments", sql: include_str!("../../../migrations/0007_departments.sql") },
    Migration { version: 8, name: "0008_grid_workers", sql: include_str!("../../../migrations/0008_grid_workers.sql") },
    Migration {
        version: 9,
        name: "0009_tracking_secret",
        sql: include_str!("../../../migrations/0009_tracking_secret.sql"),
    },
    Migration { version: 10, name: "0010_campaigns", sql: include_str!("../../../migrations/0010_campaigns.sql") },
    Migration {
        version: 11,
        name: "0011_key_places_protected",
        sql: include_str!("../../../migrations/0011_key_places_protected.sql"),
    },
    Migration { version: 12, name: "0012_screenings", sql: include_str!("../../../migrations/0012_screenings.sql") },
    Migration { version: 13, name: "0013_petitions", sql: include_str!("../../../migrations/0013_petitions.sql") },
    Migration { version: 14, name: "0014_receptions", sql: include_str!("../../../migrations/0014_receptions.sql") },
    Migration { version: 15, name: "0015_leader_role", sql: include_str!("../../../migrations/0015_leader_role.sql") },
    Migration { version: 16, name: "0016_mediators", sql: include_str!("../../../migrations/0016_mediators.sql") },
    Migration {
        version: 17,
        name: "0017_forecast_trials",
        sql: include_str!("../../../migrations/0017_forecast_trials.sql"),
    },
    Migration {
        version: 18,
        name: "0018_incident_partitions",
        sql: include_str!("../../../migrations/0018_incident_partitions.sql"),
    },
];

/// The schema version this build expects.
pub fn latest_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Key of the advisory lock held while migrating.
const LOCK_KEY: i64 = 0x5afe_6121;

/// Why a database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// PostGIS is missing and could not be created.
    #[error(
        "the database has no PostGIS and this user cannot add it ({0}); as a superuser run `CREATE EXTENSION postgis;` in it (Debian: apt install postgresql-15-postgis-3) (数据库缺少 PostGIS 扩展，请由超级用户执行 CREATE EXTENSION postgis)"
    )]
    NoPostgis(String),
    /// The schema is newer than this build.
    #[error(
        "the database schema is at version {found}, newer than this SafeGrid build knows (version {known}): upgrade SafeGrid before pointing it at this database (数据库结构版本高于本程序，请先升级平安网格)"
    )]
    Newer {
        /// The database's version.
        found: i32,
        /// This build's latest version.
        known: i32,
    },
    /// The schema is older than this build and the database is not empty.
    #[error(
        "the database schema is at version {found}; this SafeGrid build needs version {known}: back the database up (pg_dump), then run `safegrid migrate --database-url …` (数据库结构版本过旧：请先备份，再执行 safegrid migrate)"
    )]
    Older {
        /// The database's version.
        found: i32,
        /// This build's latest version.
        known: i32,
    },
    /// Any other database error.
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// What a migration run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// Version before.
    pub from: i32,
    /// Version after.
    pub to: i32,
}

fn db_message(e: &tokio_postgres::Error) -> String {
    e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned())
}

/// Brings the database to [`latest_version`].
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<Migrated, MigrateError> {
    let has_postgis = client.query_opt(include_str!("sql/postgis_present.sql"), &[]).await?.is_some();
    if !has_postgis && let Err(e) = client.batch_execute(include_str!("sql/postgis_create.sql")).await {
        return Err(MigrateError::NoPostgis(db_message(&e)));
    }
    let tx = client.transaction().await?;
    tx.execute(include_str!("sql/migrate_lock.sql"), &[&LOCK_KEY]).await?;
    tx.batch_execute(include_str!("sql/migrations_table.sql")).await?;
    let from: i32 = tx.query_one(include_str!("sql/migrations_version.sql"), &[]).await?.get(0);
    let known = latest_version();
    if from > known {
        return Err(MigrateError::Newer { found: from, known });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > from) {
        tx.batch_execute(m.sql).await?;
        tx.execute(include_str!("sql/migration_record.sql"), &[&m.version, &m.name]).await?;
    }
    tx.commit().await?;
    Ok(Migrated { from, to: from.max(known) })
}

/// The schema version recorded in the database (0: no SafeGrid schema yet).
pub async fn schema_version(client: &tokio_postgres::Client) -> Result<i32, MigrateError> {
    let has_schema: bool = client.query_one(include_str!("sql/schema_version.sql"), &[]).await?.get(0);
    if !has_schema {
        return Ok(0);
    }
    Ok(client.query_one(include_str!("sql/migrations_version.sql"), &[]).await?.get(0))
}

/// Readies a database for `serve`: an empty one (no SafeGrid schema) is migrated; one at this
/// build's version is used as it is; an older one is refused (migrating a populated database is
/// a deliberate step: back up, then `safegrid migrate`); a newer one is refused.
pub async fn ensure_current(client: &mut tokio_postgres::Client) -> Result<Migrated, MigrateError> {
    let known = latest_version();
    match schema_version(client).await? {
        0 => migrate(client).await,
        v if v == known => Ok(Migrated { from: v, to: v }),
        found if found < known => Err(MigrateError::Older { found, known }),
        found => Err(MigrateError::Newer { found, known }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_migrations_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS.iter().map(|m| format!("{}.sql", m.name)).collect();
        assert_eq!(files, listed);
        for (k, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, k as i32 + 1, "numbered from 1 without gaps");
            assert!(m.name.starts_with(&format!("{:04}_", m.version)));
            assert_eq!(std::fs::read_to_string(dir.join(format!("{}.sql", m.name))).unwrap(), m.sql);
        }
    }
}
