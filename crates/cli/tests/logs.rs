//! Logs that a machine reads — a pipe, a file, a CI log — carry no terminal colour codes; a
//! person at a terminal still gets them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let data = std::env::temp_dir().join(format!("xinfang-logs-{}", uuid::Uuid::new_v4()));
    let mut node = Command::new(env!("CARGO_BIN_EXE_xinfang"))
        .args(["dev", "--data"])
        .arg(&data)
        .envs(
            [
                "INTAKE",
                "DISPATCH",
                "SUPERVISION",
                "EVALUATION",
                "JOINTMEETING",
                "EXCHANGE",
                "PORTAL",
            ]
            .map(|s| (format!("XINFANG__LISTEN__{s}"), "127.0.0.1:0")),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("xinfang dev starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    for line in BufReader::new(node.stdout.take().unwrap()).lines() {
        let line = line.expect("a line of output");
        let ready = line.contains("Ctrl-C stops the node");
        lines.push(line);
        if ready || Instant::now() > deadline {
            break;
        }
    }
    node.kill().ok();
    node.wait().ok();
    std::fs::remove_dir_all(&data).ok();
    let text = lines.join("\n");
    assert!(
        text.contains("INFO"),
        "the node logged while starting: {text}"
    );
    assert!(!text.contains('\u{1b}'), "no escape sequences: {text:?}");
}
