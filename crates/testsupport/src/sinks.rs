//! Message sinks for the vault's notifications: a real SMTP server (Debian's `python3-aiosmtpd`,
//! run by `/usr/bin/python3`) and an HTTP SMS gateway on loopback. Both record what they
//! receive for the test to assert, and can refuse the first N messages to exercise retries.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::postgres::free_port;

const SMTP_SINK: &str = include_str!("smtp_sink.py");

/// How the SMTP sink is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// No TLS.
    Plain,
    /// STARTTLS required.
    Starttls,
    /// Implicit TLS.
    Tls,
}

/// SMTP sink settings.
#[derive(Debug, Clone)]
pub struct SmtpOptions {
    /// Security.
    pub mode: SmtpMode,
    /// Certificate and key PEM files (for STARTTLS / TLS).
    pub cert_key: Option<(PathBuf, PathBuf)>,
    /// Require AUTH with this user and password.
    pub auth: Option<(String, String)>,
    /// Answer 451 to the first N messages.
    pub fail_first: u32,
    /// Answer 550 to every recipient address containing this text (a bounce).
    pub reject_rcpt: Option<String>,
}

impl Default for SmtpOptions {
    fn default() -> Self {
        SmtpOptions {
            mode: SmtpMode::Plain,
            cert_key: None,
            auth: None,
            fail_first: 0,
            reject_rcpt: None,
        }
    }
}

/// One message the SMTP sink received.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt_tos: Vec<String>,
    /// From header.
    pub from: String,
    /// To header.
    pub to: String,
    /// Subject (decoded).
    pub subject: String,
    /// Text body (decoded).
    pub body: String,
    /// HTML body (decoded), empty when there is none.
    #[serde(default)]
    pub html: String,
    /// The message's content type (`text/plain`, `multipart/alternative`…).
    #[serde(default)]
    pub content_type: String,
    /// The Message-ID header.
    #[serde(default)]
    pub message_id: String,
    /// Whether the session was under TLS.
    pub tls: bool,
    /// Whether the session authenticated.
    pub authenticated: bool,
}

/// A running SMTP sink; stopped on drop.
#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    _stdin: Option<ChildStdin>,
    dir: tempfile::TempDir,
    /// Messages written so far (counted from the sink's announcements), for [`Self::wait_for`].
    written: Arc<(Mutex<(usize, bool)>, Condvar)>,
    /// Port on 127.0.0.1.
    pub port: u16,
}

impl SmtpSink {
    /// Starts a sink with `options` and waits until it listens.
    pub fn start(options: &SmtpOptions) -> Result<SmtpSink> {
        let dir = tempfile::tempdir()?;
        let script = dir.path().join("smtp_sink.py");
        std::fs::write(&script, SMTP_SINK)?;
        let out = dir.path().join("mail");
        std::fs::create_dir_all(&out)?;
        let port = free_port()?;
        let mut cmd = Command::new(crate::system_python());
        cmd.arg(&script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--out")
            .arg(&out)
            .arg("--mode")
            .arg(match options.mode {
                SmtpMode::Plain => "plain",
                SmtpMode::Starttls => "starttls",
                SmtpMode::Tls => "tls",
            })
            .arg("--fail-first")
            .arg(options.fail_first.to_string());
        if let Some((c, k)) = &options.cert_key {
            cmd.arg("--cert").arg(c).arg("--key").arg(k);
        }
        if let Some(r) = &options.reject_rcpt {
            cmd.arg("--reject-rcpt").arg(r);
        }
        if let Some((u, p)) = &options.auth {
            cmd.arg("--user").arg(u).arg("--password").arg(p);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the SMTP sink (install python3-aiosmtpd: cargo xtask setup)")?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("sink stdout")?;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line.trim() != "ready" {
            let _ = child.kill();
            bail!("the SMTP sink did not start (python3-aiosmtpd installed?)");
        }
        // The sink announces each message once it is on disk ("mail N"); a thread counts them
        // so a test can block until the n-th arrives, without polling or sleeping.
        let written = Arc::new((Mutex::new((0usize, false)), Condvar::new()));
        let counter = written.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line.starts_with("mail ") {
                    let (lock, cv) = &*counter;
                    let mut g = lock.lock().unwrap_or_else(|p| p.into_inner());
                    g.0 += 1;
                    cv.notify_all();
                }
                line.clear();
            }
            // The sink ended: wake the waiters, who then fail instead of waiting for ever.
            let (lock, cv) = &*counter;
            lock.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
            cv.notify_all();
        });
        Ok(SmtpSink {
            child,
            _stdin: stdin,
            dir,
            written,
            port,
        })
    }

    /// Blocks until at least `n` messages were received, then returns them all, in order.
    pub fn wait_for(&self, n: usize) -> Result<Vec<Mail>> {
        let (lock, cv) = &*self.written;
        let mut g = lock.lock().unwrap_or_else(|p| p.into_inner());
        while g.0 < n {
            if g.1 {
                bail!("the SMTP sink ended after {} message(s), {n} awaited", g.0);
            }
            g = cv.wait(g).unwrap_or_else(|p| p.into_inner());
        }
        drop(g);
        self.messages()
    }

    /// Messages received so far, in order.
    pub fn messages(&self) -> Result<Vec<Mail>> {
        let dir = self.dir.path().join("mail");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| Ok(serde_json::from_slice(&std::fs::read(p)?)?))
            .collect()
    }

    /// The directory messages are written to.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request the SMS sink received.
#[derive(Debug, Clone)]
pub struct SmsRequest {
    /// Method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Headers (names lower-case).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

#[derive(Default)]
struct SmsState {
    received: Vec<SmsRequest>,
    fail_first: u32,
}

/// An HTTP SMS gateway on loopback (plain HTTP/1.1, one request per connection); stops when
/// dropped (its thread ends with the process otherwise).
pub struct SmsSink {
    state: Arc<(Mutex<SmsState>, Condvar)>,
    /// Port on 127.0.0.1.
    pub port: u16,
    tls: bool,
}

impl SmsSink {
    /// Starts a sink answering 503 to the first `fail_first` requests, 200 after.
    pub fn start(fail_first: u32) -> Result<SmsSink> {
        Self::serve(fail_first, None)
    }

    /// Starts a sink served over TLS with `server` (a certificate for 127.0.0.1, e.g. issued
    /// by a test CA with the `Server` profile), answering 503 to the first `fail_first`.
    pub fn start_tls(fail_first: u32, server: &crate::pki::Identity) -> Result<SmsSink> {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(server.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key_pkcs8_der.clone())),
        )?;
        Self::serve(fail_first, Some(Arc::new(config)))
    }

    fn serve(fail_first: u32, tls: Option<Arc<rustls::ServerConfig>>) -> Result<SmsSink> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let state = Arc::new((
            Mutex::new(SmsState {
                received: Vec::new(),
                fail_first,
            }),
            Condvar::new(),
        ));
        let st = state.clone();
        let is_tls = tls.is_some();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = match &tls {
                    None => handle(stream, &st),
                    // A client that refuses our certificate ends its handshake: next one.
                    Some(config) => match rustls::ServerConnection::new(config.clone()) {
                        Ok(conn) => handle(rustls::StreamOwned::new(conn, stream), &st),
                        Err(_) => continue,
                    },
                };
            }
        });
        Ok(SmsSink {
            state,
            port,
            tls: is_tls,
        })
    }

    /// The gateway URL.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/sms", self.port)
    }

    /// URL answering the bodies received so far (JSON array of strings), for browser specs.
    pub fn received_url(&self) -> String {
        format!("http://127.0.0.1:{}/received", self.port)
    }

    /// Requests accepted so far (the refused ones are not kept).
    pub fn received(&self) -> Vec<SmsRequest> {
        self.state
            .0
            .lock()
            .map(|s| s.received.clone())
            .unwrap_or_default()
    }

    /// Waits until at least `n` requests were accepted.
    pub fn wait_for(&self, n: usize) -> Vec<SmsRequest> {
        let (lock, cv) = &*self.state;
        let mut g = match lock.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        while g.received.len() < n {
            g = match cv.wait(g) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
        g.received.clone()
    }
}

fn handle(stream: impl Read + Write, state: &Arc<(Mutex<SmsState>, Condvar)>) -> Result<()> {
    let mut reader = BufReader::new(stream);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
            if k == "content-length" {
                len = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let (lock, cv) = &**state;
    if method == "GET" && target == "/received" {
        // What a browser spec reads the one-time code from.
        let bodies: Vec<String> = match lock.lock() {
            Ok(g) => g.received.iter().map(|r| r.body.clone()).collect(),
            Err(p) => p
                .into_inner()
                .received
                .iter()
                .map(|r| r.body.clone())
                .collect(),
        };
        let json = serde_json::to_string(&bodies)?;
        let stream = reader.get_mut();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
            json.len()
        )?;
        stream.flush()?;
        return Ok(());
    }
    let ok = {
        let mut g = match lock.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if g.fail_first > 0 {
            g.fail_first -= 1;
            false
        } else {
            g.received.push(SmsRequest {
                method,
                target,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            true
        }
    };
    cv.notify_all();
    let status = if ok {
        "200 OK"
    } else {
        "503 Service Unavailable"
    };
    let stream = reader.get_mut();
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
    )?;
    stream.flush()?;
    Ok(())
}
