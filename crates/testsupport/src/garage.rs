//! A real distributed S3-compatible object store for tests and benches: Garage (`garage` from
//! crates.io, installed by `cargo xtask setup`), a cluster of nodes on loopback with replication
//! factor 3 (every object on every node of a three-node cluster), each node a process of its own
//! that a test can stop and start again. Killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::postgres::free_port;

/// The region the cluster answers for (any name: Garage checks it in signatures).
pub const REGION: &str = "garage";

/// One node: its directory, ports and process (when running).
#[derive(Debug)]
struct Node {
    dir: PathBuf,
    s3_port: u16,
    rpc_port: u16,
    child: Option<Child>,
}

/// A running Garage cluster with one bucket and one key.
#[derive(Debug)]
pub struct GarageCluster {
    _root: tempfile::TempDir,
    nodes: Vec<Node>,
    /// The bucket made for the test.
    pub bucket: String,
    /// Its access key id.
    pub access_key_id: String,
    /// Its secret key.
    pub secret_access_key: String,
}

/// The `garage` program: on the PATH or in cargo's bin directory (`cargo xtask setup`).
pub fn garage_program() -> Result<PathBuf> {
    if xtask::has_command("garage") {
        return Ok(PathBuf::from("garage"));
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .context("no CARGO_HOME nor HOME")?;
    let p = home.join("bin/garage");
    if p.exists() {
        Ok(p)
    } else {
        bail!("garage is not installed: run `cargo xtask setup` (cargo install garage)")
    }
}

fn garage(config: &Path) -> Result<Command> {
    let mut c = Command::new(garage_program()?);
    c.arg("-c").arg(config);
    Ok(c)
}

/// Runs `garage -c config args…` and returns its standard output, or fails with its error.
fn run(config: &Path, args: &[&str]) -> Result<String> {
    let out = garage(config)?
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .with_context(|| format!("garage {args:?}"))?;
    if !out.status.success() {
        bail!(
            "garage {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Node {
    fn config(&self) -> PathBuf {
        self.dir.join("garage.toml")
    }

    fn start(&mut self) -> Result<()> {
        let log = std::fs::File::create(self.dir.join("garage.log"))?;
        let child = garage(&self.config())?
            .arg("server")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting garage")?;
        self.child = Some(child);
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl GarageCluster {
    /// Starts `n` nodes (3 for the replication factor of 3), lays them out in one zone each,
    /// creates the bucket `bucket` and a key allowed to read and write it.
    pub fn start(n: usize, bucket: &str) -> Result<Self> {
        let root = tempfile::tempdir()?;
        let mut bytes = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
        let secret = hex::encode(bytes);
        let replication = n.min(3);
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let dir = root.path().join(format!("node{i}"));
            std::fs::create_dir_all(&dir)?;
            let (s3_port, rpc_port, admin_port) = (free_port()?, free_port()?, free_port()?);
            std::fs::write(
                dir.join("garage.toml"),
                format!(
                    r#"metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "sqlite"
replication_factor = {replication}
rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3_port}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin_port}"
"#,
                    d = dir.display()
                ),
            )?;
            let mut node = Node {
                dir,
                s3_port,
                rpc_port,
                child: None,
            };
            node.start()?;
            nodes.push(node);
        }
        let first = nodes[0].config();
        // Each node's id, once it answers.
        let mut ids = Vec::new();
        for node in &nodes {
            let deadline = Instant::now() + Duration::from_secs(60);
            let id = loop {
                match run(&node.config(), &["node", "id", "-q"]) {
                    Ok(id) if !id.trim().is_empty() => break id.trim().to_owned(),
                    _ if Instant::now() > deadline => bail!("garage node did not start"),
                    _ => std::thread::sleep(Duration::from_millis(200)),
                }
            };
            ids.push(id);
        }
        for (id, node) in ids.iter().zip(&nodes).skip(1) {
            let full = if id.contains('@') {
                id.clone()
            } else {
                format!("{id}@127.0.0.1:{}", node.rpc_port)
            };
            run(&first, &["node", "connect", &full])?;
        }
        for (i, id) in ids.iter().enumerate() {
            let short = id.split('@').next().unwrap_or(id);
            run(
                &first,
                &[
                    "layout",
                    "assign",
                    short,
                    "-z",
                    &format!("dc{i}"),
                    "-c",
                    "1G",
                ],
            )?;
        }
        run(&first, &["layout", "apply", "--version", "1"])?;
        // The layout reaches every node; then the bucket and its key.
        let key: serde_json::Value = serde_json::from_str(&retry(|| {
            run(&first, &["json-api", "CreateKey", r#"{"name":"sceau"}"#])
        })?)?;
        let access_key_id = key["accessKeyId"].as_str().context("key id")?.to_owned();
        let secret_access_key = key["secretAccessKey"]
            .as_str()
            .context("secret key")?
            .to_owned();
        let created: serde_json::Value = serde_json::from_str(&retry(|| {
            run(
                &first,
                &[
                    "json-api",
                    "CreateBucket",
                    &serde_json::json!({ "globalAlias": bucket }).to_string(),
                ],
            )
        })?)?;
        let bucket_id = created["id"].as_str().context("bucket id")?.to_owned();
        retry(|| {
            run(
                &first,
                &[
                    "json-api",
                    "AllowBucketKey",
                    &serde_json::json!({
                        "bucketId": bucket_id,
                        "accessKeyId": access_key_id,
                        "permissions": {"read": true, "write": true, "owner": true}
                    })
                    .to_string(),
                ],
            )
        })?;
        Ok(GarageCluster {
            _root: root,
            nodes,
            bucket: bucket.to_owned(),
            access_key_id,
            secret_access_key,
        })
    }

    /// The S3 endpoint of node `i` (every node answers for the whole cluster).
    pub fn endpoint(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[i].s3_port)
    }

    /// Stops node `i` (SIGKILL): the others keep serving with two copies of each object.
    pub fn stop_node(&mut self, i: usize) {
        self.nodes[i].stop();
    }

    /// Starts node `i` again with its data.
    pub fn start_node(&mut self, i: usize) -> Result<()> {
        self.nodes[i].start()
    }
}

/// `f` until it succeeds, for a few seconds (a new layout takes a moment to reach every node).
fn retry(mut f: impl FnMut() -> Result<String>) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match f() {
            Ok(v) => return Ok(v),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(300)),
        }
    }
}

impl Drop for GarageCluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            n.stop();
        }
    }
}
