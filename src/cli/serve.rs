//! `faasm-engine serve`: parses the command line and hands over to the
//! `serve` crate, with the same engine settings and compiled-code cache
//! as `run`.

use super::host_args::CacheArgs;
use anyhow::{anyhow, Result};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

const AFTER_HELP: &str = "\
modules.toml follows Wagi: [[module]] entries with route (exact, or a prefix
ending in /...), module, volumes, argv, entrypoint, allowed_hosts and
http_max_concurrency (here: requests the route runs at once, more get 503),
plus timeout (seconds, 504 when exceeded) and max_memory (MiB per linear
memory). A route with function = \"f.py\" instead of module serves a Faasm
Python function on the CPython build --python names: the request body is
the input of faasm_main, its output the response; requests restore a
snapshot taken after the file's import (snapshot = false: boot CPython per
request). A module route restores a snapshot where one applies: after its
wizer.initialize export, run once at start, or from snapshot = \"FILE\" (made by
faasm-engine snapshot); snapshot = false instantiates per request. Module
routes run as CGI: the request in the environment and on stdin,
the module's stdout parsed as CGI headers and body; its stderr goes to the
server's stderr, prefixed with the route. Outbound HTTP (allowed_hosts) is
not implemented. SIGINT or SIGTERM stops the server.";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct ServeArgs {
    /// The Wagi-style modules.toml.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: PathBuf,

    /// Address and port to listen on (port 0: any free port, shown in the Ready line).
    #[arg(short = 'l', long, value_name = "ADDR:PORT", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,

    /// An environment variable for every module.
    #[arg(short = 'e', long = "env", value_name = "NAME=VAL")]
    envs: Vec<String>,

    /// Environment variables for every module from a file of NAME=VAL lines (--env wins).
    #[arg(long = "env-file", value_name = "FILE")]
    env_file: Option<PathBuf>,

    /// The CPython build that function routes run on (python.wasm and lib/python3.11 with pyfaasm).
    #[arg(long, value_name = "DIR", env = "FAASM_PYTHON", default_value = "workload/cpython")]
    python: PathBuf,

    #[command(flatten)]
    cache: CacheArgs,
}

pub fn serve(a: ServeArgs) -> Result<i32> {
    let mut env = match &a.env_file {
        Some(f) => serve::read_env_file(f)?,
        None => Vec::new(),
    };
    for e in &a.envs {
        let (k, v) = e.split_once('=').ok_or_else(|| anyhow!("--env {e}: expected NAME=VAL"))?;
        env.retain(|(name, _)| name != k);
        env.push((k.to_owned(), v.to_owned()));
    }
    let opts = serve::ServeOptions { config: a.config, listen: a.listen, env, host: a.cache.host()?, python: a.python };
    serve::serve(opts)?;
    Ok(0)
}
