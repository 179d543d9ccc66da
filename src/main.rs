//! The `jitbf` command line. Everything it does is in the library's [`jitbf::cli`] module,
//! where it can be tested and read.

fn main() -> std::process::ExitCode {
    jitbf::cli::main(std::env::args_os())
}
