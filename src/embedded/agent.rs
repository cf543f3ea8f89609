//! The embedded agent: carries out what the master decided ([`Action`]:
//! launch a task, signal a task's process group with a grace period) and
//! runs each task as a local process, the way Mesos' command executor with
//! the POSIX launcher does — a sandbox per run
//! (`<work>/slaves/<agent>/frameworks/<fw>/executors/<task>/runs/<container>`
//! and `runs/latest`), the URIs fetched into it, `stdout`/`stderr` files,
//! the command in a session (process group) of its own with the agent's
//! environment plus the executor's `MESOS_*` variables and the command's
//! environment, and the status updates STARTING, RUNNING and the terminal
//! one with the command executor's messages.
//!
//! Part of the embedded single-node Mesos, a development stand-in for one
//! machine (production uses genuine Mesos): no containerizer, no isolation,
//! no resource limits, no user switching.
//!
//! Invariants: whatever a task does, its whole process group is killed when
//! its command ends or it is killed, so nothing of it outlives the task;
//! every signal, spawn and file operation here happens with the master's
//! lock released — the lock is taken only for the master's own steps
//! ([`Master::starting`](super::master::Master::starting),
//! [`Master::spawned`](super::master::Master::spawned), status updates),
//! whose actions are carried out after it is dropped, and never across an
//! `.await`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::master::Shared;
use super::proto::v1 as pb;
use super::tasks::Action;
use pb::task_status::{Reason, Source};
use pb::TaskState as S;

/// How long one URI may take to download.
const FETCH_TIMEOUT: Duration = Duration::from_secs(600);

/// A running task process: its process group and whether it has exited.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pgid: i32,
    pub exited: Arc<AtomicBool>,
}

impl PartialEq for Proc {
    /// The same process: the same group and the same exit flag.
    fn eq(&self, other: &Proc) -> bool {
        self.pgid == other.pgid && Arc::ptr_eq(&self.exited, &other.exited)
    }
}

impl Proc {
    pub fn new(pgid: i32) -> Proc {
        Proc {
            pgid,
            exited: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn has_exited(&self) -> bool {
        self.exited.load(Ordering::SeqCst)
    }

    /// Signals the process group, unless its command has exited (the group
    /// id may be someone else's by now) or it is no group of a task's own.
    pub fn signal(&self, sig: i32) {
        if self.pgid > 1 && !self.has_exited() {
            // SAFETY: killpg(2) has no memory effects; the group is the
            // task's own session (setsid at spawn), never ours.
            unsafe {
                libc::killpg(self.pgid, sig);
            }
        }
    }
}

/// Sends SIGTERM now and SIGKILL after `grace` unless it exited meanwhile.
fn terminate(proc: &Proc, grace: Duration) {
    proc.signal(libc::SIGTERM);
    let proc = proc.clone();
    tokio::spawn(async move {
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && !proc.has_exited() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        proc.signal(libc::SIGKILL);
    });
}

/// Carries out what the master decided. Called with its lock released
/// (the actions are returned by a step taken under the lock); needs a
/// tokio runtime.
pub fn carry_out(shared: &Arc<Shared>, actions: Vec<Action>) {
    for action in actions {
        match action {
            Action::Launch {
                framework_id,
                task_id,
            } => {
                tokio::spawn(run_task(shared.clone(), framework_id, task_id));
            }
            Action::Terminate { proc, grace } => terminate(&proc, grace),
            Action::Kill { proc } => proc.signal(libc::SIGKILL),
        }
    }
}

/// Resolves once this run of the task (the one with this sandbox: a task
/// id may be used again) has been asked to die, or is gone.
async fn killed_or_gone(shared: &Shared, fid: &str, task_id: &str, sandbox: &Path) {
    loop {
        let done = {
            let m = shared.lock();
            m.task(fid, task_id)
                .filter(|t| t.sandbox == sandbox)
                .is_none_or(|t| t.kill.is_some())
        };
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the task `task_id` of `fid` to its end ([`Action::Launch`]).
pub async fn run_task(shared: Arc<Shared>, fid: String, task_id: String) {
    let prepared = {
        let m = shared.lock();
        m.task(&fid, &task_id)
            .map(|t| (t.info.clone(), t.sandbox.clone()))
    };
    let Some((info, sandbox)) = prepared else {
        return;
    };
    // Before the command runs, a failure is the agent's; a KILL that came
    // meanwhile wins.
    let fail = |reason: Reason, message: String| {
        let mut m = shared.lock();
        let killed = m.task(&fid, &task_id).is_some_and(|t| t.kill.is_some());
        let (state, reason, message) = if killed {
            (
                S::TaskKilled,
                Reason::TaskKilledDuringLaunch,
                "Task killed before it was launched".to_string(),
            )
        } else {
            (S::TaskFailed, reason, message)
        };
        m.push_update(
            &fid,
            &task_id,
            state,
            Source::Agent,
            Some(reason),
            Some(message),
        );
    };
    if let Err(e) = make_sandbox(&sandbox) {
        tracing::warn!(task = %task_id, error = %e, "cannot create the sandbox");
        fail(
            Reason::ContainerLaunchFailed,
            format!(
                "Failed to launch container: cannot create the sandbox {}: {e}",
                sandbox.display()
            ),
        );
        return;
    }
    let command = info.command.clone().unwrap_or_default();
    // A KILL during the fetch ends it at once (a download may take
    // minutes); the check below then reports TASK_KILLED.
    let fetched = tokio::select! {
        r = fetch_all(&command.uris, &sandbox) => Some(r),
        _ = killed_or_gone(&shared, &fid, &task_id, &sandbox) => None,
    };
    if let Some(Err(message)) = fetched {
        tracing::info!(task = %task_id, %message, "fetching failed");
        fail(
            Reason::ContainerLaunchFailed,
            format!("Failed to launch container: {message}"),
        );
        return;
    }
    let mut cmd = build_command(&shared, &fid, &task_id, &command, &sandbox);
    // Killed meanwhile: TASK_KILLED, and the command never runs.
    if !shared.lock().starting(&fid, &task_id, &sandbox) {
        return;
    }
    // Mesos' command executor says so on the sandbox's stdout.
    log_to(&sandbox, "stdout", &format!("Starting task {task_id}"));
    let spawned = cmd.spawn().map(|child| {
        let pgid = child.id().and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
        (child, Proc::new(pgid))
    });
    // Outside the lock: a KILL that came while the command was spawning,
    // or the end of the task's framework, reaches the process now.
    let proc = spawned.as_ref().ok().map(|(_, proc)| proc.clone());
    let actions = shared.lock().spawned(&fid, &task_id, &sandbox, proc);
    carry_out(&shared, actions);
    let (mut child, proc) = match spawned {
        Ok(x) => x,
        Err(e) => {
            let value = command.value.unwrap_or_default();
            fail(
                Reason::CommandExecutorFailed,
                format!("Failed to launch the command `{value}`: {e}"),
            );
            return;
        }
    };
    tracing::info!(task = %task_id, pid = proc.pgid, sandbox = %sandbox.display(), "task started");
    let status = child.wait().await;
    // Whatever the command left in its group goes with it.
    // Never group 0 (ours) or 1: only a group the task leads.
    if proc.pgid > 1 {
        // SAFETY: killpg(2) has no memory effects; the group is the task's own.
        unsafe {
            libc::killpg(proc.pgid, libc::SIGKILL);
        }
    }
    proc.exited.store(true, Ordering::SeqCst);
    let mut m = shared.lock();
    let killed = m.task(&fid, &task_id).is_some_and(|t| t.kill.is_some());
    let (state, message) = match status {
        Ok(s) => {
            let message = format!("Command {}", describe(s));
            let state = if killed {
                S::TaskKilled
            } else if s.success() {
                S::TaskFinished
            } else {
                S::TaskFailed
            };
            (state, message)
        }
        Err(e) => (
            if killed { S::TaskKilled } else { S::TaskFailed },
            format!("Failed to wait for the command: {e}"),
        ),
    };
    tracing::info!(task = %task_id, state = state.as_str_name(), %message, "task ended");
    m.push_update(&fid, &task_id, state, Source::Executor, None, Some(message));
}

/// `exited with status N` / `terminated with signal NAME`, as Mesos'
/// `WSTRINGIFY`.
fn describe(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = s.code() {
        return format!("exited with status {code}");
    }
    let sig = s.signal().unwrap_or(0);
    let name = match sig {
        libc::SIGHUP => "Hangup".to_string(),
        libc::SIGINT => "Interrupt".into(),
        libc::SIGQUIT => "Quit".into(),
        libc::SIGABRT => "Aborted".into(),
        libc::SIGKILL => "Killed".into(),
        libc::SIGSEGV => "Segmentation fault".into(),
        libc::SIGPIPE => "Broken pipe".into(),
        libc::SIGTERM => "Terminated".into(),
        libc::SIGBUS => "Bus error".into(),
        libc::SIGFPE => "Floating point exception".into(),
        libc::SIGUSR1 => "User defined signal 1".into(),
        libc::SIGUSR2 => "User defined signal 2".into(),
        n => format!("Unknown signal {n}"),
    };
    format!("terminated with signal {name}")
}

fn make_sandbox(sandbox: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(sandbox)?;
    if let (Some(runs), Some(name)) = (sandbox.parent(), sandbox.file_name()) {
        let latest = runs.join("latest");
        let _ = std::fs::remove_file(&latest);
        std::os::unix::fs::symlink(name, &latest)?;
    }
    std::fs::File::create(sandbox.join("stdout"))?;
    std::fs::File::create(sandbox.join("stderr"))?;
    Ok(())
}

fn build_command(
    shared: &Shared,
    fid: &str,
    task_id: &str,
    command: &pb::CommandInfo,
    sandbox: &Path,
) -> tokio::process::Command {
    let node = &shared.node;
    let value = command.value.clone().unwrap_or_default();
    let mut cmd = if command.shell.unwrap_or(true) {
        let mut c = tokio::process::Command::new("sh");
        c.arg("-c").arg(&value);
        c
    } else {
        let mut c = tokio::process::Command::new(&value);
        if let Some((argv0, rest)) = command.arguments.split_first() {
            c.arg0(argv0).args(rest);
        }
        c
    };
    let sandbox_text = sandbox.display().to_string();
    let endpoint = format!("127.0.0.1:{}", node.port);
    // What Mesos' agent gives the command executor, which passes it on.
    let vars: [(&str, String); 12] = [
        ("MESOS_FRAMEWORK_ID", fid.to_string()),
        ("MESOS_EXECUTOR_ID", task_id.to_string()),
        ("MESOS_TASK_ID", task_id.to_string()),
        ("MESOS_DIRECTORY", sandbox_text.clone()),
        ("MESOS_SANDBOX", sandbox_text),
        ("MESOS_AGENT_ENDPOINT", endpoint.clone()),
        ("MESOS_SLAVE_ID", node.agent_id.clone()),
        ("MESOS_SLAVE_PID", format!("slave(1)@{endpoint}")),
        ("MESOS_CHECKPOINT", "1".into()),
        ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs".into()),
        ("MESOS_RECOVERY_TIMEOUT", "15mins".into()),
        ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "2secs".into()),
    ];
    // The command executor keeps its own libprocess settings from the task.
    for k in [
        "LIBPROCESS_PORT",
        "LIBPROCESS_IP",
        "MESOS_HTTP_COMMAND_EXECUTOR",
    ] {
        cmd.env_remove(k);
    }
    cmd.envs(vars);
    for v in command.environment.iter().flat_map(|e| e.variables.iter()) {
        if let Some(value) = &v.value {
            cmd.env(&v.name, value);
        }
    }
    cmd.current_dir(sandbox).stdin(Stdio::null());
    let append = |name: &str| {
        use std::os::unix::fs::OpenOptionsExt;
        // Never through a symlink an archive may have put in its place.
        std::fs::OpenOptions::new()
            .append(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(sandbox.join(name))
    };
    match (append("stdout"), append("stderr")) {
        (Ok(out), Ok(err)) => {
            cmd.stdout(out).stderr(err);
        }
        _ => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    // SAFETY: setsid(2) is async-signal-safe; nothing else runs between
    // fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.kill_on_drop(false);
    cmd
}

/// Appends a line to the sandbox's stderr, as Mesos' fetcher logs there.
fn log_stderr(sandbox: &Path, line: &str) {
    log_to(sandbox, "stderr", line);
}

/// Appends a line to the sandbox's `stdout` or `stderr`, where Mesos'
/// command executor writes what it does.
fn log_to(sandbox: &Path, file: &str, line: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // Never through a symlink an archive may have put in its place.
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(sandbox.join(file))
    {
        let _ = writeln!(f, "{line}");
    }
}

async fn fetch_all(uris: &[pb::command_info::Uri], sandbox: &Path) -> Result<(), String> {
    for uri in uris {
        log_stderr(sandbox, &format!("Fetching URI '{}'", uri.value));
        if let Err(e) = fetch(uri, sandbox).await {
            let message = format!("Failed to fetch URI '{}': {e}", uri.value);
            log_stderr(sandbox, &message);
            return Err(message);
        }
    }
    Ok(())
}

/// The file name a URI is fetched to: `output_file`, else the last part
/// of its path.
fn target_name(uri: &pb::command_info::Uri) -> Result<String, String> {
    if let Some(out) = uri.output_file.as_deref().filter(|o| !o.is_empty()) {
        if out.starts_with('/') || out.split('/').any(|p| p == "..") {
            return Err(format!(
                "output_file '{out}' must be a relative path inside the sandbox"
            ));
        }
        return Ok(out.to_string());
    }
    let path = uri.value.split(['?', '#']).next().unwrap_or("");
    let name = path.rsplit('/').next().unwrap_or("");
    if name.is_empty() || name == ".." || name == "." {
        return Err("cannot tell a file name from the URI; give output_file".into());
    }
    Ok(name.to_string())
}

async fn fetch(uri: &pb::command_info::Uri, sandbox: &Path) -> Result<(), String> {
    let value = uri.value.trim();
    let name = target_name(uri)?;
    let dest = sandbox.join(&name);
    if let Some(parent) = dest.parent() {
        // An earlier URI's archive may have left symlinks: nothing is
        // created or written through one that leads out of the sandbox.
        ensure_inside(sandbox, parent).await?;
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| e.to_string())?;
        ensure_inside(sandbox, parent).await?;
    }
    if tokio::fs::symlink_metadata(&dest)
        .await
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        tokio::fs::remove_file(&dest)
            .await
            .map_err(|e| format!("cannot replace the symlink {}: {e}", dest.display()))?;
    }
    if value.starts_with("http://") || value.starts_with("https://") {
        download(value, &dest).await?;
    } else {
        let path = match value.strip_prefix("file://") {
            Some(p) => PathBuf::from(p),
            None if value.starts_with('/') => PathBuf::from(value),
            None => {
                return Err(
                    "unsupported URI: the embedded Mesos fetches http://, https://, file:// and absolute paths"
                        .into(),
                )
            }
        };
        tokio::fs::copy(&path, &dest)
            .await
            .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
    }
    if uri.executable.unwrap_or(false) {
        use std::os::unix::fs::PermissionsExt;
        tokio::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))
            .await
            .map_err(|e| format!("cannot make {} executable: {e}", dest.display()))?;
    } else if uri.extract.unwrap_or(true) {
        extract(&dest, sandbox).await?;
    }
    Ok(())
}

/// Fails unless `dir` (or, while it does not exist yet, its nearest
/// existing ancestor) resolves to a place inside `sandbox`.
async fn ensure_inside(sandbox: &Path, dir: &Path) -> Result<(), String> {
    let root = tokio::fs::canonicalize(sandbox)
        .await
        .map_err(|e| format!("cannot resolve the sandbox {}: {e}", sandbox.display()))?;
    let mut probe = dir;
    let real = loop {
        match tokio::fs::canonicalize(probe).await {
            Ok(real) => break real,
            Err(_) => match probe.parent() {
                Some(parent) if probe != sandbox => probe = parent,
                _ => return Err(format!("cannot resolve {}", dir.display())),
            },
        }
    };
    if real.starts_with(&root) {
        Ok(())
    } else {
        Err(format!(
            "'{}' leads outside the sandbox (through a symlink)",
            dir.strip_prefix(sandbox).unwrap_or(dir).display()
        ))
    }
}

fn cmd_name(cmd: &tokio::process::Command) -> String {
    cmd.as_std().get_program().to_string_lossy().into_owned()
}

async fn download(url: &str, dest: &Path) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let mut response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| crate::http::error_chain(&e))?;
    let mut file = tokio::fs::File::create(dest)
        .await
        .map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| crate::http::error_chain(&e))?
    {
        file.write_all(&chunk)
            .await
            .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
    }
    file.flush().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Extracts archives with the tools Mesos' fetcher uses (`tar`, `unzip`,
/// `gzip`); other files stay as they are.
async fn extract(file: &Path, sandbox: &Path) -> Result<(), String> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let tar = [
        ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz",
    ];
    let mut cmd = if tar.iter().any(|s| name.ends_with(s)) {
        let mut c = tokio::process::Command::new("tar");
        c.arg("-C").arg(sandbox).arg("-xf").arg(file);
        c
    } else if name.ends_with(".zip") {
        let mut c = tokio::process::Command::new("unzip");
        c.arg("-o").arg("-q").arg("-d").arg(sandbox).arg(file);
        c
    } else if name.ends_with(".gz") {
        let out = file.with_extension("");
        let target = std::fs::File::create(&out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        let mut c = tokio::process::Command::new("gzip");
        c.arg("-dc").arg(file).stdout(target);
        c
    } else {
        return Ok(());
    };
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        // A fetch abandoned because of a KILL takes the tool with it.
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| {
            let tool = cmd_name(&cmd);
            format!("cannot run `{tool}` to extract {}: {e}", file.display())
        })?;
    if !out.status.success() {
        return Err(format!(
            "cannot extract {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(value: &str, output_file: Option<&str>) -> pb::command_info::Uri {
        pb::command_info::Uri {
            value: value.into(),
            output_file: output_file.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn fetched_files_stay_inside_the_sandbox() {
        assert_eq!(
            target_name(&uri("http://h:1/a/flink.tgz?x=1", None)).unwrap(),
            "flink.tgz"
        );
        assert_eq!(
            target_name(&uri("file:///x/y", Some("conf/z.yaml"))).unwrap(),
            "conf/z.yaml"
        );
        for bad in [
            uri("http://h:1/", None),
            uri("http://h:1/..", None),
            uri("x", Some("/etc/passwd")),
            uri("x", Some("a/../../b")),
        ] {
            assert!(target_name(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn exit_statuses_read_as_mesos_writes_them() {
        use std::os::unix::process::ExitStatusExt;
        let code = std::process::ExitStatus::from_raw(3 << 8);
        assert_eq!(describe(code), "exited with status 3");
        let term = std::process::ExitStatus::from_raw(libc::SIGTERM);
        assert_eq!(describe(term), "terminated with signal Terminated");
        let kill = std::process::ExitStatus::from_raw(libc::SIGKILL);
        assert_eq!(describe(kill), "terminated with signal Killed");
    }
}
