//! A pseudo-terminal for the tests that run jitbf as if at a terminal (`tests/cli_bench.rs`,
//! `tests/cli_polish.rs`, `tests/live_output.rs`): progress bars, colours and line-buffered
//! output depend on whether a stream is a terminal.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;

/// A new pseudo-terminal: (the controller side, which the test reads and writes; the
/// terminal side, to give the child as its standard streams). Neither becomes the test's
/// controlling terminal.
pub fn pty() -> (File, File) {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let controller =
        openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).expect("openpt");
    grantpt(&controller).expect("grantpt");
    unlockpt(&controller).expect("unlockpt");
    let name = ptsname(&controller, Vec::new()).expect("ptsname");
    let terminal = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(name.to_str().expect("a path"))
        .expect("open the terminal side of the pty");
    (File::from(controller), terminal)
}
