use super::{ago, open, parse_duration, when};
use crate::cli::StatusArgs;
use crate::scim::time::{format_ms, now_ms};
use crate::store::tokens::{self, TokenRecord};
use crate::store::{self, OpenMode};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Connected,
    Waiting,
    NoToken,
    Stale,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Connected => "connected",
            State::Waiting => "waiting",
            State::NoToken => "no_token",
            State::Stale => "stale",
        }
    }
    /// Exit codes scripts and monitoring rely on (documented in the README).
    pub fn exit_code(self) -> u8 {
        match self {
            State::Connected => 0,
            State::Waiting => 3,
            State::NoToken => 4,
            State::Stale => 5,
        }
    }
}

/// Connected means the IdP has authenticated with the *current* token: a rotation puts the
/// state back to waiting until the IdP uses the new one.
pub fn state(token: Option<&TokenRecord>, now: i64, max_idle: Option<Duration>) -> State {
    match token {
        None => State::NoToken,
        Some(t) => match t.last_used.or(t.first_used) {
            None => State::Waiting,
            Some(last) if max_idle.is_some_and(|m| now - last > m.as_millis() as i64) => {
                State::Stale
            }
            Some(_) => State::Connected,
        },
    }
}

pub fn run(db: &Path, args: StatusArgs) -> anyhow::Result<u8> {
    let max_idle = args.max_idle.as_deref().map(parse_duration).transpose()?;
    let conn = open(db, OpenMode::Existing)?;
    let token = tokens::current(&conn)?;
    let (users, active, groups) = store::counts(&conn)?;
    let st = state(token.as_ref(), now_ms(), max_idle);
    if args.quiet {
        return Ok(st.exit_code());
    }
    let t = token.as_ref();
    if args.json {
        let fmt = |ms: Option<i64>| ms.map(format_ms);
        let doc = json!({
            "state": st.name(),
            "database": db.display().to_string(),
            "token": t.map(|t| json!({"fingerprint": t.fingerprint, "created": format_ms(t.created)})),
            "first_request": fmt(t.and_then(|t| t.first_used)),
            "last_request": fmt(t.and_then(|t| t.last_used)),
            "client": t.and_then(|t| t.user_agent.clone()),
            "requests": t.map_or(0, |t| t.requests),
            "errors": t.map_or(0, |t| t.errors),
            "last_error": t.and_then(|t| t.last_error.as_ref()).map(|e| json!({"status": e.status, "detail": e.detail, "at": format_ms(e.at)})),
            "users": users,
            "active_users": active,
            "groups": groups,
        });
        println!("{doc}");
        return Ok(st.exit_code());
    }
    let label = match st {
        State::Connected => "connected: the identity provider is provisioning",
        State::Waiting => "waiting: no request with the current token yet",
        State::NoToken => "no token: run `gorbit-scim token generate`",
        State::Stale => "stale: connected, but no request within --max-idle",
    };
    println!("state:          {label}");
    println!("database:       {}", db.display());
    match t {
        Some(t) => println!(
            "token:          {} (created {})",
            t.fingerprint,
            ago(t.created)
        ),
        None => println!("token:          none"),
    }
    println!("first request:  {}", when(t.and_then(|t| t.first_used)));
    println!("last request:   {}", when(t.and_then(|t| t.last_used)));
    println!(
        "client:         {}",
        t.and_then(|t| t.user_agent.as_deref()).unwrap_or("-")
    );
    println!(
        "requests:       {} ({} errors)",
        t.map_or(0, |t| t.requests),
        t.map_or(0, |t| t.errors)
    );
    match t.and_then(|t| t.last_error.as_ref()) {
        Some(e) => println!("last error:     {} {} ({})", e.status, e.detail, ago(e.at)),
        None => println!("last error:     none"),
    }
    println!("users:          {users} ({active} active)");
    println!("groups:         {groups}");
    Ok(st.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(last: Option<i64>) -> TokenRecord {
        TokenRecord {
            id: 1,
            hash: vec![],
            fingerprint: "f".into(),
            created: 0,
            first_used: last,
            last_used: last,
            user_agent: None,
            requests: 0,
            errors: 0,
            last_error: None,
        }
    }

    #[test]
    fn states() {
        let h = Some(Duration::from_secs(3600));
        assert_eq!(state(None, 0, h), State::NoToken);
        assert_eq!(state(Some(&token(None)), 0, h), State::Waiting);
        assert_eq!(state(Some(&token(Some(1000))), 2000, h), State::Connected);
        assert_eq!(state(Some(&token(Some(0))), 3_600_001, h), State::Stale);
        assert_eq!(
            state(Some(&token(Some(0))), 3_600_001, None),
            State::Connected
        );
    }
}
