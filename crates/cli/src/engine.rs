//! The workstation commands over `sceau-app`: connect, recipients, signify, outbox, sync,
//! dashboard, seen, search, show, vault, letter. Each builds the application service from the
//! configuration, asks the PIN when the key is needed, and prints French text or JSON.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use sceau_app::{
    App, Auth, Credentials, DeliveryState, Destination, NotificationCategory, Progress,
    ProgressSink, StepStatus,
};
use serde::Serialize;

use crate::output::{when, CliError, Out, EXIT_INTERNAL, EXIT_REMOTE};
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
fn progress(json: bool) -> ProgressSink {
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

fn paris_day_start(d: NaiveDate) -> DateTime<Utc> {
    sceau_app::paris_day_start(d).unwrap_or_default()
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
}

/// `sceau recipients`.
pub fn recipients(cli: &Cli, cmd: &RecipientsCommand, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    match cmd {
        RecipientsCommand::Search { query, offline } => {
            let cred = if *offline {
                None
            } else {
                Some(credentials(cli, &app)?)
            };
            let found = rt()?.block_on(app.search_recipients(query, cred.as_ref()))?;
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
                &cred,
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
    let outcome =
        rt()?.block_on(app.serve_with_options(&req, options, &cred, progress(out.is_json())))?;
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
    let report = rt()?.block_on(app.edi_import(&req, &cred, progress(out.is_json())))?;
    drop(cred);
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

// ---------------------------------------------------------------- outbox

/// `sceau outbox ...`
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Lister la file d'envoi.
    List,
    /// Envoyer les actes prêts (coffre-fort joignable et réception ouverte).
    Send,
    /// Annuler un acte non encore déposé.
    Cancel {
        /// Numéro dans la file.
        id: i64,
    },
    /// Remettre en file un acte refusé.
    Retry {
        /// Numéro dans la file.
        id: i64,
    },
}

#[derive(Serialize)]
struct OutboxLine {
    id: i64,
    service_id: i64,
    reference: String,
    state: &'static str,
    attempts: u32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    deposit_id: Option<String>,
}

/// `sceau outbox`.
pub fn outbox(cli: &Cli, cmd: &OutboxCommand, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    match cmd {
        OutboxCommand::List => {
            let lines: Vec<OutboxLine> = app
                .outbox_view()?
                .into_iter()
                .map(|i| OutboxLine {
                    id: i.id,
                    service_id: i.service_id.0,
                    reference: i.reference,
                    state: i.state.code(),
                    attempts: i.attempts,
                    next_attempt_at: i.next_attempt_at,
                    last_error: i.last_error,
                    deposit_id: i.deposit_id,
                })
                .collect();
            out.emit(&lines, || {
                let mut s = String::new();
                if lines.is_empty() {
                    s.push_str("La file d'envoi est vide.\n");
                }
                for l in &lines {
                    s.push_str(&format!(
                        "{}  {}  {}  essais : {}  {}\n",
                        l.id,
                        l.reference,
                        l.state,
                        l.attempts,
                        l.last_error.as_deref().unwrap_or("")
                    ));
                }
                s
            });
        }
        OutboxCommand::Send => {
            let cred = credentials(cli, &app)?;
            let report = rt()?.block_on(app.send_outbox(&cred, progress(out.is_json())))?;
            out.emit(&report, || {
                let mut s = format!("{} acte(s) déposé(s).\n", report.sent.len());
                for (id, _, msg) in &report.refused {
                    s.push_str(&format!("Refusé (file n° {id}) : {msg}\n"));
                }
                if report.remaining > 0 {
                    s.push_str(&format!(
                        "{} acte(s) restent en file{}.\n",
                        report.remaining,
                        report
                            .stopped_because
                            .as_deref()
                            .map(|r| format!(" : {r}"))
                            .unwrap_or_default()
                    ));
                }
                s
            });
            // Something left undone (refused, or the vault out of reach): say so in the code.
            if !report.refused.is_empty() || report.stopped_because.is_some() {
                return Ok(ExitCode::from(EXIT_REMOTE));
            }
        }
        OutboxCommand::Cancel { id } => {
            app.outbox_cancel(*id)?;
            out.emit(&serde_json::json!({"cancelled": id}), || {
                format!("Acte n° {id} retiré de la file d'envoi.\n")
            });
        }
        OutboxCommand::Retry { id } => {
            app.outbox_retry(*id)?;
            out.emit(&serde_json::json!({"retry": id}), || {
                format!("Acte n° {id} remis dans la file d'envoi.\n")
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- sync

/// `sceau sync`.
pub fn sync(cli: &Cli, out: &Out, wait_s: u64) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let cred = credentials(cli, &app)?;
    let report = rt()?.block_on(app.sync_waiting(&cred, progress(out.is_json()), wait_s))?;
    out.emit(&report, || {
        let mut text = format!(
            "Synchronisé : {} acte(s) déposé(s), {} événement(s), {} remise(s), {} retour(s), {} archive(s) et {} attestation(s) de remise ou retour(s) téléchargé(s).\n",
            report.outbox.sent.len(),
            report.events,
            report.deliveries,
            report.returns,
            report.archives,
            report.files
        );
        if report.files_pending > 0 {
            text.push_str(&format!(
                "Attention : les fichiers de {} dépôt(s) n'ont pas pu être téléchargés ; relancez « sceau sync » plus tard, ils seront repris.\n",
                report.files_pending
            ));
        }
        text
    });
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- dashboard, seen

/// Arguments of `sceau dashboard`.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Catégorie à lister : awaiting_consultation, delivered_in_person, delivered_at_home,
    /// return_awaiting_consultation.
    #[arg(long)]
    pub category: Option<String>,
    /// Page (à partir de 1).
    #[arg(long, default_value_t = 1)]
    pub page: usize,
    /// Filtre : début de la référence.
    #[arg(long)]
    pub reference: Option<String>,
    /// Filtre : début du nom du destinataire.
    #[arg(long)]
    pub recipient: Option<String>,
    /// Filtre : début du nom de fichier.
    #[arg(long)]
    pub file: Option<String>,
    /// Filtre libre, comme celui de la fenêtre : début d'une référence, sinon du nom d'un
    /// destinataire, sinon d'un nom de fichier.
    #[arg(long, conflicts_with_all = ["reference", "recipient", "file"])]
    pub filter: Option<String>,
}

#[derive(Serialize)]
struct NotificationLine {
    id: i64,
    service_id: i64,
    at: DateTime<Utc>,
    event: String,
    file: Option<String>,
    reference: String,
    recipient: String,
}

#[derive(Serialize)]
struct DashboardOut {
    awaiting_consultation: u64,
    delivered_in_person: u64,
    delivered_at_home: u64,
    return_awaiting_consultation: u64,
    category: Option<&'static str>,
    page: usize,
    has_more: bool,
    notifications: Vec<NotificationLine>,
    session_log: Vec<(DateTime<Utc>, String, String)>,
}

fn parse_category(c: &str) -> Result<NotificationCategory, CliError> {
    NotificationCategory::ALL
        .into_iter()
        .find(|k| k.code() == c)
        .ok_or_else(|| {
            CliError::input(
                "cli.category",
                format!("Catégorie inconnue : {c}. Valeurs : awaiting_consultation, delivered_in_person, delivered_at_home, return_awaiting_consultation."),
            )
        })
}

/// `sceau dashboard`.
pub fn dashboard(cli: &Cli, args: &DashboardArgs, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let counts = app.dashboard_counts()?;
    let category = args.category.as_deref().map(parse_category).transpose()?;
    let mut result = DashboardOut {
        awaiting_consultation: counts.awaiting_consultation,
        delivered_in_person: counts.delivered_in_person,
        delivered_at_home: counts.delivered_at_home,
        return_awaiting_consultation: counts.return_awaiting_consultation,
        category: category.map(|c| c.code()),
        page: args.page,
        has_more: false,
        notifications: vec![],
        session_log: app
            .session_log()?
            .into_iter()
            .map(|e| (e.at, e.action, e.detail))
            .collect(),
    };
    if let Some(c) = category {
        let filter = sceau_app::DashboardFilter {
            reference: args.reference.clone(),
            recipient: args.recipient.clone(),
            file: args.file.clone(),
            ..Default::default()
        };
        let page_index = args.page.saturating_sub(1);
        let page = match &args.filter {
            Some(text) => app.dashboard_page_matching(c, text, page_index)?,
            None => app.dashboard_page(c, &filter, page_index)?,
        };
        result.has_more = page.has_more;
        result.notifications = page
            .items
            .into_iter()
            .map(|n| NotificationLine {
                id: n.id,
                service_id: n.service_id.0,
                at: n.at,
                event: n.event,
                file: n.file,
                reference: n.reference,
                recipient: n.recipient_name,
            })
            .collect();
    }
    out.emit(&result, || {
        let mut s = format!(
            "Tableau de bord (notifications non vues)\n  En attente de consultation : {}\n  Remis à personne           : {}\n  Remis à domicile           : {}\n  Retours à consulter        : {}\n",
            result.awaiting_consultation,
            result.delivered_in_person,
            result.delivered_at_home,
            result.return_awaiting_consultation
        );
        for n in &result.notifications {
            s.push_str(&format!(
                "  [{}] {}  {}  {}  {}  {}\n",
                n.id,
                when(&n.at),
                n.reference,
                n.file.as_deref().unwrap_or("-"),
                n.recipient,
                n.event
            ));
        }
        if result.has_more {
            s.push_str(&format!("  (page suivante : --page {})\n", result.page + 1));
        }
        if !result.session_log.is_empty() {
            s.push_str("Journal de la session\n");
            for (at, action, detail) in &result.session_log {
                s.push_str(&format!("  {}  {action}  {detail}\n", when(at)));
            }
        }
        s
    });
    Ok(ExitCode::SUCCESS)
}

/// `sceau seen ID`.
pub fn seen(cli: &Cli, id: i64, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let changed = app.mark_seen(id)?;
    out.emit(
        &serde_json::json!({"id": id, "was_unseen": changed}),
        || {
            if changed {
                format!("Notification {id} marquée comme vue.\n")
            } else {
                format!("Notification {id} : déjà vue ou inconnue.\n")
            }
        },
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- search, show

/// Arguments of `sceau search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Signifié à partir du (AAAA-MM-JJ, inclus).
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Signifié jusqu'au (AAAA-MM-JJ, inclus).
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// État : awaiting_consultation, in_person, at_home.
    #[arg(long)]
    pub state: Option<String>,
    /// Début de la référence.
    #[arg(long)]
    pub reference: Option<String>,
    /// Début du nom de document.
    #[arg(long)]
    pub document: Option<String>,
    /// Début du nom du destinataire.
    #[arg(long)]
    pub recipient: Option<String>,
    /// Nature (code).
    #[arg(long)]
    pub nature: Option<String>,
    /// Origine : form ou edi.
    #[arg(long)]
    pub source: Option<String>,
    /// Page (à partir de 1).
    #[arg(long, default_value_t = 1)]
    pub page: usize,
}

#[derive(Serialize)]
struct ServiceLine {
    id: i64,
    reference: String,
    recipient: String,
    nature: String,
    state: Option<&'static str>,
    source: &'static str,
    created_at: DateTime<Utc>,
    served_at: Option<DateTime<Utc>>,
    deposit_id: Option<String>,
}

/// `sceau search`.
pub fn search(cli: &Cli, args: &SearchArgs, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let state = args
        .state
        .as_deref()
        .map(str::parse::<DeliveryState>)
        .transpose()
        .map_err(|_| {
            CliError::input(
                "cli.state",
                format!(
                    "État inconnu : {} ({}).",
                    args.state.as_deref().unwrap_or_default(),
                    DeliveryState::ALL.map(DeliveryState::code).join(", ")
                ),
            )
        })?;
    let source = args
        .source
        .as_deref()
        .map(str::parse::<sceau_app::Source>)
        .transpose()
        .map_err(|_| {
            CliError::input(
                "cli.source",
                format!(
                    "Origine inconnue : {} ({}).",
                    args.source.as_deref().unwrap_or_default(),
                    sceau_app::Source::ALL
                        .map(sceau_app::Source::code)
                        .join(", ")
                ),
            )
        })?;
    let criteria = sceau_app::SearchCriteria {
        served_from: args.from.map(paris_day_start),
        served_until: args.to.and_then(|d| d.succ_opt()).map(paris_day_start),
        state,
        reference: args.reference.clone(),
        document_name: args.document.clone(),
        recipient: args.recipient.clone(),
        recipient_id: None,
        nature: args.nature.clone(),
        source,
    };
    let page = app.search(&criteria, args.page.saturating_sub(1))?;
    let lines: Vec<ServiceLine> = page
        .items
        .iter()
        .map(|s| ServiceLine {
            id: s.id.0,
            reference: s.reference.clone(),
            recipient: s.recipient_name.clone(),
            nature: s.nature.clone(),
            state: s.state.map(|x| x.code()),
            source: s.source.code(),
            created_at: s.created_at,
            served_at: s.served_at,
            deposit_id: s.vault_deposit_id.clone(),
        })
        .collect();
    let result =
        serde_json::json!({"page": args.page, "has_more": page.has_more, "results": lines});
    out.emit(&result, || {
        let mut s = String::new();
        if lines.is_empty() {
            s.push_str("Aucune signification trouvée.\n");
        }
        for l in &lines {
            s.push_str(&format!(
                "{}  {}  {}  {}  {}  {}\n",
                l.id,
                l.served_at.as_ref().map(when).unwrap_or_else(|| "-".into()),
                l.reference,
                l.recipient,
                l.nature,
                l.state.unwrap_or("en file")
            ));
        }
        if page.has_more {
            s.push_str(&format!("(page suivante : --page {})\n", args.page + 1));
        }
        s
    });
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `sceau show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Référence, numéro local ou identifiant de dépôt.
    pub key: String,
    /// Sans le coffre-fort (ni clé ni réseau) : seulement la copie locale.
    #[arg(long)]
    pub offline: bool,
}

/// `sceau show`.
pub fn show(cli: &Cli, args: &ShowArgs, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let cred = if args.offline {
        None
    } else {
        Some(credentials(cli, &app)?)
    };
    let v = rt()?.block_on(app.show(&args.key, cred.as_ref()))?;
    out.emit(&v, || {
        let mut s = format!(
            "Signification n° {} — référence {}\n  Destinataire : {}\n  Nature : {}\n  État : {}\n  Préparée le {}\n",
            v.id,
            v.reference,
            v.recipient_name,
            v.nature,
            v.state_fr,
            when(&v.created_at)
        );
        if let Some(t) = &v.served_at {
            s.push_str(&format!("  Signifiée le {}\n", when(t)));
        }
        for (n, size) in &v.documents {
            s.push_str(&format!("  Acte : {n} ({size} octets)\n"));
        }
        if let Some(d) = &v.vault {
            s.push_str(&format!(
                "  Attestation de dépôt : {} dans {} ({})\n",
                d.attestation.xml_name,
                d.attestation.archive_name,
                when(&d.attestation.served_at)
            ));
            if let Some(n) = &d.delivery_notice {
                s.push_str(&format!("  Avis de remise : {} — {}\n", n.file_name, n.state));
            }
            if let Some(r) = &d.act_return {
                s.push_str(&format!("  Retour : {} — {}\n", r.file_name, r.state));
            }
        }
        // Local copies are sealed with the store's key: `sceau save` writes a readable copy.
        for (kept, what, file) in [
            (v.archive.is_some(), "l'archive", "archive"),
            (v.delivery_notice_file.is_some(), "l'attestation de remise", "avis"),
            (v.return_file.is_some(), "le retour", "retour"),
        ] {
            if kept {
                s.push_str(&format!(
                    "  Copie chiffrée sur le poste : {what} (sceau save {} --file {file} --out FICHIER)\n",
                    v.reference
                ));
            }
        }
        s.push_str("  Historique :\n");
        for (at, m) in &v.history {
            s.push_str(&format!("    {}  {}\n", when(at), m));
        }
        s
    });
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- vault

/// `sceau vault ...`
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Lister un dossier de votre coffre.
    Ls {
        /// Dossier (vide : la racine).
        #[arg(default_value = "")]
        path: String,
    },
    /// Télécharger un fichier.
    Get {
        /// Fichier du coffre.
        path: String,
        /// Où l'écrire.
        #[arg(long)]
        out: PathBuf,
    },
    /// Transférer des fichiers du poste dans un dossier de votre coffre (« Transférer »).
    Put {
        /// Fichiers du poste.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Dossier du coffre où les déposer (vide : la racine).
        #[arg(long, default_value = "")]
        to: String,
    },
    /// Créer un dossier.
    Mkdir {
        /// Dossier à créer.
        path: String,
    },
    /// Déplacer un fichier ou un dossier.
    Mv {
        /// Chemin actuel.
        from: String,
        /// Nouveau chemin.
        to: String,
    },
    /// Renommer un fichier ou un dossier (même dossier).
    Rename {
        /// Chemin actuel.
        path: String,
        /// Nouveau nom.
        name: String,
    },
    /// Supprimer un fichier ou un dossier vide (jamais une archive avant la fin de sa durée de
    /// conservation).
    Rm {
        /// Chemin.
        path: String,
    },
    /// Espace utilisé.
    Usage,
    /// Exporter la preuve d'intégrité d'un fichier.
    Proof {
        /// Fichier du coffre.
        path: String,
        /// Où écrire la preuve (JSON).
        #[arg(long)]
        out: PathBuf,
    },
}

/// `sceau vault`.
pub fn vault(cli: &Cli, cmd: &VaultCommand, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let cred = credentials(cli, &app)?;
    let rt = rt()?;
    let auth = Auth::Pin(&cred);
    match cmd {
        VaultCommand::Ls { path } => {
            let l = rt.block_on(app.vault_list(auth, path))?;
            out.emit(&l, || {
                let mut s = String::new();
                for e in &l.entries {
                    s.push_str(&format!(
                        "{}{}  {} octets  {}\n",
                        e.path,
                        if e.is_folder { "/" } else { "" },
                        e.size,
                        when(&e.modified)
                    ));
                }
                s.push_str(&format!("Espace utilisé : {} octets\n", l.space_used));
                s
            });
        }
        VaultCommand::Usage => {
            let used = rt.block_on(app.vault_usage(auth))?;
            out.emit(&serde_json::json!({"space_used": used}), || {
                format!("Espace utilisé : {used} octets\n")
            });
        }
        VaultCommand::Get { path, out: to } => {
            let saved =
                rt.block_on(app.vault_download(auth, path, &Destination::File(to.clone())))?;
            let size = saved.size;
            out.emit(
                &serde_json::json!({"path": path, "file": to, "size": size}),
                || format!("{path} → {} ({size} octets)\n", to.display()),
            );
        }
        VaultCommand::Put { files, to } => {
            let done = rt.block_on(app.vault_upload(auth, to, files, progress(out.is_json())))?;
            out.emit(&done, || {
                let mut s = String::new();
                for t in &done {
                    s.push_str(&format!(
                        "{} → {} ({} octets, SHA-256 {})\n",
                        t.local.display(),
                        t.entry.path,
                        t.entry.size,
                        t.entry.sha256.as_deref().unwrap_or("")
                    ));
                }
                s.push_str(&format!(
                    "{} fichier(s) transféré(s) dans le coffre-fort.\n",
                    done.len()
                ));
                s
            });
        }
        VaultCommand::Mkdir { path } => {
            let e = rt.block_on(app.vault_mkdir(auth, path))?;
            out.emit(&e, || format!("Dossier {} créé.\n", e.path));
        }
        VaultCommand::Mv { from, to } => {
            let e = rt.block_on(app.vault_move(auth, from, to))?;
            out.emit(&e, || format!("{from} → {}\n", e.path));
        }
        VaultCommand::Rename { path, name } => {
            let e = rt.block_on(app.vault_rename(auth, path, name))?;
            out.emit(&e, || format!("{path} renommé en {}\n", e.path));
        }
        VaultCommand::Rm { path } => {
            rt.block_on(app.vault_delete(auth, path))?;
            out.emit(&serde_json::json!({"deleted": path}), || {
                format!("{path} supprimé.\n")
            });
        }
        VaultCommand::Proof { path, out: to } => {
            let (_, sha256) =
                rt.block_on(app.vault_proof(auth, path, &Destination::File(to.clone())))?;
            out.emit(
                &serde_json::json!({"path": path, "proof": to, "sha256": sha256}),
                || {
                    format!(
                        "Preuve de {path} écrite dans {} (SHA-256 {sha256}).\n",
                        to.display()
                    )
                },
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- letter

/// Arguments of `sceau letter`.
#[derive(Debug, Args)]
pub struct LetterArgs {
    /// Référence, numéro local ou identifiant de dépôt.
    pub key: String,
    /// Fichier PDF/A-1b à écrire (par défaut : lettres/<référence>_LETTRE.pdf dans le dossier
    /// de données).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Serialize)]
struct LetterOut<'a> {
    date: chrono::NaiveDate,
    text: &'a str,
    pdf: PathBuf,
}

/// `sceau letter`: the plain letter of a service delivered "à domicile", written as PDF/A-1b.
pub fn letter(cli: &Cli, args: &LetterArgs, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let to = match &args.out {
        Some(p) => Destination::File(p.clone()),
        None => Destination::Folder(app.config().data_dir.join("lettres")),
    };
    let (l, saved) = app.save_letter(&args.key, &to)?;
    let path = saved.path;
    let result = LetterOut {
        date: l.date,
        text: &l.text,
        pdf: path.clone(),
    };
    out.emit(&result, || {
        format!(
            "{}\nLettre simple (PDF/A-1b) datée du {} écrite dans {}\n",
            l.text,
            l.date.format("%d/%m/%Y"),
            path.display()
        )
    });
    Ok(ExitCode::SUCCESS)
}
