//! `config.yaml` (Flink 1.19+ and 2.x): standard YAML. Nested mappings are
//! flattened to dotted keys (`rest: {port: 8081}` is `rest.port`), nested and
//! dotted spellings may be mixed, and a key defined twice — in either
//! spelling — is an error. Lists become comma-separated values. Every value
//! keeps the line and column of its key and of itself.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan};

use super::diagnostic::Diagnostic;
use super::flat::Pair;
use super::source::{Span, Text};

enum Frame {
    Map {
        prefix: String,
        pending: Option<(String, Span)>,
    },
    Seq {
        key: String,
        key_span: Span,
        first: Option<Span>,
        items: Vec<String>,
    },
}

pub fn parse(text: &Arc<Text>) -> (Vec<Pair>, Vec<Diagnostic>) {
    let mut pairs: Vec<Pair> = Vec::new();
    let mut diags = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut documents = 0;
    let span_of = |s: &YSpan| {
        let len = if s.end.line() == s.start.line() {
            s.end.index().saturating_sub(s.start.index())
        } else {
            1
        };
        Span {
            text: text.clone(),
            line: s.start.line(),
            col: s.start.col() + 1,
            len: len.max(1),
        }
    };
    let mut push = |pairs: &mut Vec<Pair>,
                    diags: &mut Vec<Diagnostic>,
                    key: String,
                    key_span: Span,
                    value: String,
                    value_span: Span| {
        if let Some(&first) = seen.get(&key) {
            let first_line = pairs[first].key_span.line;
            diags.push(
                Diagnostic::error(format!(
                    "duplicate key (first defined on line {first_line})"
                ))
                .key(&key)
                .at(Some(&key_span))
                .hint("keep one definition; nested and dotted spellings of a key are the same key"),
            );
            return;
        }
        seen.insert(key.clone(), pairs.len());
        pairs.push(Pair {
            key,
            value,
            key_span,
            value_span,
        });
    };

    for event in Parser::new_from_str(&text.content) {
        let (event, yspan) = match event {
            Ok(ev) => ev,
            Err(e) => {
                let m = e.marker();
                let span = Span {
                    text: text.clone(),
                    line: m.line(),
                    col: m.col() + 1,
                    len: 1,
                };
                diags.push(
                    Diagnostic::error(format!("invalid YAML: {}", e.info()))
                        .at(Some(&span))
                        .hint("config.yaml must be standard YAML; Flink 1.x flat files are named flink-conf.yaml"),
                );
                return (pairs, diags);
            }
        };
        let span = span_of(&yspan);
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    diags.push(
                        Diagnostic::error("more than one YAML document")
                            .at(Some(&span))
                            .hint("remove the `---` separator"),
                    );
                    return (pairs, diags);
                }
            }
            Event::MappingStart(..) => match stack.last_mut() {
                None => stack.push(Frame::Map {
                    prefix: String::new(),
                    pending: None,
                }),
                Some(Frame::Map { prefix, pending }) => match pending.take() {
                    Some((key, _)) => {
                        let prefix = join(prefix, &key);
                        stack.push(Frame::Map {
                            prefix,
                            pending: None,
                        });
                    }
                    None => {
                        diags.push(Diagnostic::error("a mapping cannot be a key").at(Some(&span)));
                        return (pairs, diags);
                    }
                },
                Some(Frame::Seq { key, .. }) => {
                    diags.push(
                        Diagnostic::error("mappings inside lists are not supported")
                            .key(key.clone())
                            .at(Some(&span))
                            .hint("write the list items as plain values"),
                    );
                    return (pairs, diags);
                }
            },
            Event::MappingEnd => {
                stack.pop();
            }
            Event::SequenceStart(..) => match stack.last_mut() {
                Some(Frame::Map { prefix, pending }) => match pending.take() {
                    Some((key, key_span)) => {
                        let key = join(prefix, &key);
                        stack.push(Frame::Seq {
                            key,
                            key_span,
                            first: None,
                            items: Vec::new(),
                        });
                    }
                    None => {
                        diags.push(Diagnostic::error("a list cannot be a key").at(Some(&span)));
                        return (pairs, diags);
                    }
                },
                Some(Frame::Seq { key, .. }) => {
                    diags.push(
                        Diagnostic::error("nested lists are not supported")
                            .key(key.clone())
                            .at(Some(&span)),
                    );
                    return (pairs, diags);
                }
                None => {
                    diags.push(
                        Diagnostic::error(
                            "config.yaml must be a mapping of keys to values, not a list",
                        )
                        .at(Some(&span)),
                    );
                    return (pairs, diags);
                }
            },
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    key,
                    key_span,
                    first,
                    items,
                }) = stack.pop()
                {
                    let value_span = first.unwrap_or_else(|| key_span.clone());
                    push(
                        &mut pairs,
                        &mut diags,
                        key,
                        key_span,
                        items.join(","),
                        value_span,
                    );
                }
            }
            Event::Scalar(value, style, _, _) => match stack.last_mut() {
                Some(Frame::Map { prefix, pending }) => match pending.take() {
                    None => *pending = Some((value.to_string(), span)),
                    Some((key, key_span)) => {
                        let key = join(prefix, &key);
                        let is_null = style == ScalarStyle::Plain
                            && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                        if is_null {
                            diags.push(
                                Diagnostic::warning("key has no value and is ignored")
                                    .key(&key)
                                    .at(Some(&key_span))
                                    .hint("give it a value or remove it"),
                            );
                        } else {
                            push(
                                &mut pairs,
                                &mut diags,
                                key,
                                key_span,
                                value.to_string(),
                                span,
                            );
                        }
                    }
                },
                Some(Frame::Seq { first, items, .. }) => {
                    if first.is_none() {
                        *first = Some(span);
                    }
                    items.push(value.to_string());
                }
                None => {
                    if !value.is_empty() {
                        diags.push(
                            Diagnostic::error("config.yaml must be a mapping of keys to values")
                                .at(Some(&span)),
                        );
                        return (pairs, diags);
                    }
                }
            },
            Event::Alias(_) => {
                diags.push(
                    Diagnostic::error("YAML aliases are not supported")
                        .at(Some(&span))
                        .hint("write the value out"),
                );
                return (pairs, diags);
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
    (pairs, diags)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> (Vec<Pair>, Vec<Diagnostic>) {
        parse(&Arc::new(Text {
            name: "config.yaml".into(),
            path: None,
            content: s.into(),
        }))
    }

    #[test]
    fn nested_and_dotted_keys_flatten_with_spans() {
        let (pairs, diags) = parse_str("rest:\n  port: 8081\nmesos.master: \"zk://a:1/m\"\nmesos:\n  resourcemanager:\n    tasks.cpus: 1.5\nenv.java.opts.all: --add-opens=a\nlist: [a, b]\n");
        assert!(diags.is_empty(), "{diags:?}");
        let got: Vec<_> = pairs
            .iter()
            .map(|p| {
                (
                    p.key.as_str(),
                    p.value.as_str(),
                    p.value_span.line,
                    p.value_span.col,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("rest.port", "8081", 2, 9),
                ("mesos.master", "zk://a:1/m", 3, 15),
                ("mesos.resourcemanager.tasks.cpus", "1.5", 6, 17),
                ("env.java.opts.all", "--add-opens=a", 7, 20),
                ("list", "a,b", 8, 8),
            ]
        );
        assert_eq!((pairs[0].key_span.line, pairs[0].key_span.col), (2, 3));
    }

    #[test]
    fn duplicate_keys_in_either_spelling_are_errors() {
        let (pairs, diags) = parse_str("rest:\n  port: 1\nrest.port: 2\n");
        assert_eq!(pairs.len(), 1);
        assert_eq!(diags.len(), 1);
        assert!(diags[0].is_error());
        assert_eq!(diags[0].message, "duplicate key (first defined on line 2)");
        assert_eq!(diags[0].span.as_ref().unwrap().line, 3);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let (_, diags) = parse_str("a: b\n  c: [1, 2\n");
        assert!(diags[0].is_error());
        assert!(
            diags[0].message.starts_with("invalid YAML"),
            "{}",
            diags[0].message
        );
        assert!(diags[0].span.is_some());
    }

    #[test]
    fn null_values_warn() {
        let (pairs, diags) = parse_str("a:\nb: ~\nc: ''\n");
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].key, "c");
        assert_eq!(diags.len(), 2);
    }

    #[test]
    fn empty_file_is_fine() {
        let (pairs, diags) = parse_str("# only comments\n");
        assert!(pairs.is_empty() && diags.is_empty());
    }
}
