//! The provisioning service: SCIM requests in, SCIM responses out. Joins the protocol layer
//! (validation, PATCH, rendering) to storage; knows nothing of HTTP framing or sockets.

mod bulk;
mod groups;
mod resources;
mod users;

use crate::scim::error::{ScimError, ScimResult};
use crate::scim::list::ListParams;
use crate::scim::resource::Meta;
use crate::scim::{discovery, time};
use crate::store::events::{self, Event};
use crate::store::StoreError;
use rusqlite::Connection;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Other,
}

impl Method {
    pub fn parse(m: &str) -> Method {
        match m.to_ascii_uppercase().as_str() {
            "GET" | "HEAD" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }
}

/// Who made a change, for the audit log: never a secret.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_agent: Option<String>,
    pub token_fingerprint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub method: Method,
    /// The path below the base URL, e.g. `/Users/2819c223`.
    pub path: &'a str,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    pub body: &'a [u8],
    /// Absolute base URL of the service, e.g. `https://gorbit.example.com/scim/v2`.
    pub base_url: &'a str,
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub actor: &'a Actor,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: Option<Value>,
    pub location: Option<String>,
    pub etag: Option<String>,
}

impl Response {
    pub fn json(status: u16, body: Value) -> Response {
        Response {
            status,
            body: Some(body),
            location: None,
            etag: None,
        }
    }
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            body: None,
            location: None,
            etag: None,
        }
    }
    pub fn error(e: &ScimError) -> Response {
        Response::json(e.status, e.to_json())
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ScimError::uniqueness(what),
            StoreError::Sql(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) =>
            {
                ScimError::new(503, None, "the database is busy; retry shortly")
            }
            other => ScimError::internal(format!("internal error: {other}")),
        }
    }
}

/// Handles one request; every failure becomes a SCIM error response.
pub fn handle(conn: &mut Connection, req: &Request) -> Response {
    route(conn, req).unwrap_or_else(|e| Response::error(&e))
}

fn route(conn: &mut Connection, req: &Request) -> ScimResult<Response> {
    let path = req.path.trim_end_matches('/');
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let head = parts.next().unwrap_or_default().to_ascii_lowercase();
    let rest = parts.next().filter(|s| !s.is_empty());
    match (head.as_str(), rest) {
        ("users", _) => users::route(conn, req, rest),
        ("groups", _) => groups::route(conn, req, rest),
        ("serviceproviderconfig" | "resourcetypes" | "schemas", _) => {
            if req.method != Method::Get {
                return Err(ScimError::new(
                    405,
                    None,
                    "discovery endpoints are read-only",
                ));
            }
            let doc = discovery::document(&head, rest, req.base_url)?;
            Ok(Response::json(200, doc))
        }
        ("bulk", None) => bulk::handle(conn, req),
        (".search", None) => {
            require(req, Method::Post)?;
            resources::search_all(conn, req)
        }
        ("me", _) => Err(ScimError::new(
            501,
            None,
            "/Me is not supported: the only client here is the identity provider, not a user",
        )),
        _ => Err(ScimError::not_found(format!(
            "no such endpoint: {}",
            req.path
        ))),
    }
}

fn require(req: &Request, m: Method) -> ScimResult<()> {
    if req.method == m {
        Ok(())
    } else {
        Err(ScimError::new(
            405,
            None,
            "method not allowed on this endpoint",
        ))
    }
}

/// The request body as a JSON object.
fn body_object(req: &Request) -> ScimResult<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(req.body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(ScimError::invalid_syntax(
            "the request body must be a JSON object",
        )),
        Err(_) if req.body.iter().all(u8::is_ascii_whitespace) => {
            Err(ScimError::invalid_syntax("the request body is empty"))
        }
        Err(e) => Err(ScimError::invalid_syntax(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

fn list_params(req: &Request) -> ScimResult<ListParams> {
    ListParams::from_pairs(
        req.query
            .iter()
            .map(|(k, v)| (k.as_str(), Value::from(v.as_str()))),
    )
}

fn query_value<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `If-Match` (RFC 7644 §3.14): a mismatch is 412.
fn check_if_match(req: &Request, meta: &Meta) -> ScimResult<()> {
    match req.if_match {
        Some(h) if !etag_matches(h, meta) => Err(ScimError::new(
            412,
            None,
            format!("the resource has changed (its version is {})", meta.etag()),
        )),
        _ => Ok(()),
    }
}

fn etag_matches(header: &str, meta: &Meta) -> bool {
    let ours = meta.etag();
    let strip = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    header
        .split(',')
        .any(|t| t.trim() == "*" || strip(t) == strip(&ours))
}

fn not_found(kind: &str, id: &str) -> ScimError {
    ScimError::not_found(format!("{kind} {id} not found"))
}

/// Writes an audit event for a change made through the API.
fn audit(
    conn: &Connection,
    req: &Request,
    action: &str,
    kind: &str,
    id: &str,
    name: &str,
    detail: Option<Value>,
) -> ScimResult<()> {
    events::record(
        conn,
        &Event {
            seq: 0,
            at: time::now_ms(),
            action: action.to_string(),
            resource_type: Some(kind.to_string()),
            resource_id: Some(id.to_string()),
            resource_name: Some(name.to_string()),
            detail,
            user_agent: req.actor.user_agent.clone(),
            token_fingerprint: req.actor.token_fingerprint.clone(),
        },
    )?;
    Ok(())
}

/// The SCIM representation of a stored resource as the API returns it (for the admin CLI,
/// which has no request to take a base URL from).
pub fn representation(
    conn: &Connection,
    rt: &'static crate::scim::schema::ResourceType,
    s: &crate::store::Stored,
    base: &str,
) -> ScimResult<Value> {
    resources::represent(
        conn,
        rt,
        s,
        &crate::scim::resource::Projection::default(),
        base,
    )
}
