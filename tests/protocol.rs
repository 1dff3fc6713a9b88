//! Discovery, Bulk, .search, /Me and method errors.
mod common;
use common::*;
use serde_json::{json, Value};

#[test]
fn discovery_documents_describe_the_server() {
    let s = Server::start();
    let spc = s.get("/ServiceProviderConfig");
    assert_eq!(spc.status, 200);
    assert!(spc
        .header("Content-Type")
        .unwrap()
        .starts_with("application/scim+json"));
    let spc = spc.json();
    for f in ["patch", "bulk", "filter", "sort", "etag"] {
        assert_eq!(spc[f]["supported"], true, "{f}");
    }
    assert_eq!(spc["changePassword"]["supported"], false);
    assert!(spc["filter"]["maxResults"].as_i64().unwrap() >= 100);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");

    let rts = s.get("/ResourceTypes").json();
    assert_eq!(rts["totalResults"], 2);
    let user = s.get("/ResourceTypes/User").json();
    assert_eq!(
        user["schemaExtensions"][0]["schema"],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );
    let schemas = s.get("/Schemas").json();
    assert_eq!(schemas["totalResults"], 3);
    let core = s
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
        .json();
    let names: Vec<&str> = core["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for n in [
        "userName",
        "name",
        "emails",
        "phoneNumbers",
        "addresses",
        "groups",
        "x509Certificates",
        "active",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    s.get("/Schemas/urn:nope").assert_error(404, None);
    s.post("/Schemas", json!({})).assert_error(405, None);
    s.get("/Me").assert_error(501, None);
    s.call("PATCH", "/Users", Some(&json!({})))
        .assert_error(405, None);
}

#[test]
fn search_endpoints_match_get() {
    let s = Server::start();
    s.create_user("s1@x.org");
    s.create_user("s2@x.org");
    s.create_group("S group");
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName sw \"s\"", "startIndex": 1, "count": 1, "attributes": ["userName"]});
    let r = s.post("/Users/.search", body).json();
    assert_eq!(
        (r["totalResults"].as_i64(), r["itemsPerPage"].as_i64()),
        (Some(2), Some(1))
    );
    assert!(r["Resources"][0].get("meta").is_none());
    let r = s
        .post(
            "/Groups/.search",
            json!({"filter": "displayName eq \"s group\""}),
        )
        .json();
    assert_eq!(r["totalResults"], 1);
    let r = s.post("/.search", json!({"count": 10})).json();
    assert_eq!(r["totalResults"], 3);
    assert_eq!(r["itemsPerPage"], 3);
}

#[test]
fn bulk_resolves_bulk_ids_in_any_order_including_cycles() {
    let s = Server::start();
    let r = s.post("/Bulk", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"displayName": "Bulk group", "members": [{"type": "User", "value": "bulkId:u1"}, {"value": "bulkId:u2"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "u1", "data": {"userName": "bulk1@x.org"}},
        {"method": "POST", "path": "/Users", "bulkId": "u2", "data": {"userName": "bulk2@x.org"}},
        // RFC 7644 §3.7.1: two groups that contain each other.
        {"method": "POST", "path": "/Groups", "bulkId": "ga", "data": {"displayName": "A", "members": [{"type": "Group", "value": "bulkId:gb"}]}},
        {"method": "POST", "path": "/Groups", "bulkId": "gb", "data": {"displayName": "B", "members": [{"type": "Group", "value": "bulkId:ga"}]}},
        {"method": "PATCH", "path": "/Users/bulkId:u1", "data": {"Operations": [{"op": "replace", "path": "title", "value": "T"}]}},
    ]}));
    assert_eq!(r.status, 200, "{}", r.body);
    let ops = r.json()["Operations"].as_array().unwrap().clone();
    assert_eq!(ops.len(), 6);
    for op in &ops {
        assert!(op["status"].as_str().unwrap().starts_with('2'), "{op}");
        assert!(
            op["location"].as_str().unwrap().contains("/scim/v2/"),
            "{op}"
        );
    }
    let gid = ops[0]["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let g = s.get(&format!("/Groups/{gid}")).json();
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    for (i, other) in [(3, 4), (4, 3)] {
        let id = ops[i]["location"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        let want = ops[other]["location"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        assert_eq!(
            s.get(&format!("/Groups/{id}")).json()["members"][0]["value"],
            Value::from(want)
        );
    }
    let u1 = ops[1]["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    assert_eq!(s.get(&format!("/Users/{u1}")).json()["title"], "T");
}

#[test]
fn bulk_fail_on_errors_and_limits() {
    let s = Server::start();
    s.create_user("dup@x.org");
    let r = s.post("/Bulk", json!({"failOnErrors": 1, "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "dup@x.org"}},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"userName": "fresh@x.org"}},
    ]})).json();
    let ops = r["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "processing stops after the first error");
    assert_eq!(ops[0]["status"], "409");
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness");
    let r = s
        .get(&format!(
            "/Users?filter={}",
            enc(r#"userName eq "fresh@x.org""#)
        ))
        .json();
    assert_eq!(r["totalResults"], 0);

    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
        .collect();
    s.post("/Bulk", json!({"Operations": many}))
        .assert_error(400, Some("tooMany"));
    let r = s.post("/Bulk", json!({"Operations": [{"method": "POST", "path": "/Groups", "bulkId": "x", "data": {"displayName": "X", "members": [{"value": "bulkId:missing"}]}}]})).json();
    assert_eq!(r["Operations"][0]["status"], "409");
}
