//! A test hook: the process announces a named point on stderr and waits for a line on stdin, so
//! that a cross-process test can kill it exactly there (SIGKILL) or let it go on. Inert unless
//! the environment variable names the point.

use std::io::{BufRead, Write};

/// Environment variable naming the point to pause at (`convert`, `sign`, `upload`, `sync`,
/// `sync.files`...).
pub const PAUSE_ENV: &str = "SCEAU_TEST_PAUSE_AT";

/// Pauses here if [`PAUSE_ENV`] names `point`: prints `SCEAU_PAUSE <point>` on stderr, then
/// blocks until a line (or end of input) arrives on stdin.
pub fn checkpoint(point: &str) {
    let Ok(want) = std::env::var(PAUSE_ENV) else {
        return;
    };
    if want != point {
        return;
    }
    let mut err = std::io::stderr();
    let _ = writeln!(err, "SCEAU_PAUSE {point}");
    let _ = err.flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}
