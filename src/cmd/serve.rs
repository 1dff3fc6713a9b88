use crate::cli::ServeArgs;
use crate::http::{self, ServerConfig};
use std::path::Path;

pub fn run(db: &Path, args: ServeArgs) -> anyhow::Result<u8> {
    let event_retention = match args.event_retention.trim() {
        "forever" | "0" => None,
        d => Some(super::parse_duration(d)?),
    };
    if let Some(u) = &args.public_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            anyhow::bail!("--public-url must start with https:// (or http://), not '{u}'");
        }
    }
    http::serve(ServerConfig {
        db: db.to_path_buf(),
        listen: args.listen,
        public_url: args.public_url,
        workers: args.workers as usize,
        event_retention,
    })?;
    Ok(1)
}
