//! The README's shell examples, run as a reader copies them: every `curl` command of a fenced
//! `sh` block, with the variable assignments they use (`TOKEN=$(cargo run --release -- token
//! create …)`), in README order, by `bash`, against the real binary serving a fresh data folder
//! with the default configuration, as a first `cargo run --release` does.
//!
//! Only two things are changed in what the README says: `127.0.0.1:8080` becomes the address the
//! binary listens on (port 0, so tests run side by side), and `cargo run --release --` becomes
//! the path of the built binary. Each command must exit 0, and each answer it gets must be 2xx:
//! `curl` is wrapped in a shell function that passes every argument on unchanged and adds only
//! `--write-out` to report the status on stderr.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{holds_test_number, Binary};

/// One command of a fenced shell block: where it starts, and its text (continuation lines
/// included, exactly as written).
#[derive(Debug, Clone)]
struct Example {
    line: usize,
    text: String,
}

/// The commands of every ```sh (or bash, shell) block, a command ending at a line that does not
/// end in `\`.
fn shell_commands(markdown: &str) -> Vec<Example> {
    let mut commands = Vec::new();
    let mut in_shell = false;
    let mut in_other = false;
    let mut current: Option<Example> = None;
    for (index, line) in markdown.lines().enumerate() {
        let fence = line.trim_start();
        if fence.starts_with("```") {
            if in_shell || in_other {
                in_shell = false;
                in_other = false;
            } else {
                let language = fence.trim_start_matches('`').trim();
                in_shell = matches!(language, "sh" | "bash" | "shell");
                in_other = !in_shell;
            }
            continue;
        }
        if !in_shell {
            continue;
        }
        let example = current.get_or_insert_with(|| Example {
            line: index + 1,
            text: String::new(),
        });
        if !example.text.is_empty() {
            example.text.push('\n');
        }
        example.text.push_str(line);
        if !line.trim_end().ends_with('\\') {
            let done = current.take().unwrap();
            if !done.text.trim().is_empty() {
                commands.push(done);
            }
        }
    }
    commands
}

fn is_curl(example: &Example) -> bool {
    example.text.trim_start().starts_with("curl ")
}

/// The variable a command only assigns (`NAME=word` or `NAME=$(…)`, then at most a comment);
/// `None` for anything else, `NAME=value command` included.
fn assigned_variable(example: &Example) -> Option<&str> {
    let text = example.text.trim();
    let (name, value) = text.split_once('=')?;
    let is_name = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !is_name {
        return None;
    }
    let rest = if let Some(inner) = value.strip_prefix("$(") {
        // The end of the command substitution: the `)` that closes it, outside quotes.
        let (mut depth, mut quote) = (1, None);
        let mut end = None;
        for (at, c) in inner.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(at);
                        break;
                    }
                }
                _ => {}
            }
        }
        &inner[end? + 1..]
    } else {
        let word_end = value.find(char::is_whitespace).unwrap_or(value.len());
        &value[word_end..]
    };
    let rest = rest.trim_start();
    (rest.is_empty() || rest.starts_with('#')).then_some(name)
}

fn uses_variable(text: &str, name: &str) -> bool {
    let bare = format!("${name}");
    text.match_indices(&bare).any(|(at, _)| {
        !text[at + bare.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    }) || text.contains(&format!("${{{name}}}"))
}

/// What the test runs: every `curl`, and each assignment whose variable a later chosen command
/// uses (worked out backwards, so an assignment that feeds another assignment is kept too).
fn runnable(commands: &[Example]) -> Vec<Example> {
    let mut chosen = vec![false; commands.len()];
    for index in (0..commands.len()).rev() {
        chosen[index] = is_curl(&commands[index])
            || assigned_variable(&commands[index]).is_some_and(|name| {
                (index + 1..commands.len())
                    .any(|later| chosen[later] && uses_variable(&commands[later].text, name))
            });
    }
    commands
        .iter()
        .zip(chosen)
        .filter(|(_, chosen)| *chosen)
        .map(|(example, _)| example.clone())
        .collect()
}

/// Inline code spans (`` `curl …` ``) outside fenced blocks that are `curl` commands: a reader
/// copies those too, so they belong in a block, where this test runs them.
fn inline_curls(markdown: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (index, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for (at, span) in line.split('`').enumerate() {
            if at % 2 == 1 && span.trim_start().starts_with("curl ") {
                found.push((index + 1, span.to_string()));
            }
        }
    }
    found
}

/// The script `bash` runs: each example after a marker naming its README line, stopping at the
/// first that exits non-zero.
fn script(examples: &[Example], port: u16, binary: &str) -> String {
    let mut script = String::from(
        "set -uo pipefail\n\
         curl() { command curl --write-out '%{stderr}::status %{http_code}\\n' \"$@\"; }\n",
    );
    for example in examples {
        let text = example
            .text
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
            .replace("cargo run --release --", &format!("'{binary}'"));
        script.push_str(&format!(
            "echo '::example {line}' >&2\n{text}\nstatus=$?\n\
             if [ \"$status\" -ne 0 ]; then echo \"::exit $status\" >&2; exit 1; fi\n",
            line = example.line,
        ));
    }
    script.push_str("echo '::done' >&2\n");
    script
}

/// Runs `script` with bash in `dir`, in an environment of its own (no `MITAN__…` or
/// `DATABASE_URL` of the developer's, no `~/.curlrc`): what it printed on stdout and stderr.
/// A script still running after two minutes is killed and fails the test.
fn run_bash(dir: &std::path::Path, script: &str) -> (String, String) {
    let child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bash");
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = match finished.recv_timeout(Duration::from_secs(120)) {
        Ok(output) => output.expect("bash"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("the README's examples were still running after two minutes");
        }
    };
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// For each example (by README line), the statuses of the answers it got, and how the run ended.
fn statuses(stderr: &str) -> (Vec<(usize, Vec<u16>)>, Option<String>) {
    let mut ran: Vec<(usize, Vec<u16>)> = Vec::new();
    let mut end = None;
    for line in stderr.lines() {
        if let Some(at) = line.strip_prefix("::example ") {
            ran.push((at.parse().unwrap(), Vec::new()));
        } else if let Some(status) = line.strip_prefix("::status ") {
            if let Some((_, answers)) = ran.last_mut() {
                answers.push(status.trim().parse().unwrap_or(0));
            }
        } else if line.starts_with("::exit ") || line == "::done" {
            end = Some(line.to_string());
        }
    }
    (ran, end)
}

#[test]
fn the_readme_shell_examples_run_as_written_against_a_fresh_mitan() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    assert_eq!(
        inline_curls(&readme),
        vec![],
        "curl commands in the README's prose: put each in a ```sh block, where this test runs it"
    );
    let examples = runnable(&shell_commands(&readme));
    let curls = examples.iter().filter(|e| is_curl(e)).count();
    // The examples this test is about: the health check, the admin API and broadcasts.
    for needed in [
        "/healthz",
        "/api/v1/recruiters",
        "/api/v1/broadcasts",
        "token create",
    ] {
        assert!(
            examples.iter().any(|e| e.text.contains(needed)),
            "no example with {needed} found to run: {examples:#?}"
        );
    }
    assert!(
        curls >= 15,
        "only {curls} curl examples found: {examples:#?}"
    );

    let mitan = Binary::serve(tempfile::tempdir().unwrap(), &[]);
    let port = mitan.port.unwrap_or_else(|| panic!("{}", mitan.output()));
    let script = script(&examples, port, env!("CARGO_BIN_EXE_mitan"));
    let (stdout, stderr) = run_bash(mitan.workdir.path(), &script);
    let shown = format!(
        "script:\n{script}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}\n--- mitan:\n{}",
        mitan.output()
    );

    let (ran, end) = statuses(&stderr);
    if end.as_deref() != Some("::done") {
        let (line, answers) = ran.last().cloned().unwrap_or_default();
        panic!(
            "README line {line} failed ({}, answered {answers:?}):\n{shown}",
            end.unwrap_or_else(|| "bash stopped there".into())
        );
    }
    assert_eq!(
        ran.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
        examples.iter().map(|e| e.line).collect::<Vec<_>>(),
        "not every example ran:\n{shown}"
    );
    for (example, (line, answers)) in examples.iter().zip(&ran) {
        if is_curl(example) {
            assert!(
                !answers.is_empty(),
                "README line {line} made no request:\n{shown}"
            );
        }
        assert!(
            answers.iter().all(|status| (200..300).contains(status)),
            "README line {line} was answered {answers:?}:\n{shown}"
        );
    }
    for (what, text) in [
        ("the examples' output", format!("{stdout}{stderr}")),
        ("mitan's log", mitan.output()),
    ] {
        assert!(
            !holds_test_number(&text),
            "{what} holds a full number:\n{text}"
        );
    }
}

#[test]
fn commands_are_read_with_their_continuation_lines_and_only_assignments_they_use_are_run() {
    let markdown = "\
text `cargo run` here\n\
```sh\n\
TOKEN=$(cargo run --release -- token create --name \"a (b)\" | tail -n 1)   # kept\n\
UNUSED=$(echo no)\n\
export KEY=$(head -c 32 /dev/urandom | base64)\n\
TEST_DATABASE_URL=postgres://x cargo test\n\
curl -fsS -H \"Authorization: Bearer $TOKEN\" \\\n\
     http://127.0.0.1:8080/api/v1/areas   # a comment\n\
cargo run --release -- simulate --phone N\n\
```\n\
```toml\n\
curl = \"not shell\"\n\
```\n";
    let all = shell_commands(markdown);
    assert_eq!(all.len(), 6, "{all:#?}");
    assert_eq!(all[4].line, 7);
    assert!(all[4].text.ends_with("# a comment"), "{all:#?}");
    let run: Vec<String> = runnable(&all).into_iter().map(|e| e.text).collect();
    assert_eq!(run.len(), 2, "{run:#?}");
    assert!(run[0].starts_with("TOKEN=$(cargo run"), "{run:#?}");
    assert!(run[1].starts_with("curl -fsS"), "{run:#?}");
    assert_eq!(
        inline_curls("see `curl http://x` and `curl`\n```sh\ncurl http://y\n```\n"),
        vec![(1, "curl http://x".to_string())]
    );
}
