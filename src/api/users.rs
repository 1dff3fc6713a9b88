//! `/Users`: create, read, list, replace, patch, delete.

use super::resources::{self, projection, represent, resource_response};
use super::{audit, body_object, check_if_match, not_found, Method, Request, Response};
use crate::scim::error::{ScimError, ScimResult};
use crate::scim::patch;
use crate::scim::resource::{normalize, Object};
use crate::scim::schema::USER;
use crate::scim::time::now_ms;
use crate::store::{self, users, Stored};
use rusqlite::Connection;
use serde_json::{json, Value};

pub(super) fn route(
    conn: &mut Connection,
    req: &Request,
    rest: Option<&str>,
) -> ScimResult<Response> {
    match (req.method, rest) {
        (Method::Get, None) => resources::list(conn, &USER, req),
        (Method::Post, None) => create(conn, req),
        (Method::Post, Some(".search")) => resources::search(conn, &USER, req),
        (Method::Get, Some(id)) => resources::get(conn, &USER, req, users::get(conn, id)?, id),
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

fn user_name(data: &Object) -> &str {
    data.get("userName")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn create(conn: &mut Connection, req: &Request) -> ScimResult<Response> {
    let mut data = normalize(&USER, &body_object(req)?)?;
    // A new account is active unless the IdP says otherwise.
    data.entry("active").or_insert(Value::Bool(true));
    let stored = store::write(conn, |tx| {
        let s = users::insert(tx, &data, now_ms())?;
        audit(
            tx,
            req,
            "user.created",
            "User",
            &s.id,
            user_name(&data),
            None,
        )?;
        Ok::<_, ScimError>(s)
    })?;
    let body = represent(conn, &USER, &stored, &projection(&USER, req), req.base_url)?;
    Ok(resource_response(201, &USER, &stored, body, req.base_url))
}

/// Writes a changed user and its audit event; unchanged data writes nothing.
fn save(tx: &Connection, req: &Request, current: &Stored, data: &Object) -> ScimResult<Stored> {
    if *data == current.data {
        return Ok(current.clone());
    }
    let saved = users::update(tx, current, data, now_ms())?;
    let changed = changed_attributes(&current.data, data);
    let was = current
        .data
        .get("active")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let is = data.get("active").and_then(Value::as_bool).unwrap_or(true);
    let action = match (was, is) {
        (true, false) => "user.deactivated",
        (false, true) => "user.reactivated",
        _ => "user.updated",
    };
    audit(
        tx,
        req,
        action,
        "User",
        &saved.id,
        user_name(data),
        Some(json!({ "changed": changed })),
    )?;
    Ok(saved)
}

/// Names of the attributes that differ, extension attributes as `urn:...:name`.
pub(super) fn changed_attributes(old: &Object, new: &Object) -> Vec<String> {
    let mut out = Vec::new();
    let keys = old
        .keys()
        .chain(new.keys().filter(|k| !old.contains_key(*k)));
    for k in keys {
        let (a, b) = (old.get(k), new.get(k));
        if a == b {
            continue;
        }
        match (a, b) {
            (Some(Value::Object(x)), Some(Value::Object(y))) if k.starts_with("urn:") => {
                for ik in x.keys().chain(y.keys().filter(|ik| !x.contains_key(*ik))) {
                    if x.get(ik) != y.get(ik) {
                        out.push(format!("{k}:{ik}"));
                    }
                }
            }
            _ => out.push(k.clone()),
        }
    }
    out
}

fn replace(conn: &mut Connection, req: &Request, id: &str) -> ScimResult<Response> {
    let mut data = normalize(&USER, &body_object(req)?)?;
    let saved = store::write(conn, |tx| {
        let current = users::get(tx, id)?.ok_or_else(|| not_found("User", id))?;
        check_if_match(req, &current.meta)?;
        // Okta: a PUT that leaves out `active` must neither deactivate nor reactivate.
        if !data.contains_key("active") {
            if let Some(a) = current.data.get("active") {
                data.insert("active".into(), a.clone());
            }
        }
        save(tx, req, &current, &data)
    })?;
    let body = represent(conn, &USER, &saved, &projection(&USER, req), req.base_url)?;
    Ok(resource_response(200, &USER, &saved, body, req.base_url))
}

fn patch(conn: &mut Connection, req: &Request, id: &str) -> ScimResult<Response> {
    let ops = patch::parse_request(&Value::Object(body_object(req)?))?;
    let saved = store::write(conn, |tx| {
        let current = users::get(tx, id)?.ok_or_else(|| not_found("User", id))?;
        check_if_match(req, &current.meta)?;
        let mut data = current.data.clone();
        for op in &ops {
            patch::apply(&USER, id, &mut data, op)?;
        }
        save(tx, req, &current, &data)
    })?;
    let body = represent(conn, &USER, &saved, &projection(&USER, req), req.base_url)?;
    Ok(resource_response(200, &USER, &saved, body, req.base_url))
}

fn delete(conn: &mut Connection, req: &Request, id: &str) -> ScimResult<Response> {
    store::write(conn, |tx| {
        let current = users::get(tx, id)?.ok_or_else(|| not_found("User", id))?;
        check_if_match(req, &current.meta)?;
        users::delete(tx, id, now_ms())?;
        audit(
            tx,
            req,
            "user.deleted",
            "User",
            id,
            user_name(&current.data),
            None,
        )
    })?;
    Ok(Response::empty(204))
}
