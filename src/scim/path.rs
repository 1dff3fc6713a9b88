//! PATCH paths (RFC 7644 §3.5.2): `attr`, `attr.sub`, `urn:...:attr`, `attr[filter]` and
//! `attr[filter].sub`, parsed with the filter grammar's own pieces.

use super::error::{ScimError, ScimResult};
use super::filter::{AttrPath, Filter, Parser};

#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// `attr.sub` without a filter keeps `sub` here.
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter: `emails[type eq "work"].value`.
    pub sub_after_filter: Option<String>,
}

impl PatchPath {
    /// The sub-attribute the path ends on, wherever it was written.
    pub fn sub(&self) -> Option<&str> {
        self.sub_after_filter
            .as_deref()
            .or(self.attr.sub.as_deref())
    }
}

pub fn parse(text: &str) -> ScimResult<PatchPath> {
    let bad =
        |e: ScimError| ScimError::invalid_path(format!("invalid path '{text}': {}", e.detail));
    let mut p = Parser::new(text).map_err(bad)?;
    let attr = p.attr_path().map_err(bad)?;
    let mut path = PatchPath {
        attr,
        filter: None,
        sub_after_filter: None,
    };
    if p.at_bracket() {
        if path.attr.sub.is_some() {
            return Err(ScimError::invalid_path(format!(
                "invalid path '{text}': a value filter must follow the attribute"
            )));
        }
        path.filter = Some(p.value_filter().map_err(bad)?);
        path.sub_after_filter = p.sub_after_bracket().map_err(bad)?;
    }
    p.expect_end().map_err(bad)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_paths_entra_and_okta_send() {
        let p = parse(r#"emails[type eq "other"].Value"#).unwrap();
        assert_eq!(p.attr.attr, "emails");
        assert!(p.filter.is_some());
        assert_eq!(p.sub(), Some("Value"));

        let p = parse("name.givenName").unwrap();
        assert_eq!(p.sub(), Some("givenName"));

        let p =
            parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").unwrap();
        assert_eq!(p.attr.attr, "manager");
        assert!(p.attr.urn.is_some());

        let p = parse(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#).unwrap();
        assert_eq!(p.attr.attr, "members");
        assert_eq!(p.sub(), None);
    }

    #[test]
    fn bad_paths_are_invalid_path() {
        for bad in [
            "",
            "emails[type eq",
            "emails]",
            "na me",
            "name.givenName[type eq \"x\"]",
            "1abc",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(
                e.scim_type,
                Some(super::super::error::ScimType::InvalidPath),
                "{bad}"
            );
        }
    }
}
