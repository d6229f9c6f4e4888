//! What the server's log looks like where it usually goes: a pipe, a file or journald. Colour
//! codes there are noise (`[2m…[0m` in every line), so the text log carries them only when
//! standard error is a terminal.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TestBackend, TestDatabase};

#[tokio::test]
async fn the_text_log_on_a_pipe_carries_no_colour_codes() {
    let database = TestDatabase::new(TestBackend::Sqlite).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringmaster"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &database.url,
            "--ddm-open",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ringmaster serve");
    let stderr = child.stderr.take().expect("stderr");
    // Read on a thread of its own, so a server that never says it listens fails the test in
    // 30 s instead of blocking it.
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = received.recv_timeout(left) else {
            break;
        };
        let listening = line.contains("ringmaster is listening");
        seen.push(line);
        if listening {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let listening = seen
        .iter()
        .find(|line| line.contains("ringmaster is listening"))
        .unwrap_or_else(|| panic!("the server never said it listens; its log: {seen:#?}"));
    assert!(
        listening.contains("address=127.0.0.1:"),
        "the text log names its fields in plain words: {listening}"
    );
    for line in &seen {
        assert!(
            !line.contains('\u{1b}'),
            "a log line on a pipe carries an escape code: {line:?}"
        );
    }
}
