//! A throw-away PostgreSQL server for tests: `initdb` in a temp dir, started on its own loopback
//! port, stopped (immediate mode) on drop. Runs as the `postgres` user when started as root.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// A running PostgreSQL cluster.
#[derive(Debug)]
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// TCP port on 127.0.0.1.
    pub port: u16,
}

fn bin_dir() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root)
        .with_context(|| format!("{} (install the Debian package postgresql)", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .context("no PostgreSQL server binaries under /usr/lib/postgresql")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A free TCP port on loopback (bound then released).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

impl PgServer {
    /// Creates and starts a cluster with trust authentication for user `postgres`.
    pub fn start() -> Result<Self> {
        let bin = bin_dir()?;
        let dir = tempfile::Builder::new().prefix("sceau-pg").tempdir()?;
        let root = is_root();
        if root {
            let st = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()?;
            if !st.success() {
                bail!("chown postgres failed");
            }
        }
        let data = dir.path().join("data");
        let run = |program: &str, args: &[&str]| -> Result<()> {
            let mut cmd = if root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(bin.join(program));
                c
            } else {
                Command::new(bin.join(program))
            };
            let out = cmd
                .args(args)
                .output()
                .with_context(|| format!("running {program}"))?;
            if !out.status.success() {
                bail!(
                    "{program} failed: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Ok(())
        };
        let data_s = data.to_string_lossy().into_owned();
        run(
            "initdb",
            &[
                "-D",
                &data_s,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )?;
        // A port can be taken between probing and binding: retry a few times.
        let mut last = None;
        for _ in 0..5 {
            let port = free_port()?;
            let opts = format!(
                "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c max_connections=100",
                dir.path().display()
            );
            let log = dir.path().join("pg.log").to_string_lossy().into_owned();
            match run(
                "pg_ctl",
                &["-D", &data_s, "-o", &opts, "-l", &log, "-w", "start"],
            ) {
                Ok(()) => return Ok(PgServer { dir, bin, port }),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("pg_ctl start failed")))
    }

    /// A libpq connection string for database `postgres`.
    pub fn url(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    /// Creates database `name` and returns its connection string.
    pub fn create_database(&self, name: &str) -> Result<String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-c",
            ])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .or_else(|_| {
                Command::new("psql")
                    .args([
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &self.port.to_string(),
                        "-U",
                        "postgres",
                        "-c",
                    ])
                    .arg(format!("CREATE DATABASE {name}"))
                    .output()
            })?;
        if !out.status.success() {
            bail!(
                "CREATE DATABASE failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(format!(
            "host=127.0.0.1 port={} user=postgres dbname={name}",
            self.port
        ))
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"));
            c
        } else {
            Command::new(self.bin.join("pg_ctl"))
        };
        let _ = cmd
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
