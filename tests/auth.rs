//! Bearer authentication, rotation while serving, and the HTTP edges (404, 413, /healthz).
mod common;
use common::*;

fn assert_401(r: &Resp) {
    r.assert_error(401, None);
    assert!(r
        .header("WWW-Authenticate")
        .unwrap_or_default()
        .starts_with("Bearer"));
}

#[test]
fn missing_malformed_and_wrong_tokens_get_401_with_scim_body() {
    let s = Server::start();
    let url = "/scim/v2/Users";
    assert_401(&http(&s.addr, "GET", url, &[], None));
    assert_401(&http(
        &s.addr,
        "GET",
        url,
        &[("Authorization", "non-token")],
        None,
    ));
    assert_401(&http(
        &s.addr,
        "GET",
        url,
        &[("Authorization", "Basic dXNlcjpwYXNz")],
        None,
    ));
    assert_401(&http(
        &s.addr,
        "GET",
        url,
        &[("Authorization", "Bearer gorbit_scim_wrong")],
        None,
    ));
    let lower = format!("bearer {}", s.token);
    assert_eq!(
        http(
            &s.addr,
            "GET",
            url,
            &[("Authorization", lower.as_str())],
            None
        )
        .status,
        200
    );
    // The token never reaches the log.
    assert!(!s.log().contains(&s.token));
}

#[test]
fn rotation_and_revocation_apply_on_the_next_request() {
    let mut s = Server::start();
    assert_eq!(s.get("/Users").status, 200);
    let old = s.token.clone();
    s.token = generate_token(&s.db);
    assert_eq!(
        s.get("/Users").status,
        200,
        "new token works without a restart"
    );
    let old_auth = format!("Bearer {old}");
    assert_401(&http(
        &s.addr,
        "GET",
        "/scim/v2/Users",
        &[("Authorization", old_auth.as_str())],
        None,
    ));
    let o = run(&s.db, &["token", "revoke"]);
    assert!(o.status.success());
    assert_401(&s.get("/Users"));
}

#[test]
fn unknown_paths_oversized_bodies_and_health() {
    let s = Server::start();
    s.get("/Nope").assert_error(404, None);
    let r = http(&s.addr, "GET", "/elsewhere", &[], None);
    r.assert_error(404, None);
    s.get("/Users/010101001010101011001010101011")
        .assert_error(404, None);

    let big = vec![b' '; 1024 * 1024 + 10];
    let auth = s.auth();
    let r = http(
        &s.addr,
        "POST",
        "/scim/v2/Users",
        &[("Authorization", auth.as_str())],
        Some(&big),
    );
    r.assert_error(413, None);

    // Bulk is held to the same maxPayloadSize it advertises.
    let r = http(
        &s.addr,
        "POST",
        "/scim/v2/Bulk",
        &[("Authorization", auth.as_str())],
        Some(&big),
    );
    r.assert_error(413, None);
    // While serving, the write-ahead log and shared memory files are private too.
    for ext in ["db-wal", "db-shm"] {
        let p = s.db.with_extension(ext);
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&p).unwrap().permissions())
                & 0o777;
        assert_eq!(mode, 0o600, "{ext}");
    }

    let r = http(&s.addr, "GET", "/healthz", &[], None);
    assert_eq!(r.status, 200);
    assert!(eventually(|| s.log().contains("GET /healthz 200")));
}

#[test]
fn access_log_has_no_query_values() {
    let s = Server::start();
    let r = s.get(&format!(
        "/Users?filter={}",
        enc(r#"userName eq "secret.person@example.com""#)
    ));
    assert_eq!(r.status, 200);
    assert!(eventually(|| s.log().contains("GET /scim/v2/Users 200")));
    assert!(!s.log().contains("secret.person"));
}

#[test]
fn serve_without_a_token_says_what_to_run() {
    let dir = TempDir::new();
    let db = dir.path().join("fresh.db");
    let s = Server::start_on(dir, db, String::new(), &[]);
    assert!(s.log().contains("token generate"), "{}", s.log());
    assert_401(&s.get("/Users"));
}
