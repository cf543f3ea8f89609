//! `flink-mesos validate-conf`: load the effective configuration and report
//! every problem at once. Exit 0 without errors (warnings allowed), 1 with.

use std::io::{IsTerminal, Write};

use crate::cli::{GlobalArgs, OutputFormat, Target, ValidateConfArgs};
use crate::config::settings::{self, Purpose, Report, ValidateOptions};
use crate::config::Config;
use crate::error::{Error, Result};

pub fn run(global: &GlobalArgs, args: &ValidateConfArgs) -> Result<()> {
    let config = super::load_config(global)?;
    let purpose = match args.target {
        Target::Appmaster => Purpose::Appmaster,
        Target::Taskmanager => Purpose::Taskmanager,
    };
    let mut report = settings::resolve(
        &config,
        ValidateOptions {
            purpose,
            strict: args.strict,
        },
    );
    if let (Purpose::Appmaster, Some(s)) = (purpose, &report.settings) {
        // Where the workers' Flink comes from, when it is not the artifact
        // server (the appmaster's start-up log says it in every case).
        use crate::artifacts::overlay::{flink_source, FlinkSource};
        if let FlinkSource::Given(how) = flink_source(s, &s.tasks.taskmanager_cmd) {
            report.diagnostics.push(crate::config::Diagnostic {
                severity: crate::config::diagnostic::Severity::Note,
                ..crate::config::Diagnostic::error(format!(
                    "the TaskManagers run Flink from {how}; the appmaster ships no Flink distribution"
                ))
            });
        }
    }
    let version = match (args.flink_version, &args.flink_home) {
        (Some(v), _) => Some(v),
        (None, Some(dir)) => Some(crate::flink::FlinkHome::open(dir)?.version),
        (None, None) => None,
    };
    let stdout = std::io::stdout();
    let color = super::use_color(global, stdout.is_terminal());
    let mut out = stdout.lock();
    match version {
        Some(version) => write_versioned_report(
            &mut out,
            &config,
            &report,
            version,
            global.output,
            color,
            global.quiet,
        )?,
        None => write_report(
            &mut out,
            &config,
            &report,
            global.output,
            color,
            global.quiet,
        )?,
    }
    out.flush()?;
    match report.errors() {
        0 => Ok(()),
        errors => Err(Error::Reported { errors }),
    }
}

/// Writes the diagnostics and a summary line (text), or one JSON document.
pub fn write_report(
    out: &mut dyn Write,
    config: &Config,
    report: &Report,
    format: OutputFormat,
    color: bool,
    quiet: bool,
) -> Result<()> {
    let source = config.file.as_ref().map_or_else(
        || "the configuration".to_string(),
        |f| f.display().to_string(),
    );
    match format {
        OutputFormat::Json | OutputFormat::Yaml => {
            let doc = serde_json::json!({
                "file": config.file.as_ref().map(|f| f.display().to_string()),
                "valid": report.errors() == 0,
                "errors": report.errors(),
                "warnings": report.warnings(),
                "diagnostics": report.diagnostics.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
            });
            super::write_json(out, &doc)?;
        }
        OutputFormat::Text => {
            for d in &report.diagnostics {
                if quiet && !d.is_error() {
                    continue;
                }
                writeln!(out, "{}", d.render(color))?;
            }
            let (errors, warnings) = (report.errors(), report.warnings());
            if errors > 0 {
                writeln!(out, "{source}: {errors} error(s), {warnings} warning(s)")?;
            } else if !quiet {
                writeln!(out, "{source}: ok, {warnings} warning(s)")?;
            }
        }
    }
    Ok(())
}

/// [`write_report`] for a known Flink version: the memory Flink gives the
/// JobManager and each TaskManager (Flink's own calculation) and what
/// flink-mesos writes differently for that version; in JSON as
/// `flink_version`, `memory` and `notes` beside the diagnostics.
fn write_versioned_report(
    out: &mut dyn Write,
    config: &Config,
    report: &Report,
    version: crate::flink::FlinkVersion,
    format: OutputFormat,
    color: bool,
    quiet: bool,
) -> Result<()> {
    let notes = crate::flink::versions::notes(version);
    let settings = report.settings.as_ref();
    let modern = version.has_memory_model();
    let jobmanager = settings
        .and_then(|s| s.jobmanager_breakdown)
        .filter(|_| modern);
    let taskmanager = settings
        .and_then(|s| s.taskmanager_memory.breakdown)
        .filter(|_| modern);
    let container = settings.map(|s| s.tasks.mem_mb);
    match format {
        OutputFormat::Json | OutputFormat::Yaml => {
            let mut doc = serde_json::json!({
                "file": config.file.as_ref().map(|f| f.display().to_string()),
                "valid": report.errors() == 0,
                "errors": report.errors(),
                "warnings": report.warnings(),
                "diagnostics": report.diagnostics.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
            });
            doc["flink_version"] = version.to_string().into();
            doc["memory"] = serde_json::json!({
                "jobmanager": jobmanager,
                "taskmanager": taskmanager,
                "container_mb": container,
            });
            doc["notes"] = notes.into();
            super::write_json(out, &doc)?;
        }
        OutputFormat::Text => {
            write_report(out, config, report, format, color, quiet)?;
            if quiet {
                return Ok(());
            }
            writeln!(out, "Flink {version}:")?;
            if let Some(b) = jobmanager {
                writeln!(out, "  JobManager   {}", b.summary())?;
            }
            if let Some(b) = taskmanager {
                let container =
                    container.map_or(String::new(), |mb| format!(" (Mesos container {mb} MB)"));
                writeln!(out, "  TaskManager  {}{container}", b.summary())?;
            }
            for note in notes {
                writeln!(out, "  - {note}")?;
            }
        }
    }
    Ok(())
}
