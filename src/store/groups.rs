//! The groups table and the membership table. Every membership change is a row-level statement
//! keyed on (group, member): its cost does not depend on the size of the group.

use super::query::SqlFilter;
use super::{new_id, unique_violation, StoreResult, Stored};
use crate::scim::fold_case;
use crate::scim::patch::MemberRef;
use crate::scim::resource::{Meta, Object};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde_json::Value;

fn display_name(data: &Object) -> &str {
    data.get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn external_id(data: &Object) -> Option<&str> {
    data.get("externalId").and_then(Value::as_str)
}

pub fn get(conn: &Connection, id: &str) -> StoreResult<Option<Stored>> {
    super::get_one(conn, "groups", "id", id)
}

/// By displayName, case-insensitively.
pub fn get_by_display_name(conn: &Connection, name: &str) -> StoreResult<Option<Stored>> {
    super::get_one(conn, "groups", "display_name_key", &fold_case(name))
}

fn conflict(data: &Object) -> impl FnOnce() -> String + '_ {
    move || format!("a group named '{}' already exists", display_name(data))
}

fn check_unique(conn: &Connection, data: &Object, own_seq: Option<i64>) -> StoreResult<()> {
    super::check_unique(
        conn,
        "groups",
        "display_name_key",
        display_name(data),
        own_seq,
        conflict(data),
    )
}

/// Inserts a group; `data` holds its attributes without `members`.
pub fn insert(conn: &Connection, data: &Object, now: i64) -> StoreResult<Stored> {
    check_unique(conn, data, None)?;
    let id = new_id();
    conn.prepare_cached(
        "INSERT INTO groups (id, display_name, display_name_key, external_id, data, created, modified, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1)",
    )?
    .execute(
        params![
            id,
            display_name(data),
            fold_case(display_name(data)),
            external_id(data),
            Value::Object(data.clone()).to_string(),
            now
        ],
    )
    .map_err(|e| unique_violation(e, conflict(data)))?;
    Ok(Stored {
        seq: conn.last_insert_rowid(),
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
    conn.prepare_cached(
        "UPDATE groups SET display_name = ?2, display_name_key = ?3, external_id = ?4, data = ?5,
            modified = ?6, version = version + 1 WHERE seq = ?1",
    )?
    .execute(params![
        current.seq,
        display_name(data),
        fold_case(display_name(data)),
        external_id(data),
        Value::Object(data.clone()).to_string(),
        now
    ])
    .map_err(|e| unique_violation(e, conflict(data)))?;
    Ok(Stored {
        seq: current.seq,
        id: current.id.clone(),
        data: data.clone(),
        meta: Meta {
            created_ms: current.meta.created_ms,
            modified_ms: now,
            version: current.meta.version + 1,
        },
    })
}

/// Records a membership change on the group row: a new version and lastModified.
pub fn touch(conn: &Connection, current: &Stored, now: i64) -> StoreResult<Meta> {
    conn.execute(
        "UPDATE groups SET modified = ?2, version = version + 1 WHERE seq = ?1",
        params![current.seq, now],
    )?;
    Ok(Meta {
        created_ms: current.meta.created_ms,
        modified_ms: now,
        version: current.meta.version + 1,
    })
}

pub fn delete(conn: &Connection, id: &str, now: i64) -> StoreResult<bool> {
    // A group may itself be a member of other groups.
    conn.execute(
        "UPDATE groups SET version = version + 1, modified = ?2
         WHERE seq IN (SELECT group_seq FROM members WHERE member_id = ?1)",
        params![id, now],
    )?;
    conn.execute("DELETE FROM members WHERE member_id = ?1", [id])?;
    Ok(conn.execute("DELETE FROM groups WHERE id = ?1", [id])? > 0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub kind: String,
    /// `display` as the client sent it.
    pub display: Option<String>,
    /// The member's own name (displayName, else userName), for people reading the CLI.
    pub name: Option<String>,
}

/// Members of a group in a stable order, a page at a time (`limit` < 0: all of them).
pub fn members(
    conn: &Connection,
    group_seq: i64,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<Member>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.member_id, m.member_type, m.display, COALESCE(u.display_name, u.user_name, g.display_name)
         FROM members m
         LEFT JOIN users u ON m.member_type = 'User' AND u.id = m.member_id
         LEFT JOIN groups g ON m.member_type = 'Group' AND g.id = m.member_id
         WHERE m.group_seq = ?1 ORDER BY m.member_id LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(params![group_seq, limit, offset], |r| {
        Ok(Member {
            id: r.get(0)?,
            kind: r.get(1)?,
            display: r.get(2)?,
            name: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn member_count(conn: &Connection, group_seq: i64) -> StoreResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM members WHERE group_seq = ?1",
        [group_seq],
        |r| r.get(0),
    )?)
}

/// What an id names: "User", "Group", or nothing.
pub fn kind_of(conn: &Connection, id: &str) -> StoreResult<Option<&'static str>> {
    let mut stmt = conn.prepare_cached(
        "SELECT 'User' FROM users WHERE id = ?1 UNION ALL SELECT 'Group' FROM groups WHERE id = ?1",
    )?;
    let kind: Option<String> = stmt.query_row([id], |r| r.get(0)).optional()?;
    Ok(kind.map(|k| if k == "User" { "User" } else { "Group" }))
}

/// A member id, what it names ("User" or "Group"), and the client's `display`.
pub type ResolvedMember = (String, &'static str, Option<String>);

/// Resolves member references, or returns the ids that name nothing.
pub fn resolve_members(
    conn: &Connection,
    refs: &[MemberRef],
) -> StoreResult<Result<Vec<ResolvedMember>, Vec<String>>> {
    let mut found = Vec::with_capacity(refs.len());
    let mut unknown = Vec::new();
    for r in refs {
        match kind_of(conn, &r.value)? {
            Some(kind) => found.push((r.value.clone(), kind, r.display.clone())),
            None => unknown.push(r.value.clone()),
        }
    }
    Ok(if unknown.is_empty() {
        Ok(found)
    } else {
        Err(unknown)
    })
}

/// Adds members; existing ones are left alone. Returns how many were new.
pub fn add_members(
    conn: &Connection,
    group_seq: i64,
    members: &[ResolvedMember],
) -> StoreResult<usize> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO members (group_seq, member_id, member_type, display) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut added = 0;
    for (id, kind, display) in members {
        added += stmt.execute(params![group_seq, id, kind, display])?;
    }
    Ok(added)
}

pub fn remove_members(conn: &Connection, group_seq: i64, ids: &[String]) -> StoreResult<usize> {
    let mut stmt =
        conn.prepare_cached("DELETE FROM members WHERE group_seq = ?1 AND member_id = ?2")?;
    let mut removed = 0;
    for id in ids {
        removed += stmt.execute(params![group_seq, id])?;
    }
    Ok(removed)
}

/// Removes the members a filter selects (`members[value eq "id"]`), compiled against the
/// membership table.
pub fn remove_members_where(
    conn: &Connection,
    group_seq: i64,
    filter: &SqlFilter,
) -> StoreResult<usize> {
    let sql = format!(
        "DELETE FROM members WHERE group_seq = ?{} AND ({})",
        filter.params.len() + 1,
        filter.sql
    );
    let mut values = filter.params.clone();
    values.push(group_seq.into());
    Ok(conn.execute(&sql, params_from_iter(values))?)
}

pub fn remove_all_members(conn: &Connection, group_seq: i64) -> StoreResult<usize> {
    Ok(conn.execute("DELETE FROM members WHERE group_seq = ?1", [group_seq])?)
}

/// Makes the member list exactly `members`, touching only the rows that differ.
/// Returns (added, removed).
pub fn replace_members(
    conn: &Connection,
    group_seq: i64,
    members: &[ResolvedMember],
) -> StoreResult<(usize, usize)> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS wanted_members (member_id TEXT PRIMARY KEY, member_type TEXT NOT NULL, display TEXT);
         DELETE FROM temp.wanted_members;",
    )?;
    {
        let mut stmt = conn.prepare_cached(
            "INSERT OR IGNORE INTO temp.wanted_members (member_id, member_type, display) VALUES (?1, ?2, ?3)",
        )?;
        for (id, kind, display) in members {
            stmt.execute(params![id, kind, display])?;
        }
    }
    let removed = conn.execute(
        "DELETE FROM members WHERE group_seq = ?1
           AND member_id NOT IN (SELECT member_id FROM temp.wanted_members)",
        [group_seq],
    )?;
    let added = conn.execute(
        "INSERT OR IGNORE INTO members (group_seq, member_id, member_type, display)
         SELECT ?1, member_id, member_type, display FROM temp.wanted_members",
        [group_seq],
    )?;
    conn.execute_batch("DELETE FROM temp.wanted_members")?;
    Ok((added, removed))
}
