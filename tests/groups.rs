//! /Groups and membership sync: every member-PATCH shape Okta and Entra send.
mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn member_ids(s: &Server, gid: &str) -> BTreeSet<String> {
    let g = s.get(&format!("/Groups/{gid}")).json();
    g["members"].as_array().map_or_else(BTreeSet::new, |a| {
        a.iter()
            .map(|m| m["value"].as_str().unwrap().to_string())
            .collect()
    })
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn entra_group_sync() {
    let s = Server::start();
    let (a, b, c) = (
        s.create_user("a@x.org"),
        s.create_user("b@x.org"),
        s.create_user("c@x.org"),
    );
    let r = s.post("/Groups", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Group1", "members": []}));
    assert_eq!(r.status, 201, "{}", r.body);
    let gid = r.json()["id"].as_str().unwrap().to_string();
    // Several members per Add op, $ref null; idempotent on repeat.
    let add = json!({"schemas": [PATCH], "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": a}, {"$ref": null, "value": b}]}]});
    let r = s.patch(&format!("/Groups/{gid}"), add.clone());
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.body.is_empty());
    assert_eq!(s.patch(&format!("/Groups/{gid}"), add).status, 204);
    assert_eq!(member_ids(&s, &gid), set(&[&a, &b]));
    // Default-mode remove: path members plus a value list.
    s.patch(&format!("/Groups/{gid}"), json!({"schemas": [PATCH], "Operations": [{"op": "Remove", "path": "members", "value": [{"value": a}]}]}));
    assert_eq!(member_ids(&s, &gid), set(&[&b]));
    // Flag-mode remove by value filter.
    s.patch(
        &format!("/Groups/{gid}"),
        json!({"Operations": [{"op": "remove", "path": format!("members[value eq \"{b}\"]")}]}),
    );
    assert!(member_ids(&s, &gid).is_empty());
    // Membership check with excludedAttributes=members: members absent.
    s.patch(
        &format!("/Groups/{gid}"),
        json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": c}]}]}),
    );
    let f = enc(&format!(r#"id eq "{gid}" and members[value eq "{c}"]"#));
    let r = s
        .get(&format!("/Groups?excludedAttributes=members&filter={f}"))
        .json();
    assert_eq!(r["totalResults"], 1);
    assert!(r["Resources"][0].get("members").is_none());
    let f = enc(&format!(r#"members.value eq "{a}""#));
    assert_eq!(
        s.get(&format!("/Groups?filter={f}")).json()["totalResults"],
        0
    );
    let r = s
        .get(&format!(
            "/Groups?excludedAttributes=members&filter={}",
            enc(r#"displayName eq "group1""#)
        ))
        .json();
    assert_eq!(r["totalResults"], 1);
    assert!(r["Resources"][0].get("members").is_none());
    // Renames keep members; unknown member ids fail with nothing applied.
    let r = s.patch(
        &format!("/Groups/{gid}"),
        json!({"Operations": [
        {"op": "Replace", "path": "displayName", "value": "Group1 renamed"},
        {"op": "Add", "path": "members", "value": [{"value": a}, {"value": "no-such-user"}]}]}),
    );
    r.assert_error(400, Some("invalidValue"));
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("no-such-user"));
    let g = s.get(&format!("/Groups/{gid}")).json();
    assert_eq!(g["displayName"], "Group1");
    assert_eq!(member_ids(&s, &gid), set(&[&c]));
}

#[test]
fn okta_group_push() {
    let s = Server::start();
    let (a, b, c) = (
        s.create_user("a@x.org"),
        s.create_user("b@x.org"),
        s.create_user("c@x.org"),
    );
    let gid = s.create_group("Engineering");
    s.post("/Groups", json!({"displayName": "ENGINEERING"}))
        .assert_error(409, Some("uniqueness"));
    // Rename with id in the value.
    let r = s.patch(&format!("/Groups/{gid}"), json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"id": gid, "displayName": "Eng"}}]}));
    assert_eq!(r.status, 204);
    // Membership: remove by filter plus add of a list, in one request.
    s.patch(&format!("/Groups/{gid}"), json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": a, "display": "a"}, {"value": b}]}]}));
    s.patch(
        &format!("/Groups/{gid}"),
        json!({"Operations": [
        {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
        {"op": "add", "path": "members", "value": [{"value": c}]}]}),
    );
    assert_eq!(member_ids(&s, &gid), set(&[&b, &c]));
    // Full push as replace of members, applied as a diff.
    s.patch(&format!("/Groups/{gid}"), json!({"Operations": [{"op": "replace", "path": "members", "value": [{"value": a}, {"value": c}]}]}));
    assert_eq!(member_ids(&s, &gid), set(&[&a, &c]));
    // PUT the whole group.
    let r = s.put(&format!("/Groups/{gid}"), json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": gid, "displayName": "Eng", "members": [{"value": b, "display": "Bob"}]}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["members"][0]["value"], Value::from(b.clone()));
    assert_eq!(
        r.json()["members"][0]["display"],
        "Bob",
        "display round-trips as sent"
    );
    assert!(r.json()["members"][0]["$ref"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/Users/{b}")));
    // With attributes in the query, PATCH answers 200 with the projected group.
    let r = s.patch(
        &format!("/Groups/{gid}?attributes=displayName"),
        json!({"Operations": [{"op": "remove", "path": "members"}]}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["displayName"], "Eng");
    assert!(member_ids(&s, &gid).is_empty());
    // Import paging.
    let r = s.get("/Groups?startIndex=1&count=100").json();
    assert_eq!(r["totalResults"], 1);
    assert_eq!(s.delete(&format!("/Groups/{gid}")).status, 204);
    s.get(&format!("/Groups/{gid}")).assert_error(404, None);
    assert_eq!(
        s.get(&format!("/Users/{a}")).status,
        200,
        "deleting a group leaves its users"
    );
}

#[test]
fn user_groups_reflect_membership() {
    let s = Server::start();
    let u = s.create_user("m@x.org");
    let g1 = s.create_group("G1");
    let g2 = s.create_group("G2");
    for g in [&g1, &g2] {
        s.patch(
            &format!("/Groups/{g}"),
            json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": u}]}]}),
        );
    }
    let user = s.get(&format!("/Users/{u}")).json();
    let groups: Vec<&str> = user["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["value"].as_str().unwrap())
        .collect();
    assert_eq!(groups.len(), 2);
    assert!(groups.contains(&g1.as_str()) && groups.contains(&g2.as_str()));
    assert_eq!(user["groups"][0]["type"], "direct");
    let f = enc(&format!(r#"groups.value eq "{g1}""#));
    assert_eq!(
        s.get(&format!("/Users?filter={f}")).json()["totalResults"],
        1
    );
    // Deleting the user removes its memberships.
    assert_eq!(s.delete(&format!("/Users/{u}")).status, 204);
    assert!(member_ids(&s, &g1).is_empty());
}

#[test]
fn concurrent_member_adds_are_never_lost() {
    let s = Server::start();
    let gid = s.create_group("Busy");
    let users: Vec<String> = (0..40)
        .map(|i| s.create_user(&format!("c{i}@x.org")))
        .collect();
    std::thread::scope(|scope| {
        for chunk in users.chunks(5) {
            let (s, gid) = (&s, &gid);
            scope.spawn(move || {
                for u in chunk {
                    let r = s.patch(&format!("/Groups/{gid}"), json!({"Operations": [{"op": "Add", "path": "members", "value": [{"value": u}]}]}));
                    assert_eq!(r.status, 204, "{}", r.body);
                }
            });
        }
    });
    assert_eq!(member_ids(&s, &gid).len(), 40);
}
