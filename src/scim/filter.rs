//! The filter language of RFC 7644 §3.4.2.2: a tokenizer, a recursive-descent parser with depth
//! and size limits, and an in-memory evaluator used for value paths inside PATCH.

use super::error::{ScimError, ScimResult};
use serde_json::Value;
use std::fmt;

/// Largest filter accepted, in bytes, and deepest nesting of parentheses, `not` and brackets.
pub const MAX_FILTER_LEN: usize = 8 * 1024;
pub const MAX_DEPTH: usize = 32;

/// An attribute path as written: `urn:...:User:manager.value` gives urn, attr and sub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses `[urn:]attr[.sub]`. Attribute names cannot contain `:`, so a URN ends at the
    /// last colon, which keeps dotted URNs such as `...:2.0:User` intact.
    pub fn parse(text: &str) -> Option<AttrPath> {
        let (urn, rest) = match text.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("urn:") => {
                let colon = text.rfind(':')?;
                (Some(text[..colon].to_string()), &text[colon + 1..])
            }
            _ => (None, text),
        };
        let (attr, sub) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        if !valid_name(attr) || sub.is_some_and(|s| !valid_name(s)) {
            return None;
        }
        Some(AttrPath {
            urn,
            attr: attr.to_string(),
            sub: sub.map(str::to_string),
        })
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(u) = &self.urn {
            write!(f, "{u}:")?;
        }
        write!(f, "{}", self.attr)?;
        if let Some(s) = &self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

/// RFC 7643 §2.1 ATTRNAME, plus `$ref`.
fn valid_name(name: &str) -> bool {
    if name == "$ref" {
        return true;
    }
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<CompareOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(AttrPath),
    Compare(AttrPath, CompareOp, Value),
    /// `attr[inner]`: some value of the multi-valued `attr` matches `inner`, whose paths name
    /// sub-attributes.
    ValuePath(AttrPath, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Str(String),
    Word(String),
}

fn tokenize(input: &str) -> ScimResult<Vec<(usize, Tok)>> {
    let bytes = input.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' => {
                out.push((i, Tok::LParen));
                i += 1
            }
            b')' => {
                out.push((i, Tok::RParen));
                i += 1
            }
            b'[' => {
                out.push((i, Tok::LBracket));
                i += 1
            }
            b']' => {
                out.push((i, Tok::RBracket));
                i += 1
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut escaped = false;
                while i < bytes.len() && (escaped || bytes[i] != b'"') {
                    escaped = !escaped && bytes[i] == b'\\';
                    i += 1;
                }
                if i >= bytes.len() {
                    return Err(err_at(start, "unterminated string"));
                }
                i += 1;
                // A filter string is a JSON string (RFC 7644 §3.4.2.2), escapes included.
                let s: String = serde_json::from_str(&input[start..i])
                    .map_err(|_| err_at(start, "invalid escape in string"))?;
                out.push((start, Tok::Str(s)));
            }
            _ => {
                let start = i;
                while i < bytes.len() && !b" \t\r\n()[]\"".contains(&bytes[i]) {
                    i += 1;
                }
                out.push((start, Tok::Word(input[start..i].to_string())));
            }
        }
    }
    Ok(out)
}

fn err_at(pos: usize, what: &str) -> ScimError {
    ScimError::invalid_filter(format!("invalid filter at position {}: {what}", pos + 1))
}

/// Parses a complete filter expression.
pub fn parse(input: &str) -> ScimResult<Filter> {
    if input.len() > MAX_FILTER_LEN {
        return Err(ScimError::invalid_filter(format!(
            "filter is longer than {MAX_FILTER_LEN} bytes"
        )));
    }
    let mut p = Parser::new(input)?;
    if p.toks.is_empty() {
        return Err(ScimError::invalid_filter("filter is empty"));
    }
    let f = p.or_expr()?;
    p.expect_end()?;
    Ok(f)
}

pub(crate) struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    depth: usize,
    len: usize,
}

impl Parser {
    pub(crate) fn new(input: &str) -> ScimResult<Parser> {
        Ok(Parser {
            toks: tokenize(input)?,
            pos: 0,
            depth: 0,
            len: input.len(),
        })
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.1)
    }

    fn here(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len, |t| t.0)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.1.clone());
        self.pos += 1;
        t
    }

    fn peek_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    pub(crate) fn at_bracket(&self) -> bool {
        self.peek() == Some(&Tok::LBracket)
    }

    pub(crate) fn expect_end(&self) -> ScimResult<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(err_at(self.here(), "unexpected input")),
        }
    }

    fn enter(&mut self) -> ScimResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err_at(self.here(), "filter is nested too deeply"));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> ScimResult<Filter> {
        let mut left = self.and_expr()?;
        while self.peek_keyword("or") {
            self.pos += 1;
            let right = self.and_expr()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> ScimResult<Filter> {
        let mut left = self.unary()?;
        while self.peek_keyword("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> ScimResult<Filter> {
        if self.peek_keyword("not")
            && self.toks.get(self.pos + 1).map(|t| &t.1) == Some(&Tok::LParen)
        {
            self.pos += 1;
            let inner = self.group()?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Tok::LParen) {
            return self.group();
        }
        self.attr_expr()
    }

    fn group(&mut self) -> ScimResult<Filter> {
        self.enter()?;
        self.pos += 1; // '('
        let inner = self.or_expr()?;
        if self.next() != Some(Tok::RParen) {
            return Err(err_at(
                self.toks.get(self.pos - 1).map_or(self.len, |t| t.0),
                "expected ')'",
            ));
        }
        self.depth -= 1;
        Ok(inner)
    }

    pub(crate) fn attr_path(&mut self) -> ScimResult<AttrPath> {
        let at = self.here();
        match self.next() {
            Some(Tok::Word(w)) => AttrPath::parse(&w)
                .ok_or_else(|| err_at(at, &format!("invalid attribute path '{w}'"))),
            _ => Err(err_at(at, "expected an attribute path")),
        }
    }

    /// `attr[filter]`, after the attribute path has been read; the `[` is next.
    pub(crate) fn value_filter(&mut self) -> ScimResult<Filter> {
        self.enter()?;
        self.pos += 1; // '['
        let inner = self.or_expr()?;
        if self.next() != Some(Tok::RBracket) {
            return Err(err_at(
                self.toks.get(self.pos - 1).map_or(self.len, |t| t.0),
                "expected ']'",
            ));
        }
        self.depth -= 1;
        Ok(inner)
    }

    /// A word directly after `]` that starts with a dot: the sub-attribute of a value path.
    pub(crate) fn sub_after_bracket(&mut self) -> ScimResult<Option<String>> {
        let at = self.here();
        match self.peek() {
            Some(Tok::Word(w)) if w.starts_with('.') => {
                let name = w[1..].to_string();
                if !valid_name(&name) {
                    return Err(err_at(at, "invalid sub-attribute"));
                }
                self.pos += 1;
                Ok(Some(name))
            }
            _ => Ok(None),
        }
    }

    fn attr_expr(&mut self) -> ScimResult<Filter> {
        let path = self.attr_path()?;
        if self.peek() == Some(&Tok::LBracket) {
            let inner = self.value_filter()?;
            // Entra sends `emails[type eq "work"].value eq "x"`: the same as
            // `emails[type eq "work" and value eq "x"]`.
            if let Some(sub) = self.sub_after_bracket()? {
                let rel = AttrPath {
                    urn: None,
                    attr: sub,
                    sub: None,
                };
                let tail = self.comparison(rel)?;
                return Ok(Filter::ValuePath(
                    path,
                    Box::new(Filter::And(Box::new(inner), Box::new(tail))),
                ));
            }
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        self.comparison(path)
    }

    fn comparison(&mut self, path: AttrPath) -> ScimResult<Filter> {
        let at = self.here();
        let op = match self.next() {
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("pr") => return Ok(Filter::Present(path)),
            Some(Tok::Word(w)) => CompareOp::parse(&w)
                .ok_or_else(|| err_at(at, &format!("unknown operator '{w}'")))?,
            _ => return Err(err_at(at, "expected an operator")),
        };
        let at = self.here();
        let value = match self.next() {
            Some(Tok::Str(s)) => Value::String(s),
            Some(Tok::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => serde_json::from_str::<serde_json::Number>(&w)
                    .map(Value::Number)
                    .map_err(|_| err_at(at, &format!("invalid value '{w}'")))?,
            },
            _ => return Err(err_at(at, "expected a value")),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

impl Filter {
    /// Evaluates the filter against one JSON object (a resource, or one value of a multi-valued
    /// complex attribute). `case_exact` tells, per path, whether strings compare exactly.
    pub fn matches(&self, obj: &Value, case_exact: &dyn Fn(&AttrPath) -> bool) -> bool {
        match self {
            Filter::And(a, b) => a.matches(obj, case_exact) && b.matches(obj, case_exact),
            Filter::Or(a, b) => a.matches(obj, case_exact) || b.matches(obj, case_exact),
            Filter::Not(a) => !a.matches(obj, case_exact),
            Filter::Present(p) => lookup(obj, p).iter().any(|v| present(v)),
            Filter::Compare(p, op, lit) => {
                let values = lookup(obj, p);
                if lit.is_null() {
                    let any = values.iter().any(|v| present(v));
                    return match op {
                        CompareOp::Eq => !any,
                        CompareOp::Ne => any,
                        _ => false,
                    };
                }
                let exact = case_exact(p);
                match op {
                    CompareOp::Ne => !values.iter().any(|v| compare(v, CompareOp::Eq, lit, exact)),
                    _ => values.iter().any(|v| compare(v, *op, lit, exact)),
                }
            }
            Filter::ValuePath(p, inner) => {
                lookup(obj, p).iter().any(|v| inner.matches(v, &|_| false))
            }
        }
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn get_ci<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Every value a path reaches, flattening multi-valued attributes.
fn lookup<'a>(obj: &'a Value, p: &AttrPath) -> Vec<&'a Value> {
    let base = match &p.urn {
        Some(u) => get_ci(obj, u).and_then(|ext| get_ci(ext, &p.attr)),
        None => get_ci(obj, &p.attr),
    };
    let mut out = Vec::new();
    let Some(base) = base else { return out };
    let items: Vec<&Value> = match base {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    for item in items {
        match &p.sub {
            Some(s) => out.extend(get_ci(item, s)),
            None => out.push(item),
        }
    }
    out
}

fn fold(s: &str, exact: bool) -> std::borrow::Cow<'_, str> {
    if exact {
        s.into()
    } else {
        super::fold_case(s).into()
    }
}

fn compare(v: &Value, op: CompareOp, lit: &Value, exact: bool) -> bool {
    use std::cmp::Ordering;
    let ord = match (v, lit) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = (fold(a, exact), fold(b, exact));
            match op {
                CompareOp::Co => return a.contains(b.as_ref()),
                CompareOp::Sw => return a.starts_with(b.as_ref()),
                CompareOp::Ew => return a.ends_with(b.as_ref()),
                _ => a.as_ref().cmp(b.as_ref()),
            }
        }
        (Value::Bool(a), Value::Bool(b)) => {
            return match op {
                CompareOp::Eq => a == b,
                _ => false,
            }
        }
        // Entra sends booleans as strings; compare them as booleans.
        (Value::Bool(a), Value::String(b)) | (Value::String(b), Value::Bool(a)) => {
            return op == CompareOp::Eq && b.eq_ignore_ascii_case(if *a { "true" } else { "false" })
        }
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            _ => return false,
        },
        _ => return false,
    };
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmp(path: &str, op: CompareOp, v: Value) -> Filter {
        Filter::Compare(AttrPath::parse(path).unwrap(), op, v)
    }

    #[test]
    fn parses_rfc_examples() {
        // RFC 7644 §3.4.2.2, the example filters.
        for f in [
            r#"userName Eq "john""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            r#"title pr"#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ] {
            parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        let f = parse(r#"a eq 1 or b eq 2 and c eq 3"#).unwrap();
        assert_eq!(
            f,
            Filter::Or(
                Box::new(cmp("a", CompareOp::Eq, json!(1))),
                Box::new(Filter::And(
                    Box::new(cmp("b", CompareOp::Eq, json!(2))),
                    Box::new(cmp("c", CompareOp::Eq, json!(3)))
                ))
            )
        );
    }

    #[test]
    fn urn_paths_keep_dotted_versions() {
        let p = AttrPath::parse(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        )
        .unwrap();
        assert_eq!(
            p.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(p.attr, "manager");
        assert_eq!(p.sub.as_deref(), Some("value"));
    }

    #[test]
    fn escaped_quotes_and_keywords_in_any_case() {
        let f = parse(r#"displayName EQ "say \"hi\"" AND NOT (active Eq FALSE)"#).unwrap();
        let Filter::And(a, _) = f else { panic!() };
        assert_eq!(*a, cmp("displayName", CompareOp::Eq, json!("say \"hi\"")));
    }

    #[test]
    fn entra_value_path_with_trailing_sub_attribute() {
        let f = parse(r#"emails[type eq "work"].value eq "a@x.org""#).unwrap();
        let user = json!({"emails": [{"type": "home", "value": "a@x.org"}, {"type": "work", "value": "A@X.org"}]});
        assert!(f.matches(&user, &|_| false));
        let f = parse(r#"emails[type eq "home"].value eq "b@x.org""#).unwrap();
        assert!(!f.matches(&user, &|_| false));
    }

    #[test]
    fn errors_name_the_position() {
        let e = parse(r#"userName eq"#).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.detail.contains("position 12"), "{}", e.detail);
        let e = parse(r#"userName zz "x""#).unwrap_err();
        assert!(e.detail.contains("position 10"), "{}", e.detail);
        assert!(parse(r#"(userName eq "x""#).is_err());
        assert!(parse(r#"userName eq "x" extra"#).is_err());
        assert!(parse(r#"userName eq "unterminated"#).is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn depth_is_limited() {
        let deep = format!("{}a pr{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().detail.contains("deeply"));
        let ok = format!("{}a pr{}", "(".repeat(10), ")".repeat(10));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn evaluates_comparisons() {
        let v = json!({"value": "Bob@Example.com", "type": "work", "primary": true, "n": 5});
        let t = |f: &str| parse(f).unwrap().matches(&v, &|_| false);
        assert!(t(r#"value eq "bob@example.com""#));
        assert!(t(r#"value sw "bob" and value ew ".COM""#));
        assert!(t(r#"primary eq true"#));
        assert!(t(r#"n gt 4 and n le 5"#));
        assert!(!t(r#"n lt 5"#));
        assert!(t(r#"not (type eq "home")"#));
        assert!(t(r#"display eq null"#));
        assert!(!t(r#"display pr"#));
        let exact = parse(r#"value eq "bob@example.com""#).unwrap();
        assert!(!exact.matches(&v, &|_| true));
    }
}
