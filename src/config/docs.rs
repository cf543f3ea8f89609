//! The configuration reference in docs/configuration.md, generated from
//! [`super::options::OPTIONS`]. A test fails when the committed copy is stale.

use super::options::{DefaultValue, Section, OPTIONS};

pub const BEGIN: &str =
    "<!-- BEGIN GENERATED CONFIG REFERENCE (cargo test regenerates with FLINK_MESOS_UPDATE_GENERATED=1) -->";
pub const END: &str = "<!-- END GENERATED CONFIG REFERENCE -->";

/// Markdown: one table per section, one row per option.
pub fn reference_markdown() -> String {
    let mut sections: Vec<Section> = OPTIONS.iter().map(|o| o.section).collect();
    sections.sort();
    sections.dedup();
    let mut out = String::new();
    for section in sections {
        out.push_str(&format!("\n### {}\n\n", section.title()));
        out.push_str("| Key | Default | Type | Description |\n|---|---|---|---|\n");
        for o in OPTIONS.iter().filter(|o| o.section == section) {
            let default = match o.default {
                DefaultValue::None => "(none)".to_string(),
                DefaultValue::Value("") => "`\"\"`".to_string(),
                DefaultValue::Value(v) => format!("`{v}`"),
                DefaultValue::Derived(from) => format!("= `{from}`"),
            };
            let mut description = o.description.to_string();
            if !o.fallback_keys.is_empty() {
                let keys: Vec<String> = o.fallback_keys.iter().map(|k| format!("`{k}`")).collect();
                description.push_str(&format!(" Also read from {}.", keys.join(", ")));
            }
            if let Some(var) = o.env {
                description.push_str(&format!(" Environment: `{var}`."));
            }
            if o.secret {
                description.push_str(" **Secret**: masked in all output.");
            }
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                o.key,
                default,
                o.ty.name(),
                description.replace('|', "\\|")
            ));
        }
    }
    out
}

/// Replaces the generated block between [`BEGIN`] and [`END`] in a page.
pub fn splice(page: &str) -> Option<String> {
    let start = page.find(BEGIN)? + BEGIN.len();
    let end = page.find(END)?;
    (start <= end).then(|| {
        format!(
            "{}\n{}\n{}",
            &page[..start],
            reference_markdown().trim_end(),
            &page[end..]
        )
    })
}
