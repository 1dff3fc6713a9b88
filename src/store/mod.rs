//! SQLite storage: the only code that uses rusqlite. One file shared by the server's workers
//! and every admin command; WAL so readers never block the writer.

pub mod events;
pub mod groups;
pub mod migrations;
pub mod query;
pub mod tokens;
pub mod users;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `PRAGMA application_id`: marks a file as a gorbit-scim database ("GSCM").
pub const APPLICATION_ID: i32 = 0x4753_434D;

#[derive(Debug)]
pub enum StoreError {
    Missing(PathBuf),
    NotOurs(PathBuf),
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    Io(PathBuf, std::io::Error),
    /// A uniqueness constraint (userName, displayName) was violated.
    Conflict(String),
    Sql(rusqlite::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Missing(p) => write!(
                f,
                "no database at {} (run `gorbit-scim serve` or `gorbit-scim token generate` to create it, or pass --db)",
                p.display()
            ),
            StoreError::NotOurs(p) => write!(
                f,
                "{} is not a gorbit-scim database; refusing to touch it",
                p.display()
            ),
            StoreError::TooNew { path, found, supported } => write!(
                f,
                "{} was written by a newer gorbit-scim (schema version {found}, this build knows up to {supported}); upgrade gorbit-scim",
                path.display()
            ),
            StoreError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            StoreError::Conflict(what) => write!(f, "{what}"),
            StoreError::Sql(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the file (0600) and its folders when missing: `serve`, `token generate`.
    Create,
    /// Refuse a missing file: read-only admin commands say where they looked.
    Existing,
}

/// Opens (and if needed creates and migrates) the database, refusing files that belong to
/// something else or to a newer gorbit-scim before changing a byte of them.
pub fn open_database(path: &Path, mode: OpenMode) -> StoreResult<Connection> {
    if !path.exists() {
        if mode == OpenMode::Existing {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        create_file(path)?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    check_identity(&conn, path)?;
    // synchronous=FULL: a 201 the IdP saw must survive a crash or power loss.
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        .map_err(|e| classify(path, e))?;
    register_functions(&conn)?;
    migrations::migrate(&conn, path)?;
    Ok(conn)
}

fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotOurs(path.to_path_buf()),
        _ => StoreError::Sql(e),
    }
}

#[cfg(unix)]
fn create_file(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StoreError::Io(dir.to_path_buf(), e))?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Io(path.to_path_buf(), e)),
    }
}

fn check_identity(conn: &Connection, path: &Path) -> StoreResult<()> {
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if app_id == APPLICATION_ID {
        return Ok(());
    }
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if app_id == 0 && objects == 0 {
        return Ok(()); // a new, empty file
    }
    Err(StoreError::NotOurs(path.to_path_buf()))
}

fn register_functions(conn: &Connection) -> StoreResult<()> {
    // The same folding as userName keys and in-memory filters, for Unicode, not just ASCII.
    conn.create_scalar_function(
        "scim_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                rusqlite::types::ValueRef::Text(t) => {
                    Some(crate::scim::fold_case(&String::from_utf8_lossy(t)))
                }
                rusqlite::types::ValueRef::Null => None,
                other => Some(crate::scim::fold_case(
                    &rusqlite::types::Value::from(other).as_text_lossy(),
                )),
            })
        },
    )?;
    Ok(())
}

trait TextLossy {
    fn as_text_lossy(&self) -> String;
}

impl TextLossy for rusqlite::types::Value {
    fn as_text_lossy(&self) -> String {
        match self {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Real(r) => r.to_string(),
            rusqlite::types::Value::Text(t) => t.clone(),
            _ => String::new(),
        }
    }
}

/// Runs `f` in a transaction that takes the write lock up front (`BEGIN IMMEDIATE`), so two
/// writers never deadlock upgrading read locks; commits only if `f` succeeds.
pub fn write<T, E: From<StoreError>>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction) -> Result<T, E>,
) -> Result<T, E> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::from)?;
    let out = f(&tx)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(out)
}

/// A new server-assigned id: a random (version 4) UUID.
pub fn new_id() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the OS random source is available");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Counts shown by `status`.
pub fn counts(conn: &Connection) -> StoreResult<(i64, i64, i64)> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM users WHERE active = 1), (SELECT count(*) FROM groups)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

/// A read-write probe for `/healthz`: a write transaction that changes nothing.
pub fn health_check(conn: &mut Connection) -> StoreResult<()> {
    write(conn, |tx| {
        tx.query_row("SELECT count(*) FROM tokens", [], |r| r.get::<_, i64>(0))?;
        Ok::<_, StoreError>(())
    })
}

/// A consistent copy through SQLite's online backup API, safe while the server writes.
pub fn backup(conn: &Connection, dest: &Path) -> StoreResult<()> {
    use rusqlite::backup::Backup;
    if dest.exists() {
        return Err(StoreError::Io(
            dest.to_path_buf(),
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "file exists; not overwriting",
            ),
        ));
    }
    create_file(dest)?;
    let mut out = Connection::open(dest)?;
    {
        // One step copies every page inside a single read transaction: a consistent snapshot
        // that never restarts however busy the server is, and in WAL mode never blocks it.
        let b = Backup::new(conn, &mut out)?;
        b.step(-1)?;
    }
    let ok: String = out.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ok != "ok" {
        return Err(StoreError::Conflict(format!(
            "backup failed its integrity check: {ok}"
        )));
    }
    Ok(())
}

/// A stored User or Group: its attributes in stored form plus server metadata.
#[derive(Debug, Clone)]
pub struct Stored {
    pub seq: i64,
    pub id: String,
    pub data: crate::scim::resource::Object,
    pub meta: crate::scim::resource::Meta,
}

/// The columns `Stored::from_row` reads, in order.
pub(crate) const STORED_COLUMNS: &str = "seq, id, data, created, modified, version";

impl Stored {
    pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
        let text: String = r.get(2)?;
        let data = serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
        })?;
        Ok(Stored {
            seq: r.get(0)?,
            id: r.get(1)?,
            data,
            meta: crate::scim::resource::Meta {
                created_ms: r.get(3)?,
                modified_ms: r.get(4)?,
                version: r.get(5)?,
            },
        })
    }
}

/// Fails with a conflict when another row of `table` holds `key` in its folded unique column
/// (`user_name_key`, `display_name_key`). A friendlier answer than the constraint itself,
/// which still guards against races.
pub(crate) fn check_unique(
    conn: &Connection,
    table: &str,
    column: &str,
    key: &str,
    own_seq: Option<i64>,
    conflict: impl FnOnce() -> String,
) -> StoreResult<()> {
    use rusqlite::OptionalExtension;
    let sql = format!("SELECT seq FROM {table} WHERE {column} = ?1");
    let other: Option<i64> = conn
        .prepare_cached(&sql)?
        .query_row([crate::scim::fold_case(key)], |r| r.get(0))
        .optional()?;
    match other {
        Some(seq) if Some(seq) != own_seq => Err(StoreError::Conflict(conflict())),
        _ => Ok(()),
    }
}

/// The row of `table` whose `column` equals `key` (an id, or a folded unique key).
pub(crate) fn get_one(
    conn: &Connection,
    table: &str,
    column: &str,
    key: &str,
) -> StoreResult<Option<Stored>> {
    use rusqlite::OptionalExtension;
    let sql = format!("SELECT {STORED_COLUMNS} FROM {table} WHERE {column} = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([key], Stored::from_row)
        .optional()?)
}

/// Maps a violated UNIQUE constraint to a conflict; other errors pass through.
pub(crate) fn unique_violation(e: rusqlite::Error, what: impl FnOnce() -> String) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(what()),
        _ => StoreError::Sql(e),
    }
}
