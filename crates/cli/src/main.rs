//! `sceau`: the command-line face of Sceau — tokens, signatures, verification.
//!
//! A thin adapter: argument parsing, PIN acquisition, French output and exit codes. The work is
//! done by `sceau-token`, `sceau-cades` and `sceau-pdfa` (and, later, by the application service).

mod calendar;
mod consent;
mod engine;
mod new_recipient;
mod office_vault;
mod output;
mod pdfa;
mod pin;
mod proof;
mod queue;
mod records;
mod save;
mod sign;
mod token;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::{CliError, Out};

/// Sceau — signification électronique des actes (commissaires de justice).
///
/// Codes de sortie : 0 succès ; 1 signature invalide ; 2 entrée incorrecte (fichier, argument) ;
/// 3 clé, pilote ou code PIN ; 4 service distant (horodatage) ; 5 erreur interne.
#[derive(Debug, Parser)]
#[command(name = "sceau", version)]
pub struct Cli {
    /// Pilote PKCS#11 de la clé (sinon : SCEAU_PKCS11_MODULE, le fichier de configuration,
    /// puis les emplacements connus des fabricants).
    #[arg(long, global = true, value_name = "PATH")]
    pub module: Option<PathBuf>,
    /// Clé à utiliser, par libellé ou numéro de série, quand plusieurs sont branchées.
    #[arg(long, global = true, value_name = "LABEL")]
    pub token: Option<String>,
    /// Fichier de configuration (sinon : SCEAU_CONFIG, puis ~/.config/sceau/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Lire le code PIN dans ce fichier (automatisation). Risque : quiconque lit ce fichier peut
    /// signer avec la clé ; protégez-le (chmod 600) et supprimez-le après usage.
    #[arg(long, global = true, value_name = "FILE")]
    pub pin_file: Option<PathBuf>,
    /// Accepter d'utiliser le dernier essai de code PIN si la clé le signale.
    #[arg(long, global = true)]
    pub confirm_final_try: bool,
    /// Sortie JSON (pour les scripts) au lieu du texte.
    #[arg(long, global = true)]
    pub json: bool,
    /// La commande à exécuter.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Clés et certificats.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Signer des fichiers (CAdES détachée, un fichier .p7s par fichier).
    Sign(sign::SignArgs),
    /// Vérifier une signature détachée ; code de sortie 0 seulement si elle est valide.
    Verify(verify::VerifyArgs),
    /// Convertir des actes en PDF/A-1b (PDF, .doc, .docx, .odt) ; code non nul si l'un échoue.
    Convert(pdfa::ConvertArgs),
    /// Contrôler la conformité PDF/A-1b de fichiers ; code 1 si l'un n'est pas conforme.
    CheckPdfa(pdfa::CheckArgs),
    /// Vérifier hors ligne une preuve du coffre (.json) ; code 1 si elle n'est pas valide.
    VerifyProof(proof::VerifyProofArgs),
    /// Se connecter au coffre-fort (première connexion : associer le certificat).
    Connect(engine::ConnectArgs),
    /// Destinataires : recherche (SIRET, SIREN, n° INSEE, nom) et fiche.
    #[command(subcommand)]
    Recipients(engine::RecipientsCommand),
    /// Consentement à la signification électronique : inviter, état, renvoyer, retirer.
    #[command(subcommand)]
    Consent(consent::ConsentCommand),
    /// Signifier un acte : conversion, signature, dépôt (ou file d'envoi hors ligne).
    Signify(engine::SignifyArgs),
    /// Lots EDI du logiciel de l'étude : importer (vérifier, signer, déposer).
    #[command(subcommand)]
    Edi(engine::EdiCommand),
    /// File d'envoi : lister, envoyer, annuler, relancer.
    #[command(subcommand)]
    Outbox(queue::OutboxCommand),
    /// Synchroniser : envoyer la file, puis lire les événements du coffre-fort.
    Sync {
        /// Sans nouvel événement, attendre le suivant jusqu'à ce nombre de secondes (30 au plus).
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
    /// Tableau de bord : les quatre catégories de notifications non vues.
    Dashboard(records::DashboardArgs),
    /// Marquer une notification comme vue.
    Seen {
        /// Numéro de la notification.
        id: i64,
    },
    /// Rechercher des significations (dates, état, référence, document, destinataire, nature,
    /// origine).
    Search(records::SearchArgs),
    /// Détail d'une signification, avec son historique.
    Show(records::ShowArgs),
    /// Votre coffre : lister, télécharger, créer, déplacer, renommer, supprimer, espace, preuve.
    #[command(subcommand)]
    Vault(office_vault::VaultCommand),
    /// Lettre simple d'une signification remise à domicile.
    Letter(office_vault::LetterArgs),
    /// Enregistrer une copie lisible d'un fichier d'une signification (archive, avis de remise,
    /// retour) : les copies gardées sur le poste sont chiffrées.
    Save(save::SaveArgs),
    /// Calendrier d'un lieu : jours fériés, heures légales à l'heure locale (article 664 du code
    /// de procédure civile).
    #[command(subcommand)]
    Calendar(calendar::CalendarCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SCEAU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let out = Out::new(cli.json);
    let result = match &cli.command {
        Command::Token(cmd) => token::run(&cli, cmd, &out),
        Command::Sign(args) => sign::run(&cli, args, &out),
        Command::Verify(args) => verify::run(&cli, args, &out),
        Command::Convert(args) => pdfa::run_convert(args, &out),
        Command::CheckPdfa(args) => pdfa::run_check(args, &out),
        Command::VerifyProof(args) => proof::run(args, &out),
        Command::Connect(args) => engine::connect(&cli, args, &out),
        Command::Recipients(cmd) => engine::recipients(&cli, cmd, &out),
        Command::Consent(cmd) => consent::run(&cli, cmd, &out),
        Command::Signify(args) => engine::signify(&cli, args, &out),
        Command::Edi(cmd) => engine::edi(&cli, cmd, &out),
        Command::Outbox(cmd) => queue::outbox(&cli, cmd, &out),
        Command::Sync { wait } => queue::sync(&cli, &out, *wait),
        Command::Dashboard(args) => records::dashboard(&cli, args, &out),
        Command::Seen { id } => records::seen(&cli, *id, &out),
        Command::Search(args) => records::search(&cli, args, &out),
        Command::Show(args) => records::show(&cli, args, &out),
        Command::Vault(cmd) => office_vault::vault(&cli, cmd, &out),
        Command::Letter(args) => office_vault::letter(&cli, args, &out),
        Command::Save(args) => save::run(&cli, args, &out),
        Command::Calendar(cmd) => calendar::run(cmd, &out),
    };
    match result {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

impl Cli {
    /// The configuration as the application resolves it for the CLI: the files, the
    /// environment, then `--config`, `--module` and `--token` (`sceau_app::Config::resolve`, the
    /// window's rule too).
    pub fn config(&self) -> Result<sceau_app::Resolved, CliError> {
        let face = sceau_app::Face::Cli(sceau_app::CliFlags {
            config: self.config.clone(),
            module: self.module.clone(),
            token: self.token.clone(),
        });
        Ok(sceau_app::Config::resolve(&face, &sceau_app::process_env)?)
    }
}
