//! `local logs`: every log a local cluster writes, by component — each
//! started component's log in the state directory, glog's files in
//! `MESOS_LOG_DIR`, the JobManager's log in the appmaster's work directory,
//! and each TaskManager's log in the latest run of its sandbox.
//!
//! Reads only; a log that is not there yet is listed all the same.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{state, LocalError};

/// One log of the cluster.
#[derive(Debug, Clone, Serialize)]
pub struct LogFile {
    pub component: String,
    pub path: PathBuf,
}

/// The sandboxes of the TaskManager tasks below `work` (the latest run of each).
fn sandboxes(work: &Path) -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<(String, PathBuf)>) {
        if depth > 12 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if !e.file_type().is_ok_and(|t| t.is_dir()) || e.file_name() == "meta" {
                continue;
            }
            if path.parent().is_some_and(|p| p.ends_with("executors")) {
                let latest = path.join("runs/latest");
                if latest.exists() {
                    out.push((e.file_name().to_string_lossy().into_owned(), latest));
                }
                continue;
            }
            walk(&path, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(work, 0, &mut out);
    out.sort();
    out
}

/// Every log the cluster writes, by component: Mesos, the appmaster, the
/// JobManager, and each TaskManager's log in its sandbox.
///
/// With no cluster recorded (a failed `up` stopped what it started and
/// removed its record), the logs it left in the state directory: the
/// components' logs, the JobManager's, and the TaskManagers' sandboxes in
/// the default Mesos work directory.
pub fn logs(state_dir: &Path) -> Result<Vec<LogFile>, LocalError> {
    let Some(st) = state::load(state_dir)? else {
        let left = leftovers(state_dir);
        if left.is_empty() {
            return Err(LocalError::Usage(format!(
                "no local cluster recorded in {} and no logs there; start one with `flink-mesos local up`",
                state_dir.display()
            )));
        }
        return Ok(left);
    };
    let mut out: Vec<LogFile> = st
        .components
        .iter()
        .map(|c| LogFile {
            component: c.name.clone(),
            path: c.log.clone(),
        })
        .collect();
    if let Some(dir) = &st.mesos_log_dir {
        // glog's `<program>.INFO` link points at the current log file.
        let mut links: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        links.retain(|p| p.extension().is_some_and(|e| e == "INFO"));
        links.sort();
        for link in links {
            let program = link
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            out.push(LogFile {
                component: format!("{program} (MESOS_LOG_DIR)"),
                path: link,
            });
        }
    }
    out.push(LogFile {
        component: "jobmanager".into(),
        path: st.appmaster_work_dir.join("log/jobmanager.log"),
    });
    out.extend(taskmanager_logs(&st.mesos_work_dir));
    Ok(out)
}

/// The logs a cluster that is no longer recorded left in `state_dir`.
fn leftovers(state_dir: &Path) -> Vec<LogFile> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(state_dir.join("logs"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file() && p.extension().is_some_and(|e| e == "log"));
    files.sort();
    for path in files {
        let component = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        out.push(LogFile { component, path });
    }
    let jobmanager = state_dir.join("appmaster/log/jobmanager.log");
    if jobmanager.is_file() {
        out.push(LogFile {
            component: "jobmanager".into(),
            path: jobmanager,
        });
    }
    out.extend(taskmanager_logs(&state_dir.join("mesos")));
    out
}

/// The log of every TaskManager sandbox below a Mesos work dir: its
/// `taskmanager.log`, else (a TaskManager that did not get as far) its
/// sandbox's `stderr`.
fn taskmanager_logs(mesos_work_dir: &Path) -> Vec<LogFile> {
    sandboxes(mesos_work_dir)
        .into_iter()
        .map(|(id, sandbox)| {
            let log = sandbox.join(crate::flink::Role::TaskManager.log_file_name());
            LogFile {
                component: id,
                path: if log.exists() {
                    log
                } else {
                    sandbox.join("stderr")
                },
            }
        })
        .collect()
}

pub(super) fn tail_file(path: &Path, lines: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
