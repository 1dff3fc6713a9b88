//! `/Groups`: the group's own attributes go through the shared PATCH engine; membership
//! changes run as row-level statements, so their cost does not grow with the group.

use super::resources::{self, projection, represent, resource_response};
use super::users::changed_attributes;
use super::{
    audit, body_object, check_if_match, not_found, query_value, Method, Request, Response,
};
use crate::scim::error::{ScimError, ScimResult};
use crate::scim::patch::{self, member_refs, GroupOp, MemberChange, MemberRef};
use crate::scim::resource::{normalize, Object};
use crate::scim::schema::GROUP;
use crate::scim::time::now_ms;
use crate::store::{self, groups, query, Stored};
use rusqlite::Connection;
use serde_json::{json, Value};

pub(super) fn route(
    conn: &mut Connection,
    req: &Request,
    rest: Option<&str>,
) -> ScimResult<Response> {
    match (req.method, rest) {
        (Method::Get, None) => resources::list(conn, &GROUP, req),
        (Method::Post, None) => create(conn, req),
        (Method::Post, Some(".search")) => resources::search(conn, &GROUP, req),
        (Method::Get, Some(id)) => resources::get(conn, &GROUP, req, groups::get(conn, id)?, id),
        (Method::Put, Some(id)) => replace(conn, req, id),
        (Method::Patch, Some(id)) => patch(conn, req, id),
        (Method::Delete, Some(id)) => delete(conn, req, id),
        _ => Err(ScimError::new(
            405,
            None,
            "method not allowed on this endpoint",
        )),
    }
}

fn display_name(data: &Object) -> &str {
    data.get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Splits a POST/PUT body into the group's attributes and its member list (None: absent).
fn parse_body(req: &Request) -> ScimResult<(Object, Option<Vec<MemberRef>>)> {
    let mut body = body_object(req)?;
    let key = body
        .keys()
        .find(|k| k.eq_ignore_ascii_case("members"))
        .cloned();
    let members = match key.and_then(|k| body.remove(&k)) {
        Some(v) => Some(member_refs(&v)?),
        None => None,
    };
    Ok((normalize(&GROUP, &body)?, members))
}

/// Member ids must name existing users or groups; unknown ones fail the whole request.
fn resolve(tx: &Connection, refs: &[MemberRef]) -> ScimResult<Vec<groups::ResolvedMember>> {
    match groups::resolve_members(tx, refs)? {
        Ok(found) => Ok(found),
        Err(unknown) => Err(ScimError::invalid_value(format!(
            "members: no user or group with id {}",
            unknown.join(", ")
        ))),
    }
}

fn audit_members(
    tx: &Connection,
    req: &Request,
    g: &Stored,
    added: usize,
    removed: usize,
) -> ScimResult<()> {
    for (count, action) in [
        (added, "group.members_added"),
        (removed, "group.members_removed"),
    ] {
        if count > 0 {
            let detail = Some(json!({ "count": count }));
            audit(
                tx,
                req,
                action,
                "Group",
                &g.id,
                display_name(&g.data),
                detail,
            )?;
        }
    }
    Ok(())
}

/// After membership changes: a new version for the group (unless its attributes already got
/// one) and the audit events.
fn finish_members(
    tx: &Connection,
    req: &Request,
    current: &Stored,
    mut saved: Stored,
    added: usize,
    removed: usize,
) -> ScimResult<Stored> {
    if added + removed > 0 {
        if saved.meta == current.meta {
            saved.meta = groups::touch(tx, current, now_ms())?;
        }
        audit_members(tx, req, &saved, added, removed)?;
    }
    Ok(saved)
}

fn create(conn: &mut Connection, req: &Request) -> ScimResult<Response> {
    let (data, members) = parse_body(req)?;
    let stored = store::write(conn, |tx| {
        let s = groups::insert(tx, &data, now_ms())?;
        audit(
            tx,
            req,
            "group.created",
            "Group",
            &s.id,
            display_name(&data),
            None,
        )?;
        if let Some(refs) = members.filter(|m| !m.is_empty()) {
            let found = resolve(tx, &refs)?;
            let added = groups::add_members(tx, s.seq, &found)?;
            audit_members(tx, req, &s, added, 0)?;
        }
        Ok::<_, ScimError>(s)
    })?;
    let body = represent(
        conn,
        &GROUP,
        &stored,
        &projection(&GROUP, req),
        req.base_url,
    )?;
    Ok(resource_response(201, &GROUP, &stored, body, req.base_url))
}

/// Saves changed attributes with their audit event; unchanged data writes nothing.
fn save(tx: &Connection, req: &Request, current: &Stored, data: &Object) -> ScimResult<Stored> {
    if *data == current.data {
        return Ok(current.clone());
    }
    let saved = groups::update(tx, current, data, now_ms())?;
    let action = if display_name(data) != display_name(&current.data) {
        "group.renamed"
    } else {
        "group.updated"
    };
    let mut detail = json!({"changed": changed_attributes(&current.data, data)});
    if action == "group.renamed" {
        detail["from"] = Value::from(display_name(&current.data));
    }
    audit(
        tx,
        req,
        action,
        "Group",
        &saved.id,
        display_name(data),
        Some(detail),
    )?;
    Ok(saved)
}

fn replace(conn: &mut Connection, req: &Request, id: &str) -> ScimResult<Response> {
    let (data, members) = parse_body(req)?;
    let saved = store::write(conn, |tx| {
        let current = groups::get(tx, id)?.ok_or_else(|| not_found("Group", id))?;
        check_if_match(req, &current.meta)?;
        let saved = save(tx, req, &current, &data)?;
        // PUT replaces: a body without members leaves the group empty.
        let found = resolve(tx, &members.unwrap_or_default())?;
        let (added, removed) = groups::replace_members(tx, current.seq, &found)?;
        finish_members(tx, req, &current, saved, added, removed)
    })?;
    let body = represent(conn, &GROUP, &saved, &projection(&GROUP, req), req.base_url)?;
    Ok(resource_response(200, &GROUP, &saved, body, req.base_url))
}

fn patch(conn: &mut Connection, req: &Request, id: &str) -> ScimResult<Response> {
    let ops = patch::split_group_ops(patch::parse_request(&Value::Object(body_object(req)?))?)?;
    let saved = store::write(conn, |tx| {
        let current = groups::get(tx, id)?.ok_or_else(|| not_found("Group", id))?;
        check_if_match(req, &current.meta)?;
        let mut data = current.data.clone();
        let (mut added, mut removed) = (0, 0);
        for op in &ops {
            match op {
                GroupOp::Attributes(op) => patch::apply(&GROUP, id, &mut data, op)?,
                GroupOp::Members(change) => {
                    let (a, r) = apply_members(tx, current.seq, change)?;
                    added += a;
                    removed += r;
                }
            }
        }
        let saved = save(tx, req, &current, &data)?;
        finish_members(tx, req, &current, saved, added, removed)
    })?;
    // Entra asks for 204: a large group's member list is never sent back unasked.
    if query_value(req, "attributes").is_none() && query_value(req, "excludedAttributes").is_none()
    {
        let mut r = Response::empty(204);
        r.etag = Some(saved.meta.etag());
        return Ok(r);
    }
    let body = represent(conn, &GROUP, &saved, &projection(&GROUP, req), req.base_url)?;
    Ok(resource_response(200, &GROUP, &saved, body, req.base_url))
}

/// Applies one membership change; returns (added, removed).
fn apply_members(tx: &Connection, seq: i64, change: &MemberChange) -> ScimResult<(usize, usize)> {
    Ok(match change {
        MemberChange::Add(refs) => (groups::add_members(tx, seq, &resolve(tx, refs)?)?, 0),
        MemberChange::Remove(ids) => (0, groups::remove_members(tx, seq, ids)?),
        MemberChange::RemoveWhere(f) => {
            let sql = query::compile_member_filter(&GROUP, f)?;
            (0, groups::remove_members_where(tx, seq, &sql)?)
        }
        MemberChange::RemoveAll => (0, groups::remove_all_members(tx, seq)?),
        MemberChange::Replace(refs) => groups::replace_members(tx, seq, &resolve(tx, refs)?)?,
    })
}

fn delete(conn: &mut Connection, req: &Request, id: &str) -> ScimResult<Response> {
    store::write(conn, |tx| {
        let current = groups::get(tx, id)?.ok_or_else(|| not_found("Group", id))?;
        check_if_match(req, &current.meta)?;
        groups::delete(tx, id, now_ms())?;
        audit(
            tx,
            req,
            "group.deleted",
            "Group",
            id,
            display_name(&current.data),
            None,
        )
    })?;
    Ok(Response::empty(204))
}
