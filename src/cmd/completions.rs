//! `flink-mesos completions SHELL` and `flink-mesos man`: generated from the
//! clap declarations, so they cannot drift from the real command line.

use std::io::Write;

use crate::cli::{CompletionsArgs, GlobalArgs, ManArgs};
use crate::error::{Error, Result};

pub fn run(_global: &GlobalArgs, args: &CompletionsArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    write_completions(args.shell, &mut out)?;
    out.flush()?;
    Ok(())
}

pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::command(), "flink-mesos", &mut buf);
    out.write_all(&buf)
}

/// File name of the committed completion script for a shell.
pub fn completion_file_name(shell: clap_complete::Shell) -> &'static str {
    use clap_complete::Shell;
    match shell {
        Shell::Bash => "flink-mesos.bash",
        Shell::Zsh => "_flink-mesos",
        Shell::Fish => "flink-mesos.fish",
        Shell::Elvish => "flink-mesos.elv",
        Shell::PowerShell => "_flink-mesos.ps1",
        _ => "flink-mesos.unknown",
    }
}

pub fn man(global: &GlobalArgs, args: &ManArgs) -> Result<()> {
    let pages = man_pages()?;
    std::fs::create_dir_all(&args.out_dir).map_err(|e| Error::write_file(&args.out_dir, e))?;
    for (name, page) in &pages {
        let path = args.out_dir.join(name);
        std::fs::write(&path, page).map_err(|e| Error::write_file(&path, e))?;
    }
    if !global.quiet {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "wrote {} man pages to {}",
            pages.len(),
            args.out_dir.display()
        )?;
    }
    Ok(())
}

/// Every man page as (file name, roff text): one for the binary and one per
/// subcommand, nested ones included (`flink-mesos-config-show.1`).
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    let mut root = crate::cli::command();
    root.build();
    collect(&root, "flink-mesos", &mut pages)?;
    Ok(pages)
}

fn collect(cmd: &clap::Command, name: &str, pages: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let mut buf = Vec::new();
    let page_cmd = cmd.clone().name(name.to_string());
    clap_mangen::Man::new(page_cmd)
        .render(&mut buf)
        .map_err(|e| Error::Internal(format!("rendering man page {name}: {e}")))?;
    pages.push((format!("{name}.1"), buf));
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        collect(sub, &format!("{name}-{}", sub.get_name()), pages)?;
    }
    Ok(())
}
