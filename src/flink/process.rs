//! A running Flink JVM: started from a [`JvmCommand`], stopped with
//! SIGTERM (Flink shuts down cleanly on it), killed if this handle is
//! dropped while it still runs, and reporting its exit status.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::{Child, Command};

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
    /// Linux: the JVM gets SIGTERM when the *thread* that started it ends
    /// (`PR_SET_PDEATHSIG`), so that a SIGKILLed parent leaves no JVM
    /// holding its ports. Only use it from a thread that lives as long as
    /// the process (the main thread, a runtime worker), never from
    /// `spawn_blocking`, whose threads end when idle.
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
#[derive(Debug)]
pub struct FlinkProcess {
    child: Child,
    pid: u32,
    pub command: JvmCommand,
}

impl FlinkProcess {
    /// Starts the JVM.
    pub fn spawn(command: &JvmCommand, opts: &SpawnOptions) -> Result<FlinkProcess, FlinkError> {
        let mut cmd = Command::new(&command.program);
        cmd.args(&command.args)
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if let Some(dir) = &opts.cwd {
            cmd.current_dir(dir);
        }
        #[cfg(target_os = "linux")]
        if opts.die_with_parent {
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
        let child = cmd.spawn().map_err(|e| {
            let context = format!("cannot start {}", command.program.display());
            if e.kind() == std::io::ErrorKind::NotFound {
                FlinkError::JavaMissing(format!("{context}: {e}"))
            } else {
                FlinkError::io(context, e)
            }
        })?;
        let pid = child.id().ok_or_else(|| {
            FlinkError::io("the JVM exited at once", std::io::Error::other("no pid"))
        })?;
        Ok(FlinkProcess {
            child,
            pid,
            command: command.clone(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends `signal` to the JVM unless it has already been reaped.
    pub fn signal(&mut self, signal: i32) -> std::io::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        // SAFETY: kill(2) on a pid we own (a child not yet reaped, so the
        // pid cannot have been reused).
        let rc = unsafe { libc::kill(self.pid as libc::pid_t, signal) };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Asks Flink to shut down cleanly (SIGTERM).
    pub fn terminate(&mut self) -> std::io::Result<()> {
        self.signal(libc::SIGTERM)
    }

    /// Kills the JVM (SIGKILL) and reaps it.
    pub async fn kill(&mut self) -> std::io::Result<ExitReport> {
        self.child.start_kill()?;
        self.wait().await
    }

    /// Waits for the JVM to exit.
    pub async fn wait(&mut self) -> std::io::Result<ExitReport> {
        use std::os::unix::process::ExitStatusExt;
        let status = self.child.wait().await?;
        Ok(ExitReport {
            code: status.code(),
            signal: status.signal(),
        })
    }

    /// Non-blocking: the exit status if the JVM has ended.
    pub fn try_wait(&mut self) -> std::io::Result<Option<ExitReport>> {
        use std::os::unix::process::ExitStatusExt;
        Ok(self.child.try_wait()?.map(|status| ExitReport {
            code: status.code(),
            signal: status.signal(),
        }))
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
                status = self.child.wait() => {
                    use std::os::unix::process::ExitStatusExt;
                    let status = status.map_err(|e| FlinkError::io("cannot wait for the JVM", e))?;
                    return Ok((ExitReport { code: status.code(), signal: status.signal() }, forwarded));
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
