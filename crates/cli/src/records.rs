//! `sceau dashboard`, `seen`, `search` and `show`: the services of the office as the store
//! keeps them.

use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use sceau_app::{Auth, DeliveryState, NotificationCategory};
use serde::Serialize;

use crate::engine::{app, credentials, rt};
use crate::output::{when, CliError, Out};
use crate::Cli;

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
    let (served_from, served_until) = sceau_app::paris_days(args.from, args.to);
    let criteria = sceau_app::SearchCriteria {
        served_from,
        served_until,
        state,
        reference: args.reference.clone(),
        document_name: args.document.clone(),
        recipient: args.recipient.clone(),
        recipient_id: None,
        nature: args.nature.clone(),
        source,
        sort: Default::default(),
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
    let v = rt()?.block_on(app.show(&args.key, cred.as_ref().map(Auth::Pin)))?;
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
