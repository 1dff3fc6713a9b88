//! One module per subcommand, each with a `run` that returns the process exit code. The only
//! code that prints.

mod backup;
mod events;
mod groups;
mod serve;
mod status;
mod token;
mod users;

use crate::cli::{Cli, Command};
use crate::scim::time;
use crate::store::{self, OpenMode};
use anyhow::{anyhow, bail, Context};
use clap::CommandFactory;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let db = database_path(cli.db)?;
    match cli.command {
        Command::Serve(args) => serve::run(&db, args),
        Command::Token(c) => token::run(&db, c),
        Command::Status(args) => status::run(&db, args),
        Command::Users(c) => users::run(&db, c),
        Command::Groups(c) => groups::run(&db, c),
        Command::Events(args) => events::run(&db, args),
        Command::Backup(args) => backup::run(&db, args),
        Command::Completions(args) => {
            let mut cmd = Cli::command();
            clap_complete::generate(args.shell, &mut cmd, "gorbit-scim", &mut std::io::stdout());
            Ok(0)
        }
    }
}

/// `--db`, else `GORBIT_SCIM_DB` (both through clap), else the platform data folder.
fn database_path(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(p);
    }
    let dirs = directories::ProjectDirs::from("", "", "gorbit-scim").ok_or_else(|| {
        anyhow!("cannot find a home folder for the default database; pass --db PATH")
    })?;
    Ok(dirs.data_dir().join("gorbit-scim.db"))
}

fn open(db: &Path, mode: OpenMode) -> anyhow::Result<Connection> {
    Ok(store::open_database(db, mode)?)
}

/// `90s`, `30m`, `2h`, `7d`, `2w`.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .with_context(|| format!("invalid duration '{s}': expected e.g. 30m, 2h, 7d"))?;
    let secs = match unit.trim() {
        "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        "" => bail!("invalid duration '{s}': add a unit, e.g. {n}s, {n}m, {n}h or {n}d"),
        other => bail!("invalid duration '{s}': unknown unit '{other}' (use s, m, h, d or w)"),
    };
    Ok(Duration::from_secs(n * secs))
}

/// "5 min ago", for people reading `status`.
fn ago(ms: i64) -> String {
    let secs = (time::now_ms() - ms).max(0) / 1000;
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=172_799 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

fn when(ms: Option<i64>) -> String {
    match ms {
        Some(ms) => format!("{} ({})", time::format_ms(ms), ago(ms)),
        None => "never".into(),
    }
}

/// Terminal width for tables: `COLUMNS` when the shell exports it, else 120.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(120)
}

/// Prints rows as aligned columns, shrinking the widest ones to fit the terminal.
fn print_table(
    out: &mut impl std::io::Write,
    headers: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let cols = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let budget = terminal_width().saturating_sub(2 * (cols - 1));
    while widths.iter().sum::<usize>() > budget {
        let (i, w) = widths
            .iter()
            .enumerate()
            .max_by_key(|(_, w)| **w)
            .map(|(i, w)| (i, *w))
            .unwrap_or((0, 0));
        if w <= 8 {
            break;
        }
        widths[i] = w - 1;
    }
    let fit = |s: &str, w: usize| -> String {
        if s.chars().count() <= w {
            format!("{s:<w$}")
        } else {
            let cut: String = s.chars().take(w.saturating_sub(1)).collect();
            format!("{cut}…")
        }
    };
    let line = |cells: Vec<String>| cells.join("  ").trim_end().to_string();
    writeln!(
        out,
        "{}",
        line(
            headers
                .iter()
                .enumerate()
                .map(|(i, h)| fit(h, widths[i]))
                .collect()
        )
    )?;
    for r in rows {
        writeln!(
            out,
            "{}",
            line(
                r.iter()
                    .enumerate()
                    .map(|(i, c)| fit(c, widths[i]))
                    .collect()
            )
        )?;
    }
    Ok(())
}
