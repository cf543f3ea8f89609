//! Where a value came from: the file, line and column, the environment
//! variable, the `-D` argument, or the built-in default. Kept for every value
//! so that diagnostics and `config show` can point at it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// The precedence layers, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    Default,
    File,
    Env,
    Dynamic,
}

/// A text that values were read from, kept whole so that diagnostics can
/// show the offending line.
#[derive(Debug, PartialEq, Eq)]
pub struct Text {
    /// How to name it in messages: a file path, `$FLINK_PROPERTIES`, `-D`.
    pub name: String,
    pub path: Option<PathBuf>,
    pub content: String,
}

impl Text {
    /// The 1-based line `line` without its newline.
    pub fn line(&self, line: usize) -> Option<&str> {
        self.content.lines().nth(line.checked_sub(1)?)
    }
}

/// A position in a [`Text`]: 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: Arc<Text>,
    pub line: usize,
    pub col: usize,
    /// Length in characters of what is pointed at (at least 1 when shown).
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default of the declared option.
    Default,
    /// A configuration file; `key` and `value` are where each starts.
    File { key: Span, value: Span },
    /// An environment variable; for `FLINK_PROPERTIES` the spans point into it.
    Env {
        var: String,
        spans: Option<(Span, Span)>,
    },
    /// The `index`-th `-D` argument (0-based); `arg` is the whole `key=value`.
    Dynamic {
        index: usize,
        key: Span,
        value: Span,
    },
}

impl Origin {
    pub fn layer(&self) -> Layer {
        match self {
            Origin::Default => Layer::Default,
            Origin::File { .. } => Layer::File,
            Origin::Env { .. } => Layer::Env,
            Origin::Dynamic { .. } => Layer::Dynamic,
        }
    }

    /// Ordering inside a layer: later `-D` arguments win over earlier ones.
    pub fn rank(&self) -> (Layer, usize) {
        match self {
            Origin::Dynamic { index, .. } => (Layer::Dynamic, *index),
            o => (o.layer(), 0),
        }
    }

    pub fn key_span(&self) -> Option<&Span> {
        match self {
            Origin::File { key, .. } | Origin::Dynamic { key, .. } => Some(key),
            Origin::Env {
                spans: Some((key, _)),
                ..
            } => Some(key),
            _ => None,
        }
    }

    pub fn value_span(&self) -> Option<&Span> {
        match self {
            Origin::File { value, .. } | Origin::Dynamic { value, .. } => Some(value),
            Origin::Env {
                spans: Some((_, value)),
                ..
            } => Some(value),
            _ => None,
        }
    }
}

/// Short human form: `conf/flink-conf.yaml:12`, `-D #3`, `env FLINK_MESOS_MASTER`, `default`.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { key, .. } => write!(f, "{}:{}", key.text.name, key.line),
            Origin::Env {
                var,
                spans: Some((key, _)),
            } => write!(f, "env {var}:{}", key.line),
            Origin::Env { var, spans: None } => write!(f, "env {var}"),
            Origin::Dynamic { .. } => f.write_str("-D"),
        }
    }
}
