//! Isolated SoftHSM2 tokens: a real PKCS#11 module standing in for the office's USB key.
//!
//! Each [`SoftHsm`] has its own `SOFTHSM2_CONF` and token directory, so tests never see each
//! other's tokens nor the machine's. Tokens are created and filled with the real command-line
//! tools (`softhsm2-util`, OpenSC's `pkcs11-tool`), as an operator would.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

use anyhow::{bail, Context, Result};
use der::Encode;

use crate::pki::{Identity, IssueRequest, KeySpec, Profile, TestCa};

/// Security officer PIN of every test token.
pub const SO_PIN: &str = "87654321";
/// User PIN of every test token.
pub const USER_PIN: &str = "123456";

/// `CKF_USER_PIN_COUNT_LOW`: a wrong PIN was entered since the last success.
pub const CKF_USER_PIN_COUNT_LOW: u64 = 0x0001_0000;
/// `CKF_USER_PIN_FINAL_TRY`: the next wrong PIN locks the token.
pub const CKF_USER_PIN_FINAL_TRY: u64 = 0x0002_0000;
/// `CKF_USER_PIN_LOCKED`: the user PIN is locked.
pub const CKF_USER_PIN_LOCKED: u64 = 0x0004_0000;

/// Guards the process-wide `SOFTHSM2_CONF` while a module is loaded in this process.
static ACTIVE: Mutex<()> = Mutex::new(());

/// The SoftHSM2 module installed on this machine.
pub fn module_path() -> Result<PathBuf> {
    const CANDIDATES: &[&str] = &[
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
        "/opt/homebrew/lib/softhsm/libsofthsm2.so",
    ];
    CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .context("SoftHSM2 is not installed (run `cargo xtask setup`)")
}

/// A SoftHSM2 installation of its own: a configuration file and a token directory.
#[derive(Debug)]
pub struct SoftHsm {
    root: PathBuf,
    conf: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

/// Keeps `SOFTHSM2_CONF` pointing at one [`SoftHsm`] while a test uses the module in-process.
pub struct Activation<'a> {
    _guard: MutexGuard<'a, ()>,
}

impl SoftHsm {
    /// A fresh installation in a temporary directory, removed on drop.
    pub fn new() -> Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix("sceau-softhsm-")
            .tempdir()?;
        let mut hsm = Self::at(temp.path())?;
        hsm._temp = Some(temp);
        Ok(hsm)
    }

    /// An installation in `dir` (created if needed), kept after use: the demo's token.
    pub fn at(dir: &Path) -> Result<Self> {
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens)
            .with_context(|| format!("creating {}", tokens.display()))?;
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                tokens.display()
            ),
        )?;
        Ok(SoftHsm {
            root: dir.to_path_buf(),
            conf,
            _temp: None,
        })
    }

    /// The configuration file, for `SOFTHSM2_CONF`.
    pub fn conf(&self) -> &Path {
        &self.conf
    }

    /// The directory holding the tokens.
    pub fn tokens_dir(&self) -> PathBuf {
        self.root.join("tokens")
    }

    /// The environment a process needs to see these tokens.
    pub fn envs(&self) -> Vec<(&'static str, PathBuf)> {
        vec![("SOFTHSM2_CONF", self.conf.clone())]
    }

    /// Points this process's `SOFTHSM2_CONF` at this installation until the guard is dropped.
    /// SoftHSM reads the variable when the module is initialised, so load the module after.
    pub fn activate(&self) -> Activation<'static> {
        let guard = ACTIVE.lock().unwrap_or_else(|p| p.into_inner());
        std::env::set_var("SOFTHSM2_CONF", &self.conf);
        Activation { _guard: guard }
    }

    /// A command with `SOFTHSM2_CONF` set for this installation.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SOFTHSM2_CONF", &self.conf);
        cmd
    }

    /// Creates a token labelled `label` with the user PIN `pin` in a free slot.
    pub fn init_token(&self, label: &str, pin: &str) -> Result<()> {
        let out = self
            .command("softhsm2-util")
            .args([
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                SO_PIN,
            ])
            .args(["--pin", pin])
            .output()
            .context("running softhsm2-util (run `cargo xtask setup`)")?;
        check(&out, "softhsm2-util --init-token")
    }

    fn pkcs11_tool(&self, label: &str, pin: &str) -> Result<Command> {
        let mut cmd = self.command("pkcs11-tool");
        cmd.arg("--module").arg(module_path()?).args([
            "--token-label",
            label,
            "--login",
            "--pin",
            pin,
        ]);
        Ok(cmd)
    }

    /// Imports `identity` into token `label`: its private key (with `CKA_ALWAYS_AUTHENTICATE`
    /// when `always_auth`), public key and certificate, all with `CKA_ID` = `id`.
    pub fn import(
        &self,
        label: &str,
        pin: &str,
        id: &[u8],
        object_label: &str,
        identity: &Identity,
        always_auth: bool,
    ) -> Result<()> {
        let dir = tempfile::tempdir()?;
        let key = dir.path().join("key.der");
        let cert = dir.path().join("cert.der");
        let public = dir.path().join("pub.der");
        std::fs::write(&key, &identity.key_pkcs8_der)?;
        std::fs::write(&cert, &identity.cert_der)?;
        let spki = identity
            .certificate()?
            .tbs_certificate
            .subject_public_key_info
            .to_der()?;
        std::fs::write(&public, spki)?;
        let id_hex = hex::encode(id);
        let objects: [(&Path, &str, bool); 3] = [
            (&key, "privkey", always_auth),
            (&public, "pubkey", false),
            (&cert, "cert", false),
        ];
        for (file, kind, always) in objects {
            let mut cmd = self.pkcs11_tool(label, pin)?;
            cmd.arg("--write-object").arg(file).args([
                "--type",
                kind,
                "--id",
                &id_hex,
                "--label",
                object_label,
            ]);
            if kind == "privkey" {
                cmd.arg("--usage-sign");
            }
            if always {
                cmd.arg("--always-auth");
            }
            let out = cmd
                .output()
                .context("running pkcs11-tool (run `cargo xtask setup`)")?;
            check(&out, &format!("pkcs11-tool --write-object --type {kind}"))?;
        }
        // Keep only the private key material out of the temp dir as soon as possible.
        drop(dir);
        Ok(())
    }

    /// Sets and clears bits of the user-PIN flags SoftHSM stores for token `label`.
    ///
    /// SoftHSM keeps its token flags in the token's object file and reports them through
    /// `C_GetTokenInfo`, but it never counts tries down to a lock itself. Setting
    /// `CKF_USER_PIN_FINAL_TRY` or `CKF_USER_PIN_LOCKED` here makes the real module report the
    /// state a smart card reaches after wrong PINs, so the application's reaction to it is tested
    /// against the module, not against a mock.
    pub fn set_user_pin_flags(&self, label: &str, set: u64, clear: u64) -> Result<()> {
        // Attribute CKA_OS_TOKENFLAGS (vendor 0x8000534b), stored as an unsigned long (kind 2),
        // big-endian, right after its 16-byte header in token.object.
        const HEADER: [u8; 16] = [0, 0, 0, 0, 0x80, 0, 0x53, 0x4b, 0, 0, 0, 0, 0, 0, 0, 2];
        for entry in std::fs::read_dir(self.tokens_dir())? {
            let file = entry?.path().join("token.object");
            let Ok(mut bytes) = std::fs::read(&file) else {
                continue;
            };
            if !token_object_has_label(&bytes, label) {
                continue;
            }
            let Some(pos) = bytes.windows(HEADER.len()).position(|w| w == HEADER) else {
                bail!("token flags not found in {}", file.display());
            };
            let at = pos + HEADER.len();
            let Some(raw) = bytes.get(at..at + 8) else {
                bail!("truncated token object {}", file.display());
            };
            let mut value = [0u8; 8];
            value.copy_from_slice(raw);
            let flags = (u64::from_be_bytes(value) | set) & !clear;
            bytes[at..at + 8].copy_from_slice(&flags.to_be_bytes());
            std::fs::write(&file, bytes)?;
            return Ok(());
        }
        bail!("no SoftHSM token labelled {label}")
    }

    /// Makes every token of this installation disappear (as if the key were pulled out) and
    /// returns a guard that puts them back.
    pub fn unplug(&self) -> Result<Unplugged> {
        let from = self.tokens_dir();
        let to = self.root.join("tokens.unplugged");
        std::fs::rename(&from, &to)?;
        std::fs::create_dir_all(&from)?;
        Ok(Unplugged { from, to })
    }
}

/// Tokens taken out by [`SoftHsm::unplug`]; dropping this plugs them back.
#[derive(Debug)]
pub struct Unplugged {
    from: PathBuf,
    to: PathBuf,
}

impl Drop for Unplugged {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.from);
        let _ = std::fs::rename(&self.to, &self.from);
    }
}

/// The label attribute (vendor 0x80005349) is stored as a 32-byte space-padded byte string.
fn token_object_has_label(bytes: &[u8], label: &str) -> bool {
    const HEADER: [u8; 16] = [0, 0, 0, 0, 0x80, 0, 0x53, 0x49, 0, 0, 0, 0, 0, 0, 0, 3];
    let Some(pos) = bytes.windows(HEADER.len()).position(|w| w == HEADER) else {
        return false;
    };
    let at = pos + HEADER.len() + 8;
    bytes
        .get(at..at + 32)
        .map(|v| String::from_utf8_lossy(v).trim_end() == label)
        .unwrap_or(false)
}

fn check(out: &Output, what: &str) -> Result<()> {
    if out.status.success() {
        Ok(())
    } else {
        bail!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

/// An office's key as the tests and the demo use it: a token with a qualified signature
/// certificate (`CKA_ID` 01) and an authentication certificate (`CKA_ID` 02) from one CA.
#[derive(Debug)]
pub struct OfficeToken {
    /// Token label.
    pub label: String,
    /// User PIN.
    pub pin: String,
    /// The signature identity (nonRepudiation), on the token with `CKA_ID` 01.
    pub signature: Identity,
    /// The authentication identity (clientAuth), on the token with `CKA_ID` 02.
    pub authentication: Identity,
}

/// What to put on an office token.
#[derive(Debug, Clone)]
pub struct OfficeSpec {
    /// Token label.
    pub label: String,
    /// Holder's common name.
    pub holder: String,
    /// Organisation (the office).
    pub office: String,
    /// Key type of both keys.
    pub key: KeySpec,
    /// Whether the signature key requires the PIN for each signature (qualified keys do).
    pub always_auth: bool,
}

impl OfficeSpec {
    /// The demo office of the manual: étude 9991, a commissaire de justice.
    pub fn demo(label: &str, key: KeySpec) -> Self {
        OfficeSpec {
            label: label.into(),
            holder: "Jeanne DUPONT".into(),
            office: "Etude 9991".into(),
            key,
            always_auth: true,
        }
    }
}

impl SoftHsm {
    /// Creates a token for `spec` and fills it with two certificates issued by `ca`.
    pub fn office_token(&self, ca: &TestCa, spec: &OfficeSpec) -> Result<OfficeToken> {
        self.init_token(&spec.label, USER_PIN)?;
        let person = |profile| {
            let (given, surname) = spec
                .holder
                .split_once(' ')
                .map(|(g, s)| (Some(g.to_string()), Some(s.to_string())))
                .unwrap_or((None, None));
            IssueRequest {
                given_name: given,
                surname,
                title: Some("Commissaire de justice".into()),
                organization: Some(spec.office.clone()),
                ..IssueRequest::new(&spec.holder, spec.key, profile)
            }
        };
        let signature = ca.issue(&person(Profile::Signature))?;
        let authentication = ca.issue(&person(Profile::Authentication))?;
        self.import(
            &spec.label,
            USER_PIN,
            &[1],
            "Signature",
            &signature,
            spec.always_auth,
        )?;
        self.import(
            &spec.label,
            USER_PIN,
            &[2],
            "Authentification",
            &authentication,
            false,
        )?;
        Ok(OfficeToken {
            label: spec.label.clone(),
            pin: USER_PIN.into(),
            signature,
            authentication,
        })
    }
}
