//! `sceau verify FILE --signature FILE.p7s [--trust CA.pem]`: exit 0 only for a valid signature.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use der::Decode;
use sceau_cades::{Certificate, VerificationReport};
use serde::Serialize;

use crate::output::{when, CliError, Out, EXIT_INVALID};
use crate::sign::check_input_file;
use crate::Cli;

/// Arguments of `sceau verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Le fichier signé.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Sa signature détachée (.p7s, DER).
    #[arg(long, value_name = "FILE.p7s")]
    pub signature: PathBuf,
    /// Certificats d'autorité de confiance (PEM ou DER) ; s'ajoutent à ceux de la configuration.
    #[arg(long, value_name = "CA.pem")]
    pub trust: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Out2<'a> {
    valid: bool,
    failures: Vec<FailureOut>,
    report: &'a VerificationReport,
}

#[derive(Serialize)]
struct FailureOut {
    #[serde(flatten)]
    failure: sceau_cades::Failure,
    message: String,
}

/// Reads certificates from a PEM (one or several) or DER file.
pub fn load_certificates(path: &Path) -> Result<Vec<Certificate>, CliError> {
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::input(
            "trust.unreadable",
            format!(
                "Le fichier de certificats {} est illisible ({e}).",
                path.display()
            ),
        )
    })?;
    let parsed = if bytes.starts_with(b"-----BEGIN") {
        Certificate::load_pem_chain(&bytes).ok()
    } else {
        Certificate::from_der(&bytes).ok().map(|c| vec![c])
    };
    match parsed {
        Some(certs) if !certs.is_empty() => Ok(certs),
        _ => Err(CliError::input(
            "trust.invalid",
            format!("{} ne contient pas de certificat lisible.", path.display()),
        )),
    }
}

/// Runs `sceau verify`.
pub fn run(cli: &Cli, args: &VerifyArgs, out: &Out) -> Result<ExitCode, CliError> {
    check_input_file(&args.file)?;
    check_input_file(&args.signature)?;
    let config = cli.config()?;
    let mut anchors = Vec::new();
    for path in config.settings.trust.iter().chain(&args.trust) {
        anchors.extend(load_certificates(path)?);
    }
    let p7s = std::fs::read(&args.signature).map_err(|e| {
        CliError::input(
            "input.unreadable",
            format!(
                "Le fichier {} est illisible ({e}).",
                args.signature.display()
            ),
        )
    })?;
    let content = std::fs::File::open(&args.file).map_err(|e| {
        CliError::input(
            "input.unreadable",
            format!("Le fichier {} est illisible ({e}).", args.file.display()),
        )
    })?;
    let report = sceau_cades::verify_detached_reader(
        std::io::BufReader::new(content),
        &p7s,
        &anchors,
        chrono::Utc::now(),
    )?;
    let failures = report.failures();
    let valid = report.is_valid();
    let value = Out2 {
        valid,
        failures: failures
            .iter()
            .map(|f| FailureOut {
                failure: f.clone(),
                message: f.message_fr(),
            })
            .collect(),
        report: &report,
    };
    out.emit(&value, || {
        let mut s = String::new();
        if valid {
            s.push_str("Signature VALIDE.\n");
        } else {
            s.push_str("Signature INVALIDE :\n");
            for f in &value.failures {
                s.push_str(&format!("  - {}\n", f.message));
            }
        }
        if let Some(signer) = &report.signer {
            s.push_str(&format!(
                "Signataire : {}{}{}\nÉmetteur : {}\nN° de série : {}\n",
                signer.common_name.as_deref().unwrap_or(&signer.subject),
                signer.title.as_deref().map(|t| format!(", {t}")).unwrap_or_default(),
                signer.organization.as_deref().map(|o| format!(" — {o}")).unwrap_or_default(),
                signer.issuer,
                signer.serial_hex.to_uppercase(),
            ));
        }
        if let Some(t) = report.signing_time {
            s.push_str(&format!("Date de signature déclarée : {}\n", when(&t)));
        }
        if let Some(ts) = &report.timestamp {
            if let Some(g) = ts.gen_time {
                s.push_str(&format!("Horodatage : {}\n", when(&g)));
            }
        }
        if anchors.is_empty() {
            s.push_str("Aucune autorité de confiance fournie (--trust) : la chaîne de certification n'a pas pu être validée.\n");
        }
        s
    });
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    })
}
