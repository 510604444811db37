//! The `sceau` binary end to end: a real SoftHSM token, our signatures checked by OpenSSL, and
//! every bad input answered with a clear message and its exit code.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::PathBuf;
use std::process::{Command, Output};

use anyhow::Result;
use sceau_testsupport::corpus::simple_pdf;
use sceau_testsupport::oracle::openssl_cms_verify;
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_testsupport::softhsm::{self, OfficeSpec, OfficeToken, SoftHsm};

struct Fixture {
    hsm: SoftHsm,
    dir: tempfile::TempDir,
    ca_pem: PathBuf,
    office: OfficeToken,
}

impl Fixture {
    fn new(key: KeySpec) -> Result<Self> {
        let hsm = SoftHsm::new()?;
        let dir = tempfile::tempdir()?;
        let ca = TestCa::new("AC de test", KeySpec::EcP384)?;
        let ca_pem = dir.path().join("ca.pem");
        std::fs::write(&ca_pem, ca.identity.cert_pem())?;
        let office = hsm.office_token(&ca, &OfficeSpec::demo("Etude 9991", key))?;
        Ok(Fixture {
            hsm,
            dir,
            ca_pem,
            office,
        })
    }

    fn sceau(&self, args: &[&str]) -> Command {
        let mut cmd = self.hsm.command(env!("CARGO_BIN_EXE_sceau"));
        cmd.env_remove("SCEAU_PKCS11_MODULE")
            .env("SCEAU_PIN", &self.office.pin)
            .env("XDG_CONFIG_HOME", self.dir.path())
            .arg("--module")
            .arg(softhsm::module_path().expect("SoftHSM installed"))
            .args(args);
        cmd
    }

    fn act(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, simple_pdf("Acte", &["Commandement de payer", name]))?;
        Ok(path)
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            stderr(o)
        )
    })
}

/// Signs with the token through the CLI and has OpenSSL verify the result.
fn sign_and_openssl_verify(key: KeySpec, scheme: Option<&str>) -> Result<()> {
    let fx = Fixture::new(key)?;
    let act = fx.act("9991_REF_20130917_145203.pdf")?;
    let out_dir = fx.dir.path().join("out");
    let mut args = vec![
        "--json",
        "sign",
        "--out-dir",
        out_dir.to_str().unwrap_or_default(),
    ];
    if let Some(s) = scheme {
        args.extend(["--scheme", s]);
    }
    args.push(act.to_str().unwrap_or_default());
    let o = fx.sceau(&args).output()?;
    assert!(o.status.success(), "sign failed: {}", stderr(&o));
    let report = json(&o);
    let p7s = PathBuf::from(
        report["signed"][0]["signature"]
            .as_str()
            .unwrap_or_default(),
    );
    assert_eq!(p7s, out_dir.join("9991_REF_20130917_145203.pdf.p7s"));

    let (ok, text) = openssl_cms_verify(&p7s, &act, &fx.ca_pem, false);
    assert!(ok, "openssl cms -verify: {text}");
    // OpenSSL's CAdES check requires the ESS signing-certificate-v2 attribute.
    let (ok, text) = openssl_cms_verify(&p7s, &act, &fx.ca_pem, true);
    assert!(ok, "openssl cms -cades -verify: {text}");

    // And OpenSSL refuses it for other content: the check above can fail.
    let other = fx.act("autre.pdf")?;
    assert!(!openssl_cms_verify(&p7s, &other, &fx.ca_pem, false).0);

    // Our own verifier agrees.
    let o = fx
        .sceau(&[
            "--json",
            "verify",
            act.to_str().unwrap_or_default(),
            "--signature",
        ])
        .arg(&p7s)
        .arg("--trust")
        .arg(&fx.ca_pem)
        .output()?;
    assert!(o.status.success(), "verify: {}", stderr(&o));
    assert_eq!(json(&o)["valid"], true);
    Ok(())
}

#[test]
fn openssl_accepts_rsa2048_pkcs1() -> Result<()> {
    sign_and_openssl_verify(KeySpec::Rsa(2048), None)
}

#[test]
fn openssl_accepts_rsa2048_pss() -> Result<()> {
    sign_and_openssl_verify(KeySpec::Rsa(2048), Some("rsa-pss"))
}

#[test]
fn openssl_accepts_rsa3072_pkcs1() -> Result<()> {
    sign_and_openssl_verify(KeySpec::Rsa(3072), Some("rsa-pkcs1"))
}

#[test]
fn openssl_accepts_rsa3072_pss() -> Result<()> {
    sign_and_openssl_verify(KeySpec::Rsa(3072), Some("rsa-pss"))
}

#[test]
fn openssl_accepts_rsa4096_pkcs1() -> Result<()> {
    sign_and_openssl_verify(KeySpec::Rsa(4096), None)
}

#[test]
fn openssl_accepts_rsa4096_pss() -> Result<()> {
    sign_and_openssl_verify(KeySpec::Rsa(4096), Some("rsa-pss"))
}

#[test]
fn openssl_accepts_ec_p256() -> Result<()> {
    sign_and_openssl_verify(KeySpec::EcP256, None)
}

#[test]
fn openssl_accepts_ec_p384() -> Result<()> {
    sign_and_openssl_verify(KeySpec::EcP384, None)
}

#[test]
fn verify_exits_non_zero_for_changed_content_and_clean_error_for_truncated_file() -> Result<()> {
    let fx = Fixture::new(KeySpec::EcP256)?;
    let act = fx.act("acte.pdf")?;
    let out_dir = fx.dir.path().join("out");
    let o = fx
        .sceau(&["sign", "--out-dir"])
        .arg(&out_dir)
        .arg(&act)
        .output()?;
    assert!(o.status.success(), "{}", stderr(&o));
    let p7s = out_dir.join("acte.pdf.p7s");

    let mut bytes = std::fs::read(&act)?;
    let i = bytes.len() / 2;
    bytes[i] ^= 1;
    let changed = fx.dir.path().join("modifie.pdf");
    std::fs::write(&changed, bytes)?;
    let o = fx
        .sceau(&["--json", "verify"])
        .arg(&changed)
        .arg("--signature")
        .arg(&p7s)
        .arg("--trust")
        .arg(&fx.ca_pem)
        .output()?;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["valid"], false);
    assert_eq!(v["failures"][0]["code"], "content_digest_mismatch");
    assert!(String::from_utf8_lossy(
        &fx.sceau(&["verify"])
            .arg(&changed)
            .arg("--signature")
            .arg(&p7s)
            .arg("--trust")
            .arg(&fx.ca_pem)
            .output()?
            .stdout
    )
    .contains("modifié"));

    // Without the issuing CA the chain is untrusted: not valid.
    let o = fx
        .sceau(&["verify"])
        .arg(&act)
        .arg("--signature")
        .arg(&p7s)
        .output()?;
    assert_eq!(o.status.code(), Some(1));

    let full = std::fs::read(&p7s)?;
    let truncated = fx.dir.path().join("tronque.p7s");
    std::fs::write(&truncated, &full[..full.len() / 2])?;
    let o = fx
        .sceau(&["--json", "verify"])
        .arg(&act)
        .arg("--signature")
        .arg(&truncated)
        .output()?;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(json(&o)["error"]["code"], "cades.malformed");
    assert!(!stderr(&o).contains("panicked"));
    Ok(())
}

#[test]
fn wrong_pin_is_exit_3_with_the_tries_warning() -> Result<()> {
    let fx = Fixture::new(KeySpec::EcP256)?;
    let act = fx.act("acte.pdf")?;
    let o = fx
        .sceau(&["--json", "sign", "--out-dir"])
        .arg(fx.dir.path().join("out"))
        .arg(&act)
        .env("SCEAU_PIN", "000000")
        .output()?;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(json(&o)["error"]["code"], "token.wrong_pin");
    assert!(stderr(&o).contains("Code PIN incorrect"), "{}", stderr(&o));
    assert!(!fx.dir.path().join("out").join("acte.pdf.p7s").exists());
    // The next attempt warns before asking, because the token now reports "count low".
    let o = fx
        .sceau(&["sign", "--out-dir"])
        .arg(fx.dir.path().join("out"))
        .arg(&act)
        .output()?;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("peu d'essais"), "{}", stderr(&o));
    Ok(())
}

#[test]
fn pin_file_is_accepted_and_locked_token_is_refused() -> Result<()> {
    let fx = Fixture::new(KeySpec::EcP256)?;
    let act = fx.act("acte.pdf")?;
    let pin_file = fx.dir.path().join("pin");
    std::fs::write(&pin_file, format!("{}\n", fx.office.pin))?;
    let sign_with_pin_file = || {
        fx.sceau(&["--json", "sign", "--out-dir"])
            .arg(fx.dir.path().join("out"))
            .arg("--pin-file")
            .arg(&pin_file)
            .arg(&act)
            .env_remove("SCEAU_PIN")
            .output()
    };
    // Readable by others (the umask's 0644): refused before it is read, nothing signed.
    let o = sign_with_pin_file()?;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(json(&o)["error"]["code"], "pin.file_exposed");
    let out = fx.dir.path().join("out");
    assert!(
        !out.exists() || std::fs::read_dir(&out)?.next().is_none(),
        "nothing signed"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pin_file, std::fs::Permissions::from_mode(0o600))?;
    }
    let o = sign_with_pin_file()?;
    assert!(o.status.success(), "{}", stderr(&o));
    fx.hsm
        .set_user_pin_flags("Etude 9991", softhsm::CKF_USER_PIN_LOCKED, 0)?;
    let o = fx
        .sceau(&["--json", "sign", "--out-dir"])
        .arg(fx.dir.path().join("out"))
        .arg(&act)
        .output()?;
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["error"]["code"], "token.pin_locked");
    Ok(())
}

#[test]
fn no_pin_without_a_terminal_is_a_clear_error() -> Result<()> {
    let fx = Fixture::new(KeySpec::EcP256)?;
    let act = fx.act("acte.pdf")?;
    let o = fx
        .sceau(&["--json", "sign", "--out-dir"])
        .arg(fx.dir.path().join("out"))
        .arg(&act)
        .env_remove("SCEAU_PIN")
        .stdin(std::process::Stdio::null())
        .output()?;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(json(&o)["error"]["code"], "pin.missing");
    Ok(())
}

#[test]
fn bad_inputs_are_clear_errors_never_panics() -> Result<()> {
    let fx = Fixture::new(KeySpec::EcP256)?;
    let act = fx.act("acte.pdf")?;
    let bin = env!("CARGO_BIN_EXE_sceau");
    let check = |o: Output, exit: i32, code: &str| {
        assert_eq!(o.status.code(), Some(exit), "{code}: {}", stderr(&o));
        assert_eq!(json(&o)["error"]["code"], code, "{}", stderr(&o));
        assert!(stderr(&o).starts_with("Erreur : "), "{}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    };
    // Missing module path.
    check(
        fx.hsm
            .command(bin)
            .args([
                "--json",
                "--module",
                "/nonexistent/libpkcs11.so",
                "token",
                "list",
            ])
            .output()?,
        3,
        "token.module_missing",
    );
    // A file that is not a PKCS#11 module.
    check(
        fx.hsm
            .command(bin)
            .args(["--json", "--module"])
            .arg(&act)
            .args(["token", "list"])
            .output()?,
        3,
        "token.not_a_module",
    );
    // A directory given as the module.
    check(
        fx.hsm
            .command(bin)
            .args(["--json", "--module"])
            .arg(fx.dir.path())
            .args(["token", "list"])
            .output()?,
        3,
        "token.not_a_module",
    );
    // No token present: an empty SoftHSM installation.
    let empty = SoftHsm::new()?;
    check(
        empty
            .command(bin)
            .args(["--json", "--module"])
            .arg(softhsm::module_path()?)
            .args(["token", "certs"])
            .output()?,
        3,
        "token.none",
    );
    // A directory passed as FILE, to sign and to verify.
    check(
        fx.sceau(&["--json", "sign", "--out-dir"])
            .arg(fx.dir.path().join("o"))
            .arg(fx.dir.path())
            .output()?,
        2,
        "input.is_directory",
    );
    check(
        fx.sceau(&["--json", "verify"])
            .arg(fx.dir.path())
            .arg("--signature")
            .arg(&act)
            .output()?,
        2,
        "input.is_directory",
    );
    // A missing file.
    check(
        fx.sceau(&["--json", "sign", "--out-dir"])
            .arg(fx.dir.path().join("o"))
            .arg(fx.dir.path().join("absent.pdf"))
            .output()?,
        2,
        "input.not_found",
    );
    // An unknown token label.
    check(
        fx.sceau(&["--json", "--token", "Autre étude", "token", "certs"])
            .output()?,
        3,
        "token.not_found",
    );
    // An unknown certificate.
    check(
        fx.sceau(&["--json", "sign", "--cert", "DEADBEEF", "--out-dir"])
            .arg(fx.dir.path().join("o"))
            .arg(&act)
            .output()?,
        3,
        "token.cert_not_found",
    );
    // The authentication certificate is refused for signing.
    check(
        fx.sceau(&["--json", "sign", "--cert", "Authentification", "--out-dir"])
            .arg(fx.dir.path().join("o"))
            .arg(&act)
            .output()?,
        2,
        "sign.not_a_signature_certificate",
    );
    Ok(())
}

#[test]
fn token_list_and_certs_report_what_the_clerk_needs() -> Result<()> {
    let fx = Fixture::new(KeySpec::EcP256)?;
    let o = fx.sceau(&["--json", "token", "list"]).output()?;
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["module_source"], "explicit");
    assert_eq!(v["tokens"][0]["label"], "Etude 9991");
    assert_eq!(v["tokens"][0]["pin"]["locked"], false);
    let o = fx.sceau(&["--json", "token", "certs"]).output()?;
    let v = json(&o);
    let certs = v.as_array().cloned().unwrap_or_default();
    assert_eq!(certs.len(), 2);
    let sig = certs
        .iter()
        .find(|c| c["role"] == "signature")
        .expect("signature certificate");
    assert_eq!(sig["holder"], "Jeanne DUPONT");
    assert_eq!(sig["function"], "Commissaire de justice");
    assert_eq!(
        sig["serial"]
            .as_str()
            .map(str::to_lowercase)
            .map(|s| s.trim_start_matches('0').to_string()),
        Some(
            fx.office
                .signature
                .serial_hex()
                .trim_start_matches('0')
                .to_string()
        )
    );
    // The text output is in French.
    let o = fx.sceau(&["token", "certs"]).output()?;
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("[Signature]") && text.contains("Titulaire") && text.contains("Validité"),
        "{text}"
    );
    Ok(())
}

#[test]
fn timestamped_signature_through_the_cli() -> Result<()> {
    use sceau_testsupport::pki::{IssueRequest, Profile};
    let fx = Fixture::new(KeySpec::EcP256)?;
    let ca = TestCa::new("AC horodatage", KeySpec::EcP256)?;
    let ca_pem = fx.dir.path().join("tsa-ca.pem");
    std::fs::write(&ca_pem, ca.identity.cert_pem())?;
    let tsa_id = ca.issue(&IssueRequest::new(
        "TSA",
        KeySpec::EcP256,
        Profile::TimeStamping,
    ))?;
    let tsa = sceau_testsupport::tsa::TsaServer::start(&tsa_id, &ca_pem)?;
    let act = fx.act("acte.pdf")?;
    let out = fx.dir.path().join("out");
    let o = fx
        .sceau(&["sign", "--out-dir"])
        .arg(&out)
        .arg("--tsa")
        .arg(tsa.url())
        .arg(&act)
        .output()?;
    assert!(o.status.success(), "{}", stderr(&o));
    let p7s = out.join("acte.pdf.p7s");
    let o = fx
        .sceau(&["--json", "verify"])
        .arg(&act)
        .arg("--signature")
        .arg(&p7s)
        .arg("--trust")
        .arg(&fx.ca_pem)
        .arg("--trust")
        .arg(&ca_pem)
        .output()?;
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert!(v["report"]["timestamp"]["gen_time"].is_string(), "{v}");
    // An unreachable TSA is a remote-service error, and nothing is written.
    drop(tsa);
    let out2 = fx.dir.path().join("out2");
    let o = fx
        .sceau(&["--json", "sign", "--out-dir"])
        .arg(&out2)
        .arg("--tsa")
        .arg("http://127.0.0.1:9/")
        .arg(&act)
        .output()?;
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(!out2.join("acte.pdf.p7s").exists());
    Ok(())
}

#[test]
fn module_from_environment_then_configuration_file() -> Result<()> {
    let fx = Fixture::new(KeySpec::EcP256)?;
    let bin = env!("CARGO_BIN_EXE_sceau");
    let module = softhsm::module_path()?;
    // From SCEAU_PKCS11_MODULE.
    let o = fx
        .hsm
        .command(bin)
        .env("XDG_CONFIG_HOME", fx.dir.path())
        .env("SCEAU_PKCS11_MODULE", &module)
        .args(["--json", "token", "list"])
        .output()?;
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["module_source"], "environment");
    // From the configuration file (default location under XDG_CONFIG_HOME).
    let conf_dir = fx.dir.path().join("sceau");
    std::fs::create_dir_all(&conf_dir)?;
    std::fs::write(
        conf_dir.join("config.toml"),
        format!("pkcs11_module = {:?}\ntoken = \"Etude 9991\"\n", module),
    )?;
    let o = fx
        .hsm
        .command(bin)
        .env("XDG_CONFIG_HOME", fx.dir.path())
        .env_remove("SCEAU_PKCS11_MODULE")
        .args(["--json", "token", "list"])
        .output()?;
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["module_source"], "config");
    // A broken configuration file is a clear input error.
    std::fs::write(conf_dir.join("config.toml"), "pkcs11_modul = 3\n")?;
    let o = fx
        .hsm
        .command(bin)
        .env("XDG_CONFIG_HOME", fx.dir.path())
        .env_remove("SCEAU_PKCS11_MODULE")
        .args(["--json", "token", "list"])
        .output()?;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // One code for both faces since the app resolves the configuration (the CLI said
    // `config.invalid`, the window `desktop.settings_invalid`).
    assert_eq!(json(&o)["error"]["code"], "app.config_invalid");
    Ok(())
}
