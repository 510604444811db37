//! `sceau consent invite|status|resend|withdraw`: the office invites a recipient to consent to
//! electronic service (the vault sends the e-mail and the SMS; the recipient answers on the
//! portal), sees where the consent stands, sends an invitation again or withdraws it — over
//! `App::invite`, `App::consent_overview` and `App::invitation_action`.

use std::process::ExitCode;

use clap::Subcommand;
use sceau_app::{Auth, ConsentOverview, Invitation, InvitationAction};

use crate::engine::{app, credentials, rt};
use crate::output::{when, CliError, Out};
use crate::Cli;

/// `sceau consent`.
#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Inviter un destinataire à consentir à la signification électronique (courriel et SMS).
    Invite {
        /// Identifiant du destinataire (voir `sceau recipients search`).
        recipient: String,
        /// Nature d'acte proposée (code du catalogue) ; répétez l'option pour plusieurs.
        #[arg(long = "nature", required = true)]
        natures: Vec<String>,
        /// Jours laissés pour répondre (15 par défaut, 60 au plus).
        #[arg(long = "jours")]
        days: Option<u32>,
        /// Durée du consentement en mois (sans : jusqu'à révocation).
        #[arg(long = "duree-mois")]
        months: Option<u32>,
    },
    /// Où en est le consentement d'un destinataire (registre et invitations de l'étude).
    Status {
        /// Identifiant du destinataire.
        recipient: String,
    },
    /// Renvoyer une invitation sans réponse (nouveau lien, nouveau délai).
    Resend {
        /// Identifiant de l'invitation.
        id: String,
    },
    /// Retirer une invitation sans réponse.
    Withdraw {
        /// Identifiant de l'invitation.
        id: String,
    },
}

fn invitation_text(i: &Invitation) -> String {
    format!(
        "Invitation {} : {} (natures : {} ; réponse possible jusqu'au {}).\n",
        i.id,
        i.state.label_fr(),
        i.natures.join(", "),
        when(&i.expires_at)
    )
}

fn overview_text(o: &ConsentOverview) -> String {
    let mut s = format!("{}\n", o.summary_fr);
    for c in &o.consents {
        s.push_str(&format!(
            "Consentement {} donné le {} ({}) pour : {}{}\n",
            c.id,
            when(&c.given_at),
            c.how,
            c.natures.join(", "),
            match (c.revoked_at, c.expires_at) {
                (Some(r), _) => format!(" — révoqué le {}", when(&r)),
                (None, Some(e)) => format!(" — jusqu'au {}", when(&e)),
                (None, None) => String::new(),
            }
        ));
    }
    for i in &o.invitations {
        s.push_str(&invitation_text(i));
    }
    s
}

/// Runs `sceau consent`.
pub fn run(cli: &Cli, cmd: &ConsentCommand, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let cred = credentials(cli, &app)?;
    let auth = Auth::Pin(&cred);
    let rt = rt()?;
    match cmd {
        ConsentCommand::Invite {
            recipient,
            natures,
            days,
            months,
        } => {
            let i = rt.block_on(app.invite(auth, recipient, natures.clone(), *days, *months))?;
            out.emit(&i, || {
                format!(
                    "Invitation envoyée par courriel et par SMS au destinataire.\n{}",
                    invitation_text(&i)
                )
            });
        }
        ConsentCommand::Status { recipient } => {
            let o = rt.block_on(app.consent_overview(auth, recipient))?;
            out.emit(&o, || overview_text(&o));
        }
        ConsentCommand::Resend { id } => {
            let i = rt.block_on(app.invitation_action(auth, id, InvitationAction::Resend))?;
            out.emit(&i, || {
                format!("Invitation renvoyée.\n{}", invitation_text(&i))
            });
        }
        ConsentCommand::Withdraw { id } => {
            let i = rt.block_on(app.invitation_action(auth, id, InvitationAction::Withdraw))?;
            out.emit(&i, || {
                format!("Invitation retirée.\n{}", invitation_text(&i))
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
