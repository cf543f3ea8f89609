//! The shell text of a worker's Mesos task: `mesos.resourcemanager.tasks.taskmanager-cmd`
//! (and the bootstrap command before it) as `sh -c` runs it. Pure.
//!
//! A *simple* command (one program and its arguments, redirections allowed)
//! is run with `exec`, so the TaskManager (or whatever the operator named)
//! is the task's process itself and every signal Mesos sends reaches it
//! directly. Anything else — `;`, `&&`, `|`, `&`, a variable assignment, a
//! shell keyword or builtin, a subshell — cannot be `exec`ed whole: `exec`
//! would run its first part and drop the rest. Such a *compound* command
//! runs whole, in the background of a small wrapper that waits for it,
//! passes its exit status on, and turns SIGTERM/SIGINT/SIGHUP into a
//! SIGTERM to the task's whole process group. That matters where only the
//! task's first process is signalled (Docker's `docker stop` signals the
//! container's pid 1); Mesos' command executor signals the whole tree
//! anyway.
//!
//! The scanner below is a deliberately small subset of the POSIX shell
//! grammar (quotes, escapes, comments, operators, the first word): it only
//! has to tell "surely simple" from "anything else", and anything it does
//! not understand is treated as compound, which is always correct (only the
//! signal path is one process longer). No crate offers that classification;
//! `shlex` splits words but does not see operators.

/// What kind of shell command a task command is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One program with its arguments: run with `exec`.
    Simple,
    /// Anything else: run whole under a signal-forwarding wrapper.
    Compound,
}

/// Shell reserved words, and builtins that `exec` cannot run (they exist
/// only inside the shell).
const NOT_EXECUTABLE: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
    "in", "{", "}", "!", "[[", "]]", "function", "select", "time", "cd", "export", "set", "unset",
    "source", ".", "eval", "exit", "return", "alias", "umask", "ulimit", "trap", "shift", "read",
    "wait", "readonly", "local", "declare", "typeset", "exec", ":", "break", "continue",
];

/// Classifies `command` (see the module docs).
pub fn shape(command: &str) -> Shape {
    let Some((words, operators)) = scan(command) else {
        return Shape::Compound;
    };
    match words.as_slice() {
        [only]
            if operators == 0
                && !only.assignment
                && !NOT_EXECUTABLE.contains(&only.text.as_str()) =>
        {
            Shape::Simple
        }
        _ => Shape::Compound,
    }
}

/// A word at command position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandWord {
    /// The word as written (quotes kept).
    pub text: String,
    /// Byte offset of the word in the command.
    pub start: usize,
    /// Contains an unquoted `=` before any quote: a variable assignment.
    pub assignment: bool,
}

/// The words at command position: the first word of each command (after
/// `;`, `&`, `|`, a newline), the word after a keyword that starts a
/// command (`then`, `do`, `else`, …) or after `exec`, and the program after
/// variable assignments (`X=1 prog`: both words). `None` when the text
/// holds something this scanner does not follow (a subshell, a command
/// substitution at command position, an unterminated quote).
pub fn command_words(command: &str) -> Option<Vec<CommandWord>> {
    scan(command).map(|(words, _)| words)
}

/// [`command_words`] and the number of command separators seen.
fn scan(command: &str) -> Option<(Vec<CommandWord>, usize)> {
    let bytes = command.as_bytes();
    let mut words: Vec<CommandWord> = Vec::new();
    let mut at_command = true;
    let mut operators = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' => i += 1,
            b'\n' | b';' | b'&' | b'|' => {
                operators += 1;
                at_command = true;
                i += 1;
            }
            b'(' | b')' | b'`' => return None,
            b'#' => {
                // A comment to the end of the line.
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {
                let start = i;
                let mut assignment = false;
                let mut quoted = false;
                while i < bytes.len() {
                    match bytes[i] {
                        // `2>&1`, `<&3`: a redirection, not an operator.
                        b'&' if i > start && matches!(bytes[i - 1], b'>' | b'<') => i += 1,
                        b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' => break,
                        // `$(…)` inside an argument is fine; anywhere else
                        // this scanner does not follow parentheses.
                        b'(' if !at_command && i > start && bytes[i - 1] == b'$' => {
                            i = skip_parens(bytes, i)?;
                        }
                        b'(' | b')' | b'`' => return None,
                        b'\\' => i += 2,
                        b'\'' => {
                            quoted = true;
                            i += 1;
                            while i < bytes.len() && bytes[i] != b'\'' {
                                i += 1;
                            }
                            if i >= bytes.len() {
                                return None;
                            }
                            i += 1;
                        }
                        b'"' => {
                            quoted = true;
                            i += 1;
                            while i < bytes.len() && bytes[i] != b'"' {
                                if bytes[i] == b'\\' {
                                    i += 1;
                                }
                                i += 1;
                            }
                            if i >= bytes.len() {
                                return None;
                            }
                            i += 1;
                        }
                        b'=' if !quoted && i > start => {
                            assignment = true;
                            i += 1;
                        }
                        _ => i += 1,
                    }
                }
                if !at_command {
                    continue;
                }
                let text = command.get(start..i.min(bytes.len()))?.to_string();
                // After an assignment, a keyword or `exec`, the next word
                // is (still) at command position.
                at_command = assignment
                    || matches!(
                        text.as_str(),
                        "then"
                            | "do"
                            | "else"
                            | "elif"
                            | "if"
                            | "while"
                            | "until"
                            | "!"
                            | "{"
                            | "exec"
                    );
                words.push(CommandWord {
                    text,
                    start,
                    assignment,
                });
            }
        }
    }
    Some((words, operators))
}

/// Index just past the `)` that closes the `$(` at `open`.
fn skip_parens(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether `command` runs `program` (a word at command position whose last
/// path segment is `program`, quotes aside).
pub fn runs(command: &str, program: &str) -> bool {
    command_words(command)
        .unwrap_or_else(|| fallback_words(command))
        .iter()
        .any(|w| basename(&w.text) == program)
}

/// Rewrites every bare `program` at command position (exactly that word)
/// to `replacement`. Returns the new text and how many were rewritten.
pub fn rewrite_program(command: &str, program: &str, replacement: &str) -> (String, usize) {
    let words = command_words(command).unwrap_or_else(|| fallback_words(command));
    let mut out = String::with_capacity(command.len() + replacement.len());
    let mut last = 0;
    let mut count = 0;
    for w in words.iter().filter(|w| w.text == program) {
        out.push_str(&command[last..w.start]);
        out.push_str(replacement);
        last = w.start + w.text.len();
        count += 1;
    }
    out.push_str(&command[last..]);
    (out, count)
}

/// When the scanner gives up: the first whitespace-separated word only.
fn fallback_words(command: &str) -> Vec<CommandWord> {
    let trimmed = command.trim_start();
    let start = command.len() - trimmed.len();
    trimmed
        .split_whitespace()
        .next()
        .map(|w| CommandWord {
            text: w.to_string(),
            start,
            assignment: false,
        })
        .into_iter()
        .collect()
}

fn basename(word: &str) -> &str {
    let w = word.trim_matches(|c| c == '"' || c == '\'');
    w.rsplit('/').next().unwrap_or(w)
}

/// The `sh -c` text of a task: the bootstrap command (when the task's shell
/// runs it) and then the command, `exec`ed when simple, wrapped when not.
pub fn task_shell(bootstrap: Option<&str>, command: &str) -> String {
    // A compound bootstrap is grouped (`a; b && c` would run `c` after a
    // failed `a`); a newline before `}` keeps a trailing comment from
    // eating the brace.
    let bootstrap = bootstrap.map(|b| match shape(b) {
        Shape::Simple if !b.contains('#') => format!("{b} && "),
        _ => format!("{{\n{b}\n}} && "),
    });
    let bootstrap = bootstrap.as_deref().unwrap_or_default();
    match shape(command) {
        Shape::Simple => format!("{bootstrap}exec {command}"),
        Shape::Compound => format!(
            "flink_mesos_forward() {{ trap '' TERM INT HUP; kill -TERM 0 2>/dev/null; }}\n\
             trap flink_mesos_forward TERM INT HUP\n\
             {bootstrap}{{\n{command}\n}} &\n\
             flink_mesos_child=$!\n\
             while :; do\n\
             \x20 wait \"$flink_mesos_child\"; flink_mesos_status=$?\n\
             \x20 kill -0 \"$flink_mesos_child\" 2>/dev/null || break\n\
             done\n\
             exit \"$flink_mesos_status\""
        ),
    }
}

/// One line for `validate-conf` and the appmaster's log: how the task
/// command will run.
pub fn explain(command: &str) -> String {
    match shape(command) {
        Shape::Simple => "a simple command: the task runs it with `exec`, so signals reach it directly".into(),
        Shape::Compound => "a compound shell command: the task runs it whole under `sh`, waits for it and passes its exit status on; SIGTERM/SIGINT/SIGHUP to the task go to its whole process group".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn simple_and_compound_are_told_apart() {
        for simple in [
            "flink-mesos taskmanager",
            "\"${MESOS_SANDBOX:-.}/flink-mesos\" taskmanager -Dx=1",
            "/opt/flink-mesos taskmanager --flink-home '/opt/my flink' # note; not a command",
            "sleep 600 > out.log 2>&1",
            "java -cp \"$(cat cp.txt)\" Main",
            "echo 'a;b' \"c && d\" e\\;f",
        ] {
            assert_eq!(shape(simple), Shape::Simple, "{simple}");
        }
        for compound in [
            "echo starting; sleep 600",
            "export X=1; flink-mesos taskmanager",
            "X=1 flink-mesos taskmanager",
            "cd /opt && ./run",
            "a | b",
            "sleep 1 &",
            "sleep 1\nsleep 2",
            "if true; then sleep 1; fi",
            "(sleep 1)",
            "`which sleep` 1",
            "echo 'unterminated",
            "{ sleep 1; }",
            "ulimit -n 65536",
        ] {
            assert_eq!(shape(compound), Shape::Compound, "{compound}");
        }
    }

    #[test]
    fn the_program_is_found_and_rewritten_at_command_position_only() {
        assert!(runs("flink-mesos taskmanager", "flink-mesos"));
        assert!(runs("export X=1; flink-mesos taskmanager", "flink-mesos"));
        assert!(runs("X=1 /opt/bin/flink-mesos taskmanager", "flink-mesos"));
        assert!(!runs("echo flink-mesos", "flink-mesos"));
        let (text, n) = rewrite_program(
            "export X=1; flink-mesos taskmanager && echo flink-mesos",
            "flink-mesos",
            "\"$S/flink-mesos\"",
        );
        assert_eq!(
            text,
            "export X=1; \"$S/flink-mesos\" taskmanager && echo flink-mesos"
        );
        assert_eq!(n, 1);
        let (text, n) = rewrite_program("flink-mesos taskmanager", "flink-mesos", "/x");
        assert_eq!((text.as_str(), n), ("/x taskmanager", 1));
    }

    fn sh(text: &str) -> (i32, String) {
        let out = Command::new("sh").arg("-c").arg(text).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
        )
    }

    #[test]
    fn a_compound_command_runs_whole_and_keeps_its_exit_status() {
        let (code, out) = sh(&task_shell(None, "echo one; echo two; exit 3"));
        assert_eq!((code, out.as_str()), (3, "one\ntwo\n"));
        let (code, out) = sh(&task_shell(Some("echo boot # comment"), "X=5; echo $X"));
        assert_eq!((code, out.as_str()), (0, "boot\n5\n"));
        // A failing bootstrap stops the command.
        let (code, out) = sh(&task_shell(Some("false"), "echo never; sleep 1"));
        assert_eq!((code, out.as_str()), (1, ""));
        let (code, out) = sh(&task_shell(Some("true"), "echo simple"));
        assert_eq!((code, out.as_str()), (0, "simple\n"));
    }

    #[test]
    fn a_term_to_the_wrapper_reaches_the_whole_command() {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let text = task_shell(
            None,
            &format!(
                "echo starting; sleep 300 & echo $! > {p}; sleep 301",
                p = pids.display()
            ),
        );
        // Its own process group, as the Mesos executor gives a task.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&text)
            .stdout(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while !pids.exists() || std::fs::read_to_string(&pids).unwrap().trim().is_empty() {
            assert!(started.elapsed().as_secs() < 10);
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        let bg: i32 = std::fs::read_to_string(&pids)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // SIGTERM to the wrapper alone (as `docker stop` signals pid 1).
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(143), "{status:?}");
        std::thread::sleep(std::time::Duration::from_millis(200));
        let state = std::fs::read_to_string(format!("/proc/{bg}/stat")).unwrap_or_default();
        let state = state.rsplit(')').next().unwrap_or("").trim_start();
        assert!(
            state.is_empty() || state.starts_with('Z'),
            "the command's own background child survived: {state}"
        );
    }
}
