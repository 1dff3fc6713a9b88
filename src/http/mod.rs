//! The HTTP server: tiny_http with a pool of workers, each with its own SQLite connection.
//! The only code that uses tiny_http.

mod request;
mod tracking;

pub use request::{base_url, bearer, parse_query, percent_decode};

use crate::api::{self, Actor, Method};
use crate::scim::discovery::MAX_PAYLOAD;
use crate::scim::error::ScimError;
use crate::scim::time;
use crate::store::{self, events, tokens, OpenMode};
use crate::token;
use anyhow::{anyhow, Context};
use serde_json::Value;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tracking::{Seen, Tracker};

pub const BASE_PATH: &str = "/scim/v2";

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub db: PathBuf,
    pub listen: String,
    pub public_url: Option<String>,
    pub workers: usize,
    /// Events older than this are deleted; `None` keeps them forever.
    pub event_retention: Option<Duration>,
}

struct Shared {
    config: ServerConfig,
    listen: String,
    tracker: Tracker,
}

/// Runs the server until a fatal error; returns that error.
pub fn serve(config: ServerConfig) -> anyhow::Result<()> {
    let conn = store::open_database(&config.db, OpenMode::Create)?;
    if tokens::current(&conn)?.is_none() {
        eprintln!(
            "no SCIM token yet: every request will get 401 until you run `gorbit-scim --db {} token generate`",
            config.db.display()
        );
    }
    drop(conn);
    let server = tiny_http::Server::http(&config.listen)
        .map_err(|e| anyhow!("cannot listen on {}: {e}", config.listen))?;
    let addr: SocketAddr = server
        .server_addr()
        .to_ip()
        .context("the server is not listening on an IP address")?;
    eprintln!("listening on http://{addr}{BASE_PATH}");
    let server = Arc::new(server);
    let shared = Arc::new(Shared {
        listen: addr.to_string(),
        tracker: Tracker::default(),
        config,
    });
    let (fatal_tx, fatal_rx) = mpsc::channel::<anyhow::Error>();
    for n in 0..shared.config.workers.max(1) {
        let (server, shared, fatal) = (server.clone(), shared.clone(), fatal_tx.clone());
        std::thread::Builder::new()
            .name(format!("worker-{n}"))
            .spawn(move || {
                if let Err(e) = worker(&server, &shared) {
                    let _ = fatal.send(e);
                }
            })?;
    }
    {
        let (shared, fatal) = (shared.clone(), fatal_tx.clone());
        std::thread::Builder::new()
            .name("housekeeping".into())
            .spawn(move || {
                if let Err(e) = housekeeping(&shared) {
                    let _ = fatal.send(e);
                }
            })?;
    }
    drop(fatal_tx);
    // A worker that cannot accept ends the process: a supervisor restarts it, rather than
    // leaving a live process that serves nothing.
    match fatal_rx.recv() {
        Ok(e) => Err(e),
        Err(_) => Err(anyhow!("all server threads stopped")),
    }
}

fn housekeeping(shared: &Shared) -> anyhow::Result<()> {
    let mut conn = store::open_database(&shared.config.db, OpenMode::Create)?;
    let mut last_prune: Option<Instant> = None;
    loop {
        std::thread::sleep(Duration::from_secs(1));
        if let Err(e) = shared.tracker.flush(&mut conn) {
            eprintln!("could not record connection statistics: {e}");
        }
        if let Some(keep) = shared.config.event_retention {
            if last_prune.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                let cutoff = time::now_ms() - keep.as_millis() as i64;
                match store::write(&mut conn, |tx| events::prune(tx, cutoff)) {
                    Ok(n) if n > 0 => eprintln!("event retention: deleted {n} old events"),
                    Ok(_) => {}
                    Err(e) => eprintln!("event retention failed: {e}"),
                }
                last_prune = Some(Instant::now());
            }
        }
    }
}

fn worker(server: &tiny_http::Server, shared: &Shared) -> anyhow::Result<()> {
    let mut conn = store::open_database(&shared.config.db, OpenMode::Create)?;
    loop {
        let request = server.recv().context("accepting a connection failed")?;
        let started = Instant::now();
        let method = request.method().to_string();
        let url = request.url().to_string();
        let path = url.split('?').next().unwrap_or_default().to_string();
        let ua = header(&request, "User-Agent");
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            respond_to(&mut conn, shared, request, &method, &url)
        }));
        let status = match reply {
            Ok(Ok(status)) => status.to_string(),
            Ok(Err(e)) => format!("- (reply failed: {e})"),
            Err(_) => {
                // The request was consumed by the panicking handler; the client sees the
                // connection close. The worker and its connection live on.
                "- (handler panicked)".to_string()
            }
        };
        eprintln!(
            "{} {method} {path} {status} {}ms \"{}\"",
            time::format_ms(time::now_ms()),
            started.elapsed().as_millis(),
            ua.as_deref().unwrap_or("-").replace('"', "'")
        );
    }
}

fn header(r: &tiny_http::Request, name: &'static str) -> Option<String> {
    r.headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str().to_string())
}

/// Answers one request and returns the status sent.
fn respond_to(
    conn: &mut rusqlite::Connection,
    shared: &Shared,
    mut request: tiny_http::Request,
    method: &str,
    url: &str,
) -> std::io::Result<u16> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if path == "/healthz" {
        let (status, body) = match store::health_check(conn) {
            Ok(()) => (200, "ok\n"),
            Err(_) => (503, "database unavailable\n"),
        };
        request.respond(tiny_http::Response::from_string(body).with_status_code(status))?;
        return Ok(status);
    }
    let Some(rest) = path
        .strip_prefix(BASE_PATH)
        .filter(|r| r.is_empty() || r.starts_with('/'))
    else {
        return send(
            request,
            &api::Response::error(&ScimError::not_found(format!(
                "no such endpoint: {path}; the SCIM API is at {BASE_PATH}"
            ))),
        );
    };

    // Every request reads the current token, so a rotation or revocation applies at once.
    let current = match tokens::current(conn) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("reading the token failed: {e}");
            return send(
                request,
                &api::Response::error(&ScimError::new(503, None, "the database is unavailable")),
            );
        }
    };
    let auth = header(&request, "Authorization");
    let presented = bearer(auth.as_deref());
    let ua = header(&request, "User-Agent");
    let token = match (&current, presented) {
        (Some(t), Some(p)) if token::verify(p, &t.hash) => t,
        _ => {
            let detail = match (&current, presented) {
                (None, _) => "no SCIM token has been generated on this server",
                (_, None) => "a bearer token is required: Authorization: Bearer <token>",
                _ => "the bearer token is not valid (it may have been rotated or revoked)",
            };
            let status = send_unauthorized(request, detail)?;
            if let Some(t) = &current {
                let seen = Seen {
                    token_id: t.id,
                    authenticated: false,
                    at: time::now_ms(),
                    user_agent: ua.as_deref(),
                    status,
                    detail: Some(detail),
                    routine_not_found: false,
                };
                let _ = shared.tracker.record(conn, seen, false);
            }
            return Ok(status);
        }
    };

    if request.body_length().is_some_and(|n| n > MAX_PAYLOAD) {
        return send(request, &too_large());
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_PAYLOAD as u64 + 1)
        .read_to_end(&mut body)?;
    if body.len() > MAX_PAYLOAD {
        return send(request, &too_large());
    }

    let base = base_url(
        shared.config.public_url.as_deref(),
        header(&request, "X-Forwarded-Proto").as_deref(),
        header(&request, "Host").as_deref(),
        &shared.listen,
    );
    let actor = Actor {
        user_agent: ua.clone(),
        token_fingerprint: Some(token.fingerprint.clone()),
    };
    let if_match = header(&request, "If-Match");
    let if_none_match = header(&request, "If-None-Match");
    let api_request = api::Request {
        method: Method::parse(method),
        path: if rest.is_empty() { "/" } else { rest },
        query: parse_query(query),
        body: &body,
        base_url: &base,
        if_match: if_match.as_deref(),
        if_none_match: if_none_match.as_deref(),
        actor: &actor,
    };
    // A bug in a handler answers 500 and leaves this worker serving; its transaction, if
    // any, rolled back as the stack unwound.
    let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        api::handle(conn, &api_request)
    }))
    .unwrap_or_else(|_| {
        api::Response::error(&ScimError::internal(
            "internal error: the request handler failed",
        ))
    });
    let detail = response
        .body
        .as_ref()
        .and_then(|b| b.get("detail"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let seen = Seen {
        token_id: token.id,
        authenticated: true,
        at: time::now_ms(),
        user_agent: ua.as_deref(),
        status: response.status,
        detail: detail.as_deref(),
        routine_not_found: response.status == 404 && is_resource_path(rest),
    };
    if let Err(e) = shared
        .tracker
        .record(conn, seen, token.first_used.is_none())
    {
        eprintln!("could not record connection statistics: {e}");
    }
    send(request, &response)
}

/// `/Users/{id}` or `/Groups/{id}`: where a 404 only says the resource is gone.
fn is_resource_path(rest: &str) -> bool {
    let mut parts = rest.trim_matches('/').split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(kind), Some(id), None)
            if (kind.eq_ignore_ascii_case("users") || kind.eq_ignore_ascii_case("groups")) && !id.is_empty()
    )
}

fn too_large() -> api::Response {
    api::Response::error(&ScimError::new(
        413,
        None,
        format!("the request body is larger than {MAX_PAYLOAD} bytes"),
    ))
}

fn scim_header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
        .or_else(|_| {
            // Only a Location built from a client's odd Host header can get here.
            let ascii: String = value.chars().filter(|c| c.is_ascii_graphic()).collect();
            tiny_http::Header::from_bytes(name.as_bytes(), ascii.as_bytes())
        })
        .expect("printable ASCII is a valid header value")
}

fn send(request: tiny_http::Request, r: &api::Response) -> std::io::Result<u16> {
    let body = r
        .body
        .as_ref()
        .map(|b| b.to_string().into_bytes())
        .unwrap_or_default();
    let mut resp = tiny_http::Response::from_data(body).with_status_code(r.status);
    if r.body.is_some() {
        resp.add_header(scim_header("Content-Type", "application/scim+json"));
    }
    if let Some(l) = &r.location {
        resp.add_header(scim_header("Location", l));
    }
    if let Some(e) = &r.etag {
        resp.add_header(scim_header("ETag", e));
    }
    request.respond(resp)?;
    Ok(r.status)
}

fn send_unauthorized(request: tiny_http::Request, detail: &str) -> std::io::Result<u16> {
    let body = ScimError::new(401, None, detail).to_json().to_string();
    let resp = tiny_http::Response::from_data(body.into_bytes())
        .with_status_code(401)
        .with_header(scim_header("Content-Type", "application/scim+json"))
        .with_header(scim_header(
            "WWW-Authenticate",
            "Bearer realm=\"gorbit-scim\"",
        ));
    request.respond(resp)?;
    Ok(401)
}
