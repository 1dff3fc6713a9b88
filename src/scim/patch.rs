//! PATCH (RFC 7644 §3.5.2): parsing the request, one path evaluator shared by add, replace and
//! remove, and the split of a Group PATCH into attribute changes and row-level member changes.

use super::error::{ScimError, ScimResult};
use super::filter::{AttrPath, CompareOp, Filter};
use super::path::{self, PatchPath};
use super::resource::{normalize, Object};
use super::schema::{is_urn, Attribute, Container, Mutability, ResourceType};
use serde_json::Value;

pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

fn get_ci<'a>(o: &'a Object, key: &str) -> Option<&'a Value> {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Parses a PatchOp body. Op names are matched case-insensitively (Entra sends `Replace`).
pub fn parse_request(body: &Value) -> ScimResult<Vec<PatchOp>> {
    let body = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("PATCH body must be a JSON object"))?;
    let ops = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("PATCH body needs an \"Operations\" array"))?;
    if ops.is_empty() {
        return Err(ScimError::invalid_syntax("\"Operations\" is empty"));
    }
    ops.iter().map(parse_op).collect()
}

fn parse_op(v: &Value) -> ScimResult<PatchOp> {
    let o = v
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("each operation must be an object"))?;
    let name = get_ci(o, "op").and_then(Value::as_str).unwrap_or_default();
    let op = match name.to_ascii_lowercase().as_str() {
        "add" => OpKind::Add,
        "remove" => OpKind::Remove,
        "replace" => OpKind::Replace,
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "unknown PATCH op '{name}': expected add, remove or replace"
            )))
        }
    };
    let path = match get_ci(o, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(path::parse(s.trim())?),
        Some(_) => return Err(ScimError::invalid_path("\"path\" must be a string")),
    };
    let value = get_ci(o, "value").cloned();
    match (op, &path, &value) {
        (OpKind::Remove, None, _) => Err(ScimError::no_target("remove needs a \"path\"")),
        (OpKind::Add | OpKind::Replace, _, None) => {
            Err(ScimError::invalid_value("add and replace need a \"value\""))
        }
        _ => Ok(PatchOp { op, path, value }),
    }
}

/// Applies one operation to a stored resource (`data` in stored form, without `id`/`meta`),
/// leaving it normalized and valid, or fails without a partial result being used.
pub fn apply(rt: &ResourceType, id: &str, data: &mut Object, op: &PatchOp) -> ScimResult<()> {
    match &op.path {
        Some(p) if whole_extension(rt, p).is_some() => {
            let urn = whole_extension(rt, p).expect("checked");
            match (op.op, &op.value) {
                (OpKind::Remove, _) => {
                    data.remove(urn);
                }
                (_, Some(Value::Object(values))) => {
                    if op.op == OpKind::Replace {
                        data.remove(urn);
                    }
                    let mut wrapped = Object::new();
                    wrapped.insert(urn.to_string(), Value::Object(values.clone()));
                    apply_pathless(rt, id, data, OpKind::Add, &wrapped)?;
                }
                _ => {
                    return Err(ScimError::invalid_value(format!(
                        "{urn} takes an object value"
                    )))
                }
            }
        }
        Some(p) => apply_path(rt, data, op.op, p, op.value.as_ref(), true)?,
        None => {
            let Some(Value::Object(values)) = &op.value else {
                return Err(ScimError::invalid_value(
                    "a PATCH without \"path\" needs an object \"value\"",
                ));
            };
            apply_pathless(rt, id, data, op.op, values)?;
        }
    }
    *data = normalize(rt, data)?;
    Ok(())
}

/// A path that names a whole known extension (`urn:...:enterprise:2.0:User`).
fn whole_extension(rt: &ResourceType, p: &PatchPath) -> Option<&'static str> {
    if p.filter.is_some() || p.attr.sub.is_some() {
        return None;
    }
    let text = format!("{}:{}", p.attr.urn.as_deref()?, p.attr.attr);
    rt.schema_urn_key(&text).filter(|u| !rt.is_core_urn(u))
}

/// `{"op":"replace","value":{"active":false,"name.givenName":"x","urn:...:User:department":"y"}}`:
/// every key is a path (Entra's flag mode uses dotted and URN-qualified keys).
fn apply_pathless(
    rt: &ResourceType,
    id: &str,
    data: &mut Object,
    op: OpKind,
    values: &Object,
) -> ScimResult<()> {
    for (key, v) in values {
        if key.eq_ignore_ascii_case("id") {
            // Okta repeats the id in a group rename; only a different id is an error.
            if v.as_str().is_some_and(|s| s != id) {
                return Err(ScimError::mutability("id cannot be changed"));
            }
            continue;
        }
        if let Some(urn) = rt.schema_urn_key(key) {
            if let Value::Object(inner) = v {
                for (k, v) in inner {
                    let p = PatchPath {
                        attr: AttrPath {
                            urn: Some(urn.to_string()),
                            attr: k.clone(),
                            sub: None,
                        },
                        filter: None,
                        sub_after_filter: None,
                    };
                    apply_path(rt, data, op, &p, Some(v), false)?;
                }
            }
            continue;
        }
        let Some(attr) = AttrPath::parse(key) else {
            if is_urn(key) {
                // A custom extension object as a whole.
                merge_custom(data, key, v);
            }
            continue; // not an attribute name: ignored like any unknown input
        };
        if attr.urn.is_some()
            && matches!(v, Value::Object(_))
            && rt
                .resolve(attr.urn.as_deref(), &attr.attr)
                .is_some_and(|r| matches!(r.container, Container::Custom(_)))
        {
            merge_custom(data, key, v);
            continue;
        }
        let p = PatchPath {
            attr,
            filter: None,
            sub_after_filter: None,
        };
        apply_path(rt, data, op, &p, Some(v), false)?;
    }
    Ok(())
}

fn merge_custom(data: &mut Object, key: &str, v: &Value) {
    let entry = data
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Object::new()));
    if let (Value::Object(dst), Value::Object(src)) = (entry, v) {
        for (k, v) in src {
            dst.insert(k.clone(), v.clone());
        }
    }
}

fn apply_path(
    rt: &ResourceType,
    data: &mut Object,
    op: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
    explicit: bool,
) -> ScimResult<()> {
    let Some(resolved) = rt.resolve(path.attr.urn.as_deref(), &path.attr.attr) else {
        if explicit {
            return Err(ScimError::invalid_path(format!(
                "unknown attribute '{}'",
                path.attr
            )));
        }
        return Ok(());
    };
    if let Some(a) = resolved.attr {
        if a.mutability == Mutability::ReadOnly {
            if explicit {
                return Err(ScimError::mutability(format!("{} is read-only", a.name)));
            }
            return Ok(());
        }
    }
    let container: &mut Object = match &resolved.container {
        Container::Core => data,
        Container::Extension(u) => ext_object(data, u),
        Container::Custom(u) => {
            let key = data
                .keys()
                .find(|k| k.eq_ignore_ascii_case(u))
                .cloned()
                .unwrap_or_else(|| u.clone());
            ext_object(data, &key)
        }
    };
    let name = resolved.name.as_str();
    let attr = resolved.attr;
    let sub_name = match (attr, path.sub()) {
        (Some(a), Some(s)) => Some(
            a.sub(s)
                .map(|d| d.name)
                .ok_or_else(|| ScimError::invalid_path(format!("unknown attribute '{name}.{s}'")))?
                .to_string(),
        ),
        (None, Some(s)) => Some(s.to_string()),
        (_, None) => None,
    };
    let multi = attr.is_some_and(|a| a.multi_valued);

    match (&path.filter, sub_name) {
        (None, None) => apply_whole(container, name, multi, op, value),
        (None, Some(sub)) if !multi => {
            let target = container
                .entry(name.to_string())
                .or_insert_with(|| Value::Object(Object::new()));
            if !target.is_object() {
                *target = Value::Object(Object::new());
            }
            let o = target.as_object_mut().expect("object");
            set_or_remove(o, &sub, op, value);
            Ok(())
        }
        (None, Some(sub)) => {
            // `emails.value` with no filter: every value of the attribute.
            let items = array_mut(container, name);
            if items.is_empty() && op != OpKind::Remove {
                items.push(Value::Object(Object::new()));
            }
            for item in items.iter_mut() {
                if let Some(o) = item.as_object_mut() {
                    set_or_remove(o, &sub, op, value);
                }
            }
            drop_valueless(container, name, attr);
            Ok(())
        }
        (Some(filter), sub) => {
            if !multi {
                return Err(ScimError::invalid_path(format!(
                    "{name} is not multi-valued; a value filter needs a multi-valued attribute"
                )));
            }
            let attr = attr.expect("known multi-valued attribute");
            apply_filtered(container, attr, filter, sub.as_deref(), op, value)
        }
    }
}

fn ext_object<'a>(data: &'a mut Object, key: &str) -> &'a mut Object {
    let v = data
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Object::new()));
    if !v.is_object() {
        *v = Value::Object(Object::new());
    }
    v.as_object_mut().expect("object")
}

fn array_mut<'a>(container: &'a mut Object, name: &str) -> &'a mut Vec<Value> {
    let v = container
        .entry(name.to_string())
        .or_insert_with(|| Value::Array(vec![]));
    if !v.is_array() {
        let old = std::mem::take(v);
        *v = Value::Array(if old.is_null() { vec![] } else { vec![old] });
    }
    v.as_array_mut().expect("array")
}

fn set_or_remove(o: &mut Object, key: &str, op: OpKind, value: Option<&Value>) {
    match (op, value) {
        (OpKind::Remove, _) | (_, None) => {
            o.remove(key);
        }
        (_, Some(v)) => {
            o.insert(key.to_string(), v.clone());
        }
    }
}

fn is_primary(v: &Value) -> bool {
    match v.get("primary") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// RFC 7644 §3.5.2: a new primary value turns `primary` off on the others.
fn clear_primary(items: &mut [Value]) {
    for item in items {
        if let Some(o) = item.as_object_mut() {
            if o.contains_key("primary") {
                o.insert("primary".into(), Value::Bool(false));
            }
        }
    }
}

fn apply_whole(
    container: &mut Object,
    name: &str,
    multi: bool,
    op: OpKind,
    value: Option<&Value>,
) -> ScimResult<()> {
    match (op, value) {
        (OpKind::Remove, Some(Value::Array(list))) if multi => {
            // Remove with a value list (Entra's form for members): drop matching values.
            let items = array_mut(container, name);
            items.retain(|item| {
                !list
                    .iter()
                    .any(|gone| match (gone.get("value"), item.get("value")) {
                        (Some(a), Some(b)) => a == b,
                        _ => gone == item,
                    })
            });
            Ok(())
        }
        (OpKind::Remove, _) | (_, None) => {
            container.remove(name);
            Ok(())
        }
        (OpKind::Add, Some(v)) if multi => {
            let new: Vec<Value> = match v {
                Value::Array(a) => a.clone(),
                v => vec![v.clone()],
            };
            let items = array_mut(container, name);
            if new.iter().any(is_primary) {
                clear_primary(items);
            }
            for v in new {
                if !items.contains(&v) {
                    items.push(v);
                }
            }
            Ok(())
        }
        (_, Some(Value::Object(src))) if !multi => {
            // Complex singular: add and replace both merge sub-attributes (RFC 7644 §3.5.2.3).
            match container.get_mut(name) {
                Some(Value::Object(dst)) => {
                    for (k, v) in src {
                        dst.insert(k.clone(), v.clone());
                    }
                }
                _ => {
                    container.insert(name.to_string(), Value::Object(src.clone()));
                }
            }
            Ok(())
        }
        (_, Some(v)) => {
            container.insert(name.to_string(), v.clone());
            Ok(())
        }
    }
}

/// The equality constraints of a filter (`type eq "work" and primary eq true`): what a value
/// created by `add` on a filtered path must carry.
fn equalities(filter: &Filter, out: &mut Object) -> bool {
    match filter {
        Filter::Compare(p, CompareOp::Eq, v)
            if p.urn.is_none() && p.sub.is_none() && !v.is_null() =>
        {
            out.insert(p.attr.clone(), v.clone());
            true
        }
        Filter::And(a, b) => equalities(a, out) && equalities(b, out),
        _ => false,
    }
}

fn apply_filtered(
    container: &mut Object,
    attr: &'static Attribute,
    filter: &Filter,
    sub: Option<&str>,
    op: OpKind,
    value: Option<&Value>,
) -> ScimResult<()> {
    let case_exact = |p: &AttrPath| attr.sub(&p.attr).is_some_and(|s| s.case_exact);
    let items = array_mut(container, attr.name);
    let hits: Vec<usize> = (0..items.len())
        .filter(|&i| filter.matches(&items[i], &case_exact))
        .collect();
    match op {
        OpKind::Remove => {
            match sub {
                None => {
                    let mut i = 0;
                    items.retain(|_| {
                        i += 1;
                        !hits.contains(&(i - 1))
                    });
                }
                Some(s) => {
                    for &i in &hits {
                        if let Some(o) = items[i].as_object_mut() {
                            o.remove(s);
                        }
                    }
                    drop_valueless(container, attr.name, Some(attr));
                }
            }
            Ok(())
        }
        OpKind::Add | OpKind::Replace => {
            let value = value.expect("checked at parse");
            let sets_primary = match sub {
                Some(s) => s == "primary" && value.as_bool() == Some(true),
                None => is_primary(value),
            };
            if sets_primary {
                for (i, item) in items.iter_mut().enumerate() {
                    if !hits.contains(&i) {
                        clear_primary(std::slice::from_mut(item));
                    }
                }
            }
            if hits.is_empty() {
                // Entra: an `Add` (or `Replace`) on `emails[type eq "other"].value` with no
                // "other" email creates it, carrying the filter's equalities.
                let mut created = Object::new();
                if !equalities(filter, &mut created) {
                    return Err(ScimError::no_target(format!(
                        "no value of {} matches the filter",
                        attr.name
                    )));
                }
                merge_into(&mut created, sub, value);
                items.push(Value::Object(created));
                return Ok(());
            }
            for i in hits {
                if !items[i].is_object() {
                    items[i] = Value::Object(Object::new());
                }
                merge_into(items[i].as_object_mut().expect("object"), sub, value);
            }
            Ok(())
        }
    }
}

fn merge_into(o: &mut Object, sub: Option<&str>, value: &Value) {
    match (sub, value) {
        (Some(s), v) => {
            o.insert(s.to_string(), v.clone());
        }
        (None, Value::Object(src)) => {
            for (k, v) in src {
                o.insert(k.clone(), v.clone());
            }
        }
        (None, v) => {
            o.insert("value".into(), v.clone());
        }
    }
}

/// After removing `value` from some entries, an entry with no `value` left is gone.
fn drop_valueless(container: &mut Object, name: &str, attr: Option<&Attribute>) {
    if attr.is_some_and(|a| a.sub("value").is_some()) {
        if let Some(Value::Array(items)) = container.get_mut(name) {
            items.retain(|i| i.get("value").is_some_and(|v| !v.is_null()));
        }
    }
}

/// A member reference in a Group PATCH value: `{"value": "<id>", "type": "User"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    pub value: String,
    pub kind: Option<String>,
    /// Kept as the client sent it and returned unchanged.
    pub display: Option<String>,
}

/// What a Group PATCH operation does to the membership table.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    Add(Vec<MemberRef>),
    /// Entra's `Remove` with `path: "members"` and a value list.
    Remove(Vec<String>),
    /// `members[value eq "id"]` or any other filter on members.
    RemoveWhere(Filter),
    RemoveAll,
    /// The whole list: applied as a diff.
    Replace(Vec<MemberRef>),
}

/// A Group PATCH operation: either on the group's own attributes or on its members.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupOp {
    Attributes(PatchOp),
    Members(MemberChange),
}

pub fn member_refs(v: &Value) -> ScimResult<Vec<MemberRef>> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => vec![],
        v => vec![v],
    };
    items
        .into_iter()
        .filter(|v| !v.is_null())
        .map(|m| {
            let o = m.as_object().ok_or_else(|| {
                ScimError::invalid_value("members must be objects with a \"value\"")
            })?;
            let value = get_ci(o, "value")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ScimError::invalid_value("each member needs a string \"value\""))?;
            let text = |k: &str| get_ci(o, k).and_then(Value::as_str).map(str::to_string);
            Ok(MemberRef {
                value: value.to_string(),
                kind: text("type"),
                display: text("display"),
            })
        })
        .collect()
}

fn is_members(p: &AttrPath) -> bool {
    p.attr.eq_ignore_ascii_case("members")
        && p.urn
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(super::schema::GROUP_URN))
}

/// Splits Group PATCH operations so that member changes run as row-level SQL, never as a
/// read-modify-write of the whole member list.
pub fn split_group_ops(ops: Vec<PatchOp>) -> ScimResult<Vec<GroupOp>> {
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        match &op.path {
            Some(p) if is_members(&p.attr) => {
                if p.sub().is_some() {
                    return Err(ScimError::mutability(
                        "member sub-attributes cannot be changed; add or remove the member",
                    ));
                }
                let change = match (op.op, &p.filter, &op.value) {
                    (OpKind::Remove, Some(f), _) => MemberChange::RemoveWhere(f.clone()),
                    (OpKind::Remove, None, None | Some(Value::Null)) => MemberChange::RemoveAll,
                    (OpKind::Remove, None, Some(v)) => {
                        MemberChange::Remove(member_refs(v)?.into_iter().map(|m| m.value).collect())
                    }
                    (OpKind::Add, _, Some(v)) => MemberChange::Add(member_refs(v)?),
                    (OpKind::Replace, None, Some(v)) => MemberChange::Replace(member_refs(v)?),
                    (OpKind::Replace, Some(_), _) => {
                        return Err(ScimError::mutability(
                            "members cannot be replaced one by one; remove and add instead",
                        ))
                    }
                    (_, _, None) => unreachable!("checked at parse"),
                };
                out.push(GroupOp::Members(change));
            }
            None => {
                let Some(Value::Object(values)) = &op.value else {
                    out.push(GroupOp::Attributes(op));
                    continue;
                };
                let mut rest = values.clone();
                let key = rest
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case("members"))
                    .cloned();
                if let Some(k) = key {
                    let members = member_refs(&rest.remove(&k).unwrap_or(Value::Null))?;
                    out.push(GroupOp::Members(match op.op {
                        OpKind::Add => MemberChange::Add(members),
                        _ => MemberChange::Replace(members),
                    }));
                }
                if !rest.is_empty() {
                    out.push(GroupOp::Attributes(PatchOp {
                        value: Some(Value::Object(rest)),
                        ..op
                    }));
                }
            }
            Some(_) => out.push(GroupOp::Attributes(op)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER_URN, USER};
    use serde_json::json;

    fn run(data: Value, ops: Value) -> ScimResult<Value> {
        let mut data = data.as_object().unwrap().clone();
        let ops = parse_request(&json!({"schemas": [PATCH_URN], "Operations": ops}))?;
        for op in &ops {
            apply(&USER, "u1", &mut data, op)?;
        }
        Ok(Value::Object(data))
    }

    #[test]
    fn rfc_add_and_replace_examples() {
        // RFC 7644 §3.5.2.1: add an email; §3.5.2.3: replace a sub-attribute by filter.
        let u =
            json!({"userName": "bjensen", "emails": [{"value": "b@example.com", "type": "work"}]});
        let out = run(u.clone(), json!([{"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]}])).unwrap();
        assert_eq!(out["emails"].as_array().unwrap().len(), 2);
        let out = run(u, json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"}])).unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "new@example.com", "type": "work"}])
        );
    }

    #[test]
    fn entra_capitalised_ops_and_string_booleans() {
        let u = json!({"userName": "a", "active": true});
        let out = run(
            u,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .unwrap();
        assert_eq!(out["active"], json!(false));
    }

    #[test]
    fn entra_add_creates_the_typed_entry() {
        let u = json!({"userName": "a", "emails": [{"value": "w@x.org", "type": "work", "primary": true}]});
        let out = run(
            u,
            json!([
                {"op": "Add", "path": "emails[type eq \"other\"].Value", "value": "o@x.org"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "w2@x.org"}
            ]),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([
                {"value": "w2@x.org", "type": "work", "primary": true},
                {"type": "other", "value": "o@x.org"}
            ])
        );
    }

    #[test]
    fn pathless_values_with_dotted_and_urn_keys() {
        let u = json!({"userName": "a", "name": {"familyName": "F"}});
        let out = run(
            u,
            json!([{"op": "replace", "value": {
                "displayName": "x", "name.givenName": "y",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "z",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "boss",
                "id": "u1", "meta": {}, "schemas": []
            }}]),
        )
        .unwrap();
        assert_eq!(out["name"], json!({"familyName": "F", "givenName": "y"}));
        assert_eq!(out["displayName"], json!("x"));
        assert_eq!(
            out[ENTERPRISE_USER_URN],
            json!({"employeeNumber": "z", "manager": {"value": "boss"}})
        );
    }

    #[test]
    fn whole_extension_paths() {
        let u =
            json!({"userName": "a", ENTERPRISE_USER_URN: {"department": "d", "costCenter": "c"}});
        let out = run(u.clone(), json!([{"op": "add", "path": ENTERPRISE_USER_URN, "value": {"schemas": [ENTERPRISE_USER_URN], "employeeNumber": "1", "manager": {"value": "m", "$ref": "http://x/Users/m"}}}])).unwrap();
        assert_eq!(
            out[ENTERPRISE_USER_URN],
            json!({"department": "d", "costCenter": "c", "employeeNumber": "1", "manager": {"value": "m", "$ref": "http://x/Users/m"}})
        );
        let out = run(
            u.clone(),
            json!([{"op": "replace", "path": ENTERPRISE_USER_URN, "value": {"division": "v"}}]),
        )
        .unwrap();
        assert_eq!(out[ENTERPRISE_USER_URN], json!({"division": "v"}));
        let out = run(u, json!([{"op": "remove", "path": ENTERPRISE_USER_URN}])).unwrap();
        assert!(out.get(ENTERPRISE_USER_URN).is_none());
    }

    #[test]
    fn errors_where_the_rfc_says() {
        let u = json!({"userName": "a"});
        let e = run(u.clone(), json!([{"op": "remove"}])).unwrap_err();
        assert_eq!(e.scim_type, Some(crate::scim::error::ScimType::NoTarget));
        let e = run(
            u.clone(),
            json!([{"op": "replace", "path": "groups", "value": []}]),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(crate::scim::error::ScimType::Mutability));
        let e = run(
            u.clone(),
            json!([{"op": "replace", "value": {"id": "other"}}]),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(crate::scim::error::ScimType::Mutability));
        let e = run(
            u.clone(),
            json!([{"op": "replace", "path": "bogus", "value": 1}]),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(crate::scim::error::ScimType::InvalidPath));
        let e = run(
            u.clone(),
            json!([{"op": "replace", "path": "emails[value co \"x\"]", "value": {"value": "y"}}]),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(crate::scim::error::ScimType::NoTarget));
        let e = run(u, json!([{"op": "jump", "path": "x"}])).unwrap_err();
        assert_eq!(e.status, 400);
    }

    #[test]
    fn remove_by_filter_and_primary_moves() {
        let u = json!({"userName": "a", "phoneNumbers": [
            {"value": "1", "type": "work", "primary": true}, {"value": "2", "type": "mobile"}]});
        let out = run(
            u.clone(),
            json!([{"op": "remove", "path": "phoneNumbers[type eq \"work\"]"}]),
        )
        .unwrap();
        assert_eq!(
            out["phoneNumbers"],
            json!([{"value": "2", "type": "mobile"}])
        );
        let out = run(u, json!([{"op": "add", "path": "phoneNumbers", "value": [{"value": "3", "primary": true}]}])).unwrap();
        assert_eq!(out["phoneNumbers"][0]["primary"], json!(false));
        assert_eq!(out["phoneNumbers"][2]["primary"], json!(true));
    }

    #[test]
    fn group_ops_split_into_member_changes() {
        let ops = parse_request(&json!({"Operations": [
            {"op": "Add", "path": "members", "value": [{"$ref": null, "value": "u1"}, {"value": "u2"}]},
            {"op": "Remove", "path": "members", "value": [{"value": "u1"}]},
            {"op": "remove", "path": "members[value eq \"u2\"]"},
            {"op": "replace", "value": {"id": "g", "displayName": "New", "members": [{"value": "u3"}]}}
        ]})).unwrap();
        let split = split_group_ops(ops).unwrap();
        assert_eq!(split.len(), 5);
        assert!(matches!(&split[0], GroupOp::Members(MemberChange::Add(m)) if m.len() == 2));
        assert_eq!(
            split[1],
            GroupOp::Members(MemberChange::Remove(vec!["u1".into()]))
        );
        assert!(matches!(
            &split[2],
            GroupOp::Members(MemberChange::RemoveWhere(_))
        ));
        assert!(
            matches!(&split[3], GroupOp::Members(MemberChange::Replace(m)) if m[0].value == "u3")
        );
        assert!(matches!(&split[4], GroupOp::Attributes(_)));
    }
}
