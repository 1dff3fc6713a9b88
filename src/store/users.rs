//! The users table. Indexed attributes (userName, externalId, displayName, active, emails) are
//! copied out of the stored JSON on every write so filters on them use an index.

use super::{new_id, unique_violation, StoreResult, Stored};
use crate::scim::fold_case;
use crate::scim::resource::{Meta, Object};
use rusqlite::{params, Connection};
use serde_json::Value;

fn text<'a>(data: &'a Object, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Value::as_str)
}

fn user_name(data: &Object) -> &str {
    text(data, "userName").unwrap_or_default()
}

pub fn get(conn: &Connection, id: &str) -> StoreResult<Option<Stored>> {
    super::get_one(conn, "users", "id", id)
}

/// By userName, case-insensitively (the admin CLI's `users show NAME`).
pub fn get_by_user_name(conn: &Connection, name: &str) -> StoreResult<Option<Stored>> {
    super::get_one(conn, "users", "user_name_key", &fold_case(name))
}

fn conflict(data: &Object) -> impl FnOnce() -> String + '_ {
    move || format!("userName '{}' is already taken", user_name(data))
}

fn check_unique(conn: &Connection, data: &Object, own_seq: Option<i64>) -> StoreResult<()> {
    super::check_unique(
        conn,
        "users",
        "user_name_key",
        user_name(data),
        own_seq,
        conflict(data),
    )
}

pub fn insert(conn: &Connection, data: &Object, now: i64) -> StoreResult<Stored> {
    check_unique(conn, data, None)?;
    let id = new_id();
    conn.prepare_cached(
        "INSERT INTO users (id, user_name, user_name_key, external_id, display_name, active, data, created, modified, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 1)",
    )?
    .execute(
        params![
            id,
            user_name(data),
            fold_case(user_name(data)),
            text(data, "externalId"),
            text(data, "displayName"),
            data.get("active").and_then(Value::as_bool),
            Value::Object(data.clone()).to_string(),
            now
        ],
    )
    .map_err(|e| unique_violation(e, conflict(data)))?;
    let seq = conn.last_insert_rowid();
    index_emails(conn, seq, data)?;
    Ok(Stored {
        seq,
        id,
        data: data.clone(),
        meta: Meta {
            created_ms: now,
            modified_ms: now,
            version: 1,
        },
    })
}

pub fn update(conn: &Connection, current: &Stored, data: &Object, now: i64) -> StoreResult<Stored> {
    check_unique(conn, data, Some(current.seq))?;
    let version = current.meta.version + 1;
    conn.prepare_cached(
        "UPDATE users SET user_name = ?2, user_name_key = ?3, external_id = ?4, display_name = ?5,
            active = ?6, data = ?7, modified = ?8, version = ?9 WHERE seq = ?1",
    )?
    .execute(params![
        current.seq,
        user_name(data),
        fold_case(user_name(data)),
        text(data, "externalId"),
        text(data, "displayName"),
        data.get("active").and_then(Value::as_bool),
        Value::Object(data.clone()).to_string(),
        now,
        version
    ])
    .map_err(|e| unique_violation(e, conflict(data)))?;
    conn.execute("DELETE FROM user_emails WHERE user_seq = ?1", [current.seq])?;
    index_emails(conn, current.seq, data)?;
    Ok(Stored {
        seq: current.seq,
        id: current.id.clone(),
        data: data.clone(),
        meta: Meta {
            created_ms: current.meta.created_ms,
            modified_ms: now,
            version,
        },
    })
}

fn index_emails(conn: &Connection, seq: i64, data: &Object) -> StoreResult<()> {
    let Some(Value::Array(emails)) = data.get("emails") else {
        return Ok(());
    };
    let mut stmt =
        conn.prepare_cached("INSERT INTO user_emails (user_seq, value_key) VALUES (?1, ?2)")?;
    for e in emails {
        if let Some(v) = e.get("value").and_then(Value::as_str) {
            stmt.execute(params![seq, fold_case(v)])?;
        }
    }
    Ok(())
}

/// Deletes a user and its memberships; the groups it left get a new version.
pub fn delete(conn: &Connection, id: &str, now: i64) -> StoreResult<bool> {
    conn.execute(
        "UPDATE groups SET version = version + 1, modified = ?2
         WHERE seq IN (SELECT group_seq FROM members WHERE member_id = ?1)",
        params![id, now],
    )?;
    conn.execute("DELETE FROM members WHERE member_id = ?1", [id])?;
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", [id])? > 0)
}

/// The groups a user is a direct member of: (id, displayName).
pub fn groups_of(conn: &Connection, id: &str) -> StoreResult<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.id, g.display_name FROM members m JOIN groups g ON g.seq = m.group_seq
         WHERE m.member_id = ?1 ORDER BY g.display_name_key",
    )?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
