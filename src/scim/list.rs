//! Query parameters of a list or search (RFC 7644 §3.4.2) and the ListResponse message.

use super::error::{ScimError, ScimResult};
use super::filter::{self, AttrPath, Filter};
use serde_json::{json, Value};

pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// Largest page served, advertised as `filter.maxResults`. Okta pages by 100.
pub const MAX_RESULTS: i64 = 1000;
/// Page size when the client names none.
pub const DEFAULT_COUNT: i64 = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct ListParams {
    pub filter: Option<Filter>,
    /// 1-based, at least 1.
    pub start_index: i64,
    /// 0 to `MAX_RESULTS`; 0 asks for totals only.
    pub count: i64,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl Default for ListParams {
    fn default() -> Self {
        ListParams {
            filter: None,
            start_index: 1,
            count: DEFAULT_COUNT,
            sort_by: None,
            descending: false,
            attributes: None,
            excluded_attributes: None,
        }
    }
}

/// One parameter as text: a query-string value, or a SearchRequest member (numbers allowed).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    }
}

/// Integers clamp as RFC 7644 §3.4.2.4 says rather than fail; a non-number is a 400.
fn integer(name: &str, raw: &str) -> ScimResult<i64> {
    let raw = raw.trim();
    raw.parse::<i64>()
        .or_else(|_| raw.parse::<f64>().map(|f| f as i64))
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, not '{raw}'")))
}

impl ListParams {
    /// Reads parameters by name, case-insensitively; unknown ones (Entra's
    /// `aadOptscim062020`) are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> ScimResult<Self> {
        let mut p = ListParams::default();
        for (name, value) in pairs {
            let Some(v) = text(&value) else { continue };
            match name.to_ascii_lowercase().as_str() {
                "filter" if !v.trim().is_empty() => p.filter = Some(filter::parse(&v)?),
                "startindex" => p.start_index = integer("startIndex", &v)?.max(1),
                "count" => p.count = integer("count", &v)?.clamp(0, MAX_RESULTS),
                "sortby" if !v.trim().is_empty() => {
                    p.sort_by = Some(AttrPath::parse(v.trim()).ok_or_else(|| {
                        ScimError::invalid_value(format!("sortBy: invalid attribute '{v}'"))
                    })?)
                }
                "sortorder" => p.descending = v.trim().eq_ignore_ascii_case("descending"),
                "attributes" if !v.is_empty() => p.attributes = Some(v),
                "excludedattributes" if !v.is_empty() => p.excluded_attributes = Some(v),
                _ => {}
            }
        }
        Ok(p)
    }
}

pub fn list_response(total: i64, start_index: i64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_URN],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&'static str, &str)]) -> ScimResult<ListParams> {
        ListParams::from_pairs(pairs.iter().map(|(k, v)| (*k, Value::from(*v))))
    }

    #[test]
    fn clamps_out_of_range_values() {
        let p = q(&[("startIndex", "-5"), ("count", "100000")]).unwrap();
        assert_eq!((p.start_index, p.count), (1, MAX_RESULTS));
        let p = q(&[("startIndex", "0"), ("count", "-1")]).unwrap();
        assert_eq!((p.start_index, p.count), (1, 0));
        assert!(q(&[("count", "ten")]).is_err());
        let p = q(&[("aadOptscim062020", "x"), ("SORTORDER", "descending")]).unwrap();
        assert!(p.descending);
    }
}
