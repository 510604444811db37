//! `sceau verify-proof BUNDLE.json [--file FILE]`: checks a vault proof bundle offline (journal
//! chain, the file's digest, the vault's time-stamp) with `sceau_cades::proof`, the code the
//! vault itself uses. Exit 0 for a genuine proof, 1 for a proof that does not hold (with its
//! code), 2 for unreadable input.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use sceau_cades::proof::{ProofFailure, ProofReport};
use serde::Serialize;

use crate::output::{CliError, Out, EXIT_INVALID};

/// Arguments of `sceau verify-proof`.
#[derive(Debug, Args)]
pub struct VerifyProofArgs {
    /// La preuve exportée du coffre (JSON).
    #[arg(value_name = "BUNDLE.json")]
    pub bundle: PathBuf,
    /// Le fichier dont elle prouve l'intégrité (sinon, seule la preuve est contrôlée).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Serialize)]
struct Verdict<'a> {
    valid: bool,
    path: &'a str,
    sha256: &'a str,
    file_checked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<&'a ProofReport>,
}

fn read(path: &PathBuf, code: &str, what: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| {
        CliError::input(
            code,
            format!(
                "{what} {} est illisible ({e}). Vérifiez le chemin.",
                path.display()
            ),
        )
    })
}

/// Runs `sceau verify-proof`.
pub fn run(args: &VerifyProofArgs, out: &Out) -> Result<ExitCode, CliError> {
    let raw = read(&args.bundle, "proof.unreadable", "La preuve")?;
    let bundle: sceau_app::ProofBundle = serde_json::from_slice(&raw).map_err(|e| {
        CliError::input(
            "proof.not_a_bundle",
            format!(
                "{} n'est pas une preuve du coffre ({e}). Exportez-la de nouveau depuis « Mon \
                 coffre », action « Preuve ».",
                args.bundle.display()
            ),
        )
    })?;
    let file = match &args.file {
        Some(p) => Some(read(p, "proof.file_unreadable", "Le fichier")?),
        None => None,
    };
    match sceau_cades::proof::verify_bundle(&bundle, file.as_deref()) {
        Ok(report) => {
            out.emit(
                &Verdict {
                    valid: true,
                    path: &bundle.path,
                    sha256: &bundle.sha256,
                    file_checked: file.is_some(),
                    report: Some(&report),
                },
                || {
                    format!(
                        "Preuve valide pour {} : {} entrée(s) du journal chaînées, horodatage du \
                         coffre du {}{}.\n",
                        bundle.path,
                        report.journal_lines,
                        report.timestamp,
                        if file.is_some() {
                            ", fichier identique"
                        } else {
                            " (fichier non fourni : seule la preuve est contrôlée)"
                        }
                    )
                },
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => Err(invalid(&failure)),
    }
}

fn invalid(f: &ProofFailure) -> CliError {
    CliError {
        code: format!("proof.{}", f.code()),
        message: f.message_fr(),
        exit: EXIT_INVALID,
    }
}
