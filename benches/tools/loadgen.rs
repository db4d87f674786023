//! A small closed-loop load generator for the serving benchmarks
//! (benches/serve/run.sh): C clients, each sending its next request when
//! the last one is answered, for S seconds; then requests per second and
//! latency percentiles, as one line of JSON.
//!
//!     bench-loadgen http URL [-c C] [-s S] [--body TEXT]
//!         HTTP/1.1 POSTs over keep-alive connections (one per client)
//!     bench-loadgen spawn [-c C] [-s S] -- COMMAND ARGS...
//!         one process per request: what CGI with a runtime's CLI costs
//!
//! The clients share the machine with the server they measure; on two
//! cores that takes CPU from it, so its figures are a lower bound.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

struct Opts {
    clients: usize,
    seconds: f64,
    body: String,
    rest: Vec<String>,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts { clients: 4, seconds: 5.0, body: String::new(), rest: Vec::new() };
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| args.get(i + 1).cloned().ok_or_else(|| format!("{} needs a value", args[i]));
        match args[i].as_str() {
            "-c" => o.clients = value(i)?.parse().map_err(|e| format!("-c: {e}"))?,
            "-s" => o.seconds = value(i)?.parse().map_err(|e| format!("-s: {e}"))?,
            "--body" => o.body = value(i)?,
            "--" => {
                o.rest.extend(args[i + 1..].iter().cloned());
                break;
            }
            _ => {
                o.rest.push(args[i].clone());
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    Ok(o)
}

/// One keep-alive connection's request/response loop.
fn http_client(addr: &str, path: &str, host: &str, body: &str, until: Instant) -> Result<(Vec<Duration>, u64), String> {
    let mut conn = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    conn.set_nodelay(true).map_err(|e| e.to_string())?;
    let request = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    let (mut lat, mut errors) = (Vec::new(), 0u64);
    let mut buf = vec![0u8; 1 << 16];
    while Instant::now() < until {
        let t = Instant::now();
        conn.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        // Headers, then Content-Length bytes of body.
        let mut have = 0;
        let (head_end, status, length) = loop {
            let n = conn.read(&mut buf[have..]).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            have += n;
            if let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                let length: usize =
                    head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
                break (end + 4, status, length);
            }
            if have == buf.len() {
                return Err("response headers over 64 KiB".into());
            }
        };
        let mut left = (head_end + length).saturating_sub(have);
        while left > 0 {
            let n = conn.read(&mut buf[..left.min(1 << 16)]).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the server closed the connection mid-body".into());
            }
            left -= n;
        }
        lat.push(t.elapsed());
        if status != 200 {
            errors += 1;
        }
    }
    Ok((lat, errors))
}

fn spawn_client(cmd: &[String], until: Instant) -> Result<(Vec<Duration>, u64), String> {
    let (mut lat, mut errors) = (Vec::new(), 0u64);
    while Instant::now() < until {
        let t = Instant::now();
        let status = std::process::Command::new(&cmd[0])
            .args(&cmd[1..])
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|e| format!("{}: {e}", cmd[0]))?;
        lat.push(t.elapsed());
        if !status.success() {
            errors += 1;
        }
    }
    Ok((lat, errors))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first().cloned() else {
        eprintln!("usage: bench-loadgen http URL [-c C] [-s S] [--body TEXT] | spawn [-c C] [-s S] -- COMMAND...");
        std::process::exit(2);
    };
    let o = parse(&args[1..]).unwrap_or_else(|e| {
        eprintln!("bench-loadgen: {e}");
        std::process::exit(2);
    });
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(o.seconds);
    let workers: Vec<_> = (0..o.clients)
        .map(|_| {
            let (mode, rest, body) = (mode.clone(), o.rest.clone(), o.body.clone());
            std::thread::spawn(move || match mode.as_str() {
                "http" => {
                    let url = rest.first().ok_or("http needs a URL")?;
                    let hostpath = url.strip_prefix("http://").ok_or("the URL must be http://")?;
                    let (host, path) = hostpath.split_at(hostpath.find('/').unwrap_or(hostpath.len()));
                    let path = if path.is_empty() { "/" } else { path };
                    http_client(host, path, host, &body, until)
                }
                "spawn" if !rest.is_empty() => spawn_client(&rest, until),
                _ => Err(format!("unknown mode {mode} (or no command)")),
            })
        })
        .collect();
    let (mut lat, mut errors) = (Vec::new(), 0);
    for w in workers {
        match w.join() {
            Ok(Ok((l, e))) => {
                lat.extend(l);
                errors += e;
            }
            Ok(Err(e)) => {
                eprintln!("bench-loadgen: {e}");
                std::process::exit(1);
            }
            Err(_) => std::process::exit(1),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "{{\"requests\": {}, \"errors\": {errors}, \"seconds\": {elapsed:.2}, \"rps\": {:.0}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}}}",
        lat.len(),
        lat.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
}
