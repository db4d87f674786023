//! Command-line parsing (clap) and dispatch. Each subcommand lives in its
//! own file; errors are `anyhow` here at the edge and become a message on
//! stderr plus a non-zero exit code.

mod cache;
mod compile;
mod host_args;
mod invoke;
mod logging;
mod report;
mod run;
mod serve;
mod snapshot;
mod worker;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "faasm-engine", version, about = "A Cranelift-based WebAssembly runtime for Python serverless functions")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a WebAssembly module (WASI preview1).
    Run(run::RunArgs),
    /// Run a module's initialisation and save the state it reached (a snapshot).
    Snapshot(snapshot::SnapshotArgs),
    /// Compile a module ahead of time into an artifact file that `run` maps.
    Compile(compile::CompileArgs),
    /// Inspect or empty the compiled-code cache.
    Cache(cache::CacheCmd),
    /// Run a Faasm function file once (faasm_main() of FILE.py) and print its output.
    Invoke(invoke::InvokeArgs),
    /// Run chained calls from a Redis queue (for `invoke --redis`), on N threads.
    Worker(worker::WorkerArgs),
    /// Serve modules over HTTP as Wagi does (CGI), from a modules.toml.
    Serve(serve::ServeArgs),
}

/// The cause chain, without anyhow's Rust backtrace (which says nothing
/// useful to a user running a module): one line `Error: what: why: ...`
/// when every cause is one line (a module that fails to load, a bad
/// path), else the causes below a `Caused by:` heading.
fn error_report(err: &anyhow::Error) -> String {
    let chain: Vec<String> = err.chain().map(|c| c.to_string()).collect();
    if chain.iter().all(|c| !c.contains('\n')) {
        return format!("Error: {}", chain.join(": "));
    }
    let mut out = format!("Error: {}", chain.first().map(String::as_str).unwrap_or_default());
    if chain.len() > 1 {
        out.push_str("\n\nCaused by:");
        for c in chain.iter().skip(1) {
            out.push_str(&format!("\n    {}", c.replace('\n', "\n    ")));
        }
    }
    out
}

/// Parses the command line, runs it and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    // Only the server logs often enough for a background writer to pay.
    let _log_guard = logging::init(matches!(cli.command, Command::Serve(_)));
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Snapshot(args) => snapshot::snapshot(args),
        Command::Compile(args) => compile::compile(args).map(|()| 0),
        Command::Cache(cmd) => cache::cache(cmd),
        Command::Invoke(args) => invoke::invoke(args),
        Command::Worker(args) => worker::worker(args),
        Command::Serve(args) => serve::serve(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", error_report(&err));
            1
        }
    }
}
