//! Connection tracking for `status`: which token the IdP used, when, from what client, and how
//! requests ended. Counted in memory and flushed about once a second, so a busy IdP does not
//! cost one extra fsync per request; a token's first use is written at once, since it is what
//! turns `status` to connected.

use crate::store::tokens::{self, LastError, Usage};
use crate::store::StoreResult;
use rusqlite::Connection;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct Tracker {
    pending: Mutex<HashMap<i64, Usage>>,
}

/// One finished request, as the tracker sees it.
pub struct Seen<'a> {
    pub token_id: i64,
    /// Authenticated with the current token (not a 401).
    pub authenticated: bool,
    pub at: i64,
    pub user_agent: Option<&'a str>,
    pub status: u16,
    pub detail: Option<&'a str>,
    /// A 404 for an unknown resource id: routine (IdPs look up and delete what may be gone),
    /// unlike a 404 for an unknown endpoint, which means a wrong base URL.
    pub routine_not_found: bool,
}

fn add(u: &mut Usage, s: &Seen) {
    if s.authenticated {
        u.first = u.first.or(Some(s.at));
        u.last = Some(s.at);
        u.requests += 1;
        if let Some(ua) = s.user_agent {
            u.user_agent = Some(ua.to_string());
        }
    }
    if s.status >= 400 && !s.routine_not_found {
        u.errors += 1;
        u.last_error = Some(LastError {
            status: s.status as i64,
            detail: s.detail.unwrap_or_default().chars().take(500).collect(),
            at: s.at,
        });
    }
}

impl Tracker {
    /// Records a request; `first_use` writes it through `conn` straight away.
    pub fn record(&self, conn: &mut Connection, seen: Seen, first_use: bool) -> StoreResult<()> {
        if first_use && seen.authenticated {
            let mut u = Usage::default();
            add(&mut u, &seen);
            return crate::store::write(conn, |tx| tokens::record_usage(tx, seen.token_id, &u));
        }
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        add(pending.entry(seen.token_id).or_default(), &seen);
        Ok(())
    }

    /// Writes what has accumulated.
    pub fn flush(&self, conn: &mut Connection) -> StoreResult<()> {
        let batch: HashMap<i64, Usage> = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::take(&mut *pending)
        };
        if batch.is_empty() {
            return Ok(());
        }
        crate::store::write(conn, |tx| {
            for (id, u) in &batch {
                tokens::record_usage(tx, *id, u)?;
            }
            Ok::<_, crate::store::StoreError>(())
        })
    }
}
