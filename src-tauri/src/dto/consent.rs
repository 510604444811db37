//! A new recipient from the office, and consent to electronic service: the register's state for
//! a recipient, invitations to consent, resending and withdrawing them (issue 17).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Recipient;

// An invitation's state travels as the vault gives it (`sceau-proto` derives its TypeScript).
pub use sceau_app::InvitationState;
// The civility and the field of a problem are the core's types (TypeScript derived there).
pub use sceau_app::{Civility, RecipientField};

/// A private person as typed in "Nouveau destinataire".
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewPersonForm {
    /// Civility.
    pub civility: Civility,
    /// Last name.
    pub last_name: String,
    /// First names.
    pub first_names: String,
    /// Birth date, `JJ/MM/AAAA` or `AAAA-MM-JJ`.
    pub birth_date: String,
    /// E-mail address.
    pub email: String,
    /// Mobile phone.
    pub mobile: String,
    /// Address lines (blank ones are dropped).
    pub address_lines: Vec<String>,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// NIR, optional.
    pub nir: Option<String>,
}

/// A company as typed in "Nouveau destinataire", with its contact's e-mail and mobile.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewCompanyForm {
    /// SIRET.
    pub siret: String,
    /// Raison sociale.
    pub name: String,
    /// The contact's e-mail address.
    pub email: String,
    /// The contact's mobile phone.
    pub mobile: String,
}

/// "Nouveau destinataire": a private person or a company.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NewRecipientRequest {
    /// A private person.
    Person(NewPersonForm),
    /// A company.
    Company(NewCompanyForm),
}

// Personal data: never shown by Debug (logs), only the kind.
impl std::fmt::Debug for NewRecipientRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NewRecipientRequest::Person(_) => "NewRecipientRequest::Person(..)",
            NewRecipientRequest::Company(_) => "NewRecipientRequest::Company(..)",
        })
    }
}

impl From<NewRecipientRequest> for sceau_app::NewRecipient {
    fn from(r: NewRecipientRequest) -> Self {
        match r {
            NewRecipientRequest::Person(p) => {
                sceau_app::NewRecipient::Person(sceau_app::NewPerson {
                    civility: p.civility,
                    first_names: p.first_names,
                    last_name: p.last_name,
                    birth_date: p.birth_date,
                    email: p.email,
                    mobile: p.mobile,
                    address: sceau_app::PostalAddress {
                        lines: p.address_lines,
                        postal_code: p.postal_code,
                        city: p.city,
                    },
                    nir: p.nir.filter(|n| !n.trim().is_empty()),
                })
            }
            NewRecipientRequest::Company(c) => {
                sceau_app::NewRecipient::Company(sceau_app::NewCompany {
                    siret: c.siret,
                    name: c.name,
                    email: c.email,
                    mobile: c.mobile,
                })
            }
        }
    }
}

/// One thing wrong with the new recipient: its code (`recipient.*`), field and French message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecipientProblem {
    /// Stable code, e.g. `recipient.bad_email`.
    pub code: String,
    /// The field concerned.
    pub field: RecipientField,
    /// What is wrong and what to do.
    pub message: String,
}

impl From<&sceau_app::RecipientProblem> for RecipientProblem {
    fn from(p: &sceau_app::RecipientProblem) -> Self {
        RecipientProblem {
            code: p.code().to_owned(),
            field: p.field(),
            message: p.message_fr(),
        }
    }
}

/// What became of "Nouveau destinataire": created, refused field by field (nothing sent), or
/// already in the vault (nothing created: the existing cards to pick instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AddRecipientResult {
    /// Created in the vault (and cached): select it as a searched one.
    Created {
        /// The new card.
        recipient: Recipient,
    },
    /// Refused: every problem, each beside its field.
    Invalid {
        /// The problems, in the order of the form.
        problems: Vec<RecipientProblem>,
    },
    /// The vault has this recipient already.
    Duplicate {
        /// What happened and what to do.
        message: String,
        /// The existing cards.
        existing: Vec<Recipient>,
    },
}

/// The recipient whose consent is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConsentRequest {
    /// Recipient (vault identifier).
    pub recipient_id: String,
}

/// A consent in the register (CPC 748-2), with its instants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConsentEntry {
    /// Id in the register.
    pub id: String,
    /// Natures of acts covered (catalogue codes).
    pub natures: Vec<String>,
    /// Given at (in force from this instant).
    pub given_at: DateTime<Utc>,
    /// Ends at, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked at, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// How it was given (`portail`, `convention`…).
    pub how: String,
}

impl From<&sceau_app::Consent> for ConsentEntry {
    fn from(c: &sceau_app::Consent) -> Self {
        ConsentEntry {
            id: c.id.clone(),
            natures: c.natures.clone(),
            given_at: c.given_at,
            expires_at: c.expires_at,
            revoked_at: c.revoked_at,
            how: c.how.clone(),
        }
    }
}

/// One of this office's invitations, with its state in French and what may be done with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvitationView {
    /// Id.
    pub id: String,
    /// Natures of acts proposed.
    pub natures: Vec<String>,
    /// Where it stands.
    pub state: InvitationState,
    /// Where it stands, in French.
    pub label: String,
    /// When it was (last) sent.
    pub sent_at: DateTime<Utc>,
    /// Until when it may be answered.
    pub expires_at: DateTime<Utc>,
    /// When the recipient answered, if they did.
    pub answered_at: Option<DateTime<Utc>>,
    /// Not answered (pending, expired or locked): it may be sent again or withdrawn.
    pub open: bool,
}

impl From<&sceau_app::Invitation> for InvitationView {
    fn from(i: &sceau_app::Invitation) -> Self {
        InvitationView {
            id: i.id.clone(),
            natures: i.natures.clone(),
            state: i.state,
            label: i.state.label_fr().to_owned(),
            sent_at: i.sent_at,
            expires_at: i.expires_at,
            answered_at: i.answered_at,
            open: matches!(
                i.state,
                InvitationState::Pending | InvitationState::Expired | InvitationState::Locked
            ),
        }
    }
}

/// Where a recipient's consent stands for this office (recipient card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConsentOverview {
    /// The recipient.
    pub recipient_id: String,
    /// The register's consents, oldest first.
    pub consents: Vec<ConsentEntry>,
    /// Natures of acts a consent covers now.
    pub in_force: Vec<String>,
    /// This office's invitations, newest first.
    pub invitations: Vec<InvitationView>,
    /// Where it stands, in French (without consent, the paper fallback).
    pub summary: String,
}

impl From<sceau_app::ConsentOverview> for ConsentOverview {
    fn from(o: sceau_app::ConsentOverview) -> Self {
        ConsentOverview {
            consents: o.consents.iter().map(ConsentEntry::from).collect(),
            invitations: o.invitations.iter().map(InvitationView::from).collect(),
            recipient_id: o.recipient_id,
            in_force: o.in_force,
            summary: o.summary_fr,
        }
    }
}

/// "Inviter à consentir".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InviteRequest {
    /// Recipient (vault identifier).
    pub recipient_id: String,
    /// Natures of acts the consent would cover (catalogue codes).
    pub natures: Vec<String>,
    /// Days to answer (the vault's default, 15, when none).
    pub days: Option<u32>,
    /// Months the consent would last (until revoked when none).
    pub consent_months: Option<u32>,
}

/// What is done with an invitation not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InvitationActionKind {
    /// "Renvoyer": a new link, a new answering time.
    Resend,
    /// "Retirer".
    Withdraw,
}

impl From<InvitationActionKind> for sceau_app::InvitationAction {
    fn from(a: InvitationActionKind) -> Self {
        match a {
            InvitationActionKind::Resend => sceau_app::InvitationAction::Resend,
            InvitationActionKind::Withdraw => sceau_app::InvitationAction::Withdraw,
        }
    }
}

/// "Renvoyer" / "Retirer" an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvitationActionRequest {
    /// The invitation.
    pub invitation_id: String,
    /// What to do.
    pub action: InvitationActionKind,
}
