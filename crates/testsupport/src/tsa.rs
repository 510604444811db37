//! An RFC 3161 time-stamping authority on loopback, backed by the real `openssl ts -reply`.
//!
//! A deliberately tiny HTTP/1.1 server on a std thread: one connection at a time, one request per
//! connection (`Connection: close`). Handling requests one by one also keeps OpenSSL's serial file
//! consistent without locking.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::pki::Identity;

/// The policy OID the test TSA puts in its tokens (`tsa_policy1` in its OpenSSL configuration).
pub const TSA_POLICY_OID: &str = "1.2.3.4.1";

/// Largest request body accepted: a TimeStampReq is a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// A running time-stamping authority; stops when dropped.
#[derive(Debug)]
pub struct TsaServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
    // Kept alive for as long as the server runs: it holds the key, config and serial file.
    _dir: tempfile::TempDir,
}

impl TsaServer {
    /// Starts a TSA signing with `tsa` (a [`crate::pki::Profile::TimeStamping`] identity) whose
    /// responses include the chain in `ca_cert_pem_path`.
    pub fn start(tsa: &Identity, ca_cert_pem_path: &Path) -> anyhow::Result<TsaServer> {
        let dir = tempfile::tempdir().context("creating TSA directory")?;
        let (signer, key) = tsa.write_pem(dir.path(), "tsa")?;
        let chain = dir.path().join("chain.pem");
        std::fs::copy(ca_cert_pem_path, &chain)
            .with_context(|| format!("copying {}", ca_cert_pem_path.display()))?;
        std::fs::write(dir.path().join("tsaserial"), "01\n").context("writing TSA serial")?;
        let config = dir.path().join("tsa.cnf");
        std::fs::write(&config, openssl_config(dir.path())).context("writing tsa.cnf")?;

        let listener = TcpListener::bind("127.0.0.1:0").context("binding TSA port")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let ctx = Ctx {
            dir: dir.path().to_path_buf(),
            config,
            signer,
            key,
            chain,
        };
        let thread = {
            let stop = Arc::clone(&stop);
            let served = Arc::clone(&served);
            std::thread::Builder::new()
                .name(format!("test-tsa-{}", addr.port()))
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        // A broken client must not bring the TSA down for the other tests.
                        let _ = handle(stream, &ctx, &served);
                    }
                })
                .context("spawning TSA thread")?
        };
        Ok(TsaServer {
            addr,
            stop,
            served,
            thread: Some(thread),
            _dir: dir,
        })
    }

    /// The URL to POST time-stamp queries to, e.g. `http://127.0.0.1:40123/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// How many requests were answered so far (successfully or with an HTTP error).
    pub fn requests_served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for TsaServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so that the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Ctx {
    dir: PathBuf,
    config: PathBuf,
    signer: PathBuf,
    key: PathBuf,
    chain: PathBuf,
}

fn openssl_config(dir: &Path) -> String {
    format!(
        r#"oid_section = new_oids

[ new_oids ]
tsa_policy1 = {TSA_POLICY_OID}

[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = tsa_policy1
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 0
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"#,
        dir = dir.display()
    )
}

fn handle(stream: TcpStream, ctx: &Ctx, served: &AtomicUsize) -> anyhow::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = None;
    let mut content_type = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            bail!("connection closed in headers");
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.parse::<usize>().ok(),
                "content-type" => content_type = value.to_ascii_lowercase(),
                _ => {}
            }
        }
    }
    let mut out = stream;
    if !request_line.starts_with("POST ") {
        return respond(
            served,
            &mut out,
            "405 Method Not Allowed",
            "text/plain",
            b"POST only\n",
        );
    }
    if content_type != "application/timestamp-query" {
        return respond(
            served,
            &mut out,
            "415 Unsupported Media Type",
            "text/plain",
            b"expected application/timestamp-query\n",
        );
    }
    let Some(len) = content_length.filter(|l| *l <= MAX_BODY) else {
        return respond(
            served,
            &mut out,
            "411 Length Required",
            "text/plain",
            b"bad length\n",
        );
    };
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;

    let query = ctx.dir.join("query.tsq");
    let reply = ctx.dir.join("reply.tsr");
    std::fs::write(&query, &body)?;
    let _ = std::fs::remove_file(&reply);
    let output = Command::new("openssl")
        .args(["ts", "-reply", "-section", "tsa_config1", "-config"])
        .arg(&ctx.config)
        .arg("-queryfile")
        .arg(&query)
        .arg("-signer")
        .arg(&ctx.signer)
        .arg("-inkey")
        .arg(&ctx.key)
        .arg("-chain")
        .arg(&ctx.chain)
        .arg("-out")
        .arg(&reply)
        .output()?;
    match std::fs::read(&reply) {
        Ok(der) if output.status.success() => respond(
            served,
            &mut out,
            "200 OK",
            "application/timestamp-reply",
            &der,
        ),
        _ => respond(
            served,
            &mut out,
            "500 Internal Server Error",
            "text/plain",
            &output.stderr,
        ),
    }
}

/// Counts the answer (before the client can see it, so a test that reads the count after its
/// response never races the server), then writes it.
fn respond(
    served: &AtomicUsize,
    out: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> anyhow::Result<()> {
    served.fetch_add(1, Ordering::SeqCst);
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()?;
    let _ = out.shutdown(Shutdown::Write);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pki::{IssueRequest, KeySpec, Profile, TestCa};

    fn post(url_addr: SocketAddr, content_type: &str, body: &[u8]) -> (String, Vec<u8>) {
        let mut s = TcpStream::connect(url_addr).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).unwrap();
        let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        (
            String::from_utf8_lossy(&resp[..split]).into_owned(),
            resp[split + 4..].to_vec(),
        )
    }

    #[test]
    fn answers_an_openssl_query_with_a_verifiable_token() {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new("AC TSA", KeySpec::EcP256).unwrap();
        let tsa_id = ca
            .issue(&IssueRequest::new(
                "Horodatage de test",
                KeySpec::EcP256,
                Profile::TimeStamping,
            ))
            .unwrap();
        let (ca_pem, _) = ca.identity.write_pem(dir.path(), "ca").unwrap();
        let (tsa_pem, _) = tsa_id.write_pem(dir.path(), "tsa").unwrap();
        let server = TsaServer::start(&tsa_id, &ca_pem).unwrap();

        let data = dir.path().join("data.txt");
        std::fs::write(&data, b"acte de signification").unwrap();
        let tsq = dir.path().join("q.tsq");
        let st = Command::new("openssl")
            .args(["ts", "-query", "-sha256", "-cert", "-data"])
            .arg(&data)
            .arg("-out")
            .arg(&tsq)
            .status()
            .unwrap();
        assert!(st.success());

        let addr: SocketAddr = server.addr;
        let (head, body) = post(
            addr,
            "application/timestamp-query",
            &std::fs::read(&tsq).unwrap(),
        );
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("application/timestamp-reply"), "{head}");
        let tsr = dir.path().join("r.tsr");
        std::fs::write(&tsr, body).unwrap();
        let out = Command::new("openssl")
            .args(["ts", "-verify", "-in"])
            .arg(&tsr)
            .arg("-queryfile")
            .arg(&tsq)
            .arg("-CAfile")
            .arg(&ca_pem)
            .arg("-untrusted")
            .arg(&tsa_pem)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );

        let (head, _) = post(addr, "text/plain", b"x");
        assert!(head.starts_with("HTTP/1.1 415"), "{head}");
        assert_eq!(server.requests_served(), 2);
    }
}
