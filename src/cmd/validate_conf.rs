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
    let stdout = std::io::stdout();
    let color = super::use_color(global, stdout.is_terminal());
    let mut out = stdout.lock();
    write_report(
        &mut out,
        &config,
        &report,
        global.output,
        color,
        global.quiet,
    )?;
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
