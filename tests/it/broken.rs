//! A corpus of broken configurations (`snapshots/broken/NAME.FILE`), each
//! with the exact diagnostics `validate-conf` prints for it
//! (`NAME.expected`: exit code, then stdout and stderr). A change in wording
//! shows up here; `FLINK_MESOS_UPDATE_GENERATED=1` rewrites the expectations
//! (review the diff).

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

#[test]
fn every_broken_configuration_gets_its_exact_diagnostics() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots/broken");
    let update = std::env::var_os("FLINK_MESOS_UPDATE_GENERATED").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "the corpus is there");
    let mut failures = Vec::new();
    for case in cases {
        let file_name = case.file_name().unwrap().to_string_lossy().to_string();
        // NAME.config.yaml or NAME.flink-conf.yaml
        let (name, conf_file) = file_name.split_once('.').unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("conf")).unwrap();
        std::fs::copy(&case, dir.path().join("conf").join(conf_file)).unwrap();
        let out = Command::cargo_bin("flink-mesos")
            .unwrap()
            .args(["validate-conf", "--conf-dir", "conf"])
            .current_dir(dir.path())
            .env_remove("FLINK_CONF_DIR")
            .env_remove("FLINK_PROPERTIES")
            .env_remove("FLINK_MESOS_MASTER")
            .env_remove("FLINK_MESOS_FRAMEWORK_SECRET")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let actual = format!(
            "exit {code}\n--- stdout\n{}--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Broken: an error (exit 1), or a warning for what Flink would
        // silently ignore (a malformed line, a misspelt key).
        assert!(
            code == 1 || actual.contains(": warning:"),
            "{name} is not broken:\n{actual}"
        );
        let expected_path = corpus.join(format!("{name}.expected"));
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!("{name}: expected\n{expected}\nactual\n{actual}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
