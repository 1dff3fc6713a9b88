//! What Users and Groups share: representation with computed attributes, projection, lists,
//! `.search`, and the shape of resource responses.

use super::{body_object, list_params, query_value, Request, Response};
use crate::scim::error::ScimResult;
use crate::scim::list::{list_response, ListParams};
use crate::scim::resource::{render, Projection};
use crate::scim::schema::{ResourceType, GROUP, USER};
use crate::store::query::ListQuery;
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

fn compile(rt: &'static ResourceType, p: &ListParams) -> ScimResult<ListQuery> {
    query::compile(rt, p.filter.as_ref(), p.sort_by.as_ref(), p.descending)
}

/// One page of a compiled query, rendered and projected: (total, resources).
fn page(
    conn: &Connection,
    rt: &'static ResourceType,
    q: &ListQuery,
    p: &ListParams,
    offset: i64,
    limit: i64,
    base: &str,
) -> ScimResult<(i64, Vec<Value>)> {
    let (total, rows) = q.run(conn, offset, limit)?;
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

fn run_list(
    conn: &Connection,
    rt: &'static ResourceType,
    p: &ListParams,
    base: &str,
) -> ScimResult<(i64, Vec<Value>)> {
    page(
        conn,
        rt,
        &compile(rt, p)?,
        p,
        p.start_index - 1,
        p.count,
        base,
    )
}

/// A ListResponse for the given parameters, from a query string or a SearchRequest body.
fn list_with(
    conn: &Connection,
    rt: &'static ResourceType,
    p: &ListParams,
    base: &str,
) -> ScimResult<Response> {
    let (total, items) = run_list(conn, rt, p, base)?;
    Ok(Response::json(
        200,
        list_response(total, p.start_index, items),
    ))
}

pub(super) fn list(
    conn: &Connection,
    rt: &'static ResourceType,
    req: &Request,
) -> ScimResult<Response> {
    list_with(conn, rt, &list_params(req)?, req.base_url)
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
    list_with(conn, rt, &search_params(req)?, req.base_url)
}

/// `POST /.search`: Users then Groups, paged as one list.
pub(super) fn search_all(conn: &Connection, req: &Request) -> ScimResult<Response> {
    let p = search_params(req)?;
    // A filter on attributes only one type has matches nothing of the other type; only a
    // filter neither type understands is an error.
    let queries = [&USER, &GROUP].map(|rt| (rt, compile(rt, &p)));
    if let [(_, Err(e)), (_, Err(_))] = &queries {
        return Err(e.clone());
    }
    let (mut total, mut items, mut skip) = (0, Vec::new(), p.start_index - 1);
    for (rt, q) in &queries {
        let Ok(q) = q else { continue };
        let want = (p.count - items.len() as i64).max(0);
        let (n, found) = page(conn, rt, q, &p, skip, want, req.base_url)?;
        total += n;
        skip = (skip - n).max(0);
        items.extend(found);
    }
    Ok(Response::json(
        200,
        list_response(total, p.start_index, items),
    ))
}
