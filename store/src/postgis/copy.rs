//! Bulk load of incidents into PostGIS: binary COPY into a temporary staging table, then one
//! `INSERT … ON CONFLICT` into `incidents`, so (source, external_id) idempotency holds as for
//! single writes: a row whose key is already stored with the same report is skipped, and a key
//! stored (or repeated in the load) with a different report rolls the whole load back.

use crate::{Loaded, to_millis};
use bytes::{BufMut, BytesMut};
use chrono::{DateTime, Utc};
use model::{NewIncident, Placement};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// A WGS84 point in PostGIS's binary input form (EWKB with SRID 4326).
#[derive(Debug)]
pub(super) struct EwkbPoint(pub f64, pub f64);

impl ToSql for EwkbPoint {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.put_u8(1); // little endian
        out.put_u32_le(0x2000_0001); // Point, with SRID
        out.put_u32_le(4326);
        out.put_f64_le(self.0);
        out.put_f64_le(self.1);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "geometry"
    }

    to_sql_checked!();
}

/// One incident's columns after its geometry, in the order of every incident statement and COPY
/// here: source, external_id, category, subcategory, occurred_at, reported_at, address, summary,
/// reporter_name, reporter_phone, severity, status, county_code, township_code, village_code,
/// cell_code. Times are cut to whole milliseconds, as both stores keep them.
pub(super) struct Columns<'a> {
    n: &'a NewIncident,
    source: &'static str,
    category: &'static str,
    subcategory: Option<&'static str>,
    severity: &'static str,
    status: &'static str,
    occurred_at: DateTime<Utc>,
    reported_at: DateTime<Utc>,
    codes: [String; 4],
}

impl<'a> Columns<'a> {
    /// The columns of `n` placed at `p`.
    pub(super) fn of(n: &'a NewIncident, p: &Placement) -> Columns<'a> {
        Columns {
            n,
            source: n.source.as_str(),
            category: n.category.as_str(),
            subcategory: n.subcategory.map(|s| s.as_str()),
            severity: n.severity.as_str(),
            status: n.status.as_str(),
            occurred_at: to_millis(n.occurred_at),
            reported_at: to_millis(n.reported_at),
            codes: [
                p.county_code.to_string(),
                p.township_code.to_string(),
                p.village_code.to_string(),
                p.cell_code.to_string(),
            ],
        }
    }

    /// The 16 values, in column order.
    pub(super) fn values(&self) -> [&(dyn ToSql + Sync); 16] {
        [
            &self.source,
            &self.n.external_id,
            &self.category,
            &self.subcategory,
            &self.occurred_at,
            &self.reported_at,
            &self.n.address,
            &self.n.summary,
            &self.n.reporter_name,
            &self.n.reporter_phone,
            &self.severity,
            &self.status,
            &self.codes[0],
            &self.codes[1],
            &self.codes[2],
            &self.codes[3],
        ]
    }

    /// Binary COPY types: `first` (the leading id column) and the geometry, then the 16.
    pub(super) async fn copy_types(
        tx: &tokio_postgres::Transaction<'_>,
        first: Type,
    ) -> Result<Vec<Type>, tokio_postgres::Error> {
        let geometry = tx.prepare("SELECT $1::geometry").await?.params()[0].clone();
        let mut types = vec![first, geometry];
        types.extend([Type::TEXT; 4]);
        types.extend([Type::TIMESTAMPTZ; 2]);
        types.extend([Type::TEXT; 10]);
        Ok(types)
    }
}

/// Why a load was refused (nothing of it was written).
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Row `index` (0-based, in the order given) reuses a stored (source, external_id) with a
    /// different report.
    #[error("item {index}: (source, external_id) already names incident {existing} with different content")]
    Conflict {
        /// Position in the load.
        index: usize,
        /// The stored incident.
        existing: u64,
    },
    /// Row `index` repeats the key of row `first` of the same load with a different report.
    #[error("item {index}: repeats the (source, external_id) of item {first} with different content")]
    Repeated {
        /// Position in the load.
        index: usize,
        /// The earlier row.
        first: usize,
    },
    /// Any database error.
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// Loads `items` in one transaction; returns once it is committed.
pub async fn copy_incidents(
    client: &mut tokio_postgres::Client,
    items: &[(NewIncident, Placement)],
) -> Result<Loaded, CopyError> {
    // Partitions for the new ids; their indexes are built by the next store write that finds a
    // partition full.
    super::partitions::Partitions::default().ensure(client, items.len() as i64).await?;
    let tx = client.transaction().await?;
    let loaded = copy_into(&tx, items).await?;
    tx.commit().await?;
    Ok(loaded)
}

/// Loads `items` inside the caller's transaction (once per transaction: the staging table lives
/// until commit). On `Err` the caller must roll back.
pub async fn copy_into(
    tx: &tokio_postgres::Transaction<'_>,
    items: &[(NewIncident, Placement)],
) -> Result<Loaded, CopyError> {
    tx.batch_execute(include_str!("sql/staging_create.sql")).await?;
    let types = Columns::copy_types(tx, Type::INT8).await?;
    let sink = tx.copy_in(include_str!("sql/staging_copy.sql")).await?;
    let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
    for (k, (i, p)) in items.iter().enumerate() {
        let (ord, point, columns) = (k as i64, EwkbPoint(i.lon, i.lat), Columns::of(i, p));
        let mut row: Vec<&(dyn ToSql + Sync)> = vec![&ord, &point];
        row.extend(columns.values());
        writer.as_mut().write(&row).await?;
    }
    writer.as_mut().finish().await?;
    tx.batch_execute(include_str!("sql/staging_analyze.sql")).await?;
    // A key repeated inside the load, or already stored, must carry the same report.
    if let Some(row) = tx.query_opt(include_str!("sql/staging_clash.sql"), &[]).await? {
        let index = row.get::<_, i64>(0) as usize;
        return Err(match (row.get::<_, Option<i64>>(1), row.get::<_, Option<i64>>(2)) {
            (Some(first), _) => CopyError::Repeated { index, first: first as usize },
            (None, existing) => CopyError::Conflict { index, existing: existing.unwrap_or(0) as u64 },
        });
    }
    let inserted = tx.query_one(include_str!("sql/staging_insert.sql"), &[]).await?;
    let created = inserted.get::<_, i64>(0) as u64;
    if let (Some(lo), Some(hi)) = (inserted.get::<_, Option<i64>>(1), inserted.get::<_, Option<i64>>(2)) {
        tx.execute(include_str!("sql/notify_incidents.sql"), &[&format!("{lo} {hi}")]).await?;
    }
    Ok(Loaded { created, existing: items.len() as u64 - created })
}
