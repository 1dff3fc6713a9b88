use super::open;
use crate::cli::BackupArgs;
use crate::store::{self, OpenMode};
use std::path::Path;

pub fn run(db: &Path, args: BackupArgs) -> anyhow::Result<u8> {
    let conn = open(db, OpenMode::Existing)?;
    store::backup(&conn, &args.file)?;
    eprintln!(
        "backup written to {} (integrity check ok)",
        args.file.display()
    );
    Ok(0)
}
