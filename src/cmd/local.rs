//! `flink-mesos local up|down|status|logs`: parse, call `crate::local`,
//! print. Progress of `up` is one indicatif line per stage on a terminal,
//! plain lines otherwise (both on stderr); results go to stdout as text or,
//! with `--output json`, one JSON object.
//!
//! Signals: SIGINT/SIGTERM during `up` stop what was started and exit 1.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::write_json_line;
use crate::cli::{
    GlobalArgs, LocalCommand, LocalDownArgs, LocalLogsArgs, LocalMesos, LocalStateArgs,
    LocalUpArgs, OutputFormat,
};
use crate::config::settings::Purpose;
use crate::error::{Error, Result};
use crate::flink::jobjar;
use crate::local::{self, Event, LocalJob, MesosMode, Resolved, Stage, UpRequest};

pub fn run(global: &GlobalArgs, command: &LocalCommand) -> Result<()> {
    match command {
        LocalCommand::Up(args) => up(global, args),
        LocalCommand::Down(args) => down(global, args),
        LocalCommand::Status(args) => status(global, args),
        LocalCommand::Logs(args) => logs(global, args),
        LocalCommand::EmbeddedMesos(args) => super::embedded_mesos::run(global, args),
    }
}

/// The state directory, absolute (it is printed and recorded).
fn state_dir(args: &LocalStateArgs) -> PathBuf {
    let dir = args
        .state_dir
        .clone()
        .unwrap_or_else(local::state::default_dir);
    crate::config::settings::absolute(dir)
}

/// `--state-dir DIR` for the hints we print, when it is not the default.
fn state_flag(args: &LocalStateArgs) -> String {
    match &args.state_dir {
        Some(d) => format!(" --state-dir {}", d.display()),
        None => String::new(),
    }
}

/// Renders [`Event`]s: spinners on a terminal, plain lines otherwise.
struct Progress {
    multi: Option<MultiProgress>,
    bars: Vec<(Stage, ProgressBar)>,
    quiet: bool,
}

impl Progress {
    fn new(global: &GlobalArgs) -> Progress {
        let fancy = std::io::stderr().is_terminal() && !global.quiet;
        Progress {
            multi: fancy.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            bars: Vec::new(),
            quiet: global.quiet,
        }
    }

    fn bar(&mut self, stage: Stage) -> Option<&ProgressBar> {
        let multi = self.multi.as_ref()?;
        if !self.bars.iter().any(|(s, _)| *s == stage) {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner:.cyan} {prefix:.bold} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(stage.title());
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bars.push((stage, bar));
        }
        self.bars.iter().find(|(s, _)| *s == stage).map(|(_, b)| b)
    }

    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        match &self.multi {
            Some(m) => {
                let _ = m.println(text);
            }
            None => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Started(stage, msg) | Event::Progress(stage, msg) => {
                if let Some(bar) = self.bar(stage) {
                    bar.set_message(msg);
                } else {
                    self.line(&format!("{}: {msg}", stage.title()));
                }
            }
            Event::Done(stage, msg, took) => {
                let text = format!(
                    "{}: ready in {:.1} s: {msg}",
                    stage.title(),
                    took.as_secs_f64()
                );
                if let Some(bar) = self.bar(stage) {
                    bar.set_style(
                        ProgressStyle::with_template("✔ {prefix:.bold} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.finish_with_message(format!("{msg} ({:.1} s)", took.as_secs_f64()));
                } else {
                    self.line(&text);
                }
            }
            Event::Note(msg) => self.line(&format!("note: {msg}")),
        }
    }

    /// Leaves the cursor on a fresh line below the finished bars, so that
    /// what follows on the terminal does not continue the last bar's line.
    fn finish(self) {
        if self.multi.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err);
        }
    }

    fn abandon(&mut self) {
        for (_, bar) in &self.bars {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }
}

/// Sets the flag on SIGINT/SIGTERM, from a small runtime of its own.
fn watch_signals(flag: Arc<AtomicBool>) -> Result<tokio::runtime::Runtime> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the signal watcher", e))?;
    let (mut term, mut int) = rt
        .block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
            ))
        })
        .map_err(|e| Error::io("cannot watch SIGINT/SIGTERM", e))?;
    rt.spawn(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        flag.store(true, Ordering::SeqCst);
    });
    Ok(rt)
}

fn up(global: &GlobalArgs, args: &LocalUpArgs) -> Result<()> {
    let mesos = match args.mesos {
        LocalMesos::Real => MesosMode::Real,
        LocalMesos::Embedded => MesosMode::Embedded,
        LocalMesos::Auto => MesosMode::Auto,
    };
    let executable = std::env::current_exe()
        .map_err(|e| Error::io("cannot find the flink-mesos executable (current_exe)", e))?;
    // A job cluster's JAR is checked before anything starts, as the
    // appmaster would check it (whose failure would come after Mesos).
    let job = match &args.job_jar {
        Some(jar) => {
            let checked = jobjar::check(jar, args.job.job_classname.as_deref())?;
            Some(LocalJob {
                jar: checked.path,
                classname: args.job.job_classname.clone(),
                from_savepoint: args.job.from_savepoint.clone(),
                allow_non_restored_state: args.job.allow_non_restored_state,
                savepoint_on_stop: args.job.savepoint_on_stop.clone(),
                args: args.job.job_args.clone(),
            })
        }
        None => None,
    };
    let request = UpRequest {
        state_dir: state_dir(&args.state),
        workers: args.workers,
        flink_home: args.flink_home.clone(),
        mesos,
        conf_dir: global.conf_dir.clone(),
        properties: global.dynamic.clone(),
        executable,
        ha: args.ha,
        job,
    };
    let mut progress = Progress::new(global);
    let plan = local::plan(request, &mut |e| progress.event(e))?;
    // The appmaster's configuration, checked here exactly as it will check
    // it, so a mistake is reported before anything starts.
    let mut checked = global.clone();
    checked.dynamic = plan.properties.clone();
    let (_, report) = super::load_checked(&checked, Purpose::Appmaster)?;
    let Some(settings) = report.settings else {
        return Err(Error::Reported {
            errors: report.errors(),
        });
    };
    if settings.ha.is_some() && !args.ha {
        return Err(Error::Usage(
            "the configuration turns ZooKeeper high availability on: run `flink-mesos local up \
             --ha`, which starts ZooKeeper for it"
                .into(),
        ));
    }
    let resolved = Resolved::from_settings(&settings, args.workers);
    let interrupted = Arc::new(AtomicBool::new(false));
    let rt = watch_signals(interrupted.clone())?;
    let result = local::up(&plan, &resolved, &mut |e| progress.event(e), &|| {
        interrupted.load(Ordering::SeqCst)
    });
    rt.shutdown_background();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            progress.abandon();
            return Err(e.into());
        }
    };
    progress.finish();
    let mut out = std::io::stdout().lock();
    if global.output == OutputFormat::Json {
        write_json_line(&mut out, &report)?;
        return Ok(());
    }
    let flag = state_flag(&args.state);
    match &report.job {
        Some(job) => writeln!(
            out,
            "Local Flink-on-Mesos job cluster up in {:.1} s: job {} ({}) {}; {} TaskManager(s) registered",
            report.seconds,
            job.name,
            job.id,
            job.state,
            report.taskmanagers.len(),
        )?,
        None => writeln!(
            out,
            "Local Flink-on-Mesos cluster up in {:.1} s: {} TaskManager(s) registered ({})",
            report.seconds,
            report.taskmanagers.len(),
            report.taskmanagers.join(", ")
        )?,
    }
    if report.mesos.starts_with("embedded") {
        // The embedded Mesos has no web interface, only the state JSON.
        writeln!(
            out,
            "  Mesos state:   {}/master/state (embedded Mesos: no web UI)",
            report.mesos_url
        )?;
    } else {
        writeln!(out, "  Mesos web UI:  {}", report.mesos_url)?;
    }
    writeln!(out, "  Flink web UI:  {}", report.flink_url)?;
    if report.job.is_some() {
        writeln!(
            out,
            "  the cluster ends with the job; `local down` stops the job first (a savepoint with --savepoint-on-stop)"
        )?;
    } else {
        writeln!(out, "  submit a job:  {}", report.submit)?;
    }
    writeln!(out, "  state and logs: {}", report.state_dir.display())?;
    writeln!(
        out,
        "  next: flink-mesos local status{flag} | flink-mesos local logs{flag} [COMPONENT] | flink-mesos local down{flag}"
    )?;
    Ok(())
}

fn down(global: &GlobalArgs, args: &LocalDownArgs) -> Result<()> {
    let dir = state_dir(&args.state);
    let text = global.output == OutputFormat::Text && !global.quiet;
    let report = local::down(&dir, args.purge, &mut |r| {
        if text {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "{}: {} (pid {}, {:.1} s)",
                r.name, r.outcome, r.pid, r.seconds
            );
        }
    })?;
    let mut out = std::io::stdout().lock();
    if global.output == OutputFormat::Json {
        write_json_line(&mut out, &report)?;
        return Ok(());
    }
    if !report.found {
        writeln!(
            out,
            "no local cluster recorded in {}; nothing to stop",
            dir.display()
        )?;
    } else {
        writeln!(
            out,
            "local cluster in {} stopped in {:.1} s",
            dir.display(),
            report.seconds
        )?;
    }
    if report.purged {
        writeln!(out, "removed {}", dir.display())?;
    }
    Ok(())
}

fn status(global: &GlobalArgs, args: &LocalStateArgs) -> Result<()> {
    let dir = state_dir(args);
    let st = local::status(&dir)?;
    let mut out = std::io::stdout().lock();
    if global.output == OutputFormat::Json {
        write_json_line(&mut out, &st)?;
    } else if !st.components.is_empty() {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(["COMPONENT", "PID", "PORT", "HEALTH", "URL"]);
        for c in &st.components {
            table.add_row([
                c.component.clone(),
                c.pid.map_or("-".into(), |p| p.to_string()),
                c.port.map_or("-".into(), |p| p.to_string()),
                c.health.clone(),
                c.url.clone().unwrap_or_default(),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    if st.components.is_empty() {
        // Nothing runs: not a success for a script that asks.
        return Err(Error::Failed(format!(
            "no local cluster recorded in {}; start one with `flink-mesos local up{}` \
             (`flink-mesos local logs{}` shows the logs a failed `up` left)",
            dir.display(),
            state_flag(args),
            state_flag(args)
        )));
    }
    if !st.healthy {
        return Err(Error::Failed(format!(
            "the local cluster in {} is not healthy; see `flink-mesos local logs{}`, or stop it with `flink-mesos local down{}`",
            dir.display(),
            state_flag(args),
            state_flag(args)
        )));
    }
    Ok(())
}

fn logs(global: &GlobalArgs, args: &LocalLogsArgs) -> Result<()> {
    let dir = state_dir(&args.state);
    let files = local::logs(&dir)?;
    let mut out = std::io::stdout().lock();
    let Some(wanted) = &args.component else {
        if global.output == OutputFormat::Json {
            write_json_line(&mut out, &files)?;
            return Ok(());
        }
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(["COMPONENT", "LOG"]);
        for f in &files {
            table.add_row([f.component.clone(), f.path.display().to_string()]);
        }
        writeln!(out, "{table}")?;
        return Ok(());
    };
    let Some(file) = files.iter().find(|f| &f.component == wanted) else {
        let names: Vec<&str> = files.iter().map(|f| f.component.as_str()).collect();
        return Err(Error::Usage(format!(
            "no component `{wanted}` in the local cluster; one of: {}",
            names.join(", ")
        )));
    };
    print_file(&mut out, &file.path, args.lines)
}

fn print_file(out: &mut impl Write, path: &Path, lines: Option<usize>) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::read_file(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    match lines {
        None => out.write_all(text.as_bytes())?,
        Some(n) => {
            let all: Vec<&str> = text.lines().collect();
            for l in &all[all.len().saturating_sub(n)..] {
                writeln!(out, "{l}")?;
            }
        }
    }
    Ok(())
}
