//! Test fixture: the real binary on a temp database and an ephemeral loopback port, and a
//! minimal HTTP/1.1 client on std's TcpStream.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_gorbit-scim");

/// A folder removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let p = std::env::temp_dir().join(format!(
            "gorbit-scim-test-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary with `--db` set and a clean environment for the database location.
pub fn cli(db: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("GORBIT_SCIM_DB").arg("--db").arg(db);
    c
}

pub fn run(db: &Path, args: &[&str]) -> Output {
    cli(db).args(args).output().expect("run gorbit-scim")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn generate_token(db: &Path) -> String {
    let o = run(db, &["token", "generate"]);
    assert!(o.status.success(), "token generate: {}", stderr(&o));
    stdout(&o).trim().to_string()
}

pub struct Server {
    child: Child,
    pub dir: TempDir,
    pub db: PathBuf,
    pub addr: String,
    pub token: String,
    pub log: Arc<Mutex<String>>,
}

impl Server {
    /// A server with a fresh database and token.
    pub fn start() -> Server {
        let dir = TempDir::new();
        let db = dir.path().join("scim.db");
        let token = generate_token(&db);
        Self::start_on(dir, db, token, &[])
    }

    pub fn start_on(dir: TempDir, db: PathBuf, token: String, extra: &[&str]) -> Server {
        let mut child = cli(&db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let mut reader = BufReader::new(child.stderr.take().unwrap());
        let log = Arc::new(Mutex::new(String::new()));
        let mut addr = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            log.lock().unwrap().push_str(&line);
            if let Some(rest) = line.trim().strip_prefix("listening on http://") {
                addr = rest.trim_end_matches("/scim/v2").to_string();
                break;
            }
            line.clear();
        }
        assert!(
            !addr.is_empty(),
            "server did not start: {}",
            log.lock().unwrap()
        );
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        Server {
            child,
            dir,
            db,
            addr,
            token,
            log,
        }
    }

    /// Kills the server with SIGKILL (no chance to flush anything), keeping its folder.
    pub fn kill(mut self) -> (TempDir, PathBuf) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, TempDir::new());
        (dir, self.db.clone())
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// A request below /scim/v2 with the bearer token.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let auth = self.auth();
        let body = body.map(|b| b.to_string());
        http(
            &self.addr,
            method,
            &format!("/scim/v2{path}"),
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/scim+json"),
            ],
            body.as_deref().map(str::as_bytes),
        )
    }

    pub fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None)
    }
    pub fn post(&self, path: &str, body: Value) -> Resp {
        self.call("POST", path, Some(&body))
    }
    pub fn put(&self, path: &str, body: Value) -> Resp {
        self.call("PUT", path, Some(&body))
    }
    pub fn patch(&self, path: &str, body: Value) -> Resp {
        self.call("PATCH", path, Some(&body))
    }
    pub fn delete(&self, path: &str) -> Resp {
        self.call("DELETE", path, None)
    }

    /// POST /Users with a minimal body; returns the id.
    pub fn create_user(&self, user_name: &str) -> String {
        let r = self.post("/Users", serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": true}));
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["id"].as_str().unwrap().to_string()
    }

    pub fn create_group(&self, name: &str) -> String {
        let r = self.post("/Groups", serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "members": []}));
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["id"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// Asserts a SCIM error body with this status (and scimType, if given).
    pub fn assert_error(&self, status: u16, scim_type: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(self
            .header("Content-Type")
            .unwrap_or_default()
            .starts_with("application/scim+json"));
        let j = self.json();
        assert_eq!(
            j["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(j["status"], Value::from(status.to_string()));
        assert!(!j["detail"].as_str().unwrap_or_default().is_empty());
        if let Some(t) = scim_type {
            assert_eq!(j["scimType"], t, "{}", self.body);
        }
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub fn http(
    addr: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or_default();
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Resp {
        status,
        headers,
        body: body.to_string(),
    }
}

/// URL-encodes a query value the way Entra does (spaces as `+`).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Polls until `f` holds or a generous deadline passes (for effects flushed in the background).
pub fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
