//! Diagnostics: one problem in the configuration, with where it is, what is
//! wrong and what to do. Rendered for humans (`file:line:col: error: …`, the
//! line, a caret, a hint) or as JSON objects. Secret values are masked in the
//! quoted line.

use std::fmt::Write as _;

use serde::Serialize;

use super::secret::MASK;
use super::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Not a problem: how a setting will be used, where that is not obvious.
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The configuration key concerned, if any.
    pub key: Option<String>,
    /// Where to point; `None` for problems that have no place (a missing key).
    pub span: Option<Span>,
    /// A value span on the shown line whose text must be masked (secrets).
    pub mask: Option<Span>,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            key: None,
            span: None,
            mask: None,
            message: message.into(),
            hint: None,
        }
    }
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
    pub fn at(mut self, span: Option<&Span>) -> Self {
        self.span = span.cloned();
        self
    }
    pub fn masking(mut self, span: Option<&Span>) -> Self {
        self.mask = span.cloned();
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col`, or the source name alone when there is no position.
    pub fn location(&self) -> Option<String> {
        let span = self.span.as_ref()?;
        Some(format!("{}:{}:{}", span.text.name, span.line, span.col))
    }

    /// Human rendering; `color` adds ANSI styles.
    pub fn render(&self, color: bool) -> String {
        use anstyle::{AnsiColor, Style};
        let paint = |style: Style, text: &str| {
            if color {
                format!("{}{text}{}", style.render(), style.render_reset())
            } else {
                text.to_string()
            }
        };
        let (label, style) = match self.severity {
            Severity::Error => ("error", AnsiColor::Red.on_default().bold()),
            Severity::Warning => ("warning", AnsiColor::Yellow.on_default().bold()),
            Severity::Note => ("note", AnsiColor::Cyan.on_default().bold()),
        };
        let bold = Style::new().bold();
        let mut out = String::new();
        if let Some(loc) = self.location() {
            let _ = write!(out, "{}: ", paint(bold, &loc));
        }
        let _ = write!(out, "{}: ", paint(style, label));
        if let Some(key) = &self.key {
            let _ = write!(out, "`{key}`: ");
        }
        let _ = writeln!(out, "{}", self.message);
        if let Some(span) = &self.span {
            if let Some(line) = span.text.line(span.line) {
                let line = self.masked_line(line, span.line);
                let number = span.line.to_string();
                let pad = " ".repeat(number.len());
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{number} | {line}");
                // A masked part inside the pointed-at value changes its shown length.
                let caret_len = match &self.mask {
                    Some(m)
                        if m.line == span.line
                            && m.col >= span.col
                            && m.col + m.len <= span.col + span.len =>
                    {
                        span.len - m.len + MASK.len()
                    }
                    _ => span.len,
                }
                .max(1);
                let marker = format!(
                    "{}{}",
                    " ".repeat(span.col.saturating_sub(1)),
                    "^".repeat(caret_len)
                );
                let _ = writeln!(out, "{pad} | {}", paint(style, &marker));
            }
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  = {}: {hint}", paint(bold, "hint"));
        }
        out
    }

    fn masked_line(&self, line: &str, line_no: usize) -> String {
        match &self.mask {
            Some(m) if m.line == line_no => {
                let chars: Vec<char> = line.chars().collect();
                let start = (m.col - 1).min(chars.len());
                let end = (start + m.len).min(chars.len());
                let mut s: String = chars[..start].iter().collect();
                s.push_str(MASK);
                s.extend(&chars[end..]);
                s
            }
            _ => mask_suspicious(line),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let span = self.span.as_ref();
        serde_json::json!({
            "severity": self.severity,
            "key": self.key,
            "file": span.map(|s| s.text.path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| s.text.name.clone())),
            "line": span.map(|s| s.line),
            "column": span.map(|s| s.col),
            "message": self.message,
            "hint": self.hint,
        })
    }
}

/// A second line of defence for quoted lines no declared mask covers (a
/// malformed `security.ssl.key-password hunter2` line, say): when the line
/// mentions a password or secret, everything after its first word is masked.
fn mask_suspicious(line: &str) -> String {
    if !crate::config::options::looks_secret(line) {
        return line.to_string();
    }
    let indent = line.len() - line.trim_start().len();
    let word_end = line[indent..]
        .find(|c: char| c.is_whitespace() || c == ':' || c == '=')
        .map_or(line.len(), |i| indent + i);
    let rest = &line[word_end..];
    let separator: String = rest
        .chars()
        .take_while(|c| c.is_whitespace() || *c == ':' || *c == '=')
        .collect();
    if rest.len() == separator.len() {
        return line.to_string();
    }
    format!("{}{separator}{MASK}", &line[..word_end])
}

#[cfg(test)]
mod mask_tests {
    #[test]
    fn lines_that_mention_secrets_are_masked_after_the_first_word() {
        use super::mask_suspicious as m;
        assert_eq!(
            m("security.ssl.key-password hunter2"),
            "security.ssl.key-password ******"
        );
        assert_eq!(m("  my.secret=abc def"), "  my.secret=******");
        assert_eq!(
            m("taskmanager.numberOfTaskSlots 2"),
            "taskmanager.numberOfTaskSlots 2"
        );
        assert_eq!(m("password:"), "password:");
    }
}
