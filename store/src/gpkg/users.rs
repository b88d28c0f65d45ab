//! Users, their sessions, and the audit log.

use super::{GpkgError, corrupt, sql};
use crate::{AuditQuery, NewAudit, NewUser};
use model::RegionCode;
use model::auth::{AuditEntry, Role, User};
use model::department::DepartmentCode;
use rusqlite::{Connection, Row, params};

pub(super) fn user_from_row(r: &Row<'_>) -> Result<(User, String), GpkgError> {
    let role: String = r.get(2).map_err(sql("read user"))?;
    let jurisdiction: Option<String> = r.get(3).map_err(sql("read user"))?;
    Ok((
        User {
            id: r.get::<_, i64>(0).map_err(sql("read user"))? as u64,
            username: r.get(1).map_err(sql("read user"))?,
            role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
            jurisdiction: jurisdiction
                .map(|j| RegionCode::parse(&j))
                .transpose()
                .map_err(|e| corrupt("jurisdiction", e))?,
            officer_id: r.get::<_, Option<i64>>(4).map_err(sql("read user"))?.map(|o| o as u64),
            disabled: r.get(5).map_err(sql("read user"))?,
            department: r
                .get::<_, Option<String>>(7)
                .map_err(sql("read user"))?
                .map(|d| DepartmentCode::parse(&d))
                .transpose()
                .map_err(|e| corrupt("department", e))?,
            grid_worker_id: r.get::<_, Option<i64>>(8).map_err(sql("read user"))?.map(|g| g as u64),
        },
        r.get(6).map_err(sql("read user"))?,
    ))
}

/// [`Store::create_user`](crate::Store::create_user): `None` when the username is taken.
pub(super) fn create_user(c: &mut Connection, user: NewUser) -> Result<Option<User>, GpkgError> {
    let taken: bool =
        c.query_row(sql!("username_taken"), [&user.username], |r| r.get(0)).map_err(sql("check username"))?;
    if taken {
        return Ok(None);
    }
    c.execute(
        sql!("insert_user"),
        params![
            user.username,
            user.password_hash,
            user.role.as_str(),
            user.jurisdiction.map(|j| j.to_string()),
            user.officer_id.map(|o| o as i64),
            user.department.as_ref().map(|d| d.as_str()),
            user.grid_worker_id.map(|g| g as i64)
        ],
    )
    .map_err(sql("insert user"))?;
    Ok(Some(User {
        id: c.last_insert_rowid() as u64,
        username: user.username,
        role: user.role,
        jurisdiction: user.jurisdiction,
        officer_id: user.officer_id,
        disabled: false,
        department: user.department,
        grid_worker_id: user.grid_worker_id,
    }))
}

/// [`Store::users`](crate::Store::users): every user, in id order.
pub(super) fn users(c: &Connection) -> Result<Vec<User>, GpkgError> {
    let mut st = c.prepare(concat!(sql!("select_user"), sql!("order_by_fid"))).map_err(sql("prepare users"))?;
    let mut rows = st.query([]).map_err(sql("users"))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql("users"))? {
        out.push(user_from_row(r)?.0);
    }
    Ok(out)
}

/// [`Store::user_by_name`](crate::Store::user_by_name): the user and its password hash.
pub(super) fn user_by_name(c: &Connection, username: &str) -> Result<Option<(User, String)>, GpkgError> {
    let mut st = c.prepare_cached(concat!(sql!("select_user"), sql!("user_by_name"))).map_err(sql("prepare user"))?;
    let mut rows = st.query([username]).map_err(sql("user"))?;
    match rows.next().map_err(sql("user"))? {
        Some(r) => user_from_row(r).map(Some),
        None => Ok(None),
    }
}

/// [`Store::set_user_disabled`](crate::Store::set_user_disabled): disabling ends the user's
/// sessions; `false` when there is no such user.
pub(super) fn set_user_disabled(c: &mut Connection, username: &str, disabled: bool) -> Result<bool, GpkgError> {
    let tx = c.transaction().map_err(sql("begin"))?;
    let n = tx.execute(sql!("set_user_disabled"), params![disabled, username]).map_err(sql("disable user"))?;
    if disabled {
        tx.execute(sql!("end_user_sessions"), [username]).map_err(sql("end sessions"))?;
    }
    tx.commit().map_err(sql("commit"))?;
    Ok(n > 0)
}

/// [`Store::set_password`](crate::Store::set_password): ends the user's sessions but
/// `keep_session`.
pub(super) fn set_password(
    c: &mut Connection,
    user_id: u64,
    password_hash: &str,
    keep_session: Option<&str>,
) -> Result<(), GpkgError> {
    let tx = c.transaction().map_err(sql("begin"))?;
    tx.execute(sql!("set_password"), params![password_hash, user_id as i64]).map_err(sql("set password"))?;
    tx.execute(sql!("end_other_sessions"), params![user_id as i64, keep_session]).map_err(sql("end sessions"))?;
    tx.commit().map_err(sql("commit"))
}

/// [`Store::create_session`](crate::Store::create_session).
pub(super) fn create_session(
    c: &Connection,
    token_hash: &str,
    user_id: u64,
    now: &str,
    expires_at: &str,
) -> Result<(), GpkgError> {
    c.execute(sql!("create_session"), params![token_hash, user_id as i64, now, expires_at])
        .map_err(sql("create session"))?;
    // Expired sessions are dead weight: clear them as new ones come.
    c.execute(sql!("purge_sessions"), [now]).map_err(sql("purge sessions"))?;
    Ok(())
}

/// [`Store::session_user`](crate::Store::session_user): the enabled user of an unexpired session.
pub(super) fn session_user(c: &Connection, token_hash: &str, now: &str) -> Result<Option<User>, GpkgError> {
    let mut st =
        c.prepare_cached(concat!(sql!("select_user"), sql!("session_user"))).map_err(sql("prepare session"))?;
    let mut rows = st.query(params![token_hash, now]).map_err(sql("session"))?;
    match rows.next().map_err(sql("session"))? {
        Some(r) => user_from_row(r).map(|u| Some(u.0)),
        None => Ok(None),
    }
}

/// [`Store::delete_session`](crate::Store::delete_session).
pub(super) fn delete_session(c: &Connection, token_hash: &str) -> Result<(), GpkgError> {
    c.execute(sql!("delete_session"), [token_hash]).map_err(sql("delete session"))?;
    Ok(())
}

/// [`Store::append_audits`](crate::Store::append_audits): all in one transaction.
pub(super) fn append_audits(c: &mut Connection, entries: &[NewAudit]) -> Result<(), GpkgError> {
    let tx = c.transaction().map_err(sql("begin"))?;
    for e in entries {
        insert_audit(&tx, e)?;
    }
    tx.commit().map_err(sql("commit audit"))
}

pub(super) fn insert_audit(tx: &rusqlite::Transaction<'_>, e: &NewAudit) -> Result<(), GpkgError> {
    tx.prepare_cached(sql!("append_audit"))
        .map_err(sql("prepare append audit"))?
        .execute(params![e.actor, e.role.map(Role::as_str), e.action, e.target, e.source, e.result, e.detail])
        .map_err(sql("append audit"))?;
    Ok(())
}

pub(super) fn read_audit(c: &Connection, q: &AuditQuery) -> Result<Vec<AuditEntry>, GpkgError> {
    let mut st = c.prepare_cached(sql!("audit")).map_err(sql("prepare audit"))?;
    let mut rows = st.query(params![q.actor, q.action, q.from, q.to, q.limit as i64]).map_err(sql("audit"))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql("audit"))? {
        let g = |i: usize| r.get::<_, Option<String>>(i).map_err(sql("audit"));
        out.push(AuditEntry {
            id: r.get::<_, i64>(0).map_err(sql("audit"))? as u64,
            at: g(1)?.unwrap_or_default(),
            actor: g(2)?.unwrap_or_default(),
            role: g(3)?,
            action: g(4)?.unwrap_or_default(),
            target: g(5)?.unwrap_or_default(),
            source: g(6)?,
            result: g(7)?.unwrap_or_default(),
            detail: g(8)?,
        });
    }
    Ok(out)
}
