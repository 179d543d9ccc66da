//! Where a command's Brainfuck program comes from: a file, standard input (`-`) or `-e CODE`.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use super::Failure;

/// The program: `FILE`, `-` (standard input) or `-e CODE`.
#[derive(Args, Debug, Clone)]
pub struct ProgramSource {
    /// The Brainfuck program (`-`: read it from standard input).
    #[arg(required_unless_present = "expr", conflicts_with = "expr")]
    pub file: Option<PathBuf>,

    /// Use CODE given on the command line as the program instead of a file.
    #[arg(
        short = 'e',
        long = "expr",
        value_name = "CODE",
        allow_hyphen_values = true
    )]
    pub expr: Option<OsString>,
}

impl ProgramSource {
    /// Whether the program is read from standard input (which then cannot be its input).
    pub fn is_stdin(&self) -> bool {
        self.expr.is_none() && self.file.as_deref() == Some("-".as_ref())
    }

    /// The program's bytes and how to call it in messages (`prog.bf`, `<stdin>`, `<expr>`).
    pub fn read(&self) -> Result<(Vec<u8>, String), Failure> {
        match (&self.file, &self.expr) {
            (_, Some(code)) => Ok((os_bytes(code), "<expr>".to_string())),
            (Some(_), None) if self.is_stdin() => {
                let mut bytes = Vec::new();
                std::io::stdin()
                    .lock()
                    .read_to_end(&mut bytes)
                    .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
                Ok((bytes, "<stdin>".to_string()))
            }
            (Some(path), None) => match std::fs::read(path) {
                Ok(bytes) => Ok((bytes, path.display().to_string())),
                Err(e) => Err(Failure::usage(format!(
                    "cannot read {}: {e}",
                    path.display()
                ))),
            },
            (None, None) => Err(Failure::usage("no program: give a FILE, `-` or -e CODE")),
        }
    }

    /// A name for files made from the program: the file's stem, or `fallback`.
    pub fn stem(&self, fallback: &str) -> String {
        match (&self.file, &self.expr) {
            (Some(path), None) if !self.is_stdin() => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| fallback.to_string()),
            _ => fallback.to_string(),
        }
    }
}

/// The bytes of a command-line argument: any bytes, like a source file (on Unix; elsewhere
/// arguments are text).
pub fn os_bytes(arg: &OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        arg.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        arg.to_string_lossy().into_owned().into_bytes()
    }
}
