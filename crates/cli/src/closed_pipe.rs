//! `xinfang … | head`: when the reader closes the pipe, the command stops quietly, as other
//! command-line tools do, instead of panicking on its next `println!` (Rust ignores SIGPIPE, so a
//! write to a closed pipe is an error, and `println!` turns it into a panic).

use std::panic;

/// Exit status of a process ended by SIGPIPE, as a shell reports it.
const CLOSED_PIPE: i32 = 141;

pub fn stop_quietly_when_closed() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(CLOSED_PIPE);
        }
        default(info);
    }));
}
