//! Program input and output, and the buffering policy every executor follows.
//!
//! Programs read with `,` from an [`Input`] and write with `.` to an [`Output`]. Both executors
//! buffer in the same way, so they are indistinguishable from outside:
//!
//! * output collects in a buffer of [`OUT_BUF`] bytes, written out when it is full, before a
//!   `,` has to wait for input (so an interactive program's prompt is visible), at the end of
//!   the run, before an error is reported, and after every `\n` when the output is a terminal;
//! * input is read in blocks of up to [`IN_BUF`] bytes, as much as is available; once a read
//!   reports end of input, it sticks (as in C stdio): later `,` get end of input at once, so
//!   on a terminal one Ctrl-D ends the input for good;
//! * with [`crate::autoflush`] enabled (the `jitbf` command enables it), pending output is
//!   also written every 50 ms while the program runs, and when the process gets `SIGINT`,
//!   `SIGTERM` or `SIGHUP`, before it dies;
//! * interrupted system calls (`EINTR`) are retried and short writes are continued; any other
//!   failure (for example `EPIPE` when the reader of a pipe has gone) ends the run with
//!   [`crate::RuntimeError::Output`] or [`crate::RuntimeError::Input`].
//!
//! The JIT does this in generated code with `read(2)`/`write(2)` system calls on file
//! descriptors; [`Input::Bytes`] and [`Output::Capture`] are then backed by in-memory files
//! (`memfd_create`), so in-memory runs exercise the very same code.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};

use crate::autoflush::Watch;

/// Size of the output buffer.
pub const OUT_BUF: usize = 1 << 16;
/// Largest read asked of the input at once.
pub const IN_BUF: usize = 1 << 16;

/// Where `,` reads from.
#[derive(Debug)]
pub enum Input {
    /// The process's standard input.
    Stdin,
    /// An open file (or pipe, or socket).
    File(File),
    /// These bytes, then end of input.
    Bytes(Vec<u8>),
}

/// Where `.` writes to.
#[derive(Debug)]
pub enum Output {
    /// The process's standard output.
    Stdout,
    /// An open file (or pipe, or socket).
    File(File),
    /// Collected in memory; read it back with [`Io::output`] or [`Io::take_output`].
    Capture(Vec<u8>),
}

/// The input and output of one run.
///
/// ```
/// let mut io = jitbf::Io::memory(b"hi");
/// assert!(io.output().is_empty());
/// ```
#[derive(Debug)]
pub struct Io {
    /// Where `,` reads from.
    pub input: Input,
    /// Where `.` writes to.
    pub output: Output,
    /// Where `#` tape dumps (`--debug`), traces and the tape shown with an error go
    /// (see [`crate::debug`]).
    pub diagnostics: crate::debug::Diagnostics,
}

impl Io {
    /// Standard input and standard output.
    pub fn stdio() -> Io {
        Io {
            input: Input::Stdin,
            output: Output::Stdout,
            diagnostics: crate::debug::Diagnostics::Stderr,
        }
    }

    /// Reads `input` from memory and captures the output (and the diagnostics) in memory.
    pub fn memory(input: impl Into<Vec<u8>>) -> Io {
        Io {
            input: Input::Bytes(input.into()),
            output: Output::Capture(Vec::new()),
            diagnostics: crate::debug::Diagnostics::Capture(Vec::new()),
        }
    }

    /// The captured output so far (empty unless the output is [`Output::Capture`]).
    pub fn output(&self) -> &[u8] {
        match &self.output {
            Output::Capture(v) => v,
            _ => &[],
        }
    }

    /// Takes the captured output, leaving the capture empty.
    pub fn take_output(&mut self) -> Vec<u8> {
        match &mut self.output {
            Output::Capture(v) => std::mem::take(v),
            _ => Vec::new(),
        }
    }

    /// The file descriptor of the output, unless it is captured in memory.
    pub(crate) fn output_fd(&self) -> Option<i32> {
        match &self.output {
            Output::Stdout => Some(1),
            #[cfg(unix)]
            Output::File(f) => Some(std::os::fd::AsRawFd::as_raw_fd(f)),
            _ => None,
        }
    }

    /// True if output should be flushed at every newline (the output is a terminal).
    pub(crate) fn line_flush(&self) -> bool {
        match &self.output {
            Output::Stdout => io::stdout().is_terminal(),
            Output::File(f) => f.is_terminal(),
            Output::Capture(_) => false,
        }
    }

    /// Writes `bytes` to the output completely (short writes continued, `EINTR` retried).
    pub(crate) fn write_out(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        match &mut self.output {
            Output::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(bytes)?;
                out.flush()
            }
            Output::File(f) => f.write_all(bytes),
            Output::Capture(v) => {
                v.extend_from_slice(bytes);
                Ok(())
            }
        }
    }
}

/// The interpreter's end of the buffering policy described in the module docs.
pub(crate) struct Port<'a> {
    io: &'a mut Io,
    /// The output buffer, which a signal handler may write out ([`crate::autoflush`]).
    out: Watch,
    line_flush: bool,
    inbuf: Vec<u8>,
    in_pos: usize,
    /// Read position in [`Input::Bytes`].
    bytes_pos: usize,
    /// End of input was seen: it sticks, later reads return `None` without reading.
    eof: bool,
}

impl<'a> Port<'a> {
    pub(crate) fn new(io: &'a mut Io) -> Port<'a> {
        let line_flush = io.line_flush();
        let out = Watch::interp(io.output_fd());
        Port {
            io,
            out,
            line_flush,
            inbuf: Vec::new(),
            in_pos: 0,
            bytes_pos: 0,
            eof: false,
        }
    }

    /// Buffers one output byte, flushing as the policy says. Fails if writing failed, here
    /// or in a signal handler that wrote pending output.
    #[inline]
    pub(crate) fn put(&mut self, byte: u8) -> io::Result<()> {
        let full = self.out.push(byte);
        if full || (byte == b'\n' && self.line_flush) || self.out.has_failed() {
            return self.flush_now();
        }
        Ok(())
    }

    /// The run's diagnostics stream (for `#` dumps and traces).
    pub(crate) fn diagnostics(&mut self) -> &mut crate::debug::Diagnostics {
        &mut self.io.diagnostics
    }

    /// [`Port::flush`], kept out of the interpreter's loop.
    #[cold]
    #[inline(never)]
    fn flush_now(&mut self) -> io::Result<()> {
        self.flush()
    }

    /// Writes out everything buffered.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        let result = self.io.write_out(self.out.pending());
        self.out.written();
        match self.out.failed() {
            Some(e) => Err(e),
            None => result,
        }
    }

    /// Next input byte, or `None` at end of input. Flushes output before waiting for input.
    #[inline]
    pub(crate) fn get(&mut self) -> Result<Option<u8>, crate::RuntimeError> {
        if self.in_pos == self.inbuf.len() {
            if self.eof {
                return Ok(None);
            }
            self.flush().map_err(crate::RuntimeError::Output)?;
            self.refill().map_err(crate::RuntimeError::Input)?;
            if self.inbuf.is_empty() {
                self.eof = true;
                return Ok(None);
            }
        }
        let b = self.inbuf[self.in_pos];
        self.in_pos += 1;
        Ok(Some(b))
    }

    /// Reads what is available (at most [`IN_BUF`] bytes); empty at end of input.
    fn refill(&mut self) -> io::Result<()> {
        self.inbuf.resize(IN_BUF, 0);
        self.in_pos = 0;
        let n = loop {
            let r = match &mut self.io.input {
                Input::Stdin => io::stdin().lock().read(&mut self.inbuf),
                Input::File(f) => f.read(&mut self.inbuf),
                Input::Bytes(b) => {
                    let rest = &b[self.bytes_pos..];
                    let n = rest.len().min(IN_BUF);
                    self.inbuf[..n].copy_from_slice(&rest[..n]);
                    self.bytes_pos += n;
                    Ok(n)
                }
            };
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        self.inbuf.truncate(*n.as_ref().unwrap_or(&0));
        n.map(|_| ())
    }
}
