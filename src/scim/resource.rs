//! Resources in and out: client JSON is checked against the schema model and turned into the
//! stored form (canonical names, no nulls, no read-only or write-only input); stored data is
//! rendered with `id`, `meta` and `schemas`, and projected by `attributes`/`excludedAttributes`.

use super::error::{ScimError, ScimResult};
use super::filter::AttrPath;
use super::schema::{is_urn, AttrType, Attribute, Container, Mutability, ResourceType, Returned};
use super::time;
use serde_json::{Map, Value};

pub type Object = Map<String, Value>;

/// Turns a client's resource (POST/PUT body, or a resource after PATCH) into the stored form.
/// Unknown core attributes and read-only input are ignored; explicit nulls mean "unset".
pub fn normalize(rt: &ResourceType, input: &Object) -> ScimResult<Object> {
    let mut out = Object::new();
    for (key, value) in input {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(urn) = rt.schema_urn_key(key) {
            if rt.is_core_urn(urn) {
                // A core URN used as a container: its attributes are core attributes.
                if let Value::Object(inner) = value {
                    for (k, v) in inner {
                        set_core(rt, &mut out, k, v)?;
                    }
                }
                continue;
            }
            let schema = rt.extension(urn).expect("known extension");
            match value {
                Value::Null => {}
                Value::Object(inner) => {
                    for (k, v) in inner {
                        set_in_extension(&mut out, urn, schema.attribute(k), k, v)?;
                    }
                }
                _ => return Err(ScimError::invalid_value(format!("{urn} must be an object"))),
            }
            continue;
        }
        if is_urn(key) {
            set_urn_key(rt, &mut out, key, value)?;
            continue;
        }
        set_core(rt, &mut out, key, value)?;
    }
    check_required(rt, &out)?;
    Ok(out)
}

fn set_core(rt: &ResourceType, out: &mut Object, key: &str, value: &Value) -> ScimResult<()> {
    // Unknown attributes are ignored; read-only ones (id, meta, groups) normalize to nothing.
    let Some(attr) = rt.resolve(None, key).and_then(|r| r.attr) else {
        return Ok(());
    };
    if let Some(v) = normalize_value(attr, value, attr.name)? {
        out.insert(attr.name.to_string(), v);
    } else {
        out.remove(attr.name);
    }
    Ok(())
}

/// `urn:...:User:attr` as a flat key (Entra's path-less PATCH values), or an extension object
/// this server has no schema for (stored as sent, without nulls).
fn set_urn_key(rt: &ResourceType, out: &mut Object, key: &str, value: &Value) -> ScimResult<()> {
    if let Value::Object(inner) = value {
        let cleaned = strip_nulls(&Value::Object(inner.clone()));
        match cleaned {
            Some(v) => out.insert(key.to_string(), v),
            None => out.remove(key),
        };
        return Ok(());
    }
    let Some(path) = AttrPath::parse(key) else {
        return Ok(());
    };
    let urn = path.urn.as_deref().unwrap_or_default();
    if rt.is_core_urn(urn) {
        return set_core(rt, out, &path.attr, value);
    }
    let (container, attr) = match rt.resolve(Some(urn), &path.attr) {
        Some(r) => (r.container, r.attr),
        None => return Ok(()),
    };
    let urn_key = match container {
        Container::Extension(u) => u.to_string(),
        Container::Custom(u) => existing_key(out, &u).unwrap_or(u),
        Container::Core => unreachable!("core handled above"),
    };
    set_in_extension(out, &urn_key, attr, &path.attr, value)
}

fn existing_key(obj: &Object, key: &str) -> Option<String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

fn set_in_extension(
    out: &mut Object,
    urn: &str,
    attr: Option<&'static Attribute>,
    name: &str,
    value: &Value,
) -> ScimResult<()> {
    let (name, v) = match attr {
        Some(a) if a.mutability == Mutability::ReadOnly => return Ok(()),
        Some(a) => (a.name.to_string(), normalize_value(a, value, a.name)?),
        None => (name.to_string(), strip_nulls(value)),
    };
    let ext = out
        .entry(urn.to_string())
        .or_insert_with(|| Value::Object(Object::new()));
    let ext = ext.as_object_mut().expect("extension is an object");
    match v {
        Some(v) => {
            ext.insert(name, v);
        }
        None => {
            ext.remove(&name);
        }
    }
    if ext.is_empty() {
        out.remove(urn);
    }
    Ok(())
}

fn strip_nulls(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(o) => {
            let m: Object = o
                .iter()
                .filter_map(|(k, v)| strip_nulls(v).map(|v| (k.clone(), v)))
                .collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        Value::Array(a) => {
            let items: Vec<Value> = a.iter().filter_map(strip_nulls).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        v => Some(v.clone()),
    }
}

fn check_required(rt: &ResourceType, out: &Object) -> ScimResult<()> {
    for a in rt.schema.attributes.iter().filter(|a| a.required) {
        match out.get(a.name) {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            Some(Value::String(_)) | None => {
                return Err(ScimError::invalid_value(format!("{} is required", a.name)))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks one attribute value against its definition and returns the stored form;
/// `None` means unset (null, empty list, empty object).
pub fn normalize_value(attr: &Attribute, value: &Value, path: &str) -> ScimResult<Option<Value>> {
    if attr.mutability == Mutability::ReadOnly || attr.mutability == Mutability::WriteOnly {
        return Ok(None);
    }
    if value.is_null() {
        return Ok(None);
    }
    if attr.multi_valued {
        let items: Vec<&Value> = match value {
            Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = normalize_single(attr, item, path)? {
                out.push(v);
            }
        }
        let primaries = out
            .iter()
            .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
            .count();
        if primaries > 1 {
            return Err(ScimError::invalid_value(format!(
                "{path}: at most one value may be primary"
            )));
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    normalize_single(attr, value, path)
}

fn normalize_single(attr: &Attribute, value: &Value, path: &str) -> ScimResult<Option<Value>> {
    let wrong = |what: &str| Err(ScimError::invalid_value(format!("{path} must be {what}")));
    match (attr.ty, value) {
        (_, Value::Null) => Ok(None),
        (AttrType::Complex, Value::Object(o)) => {
            let mut out = Object::new();
            for (k, v) in o {
                let Some(sub) = attr.sub(k) else { continue };
                let sub_path = format!("{path}.{}", sub.name);
                if let Some(v) = normalize_value(sub, v, &sub_path)? {
                    out.insert(sub.name.to_string(), v);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
        // Entra sends `manager` as a bare id; any complex attribute with a `value`
        // sub-attribute accepts that shorthand. An empty string clears it.
        (AttrType::Complex, Value::String(s)) if attr.sub("value").is_some() => {
            if s.is_empty() {
                Ok(None)
            } else {
                let mut o = Object::new();
                o.insert("value".into(), Value::String(s.clone()));
                Ok(Some(Value::Object(o)))
            }
        }
        (AttrType::Complex, _) => wrong("an object"),
        (AttrType::Boolean, Value::Bool(_)) => Ok(Some(value.clone())),
        // Entra sends booleans as the strings "True" and "False".
        (AttrType::Boolean, Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" => Ok(Some(Value::Bool(true))),
            "false" => Ok(Some(Value::Bool(false))),
            _ => wrong("a boolean"),
        },
        (AttrType::Boolean, _) => wrong("a boolean"),
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {
            Ok(Some(value.clone()))
        }
        (AttrType::Integer, _) => wrong("an integer"),
        (AttrType::Decimal, Value::Number(_)) => Ok(Some(value.clone())),
        (AttrType::Decimal, _) => wrong("a number"),
        (AttrType::DateTime, Value::String(s)) if time::parse_ms(s).is_some() => {
            Ok(Some(value.clone()))
        }
        (AttrType::DateTime, _) => wrong("a dateTime such as 2026-01-31T12:00:00Z"),
        (AttrType::String | AttrType::Reference | AttrType::Binary, Value::String(_)) => {
            Ok(Some(value.clone()))
        }
        (AttrType::String | AttrType::Reference | AttrType::Binary, _) => wrong("a string"),
    }
}

/// Server-side metadata of a stored resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub created_ms: i64,
    pub modified_ms: i64,
    pub version: i64,
}

impl Meta {
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// Builds the full representation: `schemas`, `id`, the stored attributes, any computed ones
/// (`groups`, `members`), then `meta`.
pub fn render(
    rt: &ResourceType,
    id: &str,
    data: &Object,
    computed: Vec<(&'static str, Value)>,
    meta: &Meta,
    location: &str,
) -> Object {
    let mut out = Object::new();
    let mut schemas = vec![Value::from(rt.schema.id)];
    for key in data.keys() {
        if is_urn(key) {
            schemas.push(Value::from(key.as_str()));
        }
    }
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("id".into(), Value::from(id));
    for (k, v) in data {
        out.insert(k.clone(), v.clone());
    }
    for (k, v) in computed {
        out.insert(k.to_string(), v);
    }
    let mut m = Object::new();
    m.insert("resourceType".into(), Value::from(rt.name));
    m.insert(
        "created".into(),
        Value::from(time::format_ms(meta.created_ms)),
    );
    m.insert(
        "lastModified".into(),
        Value::from(time::format_ms(meta.modified_ms)),
    );
    m.insert("location".into(), Value::from(location));
    m.insert("version".into(), Value::from(meta.etag()));
    out.insert("meta".into(), Value::Object(m));
    out
}

/// `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5), resolved against a resource type.
#[derive(Debug, Default, Clone)]
pub struct Projection {
    include: Vec<Selector>,
    exclude: Vec<Selector>,
}

/// One attribute named in a projection: a whole extension, an attribute, or a sub-attribute.
#[derive(Debug, Clone, PartialEq)]
struct Selector {
    /// Top-level key in the rendered resource (core attribute name or extension URN).
    top: String,
    /// Attribute inside an extension object.
    inner: Option<String>,
    sub: Option<String>,
}

impl Projection {
    pub fn parse(
        rt: &ResourceType,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Projection {
        let list = |s: Option<&str>| -> Vec<Selector> {
            s.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .filter_map(|s| selector(rt, s))
                .collect()
        };
        Projection {
            include: list(attributes),
            exclude: list(excluded),
        }
    }

    pub fn is_default(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the top-level core attribute `name` will be in the output: lets callers skip
    /// loading `members` or `groups` nobody asked for.
    pub fn wants(&self, name: &str) -> bool {
        if !self.include.is_empty() {
            return self.include.iter().any(|s| s.top == name);
        }
        !self
            .exclude
            .iter()
            .any(|s| s.top == name && s.inner.is_none() && s.sub.is_none())
    }

    pub fn apply(&self, rt: &ResourceType, resource: &mut Object) {
        if !self.include.is_empty() {
            let mut out = Object::new();
            for (k, v) in std::mem::take(resource) {
                if k == "schemas" || returned_always(rt, &k) {
                    out.insert(k, v);
                    continue;
                }
                let picks: Vec<&Selector> = self.include.iter().filter(|s| s.top == k).collect();
                if picks.is_empty() {
                    continue;
                }
                if let Some(v) = pick(v, &picks) {
                    out.insert(k, v);
                }
            }
            *resource = out;
        }
        for s in &self.exclude {
            if returned_always(rt, &s.top) {
                continue;
            }
            if s.inner.is_none() && s.sub.is_none() {
                resource.remove(&s.top);
                continue;
            }
            let Some(top) = resource.get_mut(&s.top) else {
                continue;
            };
            match (&s.inner, &s.sub) {
                (Some(inner), None) => {
                    if let Some(o) = top.as_object_mut() {
                        o.remove(inner);
                    }
                }
                (Some(inner), Some(sub)) => {
                    if let Some(t) = top.get_mut(inner.as_str()) {
                        remove_sub(t, sub)
                    }
                }
                (None, Some(sub)) => remove_sub(top, sub),
                (None, None) => {}
            }
        }
    }
}

fn returned_always(rt: &ResourceType, key: &str) -> bool {
    key == "id"
        || rt
            .schema
            .attribute(key)
            .is_some_and(|a| a.returned == Returned::Always)
}

fn selector(rt: &ResourceType, text: &str) -> Option<Selector> {
    if let Some(urn) = rt.schema_urn_key(text) {
        return (!rt.is_core_urn(urn)).then(|| Selector {
            top: urn.to_string(),
            inner: None,
            sub: None,
        });
    }
    let path = AttrPath::parse(text)?;
    let resolved = rt.resolve(path.urn.as_deref(), &path.attr)?;
    let sub = match (resolved.attr, path.sub) {
        (Some(a), Some(s)) => Some(a.sub(&s)?.name.to_string()),
        (_, s) => s,
    };
    Some(match resolved.container {
        Container::Core => Selector {
            top: resolved.name,
            inner: None,
            sub,
        },
        Container::Extension(u) => Selector {
            top: u.to_string(),
            inner: Some(resolved.name),
            sub,
        },
        Container::Custom(u) => Selector {
            top: u,
            inner: Some(resolved.name),
            sub,
        },
    })
}

/// Keeps only the selected parts of one top-level value.
fn pick(v: Value, picks: &[&Selector]) -> Option<Value> {
    if picks.iter().any(|s| s.inner.is_none() && s.sub.is_none()) {
        return Some(v);
    }
    match v {
        Value::Object(o) if picks.iter().any(|s| s.inner.is_some()) => {
            // An extension object: keep the named attributes (and their subs).
            let mut out = Object::new();
            for (k, v) in o {
                let inner: Vec<&Selector> = picks
                    .iter()
                    .copied()
                    .filter(|s| s.inner.as_deref() == Some(k.as_str()))
                    .collect();
                if inner.iter().any(|s| s.sub.is_none()) {
                    out.insert(k, v);
                } else if !inner.is_empty() {
                    let subs: Vec<&str> = inner.iter().filter_map(|s| s.sub.as_deref()).collect();
                    if let Some(v) = keep_subs(v, &subs) {
                        out.insert(k, v);
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        v => {
            let subs: Vec<&str> = picks.iter().filter_map(|s| s.sub.as_deref()).collect();
            keep_subs(v, &subs)
        }
    }
}

fn keep_subs(v: Value, subs: &[&str]) -> Option<Value> {
    match v {
        Value::Object(o) => {
            let m: Object = o
                .into_iter()
                .filter(|(k, _)| subs.contains(&k.as_str()))
                .collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        Value::Array(a) => {
            let items: Vec<Value> = a.into_iter().filter_map(|v| keep_subs(v, subs)).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        v => Some(v),
    }
}

fn remove_sub(v: &mut Value, sub: &str) {
    match v {
        Value::Object(o) => {
            o.remove(sub);
        }
        Value::Array(a) => a.iter_mut().for_each(|v| remove_sub(v, sub)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER_URN, GROUP, USER};
    use serde_json::json;

    fn obj(v: Value) -> Object {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn normalizes_names_nulls_and_read_only_input() {
        let input = obj(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "client-chosen", "meta": {"created": "x"}, "groups": [],
            "USERNAME": "bob", "displayName": null, "password": "secret",
            "Active": "False",
            "emails": [{"Value": "b@x.org", "TYPE": "work", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Manager": "m-1", "department": "R&D"},
            "unknownThing": 1
        }));
        let out = normalize(&USER, &input).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({
                "userName": "bob", "active": false,
                "emails": [{"value": "b@x.org", "type": "work", "primary": true}],
                ENTERPRISE_USER_URN: {"manager": {"value": "m-1"}, "department": "R&D"}
            })
        );
    }

    #[test]
    fn flat_urn_keys_land_in_their_extension() {
        let input = obj(json!({
            "userName": "a",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
            "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge": "7"
        }));
        let out = normalize(&USER, &input).unwrap();
        assert_eq!(out[ENTERPRISE_USER_URN], json!({"employeeNumber": "42"}));
        assert_eq!(
            out["urn:ietf:params:scim:schemas:extension:acme:2.0:User"],
            json!({"badge": "7"})
        );
    }

    #[test]
    fn rejects_wrong_types_and_missing_required() {
        let e = normalize(&USER, &obj(json!({"userName": "a", "active": "maybe"}))).unwrap_err();
        assert!(e.detail.contains("active"));
        let e = normalize(&USER, &obj(json!({"userName": 5}))).unwrap_err();
        assert!(e.detail.contains("userName"));
        assert!(normalize(&USER, &obj(json!({"displayName": "x"}))).is_err());
        assert!(normalize(&GROUP, &obj(json!({"members": []}))).is_err());
        let two = json!({"userName": "a", "emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]});
        assert!(normalize(&USER, &obj(two)).is_err());
    }

    #[test]
    fn projection_keeps_id_and_schemas() {
        let meta = Meta {
            created_ms: 0,
            modified_ms: 0,
            version: 1,
        };
        let data = obj(
            json!({"userName": "a", "title": "t", "name": {"givenName": "g", "familyName": "f"},
            ENTERPRISE_USER_URN: {"department": "d", "costCenter": "c"}}),
        );
        let full = render(&USER, "1", &data, vec![], &meta, "http://x/Users/1");
        let mut r = full.clone();
        Projection::parse(&USER, Some("name.givenName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), None).apply(&USER, &mut r);
        assert_eq!(
            Value::Object(r),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_URN], "id": "1",
            "name": {"givenName": "g"}, ENTERPRISE_USER_URN: {"department": "d"}})
        );
        let mut r = full.clone();
        let p = Projection::parse(&USER, None, Some("title,name.familyName,meta,id"));
        assert!(p.wants("userName") && !p.wants("title"));
        p.apply(&USER, &mut r);
        assert!(r.get("title").is_none() && r.get("meta").is_none());
        assert_eq!(r["name"], json!({"givenName": "g"}));
        assert_eq!(r["id"], json!("1"));
    }
}
