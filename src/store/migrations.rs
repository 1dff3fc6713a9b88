//! Numbered schema migrations, applied in order in one transaction keyed on `user_version`.

use super::{StoreError, StoreResult, APPLICATION_ID};
use rusqlite::Connection;
use std::path::Path;

const MIGRATIONS: &[&str] = &[
    // 1: users, groups, memberships, tokens, events.
    r#"
    CREATE TABLE users (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        user_name TEXT NOT NULL,
        user_name_key TEXT NOT NULL UNIQUE,
        external_id TEXT,
        display_name TEXT,
        active INTEGER,
        data TEXT NOT NULL,
        created INTEGER NOT NULL,
        modified INTEGER NOT NULL,
        version INTEGER NOT NULL
    );
    CREATE INDEX users_external_id ON users(external_id);
    CREATE INDEX users_modified ON users(modified);
    CREATE TABLE user_emails (
        user_seq INTEGER NOT NULL REFERENCES users(seq) ON DELETE CASCADE,
        value_key TEXT NOT NULL
    );
    CREATE INDEX user_emails_value ON user_emails(value_key);
    CREATE INDEX user_emails_user ON user_emails(user_seq);
    CREATE TABLE groups (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        display_name_key TEXT NOT NULL UNIQUE,
        external_id TEXT,
        data TEXT NOT NULL,
        created INTEGER NOT NULL,
        modified INTEGER NOT NULL,
        version INTEGER NOT NULL
    );
    CREATE INDEX groups_external_id ON groups(external_id);
    CREATE INDEX groups_modified ON groups(modified);
    CREATE TABLE members (
        group_seq INTEGER NOT NULL REFERENCES groups(seq) ON DELETE CASCADE,
        member_id TEXT NOT NULL,
        member_type TEXT NOT NULL CHECK (member_type IN ('User', 'Group')),
        display TEXT,
        PRIMARY KEY (group_seq, member_id)
    ) WITHOUT ROWID;
    CREATE INDEX members_member ON members(member_id);
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        hash BLOB NOT NULL,
        fingerprint TEXT NOT NULL,
        created INTEGER NOT NULL,
        revoked INTEGER,
        first_used INTEGER,
        last_used INTEGER,
        user_agent TEXT,
        requests INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        last_error_status INTEGER,
        last_error_detail TEXT,
        last_error_at INTEGER
    );
    CREATE UNIQUE INDEX tokens_one_current ON tokens(revoked IS NULL) WHERE revoked IS NULL;
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        resource_type TEXT,
        resource_id TEXT,
        resource_name TEXT,
        detail TEXT,
        user_agent TEXT,
        token_fingerprint TEXT
    );
    CREATE INDEX events_at ON events(at);
    "#,
];

pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn migrate(conn: &Connection, path: &Path) -> StoreResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > latest() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: latest(),
        });
    }
    if version == latest() {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> StoreResult<()> {
        // Another process may have migrated while we waited for the lock.
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            conn.execute_batch(sql)?;
            conn.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        }
        conn.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
        Ok(())
    })();
    match result {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
