//! The `budgetwatch` binary: reads the command line and the clock, then calls the
//! application services. Nothing here decides anything about money.

// Imports allocate and free millions of small strings; mimalloc does that markedly faster
// than the system allocator (see docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod api;
mod budget_api;
mod cli;
mod clock;
mod compress;
mod documents_api;
mod figures_api;
mod fonts;
mod forecasts_api;
mod governance_api;
mod informal_api;
mod ledger_api;
mod library_api;
mod national;
mod pages;
mod push;
mod risks_api;
mod server;
mod templates;
mod text;
mod web;

fn main() -> std::process::ExitCode {
    cli::main()
}
