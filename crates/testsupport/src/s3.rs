//! An S3-compatible server for tests: `moto_server` (PyPI `moto[server]`) on a loopback port,
//! killed on drop. If `moto_server` is not on the PATH, it is installed once in a virtualenv
//! under the target directory (`target/moto-venv`), so a fresh clone needs only python3-venv.

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

fn venv_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("moto-venv")
}

/// The `moto_server` program, installing it in a virtualenv if needed.
pub fn moto_server_program() -> Result<PathBuf> {
    if let Ok(out) = Command::new("sh")
        .args(["-c", "command -v moto_server"])
        .output()
    {
        let p = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() && !p.is_empty() {
            return Ok(PathBuf::from(p));
        }
    }
    let venv = venv_dir();
    let program = venv.join("bin/moto_server");
    if program.exists() {
        return Ok(program);
    }
    let st = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("python3 -m venv (install python3-venv)")?;
    if !st.success() {
        bail!("python3 -m venv failed");
    }
    let st = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "moto[server]"])
        .status()
        .context("pip install moto[server]")?;
    if !st.success() {
        bail!("pip install moto[server] failed");
    }
    Ok(program)
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
