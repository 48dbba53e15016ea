//! The `gale` binary.

fn main() -> std::process::ExitCode {
    match gale_host::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gale: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
