//! `sceau save`: a readable copy of a file of a service. The workstation keeps its copies of
//! archives, delivery notices and returns sealed with the local store's key; this writes one
//! out in clear where the user says (else it is fetched from the vault).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use sceau_app::{Auth, Destination, ServiceFile};

use crate::engine::{app, credentials, rt};
use crate::output::{CliError, Out};
use crate::Cli;

/// Which file of the service.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Which {
    /// L'archive (actes signés et attestation de dépôt), .zip.
    Archive,
    /// L'attestation de remise (avis), .pdf.
    Avis,
    /// Le retour du destinataire, .pdf.
    Retour,
}

/// Arguments of `sceau save`.
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Référence, numéro local ou identifiant de dépôt.
    pub key: String,
    /// Le fichier à enregistrer.
    #[arg(long, value_enum, default_value = "archive")]
    pub file: Which,
    /// Fichier à écrire.
    #[arg(long)]
    pub out: PathBuf,
}

/// `sceau save`.
pub fn run(cli: &Cli, args: &SaveArgs, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let cred = credentials(cli, &app)?;
    let which = match args.file {
        Which::Archive => ServiceFile::Archive,
        Which::Avis => ServiceFile::DeliveryNotice,
        Which::Retour => ServiceFile::Return,
    };
    let saved = rt()?.block_on(app.save_service_file(
        Auth::Pin(&cred),
        &args.key,
        which,
        &Destination::File(args.out.clone()),
    ))?;
    out.emit(&saved, || {
        format!(
            "Copie enregistrée dans {} ({} octets)\n",
            saved.path.display(),
            saved.size
        )
    });
    Ok(ExitCode::SUCCESS)
}
