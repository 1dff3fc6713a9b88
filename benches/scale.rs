//! Prints what the requests that must not grow with a tenant cost at 100,000 users and a group
//! of 100,000 members, next to the same request on a small tenant. Figures, not assertions:
//! run with `cargo bench --bench scale` (USERS=n to change the size).

#[path = "../tests/common/mod.rs"]
mod common;

use gorbit_scim::api::{self, Actor, Method, Request};
use gorbit_scim::scim::resource::Object;
use gorbit_scim::store::{self, groups, users, OpenMode};
use serde_json::json;
use std::time::Instant;

fn call(
    conn: &mut rusqlite::Connection,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: &str,
) -> u16 {
    let actor = Actor::default();
    let req = Request {
        method,
        path,
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes(),
        base_url: "http://bench/scim/v2",
        if_match: None,
        if_none_match: None,
        actor: &actor,
    };
    api::handle(conn, &req).status
}

/// Median time of `n` runs of `f`, in microseconds.
fn measure(n: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut times: Vec<f64> = (0..n)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[n / 2]
}

fn main() {
    let n: usize = std::env::var("USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = common::TempDir::new();
    let db = dir.path().join("bench.db");
    let mut conn = store::open_database(&db, OpenMode::Create).unwrap();

    let t = Instant::now();
    let (ids, big, small) = store::write(&mut conn, |tx| {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let data: Object = json!({"userName": format!("user{i}@example.com"), "active": true,
                "emails": [{"value": format!("user{i}@example.com"), "type": "work", "primary": true}],
                "name": {"givenName": "U", "familyName": format!("{i}")}}).as_object().unwrap().clone();
            ids.push(users::insert(tx, &data, 0)?.id);
        }
        let big = groups::insert(tx, json!({"displayName": "everyone"}).as_object().unwrap(), 0)?;
        let small = groups::insert(tx, json!({"displayName": "one"}).as_object().unwrap(), 0)?;
        let all: Vec<groups::ResolvedMember> = ids.iter().map(|id| (id.clone(), "User", None)).collect();
        groups::add_members(tx, big.seq, &all)?;
        groups::add_members(tx, small.seq, &all[..1])?;
        Ok::<_, store::StoreError>((ids, big.id, small.id))
    })
    .unwrap();
    println!(
        "setup: {n} users, group of {n} members, in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let target = &ids[n / 2];
    let by_id = measure(2000, |i| {
        assert_eq!(
            call(
                &mut conn,
                Method::Get,
                &format!("/Users/{}", ids[(i * 7919) % n]),
                &[],
                ""
            ),
            200
        );
    });
    let filter = format!("userName eq \"USER{}@example.com\"", n / 2);
    let by_filter = measure(2000, |_| {
        assert_eq!(
            call(&mut conn, Method::Get, "/Users", &[("filter", &filter)], ""),
            200
        );
    });
    let by_email = measure(2000, |_| {
        let f = format!(
            "emails[type eq \"work\"].value eq \"user{}@example.com\"",
            n / 2
        );
        assert_eq!(
            call(&mut conn, Method::Get, "/Users", &[("filter", &f)], ""),
            200
        );
    });
    println!("GET /Users/{{id}}                          {by_id:>9.1} µs");
    println!(
        "GET /Users?filter=userName eq              {by_filter:>9.1} µs  ({:.2}x by id)",
        by_filter / by_id
    );
    println!(
        "GET /Users?filter=emails[type eq].value eq {by_email:>9.1} µs  ({:.2}x by id)",
        by_email / by_id
    );

    let patch = |conn: &mut rusqlite::Connection, gid: &str, i: usize| {
        let op = if i % 2 == 0 { "Remove" } else { "Add" };
        let body =
            json!({"Operations": [{"op": op, "path": "members", "value": [{"value": target}]}]})
                .to_string();
        assert_eq!(
            call(conn, Method::Patch, &format!("/Groups/{gid}"), &[], &body),
            204
        );
    };
    let small_patch = measure(400, |i| patch(&mut conn, &small, i + 1));
    let big_patch = measure(400, |i| patch(&mut conn, &big, i));
    println!("PATCH one member, group of 1               {small_patch:>9.1} µs");
    println!(
        "PATCH one member, group of {n:<6}          {big_patch:>9.1} µs  ({:.2}x)",
        big_patch / small_patch
    );

    let get = |conn: &mut rusqlite::Connection, gid: &str| {
        assert_eq!(
            call(
                conn,
                Method::Get,
                &format!("/Groups/{gid}"),
                &[("excludedAttributes", "members")],
                ""
            ),
            200
        );
    };
    let small_get = measure(2000, |_| get(&mut conn, &small));
    let big_get = measure(2000, |_| get(&mut conn, &big));
    println!("GET group excludedAttributes=members, 1    {small_get:>9.1} µs");
    println!(
        "GET group excludedAttributes=members, {n:<6}{big_get:>9.1} µs  ({:.2}x)",
        big_get / small_get
    );

    // The same requests end to end: the real binary over loopback HTTP, one connection each.
    let secret = gorbit_scim::token::generate();
    let hash = gorbit_scim::token::hash(&secret);
    store::write(&mut conn, |tx| {
        store::tokens::install(tx, &hash, &gorbit_scim::token::fingerprint(&hash), 0)
    })
    .unwrap();
    drop(conn);
    let server = common::Server::start_on(dir, db, secret, &[]);
    println!("\nthrough HTTP (real binary, loopback):");
    let http_by_id = measure(1000, |i| {
        assert_eq!(
            server
                .get(&format!("/Users/{}", ids[(i * 7919) % n]))
                .status,
            200
        );
    });
    let http_filter = measure(1000, |_| {
        assert_eq!(
            server
                .get(&format!("/Users?filter={}", common::enc(&filter)))
                .status,
            200
        );
    });
    println!("GET /Users/{{id}}                          {http_by_id:>9.1} µs");
    println!(
        "GET /Users?filter=userName eq              {http_filter:>9.1} µs  ({:.2}x by id)",
        http_filter / http_by_id
    );
    let http_patch = |gid: &str, i: usize| {
        let op = if i % 2 == 0 { "Remove" } else { "Add" };
        let r = server.patch(
            &format!("/Groups/{gid}"),
            json!({"Operations": [{"op": op, "path": "members", "value": [{"value": target}]}]}),
        );
        assert_eq!(r.status, 204);
    };
    let small_patch = measure(300, |i| http_patch(&small, i + 1));
    let big_patch = measure(300, |i| http_patch(&big, i));
    println!("PATCH one member, group of 1               {small_patch:>9.1} µs");
    println!(
        "PATCH one member, group of {n:<6}          {big_patch:>9.1} µs  ({:.2}x)",
        big_patch / small_patch
    );
    let small_get = measure(1000, |_| {
        assert_eq!(
            server
                .get(&format!("/Groups/{small}?excludedAttributes=members"))
                .status,
            200
        )
    });
    let big_get = measure(1000, |_| {
        assert_eq!(
            server
                .get(&format!("/Groups/{big}?excludedAttributes=members"))
                .status,
            200
        )
    });
    println!("GET group excludedAttributes=members, 1    {small_get:>9.1} µs");
    println!(
        "GET group excludedAttributes=members, {n:<6}{big_get:>9.1} µs  ({:.2}x)",
        big_get / small_get
    );
}
