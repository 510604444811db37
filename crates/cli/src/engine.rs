//! The workstation commands over `sceau-app` (connect, recipients, signify, edi here; outbox and
//! sync in `queue.rs`; dashboard, seen, search, show in `records.rs`; vault and letter in
//! `office_vault.rs`). Each builds the application service from the
//! configuration, asks the PIN when the key is needed, and prints French text or JSON.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use sceau_app::{App, Auth, Credentials, Progress, ProgressSink, StepStatus};

use crate::output::{when, CliError, Out, EXIT_INTERNAL};
use crate::{pin, Cli};

pub(crate) fn rt() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError {
            code: "cli.runtime".into(),
            message: format!("Erreur interne ({e})."),
            exit: EXIT_INTERNAL,
        })
}

/// Runs a use case that deposits (a service, a batch, the outbox, a sync) as a task of the
/// runtime's workers, the way the window runs its commands, rather than as the future of this
/// thread's `block_on`: a batch run there once stopped being polled after its uploads (see
/// ARCHITECTURE.md, "Time limits of the vault client").
pub(crate) fn on_workers<T: Send + 'static>(
    work: impl std::future::Future<Output = sceau_app::Result<T>> + Send + 'static,
) -> Result<T, CliError> {
    let joined = rt()?.block_on(async { tokio::spawn(work).await });
    let done = joined.map_err(|e| CliError {
        code: "cli.task".into(),
        message: format!("Erreur interne ({e})."),
        exit: EXIT_INTERNAL,
    })?;
    Ok(done?)
}

/// The application service from the configuration (`Cli::config`); the key's module must be
/// found.
pub(crate) fn app(cli: &Cli) -> Result<App, CliError> {
    let resolved = cli.config()?;
    resolved.module?;
    Ok(App::open(resolved.config)?)
}

/// Asks the PIN for the selected token (warning first when few tries are left).
pub(crate) fn credentials(cli: &Cli, app: &App) -> Result<Credentials, CliError> {
    let info = app.token_info()?;
    let (pin, final_try) = pin::obtain(cli, &info)?;
    Ok(Credentials { pin, final_try })
}

/// Progress on stderr (text) or as JSON lines on stderr (`--json`), so stdout keeps the result.
pub(crate) fn progress(json: bool) -> ProgressSink {
    Arc::new(move |p: Progress| {
        if json {
            if let Ok(s) = serde_json::to_string(&p) {
                eprintln!("{s}");
            }
            return;
        }
        match p {
            Progress::Step {
                reference,
                step,
                status,
            } => {
                let what = match status {
                    StepStatus::Running => "en cours".to_owned(),
                    StepStatus::Done => "terminé".to_owned(),
                    StepStatus::Queued { reason } => format!("en attente — {reason}"),
                    StepStatus::Failed { reason, .. } => format!("ÉCHEC — {reason}"),
                };
                eprintln!("[{reference}] {} : {what}", step.label_fr());
            }
            Progress::EdiLine {
                line,
                reference,
                stage,
            } => {
                let what = match stage {
                    sceau_app::EdiStage::Valid => "vérifiée".to_owned(),
                    sceau_app::EdiStage::Invalid { reason, .. } => format!("REFUSÉE — {reason}"),
                    sceau_app::EdiStage::AlreadyPrepared => {
                        "déjà préparée par un import précédent".to_owned()
                    }
                    sceau_app::EdiStage::Converted => "convertie".to_owned(),
                    sceau_app::EdiStage::Queued => "signée, en file d'envoi".to_owned(),
                };
                eprintln!("[ligne {line} · {reference}] {what}");
            }
            Progress::Upload { .. } => {}
            // One line per file, at its end (the window draws the bar).
            Progress::VaultUpload {
                name,
                files_done,
                files_total,
                sent,
                total,
            } if sent == total => {
                eprintln!(
                    "[fichier {}/{files_total}] {name} : {total} octets envoyés",
                    files_done + 1
                );
            }
            Progress::VaultUpload { .. } => {}
        }
    })
}

// ---------------------------------------------------------------- connect

/// Arguments of `sceau connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Numéro d'étude (première connexion).
    #[arg(long)]
    pub office_number: Option<String>,
    /// Nom de l'étude (première connexion).
    #[arg(long)]
    pub office_name: Option<String>,
    /// Confirmer sans question l'association du certificat (première connexion, scripts).
    #[arg(long)]
    pub yes: bool,
}

/// `sceau connect`.
pub fn connect(cli: &Cli, args: &ConnectArgs, out: &Out) -> Result<ExitCode, CliError> {
    let settings = cli.config()?.settings;
    let app = app(cli)?;
    let cred = credentials(cli, &app)?;
    let office = sceau_app::NewOffice::new(
        args.office_number
            .as_deref()
            .or(settings.office_number.as_deref())
            .unwrap_or_default(),
        args.office_name
            .as_deref()
            .or(settings.office_name.as_deref()),
    );
    let number = office.number.clone();
    let yes = args.yes;
    let json = out.is_json();
    let conn = rt()?.block_on(app.connect(&cred, &office, |c| {
        eprintln!("Première connexion : déclaration de votre certificat");
        eprintln!("  Numéro de série : {}", c.serial_hex);
        eprintln!("  Titulaire       : {}", c.holder);
        eprintln!(
            "  Fonction        : {}",
            c.function.as_deref().unwrap_or("-")
        );
        eprintln!("  Émetteur        : {}", c.issuer);
        eprintln!(
            "  Validité        : du {} au {}",
            when(&c.not_before),
            when(&c.not_after)
        );
        eprintln!("  Empreinte SHA-256 : {}", c.fingerprint_sha256);
        if number.is_empty() {
            eprintln!("Indiquez le numéro d'étude (--office-number).");
            return false;
        }
        if yes {
            return true;
        }
        if json || !std::io::stdin().is_terminal() {
            eprintln!("Confirmez avec --yes.");
            return false;
        }
        eprint!("Associer ce certificat à l'étude {number} ? Tapez OUI : ");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        line.trim() == "OUI"
    }))?;
    out.emit(&conn, || {
        format!(
            "Connecté : étude {} ({}), certificat de {}{}.\n",
            conn.office.number,
            conn.office.name,
            conn.certificate.holder,
            if conn.bound_now {
                " — certificat associé à l'espace de l'étude"
            } else {
                ""
            }
        )
    });
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- recipients

/// `sceau recipients ...`
#[derive(Debug, Subcommand)]
pub enum RecipientsCommand {
    /// Rechercher un destinataire par SIRET, SIREN, numéro INSEE ou nom.
    Search {
        /// SIRET, SIREN, NIR ou début du nom.
        query: String,
        /// Chercher seulement dans le cache local (sans clé ni réseau).
        #[arg(long)]
        offline: bool,
    },
    /// Fiche d'un destinataire et, pour une nature, l'ouverture de la réception.
    Show {
        /// Identifiant du destinataire.
        id: String,
        /// Nature de l'acte.
        #[arg(long)]
        nature: Option<String>,
        /// Référence de l'autorisation du juge (hors heures légales).
        #[arg(long)]
        judge_permission: Option<String>,
    },
    /// Créer un destinataire dans le coffre : une personne ou une entreprise (un destinataire
    /// déjà connu du coffre est signalé, jamais créé deux fois).
    #[command(subcommand)]
    Add(crate::new_recipient::AddCommand),
}

/// `sceau recipients`.
pub fn recipients(cli: &Cli, cmd: &RecipientsCommand, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    match cmd {
        RecipientsCommand::Add(add) => return crate::new_recipient::add(cli, &app, add, out),
        RecipientsCommand::Search { query, offline } => {
            let cred = if *offline {
                None
            } else {
                Some(credentials(cli, &app)?)
            };
            let found =
                rt()?.block_on(app.search_recipients(query, cred.as_ref().map(Auth::Pin)))?;
            out.emit(&found, || {
                let mut s = String::new();
                if found.is_empty() {
                    s.push_str("Aucun destinataire trouvé.\n");
                }
                for r in &found {
                    s.push_str(&format!(
                        "{}  {}  {}{}\n",
                        r.id,
                        r.name,
                        r.siret.as_deref().or(r.nir_masked.as_deref()).unwrap_or(""),
                        if r.from_cache { "  (cache local)" } else { "" }
                    ));
                }
                s
            });
        }
        RecipientsCommand::Show {
            id,
            nature,
            judge_permission,
        } => {
            let cred = credentials(cli, &app)?;
            let card = rt()?.block_on(app.recipient_card(
                id,
                nature.as_deref(),
                judge_permission.as_deref(),
                Auth::Pin(&cred),
            ))?;
            out.emit(&card, || {
                let r = &card.recipient;
                let mut s = format!(
                    "{} ({})\n  SIRET : {}\n  Courriel : {}\n  Téléphones : {}\n",
                    r.name,
                    r.id,
                    r.siret.as_deref().unwrap_or("-"),
                    r.email.as_deref().unwrap_or("-"),
                    [&r.phone_fixed, &r.phone_mobile]
                        .into_iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                if let Some(rc) = &card.reception {
                    if rc.open {
                        s.push_str("  Réception : ouverte maintenant\n");
                    } else {
                        s.push_str(&format!(
                            "  Réception : fermée — {}{}\n",
                            rc.message.as_deref().unwrap_or(""),
                            rc.next_opening
                                .map(|t| format!(" (prochaine ouverture le {})", when(&t)))
                                .unwrap_or_default()
                        ));
                    }
                }
                s
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- signify

/// Arguments of `sceau signify`.
#[derive(Debug, Args)]
pub struct SignifyArgs {
    /// Référence de dépôt de l'étude.
    #[arg(long)]
    pub reference: String,
    /// Destinataire : SIRET ou identifiant.
    #[arg(long)]
    pub recipient: String,
    /// Nature de l'acte (code du catalogue, ex. SAISIE_ATTRIBUTION).
    #[arg(long)]
    pub nature: String,
    /// Requérant (la partie pour qui l'acte est signifié).
    #[arg(long)]
    pub requerant: String,
    /// Référence de l'autorisation du juge de signifier hors des heures légales.
    #[arg(long)]
    pub judge_permission: Option<String>,
    /// Écrire les actes convertis (PDF/A) dans ce dossier pour les prévisualiser.
    #[arg(long, value_name = "DIR")]
    pub preview_dir: Option<PathBuf>,
    /// Préparer seulement (conversion, signature, file d'envoi), sans déposer.
    #[arg(long)]
    pub offline: bool,
    /// Apposer la mention du consentement (page ajoutée, PDF/A-1b) sur un acte qui ne l'a pas,
    /// au lieu de le refuser.
    #[arg(long)]
    pub stamp_consent: bool,
    /// Numéro de série (hexadécimal) du certificat de signature qualifiée à utiliser, quand la
    /// clé en porte plusieurs (par défaut : l'unique certificat de signature de la clé).
    #[arg(long, value_name = "SERIAL")]
    pub certificate: Option<String>,
    /// Documents (.pdf, .doc, .docx, .odt).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `sceau signify`.
pub fn signify(cli: &Cli, args: &SignifyArgs, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let cred = credentials(cli, &app)?;
    let req = sceau_app::ServeRequest {
        reference: args.reference.clone(),
        recipient: args.recipient.clone(),
        nature: args.nature.clone(),
        files: args.files.clone(),
        requerant: args.requerant.clone(),
        judge_permission: args.judge_permission.clone(),
        preview_dir: args.preview_dir.clone(),
        offline: args.offline,
    };
    let options = sceau_app::ServeOptions {
        stamp_consent: args.stamp_consent,
        signature_certificate: args.certificate.clone(),
        authentication_certificate: None,
    };
    let progress = progress(out.is_json());
    let outcome = on_workers(async move { app.serve(&req, &options, &cred, progress).await })?;
    out.emit(&outcome, || {
        let mut s = format!(
            "Signification n° {} préparée ({} acte(s) : {}).\n",
            outcome.service_id,
            outcome.documents.len(),
            outcome.documents.join(", ")
        );
        match (&outcome.deposit, &outcome.queued_reason) {
            (Some(d), _) => s.push_str(&format!(
                "Déposée le {} — archive {}{}\n",
                when(&d.receipt.deposited_at),
                d.receipt.archive_name,
                d.archive
                    .as_ref()
                    .map(|_| " (copie chiffrée sur le poste : sceau save)".to_owned())
                    .unwrap_or_default()
            )),
            (None, Some(r)) => s.push_str(&format!("{r}\n")),
            (None, None) => {}
        }
        s
    });
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- edi

/// `sceau edi ...`
#[derive(Debug, Subcommand)]
pub enum EdiCommand {
    /// Importer un lot EDI (fichier d'échange CSV « ; » + documents) : tout est vérifié avant
    /// de signer, puis le lot est signé avec un seul code PIN, mis en file et déposé.
    Import {
        /// Le fichier d'échange (colonnes reference;destinataire;nature;requerant;fichiers).
        manifest: PathBuf,
        /// Préparer seulement (conversion, signature, file d'envoi), sans déposer.
        #[arg(long)]
        offline: bool,
        /// Apposer la mention du consentement (page ajoutée, PDF/A-1b) sur les actes qui ne
        /// l'ont pas, au lieu de refuser leur ligne.
        #[arg(long)]
        stamp_consent: bool,
        /// Numéro de série (hexadécimal) du certificat de signature qualifiée à utiliser pour
        /// tout le lot, quand la clé en porte plusieurs (par défaut : l'unique certificat de
        /// signature de la clé).
        #[arg(long, value_name = "SERIAL")]
        certificate: Option<String>,
    },
}

/// `sceau edi`.
pub fn edi(cli: &Cli, cmd: &EdiCommand, out: &Out) -> Result<ExitCode, CliError> {
    let EdiCommand::Import {
        manifest,
        offline,
        stamp_consent,
        certificate,
    } = cmd;
    let app = app(cli)?;
    let cred = credentials(cli, &app)?;
    let req = sceau_app::EdiRequest {
        manifest: manifest.clone(),
        offline: *offline,
        stamp_consent: *stamp_consent,
        signature_certificate: certificate.clone(),
    };
    let progress = progress(out.is_json());
    // The PIN goes with the task and is dropped when it ends.
    let report = on_workers(async move { app.edi_import(&req, &cred, progress).await })?;
    out.emit(&report, || {
        let mut s = format!(
            "Lot EDI {} : {} ligne(s), {} acte(s) préparé(s) maintenant{}.\n",
            &report.batch_id[..12],
            report.lines,
            report.prepared.len(),
            if report.already_prepared.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} déjà préparé(s) par un import précédent",
                    report.already_prepared.len()
                )
            }
        );
        if let Some(o) = &report.outbox {
            s.push_str(&format!(
                "Déposé(s) : {} ; refusé(s) : {} ; en attente : {}.\n",
                o.sent.len(),
                o.refused.len(),
                o.remaining
            ));
            for (id, _, msg) in &o.refused {
                s.push_str(&format!("  file n° {id} refusé : {msg}\n"));
            }
        }
        if let Some(r) = &report.queued_reason {
            s.push_str(&format!("{r}\n"));
        }
        s
    });
    Ok(ExitCode::SUCCESS)
}
