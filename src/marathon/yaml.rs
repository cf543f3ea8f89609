//! `--format yaml`: the definition as block-style YAML.
//!
//! The writing (indentation, flow style for empty collections, escaping of
//! every character YAML does not allow raw, of YAML 1.1's extra line breaks
//! NEL/LS/PS and of the byte order mark) is done by `libyaml-safer`, a safe
//! Rust port of libyaml, the reference emitter. It was chosen over the serde
//! front ends (`serde_yaml_ng`, `serde_norway`) and the `saphyr`/`yaml-rust2`
//! emitters because it takes the scalar style per value: those either write
//! `yes`, `on` or `n` unquoted, which YAML 1.1 readers (still common in
//! deployment tooling) take for booleans, or write NEL and LS raw, which such
//! readers take for line breaks. The one decision kept here is *which*
//! strings may stay plain ([`plain_is_safe`]); the rest are double-quoted.

use libyaml_safer::{Emitter, Encoding, Event, MappingStyle, ScalarStyle, SequenceStyle};
use serde_json::Value;

/// Renders a JSON value as block-style YAML that every YAML 1.1 and 1.2
/// reader reads back as the same value.
pub fn to_yaml(value: &Value) -> String {
    let mut out = Vec::new();
    let written = {
        let mut emitter = Emitter::new();
        emitter.set_output_string(&mut out);
        emitter.set_unicode(true);
        // No line folding: long `cmd` strings stay on one line.
        emitter.set_width(-1);
        emit_document(&mut emitter, value)
    };
    match written {
        // The emitter writes UTF-8 from UTF-8 input.
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        // Only an event sequence out of order fails, which `node` never
        // produces; JSON is the fallback that is still valid YAML.
        Err(_) => format!("{value}\n"),
    }
}

fn emit_document(e: &mut Emitter<'_>, value: &Value) -> libyaml_safer::Result<()> {
    e.emit(Event::stream_start(Encoding::Utf8))?;
    e.emit(Event::document_start(None, &[], true))?;
    node(e, value)?;
    e.emit(Event::document_end(true))?;
    e.emit(Event::stream_end())
}

fn node(e: &mut Emitter<'_>, v: &Value) -> libyaml_safer::Result<()> {
    match v {
        Value::Null => scalar(e, "null", ScalarStyle::Plain),
        Value::Bool(b) => scalar(e, &b.to_string(), ScalarStyle::Plain),
        Value::Number(n) => scalar(e, &n.to_string(), ScalarStyle::Plain),
        Value::String(s) => string(e, s),
        Value::Array(items) => {
            let style = if items.is_empty() {
                SequenceStyle::Flow
            } else {
                SequenceStyle::Block
            };
            e.emit(Event::sequence_start(None, None, true, style))?;
            for item in items {
                node(e, item)?;
            }
            e.emit(Event::sequence_end())
        }
        Value::Object(map) => {
            let style = if map.is_empty() {
                MappingStyle::Flow
            } else {
                MappingStyle::Block
            };
            e.emit(Event::mapping_start(None, None, true, style))?;
            for (k, v) in map {
                string(e, k)?;
                node(e, v)?;
            }
            e.emit(Event::mapping_end())
        }
    }
}

fn scalar(e: &mut Emitter<'_>, text: &str, style: ScalarStyle) -> libyaml_safer::Result<()> {
    e.emit(Event::scalar(None, None, text, true, true, style))
}

fn string(e: &mut Emitter<'_>, s: &str) -> libyaml_safer::Result<()> {
    let style = if plain_is_safe(s) {
        ScalarStyle::Plain
    } else {
        ScalarStyle::DoubleQuoted
    };
    scalar(e, s, style)
}

/// Whether a string can be written plain and still be read back as that
/// string by YAML 1.1 and 1.2 readers: only letters, digits and `_./-`,
/// starting with a letter, `/` or `_` (so never a number), and none of the
/// words YAML 1.1 reads as a boolean or null.
fn plain_is_safe(s: &str) -> bool {
    let plain_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c));
    let first_ok = s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '_');
    let reserved = matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
    );
    plain_chars && first_ok && !reserved
}
