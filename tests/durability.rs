//! Acknowledged writes survive a killed process; races end in exactly one winner; start-up
//! failures are one line and a non-zero exit.
mod common;
use common::*;
use serde_json::json;

#[test]
fn acknowledged_writes_survive_a_killed_server() {
    let s = Server::start();
    let ids: Vec<String> = (0..20)
        .map(|i| s.create_user(&format!("durable{i}@x.org")))
        .collect();
    let gid = s.create_group("durable");
    let r = s.patch(&format!("/Groups/{gid}"), json!({"Operations": [{"op": "add", "path": "members", "value": ids.iter().map(|id| json!({"value": id})).collect::<Vec<_>>()}]}));
    assert_eq!(r.status, 204);
    let (dir, db) = s.kill();
    let o = run(&db, &["users", "list", "--jsonl"]);
    assert_eq!(stdout(&o).lines().count(), 20, "{}", stderr(&o));
    let o = run(&db, &["groups", "show", "durable", "--json"]);
    let g: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(g["members"].as_array().unwrap().len(), 20);
    drop(dir);
}

#[test]
fn racing_creates_of_one_user_name_have_one_winner() {
    let s = Server::start();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    s.post(
                        "/Users",
                        json!({"userName": if i % 2 == 0 { "race@x.org" } else { "RACE@x.org" }}),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
}

#[test]
fn a_taken_port_is_a_one_line_start_up_error() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let dir = TempDir::new();
    let db = dir.path().join("p.db");
    let o = run(&db, &["serve", "--listen", &addr]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.lines().last().unwrap().contains(&addr), "{err}");
    let o = run(&db, &["serve", "--public-url", "gorbit.example.com"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--public-url"));
}
