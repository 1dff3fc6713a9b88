//! `POST /Bulk` (RFC 7644 §3.7): each operation runs as its own request through the same
//! handlers; `bulkId:` references are resolved as the resources they name are created, in any
//! order, including the circular case of §3.7.1 (created first without the members, which are
//! added once their targets exist).

use super::{body_object, route, Method, Request, Response};
use crate::scim::discovery::MAX_BULK_OPERATIONS;
use crate::scim::error::{ScimError, ScimResult, ScimType};
use rusqlite::Connection;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const BULK_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

#[derive(Clone)]
struct Op {
    index: usize,
    method: Method,
    method_name: String,
    bulk_id: Option<String>,
    path: String,
    data: Option<Value>,
    version: Option<String>,
    /// Members held back from a create to break a reference cycle, added once resolvable.
    deferred_members: Option<Vec<Value>>,
    /// The PATCH that adds deferred members: reported on its create's line.
    follow_up: bool,
}

fn get_ci<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn parse_ops(body: &Map<String, Value>) -> ScimResult<Vec<Op>> {
    let ops = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("Bulk body needs an \"Operations\" array"))?;
    if ops.len() > MAX_BULK_OPERATIONS {
        return Err(ScimError::bad_request(
            ScimType::TooMany,
            format!("at most {MAX_BULK_OPERATIONS} operations per Bulk request"),
        ));
    }
    ops.iter()
        .enumerate()
        .map(|(index, v)| {
            let o = v.as_object().ok_or_else(|| {
                ScimError::invalid_syntax("each Bulk operation must be an object")
            })?;
            let method_name = get_ci(o, "method")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_uppercase();
            let method = match method_name.as_str() {
                "POST" => Method::Post,
                "PUT" => Method::Put,
                "PATCH" => Method::Patch,
                "DELETE" => Method::Delete,
                _ => {
                    return Err(ScimError::invalid_syntax(format!(
                        "operation {}: method must be POST, PUT, PATCH or DELETE",
                        index + 1
                    )))
                }
            };
            let path = get_ci(o, "path").and_then(Value::as_str).ok_or_else(|| {
                ScimError::invalid_syntax(format!("operation {}: \"path\" is required", index + 1))
            })?;
            Ok(Op {
                index,
                method,
                method_name,
                bulk_id: get_ci(o, "bulkId")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                path: path.to_string(),
                data: get_ci(o, "data").cloned(),
                version: get_ci(o, "version")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                deferred_members: None,
                follow_up: false,
            })
        })
        .collect()
}

/// Every `bulkId:x` the operation refers to.
fn references(op: &Op) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                if let Some(id) = s.strip_prefix("bulkId:") {
                    out.push(id.to_string());
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            Value::Object(o) => o.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(d) = &op.data {
        walk(d, &mut out);
    }
    for seg in op.path.split('/') {
        if let Some(id) = seg.strip_prefix("bulkId:") {
            out.push(id.to_string());
        }
    }
    out
}

fn substitute(v: &Value, ids: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => match s.strip_prefix("bulkId:").and_then(|b| ids.get(b)) {
            Some(id) => Value::String(id.clone()),
            None => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(|v| substitute(v, ids)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), substitute(v, ids)))
                .collect(),
        ),
        _ => v.clone(),
    }
}

fn substitute_path(path: &str, ids: &HashMap<String, String>) -> String {
    path.split('/')
        .map(
            |seg| match seg.strip_prefix("bulkId:").and_then(|b| ids.get(b)) {
                Some(id) => id.as_str(),
                None => seg,
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Breaks a cycle: takes the unresolved members out of a pending group create.
fn defer_members(op: &mut Op, ids: &HashMap<String, String>, defined: &[String]) -> bool {
    if op.method != Method::Post || op.deferred_members.is_some() {
        return false;
    }
    let Some(Value::Object(data)) = &mut op.data else {
        return false;
    };
    let Some(key) = data
        .keys()
        .find(|k| k.eq_ignore_ascii_case("members"))
        .cloned()
    else {
        return false;
    };
    let Some(Value::Array(members)) = data.get_mut(&key) else {
        return false;
    };
    let pending = |m: &Value| {
        m.get("value")
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("bulkId:"))
            .is_some_and(|b| !ids.contains_key(b))
    };
    let refs: Vec<&str> = members
        .iter()
        .filter_map(|m| m.get("value").and_then(Value::as_str))
        .filter_map(|s| s.strip_prefix("bulkId:"))
        .collect();
    // Only references that a later operation will create can wait.
    if refs.iter().any(|r| !defined.iter().any(|d| d == r)) {
        return false;
    }
    let (later, now): (Vec<Value>, Vec<Value>) = members.drain(..).partition(pending);
    *members = now;
    op.deferred_members = Some(later);
    true
}

pub(super) fn handle(conn: &mut Connection, req: &Request) -> ScimResult<Response> {
    super::require(req, Method::Post)?;
    let body = body_object(req)?;
    let fail_on_errors = get_ci(&body, "failOnErrors")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0);
    let mut pending = parse_ops(&body)?;
    let defined: Vec<String> = pending.iter().filter_map(|o| o.bulk_id.clone()).collect();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results: Vec<(usize, Value)> = Vec::new();
    let mut errors = 0u64;

    while !pending.is_empty() {
        if fail_on_errors.is_some_and(|n| errors >= n) {
            break;
        }
        let ready = pending
            .iter()
            .position(|op| references(op).iter().all(|r| ids.contains_key(r)));
        let pos = match ready {
            Some(p) => p,
            // Nothing is ready: break a cycle by creating a group without its unresolved
            // members, or fail an operation whose bulkId can never resolve.
            None => match (0..pending.len()).find(|&p| {
                let mut trial = pending[p].clone();
                defer_members(&mut trial, &ids, &defined)
                    && references(&trial).iter().all(|r| ids.contains_key(r))
            }) {
                Some(p) => {
                    defer_members(&mut pending[p], &ids, &defined);
                    p
                }
                None => {
                    let op = pending.remove(0);
                    let missing: Vec<String> = references(&op)
                        .into_iter()
                        .filter(|r| !ids.contains_key(r))
                        .collect();
                    let why = if missing.iter().all(|m| defined.contains(m)) {
                        "refers to a bulkId whose operation failed"
                    } else {
                        "refers to an unknown bulkId"
                    };
                    let e = ScimError::new(
                        409,
                        Some(ScimType::InvalidValue),
                        format!("{why}: {}", missing.join(", ")),
                    );
                    results.push((op.index, outcome(&op, &Response::error(&e), None)));
                    errors += 1;
                    continue;
                }
            },
        };
        let mut op = pending.remove(pos);
        let (response, location) = run_op(conn, req, &op, &ids);
        if response.status >= 400 {
            errors += 1;
        } else if let (Method::Post, Some(b), Some(loc)) =
            (op.method, &op.bulk_id, &response.location)
        {
            if let Some(id) = loc.rsplit('/').next() {
                ids.insert(b.clone(), id.to_string());
            }
        }
        // Held-back members come back as a PATCH once their targets exist.
        if let (Some(members), Some(loc)) = (op.deferred_members.take(), &response.location) {
            if !members.is_empty() {
                let id = loc.rsplit('/').next().unwrap_or_default();
                pending.push(Op {
                    index: op.index,
                    method: Method::Patch,
                    method_name: "PATCH".into(),
                    bulk_id: None,
                    path: format!("/Groups/{id}"),
                    data: Some(
                        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "add", "path": "members", "value": members}]}),
                    ),
                    version: None,
                    deferred_members: None,
                    follow_up: true,
                });
                results.push((op.index, outcome(&op, &response, Some(&location))));
                continue;
            }
        }
        if op.follow_up && response.status < 400 {
            continue;
        }
        report(&mut results, &op, outcome(&op, &response, Some(&location)));
    }
    results.sort_by_key(|(i, _)| *i);
    Ok(Response::json(
        200,
        json!({"schemas": [BULK_RESPONSE_URN], "Operations": results.into_iter().map(|(_, v)| v).collect::<Vec<_>>()}),
    ))
}

/// Records an operation's outcome; a deferred create's follow-up reports a failure on the
/// create's own line.
fn report(results: &mut Vec<(usize, Value)>, op: &Op, outcome: Value) {
    if op.follow_up {
        if let Some(r) = results.iter_mut().find(|(i, _)| *i == op.index) {
            r.1["status"] = outcome["status"].clone();
            r.1["response"] = outcome["response"].clone();
        }
        return;
    }
    results.push((op.index, outcome));
}

/// Runs one operation; returns its response and the resource's absolute URL.
fn run_op(
    conn: &mut Connection,
    req: &Request,
    op: &Op,
    ids: &HashMap<String, String>,
) -> (Response, String) {
    let path = substitute_path(&op.path, ids);
    let location = format!("{}{path}", req.base_url);
    let lower = path.to_ascii_lowercase();
    if !(lower.starts_with("/users") || lower.starts_with("/groups")) {
        let e = ScimError::invalid_value(format!(
            "Bulk operations apply to /Users and /Groups, not {path}"
        ));
        return (Response::error(&e), location);
    }
    let body = op
        .data
        .as_ref()
        .map(|d| substitute(d, ids).to_string())
        .unwrap_or_default();
    let sub = Request {
        method: op.method,
        path: &path,
        query: vec![],
        body: body.as_bytes(),
        base_url: req.base_url,
        if_match: op.version.as_deref(),
        if_none_match: None,
        actor: req.actor,
    };
    let response = route(conn, &sub).unwrap_or_else(|e| Response::error(&e));
    (response, location)
}

fn outcome(op: &Op, r: &Response, location: Option<&str>) -> Value {
    let mut v = json!({"method": op.method_name, "status": r.status.to_string()});
    if let Some(b) = &op.bulk_id {
        v["bulkId"] = Value::from(b.as_str());
    }
    if let Some(l) = &r.location {
        v["location"] = Value::from(l.as_str());
    } else if let Some(l) = location.filter(|_| r.status < 300 && op.method != Method::Delete) {
        v["location"] = Value::from(l);
    }
    if let Some(e) = &r.etag {
        v["version"] = Value::from(e.as_str());
    }
    if r.status >= 400 {
        v["response"] = r.body.clone().unwrap_or(Value::Null);
    }
    v
}
