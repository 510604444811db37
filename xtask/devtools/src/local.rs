//! The office's set-up as separate processes, shared by the demo and `bench edi`: a vault made
//! by `sceau-vault init` on loopback (SQLite + files) with the operator's declarations, its
//! `serve` process, and the `sceau` CLI's configuration file and commands on a SoftHSM key.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Result};
use sceau_testsupport::softhsm::{self, SoftHsm};

use xtask::run as sh;

/// A vault data directory made by `sceau-vault init`, listening on a free loopback port.
pub struct LocalVault {
    bin: PathBuf,
    /// The data directory.
    pub data: PathBuf,
    /// Its `vault.toml`, as `init` printed it.
    pub config: String,
    /// The API's port.
    pub port: u16,
}

impl LocalVault {
    /// `sceau-vault init DATA` on a free loopback port (the portal on another one), offices
    /// authenticating with certificates from `office_ca`.
    pub fn init(bin: &Path, data: &Path, office_ca: &Path) -> Result<LocalVault> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let out = Command::new(bin)
            .arg("init")
            .arg(data)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            // A free port for the portal too (port + 1, the default, may be taken).
            .args(["--portal-listen", "127.0.0.1:0"])
            .arg("--client-ca")
            .arg(office_ca)
            .output()?;
        if !out.status.success() {
            bail!("sceau-vault init: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(LocalVault {
            bin: bin.to_path_buf(),
            data: data.to_path_buf(),
            config: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            port,
        })
    }

    /// `sceau-vault COMMAND --config CONFIG` (the operator's commands, safe beside `serve`).
    pub fn admin(&self, command: &str) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args([command, "--config", &self.config]);
        cmd
    }

    /// Imports `recipients` (the directory's JSON form), written to `file` first.
    pub fn import_recipients(&self, recipients: &serde_json::Value, file: &Path) -> Result<()> {
        std::fs::write(file, serde_json::to_string_pretty(recipients)?)?;
        sh(self.admin("recipients").arg("import").arg(file))
    }

    /// Declares étude 9991, held by Jeanne DUPONT under `office_ca`: only an office the
    /// operator declared (number, holder, issuing CA) can be bound at its first connection; a
    /// bank's or any other certificate never creates an office.
    pub fn declare_office(&self, office_ca: &Path) -> Result<()> {
        sh(self
            .admin("office")
            .args(["add", "--number", "9991"])
            .args(["--holder", "Jeanne DUPONT", "--ca"])
            .arg(office_ca))
    }

    /// Records `recipient`'s consent, given on 2 January 2024 `how`, for `natures` (none: every
    /// nature).
    pub fn consent(&self, recipient: &str, natures: &[&str], how: &str) -> Result<()> {
        let mut cmd = self.admin("consent");
        cmd.args(["add", "--recipient", recipient]);
        for n in natures {
            cmd.args(["--nature", n]);
        }
        if natures.is_empty() {
            cmd.arg("--toutes-natures");
        }
        sh(cmd.args(["--given-at", "2024-01-02", "--how", how]))
    }

    /// The vault's CA certificate, which the workstation pins.
    pub fn ca_cert(&self) -> PathBuf {
        self.data.join("vault-ca.crt.pem")
    }

    /// The API's base URL.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Its `serve` process (not started), with the test clock file `clock` (read only by a
    /// binary built with the `test-clock` feature).
    pub fn server(&self, clock: &Path) -> Server {
        Server {
            child: None,
            vault_bin: self.bin.clone(),
            config: self.config.clone(),
            clock: clock.to_path_buf(),
            log: None,
        }
    }
}

/// What a started vault listens on.
pub struct Listening {
    /// The API's address.
    pub api: String,
    /// The portal's address.
    pub portal: Option<String>,
}

/// A vault's `serve` process and how to restart it.
pub struct Server {
    child: Option<std::process::Child>,
    vault_bin: PathBuf,
    config: String,
    clock: PathBuf,
    log: Option<PathBuf>,
}

impl Server {
    /// The server's log (its stderr) goes to `file` (by default it is discarded).
    pub fn with_log(mut self, file: &Path) -> Server {
        self.log = Some(file.to_path_buf());
        self
    }

    /// Starts `sceau-vault serve` with the test clock and waits for its two listeners.
    pub fn start(&mut self) -> Result<Listening> {
        let stderr = match &self.log {
            Some(f) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(f)?,
            ),
            None => Stdio::null(),
        };
        let mut child = Command::new(&self.vault_bin)
            .args(["serve", "--config", &self.config])
            .env("SCEAU_VAULT_TEST_CLOCK", &self.clock)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()?;
        let Some(out) = child.stdout.take() else {
            bail!("sceau-vault serve: no output");
        };
        let mut reader = BufReader::new(out);
        let (mut api, mut portal) = (None, None);
        for _ in 0..2 {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim();
            if let Some(a) = line.strip_prefix("portal listening on ") {
                portal = Some(a.to_owned());
            } else if let Some(a) = line.strip_prefix("listening on ") {
                api = Some(a.to_owned());
            } else {
                let _ = child.kill();
                let _ = child.wait();
                bail!("sceau-vault serve n'a pas démarré : {line:?}");
            }
        }
        self.child = Some(child);
        Ok(Listening {
            api: api.unwrap_or_default(),
            portal,
        })
    }

    /// Stops the server (if it runs).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Writes the `sceau` CLI's configuration `file` for étude 9991 on `vault`: the SoftHSM
/// module, the vault's URL and CA, the data directory `data_dir` and the local store's key in
/// `store_key` (a file: demo and benchmarks only).
pub fn write_cli_config(
    file: &Path,
    vault: &LocalVault,
    data_dir: &Path,
    store_key: &Path,
) -> Result<()> {
    std::fs::write(
        file,
        format!(
            "pkcs11_module = {:?}\nvault_url = \"https://127.0.0.1:{}\"\nvault_ca = {:?}\n\
             data_dir = {:?}\noffice_number = \"9991\"\noffice_name = \"Etude 9991\"\n\
             # Démonstration seulement : la clé de la base locale dans un fichier.\n\
             insecure_store_key_file = {:?}\n",
            softhsm::module_path()?.to_string_lossy(),
            vault.port,
            vault.ca_cert().to_string_lossy(),
            data_dir.to_string_lossy(),
            store_key.to_string_lossy(),
        ),
    )?;
    Ok(())
}

/// `sceau --config CONFIG ARGS...` on `hsm`'s key, with its PIN.
pub fn cli(hsm: &SoftHsm, sceau: &Path, config: &Path, pin: &str, args: &[&str]) -> Command {
    let mut cmd = hsm.command(sceau);
    cmd.arg("--config").arg(config).args(args);
    // Demo and benchmarks only: the PIN in the environment. A clerk types it; see
    // `sceau --help`.
    cmd.env("SCEAU_PIN", pin);
    cmd
}
