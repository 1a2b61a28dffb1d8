//! `xinfang … | head`: a reader that closes the pipe early stops the command quietly.

use std::process::{Command, Stdio};

#[test]
fn a_closed_pipe_ends_the_command_without_a_panic() {
    let out = std::env::temp_dir().join(format!("xinfang-closed-pipe-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinfang"))
        .args(["keys", "generate", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xinfang runs");
    // The reader goes away before the command prints its first line.
    drop(child.stdout.take());
    let finished = child.wait_with_output().expect("xinfang ends");
    std::fs::remove_dir_all(&out).ok();
    let stderr = String::from_utf8_lossy(&finished.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(finished.status.code(), Some(141), "{stderr}");
}
