//! JVM options from `env.java.*`, as Flink's `config.sh` assembles them.
//! Pure.

use crate::config::options::Key;

/// Which Flink process the options are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptsRole {
    JobManager,
    TaskManager,
}

impl OptsRole {
    /// The role's `env.java.default-opts.*` and `env.java.opts.*`.
    fn keys(self) -> (Key, Key) {
        match self {
            OptsRole::JobManager => (
                Key::EnvJavaDefaultOptsJobmanager,
                Key::EnvJavaOptsJobmanager,
            ),
            OptsRole::TaskManager => (
                Key::EnvJavaDefaultOptsTaskmanager,
                Key::EnvJavaOptsTaskmanager,
            ),
        }
    }
}

/// The `env.java.*` options for `role`, in `config.sh`'s order:
/// `-XX:+IgnoreUnrecognizedVMOptions`, `env.java.default-opts.all`,
/// `env.java.opts.all` (or the old `env.java.opts`), then the role's
/// `default-opts` and `opts`; Java 18+ also gets
/// `-Djava.security.manager=allow`. `get` looks a key up in the effective
/// configuration. When nobody set any options, G1 is chosen as the scripts do.
pub fn java_opts(
    role: OptsRole,
    java_feature: u32,
    get: impl Fn(Key) -> Option<String>,
) -> Vec<String> {
    let all = get(Key::EnvJavaOptsAll).or_else(|| get(Key::EnvJavaOpts));
    let (role_default_key, role_opts_key) = role.keys();
    let role_default = get(role_default_key);
    let role_opts = get(role_opts_key);
    let mut out = vec!["-XX:+IgnoreUnrecognizedVMOptions".to_string()];
    let user_set = [&all, &role_opts]
        .iter()
        .any(|o| o.as_deref().is_some_and(|s| !s.trim().is_empty()));
    for part in [
        get(Key::EnvJavaDefaultOptsAll),
        all,
        role_default,
        role_opts,
    ]
    .into_iter()
    .flatten()
    {
        out.extend(split_words(strip_outer_quotes(&part)));
    }
    if java_feature > 17 {
        out.push("-Djava.security.manager=allow".into());
    }
    if !user_set {
        out.push("-XX:+UseG1GC".into());
    }
    out
}

/// `config.sh` removes one pair of double quotes around the whole value.
fn strip_outer_quotes(s: &str) -> &str {
    let t = s.trim();
    t.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(t)
}

/// Splits like a POSIX shell (without expansions): whitespace separates,
/// single and double quotes group, backslash escapes.
pub fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                cur.push(n);
                            }
                        }
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(Key) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k.name())
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn words_like_a_shell() {
        assert_eq!(
            split_words(r#" -Da=1  -Db="x y" '-Dc=$HOME' d\ e "#),
            ["-Da=1", "-Db=x y", "-Dc=$HOME", "d e"]
        );
        assert!(split_words("   ").is_empty());
        assert_eq!(split_words(r#""""#), [""]);
    }

    #[test]
    fn options_in_config_sh_order() {
        let conf = [
            ("env.java.default-opts.all", "-Dd=1"),
            (
                "env.java.opts.all",
                "\"--add-opens=java.base/java.lang=ALL-UNNAMED -Dx=y\"",
            ),
            ("env.java.opts.taskmanager", "-Dtm=1"),
            ("env.java.opts.jobmanager", "-Djm=1"),
        ];
        assert_eq!(
            java_opts(OptsRole::TaskManager, 17, lookup(&conf)),
            [
                "-XX:+IgnoreUnrecognizedVMOptions",
                "-Dd=1",
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-Dx=y",
                "-Dtm=1"
            ]
        );
        let jm = java_opts(OptsRole::JobManager, 21, lookup(&conf));
        assert_eq!(
            &jm[jm.len() - 2..],
            ["-Djm=1", "-Djava.security.manager=allow"]
        );
    }

    #[test]
    fn old_key_and_g1_default() {
        assert_eq!(
            java_opts(
                OptsRole::TaskManager,
                11,
                lookup(&[("env.java.opts", "-Dold=1")])
            ),
            ["-XX:+IgnoreUnrecognizedVMOptions", "-Dold=1"]
        );
        assert_eq!(
            java_opts(OptsRole::TaskManager, 17, lookup(&[])),
            ["-XX:+IgnoreUnrecognizedVMOptions", "-XX:+UseG1GC"]
        );
    }
}
