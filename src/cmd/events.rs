use super::{open, parse_duration};
use crate::cli::EventsArgs;
use crate::scim::time::{self, format_ms, now_ms};
use crate::store::events::{self, Event};
use crate::store::OpenMode;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

pub fn run(db: &Path, args: EventsArgs) -> anyhow::Result<u8> {
    let since = match args.since.as_deref() {
        None => 0,
        Some(s) => match time::parse_ms(s) {
            Some(ms) => ms,
            None => now_ms() - parse_duration(s).map_err(|_| {
                anyhow::anyhow!("invalid --since '{s}': use an RFC 3339 time (2026-01-31T12:00:00Z) or an age (1h, 7d)")
            })?.as_millis() as i64,
        },
    };
    let conn = open(db, OpenMode::Existing)?;
    let mut out = std::io::stdout().lock();
    let mut last_seq = 0;
    for e in events::list(&conn, since, 0, args.limit as i64, true)? {
        last_seq = e.seq;
        print_event(&mut out, &e, args.json)?;
    }
    if !args.follow {
        return Ok(0);
    }
    if last_seq == 0 {
        // Nothing printed yet: follow from the newest event on.
        last_seq = events::list(&conn, 0, 0, 1, true)?
            .first()
            .map_or(0, |e| e.seq);
    }
    out.flush()?;
    loop {
        std::thread::sleep(Duration::from_millis(500));
        for e in events::list(&conn, since, last_seq, 1000, false)? {
            last_seq = e.seq;
            print_event(&mut out, &e, args.json)?;
        }
        out.flush()?;
    }
}

fn print_event(out: &mut impl Write, e: &Event, as_json: bool) -> std::io::Result<()> {
    if as_json {
        let doc = json!({
            "seq": e.seq,
            "time": format_ms(e.at),
            "action": e.action,
            "resource_type": e.resource_type,
            "resource_id": e.resource_id,
            "resource_name": e.resource_name,
            "detail": e.detail,
            "client": e.user_agent,
            "token": e.token_fingerprint,
        });
        return writeln!(out, "{doc}");
    }
    let detail = match &e.detail {
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Value::Array(a) => format!(
                    "{k}={}",
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Value::String(s) => format!("{k}={s}"),
                v => format!("{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    writeln!(
        out,
        "{}  {:<22} {:<5} {}  {}  {}  client=\"{}\" token={}",
        format_ms(e.at),
        e.action,
        e.resource_type.as_deref().unwrap_or("-"),
        e.resource_id.as_deref().unwrap_or("-"),
        e.resource_name.as_deref().unwrap_or("-"),
        detail,
        e.user_agent.as_deref().unwrap_or("-"),
        e.token_fingerprint.as_deref().unwrap_or("-"),
    )
}
