//! A throwaway `redis-server` for tests and benchmarks: started on a free
//! local port with no persistence, stopped (killed by its own pid) when the
//! guard drops. `redis-server` comes from Debian (scripts/setup-redis.sh).

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    pub fn start() -> Result<RedisServer, String> {
        // A port found free can be taken by another test's server before
        // ours binds it; ours then exits, and the other one answers. So the
        // server that answers must be ours (its pid), else try another port.
        let mut last = String::new();
        for _ in 0..5 {
            match RedisServer::start_on_free_port() {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn start_on_free_port() -> Result<RedisServer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start redis-server ({e}): run scripts/setup-redis.sh"))?;
        let mut server = RedisServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("redis-server on port {port} exited ({status})"));
            }
            match server_pid(port) {
                Some(pid) if pid == server.child.id() => return Ok(server),
                Some(pid) => {
                    server.stop();
                    return Err(format!("port {port} is another redis-server's (pid {pid})"));
                }
                None if Instant::now() > deadline => {
                    return Err(format!("redis-server did not listen on port {port} within 10 s"))
                }
                None => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server now (for "Redis goes away" tests).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The pid of the redis-server answering on `port`, if one does.
fn server_pid(port: u16) -> Option<u32> {
    use std::io::{Read, Write};
    let mut c = TcpStream::connect(("127.0.0.1", port)).ok()?;
    c.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    c.write_all(b"INFO server\r\n").ok()?;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("process_id:") || !got.ends_with(b"\r\n") {
        let n = c.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    let line = text.lines().find_map(|l| l.strip_prefix("process_id:"))?;
    line.trim().parse().ok()
}
