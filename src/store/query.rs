//! Filter AST to SQL: every filter runs inside SQLite, on indexed columns where the attribute
//! has one and on the stored JSON (`json_extract`, `json_each`) otherwise. Never loads every
//! resource into memory.

use super::{StoreResult, Stored, STORED_COLUMNS};
use crate::scim::error::{ScimError, ScimResult};
use crate::scim::filter::{AttrPath, CompareOp, Filter};
use crate::scim::fold_case;
use crate::scim::schema::{AttrType, Attribute, Container, ResolvedAttr, ResourceType};
use crate::scim::time;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};
use serde_json::Value;

/// A compiled WHERE condition and its parameters, in order.
#[derive(Debug, Clone, Default)]
pub struct SqlFilter {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Text; `prefolded` means the column already holds the case-folded value.
    Text {
        case_exact: bool,
        prefolded: bool,
    },
    Bool,
    Number,
    /// Milliseconds since the epoch in a column.
    Time,
}

fn kind_of(a: &Attribute) -> Kind {
    match a.ty {
        AttrType::Boolean => Kind::Bool,
        AttrType::Integer | AttrType::Decimal => Kind::Number,
        _ => Kind::Text {
            case_exact: a.case_exact,
            prefolded: false,
        },
    }
}

/// Where a comparison's left-hand side comes from.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// A whole resource row of `table`.
    Resource,
    /// One value of a multi-valued complex attribute, as `j.value` of `json_each`.
    Element(&'static Attribute),
    /// One row of the membership table, under this alias.
    Members(&'a str),
    /// One of a user's groups: the membership row `m` joined to group `g`.
    UserGroups,
}

struct Compiler {
    rt: &'static ResourceType,
    table: &'static str,
    params: Vec<SqlValue>,
}

fn table_of(rt: &ResourceType) -> &'static str {
    if rt.name == "User" {
        "users"
    } else {
        "groups"
    }
}

fn json_path(container: &Container, name: &str, sub: Option<&str>) -> String {
    let mut p = String::from("$");
    match container {
        Container::Core => {}
        Container::Extension(u) => p.push_str(&format!(".\"{u}\"")),
        Container::Custom(u) => p.push_str(&format!(".\"{}\"", u.replace('"', ""))),
    }
    p.push_str(&format!(".\"{name}\""));
    if let Some(s) = sub {
        p.push_str(&format!(".\"{s}\""));
    }
    p
}

impl Compiler {
    /// Binds a value and returns its numbered placeholder, so an expression may repeat.
    fn param(&mut self, v: impl Into<SqlValue>) -> String {
        self.params.push(v.into());
        format!("?{}", self.params.len())
    }

    fn resolve(&self, p: &AttrPath) -> ScimResult<ResolvedAttr> {
        self.rt
            .resolve(p.urn.as_deref(), &p.attr)
            .ok_or_else(|| ScimError::invalid_filter(format!("unknown attribute '{p}' in filter")))
    }

    fn sub_def(
        attr: Option<&'static Attribute>,
        p: &AttrPath,
        sub: &str,
    ) -> ScimResult<Option<&'static Attribute>> {
        match attr {
            Some(a) => a.sub(sub).map(Some).ok_or_else(|| {
                ScimError::invalid_filter(format!("unknown attribute '{p}' in filter"))
            }),
            None => Ok(None),
        }
    }

    /// A column that mirrors an attribute, when there is one.
    fn column(&self, r: &ResolvedAttr, sub: Option<&str>) -> Option<(String, Kind)> {
        if r.container != Container::Core {
            return None;
        }
        let t = self.table;
        let exact = Kind::Text {
            case_exact: true,
            prefolded: false,
        };
        let folded = Kind::Text {
            case_exact: false,
            prefolded: true,
        };
        let col = match (r.name.as_str(), sub) {
            ("id", None) => (format!("{t}.id"), exact),
            ("externalId", None) => (format!("{t}.external_id"), exact),
            ("meta", Some("created")) => (format!("{t}.created"), Kind::Time),
            ("meta", Some("lastModified")) => (format!("{t}.modified"), Kind::Time),
            ("userName", None) if t == "users" => (format!("{t}.user_name_key"), folded),
            ("active", None) if t == "users" => (format!("{t}.active"), Kind::Bool),
            ("displayName", None) if t == "groups" => (format!("{t}.display_name_key"), folded),
            _ => return None,
        };
        Some(col)
    }

    fn compile(&mut self, f: &Filter, scope: Scope) -> ScimResult<String> {
        Ok(match f {
            Filter::And(a, b) => format!(
                "({} AND {})",
                self.compile(a, scope)?,
                self.compile(b, scope)?
            ),
            Filter::Or(a, b) => format!(
                "({} OR {})",
                self.compile(a, scope)?,
                self.compile(b, scope)?
            ),
            Filter::Not(a) => format!("(NOT IFNULL({}, 0))", self.compile(a, scope)?),
            Filter::Present(p) => self.leaf(p, None, scope)?,
            Filter::Compare(p, op, v) => self.leaf(p, Some((*op, v)), scope)?,
            Filter::ValuePath(p, inner) => self.value_path(p, inner, scope)?,
        })
    }

    fn value_path(&mut self, p: &AttrPath, inner: &Filter, scope: Scope) -> ScimResult<String> {
        if !matches!(scope, Scope::Resource) || p.sub.is_some() {
            return Err(ScimError::invalid_filter(format!(
                "value filter not allowed on '{p}'"
            )));
        }
        let r = self.resolve(p)?;
        let Some(attr) = r.attr.filter(|a| a.multi_valued && a.is_complex()) else {
            return Err(ScimError::invalid_filter(format!(
                "'{p}' is not a multi-valued complex attribute"
            )));
        };
        self.exists(&r, attr, |c, s| c.compile(inner, s), index_hint(inner))
    }

    /// EXISTS over the values of a multi-valued attribute, each matched by `cond`.
    fn exists(
        &mut self,
        r: &ResolvedAttr,
        attr: &'static Attribute,
        cond: impl FnOnce(&mut Self, Scope) -> ScimResult<String>,
        email_eq: Option<&str>,
    ) -> ScimResult<String> {
        let t = self.table;
        match (t, attr.name, &r.container) {
            ("groups", "members", Container::Core) => {
                let c = cond(self, Scope::Members("m"))?;
                Ok(format!(
                    "EXISTS (SELECT 1 FROM members m WHERE m.group_seq = groups.seq AND {c})"
                ))
            }
            ("users", "groups", Container::Core) => {
                let c = cond(self, Scope::UserGroups)?;
                Ok(format!(
                    "EXISTS (SELECT 1 FROM members m JOIN groups g ON g.seq = m.group_seq WHERE m.member_id = users.id AND {c})"
                ))
            }
            _ => {
                // emails.value has its own index: narrow by it first.
                let mut prefix = String::new();
                if let (Some(v), "users", "emails") = (email_eq, t, attr.name) {
                    let ph = self.param(fold_case(v));
                    prefix = format!("users.seq IN (SELECT user_seq FROM user_emails WHERE value_key = {ph}) AND ");
                }
                let path = self.param(json_path(&r.container, &r.name, None));
                let c = cond(self, Scope::Element(attr))?;
                Ok(format!(
                    "({prefix}EXISTS (SELECT 1 FROM json_each({t}.data, {path}) j WHERE {c}))"
                ))
            }
        }
    }

    fn leaf(
        &mut self,
        p: &AttrPath,
        cmp: Option<(CompareOp, &Value)>,
        scope: Scope,
    ) -> ScimResult<String> {
        let (expr, kind) = match scope {
            Scope::Resource => {
                if p.urn.is_none() && p.attr.eq_ignore_ascii_case("schemas") && p.sub.is_none() {
                    return self.schemas_leaf(cmp);
                }
                let r = self.resolve(p)?;
                if let Some(attr) = r.attr.filter(|a| a.multi_valued) {
                    // `emails co "x"` and `emails.value eq "x"`: some value matches.
                    let sub = if attr.is_complex() {
                        Some(p.sub.as_deref().unwrap_or("value"))
                    } else {
                        None
                    };
                    let email_eq = match (sub, cmp) {
                        (Some(s), Some((CompareOp::Eq, Value::String(v))))
                            if s.eq_ignore_ascii_case("value") =>
                        {
                            Some(v.as_str())
                        }
                        _ => None,
                    };
                    let rel = AttrPath {
                        urn: None,
                        attr: sub.unwrap_or("value").to_string(),
                        sub: None,
                    };
                    let email_eq = email_eq.map(str::to_string);
                    return self.exists(&r, attr, |c, s| c.leaf(&rel, cmp, s), email_eq.as_deref());
                }
                match self.column(&r, p.sub.as_deref()) {
                    Some(col) => col,
                    None => {
                        let sub_def = match &p.sub {
                            Some(s) => Self::sub_def(r.attr, p, s)?,
                            None => None,
                        };
                        let kind = sub_def.or(r.attr).map_or(
                            Kind::Text {
                                case_exact: false,
                                prefolded: false,
                            },
                            kind_of,
                        );
                        let sub = sub_def.map(|d| d.name).or(p.sub.as_deref());
                        let path = self.param(json_path(&r.container, &r.name, sub));
                        (format!("json_extract({}.data, {path})", self.table), kind)
                    }
                }
            }
            Scope::Element(attr) => {
                let def = attr
                    .sub(&p.attr)
                    .filter(|_| p.urn.is_none() && p.sub.is_none())
                    .ok_or_else(|| {
                        ScimError::invalid_filter(format!(
                            "unknown attribute '{}.{p}' in filter",
                            attr.name
                        ))
                    })?;
                let path = self.param(format!("$.\"{}\"", def.name));
                (format!("json_extract(j.value, {path})"), kind_of(def))
            }
            Scope::Members(alias) => {
                let exact = Kind::Text {
                    case_exact: true,
                    prefolded: false,
                };
                match p.attr.to_ascii_lowercase().as_str() {
                    "value" => (format!("{alias}.member_id"), exact),
                    "type" => (format!("{alias}.member_type"), Kind::Text { case_exact: false, prefolded: false }),
                    "display" => (
                        format!("(SELECT COALESCE(u.display_name, u.user_name) FROM users u WHERE u.id = {alias}.member_id UNION ALL SELECT g2.display_name FROM groups g2 WHERE g2.id = {alias}.member_id)"),
                        Kind::Text { case_exact: false, prefolded: false },
                    ),
                    _ => return Err(ScimError::invalid_filter(format!("unknown attribute 'members.{p}' in filter"))),
                }
            }
            Scope::UserGroups => match p.attr.to_ascii_lowercase().as_str() {
                "value" => (
                    "g.id".to_string(),
                    Kind::Text {
                        case_exact: true,
                        prefolded: false,
                    },
                ),
                "display" => (
                    "g.display_name".to_string(),
                    Kind::Text {
                        case_exact: false,
                        prefolded: false,
                    },
                ),
                "type" => (
                    "'direct'".to_string(),
                    Kind::Text {
                        case_exact: false,
                        prefolded: false,
                    },
                ),
                _ => {
                    return Err(ScimError::invalid_filter(format!(
                        "unknown attribute 'groups.{p}' in filter"
                    )))
                }
            },
        };
        match cmp {
            None => Ok(match kind {
                Kind::Text { .. } => format!("({expr} IS NOT NULL AND {expr} <> '')"),
                _ => format!("({expr} IS NOT NULL)"),
            }),
            Some((op, lit)) => self.comparison(&expr, kind, op, lit, p),
        }
    }

    /// `schemas eq "urn:..."` (an RFC 7644 example): the core schema always, an extension when
    /// the resource has it.
    fn schemas_leaf(&mut self, cmp: Option<(CompareOp, &Value)>) -> ScimResult<String> {
        let urn = match cmp {
            None => return Ok("1".into()),
            Some((CompareOp::Eq, Value::String(s))) => s.clone(),
            _ => {
                return Err(ScimError::invalid_filter(
                    "only 'schemas eq \"urn\"' and 'schemas pr' are supported",
                ))
            }
        };
        if self.rt.is_core_urn(&urn) {
            return Ok("1".into());
        }
        let path = self.param(format!("$.\"{}\"", urn.replace('"', "")));
        Ok(format!(
            "(json_type({}.data, {path}) IS NOT NULL)",
            self.table
        ))
    }

    fn comparison(
        &mut self,
        expr: &str,
        kind: Kind,
        op: CompareOp,
        lit: &Value,
        p: &AttrPath,
    ) -> ScimResult<String> {
        let bad = |what: &str| ScimError::invalid_filter(format!("{p}: {what}"));
        if lit.is_null() {
            return match op {
                CompareOp::Eq => Ok(format!("({expr} IS NULL)")),
                CompareOp::Ne => Ok(format!("({expr} IS NOT NULL)")),
                _ => Err(bad("null can only be compared with eq or ne")),
            };
        }
        let (lhs, ph): (String, String) = match kind {
            Kind::Text {
                case_exact,
                prefolded,
            } => {
                let text = match lit {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if case_exact {
                    (expr.to_string(), self.param(text))
                } else {
                    let lhs = if prefolded {
                        expr.to_string()
                    } else {
                        format!("scim_fold({expr})")
                    };
                    (lhs, self.param(fold_case(&text)))
                }
            }
            Kind::Bool => {
                let b = match lit {
                    Value::Bool(b) => *b,
                    // Entra's string booleans.
                    Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                    Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                    _ => return Err(bad("expected true or false")),
                };
                if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                    return Err(bad("booleans compare only with eq or ne"));
                }
                (expr.to_string(), self.param(b as i64))
            }
            Kind::Number => {
                let n = lit.as_f64().ok_or_else(|| bad("expected a number"))?;
                (expr.to_string(), self.param(n))
            }
            Kind::Time => {
                let ms = lit
                    .as_str()
                    .and_then(time::parse_ms)
                    .ok_or_else(|| bad("expected a dateTime such as \"2026-01-31T12:00:00Z\""))?;
                (expr.to_string(), self.param(ms))
            }
        };
        let text_only = |s: String| -> ScimResult<String> {
            match kind {
                Kind::Text { .. } => Ok(s),
                _ => Err(bad("co, sw and ew apply to strings only")),
            }
        };
        match op {
            CompareOp::Eq => Ok(format!("({lhs} = {ph})")),
            CompareOp::Ne => Ok(format!("({lhs} IS NULL OR {lhs} <> {ph})")),
            CompareOp::Gt => Ok(format!("({lhs} > {ph})")),
            CompareOp::Ge => Ok(format!("({lhs} >= {ph})")),
            CompareOp::Lt => Ok(format!("({lhs} < {ph})")),
            CompareOp::Le => Ok(format!("({lhs} <= {ph})")),
            CompareOp::Co => text_only(format!("(instr({lhs}, {ph}) > 0)")),
            CompareOp::Sw => text_only(format!("(instr({lhs}, {ph}) = 1)")),
            CompareOp::Ew => text_only(format!(
                "(length({lhs}) >= length({ph}) AND substr({lhs}, length({lhs}) - length({ph}) + 1) = {ph})"
            )),
        }
    }

    fn order_by(&mut self, sort: &AttrPath) -> Option<String> {
        let r = self.resolve(sort).ok()?;
        let t = self.table;
        if let Some((expr, kind)) = self.column(&r, sort.sub.as_deref()) {
            return Some(match kind {
                Kind::Text {
                    case_exact: false,
                    prefolded: false,
                } => format!("scim_fold({expr})"),
                _ => expr,
            });
        }
        let attr = r.attr?;
        if attr.multi_valued {
            if !attr.is_complex()
                || (t, attr.name) == ("groups", "members")
                || attr.name == "groups"
            {
                return None;
            }
            // RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary (else first) value.
            let sub = sort
                .sub
                .as_deref()
                .and_then(|s| attr.sub(s))
                .map_or("value", |d| d.name);
            let path = self.param(json_path(&r.container, &r.name, None));
            return Some(format!(
                "(SELECT scim_fold(json_extract(j.value, '$.\"{sub}\"')) FROM json_each({t}.data, {path}) j ORDER BY json_extract(j.value, '$.primary') DESC LIMIT 1)"
            ));
        }
        let sub = match &sort.sub {
            Some(s) => Some(attr.sub(s)?.name),
            None => None,
        };
        let path = self.param(json_path(&r.container, &r.name, sub));
        Some(format!("scim_fold(json_extract({t}.data, {path}))"))
    }
}

/// The `value eq "x"` conjunct of a value filter, which the emails index can serve.
fn index_hint(f: &Filter) -> Option<&str> {
    match f {
        Filter::Compare(p, CompareOp::Eq, Value::String(s))
            if p.urn.is_none() && p.sub.is_none() && p.attr.eq_ignore_ascii_case("value") =>
        {
            Some(s)
        }
        Filter::And(a, b) => index_hint(a).or_else(|| index_hint(b)),
        _ => None,
    }
}

/// A compiled list query: filter, order, page.
#[derive(Debug, Clone)]
pub struct ListQuery {
    table: &'static str,
    where_sql: String,
    order: String,
    /// Filter parameters first, then the sort expression's.
    params: Vec<SqlValue>,
    filter_params: usize,
}

pub fn compile(
    rt: &'static ResourceType,
    filter: Option<&Filter>,
    sort: Option<&AttrPath>,
    descending: bool,
) -> ScimResult<ListQuery> {
    let table = table_of(rt);
    let mut c = Compiler {
        rt,
        table,
        params: vec![],
    };
    let where_sql = match filter {
        Some(f) => c.compile(f, Scope::Resource)?,
        None => "1".into(),
    };
    let filter_params = c.params.len();
    let dir = if descending { "DESC" } else { "ASC" };
    // Missing values sort last either way; seq keeps pages stable between requests.
    let order = match sort.and_then(|s| c.order_by(s)) {
        Some(e) => format!("({e}) IS NULL, {e} {dir}, {table}.seq {dir}"),
        None => format!("{table}.seq {dir}"),
    };
    Ok(ListQuery {
        table,
        where_sql,
        order,
        params: c.params,
        filter_params,
    })
}

/// Compiles a filter on a group's members (a PATCH `remove` path) against the members table.
pub fn compile_member_filter(rt: &'static ResourceType, filter: &Filter) -> ScimResult<SqlFilter> {
    let mut c = Compiler {
        rt,
        table: table_of(rt),
        params: vec![],
    };
    let sql = c.compile(filter, Scope::Members("members"))?;
    Ok(SqlFilter {
        sql,
        params: c.params,
    })
}

impl ListQuery {
    /// Total matches, and up to `limit` rows starting at `offset`.
    pub fn run(
        &self,
        conn: &Connection,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(i64, Vec<Stored>)> {
        let (t, w) = (self.table, &self.where_sql);
        let mut params = self.params.clone();
        let total: i64 = conn
            .prepare_cached(&format!("SELECT count(*) FROM {t} WHERE {w}"))?
            .query_row(params_from_iter(params[..self.filter_params].iter()), |r| {
                r.get(0)
            })?;
        if limit == 0 || offset >= total {
            return Ok((total, vec![]));
        }
        let n = params.len();
        let sql = format!(
            "SELECT {STORED_COLUMNS} FROM {t} WHERE {w} ORDER BY {} LIMIT ?{} OFFSET ?{}",
            self.order,
            n + 1,
            n + 2
        );
        params.push(limit.into());
        params.push(offset.into());
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(params), Stored::from_row)?;
        Ok((total, rows.collect::<Result<_, _>>()?))
    }

    /// Streams every match in order, for the CLI's JSON Lines output.
    pub fn for_each(
        &self,
        conn: &Connection,
        mut f: impl FnMut(Stored) -> std::io::Result<()>,
    ) -> StoreResult<()> {
        let sql = format!(
            "SELECT {STORED_COLUMNS} FROM {} WHERE {} ORDER BY {}",
            self.table, self.where_sql, self.order
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(self.params.iter()))?;
        while let Some(r) = rows.next()? {
            if f(Stored::from_row(r)?).is_err() {
                break; // the reader went away (a closed pipe)
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter;
    use crate::scim::schema::{GROUP, USER};
    use crate::store::{groups, open_database, users, OpenMode};
    use serde_json::json;

    /// A real database in a temp folder, removed on drop.
    struct Db(std::path::PathBuf, Connection);
    impl Drop for Db {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn db() -> Db {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "gorbit-scim-query-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let conn = open_database(&dir.join("q.db"), OpenMode::Create).unwrap();
        // Users shaped after the examples of RFC 7643 §8.
        for (name, title, user_type, email, family, modified) in [
            (
                "bjensen",
                "Tour Guide",
                "Employee",
                "bjensen@example.com",
                "Jensen",
                1_000,
            ),
            ("jsmith", "", "Intern", "js@example.org", "Smith", 2_000),
            (
                "Jöhn",
                "Manager",
                "Employee",
                "john@EXAMPLE.com",
                "O'Malley",
                3_000,
            ),
        ] {
            let mut data = json!({"userName": name, "userType": user_type, "active": name != "jsmith",
                "emails": [{"value": email, "type": "work", "primary": true}, {"value": format!("home-{email}"), "type": "home"}],
                "name": {"familyName": family},
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": format!("{modified}")}});
            if !title.is_empty() {
                data["title"] = json!(title);
            }
            users::insert(&conn, data.as_object().unwrap(), modified).unwrap();
        }
        Db(dir, conn)
    }

    fn names(db: &Db, f: &str) -> Vec<String> {
        let f = filter::parse(f).unwrap();
        let q = compile(&USER, Some(&f), None, false).unwrap();
        let (total, rows) = q.run(&db.1, 0, 100).unwrap();
        assert_eq!(total as usize, rows.len());
        rows.iter()
            .map(|r| r.data["userName"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn rfc_7644_filter_examples_run_in_sqlite() {
        let db = db();
        assert_eq!(names(&db, r#"userName Eq "BJENSEN""#), ["bjensen"]);
        assert_eq!(
            names(&db, r#"userName eq "jöhn""#),
            ["Jöhn"],
            "Unicode case folding"
        );
        assert_eq!(names(&db, r#"name.familyName co "O'Malley""#), ["Jöhn"]);
        assert_eq!(names(&db, r#"userName sw "J""#), ["jsmith", "Jöhn"]);
        assert_eq!(
            names(
                &db,
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "j""#
            ),
            ["jsmith", "Jöhn"]
        );
        assert_eq!(names(&db, r#"title pr"#), ["bjensen", "Jöhn"]);
        assert_eq!(
            names(&db, r#"meta.lastModified gt "1970-01-01T00:00:01Z""#),
            ["jsmith", "Jöhn"]
        );
        assert_eq!(
            names(&db, r#"meta.lastModified ge "1970-01-01T00:00:01Z""#),
            ["bjensen", "jsmith", "Jöhn"]
        );
        assert_eq!(
            names(&db, r#"title pr and userType eq "Employee""#),
            ["bjensen", "Jöhn"]
        );
        assert_eq!(
            names(&db, r#"title pr or userType eq "Intern""#),
            ["bjensen", "jsmith", "Jöhn"]
        );
        assert_eq!(
            names(
                &db,
                r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#
            )
            .len(),
            3
        );
        assert_eq!(
            names(
                &db,
                r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#
            ),
            ["bjensen", "Jöhn"]
        );
        assert_eq!(
            names(
                &db,
                r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            names(&db, r#"userType eq "Employee" and (emails.type eq "work")"#),
            ["bjensen", "Jöhn"]
        );
        assert_eq!(
            names(
                &db,
                r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#
            ),
            ["bjensen", "Jöhn"]
        );
        assert_eq!(
            names(
                &db,
                r#"emails[type eq "home" and value ew ".org"] or title eq "manager""#
            ),
            ["jsmith", "Jöhn"]
        );
        assert_eq!(names(&db, r#"active eq false"#), ["jsmith"]);
        assert_eq!(
            names(&db, r#"active eq "True""#),
            ["bjensen", "Jöhn"],
            "Entra's string booleans"
        );
        assert_eq!(names(&db, r#"title eq null"#), ["jsmith"]);
        assert_eq!(
            names(
                &db,
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "1500""#
            ),
            ["jsmith", "Jöhn"]
        );
        assert_eq!(
            names(&db, r#"emails[type eq "work"].value eq "JOHN@example.com""#),
            ["Jöhn"]
        );
    }

    #[test]
    fn bad_filters_are_invalid_filter_errors() {
        let db = db();
        for f in [
            r#"nosuch eq "x""#,
            r#"active gt true"#,
            r#"meta.created gt "yesterday""#,
            r#"title[value eq "x"]"#,
        ] {
            let f = filter::parse(f).unwrap();
            let e = compile(&USER, Some(&f), None, false).unwrap_err();
            assert_eq!(
                e.scim_type,
                Some(crate::scim::ScimType::InvalidFilter),
                "{e}"
            );
        }
        drop(db);
    }

    #[test]
    fn sorting_is_stable_and_puts_missing_values_last() {
        let db = db();
        let sort = AttrPath::parse("title").unwrap();
        let q = compile(&USER, None, Some(&sort), false).unwrap();
        let (_, rows) = q.run(&db.1, 0, 10).unwrap();
        let order: Vec<&str> = rows
            .iter()
            .map(|r| r.data["userName"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["Jöhn", "bjensen", "jsmith"]);
        let sort = AttrPath::parse("emails").unwrap();
        let q = compile(&USER, None, Some(&sort), true).unwrap();
        let (_, rows) = q.run(&db.1, 1, 1).unwrap();
        assert_eq!(
            rows[0].data["userName"], "Jöhn",
            "by primary email, descending, second page"
        );
    }

    #[test]
    fn member_filters_compile_against_the_membership_table() {
        let db = db();
        let u = users::get_by_user_name(&db.1, "bjensen").unwrap().unwrap();
        let g = groups::insert(
            &db.1,
            json!({"displayName": "Tour Guides"}).as_object().unwrap(),
            0,
        )
        .unwrap();
        groups::add_members(&db.1, g.seq, &[(u.id.clone(), "User", None)]).unwrap();
        let f = filter::parse(&format!(
            r#"members[value eq "{}"] and displayName eq "tour guides""#,
            u.id
        ))
        .unwrap();
        let (n, _) = compile(&GROUP, Some(&f), None, false)
            .unwrap()
            .run(&db.1, 0, 10)
            .unwrap();
        assert_eq!(n, 1);
        let f = filter::parse(&format!(r#"groups.value eq "{}""#, g.id)).unwrap();
        let (n, _) = compile(&USER, Some(&f), None, false)
            .unwrap()
            .run(&db.1, 0, 10)
            .unwrap();
        assert_eq!(n, 1);
        let f = filter::parse(&format!(r#"value eq "{}" and type eq "user""#, u.id)).unwrap();
        let sql = compile_member_filter(&GROUP, &f).unwrap();
        assert_eq!(groups::remove_members_where(&db.1, g.seq, &sql).unwrap(), 1);
    }
}
