//! The legacy `flink-conf.yaml` format, read the way Flink 1.x reads it: one
//! `key: value` per line, split at the first `": "`, everything after a `#`
//! is a comment, both sides trimmed. A line that is not a pair, or that has
//! an empty key or value, is a warning with its line number and is skipped.
//! Later lines win over earlier ones (the caller keeps the last).

use std::sync::Arc;

use super::diagnostic::Diagnostic;
use super::source::{Span, Text};

/// A `key: value` pair with the spans of both.
#[derive(Debug, Clone)]
pub struct Pair {
    pub key: String,
    pub value: String,
    pub key_span: Span,
    pub value_span: Span,
}

pub fn parse(text: &Arc<Text>) -> (Vec<Pair>, Vec<Diagnostic>) {
    let mut pairs = Vec::new();
    let mut diags = Vec::new();
    for (index, line) in text.content.lines().enumerate() {
        let line_no = index + 1;
        let conf = line.split('#').next().unwrap_or("");
        let trimmed = conf.trim();
        if trimmed.is_empty() {
            continue;
        }
        let start = conf.len() - conf.trim_start().len();
        let at = |byte: usize, len: usize| Span {
            text: text.clone(),
            line: line_no,
            col: line[..byte].chars().count() + 1,
            len,
        };
        let Some((raw_key, raw_value)) = trimmed.split_once(": ") else {
            diags.push(
                Diagnostic::warning("line is not a `key: value` pair and is ignored")
                    .at(Some(&at(start, trimmed.chars().count())))
                    .hint("write `key: value` with a space after the colon"),
            );
            continue;
        };
        let key = raw_key.trim();
        let value = raw_value.trim();
        if key.is_empty() || value.is_empty() {
            diags.push(
                Diagnostic::warning("key or value is empty; the line is ignored")
                    .at(Some(&at(start, trimmed.chars().count())))
                    .hint("remove the line or give it a value"),
            );
            continue;
        }
        let key_byte = start + (raw_key.len() - raw_key.trim_start().len());
        let value_byte =
            start + raw_key.len() + 2 + (raw_value.len() - raw_value.trim_start().len());
        pairs.push(Pair {
            key: key.to_string(),
            value: value.to_string(),
            key_span: at(key_byte, key.chars().count()),
            value_span: at(value_byte, value.chars().count()),
        });
    }
    (pairs, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Arc<Text> {
        Arc::new(Text {
            name: "flink-conf.yaml".into(),
            path: None,
            content: s.into(),
        })
    }

    #[test]
    fn pairs_with_spans_comments_and_warnings() {
        let t = text("# comment\n  mesos.master: zk://a:1/m # trailing\nbad line\nx:y\n: v\n  k : v: w\nport: 8081");
        let (pairs, diags) = parse(&t);
        let keys: Vec<_> = pairs
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("mesos.master", "zk://a:1/m"),
                ("k", "v: w"),
                ("port", "8081")
            ]
        );
        assert_eq!((pairs[0].key_span.line, pairs[0].key_span.col), (2, 3));
        assert_eq!(
            (
                pairs[0].value_span.line,
                pairs[0].value_span.col,
                pairs[0].value_span.len
            ),
            (2, 17, 10)
        );
        assert_eq!((pairs[1].value_span.line, pairs[1].value_span.col), (6, 7));
        let lines: Vec<_> = diags
            .iter()
            .map(|d| d.span.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(diags[1].message.contains("not a `key: value` pair"));
        assert!(diags[2].message.contains("empty"));
    }

    #[test]
    fn hash_always_starts_a_comment_like_flink() {
        let (pairs, _) = parse(&text("a: b#c"));
        assert_eq!(pairs[0].value, "b");
    }

    #[test]
    fn unicode_columns_count_characters() {
        let (pairs, _) = parse(&text("ключ: значение"));
        assert_eq!(pairs[0].value_span.col, 7);
    }
}
