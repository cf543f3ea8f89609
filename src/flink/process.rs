//! A running Flink JVM: started from a [`JvmCommand`] by a thread of its
//! own, stopped with SIGTERM (Flink shuts down cleanly on it), killed if
//! this handle is dropped while it still runs, and reporting its exit
//! status.

use std::path::PathBuf;
use std::process::Stdio;

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::{FlinkError, JvmCommand};

/// Where the JVM's stdout and stderr go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Output {
    /// Our own stdout/stderr (a Mesos task's sandbox `stdout`/`stderr`).
    #[default]
    Inherit,
    /// `<log_dir>/<role>.out` and `.err`, appended to.
    Files,
}

/// How to start a JVM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpawnOptions {
    pub output: Output,
    /// Working directory (default: ours).
    pub cwd: Option<PathBuf>,
    /// Linux: the JVM gets SIGTERM when this process dies
    /// (`PR_SET_PDEATHSIG`), so that a SIGKILLed parent leaves no JVM
    /// holding its ports. Safe from any thread: the JVM is forked by a
    /// thread of its own that ends only after the JVM (see [`FlinkProcess`]).
    pub die_with_parent: bool,
}

/// How a JVM ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitReport {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

impl ExitReport {
    /// The exit code a shell would report: the code, or 128 + signal.
    pub fn exit_code(&self) -> i32 {
        match (self.code, self.signal) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            (None, None) => 255,
        }
    }
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Whether this is how a JVM ends after `signal` asked it to stop: 0, or
    /// 128 + `signal` (the JVM's exit after its shutdown hooks), or `signal`.
    pub fn stopped_by(&self, signal: i32) -> bool {
        self.code == Some(0) || self.code == Some(128 + signal) || self.signal == Some(signal)
    }
}

impl std::fmt::Display for ExitReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code, self.signal) {
            (Some(c), _) => write!(f, "exit code {c}"),
            (None, Some(s)) => write!(f, "signal {s}"),
            (None, None) => f.write_str("unknown status"),
        }
    }
}

/// A Flink JVM this process started.
///
/// The JVM is started, waited for and reaped by a dedicated thread that
/// lives exactly as long as the JVM. `PR_SET_PDEATHSIG` fires when the
/// *thread* that forked the child ends, so this makes
/// [`SpawnOptions::die_with_parent`] safe by construction, whichever thread
/// or runtime calls [`FlinkProcess::spawn`]. The thread waits with
/// `waitid(WNOWAIT)` first and reaps under the same lock [`Self::signal`]
/// takes, so a signal never reaches a reused pid.
#[derive(Debug)]
pub struct FlinkProcess {
    pid: u32,
    reaped: Arc<Mutex<bool>>,
    exit: watch::Receiver<Option<Result<ExitReport, String>>>,
    pub command: JvmCommand,
}

impl FlinkProcess {
    /// Starts the JVM.
    pub fn spawn(command: &JvmCommand, opts: &SpawnOptions) -> Result<FlinkProcess, FlinkError> {
        let mut cmd = std::process::Command::new(&command.program);
        cmd.args(&command.args)
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        // Our own settings' variables (the framework secret, passwords, the
        // worker's secrets token) are nothing a JVM reads: not passed on.
        for var in crate::config::options::private_env_vars() {
            cmd.env_remove(var);
        }
        crate::store::zk::restore_kerberos_environment(&mut cmd);
        if let Some(dir) = &opts.cwd {
            cmd.current_dir(dir);
        }
        #[cfg(target_os = "linux")]
        if opts.die_with_parent {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl is async-signal-safe; nothing else runs between
            // fork and exec here.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        if opts.output == Output::Files {
            let open = |ext: &str| -> Result<std::fs::File, FlinkError> {
                let p: PathBuf = command
                    .log_dir
                    .join(format!("{}.{ext}", command.role.name()));
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&p)
                    .map_err(|e| FlinkError::io(format!("cannot open {}", p.display()), e))
            };
            cmd.stdout(open("out")?).stderr(open("err")?);
        }
        let cannot_start = |e: std::io::Error| {
            let context = format!("cannot start {}", command.program.display());
            if e.kind() == std::io::ErrorKind::NotFound {
                FlinkError::JavaMissing(format!("{context}: {e}"))
            } else {
                FlinkError::io(context, e)
            }
        };
        let reaped = Arc::new(Mutex::new(false));
        let (exit_tx, exit) = watch::channel(None);
        let (started_tx, started) = std::sync::mpsc::sync_channel(1);
        let thread_reaped = reaped.clone();
        std::thread::Builder::new()
            .name(format!("{}-jvm", command.role.name()))
            .spawn(move || {
                let mut child = match cmd.spawn() {
                    Ok(child) => child,
                    Err(e) => {
                        let _ = started_tx.send(Err(e));
                        return;
                    }
                };
                let _ = started_tx.send(Ok(child.id()));
                wait_exited(child.id());
                let status = {
                    let mut reaped = lock(&thread_reaped);
                    let status = child.wait();
                    *reaped = true;
                    status
                };
                let report = status.map(ExitReport::from).map_err(|e| e.to_string());
                let _ = exit_tx.send(Some(report));
            })
            .map_err(cannot_start)?;
        let pid = started
            .recv()
            .map_err(|_| cannot_start(std::io::Error::other("the JVM's thread ended")))?
            .map_err(cannot_start)?;
        Ok(FlinkProcess {
            pid,
            reaped,
            exit,
            command: command.clone(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends `signal` to the JVM unless it has already been reaped.
    pub fn signal(&mut self, signal: i32) -> std::io::Result<()> {
        send_signal(self.pid, &self.reaped, signal)
    }

    /// Asks Flink to shut down cleanly (SIGTERM).
    pub fn terminate(&mut self) -> std::io::Result<()> {
        self.signal(libc::SIGTERM)
    }

    /// Kills the JVM (SIGKILL) and reaps it.
    pub async fn kill(&mut self) -> std::io::Result<ExitReport> {
        self.signal(libc::SIGKILL)?;
        self.wait().await
    }

    /// Waits for the JVM to exit.
    pub async fn wait(&mut self) -> std::io::Result<ExitReport> {
        let mut exit = self.exit.clone();
        let done = exit
            .wait_for(Option::is_some)
            .await
            .map_err(|_| std::io::Error::other("the JVM's thread ended without its status"))?;
        report(done.as_ref())
    }

    /// Non-blocking: the exit status if the JVM has ended.
    pub fn try_wait(&mut self) -> std::io::Result<Option<ExitReport>> {
        match self.exit.borrow().as_ref() {
            None => Ok(None),
            done => report(done).map(Some),
        }
    }

    /// Runs until the JVM exits, passing SIGTERM and SIGINT on to it (Mesos
    /// stops a task with SIGTERM; Flink then shuts down cleanly). Returns the
    /// exit status and the first signal passed on, if any.
    pub async fn wait_forwarding_signals(
        &mut self,
    ) -> Result<(ExitReport, Option<i32>), FlinkError> {
        use tokio::signal::unix::{signal, SignalKind};
        let io = |e| FlinkError::io("cannot install signal handlers", e);
        let mut term = signal(SignalKind::terminate()).map_err(io)?;
        let mut int = signal(SignalKind::interrupt()).map_err(io)?;
        let mut forwarded = None;
        loop {
            let forward = tokio::select! {
                status = self.wait() => {
                    let status = status.map_err(|e| FlinkError::io("cannot wait for the JVM", e))?;
                    return Ok((status, forwarded));
                }
                _ = term.recv() => libc::SIGTERM,
                _ = int.recv() => libc::SIGINT,
            };
            tracing::info!(
                pid = self.pid,
                signal = forward,
                "passing the signal on to the {} JVM",
                self.command.role.name()
            );
            forwarded.get_or_insert(forward);
            if let Err(e) = self.signal(forward) {
                tracing::warn!(pid = self.pid, "cannot signal the JVM: {e}");
            }
        }
    }
}

impl Drop for FlinkProcess {
    /// A JVM whose handle is dropped while it runs is killed (its thread
    /// then reaps it).
    fn drop(&mut self) {
        let _ = send_signal(self.pid, &self.reaped, libc::SIGKILL);
    }
}

impl From<std::process::ExitStatus> for ExitReport {
    fn from(status: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        ExitReport {
            code: status.code(),
            signal: status.signal(),
        }
    }
}

fn report(done: Option<&Result<ExitReport, String>>) -> std::io::Result<ExitReport> {
    match done {
        Some(Ok(report)) => Ok(*report),
        Some(Err(message)) => Err(std::io::Error::other(message.clone())),
        None => Err(std::io::Error::other("the JVM is still running")),
    }
}

fn lock(reaped: &Mutex<bool>) -> std::sync::MutexGuard<'_, bool> {
    // The flag stays meaningful even if a holder panicked.
    reaped
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// kill(2) unless the child has been reaped; the lock keeps the waiter
/// thread from reaping (and the pid from being reused) meanwhile.
fn send_signal(pid: u32, reaped: &Mutex<bool>, signal: i32) -> std::io::Result<()> {
    let reaped = lock(reaped);
    if *reaped {
        return Ok(());
    }
    // SAFETY: kill(2) on our own child, not yet reaped (we hold the lock the
    // reaper takes), so the pid cannot have been reused.
    let rc = unsafe { libc::kill(pid as libc::pid_t, signal) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Blocks until the child `pid` has exited, without reaping it.
fn wait_exited(pid: u32) {
    loop {
        // SAFETY: an all-zero siginfo_t is a valid out-parameter for waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid on our own child with a valid siginfo pointer.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flink::launch::Role;

    fn sh(script: &str) -> JvmCommand {
        JvmCommand {
            role: Role::TaskManager,
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            conf_dir: PathBuf::from("/nonexistent"),
            log_dir: PathBuf::from("/nonexistent"),
            log_file: PathBuf::from("/nonexistent/taskmanager.log"),
            memory: Default::default(),
            env: Vec::new(),
        }
    }

    fn die_with_parent() -> SpawnOptions {
        SpawnOptions {
            die_with_parent: true,
            ..SpawnOptions::default()
        }
    }

    #[tokio::test]
    async fn exit_status_signals_and_kill() {
        let mut p = FlinkProcess::spawn(&sh("exit 3"), &die_with_parent()).unwrap();
        assert_eq!(p.wait().await.unwrap().code, Some(3));
        assert_eq!(p.try_wait().unwrap().unwrap().code, Some(3));
        // Signals after the end are no-ops, never a reused pid.
        p.terminate().unwrap();

        let mut p = FlinkProcess::spawn(&sh("exec sleep 30"), &die_with_parent()).unwrap();
        assert_eq!(p.try_wait().unwrap(), None);
        p.terminate().unwrap();
        let r = p.wait().await.unwrap();
        assert!(r.stopped_by(libc::SIGTERM), "{r}");

        let mut p = FlinkProcess::spawn(&sh("exec sleep 30"), &die_with_parent()).unwrap();
        assert_eq!(p.kill().await.unwrap().signal, Some(libc::SIGKILL));
    }

    /// The JVM outlives the thread that asked for it: a `spawn_blocking`
    /// thread that ends (which would fire PR_SET_PDEATHSIG were it the
    /// forking thread) does not stop it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_short_lived_caller_thread_does_not_stop_the_child() {
        let mut p = std::thread::spawn(|| {
            FlinkProcess::spawn(&sh("sleep 1; exit 7"), &die_with_parent()).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(p.wait().await.unwrap().code, Some(7));
    }

    #[tokio::test]
    async fn dropping_the_handle_kills_the_child() {
        let p = FlinkProcess::spawn(&sh("exec sleep 30"), &die_with_parent()).unwrap();
        let pid = p.pid() as libc::pid_t;
        let mut exit = p.exit.clone();
        drop(p);
        let done = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            exit.wait_for(Option::is_some),
        )
        .await
        .expect("reaped")
        .unwrap();
        assert_eq!(report(done.as_ref()).unwrap().signal, Some(libc::SIGKILL));
        // SAFETY: signal 0 only checks for existence.
        assert_eq!(unsafe { libc::kill(pid, 0) }, -1);
    }
}
