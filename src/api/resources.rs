//! What Users and Groups share: representation with computed attributes, projection, lists,
//! `.search`, and the shape of resource responses.

use super::{body_object, list_params, query_value, Request, Response};
use crate::scim::error::ScimResult;
use crate::scim::list::{list_response, ListParams};
use crate::scim::resource::{render, Projection};
use crate::scim::schema::{ResourceType, GROUP, USER};
use crate::store::{groups, query, users, Stored};
use rusqlite::Connection;
use serde_json::{json, Value};

pub(super) fn location(base: &str, rt: &ResourceType, id: &str) -> String {
    format!("{base}{}/{id}", rt.endpoint)
}

pub(super) fn projection(rt: &ResourceType, req: &Request) -> Projection {
    Projection::parse(
        rt,
        query_value(req, "attributes"),
        query_value(req, "excludedAttributes"),
    )
}

/// Attributes computed from the membership table: a user's `groups`, a group's `members`.
/// Skipped when the projection leaves them out, so `excludedAttributes=members` never reads
/// a member row.
fn computed(
    conn: &Connection,
    rt: &ResourceType,
    s: &Stored,
    proj: &Projection,
    base: &str,
) -> ScimResult<Vec<(&'static str, Value)>> {
    if rt.name == USER.name && proj.wants("groups") {
        let list: Vec<Value> = users::groups_of(conn, &s.id)?
            .into_iter()
            .map(|(id, display)| {
                json!({"value": id, "$ref": location(base, &GROUP, &id), "display": display, "type": "direct"})
            })
            .collect();
        if !list.is_empty() {
            return Ok(vec![("groups", Value::Array(list))]);
        }
    }
    // A member's `display` is returned as the client sent it: clients (and the scim2-tester
    // suite) compare members value for value after a PATCH.
    if rt.name == GROUP.name && proj.wants("members") {
        let list: Vec<Value> = groups::members(conn, s.seq, 0, -1)?
            .into_iter()
            .map(|m| {
                let rt = if m.kind == "Group" { &GROUP } else { &USER };
                let mut v =
                    json!({"value": m.id, "$ref": location(base, rt, &m.id), "type": m.kind});
                if let Some(d) = m.display {
                    v["display"] = Value::from(d);
                }
                v
            })
            .collect();
        if !list.is_empty() {
            return Ok(vec![("members", Value::Array(list))]);
        }
    }
    Ok(vec![])
}

/// The full representation of a stored resource, projected.
pub(super) fn represent(
    conn: &Connection,
    rt: &'static ResourceType,
    s: &Stored,
    proj: &Projection,
    base: &str,
) -> ScimResult<Value> {
    let extra = computed(conn, rt, s, proj, base)?;
    let mut out = render(
        rt,
        &s.id,
        &s.data,
        extra,
        &s.meta,
        &location(base, rt, &s.id),
    );
    proj.apply(rt, &mut out);
    Ok(Value::Object(out))
}

/// A single-resource response with `ETag` (and `Location` on 201).
pub(super) fn resource_response(
    status: u16,
    rt: &ResourceType,
    s: &Stored,
    body: Value,
    base: &str,
) -> Response {
    Response {
        status,
        body: Some(body),
        location: (status == 201).then(|| location(base, rt, &s.id)),
        etag: Some(s.meta.etag()),
    }
}

pub(super) fn get(
    conn: &Connection,
    rt: &'static ResourceType,
    req: &Request,
    found: Option<Stored>,
    id: &str,
) -> ScimResult<Response> {
    let s = found.ok_or_else(|| super::not_found(rt.name, id))?;
    if let Some(h) = req.if_none_match {
        if super::etag_matches(h, &s.meta) {
            let mut r = Response::empty(304);
            r.etag = Some(s.meta.etag());
            return Ok(r);
        }
    }
    let body = represent(conn, rt, &s, &projection(rt, req), req.base_url)?;
    Ok(resource_response(200, rt, &s, body, req.base_url))
}

fn run_list(
    conn: &Connection,
    rt: &'static ResourceType,
    p: &ListParams,
    base: &str,
) -> ScimResult<(i64, Vec<Value>)> {
    let q = query::compile(rt, p.filter.as_ref(), p.sort_by.as_ref(), p.descending)?;
    let (total, rows) = q.run(conn, p.start_index - 1, p.count)?;
    let proj = Projection::parse(
        rt,
        p.attributes.as_deref(),
        p.excluded_attributes.as_deref(),
    );
    let items = rows
        .iter()
        .map(|s| represent(conn, rt, s, &proj, base))
        .collect::<ScimResult<_>>()?;
    Ok((total, items))
}

pub(super) fn list(
    conn: &Connection,
    rt: &'static ResourceType,
    req: &Request,
) -> ScimResult<Response> {
    let p = list_params(req)?;
    let (total, items) = run_list(conn, rt, &p, req.base_url)?;
    Ok(Response::json(
        200,
        list_response(total, p.start_index, items),
    ))
}

/// The parameters of a SearchRequest body (RFC 7644 §3.4.3).
fn search_params(req: &Request) -> ScimResult<ListParams> {
    let body = body_object(req)?;
    ListParams::from_pairs(
        body.iter()
            .filter(|(k, _)| *k != "schemas")
            .map(|(k, v)| (k.as_str(), v.clone())),
    )
}

pub(super) fn search(
    conn: &Connection,
    rt: &'static ResourceType,
    req: &Request,
) -> ScimResult<Response> {
    let p = search_params(req)?;
    let (total, items) = run_list(conn, rt, &p, req.base_url)?;
    Ok(Response::json(
        200,
        list_response(total, p.start_index, items),
    ))
}

/// `POST /.search`: Users then Groups, paged as one list.
pub(super) fn search_all(conn: &mut Connection, req: &Request) -> ScimResult<Response> {
    let p = search_params(req)?;
    let mut total = 0;
    let mut items = Vec::new();
    let mut skip = p.start_index - 1;
    for rt in [&USER, &GROUP] {
        let want = p.count - items.len() as i64;
        let mut sub = p.clone();
        sub.start_index = skip + 1;
        sub.count = want.max(0);
        let (n, page) = match run_list(conn, rt, &sub, req.base_url) {
            // A filter naming attributes one type lacks simply matches none of that type.
            Err(e)
                if e.scim_type == Some(crate::scim::ScimType::InvalidFilter)
                    && e.detail.contains("unknown attribute") =>
            {
                (0, vec![])
            }
            r => r?,
        };
        total += n;
        skip = (skip - n).max(0);
        items.extend(page);
    }
    if total == 0 && p.filter.is_some() {
        // Both types rejected the filter: report it rather than an empty list.
        if let Err(e) = query::compile(&USER, p.filter.as_ref(), None, false) {
            if query::compile(&GROUP, p.filter.as_ref(), None, false).is_err() {
                return Err(e);
            }
        }
    }
    Ok(Response::json(
        200,
        list_response(total, p.start_index, items),
    ))
}
