//! Hostile and malformed input: the server answers every request with a SCIM status below 500,
//! and keeps serving. Bounded, deterministic pseudo-random cases (no timing assertions).
mod common;
use common::*;
use serde_json::json;

/// xorshift: deterministic, no crate needed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn text(&mut self, parts: &[&str], n: usize) -> String {
        (0..n)
            .map(|_| self.pick(parts))
            .collect::<Vec<_>>()
            .join("")
    }
}

const PIECES: &[&str] = &[
    "userName",
    "emails",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "\\\"",
    " eq ",
    " co ",
    " and ",
    " or ",
    "not",
    " pr",
    ".",
    ":",
    "urn:",
    "value",
    "type",
    "\"x\"",
    "true",
    "null",
    "1e309",
    "é",
    "€",
    "😀",
    "%",
    "%zz",
    "+",
    "members",
    "$ref",
    " ",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
];

fn assert_sane(r: &Resp, what: &str) {
    assert!(r.status < 500, "{what}: {} {}", r.status, r.body);
    if r.status >= 400 {
        r.assert_error(r.status, None);
    }
}

#[test]
fn random_filters_paths_and_bodies_never_fail_the_server() {
    let s = Server::start();
    let uid = s.create_user("fuzz@x.org");
    let gid = s.create_group("fuzz");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..300 {
        let n = 1 + (rng.next() % 12) as usize;
        let text = rng.text(PIECES, n);
        let r = s.get(&format!(
            "/Users?filter={}&sortBy={}&attributes={}",
            enc(&text),
            enc(&text),
            enc(&text)
        ));
        assert_sane(&r, &format!("filter {text:?}"));
        let r = s.patch(&format!("/Users/{uid}"), json!({"Operations": [{"op": rng.pick(&["add", "Replace", "remove"]), "path": text, "value": rng.pick(&["x", "True", "[]"])}]}));
        assert_sane(&r, &format!("patch path {text:?}"));
        let r = s.patch(
            &format!("/Groups/{gid}"),
            json!({"Operations": [{"op": "remove", "path": text}]}),
        );
        assert_sane(&r, &format!("group patch path {text:?}"));
        let mut body = serde_json::Map::new();
        body.insert("userName".into(), json!(format!("fuzz-{i}")));
        body.insert(text.clone(), json!(text));
        assert_sane(
            &s.post("/Users", serde_json::Value::Object(body)),
            &format!("key {text:?}"),
        );
        let raw = rng.text(
            &[
                "{", "}", "[", "]", "\"", ":", ",", "1", "null", "é", "\\u0000",
            ],
            n,
        );
        let r = http(
            &s.addr,
            "POST",
            "/scim/v2/Groups",
            &[("Authorization", s.auth().as_str())],
            Some(raw.as_bytes()),
        );
        assert_sane(&r, &format!("body {raw:?}"));
        let path = format!("/scim/v2/Users/{}", enc(&text));
        assert_sane(
            &http(
                &s.addr,
                "GET",
                &path,
                &[("Authorization", s.auth().as_str())],
                None,
            ),
            &format!("path {text:?}"),
        );
    }
    assert_eq!(s.get(&format!("/Users/{uid}")).status, 200, "still serving");
}

#[test]
fn odd_but_valid_input_is_accepted() {
    let s = Server::start();
    // Multibyte keys and values, and a key that only starts like a URN.
    let r = s.post(
        "/Users",
        json!({"userName": "ünïcødé@例え.jp", "ürn:x": 1, "abcé": 2, "displayName": "Zoë 😀"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["displayName"], "Zoë 😀");
    let f = enc(r#"userName eq "ÜNÏCØDÉ@例え.JP""#);
    assert_eq!(
        s.get(&format!("/Users?filter={f}")).json()["totalResults"],
        1
    );
    // %20 as well as + for spaces.
    let r = s.get(
        "/Users?filter=userName%20eq%20%22%C3%BCn%C3%AFc%C3%B8d%C3%A9%40%E4%BE%8B%E3%81%88.jp%22",
    );
    assert_eq!(r.json()["totalResults"], 1, "{}", r.body);
}
