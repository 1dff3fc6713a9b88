//! The provisioning audit log: one row per change, written in the change's own transaction.

use super::StoreResult;
use rusqlite::{params, Connection};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub at: i64,
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub detail: Option<Value>,
    pub user_agent: Option<String>,
    pub token_fingerprint: Option<String>,
}

pub fn record(conn: &Connection, e: &Event) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO events (at, action, resource_type, resource_id, resource_name, detail, user_agent, token_fingerprint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        e.at,
        e.action,
        e.resource_type,
        e.resource_id,
        e.resource_name,
        e.detail.as_ref().map(Value::to_string),
        e.user_agent,
        e.token_fingerprint
    ])?;
    Ok(())
}

/// Events after `after_seq` and at or after `since` (ms), oldest first; `limit` < 0 for all.
/// With `last` set, the newest `limit` of them, still oldest first.
pub fn list(
    conn: &Connection,
    since: i64,
    after_seq: i64,
    limit: i64,
    last: bool,
) -> StoreResult<Vec<Event>> {
    let order = if last { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT seq, at, action, resource_type, resource_id, resource_name, detail, user_agent, token_fingerprint
         FROM events WHERE at >= ?1 AND seq > ?2 ORDER BY seq {order} LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![since, after_seq, limit], |r| {
        let detail: Option<String> = r.get(6)?;
        Ok(Event {
            seq: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            resource_type: r.get(3)?,
            resource_id: r.get(4)?,
            resource_name: r.get(5)?,
            detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
            user_agent: r.get(7)?,
            token_fingerprint: r.get(8)?,
        })
    })?;
    let mut out: Vec<Event> = rows.collect::<Result<_, _>>()?;
    if last {
        out.reverse();
    }
    Ok(out)
}

/// Deletes events older than `before` (ms); returns how many.
pub fn prune(conn: &Connection, before: i64) -> StoreResult<usize> {
    Ok(conn.execute("DELETE FROM events WHERE at < ?1", [before])?)
}
