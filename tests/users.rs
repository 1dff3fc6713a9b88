//! /Users as Okta and Entra ID really use it, replayed step by step through the real binary.
mod common;
use common::*;
use serde_json::{json, Value};

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[test]
fn okta_provisioning_lifecycle() {
    let s = Server::start();
    // Existence check, with an upper-cased userName: must not match anything yet.
    let q = format!(
        "/Users?filter={}&startIndex=1&count=100",
        enc(r#"userName eq "Isaac.Brock@example.com""#)
    );
    let r = s.get(&q);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["totalResults"], 0);

    let create = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "isaac.brock@example.com",
        "name": {"givenName": "Isaac", "familyName": "Brock"},
        "emails": [{"primary": true, "value": "isaac.brock@example.com", "type": "work"}],
        "displayName": "Isaac Brock", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [], "password": "1mz050nq", "active": true
    });
    let r = http(
        &s.addr,
        "POST",
        "/scim/v2/Users",
        &[
            ("Authorization", s.auth().as_str()),
            ("Content-Type", "application/json"),
            ("User-Agent", "Okta SCIM Client 1.0.0"),
        ],
        Some(create.to_string().as_bytes()),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let u = r.json();
    let id = u["id"].as_str().unwrap().to_string();
    assert_eq!(r.header("Location"), u["meta"]["location"].as_str());
    assert!(u["meta"]["location"]
        .as_str()
        .unwrap()
        .starts_with("http://"));
    assert!(u.get("password").is_none());
    assert_eq!(u["meta"]["resourceType"], "User");
    assert!(r.header("ETag").is_some());

    // The same check, upper-cased, now finds it; a duplicate create is 409 uniqueness.
    let r = s.get(&format!(
        "/Users?filter={}&startIndex=1&count=100",
        enc(r#"userName eq "ISAAC.BROCK@EXAMPLE.COM""#)
    ));
    assert_eq!(r.json()["totalResults"], 1);
    assert_eq!(r.json()["itemsPerPage"], 1);
    s.post("/Users", create.clone())
        .assert_error(409, Some("uniqueness"));

    // Profile update: GET, then PUT the whole user back with id, meta and groups.
    let mut full = s.get(&format!("/Users/{id}")).json();
    full["name"]["givenName"] = json!("Ike");
    full["groups"] = json!([]);
    full.as_object_mut().unwrap().remove("active");
    let r = s.put(&format!("/Users/{id}"), full);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["name"]["givenName"], "Ike");
    assert_eq!(
        r.json()["active"],
        true,
        "a PUT without active must not change it"
    );

    // Password sync, then deactivation the two ways Okta sends it.
    let r = s.patch(&format!("/Users/{id}"), json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"password": "newpass"}}]}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json().get("password").is_none());
    let r = s.patch(&format!("/Users/{id}"), json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}));
    assert_eq!(r.json()["active"], false);
    // Deactivated users are still found by GET and by filters.
    assert_eq!(s.get(&format!("/Users/{id}")).status, 200);
    let r = s.get(&format!(
        "/Users?filter={}",
        enc(r#"userName eq "isaac.brock@example.com""#)
    ));
    assert_eq!(r.json()["totalResults"], 1);
    // A PUT without active keeps it deactivated.
    let mut again = s.get(&format!("/Users/{id}")).json();
    again.as_object_mut().unwrap().remove("active");
    assert_eq!(
        s.put(&format!("/Users/{id}"), again).json()["active"],
        false
    );
}

#[test]
fn entra_provisioning_lifecycle() {
    let s = Server::start();
    // Test Connection: a random userName must give an empty 200 list.
    let r = s.get(&format!(
        "/Users?filter={}",
        enc(r#"userName eq "7a5e0c5e-4b8d-4b0b-9d0e-0d4a7d7b6c1e""#)
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["Resources"], json!([]));
    let r = s.get(&format!(
        "/Groups?excludedAttributes=members&filter={}",
        enc(r#"displayName eq "nobody""#)
    ));
    assert_eq!(r.json()["totalResults"], 0);

    let create = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com",
        "active": true, "displayName": "Test User", "title": "Engineer", "preferredLanguage": "en-US",
        "nickName": "tu", "locale": "en-US", "timezone": "Europe/Paris", "userType": "Member",
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
        "phoneNumbers": [{"type": "mobile", "value": "+1 (555) 010-0199 ext. 7"}],
        "addresses": [{"type": "work", "streetAddress": "1 Main St", "locality": "Springfield", "postalCode": "12345", "country": "US", "primary": true}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        ENT: {"employeeNumber": "E1", "department": "R&D", "costCenter": "C1", "organization": "O", "division": "D", "manager": "boss-id"}
    });
    let r = s.post("/Users?aadOptscim062020", create.clone());
    assert_eq!(r.status, 201, "{}", r.body);
    let u = r.json();
    let id = u["id"].as_str().unwrap().to_string();
    for key in [
        "title",
        "preferredLanguage",
        "nickName",
        "locale",
        "timezone",
        "userType",
        "addresses",
        "emails",
        "name",
        "externalId",
    ] {
        assert_eq!(u[key], create[key], "{key}");
    }
    assert_eq!(
        u["phoneNumbers"][0]["value"], "+1 (555) 010-0199 ext. 7",
        "phone numbers round-trip byte for byte"
    );
    assert_eq!(u[ENT]["manager"], json!({"value": "boss-id"}));
    assert_eq!(u[ENT]["department"], "R&D");

    // Match before create, by externalId and by the work email value path.
    let r = s.get(&format!(
        "/Users?filter={}",
        enc(r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#)
    ));
    assert_eq!(r.json()["totalResults"], 1);
    let r = s.get(&format!(
        "/Users?filter={}",
        enc(r#"emails[type eq "work"].value eq "test_user_fd0ea19b@testuser.com""#)
    ));
    assert_eq!(r.json()["totalResults"], 1, "{}", r.body);

    // Default-mode PATCH: capitalised ops, string booleans, typed paths, enterprise URNs.
    let ops = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Replace", "path": "displayName", "value": "New Name"},
        {"op": "Replace", "path": "name.givenName", "value": "Given"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "work2@testuser.com"},
        {"op": "Add", "path": "emails[type eq \"other\"].Value", "value": "other@testuser.com"},
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+33 1 23 45 67 89"},
        {"op": "Replace", "path": "addresses[type eq \"work\"].postalCode", "value": "54321"},
        {"op": "Replace", "path": format!("{ENT}:employeeNumber"), "value": "E2"},
        {"op": "Replace", "path": format!("{ENT}:manager"), "value": "boss-2"},
        {"op": "Replace", "path": "active", "value": "False"}
    ]});
    let r = s.patch(&format!("/Users/{id}"), ops);
    assert_eq!(r.status, 200, "{}", r.body);
    let u = r.json();
    assert_eq!(u["displayName"], "New Name");
    assert_eq!(u["name"]["givenName"], "Given");
    assert_eq!(u["name"]["familyName"], "familyName");
    assert_eq!(
        u["emails"],
        json!([
            {"primary": true, "type": "work", "value": "work2@testuser.com"},
            {"type": "other", "value": "other@testuser.com"}
        ])
    );
    assert_eq!(
        u["phoneNumbers"],
        json!([{"type": "mobile", "value": "+33 1 23 45 67 89"}])
    );
    assert_eq!(u["addresses"][0]["postalCode"], "54321");
    assert_eq!(u["addresses"][0]["streetAddress"], "1 Main St");
    assert_eq!(u[ENT]["employeeNumber"], "E2");
    assert_eq!(u[ENT]["manager"], json!({"value": "boss-2"}));
    assert_eq!(u["active"], false);

    // Flag mode: one path-less replace with dotted and URN keys.
    let r = s.patch(&format!("/Users/{id}"), json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "replace", "value": {"displayName": "x", "name.givenName": "y", format!("{ENT}:employeeNumber"): "z", "active": true}}
    ]}));
    let u = r.json();
    assert_eq!(
        (
            u["displayName"].as_str(),
            u["name"]["givenName"].as_str(),
            u[ENT]["employeeNumber"].as_str()
        ),
        (Some("x"), Some("y"), Some("z"))
    );
    assert_eq!(u["active"], true);

    // Soft-delete rename with a 32-hex prefix, then hard delete.
    let renamed = format!(
        "0123456789abcdef0123456789abcdef{}",
        "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com"
    );
    let r = s.patch(
        &format!("/Users/{id}"),
        json!({"Operations": [{"op": "Replace", "path": "userName", "value": renamed}]}),
    );
    assert_eq!(r.json()["userName"], Value::from(renamed));
    assert_eq!(s.delete(&format!("/Users/{id}")).status, 204);
    for r in [
        s.get(&format!("/Users/{id}")),
        s.put(&format!("/Users/{id}"), json!({"userName": "a"})),
        s.patch(
            &format!("/Users/{id}"),
            json!({"Operations": [{"op": "replace", "path": "title", "value": "t"}]}),
        ),
        s.delete(&format!("/Users/{id}")),
    ] {
        r.assert_error(404, None);
    }
}

#[test]
fn bad_input_gets_the_right_scim_type() {
    let s = Server::start();
    let id = s.create_user("a@x.org");
    s.post("/Users", json!({"displayName": "no userName"}))
        .assert_error(400, Some("invalidValue"));
    s.post("/Users", json!({"userName": "b", "active": "maybe"}))
        .assert_error(400, Some("invalidValue"));
    let r = http(
        &s.addr,
        "POST",
        "/scim/v2/Users",
        &[("Authorization", s.auth().as_str())],
        Some(b"{not json"),
    );
    r.assert_error(400, Some("invalidSyntax"));
    s.get(&format!("/Users?filter={}", enc("userName eq")))
        .assert_error(400, Some("invalidFilter"));
    s.patch(
        &format!("/Users/{id}"),
        json!({"Operations": [{"op": "replace", "path": "groups", "value": []}]}),
    )
    .assert_error(400, Some("mutability"));
    s.patch(
        &format!("/Users/{id}"),
        json!({"Operations": [{"op": "replace", "path": "emails[type eq", "value": "x"}]}),
    )
    .assert_error(400, Some("invalidPath"));
    s.patch(
        &format!("/Users/{id}"),
        json!({"Operations": [{"op": "remove"}]}),
    )
    .assert_error(400, Some("noTarget"));
    // All or nothing: a failing second op leaves the first unapplied.
    s.patch(&format!("/Users/{id}"), json!({"Operations": [{"op": "replace", "path": "title", "value": "T"}, {"op": "replace", "path": "active", "value": "perhaps"}]})).assert_error(400, Some("invalidValue"));
    assert!(s.get(&format!("/Users/{id}")).json().get("title").is_none());
    // Renaming onto another user's userName conflicts.
    let other = s.create_user("b@x.org");
    s.patch(
        &format!("/Users/{other}"),
        json!({"Operations": [{"op": "replace", "path": "userName", "value": "A@X.ORG"}]}),
    )
    .assert_error(409, Some("uniqueness"));
}

#[test]
fn filters_paging_sorting_and_projection() {
    let s = Server::start();
    for i in 0..25 {
        let r = s.post("/Users", json!({"userName": format!("user{i:02}@example.com"), "title": if i % 2 == 0 { "even" } else { "odd" },
            "emails": [{"value": format!("user{i:02}@example.com"), "type": "work"}], "name": {"familyName": format!("F{}", 99 - i)}}));
        assert_eq!(r.status, 201);
    }
    // Okta-style paging: pages of 10, nothing skipped or repeated.
    let mut seen = Vec::new();
    for start in [1, 11, 21] {
        let r = s.get(&format!("/Users?startIndex={start}&count=10")).json();
        assert_eq!(r["totalResults"], 25);
        assert_eq!(r["startIndex"], start);
        assert_eq!(r["itemsPerPage"], r["Resources"].as_array().unwrap().len());
        seen.extend(
            r["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].clone()),
        );
    }
    seen.dedup();
    assert_eq!(seen.len(), 25);
    // Clamping, count=0 and unknown parameters.
    let r = s
        .get("/Users?startIndex=-4&count=100000&aadOptscim062020")
        .json();
    assert_eq!(
        (r["startIndex"].as_i64(), r["itemsPerPage"].as_i64()),
        (Some(1), Some(25))
    );
    let r = s.get("/Users?count=0").json();
    assert_eq!(
        (r["totalResults"].as_i64(), r["itemsPerPage"].as_i64()),
        (Some(25), Some(0))
    );

    let count = |f: &str| {
        s.get(&format!("/Users?filter={}", enc(f))).json()["totalResults"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(count(r#"title eq "even""#), 13);
    assert_eq!(count(r#"title eq "EVEN""#), 13, "caseExact false");
    assert_eq!(count(r#"userName sw "user1" and not (title eq "odd")"#), 5);
    assert_eq!(
        count(r#"emails co "user0" or emails.value ew "24@example.com""#),
        11
    );
    assert_eq!(count(r#"emails[type eq "work" and value co "user2"]"#), 5);
    assert_eq!(count(r#"name.familyName gt "F90""#), 9);
    assert_eq!(
        count(r#"title pr and meta.lastModified gt "2000-01-01T00:00:00Z""#),
        25
    );
    assert_eq!(
        count(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "user03@example.com""#),
        1
    );
    assert_eq!(
        count(r#"active eq true"#),
        25,
        "a created user is active by default"
    );

    // Sorting, and projection keeping id and schemas.
    let r = s
        .get("/Users?sortBy=name.familyName&sortOrder=descending&count=1&attributes=userName")
        .json();
    let first = &r["Resources"][0];
    assert_eq!(first["userName"], "user00@example.com");
    assert!(
        first.get("id").is_some() && first.get("schemas").is_some() && first.get("title").is_none()
    );
    let r = s
        .get("/Users?count=1&excludedAttributes=emails,meta")
        .json();
    assert!(
        r["Resources"][0].get("emails").is_none() && r["Resources"][0].get("userName").is_some()
    );
}

#[test]
fn etags_and_conditional_requests() {
    let s = Server::start();
    let id = s.create_user("etag@x.org");
    let r = s.get(&format!("/Users/{id}"));
    let etag = r.header("ETag").unwrap().to_string();
    assert_eq!(r.json()["meta"]["version"], Value::from(etag.clone()));
    let auth = s.auth();
    let path = format!("/scim/v2/Users/{id}");
    let r = http(
        &s.addr,
        "GET",
        &path,
        &[
            ("Authorization", auth.as_str()),
            ("If-None-Match", etag.as_str()),
        ],
        None,
    );
    assert_eq!(r.status, 304);
    let body =
        json!({"Operations": [{"op": "replace", "path": "title", "value": "x"}]}).to_string();
    let r = http(
        &s.addr,
        "PATCH",
        &path,
        &[("Authorization", auth.as_str()), ("If-Match", "W/\"999\"")],
        Some(body.as_bytes()),
    );
    r.assert_error(412, None);
    let r = http(
        &s.addr,
        "PATCH",
        &path,
        &[
            ("Authorization", auth.as_str()),
            ("If-Match", etag.as_str()),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(r.status, 200);
    assert_ne!(r.header("ETag").unwrap(), etag);
}

#[test]
fn custom_extensions_and_nulls_round_trip() {
    let s = Server::start();
    let custom = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
    let r = s.post("/Users", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", custom],
        "userName": "c@x.org", "title": null, "ims": [{"value": "c", "type": "xmpp"}], "x509Certificates": [{"value": "MIIB"}],
        "entitlements": [{"value": "e1"}], "roles": [{"value": "r1", "primary": true}], "photos": [{"value": "https://x/p.png", "type": "photo"}],
        custom: {"badge": "7", "floor": {"n": 3}}}));
    assert_eq!(r.status, 201, "{}", r.body);
    let u = r.json();
    assert_eq!(u[custom], json!({"badge": "7", "floor": {"n": 3}}));
    assert!(u["schemas"]
        .as_array()
        .unwrap()
        .contains(&Value::from(custom)));
    assert!(u.get("title").is_none());
    for k in ["ims", "x509Certificates", "entitlements", "roles", "photos"] {
        assert!(u[k].is_array(), "{k}");
    }
    let id = u["id"].as_str().unwrap();
    let r = s.patch(
        &format!("/Users/{id}"),
        json!({"Operations": [{"op": "replace", "path": format!("{custom}:badge"), "value": "8"}]}),
    );
    assert_eq!(r.json()[custom]["badge"], "8");
}
