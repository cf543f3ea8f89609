//! POSIX shell quoting for the command lines we write (Marathon's `cmd`,
//! `taskmanager --dry-run`), through the `shlex` crate.

/// Quotes one word so that a POSIX shell reads it back byte for byte:
/// unchanged when no shell treats any of its characters specially, else
/// quoted (`shlex::try_quote`). A NUL byte cannot be passed through a shell
/// at all; callers refuse such words first ([`has_nul`]). Should one get
/// here anyway, it is cut at the NUL, exactly what `exec` would do with it.
pub fn quote(word: &str) -> String {
    let word = word.split('\0').next().unwrap_or_default();
    match shlex::try_quote(word) {
        Ok(quoted) => quoted.into_owned(),
        // Unreachable: the only error is a NUL byte, removed above.
        Err(_) => String::from("''"),
    }
}

/// Words joined by spaces, each quoted with [`quote`].
pub fn join<I, S>(words: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    words
        .into_iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a word cannot be passed through a shell (it holds a NUL byte).
pub fn has_nul(word: &str) -> bool {
    word.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("-Xmx1"), "-Xmx1");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote(""), "''");
        assert_eq!(join(["a", "b c"]), "a 'b c'");
        for word in ["it's", "a'b\"c$d`e\\f", "x\ny", "ü ✓"] {
            assert_eq!(shlex::split(&quote(word)).unwrap(), [word], "{word}");
        }
    }
}
