//! `sceau recipients add person|company`: a new recipient from the office, over
//! `App::add_recipient` (checked on the workstation, created in the vault; a recipient the
//! vault has already is named, never created twice).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use sceau_app::{
    App, Auth, Civility, NewCompany, NewPerson, NewRecipient, PostalAddress, RecipientView,
};

use crate::engine::{credentials, rt};
use crate::output::{CliError, Out};
use crate::Cli;

/// `sceau recipients add`.
#[derive(Debug, Subcommand)]
pub enum AddCommand {
    /// Une personne physique (civilité, nom, prénoms, date de naissance, courriel, mobile,
    /// adresse ; NIR facultatif).
    Person(PersonArgs),
    /// Une entreprise (SIRET, raison sociale, courriel et mobile de son contact).
    Company(CompanyArgs),
}

/// Arguments of `sceau recipients add person`.
#[derive(Debug, Args)]
pub struct PersonArgs {
    /// Civilité : M ou Mme.
    #[arg(long, value_parser = civility)]
    pub civilite: Civility,
    /// Nom de famille.
    #[arg(long)]
    pub nom: String,
    /// Prénoms, dans l'ordre de l'état civil.
    #[arg(long)]
    pub prenoms: String,
    /// Date de naissance (AAAA-MM-JJ ou JJ/MM/AAAA).
    #[arg(long = "ne-le", value_name = "AAAA-MM-JJ")]
    pub ne_le: String,
    /// Adresse électronique (le lien vers le coffre y est envoyé).
    #[arg(long)]
    pub courriel: String,
    /// Numéro de mobile (les codes de connexion y sont envoyés par SMS).
    #[arg(long)]
    pub mobile: String,
    /// Ligne d'adresse (numéro et voie, complément) ; répétez l'option pour plusieurs lignes.
    #[arg(long, required = true)]
    pub adresse: Vec<String>,
    /// Code postal (5 chiffres).
    #[arg(long = "code-postal")]
    pub code_postal: String,
    /// Ville.
    #[arg(long)]
    pub ville: String,
    /// Numéro INSEE (NIR), facultatif.
    #[arg(long)]
    pub nir: Option<String>,
}

/// Arguments of `sceau recipients add company`.
#[derive(Debug, Args)]
pub struct CompanyArgs {
    /// SIRET de l'établissement (14 chiffres).
    #[arg(long)]
    pub siret: String,
    /// Raison sociale.
    #[arg(long)]
    pub nom: String,
    /// Adresse électronique du contact.
    #[arg(long)]
    pub courriel: String,
    /// Mobile du contact.
    #[arg(long)]
    pub mobile: String,
}

fn civility(s: &str) -> Result<Civility, String> {
    match s.trim().to_lowercase().as_str() {
        "m" | "m." | "monsieur" => Ok(Civility::M),
        "mme" | "madame" => Ok(Civility::Mme),
        _ => Err("civilité attendue : M ou Mme".into()),
    }
}

impl AddCommand {
    fn request(&self) -> NewRecipient {
        match self {
            AddCommand::Person(p) => NewRecipient::Person(NewPerson {
                civility: p.civilite,
                first_names: p.prenoms.clone(),
                last_name: p.nom.clone(),
                birth_date: p.ne_le.clone(),
                email: p.courriel.clone(),
                mobile: p.mobile.clone(),
                address: PostalAddress {
                    lines: p.adresse.clone(),
                    postal_code: p.code_postal.clone(),
                    city: p.ville.clone(),
                },
                nir: p.nir.clone(),
            }),
            AddCommand::Company(c) => NewRecipient::Company(NewCompany {
                siret: c.siret.clone(),
                name: c.nom.clone(),
                email: c.courriel.clone(),
                mobile: c.mobile.clone(),
            }),
        }
    }
}

/// `sceau recipients add person|company`.
pub fn add(cli: &Cli, app: &App, cmd: &AddCommand, out: &Out) -> Result<ExitCode, CliError> {
    let cred = credentials(cli, app)?;
    let created = rt()?.block_on(app.add_recipient(Auth::Pin(&cred), cmd.request()))?;
    out.emit(&created, || text(&created));
    Ok(ExitCode::SUCCESS)
}

fn text(r: &RecipientView) -> String {
    let mut s = format!("Destinataire créé : {} ({})\n", r.name, r.id);
    if let Some(siret) = &r.siret {
        s.push_str(&format!("  SIRET : {siret}\n"));
    }
    if let Some(nir) = &r.nir_masked {
        s.push_str(&format!("  N° INSEE : {nir}\n"));
    }
    s.push_str(&format!(
        "  Courriel : {}\n  Mobile : {}\n",
        r.email.as_deref().unwrap_or("-"),
        r.phone_mobile.as_deref().unwrap_or("-")
    ));
    s
}
