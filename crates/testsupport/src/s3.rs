//! An S3-compatible server for tests: `moto_server` (PyPI `moto[server]`) on a loopback port,
//! killed on drop. If `moto_server` is not on the PATH, it is installed once in a virtualenv
//! under the target directory (`target/moto-venv`, by `cargo xtask setup` or at first use).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::postgres::free_port;

/// A running moto S3 server.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    /// TCP port on 127.0.0.1.
    pub port: u16,
}

/// The `moto_server` program, installing it in a virtualenv under the target directory if
/// needed (the rule is `cargo xtask`'s, which also runs it at `setup`).
pub fn moto_server_program() -> Result<PathBuf> {
    xtask::tools::moto_server()
}

impl MotoServer {
    /// Starts moto on a free loopback port and waits until it answers.
    pub fn start() -> Result<Self> {
        let program = moto_server_program()?;
        let port = free_port()?;
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting moto_server")?;
        let server = MotoServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if server.request("GET", "/").is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("moto_server did not start on port {port}")
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket (a plain PUT: moto does not check signatures).
    pub fn create_bucket(&self, name: &str) -> Result<()> {
        let status = self.request("PUT", &format!("/{name}"))?;
        if !(200..300).contains(&status) {
            bail!("creating bucket {name}: HTTP {status}");
        }
        Ok(())
    }

    fn request(&self, method: &str, path: &str) -> Result<u16> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )?;
        let mut buf = String::new();
        s.read_to_string(&mut buf)?;
        let status = buf
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .context("no HTTP status")?;
        Ok(status)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
