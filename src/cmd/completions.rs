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

const BIN_NAME: &str = "flink-mesos";

pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut completion_command(), BIN_NAME, &mut buf);
    if shell == clap_complete::Shell::Bash {
        let script = String::from_utf8_lossy(&buf);
        buf = fix_bash_subcommand_labels(&script, BIN_NAME).into_bytes();
    }
    out.write_all(&buf)
}

/// The command tree the completion scripts are generated from: the real one,
/// built, less every hidden subcommand and hidden argument.
///
/// clap_complete offers hidden subcommands in every shell (deliberately, see
/// clap-rs/clap#1335), so `flink-mesos local <TAB>` would offer the internal
/// `embedded-mesos`. clap cannot remove a subcommand, so [`without_hidden`]
/// re-assembles the commands that have hidden children.
fn completion_command() -> clap::Command {
    let mut cmd = crate::cli::command();
    cmd.set_bin_name(BIN_NAME);
    cmd.build();
    without_hidden(cmd)
}

/// `cmd` (built) without its hidden subcommands and arguments, recursively.
///
/// A command with something hidden is re-created from what the completion
/// generators read of it: name, bin name, about, version, visible aliases,
/// arguments (already including the propagated global ones, `--help` and
/// `--version`), groups and subcommands. Everything else only matters for
/// parsing and help.
fn without_hidden(mut cmd: clap::Command) -> clap::Command {
    for sub in cmd.get_subcommands_mut() {
        *sub = without_hidden(std::mem::take(sub));
    }
    let has_hidden = cmd.get_subcommands().any(clap::Command::is_hide_set)
        || cmd.get_arguments().any(clap::Arg::is_hide_set);
    if !has_hidden {
        return cmd;
    }
    let mut rebuilt = clap::Command::new(cmd.get_name().to_owned())
        .visible_aliases(cmd.get_visible_aliases().map(str::to_owned))
        // The copied arguments already hold these; do not add them twice.
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .args(cmd.get_arguments().filter(|a| !a.is_hide_set()).cloned())
        .groups(cmd.get_groups().cloned())
        .subcommands(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(about) = cmd.get_about() {
        rebuilt = rebuilt.about(about.clone());
    }
    if let Some(long_about) = cmd.get_long_about() {
        rebuilt = rebuilt.long_about(long_about.clone());
    }
    // `--version` (propagated) is among the arguments and needs a version.
    if let Some(version) = cmd.get_version() {
        rebuilt = rebuilt.version(version.to_owned());
    }
    if let Some(long_version) = cmd.get_long_version() {
        rebuilt = rebuilt.long_version(long_version.to_owned());
    }
    if let Some(bin_name) = cmd.get_bin_name() {
        rebuilt.set_bin_name(bin_name.to_owned());
    }
    rebuilt
}

/// Relabels the arms of clap_complete's bash script that complete a
/// subcommand, which never match when the binary name has a hyphen
/// (clap_complete 4.6.12 and earlier, clap-rs/clap#6421).
///
/// The script tracks the subcommand path in `$cmd`. The loop over the words
/// spells it from the binary name with `-` escaped as `__`, then
/// `__subcmd__` and each subcommand name with `-` escaped as `__subcmd__`:
/// `flink__mesos__subcmd__local`. The `case "${cmd}"` arms that complete a
/// subcommand escape the whole path at once instead, so the binary name's
/// hyphen becomes `__subcmd__` as well: `flink__subcmd__mesos__subcmd__local)`.
/// No subcommand arm ever matched, the function offered nothing, and bash fell
/// back to file names (`complete -o default`). Only the top-level arm
/// (`flink__mesos)`) worked.
///
/// This rewrites the arm labels to the loop's spelling. Once clap_complete
/// spells them alike, no line starts with the wrong prefix and nothing changes.
fn fix_bash_subcommand_labels(script: &str, bin_name: &str) -> String {
    const SEP: &str = "__subcmd__";
    let wrong = format!("{}{SEP}", bin_name.replace('-', SEP));
    let right = format!("{}{SEP}", bin_name.replace('-', "__"));
    script
        .split_inclusive('\n')
        .map(|line| {
            let label = line.trim_start();
            match label.strip_prefix(&wrong) {
                Some(rest) if label.trim_end().ends_with(')') => {
                    let indent = &line[..line.len() - label.len()];
                    format!("{indent}{right}{rest}")
                }
                _ => line.to_owned(),
            }
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The states the bash script's word loop assigns (`cmd="…"`) and the
    /// labels of the arms that complete them (`        name)`).
    fn bash_states_and_arms(script: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let states = script
            .lines()
            .filter_map(|l| l.trim().strip_prefix("cmd=\""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let arms = script
            .lines()
            .filter_map(|l| l.strip_prefix("        "))
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| l.strip_suffix(')'))
            .map(str::to_owned)
            .collect();
        (states, arms)
    }

    #[test]
    fn bash_arms_are_relabelled_to_the_states_of_a_hyphenated_binary() {
        let mut cmd = clap::Command::new("my-app").subcommand(
            clap::Command::new("sub-one")
                .subcommand(clap::Command::new("leaf").arg(clap::Arg::new("x").long("x"))),
        );
        let mut buf = Vec::new();
        clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "my-app", &mut buf);
        let raw = String::from_utf8(buf).unwrap();
        let (states, arms) = bash_states_and_arms(&raw);
        assert!(
            states != arms,
            "clap_complete now spells them alike; fix_bash_subcommand_labels can go"
        );
        let fixed = fix_bash_subcommand_labels(&raw, "my-app");
        let (states, arms) = bash_states_and_arms(&fixed);
        assert_eq!(states, arms);
        assert!(arms.contains("my__app__subcmd__sub__subcmd__one__subcmd__leaf"));
        // Only the labels changed.
        assert_eq!(fixed.lines().count(), raw.lines().count());
        assert_eq!(
            fix_bash_subcommand_labels(&fixed, "my-app"),
            fixed,
            "idempotent"
        );
        assert_eq!(fix_bash_subcommand_labels(&raw, "myapp"), raw);
    }

    #[test]
    fn every_bash_state_of_flink_mesos_has_an_arm() {
        let mut buf = Vec::new();
        write_completions(clap_complete::Shell::Bash, &mut buf).unwrap();
        let (states, arms) = bash_states_and_arms(&String::from_utf8(buf).unwrap());
        assert_eq!(states, arms);
        assert!(arms.contains("flink__mesos__subcmd__local__subcmd__up"));
    }

    #[test]
    fn hidden_subcommands_are_left_out_and_the_rest_kept() {
        let cmd = completion_command();
        let local = cmd.find_subcommand("local").unwrap();
        let names: Vec<&str> = local.get_subcommands().map(|s| s.get_name()).collect();
        assert_eq!(names, ["up", "down", "status", "logs"]);
        assert_eq!(local.get_bin_name(), Some("flink-mesos local"));
        // The global flags propagated to `local` survive the re-assembly.
        assert!(local
            .get_arguments()
            .any(|a| a.get_long() == Some("conf-dir")));
        assert!(local.get_arguments().any(|a| a.get_long() == Some("help")));
    }
}
