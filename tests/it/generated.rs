//! Generated files stay in step with the code: shell completions, man pages,
//! the `--help` reference of every subcommand, the configuration reference
//! in docs/configuration.md and docs/exit-codes.md. Run with
//! FLINK_MESOS_UPDATE_GENERATED=1 to rewrite them.

use std::path::{Path, PathBuf};

use flink_mesos::cmd::completions::{completion_file_name, man_pages, write_completions};
use flink_mesos::config::docs;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var_os("FLINK_MESOS_UPDATE_GENERATED").is_some()
}

/// Compares `path` with `expected`, or writes it when updating.
fn check(path: &Path, expected: &[u8]) -> Result<(), String> {
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, expected).unwrap();
        return Ok(());
    }
    match std::fs::read(path) {
        Ok(actual) if actual == expected => Ok(()),
        Ok(_) => Err(format!("{} is stale", path.display())),
        Err(_) => Err(format!("{} is missing", path.display())),
    }
}

fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{}\nregenerate with: FLINK_MESOS_UPDATE_GENERATED=1 cargo test --test it generated",
        problems.join("\n")
    );
}

#[test]
fn completions_are_current() {
    use clap::ValueEnum;
    let mut problems = Vec::new();
    for shell in clap_complete::Shell::value_variants() {
        let mut buf = Vec::new();
        write_completions(*shell, &mut buf).unwrap();
        assert!(buf.len() > 200, "{shell} completion is suspiciously small");
        if let Err(e) = check(
            &root()
                .join("completions")
                .join(completion_file_name(*shell)),
            &buf,
        ) {
            problems.push(e);
        }
    }
    report(problems);
}

#[test]
fn man_pages_are_current_and_cover_every_subcommand() {
    let pages = man_pages().unwrap();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "flink-mesos.1",
        "flink-mesos-appmaster.1",
        "flink-mesos-validate-conf.1",
        "flink-mesos-config-show.1",
    ] {
        assert!(
            names.contains(&expected),
            "no man page {expected} in {names:?}"
        );
    }
    let mut problems = Vec::new();
    for (name, page) in &pages {
        if let Err(e) = check(&root().join("man").join(name), page) {
            problems.push(e);
        }
    }
    // No stale pages for removed subcommands either.
    for entry in std::fs::read_dir(root().join("man")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !names.contains(&name.as_str()) {
            problems.push(format!("man/{name} belongs to no subcommand"));
        }
    }
    report(problems);
}

/// The long help of every (sub)command, fixed at 100 columns.
fn help_reference() -> String {
    fn walk(cmd: &mut clap::Command, path: &str, out: &mut String) {
        let mut cmd = cmd.clone().term_width(100);
        let help = cmd.render_long_help().to_string();
        out.push_str(&format!(
            "## `{path} --help`\n\n```text\n{}\n```\n\n",
            help.trim_end()
        ));
        // Hidden subcommands (internal, like `local embedded-mesos`) are
        // left out, as from the man pages.
        let subs: Vec<clap::Command> = cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .cloned()
            .collect();
        for mut sub in subs {
            let name = format!("{path} {}", sub.get_name());
            walk(&mut sub, &name, out);
        }
    }
    let mut root_cmd = flink_mesos::cli::command();
    root_cmd.build();
    let mut out = String::from("# flink-mesos command-line reference\n\nGenerated from the clap declarations in `src/cli.rs`; a test fails when it is stale.\n\n");
    walk(&mut root_cmd, "flink-mesos", &mut out);
    out
}

#[test]
fn help_snapshots_are_current() {
    let reference = help_reference();
    for sub in [
        "appmaster",
        "taskmanager",
        "validate-conf",
        "config show",
        "workers list",
        "marathon-json",
        "local up",
        "completions",
        "master",
    ] {
        assert!(
            reference.contains(&format!("## `flink-mesos {sub} --help`")),
            "no help for {sub}"
        );
    }
    report(
        check(&root().join("docs/cli-reference.md"), reference.as_bytes())
            .err()
            .into_iter()
            .collect(),
    );
}

#[test]
fn configuration_reference_is_current() {
    let path = root().join("docs/configuration.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let expected =
        docs::splice(&page).expect("docs/configuration.md lacks the generated-reference markers");
    for def in flink_mesos::config::options::OPTIONS {
        assert!(
            expected.contains(&format!("| `{}` |", def.key)),
            "{} missing from the table",
            def.key
        );
    }
    report(
        check(&path, expected.as_bytes())
            .err()
            .into_iter()
            .collect(),
    );
}

#[test]
fn exit_code_reference_is_current() {
    use flink_mesos::error::ErrorKind;
    let reference = flink_mesos::exit_codes::reference_markdown();
    // The numbers are the code's: every kind's row starts with its code.
    for kind in [
        ErrorKind::User,
        ErrorKind::Peer,
        ErrorKind::Usage,
        ErrorKind::FlinkHome,
        ErrorKind::JavaMissing,
        ErrorKind::MemoryDoesNotFit,
        ErrorKind::Internal,
    ] {
        assert!(
            reference.contains(&format!("| {} | `{kind:?}` |", kind.exit_code())),
            "no row for {kind:?}"
        );
    }
    report(
        check(&root().join("docs/exit-codes.md"), reference.as_bytes())
            .err()
            .into_iter()
            .collect(),
    );
}
