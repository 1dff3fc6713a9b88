use super::{ago, open, when};
use crate::cli::TokenCommand;
use crate::scim::time::now_ms;
use crate::store::events::{self, Event};
use crate::store::{self, tokens, OpenMode, StoreError};
use crate::token;
use anyhow::Context;
use serde_json::json;
use std::io::Write;
use std::path::Path;

pub fn run(db: &Path, cmd: TokenCommand) -> anyhow::Result<u8> {
    match cmd {
        TokenCommand::Generate { out } => generate(db, out.as_deref()),
        TokenCommand::Revoke => revoke(db),
        TokenCommand::Show { json } => show(db, json),
    }
}

fn audit(action: &str, fingerprint: Option<&str>) -> Event {
    Event {
        seq: 0,
        at: now_ms(),
        action: action.into(),
        resource_type: Some("Token".into()),
        resource_id: None,
        resource_name: fingerprint.map(str::to_string),
        detail: None,
        user_agent: Some("gorbit-scim cli".into()),
        token_fingerprint: fingerprint.map(str::to_string),
    }
}

fn generate(db: &Path, out: Option<&Path>) -> anyhow::Result<u8> {
    let mut conn = open(db, OpenMode::Create)?;
    let secret = token::generate();
    let hash = token::hash(&secret);
    let fp = token::fingerprint(&hash);
    // With --out the file is written before the database changes and moved into place after,
    // so a failure on either side never leaves the IdP's only copy lost.
    let staged = match out {
        Some(path) => Some(stage_file(path, &secret)?),
        None => None,
    };
    let committed = store::write(&mut conn, |tx| {
        tokens::install(tx, &hash, &fp, now_ms())?;
        events::record(tx, &audit("token.generated", Some(&fp)))?;
        Ok::<_, StoreError>(())
    });
    if let Err(e) = committed {
        if let Some((tmp, _)) = &staged {
            let _ = std::fs::remove_file(tmp);
        }
        return Err(e.into());
    }
    match (staged, out) {
        (Some((tmp, path)), Some(_)) => {
            std::fs::rename(&tmp, &path)
                .with_context(|| format!("moving the token into {}", path.display()))?;
            eprintln!(
                "token {fp} written to {} (mode 0600); any previous token is now revoked",
                path.display()
            );
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{secret}")?;
            stdout.flush()?;
            eprintln!("token {fp}: shown once, copy it now; any previous token is now revoked");
        }
    }
    Ok(0)
}

/// Writes the token to a new 0600 file beside `path`; returns (temporary, final) paths.
fn stage_file(
    path: &Path,
    secret: &str,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .context("--out needs a file name")?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    writeln!(f, "{secret}")?;
    f.sync_all()?;
    Ok((tmp, path.to_path_buf()))
}

fn revoke(db: &Path) -> anyhow::Result<u8> {
    let mut conn = open(db, OpenMode::Existing)?;
    let fp = tokens::current(&conn)?.map(|t| t.fingerprint);
    let n = store::write(&mut conn, |tx| {
        let n = tokens::revoke_all(tx, now_ms())?;
        if n > 0 {
            events::record(tx, &audit("token.revoked", fp.as_deref()))?;
        }
        Ok::<_, StoreError>(n)
    })?;
    if n == 0 {
        eprintln!("there was no current token");
    } else {
        eprintln!(
            "token {} revoked: SCIM requests now get 401 until `gorbit-scim token generate`",
            fp.unwrap_or_default()
        );
    }
    Ok(0)
}

fn show(db: &Path, as_json: bool) -> anyhow::Result<u8> {
    let conn = open(db, OpenMode::Existing)?;
    let Some(t) = tokens::current(&conn)? else {
        if as_json {
            println!("null");
        } else {
            eprintln!("no token: run `gorbit-scim token generate`");
        }
        return Ok(4);
    };
    if as_json {
        let fmt = |ms: Option<i64>| ms.map(crate::scim::time::format_ms);
        println!(
            "{}",
            json!({
                "fingerprint": t.fingerprint,
                "created": fmt(Some(t.created)),
                "first_used": fmt(t.first_used),
                "last_used": fmt(t.last_used),
                "client": t.user_agent,
                "requests": t.requests,
                "errors": t.errors,
            })
        );
    } else {
        println!("fingerprint:  {}", t.fingerprint);
        println!(
            "created:      {} ({})",
            crate::scim::time::format_ms(t.created),
            ago(t.created)
        );
        println!("first used:   {}", when(t.first_used));
        println!("last used:    {}", when(t.last_used));
        println!("client:       {}", t.user_agent.as_deref().unwrap_or("-"));
        println!("requests:     {} ({} errors)", t.requests, t.errors);
    }
    Ok(0)
}
