//! [`Compiled`]: a program ready to run, the same type on every platform.
//!
//! Where jitbf has a JIT (Linux on x86-64) a [`Compiled`] holds machine code; elsewhere it
//! holds the [`Interpreter`]. Code written against it compiles everywhere: the methods that
//! only make sense for machine code ([`Compiled::code`], [`Compiled::disassemble`]) return
//! `None` where there is none, instead of not existing.
//!
//! # The `SIGSEGV` handler
//!
//! The JIT does not compare the tape pointer with the ends of the tape: the tape is mapped
//! between `PROT_NONE` guard pages, and a move off the tape faults there. So the first run of
//! machine code in a process installs a process-wide `SIGSEGV` handler with `sigaction`
//! (`SA_SIGINFO | SA_ONSTACK`), once, and never removes it. It handles only faults of
//! generated code that this thread is running at that moment; every other `SIGSEGV` goes to
//! the handler that was installed before (so the Rust runtime's stack-overflow report keeps
//! working), or, if there was none, kills the process as usual. An embedder that installs
//! its own `SIGSEGV` handler *after* jitbf's should chain to the previous one in the same
//! way, or faults of generated code will not be recognised. The interpreter installs
//! nothing.

use std::time::{Duration, Instant};

use crate::interp::Interpreter;
use crate::{Error, Executor, Io, Program, RuntimeError};

/// A program compiled for this platform: machine code where the JIT is available, else the
/// reference interpreter. Runs any number of times, each run on a fresh tape.
///
/// ```
/// use jitbf::{Config, Executor, Io, Program};
///
/// let program = Program::new("+++++[>++++++++++<-]>.", &Config::default())?;
/// let mut compiled = program.compile()?;
/// let mut io = Io::memory(Vec::new());
/// compiled.run(&mut io)?;
/// assert_eq!(io.output(), b"2");
/// // The listing of the machine code, where there is machine code.
/// if let Some(listing) = compiled.disassemble() {
///     assert!(listing.contains("; prologue"));
/// }
/// # Ok::<(), jitbf::Error>(())
/// ```
pub struct Compiled<'p> {
    inner: Inner<'p>,
    compile_time: Duration,
}

enum Inner<'p> {
    #[cfg(jitbf_jit)]
    Jit(crate::jit::Jit<'p>),
    Interp(Interpreter<'p>),
}

impl<'p> Compiled<'p> {
    /// Compiles `program` with the JIT where there is one, else prepares the interpreter.
    pub(crate) fn new(program: &'p Program) -> Result<Compiled<'p>, Error> {
        #[cfg(jitbf_jit)]
        {
            let jit = crate::jit::Jit::new(program)?;
            let compile_time = jit.compile_time();
            Ok(Compiled {
                inner: Inner::Jit(jit),
                compile_time,
            })
        }
        #[cfg(not(jitbf_jit))]
        {
            Ok(Compiled::interpreted(program))
        }
    }

    /// The interpreter behind the same type, on every platform (for comparing, and for
    /// testing code that must also work where there is no JIT).
    pub fn interpreted(program: &'p Program) -> Compiled<'p> {
        let start = Instant::now();
        let interp = program.interpreter();
        Compiled {
            inner: Inner::Interp(interp),
            compile_time: start.elapsed(),
        }
    }

    /// Whether this runs machine code (rather than the interpreter).
    pub fn is_jit(&self) -> bool {
        match self.inner {
            #[cfg(jitbf_jit)]
            Inner::Jit(_) => true,
            Inner::Interp(_) => false,
        }
    }

    /// How long compiling (or preparing the interpreter) took.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// The machine code (position independent, entry point at offset 0), or `None` for the
    /// interpreter.
    pub fn code(&self) -> Option<&[u8]> {
        match &self.inner {
            #[cfg(jitbf_jit)]
            Inner::Jit(jit) => Some(jit.code()),
            Inner::Interp(_) => None,
        }
    }

    /// The annotated listing of the machine code (`jitbf --emit asm`; see the `jit::disasm`
    /// module), or `None` for the interpreter.
    pub fn disassemble(&self) -> Option<String> {
        match &self.inner {
            #[cfg(jitbf_jit)]
            Inner::Jit(jit) => Some(jit.disassemble()),
            Inner::Interp(_) => None,
        }
    }

    /// The JIT behind this, for what only it has (its [`crate::jit::Jit::listing`], for
    /// example); `None` for the interpreter.
    #[cfg(jitbf_jit)]
    pub fn jit(&self) -> Option<&crate::jit::Jit<'p>> {
        match &self.inner {
            Inner::Jit(jit) => Some(jit),
            Inner::Interp(_) => None,
        }
    }
}

impl Executor for Compiled<'_> {
    /// Runs the program. With the JIT, the first run in the process installs the `SIGSEGV`
    /// handler described in the [module docs](self).
    fn run(&mut self, io: &mut Io) -> Result<(), RuntimeError> {
        match &mut self.inner {
            #[cfg(jitbf_jit)]
            Inner::Jit(jit) => jit.run(io),
            Inner::Interp(interp) => interp.run(io),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn the_interpreter_behind_the_same_methods() {
        let program = Program::new(",[>++<-]>.", &Config::default()).unwrap();
        let mut compiled = Compiled::interpreted(&program);
        assert!(!compiled.is_jit());
        assert_eq!(compiled.code(), None);
        assert_eq!(compiled.disassemble(), None);
        let mut io = Io::memory([21]);
        compiled.run(&mut io).unwrap();
        assert_eq!(io.output(), [42]);
    }

    #[test]
    fn compile_gives_machine_code_exactly_where_there_is_a_jit() {
        let program = Program::new(",[>++<-]>.", &Config::default()).unwrap();
        let mut compiled = program.compile().unwrap();
        assert_eq!(compiled.is_jit(), crate::JIT_AVAILABLE);
        assert_eq!(compiled.code().is_some(), crate::JIT_AVAILABLE);
        assert_eq!(compiled.disassemble().is_some(), crate::JIT_AVAILABLE);
        let mut io = Io::memory([21]);
        compiled.run(&mut io).unwrap();
        assert_eq!(io.output(), [42]);
    }
}
