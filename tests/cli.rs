//! The admin CLI through the real binary: token, status, users, groups, events, backup, paths.
mod common;
use common::*;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn token_generate_prints_once_and_files_are_private() {
    let dir = TempDir::new();
    let db = dir.path().join("nested/folder/scim.db");
    let o = run(&db, &["token", "generate"]);
    assert!(o.status.success());
    let token = stdout(&o);
    assert!(token.starts_with("gorbit_scim_") && token.trim().lines().count() == 1);
    assert!(stderr(&o).contains("shown once"));
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&dir.path().join("nested/folder")), 0o700);
    // The database stores no token, only its hash.
    let raw = std::fs::read(&db).unwrap();
    let wal = std::fs::read(dir.path().join("nested/folder/scim.db-wal")).unwrap_or_default();
    let needle = token.trim().as_bytes();
    assert!(
        !raw.windows(needle.len()).any(|w| w == needle)
            && !wal.windows(needle.len()).any(|w| w == needle)
    );

    let out = dir.path().join("token.txt");
    let o = run(&db, &["token", "generate", "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(stdout(&o).is_empty(), "--out keeps the token off stdout");
    assert_eq!(mode(&out), 0o600);
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("gorbit_scim_"));

    let o = run(&db, &["token", "show", "--json"]);
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(j["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    assert!(!stdout(&o).contains("gorbit_scim_"));
    assert!(run(&db, &["token", "revoke"]).status.success());
    assert_eq!(code(&run(&db, &["token", "show"])), 4);
}

#[test]
fn status_exit_codes_follow_the_connection() {
    let dir = TempDir::new();
    let db = dir.path().join("s.db");
    assert_eq!(
        code(&run(&db, &["status"])),
        1,
        "missing database is an error"
    );
    assert!(stderr(&run(&db, &["status"])).contains(db.to_str().unwrap()));
    let token = generate_token(&db);
    assert_eq!(code(&run(&db, &["status", "-q"])), 3, "waiting");
    let mut s = Server::start_on(dir, db.clone(), token, &[]);
    assert_eq!(s.get("/Users").status, 200);
    let o = run(&db, &["status", "--json"]);
    assert_eq!(code(&o), 0, "connected: {}", stdout(&o));
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["state"], "connected");
    // A lookup of a gone user is routine; a wrong endpoint (a bad base URL) is an error.
    s.get("/Users/nope");
    s.get("/scim/v2/Users");
    assert!(eventually(|| {
        let j: Value = serde_json::from_str(&stdout(&run(&db, &["status", "--json"]))).unwrap();
        j["last_error"]["status"] == 404
            && j["requests"].as_i64() == Some(3)
            && j["errors"] == 1
            && j["last_error"]["detail"]
                .as_str()
                .unwrap()
                .contains("no such endpoint")
    }));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(
        code(&run(&db, &["status", "-q", "--max-idle", "1s"])),
        5,
        "stale"
    );
    s.token = generate_token(&db);
    assert_eq!(
        code(&run(&db, &["status", "-q"])),
        3,
        "waiting again after rotation"
    );
    assert_eq!(s.get("/Users").status, 200);
    assert_eq!(code(&run(&db, &["status", "-q"])), 0);
    run(&db, &["token", "revoke"]);
    assert_eq!(code(&run(&db, &["status", "-q"])), 4, "no token");
    assert_eq!(code(&run(&db, &["status", "--max-idle", "soon"])), 1);
    assert_eq!(
        code(
            &Command::new(BIN)
                .args(["status", "--bogus"])
                .output()
                .unwrap()
        ),
        2,
        "usage"
    );
}

#[test]
fn database_location_flag_env_and_default() {
    let dir = TempDir::new();
    let home = dir.path().join("home");
    let env_db = dir.path().join("env.db");
    let flag_db = dir.path().join("flag.db");
    let base = || {
        let mut c = Command::new(BIN);
        c.env("HOME", &home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env_remove("GORBIT_SCIM_DB");
        c
    };
    assert!(base()
        .args(["token", "generate"])
        .output()
        .unwrap()
        .status
        .success());
    assert!(home
        .join(".local/share/gorbit-scim/gorbit-scim.db")
        .exists());
    assert!(base()
        .env("GORBIT_SCIM_DB", &env_db)
        .args(["token", "generate"])
        .output()
        .unwrap()
        .status
        .success());
    assert!(env_db.exists());
    let o = base()
        .env("GORBIT_SCIM_DB", &env_db)
        .args(["--db", flag_db.to_str().unwrap(), "token", "generate"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(flag_db.exists(), "--db wins over the environment");
}

#[test]
fn foreign_and_newer_databases_are_refused_untouched() {
    let dir = TempDir::new();
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        b"this is not sqlite at all, just some text that is long enough....",
    )
    .unwrap();
    let before = std::fs::read(&junk).unwrap();
    let o = run(&junk, &["status"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("not a gorbit-scim database"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).trim().lines().count(), 1);
    assert_eq!(std::fs::read(&junk).unwrap(), before);

    let db = dir.path().join("new.db");
    generate_token(&db);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA user_version = 999").unwrap();
    drop(conn);
    let o = run(&db, &["status"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("newer gorbit-scim"), "{}", stderr(&o));
    let o = run(&db, &["token", "generate"]);
    assert_eq!(code(&o), 1);
}

#[test]
fn users_groups_and_events_through_the_cli() {
    let s = Server::start();
    let ua = "Okta SCIM Client 1.0.0";
    let post = |path: &str, body: Value| {
        http(
            &s.addr,
            "POST",
            &format!("/scim/v2{path}"),
            &[("Authorization", s.auth().as_str()), ("User-Agent", ua)],
            Some(body.to_string().as_bytes()),
        )
        .json()
    };
    let u = post(
        "/Users",
        json!({"userName": "ann@x.org", "displayName": "Ann", "emails": [{"value": "ann@x.org", "primary": true}]}),
    );
    post("/Users", json!({"userName": "bob@x.org", "active": false}));
    let g = post(
        "/Groups",
        json!({"displayName": "Admins", "members": [{"value": u["id"]}]}),
    );
    s.patch(
        &format!("/Users/{}", u["id"].as_str().unwrap()),
        json!({"Operations": [{"op": "replace", "path": "title", "value": "CTO"}]}),
    );
    s.patch(
        &format!("/Users/{}", u["id"].as_str().unwrap()),
        json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}),
    );
    s.delete(&format!("/Groups/{}", g["id"].as_str().unwrap()));

    let o = run(&s.db, &["users", "list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.starts_with("ID") && out.contains("ann@x.org") && out.contains("bob@x.org"));
    let o = run(
        &s.db,
        &["users", "list", "--filter", "userName sw \"b\"", "--json"],
    );
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["totalResults"], 1);
    let o = run(&s.db, &["users", "list", "--inactive", "--jsonl"]);
    assert_eq!(stdout(&o).lines().count(), 2);
    let o = run(&s.db, &["users", "show", "ANN@x.org", "--json"]);
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&o)).unwrap()["title"],
        "CTO"
    );
    let o = run(&s.db, &["users", "list", "--filter", "userName eq"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("invalid filter"));
    assert_eq!(code(&run(&s.db, &["users", "show", "nobody"])), 1);

    let o = run(&s.db, &["events", "--json", "--limit", "100"]);
    let events: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "token.generated",
        "user.created",
        "group.created",
        "group.members_added",
        "user.updated",
        "user.deactivated",
        "group.deleted",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let updated = events
        .iter()
        .find(|e| e["action"] == "user.updated")
        .unwrap();
    assert_eq!(updated["detail"]["changed"], json!(["title"]));
    let created = events
        .iter()
        .find(|e| e["action"] == "user.created")
        .unwrap();
    assert_eq!(created["client"], ua);
    assert!(created["token"].as_str().unwrap().starts_with("sha256:"));
    assert!(!stdout(&o).contains(&s.token));
}

#[test]
fn events_follow_sees_new_changes() {
    let s = Server::start();
    let mut child = cli(&s.db)
        .args(["events", "--follow", "--json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            sink.lock().unwrap().push_str(&l);
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(700));
    s.create_user("followed@x.org");
    let seen = eventually(|| lines.lock().unwrap().contains("followed@x.org"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen);
}

#[test]
fn backup_during_writes_restores_to_an_intact_copy() {
    let s = Server::start();
    let target = s.dir.path().join("backup.db");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..30 {
                s.create_user(&format!("bk{i}@x.org"));
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        let o = run(&s.db, &["backup", target.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    });
    assert_eq!(mode(&target), 0o600);
    let o = run(&target, &["users", "list", "--jsonl"]);
    assert!(o.status.success());
    let n = stdout(&o).lines().count();
    assert!(n <= 30);
    let conn = rusqlite::Connection::open(&target).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let o = run(&s.db, &["backup", target.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "never overwrites");
}

#[test]
fn completions_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let o = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(o.status.success());
        assert!(stdout(&o).contains("gorbit-scim"));
    }
}
