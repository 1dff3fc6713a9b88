//! Command-line interface: these doc comments are the `--help` text and the man pages.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// SCIM 2.0 provisioning service for Gorbit: Okta and Microsoft Entra ID create, update and
/// deactivate users and groups through it. One SQLite file holds everything; the admin commands
/// work on it while `serve` runs.
#[derive(Debug, Parser)]
#[command(
    name = "gorbit-scim",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The database file [default: the platform data folder, on Linux
    /// ~/.local/share/gorbit-scim/gorbit-scim.db]
    #[arg(long, global = true, env = "GORBIT_SCIM_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the SCIM API at /scim/v2 (and /healthz for load balancers)
    Serve(ServeArgs),
    /// Generate, revoke or inspect the bearer token the identity provider uses
    #[command(subcommand)]
    Token(TokenCommand),
    /// Show whether the identity provider is connected (exit 0 connected, 3 waiting,
    /// 4 no token, 5 stale, 1 error)
    Status(StatusArgs),
    /// List and inspect provisioned users
    #[command(subcommand)]
    Users(UsersCommand),
    /// List and inspect provisioned groups
    #[command(subcommand)]
    Groups(GroupsCommand),
    /// Show the provisioning audit log
    Events(EventsArgs),
    /// Write a consistent copy of the database, safe while `serve` runs
    Backup(BackupArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
    /// The URL the identity provider reaches this server at (e.g. https://gorbit.example.com),
    /// used in meta.location and Location headers [default: from the request's Host header]
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Worker threads, each with its own database connection
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Delete audit events older than this (e.g. 90d, 12h; "forever" keeps them)
    #[arg(long, default_value = "90d", value_name = "DURATION")]
    pub event_retention: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a new token and revoke the previous one; the token is printed once, alone on
    /// stdout
    Generate {
        /// Write the token to FILE (mode 0600) instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Revoke the current token: every request gets 401 until a new one is generated
    Revoke,
    /// Show the current token's metadata (never the token itself)
    Show {
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
    /// Print nothing; the exit code tells the state
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Report `stale` when the last request is older than this (e.g. 2h, 30m, 1d)
    #[arg(long, value_name = "DURATION")]
    pub max_idle: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print one JSON document (a SCIM ListResponse for lists)
    #[arg(long, conflicts_with = "jsonl")]
    pub json: bool,
    /// Print one JSON object per line, streamed
    #[arg(long)]
    pub jsonl: bool,
}

impl OutputArgs {
    pub fn format(&self) -> Format {
        match (self.json, self.jsonl) {
            (true, _) => Format::Json,
            (_, true) => Format::Jsonl,
            _ => Format::Table,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List users
    List {
        /// A SCIM filter, as the API takes it (e.g. 'emails.value co "@example.com"')
        #[arg(long, value_name = "SCIM_FILTER")]
        filter: Option<String>,
        /// Only active users
        #[arg(long, conflicts_with = "inactive")]
        active: bool,
        /// Only deactivated users
        #[arg(long)]
        inactive: bool,
        /// At most this many [default: 1000 in the table, all with --json or --jsonl]
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show one user by id or userName
    Show {
        /// The user's id or userName
        user: String,
        /// Print the SCIM representation
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// List groups with their member counts
    List {
        /// A SCIM filter, as the API takes it (e.g. 'displayName sw "eng"')
        #[arg(long, value_name = "SCIM_FILTER")]
        filter: Option<String>,
        /// At most this many [default: 1000 in the table, all with --json or --jsonl]
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show one group by id or displayName, with its members a page at a time
    Show {
        /// The group's id or displayName
        group: String,
        /// Print the SCIM representation
        #[arg(long)]
        json: bool,
        /// Members to show
        #[arg(long, default_value_t = 100, value_name = "N")]
        members_limit: u64,
        /// Members to skip
        #[arg(long, default_value_t = 0, value_name = "N")]
        members_offset: u64,
    },
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events at or after TIME: an RFC 3339 time or an age such as 1h, 7d
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// The newest N events
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: u64,
    /// Print one JSON object per line
    #[arg(long)]
    pub json: bool,
    /// Keep printing new events as they happen
    #[arg(long, short)]
    pub follow: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist)
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}
