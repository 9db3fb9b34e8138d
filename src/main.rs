//! The `sessionlens` binary: the desktop app and the command line.

fn main() -> std::process::ExitCode {
    sessionlens::cli::main()
}
