//! The log as an operator reads it: human lines are coloured on a terminal only, and never when
//! `NO_COLOR` holds a value (<https://no-color.org>); a pipe or a file gets plain text.

use std::time::Duration;

use crate::helpers::{wait_for, Binary};

const ESCAPE: &str = "\x1b[";

/// Everything `mitan serve` logged from its start to its last line ("stopped" after SIGTERM).
async fn whole_log(mut mitan: Binary) -> String {
    assert!(mitan.port.is_some(), "did not start:\n{}", mitan.output());
    mitan.signal("TERM");
    let status = mitan.wait_exit(Duration::from_secs(10)).expect("exited");
    assert!(status.success(), "{}", mitan.output());
    // The readers of its streams may still be taking in the last lines.
    wait_for("the log's last line", Duration::from_secs(10), || {
        let log = mitan.output();
        let done = log.lines().any(|line| line.trim_end().ends_with("stopped"));
        async move { done.then_some(log) }
    })
    .await
}

fn human(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env = vec![("MITAN__LOG__FORMAT", "human")];
    env.extend_from_slice(extra);
    env
}

#[tokio::test]
async fn human_lines_through_a_pipe_are_plain_text() {
    // NO_COLOR is unset (the helper removes it): the pipe alone must turn colour off.
    let log = whole_log(Binary::serve(tempfile::tempdir().unwrap(), &human(&[]))).await;
    assert!(log.contains("mitan is listening"), "{log}");
    assert!(log.contains(" INFO "), "not the human format: {log}");
    assert!(!log.contains(ESCAPE), "colour codes in a pipe: {log:?}");
}

#[tokio::test]
async fn human_lines_on_a_terminal_are_coloured_unless_no_color_is_set() {
    let coloured = whole_log(Binary::serve_on_terminal(
        tempfile::tempdir().unwrap(),
        &human(&[]),
    ))
    .await;
    assert!(
        coloured.contains(ESCAPE),
        "no colour on a terminal: {coloured}"
    );

    // An empty NO_COLOR is as if unset.
    let empty = whole_log(Binary::serve_on_terminal(
        tempfile::tempdir().unwrap(),
        &human(&[("NO_COLOR", "")]),
    ))
    .await;
    assert!(
        empty.contains(ESCAPE),
        "no colour with NO_COLOR=\"\": {empty}"
    );

    for value in ["1", "0", "false"] {
        let log = whole_log(Binary::serve_on_terminal(
            tempfile::tempdir().unwrap(),
            &human(&[("NO_COLOR", value)]),
        ))
        .await;
        assert!(log.contains("mitan is listening"), "{log}");
        assert!(
            !log.contains(ESCAPE),
            "colour on a terminal with NO_COLOR={value}: {log:?}"
        );
    }
}
