//! The `gale` binary.

fn main() -> std::process::ExitCode {
    match gale_host::cli::main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gale: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
