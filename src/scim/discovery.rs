//! Discovery documents (RFC 7643 §5-7), generated from the schema model the server validates
//! with, so what is advertised cannot drift from what is enforced.

use super::error::{ScimError, ScimResult};
use super::list::{list_response, MAX_RESULTS};
use super::schema::{AttrType, Attribute, ResourceType, Schema, ALL_SCHEMAS, RESOURCE_TYPES};
use serde_json::{json, Value};

pub const SPC_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Largest request body, and so largest Bulk payload, in bytes.
pub const MAX_PAYLOAD: usize = 1024 * 1024;
/// Most operations in one Bulk request.
pub const MAX_BULK_OPERATIONS: usize = 1000;

/// The document for `/ServiceProviderConfig`, `/ResourceTypes[/id]` or `/Schemas[/id]`
/// (`endpoint` lower-cased).
pub fn document(endpoint: &str, id: Option<&str>, base: &str) -> ScimResult<Value> {
    match (endpoint, id) {
        ("serviceproviderconfig", None) => Ok(service_provider_config(base)),
        ("resourcetypes", None) => {
            let all: Vec<Value> = RESOURCE_TYPES
                .iter()
                .map(|rt| resource_type(rt, base))
                .collect();
            Ok(list_response(all.len() as i64, 1, all))
        }
        ("resourcetypes", Some(id)) => RESOURCE_TYPES
            .iter()
            .find(|rt| rt.name == id)
            .map(|rt| resource_type(rt, base))
            .ok_or_else(|| ScimError::not_found(format!("no resource type {id}"))),
        ("schemas", None) => {
            let all: Vec<Value> = ALL_SCHEMAS.iter().map(|s| schema(s, base)).collect();
            Ok(list_response(all.len() as i64, 1, all))
        }
        ("schemas", Some(id)) => ALL_SCHEMAS
            .iter()
            .find(|s| s.id == id)
            .map(|s| schema(s, base))
            .ok_or_else(|| ScimError::not_found(format!("no schema {id}"))),
        _ => Err(ScimError::not_found("no such discovery document")),
    }
}

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_URN],
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": MAX_BULK_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with the bearer token from `gorbit-scim token generate`, sent as `Authorization: Bearer <token>`.",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig")
        }
    })
}

fn resource_type(rt: &ResourceType, base: &str) -> Value {
    let extensions: Vec<Value> = rt
        .extensions
        .iter()
        .map(|(s, required)| json!({"schema": s.id, "required": required}))
        .collect();
    json!({
        "schemas": [RESOURCE_TYPE_URN],
        "id": rt.name,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", rt.name)}
    })
}

fn schema(s: &Schema, base: &str) -> Value {
    json!({
        "schemas": [SCHEMA_URN],
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "attributes": s.attributes.iter().map(attribute).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", s.id)}
    })
}

fn attribute(a: &Attribute) -> Value {
    let mut v = json!({
        "name": a.name,
        "type": a.ty.as_str(),
        "multiValued": a.multi_valued,
        "description": a.description,
        "required": a.required,
        "caseExact": a.case_exact,
        "mutability": a.mutability.as_str(),
        "returned": a.returned.as_str(),
        "uniqueness": a.uniqueness.as_str(),
    });
    if !a.canonical_values.is_empty() {
        v["canonicalValues"] = json!(a.canonical_values);
    }
    if a.ty == AttrType::Reference {
        v["referenceTypes"] = json!(a.reference_types);
    }
    if a.ty == AttrType::Complex {
        v["subAttributes"] = Value::Array(a.sub_attributes.iter().map(attribute).collect());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER_URN, USER_SCHEMA};

    #[test]
    fn every_schema_attribute_is_advertised() {
        let doc = document("schemas", Some(USER_SCHEMA.id), "http://x").unwrap();
        let names: Vec<&str> = doc["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), USER_SCHEMA.attributes.len());
        let rt = document("resourcetypes", Some("User"), "http://x").unwrap();
        assert_eq!(rt["schemaExtensions"][0]["schema"], ENTERPRISE_USER_URN);
        assert!(document("schemas", Some("nope"), "x").is_err());
    }
}
