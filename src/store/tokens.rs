//! The bearer token's hash and its connection tracking. At most one token is current; a new
//! one revokes the old in the same transaction.

use super::StoreResult;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub hash: Vec<u8>,
    pub fingerprint: String,
    pub created: i64,
    pub first_used: Option<i64>,
    pub last_used: Option<i64>,
    pub user_agent: Option<String>,
    pub requests: i64,
    pub errors: i64,
    pub last_error: Option<LastError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    pub status: i64,
    pub detail: String,
    pub at: i64,
}

/// The current (not revoked) token, if any.
pub fn current(conn: &Connection) -> StoreResult<Option<TokenRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, hash, fingerprint, created, first_used, last_used, user_agent, requests, errors,
                last_error_status, last_error_detail, last_error_at
         FROM tokens WHERE revoked IS NULL",
    )?;
    Ok(stmt
        .query_row([], |r| {
            let status: Option<i64> = r.get(9)?;
            Ok(TokenRecord {
                id: r.get(0)?,
                hash: r.get(1)?,
                fingerprint: r.get(2)?,
                created: r.get(3)?,
                first_used: r.get(4)?,
                last_used: r.get(5)?,
                user_agent: r.get(6)?,
                requests: r.get(7)?,
                errors: r.get(8)?,
                last_error: match status {
                    Some(status) => Some(LastError {
                        status,
                        detail: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
                        at: r.get::<_, Option<i64>>(11)?.unwrap_or_default(),
                    }),
                    None => None,
                },
            })
        })
        .optional()?)
}

/// Revokes every token; returns how many were current.
pub fn revoke_all(conn: &Connection, now: i64) -> StoreResult<usize> {
    Ok(conn.execute(
        "UPDATE tokens SET revoked = ?1 WHERE revoked IS NULL",
        [now],
    )?)
}

/// Installs a new token hash, revoking the previous one. Call inside a write transaction.
pub fn install(conn: &Connection, hash: &[u8], fingerprint: &str, now: i64) -> StoreResult<i64> {
    revoke_all(conn, now)?;
    conn.execute(
        "INSERT INTO tokens (hash, fingerprint, created) VALUES (?1, ?2, ?3)",
        params![hash, fingerprint, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Requests seen since the last flush, for one token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub user_agent: Option<String>,
    pub requests: i64,
    pub errors: i64,
    pub last_error: Option<LastError>,
}

pub fn record_usage(conn: &Connection, token_id: i64, u: &Usage) -> StoreResult<()> {
    let e = u.last_error.as_ref();
    conn.execute(
        "UPDATE tokens SET
            first_used = COALESCE(first_used, ?2),
            last_used = max(COALESCE(last_used, 0), COALESCE(?3, 0)),
            user_agent = COALESCE(?4, user_agent),
            requests = requests + ?5,
            errors = errors + ?6,
            last_error_status = COALESCE(?7, last_error_status),
            last_error_detail = CASE WHEN ?7 IS NULL THEN last_error_detail ELSE ?8 END,
            last_error_at = CASE WHEN ?7 IS NULL THEN last_error_at ELSE ?9 END
         WHERE id = ?1",
        params![
            token_id,
            u.first,
            u.last,
            u.user_agent,
            u.requests,
            u.errors,
            e.map(|e| e.status),
            e.map(|e| e.detail.as_str()),
            e.map(|e| e.at)
        ],
    )?;
    Ok(())
}
