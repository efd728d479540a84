//! The `budgetwatch` binary: reads the command line and the clock, then calls the
//! application services. Nothing here decides anything about money.

mod cli;
mod clock;
mod server;

fn main() -> std::process::ExitCode {
    cli::main()
}
