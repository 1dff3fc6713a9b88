use super::open;
use crate::api::representation;
use crate::cli::UsersCommand;
use crate::http::BASE_PATH;
use crate::scim::filter::{self, AttrPath, CompareOp, Filter};
use crate::scim::schema::USER;
use crate::scim::time::format_ms;
use crate::store::{query, users, OpenMode, Stored};
use serde_json::Value;
use std::io::Write;
use std::path::Path;

pub fn run(db: &Path, cmd: UsersCommand) -> anyhow::Result<u8> {
    match cmd {
        UsersCommand::List {
            filter,
            active,
            inactive,
            limit,
            output,
        } => {
            let mut f = filter.as_deref().map(filter::parse).transpose()?;
            if active || inactive {
                let only = Filter::Compare(
                    AttrPath::parse("active").expect("valid"),
                    CompareOp::Eq,
                    Value::Bool(active),
                );
                f = Some(match f {
                    Some(f) => Filter::And(Box::new(f), Box::new(only)),
                    None => only,
                });
            }
            let conn = open(db, OpenMode::Existing)?;
            let q = query::compile(&USER, f.as_ref(), None, false)?;
            super::groups::list_resources(
                &conn,
                &q,
                limit,
                output.format(),
                &USER,
                user_row,
                &[
                    "ID",
                    "USERNAME",
                    "DISPLAY NAME",
                    "ACTIVE",
                    "EMAIL",
                    "MODIFIED",
                ],
            )
        }
        UsersCommand::Show { user, json } => {
            let conn = open(db, OpenMode::Existing)?;
            let found = match users::get(&conn, &user)? {
                Some(u) => Some(u),
                None => users::get_by_user_name(&conn, &user)?,
            };
            let Some(u) = found else {
                anyhow::bail!("no user with id or userName '{user}'");
            };
            let doc = representation(&conn, &USER, &u, BASE_PATH)?;
            let mut out = std::io::stdout().lock();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            } else {
                print_fields(&mut out, &doc, "")?;
            }
            Ok(0)
        }
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn user_row(_: &rusqlite::Connection, s: &Stored) -> Vec<String> {
    let d = Value::Object(s.data.clone());
    let email = d
        .get("emails")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|e| e.get("primary") == Some(&Value::Bool(true)))
                .or(a.first())
        })
        .map(|e| text(e, "value"))
        .unwrap_or_default();
    let active = match d.get("active") {
        Some(Value::Bool(false)) => "no",
        _ => "yes",
    };
    vec![
        s.id.clone(),
        text(&d, "userName"),
        text(&d, "displayName"),
        active.into(),
        email,
        format_ms(s.meta.modified_ms),
    ]
}

/// A resource as `key: value` lines, nested keys dotted, for people.
pub(super) fn print_fields(out: &mut impl Write, v: &Value, prefix: &str) -> std::io::Result<()> {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                print_fields(out, v, &key)?;
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                print_fields(out, v, &format!("{prefix}[{i}]"))?;
            }
        }
        Value::String(s) => writeln!(out, "{prefix}: {s}")?,
        other => writeln!(out, "{prefix}: {other}")?,
    }
    Ok(())
}
