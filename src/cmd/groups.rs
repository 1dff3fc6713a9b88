use super::users::print_fields;
use super::{open, print_table};
use crate::api::representation;
use crate::cli::{Format, GroupsCommand};
use crate::http::BASE_PATH;
use crate::scim::filter;
use crate::scim::list::list_response;
use crate::scim::schema::{ResourceType, GROUP};
use crate::scim::time::format_ms;
use crate::store::query::ListQuery;
use crate::store::{groups, query, OpenMode, Stored};
use rusqlite::Connection;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

pub fn run(db: &Path, cmd: GroupsCommand) -> anyhow::Result<u8> {
    match cmd {
        GroupsCommand::List {
            filter,
            limit,
            output,
        } => {
            let f = filter.as_deref().map(filter::parse).transpose()?;
            let conn = open(db, OpenMode::Existing)?;
            let q = query::compile(&GROUP, f.as_ref(), None, false)?;
            list_resources(
                &conn,
                &q,
                limit,
                output.format(),
                &GROUP,
                group_row,
                &["ID", "DISPLAY NAME", "MEMBERS", "EXTERNAL ID", "MODIFIED"],
            )
        }
        GroupsCommand::Show {
            group,
            json,
            members_limit,
            members_offset,
        } => {
            let conn = open(db, OpenMode::Existing)?;
            let found = match groups::get(&conn, &group)? {
                Some(g) => Some(g),
                None => groups::get_by_display_name(&conn, &group)?,
            };
            let Some(g) = found else {
                anyhow::bail!("no group with id or displayName '{group}'");
            };
            let mut out = std::io::stdout().lock();
            if json {
                let doc = representation(&conn, &GROUP, &g, BASE_PATH)?;
                writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
                return Ok(0);
            }
            let mut doc = Value::Object(g.data.clone());
            doc["id"] = Value::from(g.id.clone());
            doc["lastModified"] = Value::from(format_ms(g.meta.modified_ms));
            print_fields(&mut out, &doc, "")?;
            let total = groups::member_count(&conn, g.seq)?;
            let page = groups::members(&conn, g.seq, members_offset as i64, members_limit as i64)?;
            writeln!(out, "members: {total}")?;
            if !page.is_empty() {
                let rows: Vec<Vec<String>> = page
                    .into_iter()
                    .map(|m| vec![m.id, m.kind, m.display.or(m.name).unwrap_or_default()])
                    .collect();
                writeln!(out)?;
                print_table(&mut out, &["MEMBER ID", "TYPE", "DISPLAY"], &rows)?;
                let shown_to = members_offset as i64 + rows.len() as i64;
                if shown_to < total {
                    writeln!(out, "\nshowing {}-{shown_to} of {total}; use --members-offset {shown_to} for more", members_offset + 1)?;
                }
            }
            Ok(0)
        }
    }
}

fn group_row(conn: &Connection, s: &Stored) -> Vec<String> {
    let d = Value::Object(s.data.clone());
    let text = |k: &str| {
        d.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let count = groups::member_count(conn, s.seq)
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    vec![
        s.id.clone(),
        text("displayName"),
        count,
        text("externalId"),
        format_ms(s.meta.modified_ms),
    ]
}

/// Prints a list as a table, one JSON ListResponse, or streamed JSON Lines.
pub(super) fn list_resources(
    conn: &Connection,
    q: &ListQuery,
    limit: Option<u64>,
    format: Format,
    rt: &'static ResourceType,
    row: fn(&Connection, &Stored) -> Vec<String>,
    headers: &[&str],
) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    // A table is sized to its rows, so it holds them all: show the first 1,000 unless asked.
    let default = if matches!(format, Format::Table) {
        1000
    } else {
        i64::MAX
    };
    let limit = limit.map_or(default, |l| l.min(i64::MAX as u64) as i64);
    match format {
        Format::Jsonl => {
            // Streamed row by row: 100,000 users never sit in memory at once.
            let mut n = 0;
            let mut failure = None;
            q.for_each(conn, |s| {
                if n >= limit {
                    return Err(std::io::Error::other("limit reached"));
                }
                n += 1;
                match representation(conn, rt, &s, BASE_PATH) {
                    Ok(doc) => writeln!(out, "{doc}"),
                    Err(e) => {
                        failure = Some(e);
                        Err(std::io::Error::other("stop"))
                    }
                }
            })?;
            if let Some(e) = failure {
                return Err(e.into());
            }
            out.flush()?;
        }
        Format::Json => {
            let (total, rows) = q.run(conn, 0, limit)?;
            let docs = rows
                .iter()
                .map(|s| representation(conn, rt, s, BASE_PATH))
                .collect::<Result<Vec<_>, _>>()?;
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&list_response(total, 1, docs))?
            )?;
        }
        Format::Table => {
            let (total, rows) = q.run(conn, 0, limit)?;
            let cells: Vec<Vec<String>> = rows.iter().map(|s| row(conn, s)).collect();
            print_table(&mut out, headers, &cells)?;
            if (cells.len() as i64) < total {
                writeln!(out, "({} of {total} shown)", cells.len())?;
            }
        }
    }
    Ok(0)
}
