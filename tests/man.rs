//! The man pages under man/ are generated from the clap definitions; this fails when they
//! drift. Regenerate with `UPDATE_MAN=1 cargo test --test man`.
use clap::CommandFactory;
use gorbit_scim::cli::Cli;
use std::path::Path;

fn pages(cmd: &clap::Command, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let name = if prefix.is_empty() {
        cmd.get_name().to_string()
    } else {
        format!("{prefix}-{}", cmd.get_name())
    };
    let mut buf = Vec::new();
    let static_name: &'static str = Box::leak(name.clone().into_boxed_str());
    clap_mangen::Man::new(cmd.clone().name(static_name))
        .render(&mut buf)
        .unwrap();
    out.push((format!("{name}.1"), buf));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        pages(sub, &name, out);
    }
}

#[test]
fn man_pages_are_current() {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    pages(&cmd, "", &mut out);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let update = std::env::var_os("UPDATE_MAN").is_some();
    for (file, content) in out {
        let path = dir.join(&file);
        if update {
            std::fs::write(&path, &content).unwrap();
        } else {
            let current = std::fs::read(&path).unwrap_or_default();
            assert!(
                current == content,
                "man/{file} is stale: run UPDATE_MAN=1 cargo test --test man"
            );
        }
    }
}
