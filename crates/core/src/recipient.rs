//! A new recipient as the office enters it: a private person or a company, checked before the
//! vault stores it. One check for the window, the command line and the vault
//! ([`NewRecipient::check`]): every problem at once, each with a stable code `recipient.<what>`
//! and a French message; the values the vault keeps come out normalised (names trimmed, the
//! e-mail's domain in lower case, the mobile in E.164, the NIR and SIRET as digits).
//!
//! Personal data: never log a request or a checked recipient; log its kind only.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::ids::{Nir, Siret};

/// Longest name (last name, first names, company name), in characters.
pub const NAME_MAX: usize = 120;
/// Longest address line or city, in characters.
pub const ADDRESS_LINE_MAX: usize = 100;
/// Most address lines (street, building, lieu-dit, complement).
pub const ADDRESS_LINES_MAX: usize = 4;
/// Longest e-mail address, in characters (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Oldest plausible age, in years: an older birth date is a typing mistake.
pub const AGE_MAX_YEARS: i32 = 130;

/// Civility of a private person (also the window's type: its TypeScript is derived here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub enum Civility {
    /// Monsieur.
    M,
    /// Madame.
    Mme,
}

impl Civility {
    /// The stored and shown form (`M`, `Mme`).
    pub fn code(self) -> &'static str {
        match self {
            Civility::M => "M",
            Civility::Mme => "Mme",
        }
    }

    /// Reads a stored form.
    pub fn of_code(code: &str) -> Option<Civility> {
        match code {
            "M" => Some(Civility::M),
            "Mme" => Some(Civility::Mme),
            _ => None,
        }
    }
}

/// A postal address as typed: lines, postal code, city.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street lines (number and street, building, complement); blank lines are dropped.
    pub lines: Vec<String>,
    /// Postal code, 5 digits.
    pub postal_code: String,
    /// City.
    pub city: String,
}

/// A private person as typed by the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    /// Civility.
    pub civility: Civility,
    /// First names, as on the civil status.
    pub first_names: String,
    /// Last name (nom de naissance or d'usage).
    pub last_name: String,
    /// Birth date, `AAAA-MM-JJ` or `JJ/MM/AAAA`.
    pub birth_date: String,
    /// E-mail address (the link to the vault goes there).
    pub email: String,
    /// Mobile phone (the one-time codes go there).
    pub mobile: String,
    /// Postal address (the plain letter of a service "à domicile" goes there).
    pub address: PostalAddress,
    /// NIR ("n° INSEE"), optional, key-checked when given.
    #[serde(default)]
    pub nir: Option<String>,
}

/// A company (an establishment) as typed by the office, with its contact's e-mail and mobile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCompany {
    /// SIRET of the establishment (Luhn-checked).
    pub siret: String,
    /// Name (raison sociale).
    pub name: String,
    /// The contact's e-mail address.
    pub email: String,
    /// The contact's mobile phone.
    pub mobile: String,
}

/// `POST /v1/recipients`: a new recipient from the office, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NewRecipient {
    /// A private person.
    Person(NewPerson),
    /// A company.
    Company(NewCompany),
}

/// Which field a problem is about (the window puts the message beside it; its TypeScript,
/// `RecipientField`, is derived here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "RecipientField")]
pub enum Field {
    /// Last name.
    LastName,
    /// First names.
    FirstNames,
    /// Company name.
    Name,
    /// Birth date.
    BirthDate,
    /// E-mail.
    Email,
    /// Mobile.
    Mobile,
    /// Address lines.
    Address,
    /// Postal code.
    PostalCode,
    /// City.
    City,
    /// NIR.
    Nir,
    /// SIRET.
    Siret,
}

impl Field {
    /// The field's French name with its article ("le nom", "les prénoms"…).
    fn label_fr(self) -> &'static str {
        match self {
            Field::LastName => "le nom",
            Field::FirstNames => "les prénoms",
            Field::Name => "la raison sociale",
            Field::BirthDate => "la date de naissance",
            Field::Email => "l'adresse électronique",
            Field::Mobile => "le numéro de mobile",
            Field::Address => "l'adresse postale",
            Field::PostalCode => "le code postal",
            Field::City => "la ville",
            Field::Nir => "le numéro INSEE (NIR)",
            Field::Siret => "le SIRET",
        }
    }

    /// Stable code of the field (`last_name`…), as serialised.
    pub fn code(self) -> &'static str {
        match self {
            Field::LastName => "last_name",
            Field::FirstNames => "first_names",
            Field::Name => "name",
            Field::BirthDate => "birth_date",
            Field::Email => "email",
            Field::Mobile => "mobile",
            Field::Address => "address",
            Field::PostalCode => "postal_code",
            Field::City => "city",
            Field::Nir => "nir",
            Field::Siret => "siret",
        }
    }
}

/// One thing wrong with a new recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientProblem {
    /// A required field is empty.
    Missing {
        /// Which.
        field: Field,
    },
    /// A text over its limit.
    TooLong {
        /// Which.
        field: Field,
        /// Characters found.
        chars: usize,
        /// Characters allowed.
        max: usize,
    },
    /// A text holding a control character (line break, tab…).
    Control {
        /// Which.
        field: Field,
    },
    /// More address lines than [`ADDRESS_LINES_MAX`].
    TooManyAddressLines {
        /// Lines found.
        lines: usize,
    },
    /// Not an e-mail address.
    Email,
    /// Not a French mobile number.
    Mobile,
    /// A birth date that is not a date.
    BirthDateUnreadable,
    /// A birth date today or later.
    BirthDateFuture,
    /// A birth date more than [`AGE_MAX_YEARS`] years ago.
    BirthDateImplausible,
    /// A postal code that is not 5 digits.
    PostalCode,
    /// A NIR refused by its rule (length, character, key).
    Nir(Box<CoreError>),
    /// A NIR whose year or month of birth differs from the birth date.
    NirBirthMismatch,
    /// A SIRET refused by its rule (length, character, Luhn).
    Siret(Box<CoreError>),
}

impl RecipientProblem {
    /// One problem of every kind, for the error-vocabulary tests.
    #[doc(hidden)]
    pub fn examples() -> Vec<RecipientProblem> {
        vec![
            RecipientProblem::Missing {
                field: Field::LastName,
            },
            RecipientProblem::TooLong {
                field: Field::City,
                chars: 101,
                max: ADDRESS_LINE_MAX,
            },
            RecipientProblem::Control {
                field: Field::FirstNames,
            },
            RecipientProblem::TooManyAddressLines { lines: 5 },
            RecipientProblem::Email,
            RecipientProblem::Mobile,
            RecipientProblem::BirthDateUnreadable,
            RecipientProblem::BirthDateFuture,
            RecipientProblem::BirthDateImplausible,
            RecipientProblem::PostalCode,
            RecipientProblem::Nir(Box::new(CoreError::NirBadKey {
                expected: 36,
                found: 37,
            })),
            RecipientProblem::NirBirthMismatch,
            RecipientProblem::Siret(Box::new(CoreError::IdBadChecksum { kind: "SIRET" })),
        ]
    }

    /// Stable code (`recipient.*`), the same from the window, the command line and the vault.
    pub fn code(&self) -> &'static str {
        match self {
            RecipientProblem::Missing { .. } => "recipient.missing",
            RecipientProblem::TooLong { .. } => "recipient.too_long",
            RecipientProblem::Control { .. } => "recipient.control_character",
            RecipientProblem::TooManyAddressLines { .. } => "recipient.address_lines",
            RecipientProblem::Email => "recipient.bad_email",
            RecipientProblem::Mobile => "recipient.bad_mobile",
            RecipientProblem::BirthDateUnreadable => "recipient.bad_birth_date",
            RecipientProblem::BirthDateFuture => "recipient.birth_date_future",
            RecipientProblem::BirthDateImplausible => "recipient.birth_date_implausible",
            RecipientProblem::PostalCode => "recipient.bad_postal_code",
            RecipientProblem::Nir(_) => "recipient.bad_nir",
            RecipientProblem::NirBirthMismatch => "recipient.nir_birth_mismatch",
            RecipientProblem::Siret(_) => "recipient.bad_siret",
        }
    }

    /// The field concerned.
    pub fn field(&self) -> Field {
        match self {
            RecipientProblem::Missing { field }
            | RecipientProblem::TooLong { field, .. }
            | RecipientProblem::Control { field } => *field,
            RecipientProblem::TooManyAddressLines { .. } => Field::Address,
            RecipientProblem::Email => Field::Email,
            RecipientProblem::Mobile => Field::Mobile,
            RecipientProblem::BirthDateUnreadable
            | RecipientProblem::BirthDateFuture
            | RecipientProblem::BirthDateImplausible => Field::BirthDate,
            RecipientProblem::PostalCode => Field::PostalCode,
            RecipientProblem::Nir(_) | RecipientProblem::NirBirthMismatch => Field::Nir,
            RecipientProblem::Siret(_) => Field::Siret,
        }
    }

    /// What is wrong and what to do, in French.
    pub fn message_fr(&self) -> String {
        match self {
            RecipientProblem::Missing { field } => {
                format!(
                    "Indiquez {} du destinataire : il est obligatoire.",
                    field.label_fr()
                )
            }
            RecipientProblem::TooLong { field, chars, max } => format!(
                "Trop long : {} comporte {chars} caractères ; {max} au plus sont acceptés. \
                 Raccourcissez-le.",
                field.label_fr()
            ),
            RecipientProblem::Control { field } => format!(
                "{} contient un caractère de contrôle (saut de ligne, tabulation…). \
                 Saisissez-le de nouveau.",
                capitalised(field.label_fr())
            ),
            RecipientProblem::TooManyAddressLines { lines } => format!(
                "L'adresse postale comporte {lines} lignes ; {ADDRESS_LINES_MAX} au plus sont \
                 acceptées (sans le code postal ni la ville). Regroupez-les."
            ),
            RecipientProblem::Email => {
                "L'adresse électronique n'est pas valide (attendu : nom@domaine.fr). \
                 Vérifiez-la : le lien vers le coffre y sera envoyé."
                    .into()
            }
            RecipientProblem::Mobile => {
                "Le numéro de mobile n'est pas un mobile français (06 ou 07, +33 6 ou +33 7, ou \
                 un mobile d'outre-mer, par exemple +262 692). Vérifiez-le : les codes de \
                 connexion y seront envoyés par SMS."
                    .into()
            }
            RecipientProblem::BirthDateUnreadable => {
                "La date de naissance est illisible : saisissez-la sous la forme JJ/MM/AAAA \
                 (ou AAAA-MM-JJ)."
                    .into()
            }
            RecipientProblem::BirthDateFuture => {
                "La date de naissance est postérieure à aujourd'hui. Vérifiez-la.".into()
            }
            RecipientProblem::BirthDateImplausible => format!(
                "La date de naissance remonte à plus de {AGE_MAX_YEARS} ans. Vérifiez l'année."
            ),
            RecipientProblem::PostalCode => {
                "Le code postal doit comporter 5 chiffres (ex. 75001). Vérifiez-le.".into()
            }
            RecipientProblem::Nir(e) | RecipientProblem::Siret(e) => e.message_fr(),
            RecipientProblem::NirBirthMismatch => {
                "Le numéro INSEE (NIR) ne correspond pas à la date de naissance (l'année et le \
                 mois de naissance y figurent en positions 2 à 5). Vérifiez l'un et l'autre."
                    .into()
            }
        }
    }
}

impl fmt::Display for RecipientProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A checked private person, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPerson {
    /// Civility.
    pub civility: Civility,
    /// First names, spaces collapsed.
    pub first_names: String,
    /// Last name, spaces collapsed.
    pub last_name: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// E-mail, domain in lower case.
    pub email: String,
    /// Mobile, E.164 (`+33612345678`).
    pub mobile: String,
    /// Address lines (blank lines dropped).
    pub address_lines: Vec<String>,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// NIR, when given.
    pub nir: Option<Nir>,
}

/// A checked company, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCompany {
    /// SIRET.
    pub siret: Siret,
    /// Name, spaces collapsed.
    pub name: String,
    /// The contact's e-mail, domain in lower case.
    pub email: String,
    /// The contact's mobile, E.164.
    pub mobile: String,
}

/// A new recipient that passed [`NewRecipient::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedRecipient {
    /// A private person.
    Person(CheckedPerson),
    /// A company.
    Company(CheckedCompany),
}

impl CheckedRecipient {
    /// The name on the card: `NOM Prénoms` for a person (the last name in capitals, as
    /// French deeds write it), the company's name.
    pub fn display_name(&self) -> String {
        match self {
            CheckedRecipient::Person(p) => {
                format!("{} {}", p.last_name.to_uppercase(), p.first_names)
            }
            CheckedRecipient::Company(c) => c.name.clone(),
        }
    }

    /// The e-mail address.
    pub fn email(&self) -> &str {
        match self {
            CheckedRecipient::Person(p) => &p.email,
            CheckedRecipient::Company(c) => &c.email,
        }
    }

    /// The mobile, E.164.
    pub fn mobile(&self) -> &str {
        match self {
            CheckedRecipient::Person(p) => &p.mobile,
            CheckedRecipient::Company(c) => &c.mobile,
        }
    }
}

impl NewRecipient {
    /// Every problem of the request in the order of the form, or the recipient normalised.
    /// `today` is the calendar day in Paris (the core reads no clock).
    pub fn check(&self, today: NaiveDate) -> Result<CheckedRecipient, Vec<RecipientProblem>> {
        let mut problems = Vec::new();
        let checked = match self {
            NewRecipient::Person(p) => check_person(p, today, &mut problems),
            NewRecipient::Company(c) => check_company(c, &mut problems),
        };
        match checked {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(problems),
        }
    }

    /// The kind of recipient this makes.
    pub fn kind(&self) -> crate::ids::RecipientKind {
        match self {
            NewRecipient::Person(_) => crate::ids::RecipientKind::Person,
            NewRecipient::Company(_) => crate::ids::RecipientKind::Company,
        }
    }
}

fn check_person(
    p: &NewPerson,
    today: NaiveDate,
    problems: &mut Vec<RecipientProblem>,
) -> Option<CheckedRecipient> {
    let last_name = text(&p.last_name, Field::LastName, NAME_MAX, problems);
    let first_names = text(&p.first_names, Field::FirstNames, NAME_MAX, problems);
    let birth_date = birth_date(&p.birth_date, today, problems);
    let email = email(&p.email, problems);
    let mobile = mobile(&p.mobile, problems);
    let address_lines = address_lines(&p.address.lines, problems);
    let postal_code = postal_code(&p.address.postal_code, problems);
    let city = text(&p.address.city, Field::City, ADDRESS_LINE_MAX, problems);
    let nir = match p.nir.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(s) => match Nir::parse(s) {
            Ok(n) => {
                if birth_date.is_some_and(|d| !nir_matches_birth(&n, d)) {
                    problems.push(RecipientProblem::NirBirthMismatch);
                }
                Some(Some(n))
            }
            Err(e) => {
                problems.push(RecipientProblem::Nir(Box::new(e)));
                None
            }
        },
    };
    Some(CheckedRecipient::Person(CheckedPerson {
        civility: p.civility,
        first_names: first_names?,
        last_name: last_name?,
        birth_date: birth_date?,
        email: email?,
        mobile: mobile?,
        address_lines: address_lines?,
        postal_code: postal_code?,
        city: city?,
        nir: nir?,
    }))
}

fn check_company(c: &NewCompany, problems: &mut Vec<RecipientProblem>) -> Option<CheckedRecipient> {
    let siret = if c.siret.trim().is_empty() {
        problems.push(RecipientProblem::Missing {
            field: Field::Siret,
        });
        None
    } else {
        Siret::parse(&c.siret)
            .map_err(|e| problems.push(RecipientProblem::Siret(Box::new(e))))
            .ok()
    };
    let name = text(&c.name, Field::Name, NAME_MAX, problems);
    let email = email(&c.email, problems);
    let mobile = mobile(&c.mobile, problems);
    Some(CheckedRecipient::Company(CheckedCompany {
        siret: siret?,
        name: name?,
        email: email?,
        mobile: mobile?,
    }))
}

/// A required text: trimmed, inner spaces collapsed, bounded, without control characters.
fn text(
    input: &str,
    field: Field,
    max: usize,
    problems: &mut Vec<RecipientProblem>,
) -> Option<String> {
    if input.chars().any(char::is_control) {
        problems.push(RecipientProblem::Control { field });
        return None;
    }
    let t = input.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars = t.chars().count();
    if chars == 0 {
        problems.push(RecipientProblem::Missing { field });
        None
    } else if chars > max {
        problems.push(RecipientProblem::TooLong { field, chars, max });
        None
    } else {
        Some(t)
    }
}

fn address_lines(lines: &[String], problems: &mut Vec<RecipientProblem>) -> Option<Vec<String>> {
    let typed: Vec<&String> = lines.iter().filter(|l| !l.trim().is_empty()).collect();
    if typed.is_empty() {
        problems.push(RecipientProblem::Missing {
            field: Field::Address,
        });
        return None;
    }
    if typed.len() > ADDRESS_LINES_MAX {
        problems.push(RecipientProblem::TooManyAddressLines { lines: typed.len() });
        return None;
    }
    let before = problems.len();
    let out: Vec<String> = typed
        .into_iter()
        .filter_map(|l| text(l, Field::Address, ADDRESS_LINE_MAX, problems))
        .collect();
    (problems.len() == before).then_some(out)
}

fn postal_code(input: &str, problems: &mut Vec<RecipientProblem>) -> Option<String> {
    let t: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        problems.push(RecipientProblem::Missing {
            field: Field::PostalCode,
        });
        None
    } else if t.len() == 5 && t.chars().all(|c| c.is_ascii_digit()) {
        Some(t)
    } else {
        problems.push(RecipientProblem::PostalCode);
        None
    }
}

/// Reads `AAAA-MM-JJ` or `JJ/MM/AAAA`.
pub fn parse_birth_date(input: &str) -> Option<NaiveDate> {
    let t = input.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .ok()
        // chrono accepts years of 1 to 3 digits: a date is typed with four.
        .filter(|d| d.year() >= 1000)
}

fn birth_date(
    input: &str,
    today: NaiveDate,
    problems: &mut Vec<RecipientProblem>,
) -> Option<NaiveDate> {
    if input.trim().is_empty() {
        problems.push(RecipientProblem::Missing {
            field: Field::BirthDate,
        });
        return None;
    }
    let Some(d) = parse_birth_date(input) else {
        problems.push(RecipientProblem::BirthDateUnreadable);
        return None;
    };
    let oldest = today
        .with_year(today.year() - AGE_MAX_YEARS)
        .or_else(|| today.pred_opt()?.with_year(today.year() - AGE_MAX_YEARS))
        .unwrap_or(NaiveDate::MIN);
    if d >= today {
        problems.push(RecipientProblem::BirthDateFuture);
        None
    } else if d < oldest {
        problems.push(RecipientProblem::BirthDateImplausible);
        None
    } else {
        Some(d)
    }
}

/// Whether the NIR's year (positions 2–3) and month (4–5) are the birth date's. A month
/// outside 01–12 is a conventional value (month unknown at registration) and is not compared.
fn nir_matches_birth(nir: &Nir, birth: NaiveDate) -> bool {
    let s = nir.as_str();
    let year: Option<i32> = s.get(1..3).and_then(|y| y.parse().ok());
    let month: Option<u32> = s.get(3..5).and_then(|m| m.parse().ok());
    let year_ok = year == Some(birth.year().rem_euclid(100));
    let month_ok = match month {
        Some(m) if (1..=12).contains(&m) => m == birth.month(),
        _ => true,
    };
    year_ok && month_ok
}

fn email(input: &str, problems: &mut Vec<RecipientProblem>) -> Option<String> {
    let t = input.trim();
    if t.is_empty() {
        problems.push(RecipientProblem::Missing {
            field: Field::Email,
        });
        return None;
    }
    let normalised = normalise_email(t);
    if normalised.is_none() {
        problems.push(RecipientProblem::Email);
    }
    normalised
}

/// The address with its domain in lower case, if it is one: a dot-atom local part of at most 64
/// characters, a domain of at least two labels (letters, digits, inner hyphens; a top-level
/// label of letters), 254 characters in all. Quoted local parts and address literals, legal
/// but never seen on a recipient card, are refused.
pub fn normalise_email(input: &str) -> Option<String> {
    let t = input.trim();
    if t.chars().count() > EMAIL_MAX {
        return None;
    }
    let (local, domain) = t.rsplit_once('@')?;
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(atext));
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
    (local_ok && labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok)
        .then(|| format!("{local}@{}", domain.to_ascii_lowercase()))
}

fn mobile(input: &str, problems: &mut Vec<RecipientProblem>) -> Option<String> {
    if input.trim().is_empty() {
        problems.push(RecipientProblem::Missing {
            field: Field::Mobile,
        });
        return None;
    }
    let e164 = mobile_e164(input);
    if e164.is_none() {
        problems.push(RecipientProblem::Mobile);
    }
    e164
}

/// The country calling code of a French mobile by its national prefix: the overseas
/// departments' ranges (0639 Mayotte, 0690–0691 Guadeloupe and the northern islands, 0692–0693
/// La Réunion, 0694 Guyane, 0696–0697 Martinique), else 06 and 07 in metropolitan France.
fn mobile_region(national: &str) -> Option<&'static str> {
    let p4 = national.get(..4)?;
    Some(match p4 {
        "0639" | "0692" | "0693" => "262",
        "0690" | "0691" => "590",
        "0694" => "594",
        "0696" | "0697" => "596",
        _ if p4.starts_with("06") || p4.starts_with("07") => "33",
        _ => return None,
    })
}

/// A French mobile number in E.164 (`+33612345678`, `+262692123456`), from its national form
/// (`06 12 34 56 78`, `0692 12 34 56`) or an international one (`+33 6…`, `0033 6…`,
/// `+33 (0)6…`, `+262 692…`, `+590 690…`, `+596 696…`, `+594 694…`; `+269 639…`, Mayotte's
/// code before 2007, becomes `+262 639…`). Spaces, dots, hyphens and brackets are ignored. A
/// number given with the country code of another department than its range is refused, except
/// `+33`, which French callers also use for overseas mobiles.
pub fn mobile_e164(input: &str) -> Option<String> {
    let mut s: String = input
        .trim()
        .replace("(0)", "")
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-' | '(' | ')')))
        .collect();
    if let Some(rest) = s.strip_prefix("00") {
        s = format!("+{rest}");
    }
    let (given_cc, national) = match s.strip_prefix('+') {
        Some(intl) => {
            let cc = ["33", "262", "269", "590", "594", "596"]
                .into_iter()
                .find(|cc| intl.starts_with(cc))?;
            (Some(cc), format!("0{}", intl.get(cc.len()..)?))
        }
        None => (None, s),
    };
    if national.len() != 10 || !national.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let region = mobile_region(&national)?;
    let agrees = match given_cc {
        None | Some("33") => true,
        Some("269") => national.starts_with("0639"),
        Some(cc) => cc == region,
    };
    agrees.then(|| format!("+{region}{}", national.get(1..).unwrap_or_default()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, 11).unwrap()
    }

    /// The NIR with its key for a 13-character body.
    fn nir(body: &str) -> String {
        let n: u64 = body.parse().unwrap();
        format!("{body}{:02}", 97 - n % 97)
    }

    fn person() -> NewPerson {
        NewPerson {
            civility: Civility::Mme,
            first_names: "  Claire   Marie ".into(),
            last_name: "Martin".into(),
            birth_date: "12/05/1984".into(),
            email: "Claire.Martin@Exemple.FR".into(),
            mobile: "06 12 34 56 78".into(),
            address: PostalAddress {
                lines: vec!["12 rue de la Paix".into(), "  ".into()],
                postal_code: "75002".into(),
                city: "Paris".into(),
            },
            nir: Some(nir("2840575123456")),
        }
    }

    fn company() -> NewCompany {
        NewCompany {
            siret: "732 829 320 00074".into(),
            name: "BANQUE TEST".into(),
            email: "contact@banque.test".into(),
            mobile: "+33 7 12 34 56 78".into(),
        }
    }

    fn codes(r: Result<CheckedRecipient, Vec<RecipientProblem>>) -> Vec<&'static str> {
        r.unwrap_err().iter().map(RecipientProblem::code).collect()
    }

    #[test]
    fn a_complete_person_is_normalised() {
        let CheckedRecipient::Person(p) = NewRecipient::Person(person()).check(today()).unwrap()
        else {
            panic!("not a person")
        };
        assert_eq!(p.first_names, "Claire Marie");
        assert_eq!(p.birth_date, NaiveDate::from_ymd_opt(1984, 5, 12).unwrap());
        assert_eq!(p.email, "Claire.Martin@exemple.fr");
        assert_eq!(p.mobile, "+33612345678");
        assert_eq!(p.address_lines, ["12 rue de la Paix"]);
        assert_eq!(p.nir.unwrap().as_str(), nir("2840575123456"));
        let c = CheckedRecipient::Person(CheckedPerson {
            nir: None,
            ..match NewRecipient::Person(person()).check(today()).unwrap() {
                CheckedRecipient::Person(p) => p,
                CheckedRecipient::Company(_) => unreachable!(),
            }
        });
        assert_eq!(c.display_name(), "MARTIN Claire Marie");
        // Without a NIR the person is still complete.
        let no_nir = NewPerson {
            nir: Some("  ".into()),
            ..person()
        };
        assert!(NewRecipient::Person(no_nir).check(today()).is_ok());
    }

    #[test]
    fn a_complete_company_is_normalised() {
        let CheckedRecipient::Company(c) = NewRecipient::Company(company()).check(today()).unwrap()
        else {
            panic!("not a company")
        };
        assert_eq!(c.siret.as_str(), "73282932000074");
        assert_eq!(c.mobile, "+33712345678");
    }

    #[test]
    fn a_nir_with_a_wrong_key_is_refused_with_the_identifier_message() {
        let good = nir("2840575123456");
        let key: u8 = good[13..].parse().unwrap();
        let bad = format!("{}{:02}", &good[..13], (key % 97) + 1);
        let r = NewRecipient::Person(NewPerson {
            nir: Some(bad),
            ..person()
        })
        .check(today());
        let problems = r.unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code(), "recipient.bad_nir");
        assert_eq!(problems[0].field(), Field::Nir);
        assert!(
            problems[0].message_fr().contains("clé"),
            "{}",
            problems[0].message_fr()
        );
    }

    #[test]
    fn a_nir_of_another_birth_year_or_month_is_refused() {
        for other in ["2850575123456", "2840675123456"] {
            let r = NewRecipient::Person(NewPerson {
                nir: Some(nir(other)),
                ..person()
            })
            .check(today());
            assert_eq!(codes(r), ["recipient.nir_birth_mismatch"], "{other}");
        }
        // A conventional month (unknown at registration) is not compared.
        let r = NewRecipient::Person(NewPerson {
            nir: Some(nir("2843075123456")),
            ..person()
        })
        .check(today());
        assert!(r.is_ok(), "{r:?}");
    }

    #[test]
    fn a_siret_failing_luhn_is_refused() {
        let r = NewRecipient::Company(NewCompany {
            siret: "73282932000075".into(),
            ..company()
        })
        .check(today());
        let problems = r.unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code(), "recipient.bad_siret");
        assert!(problems[0].message_fr().contains("clé de contrôle"));
    }

    #[test]
    fn every_problem_is_reported_at_once_in_the_order_of_the_form() {
        let bad = NewPerson {
            civility: Civility::M,
            first_names: "Jean\tPaul".into(),
            last_name: "   ".into(),
            birth_date: "2026-01-01".into(),
            email: "jean@".into(),
            mobile: "01 23 45 67 89".into(),
            address: PostalAddress {
                lines: vec![],
                postal_code: "7500".into(),
                city: "x".repeat(ADDRESS_LINE_MAX + 1),
            },
            nir: Some("1234".into()),
        };
        assert_eq!(
            codes(NewRecipient::Person(bad).check(today())),
            [
                "recipient.missing",
                "recipient.control_character",
                "recipient.birth_date_future",
                "recipient.bad_email",
                "recipient.bad_mobile",
                "recipient.missing",
                "recipient.bad_postal_code",
                "recipient.too_long",
                "recipient.bad_nir",
            ]
        );
        let empty = NewCompany {
            siret: " ".into(),
            name: "".into(),
            email: "".into(),
            mobile: "".into(),
        };
        let problems = NewRecipient::Company(empty).check(today()).unwrap_err();
        assert_eq!(
            problems.iter().map(|p| p.field()).collect::<Vec<_>>(),
            [Field::Siret, Field::Name, Field::Email, Field::Mobile]
        );
        assert!(problems.iter().all(|p| p.code() == "recipient.missing"));
    }

    #[test]
    fn birth_dates_in_the_future_or_implausibly_old_are_refused() {
        let check = |d: &str| {
            let p = NewPerson {
                birth_date: d.into(),
                nir: None,
                ..person()
            };
            NewRecipient::Person(p)
                .check(today())
                .err()
                .map(|v| v[0].code())
        };
        assert_eq!(check("2025-03-10"), None);
        assert_eq!(check("1984-05-12"), None);
        assert_eq!(check("2025-03-11"), Some("recipient.birth_date_future"));
        assert_eq!(check("2099-01-01"), Some("recipient.birth_date_future"));
        assert_eq!(check("1895-03-11"), None);
        assert_eq!(
            check("1895-03-10"),
            Some("recipient.birth_date_implausible")
        );
        assert_eq!(check("31/02/1984"), Some("recipient.bad_birth_date"));
        assert_eq!(check("84-05-12"), Some("recipient.bad_birth_date"));
        assert_eq!(check("demain"), Some("recipient.bad_birth_date"));
        assert_eq!(check(""), Some("recipient.missing"));
    }

    #[test]
    fn e_mail_syntax() {
        for ok in [
            "a@b.fr",
            "prenom.nom+sceau@sous.domaine.example.com",
            "o'brien@exemple.ie",
        ] {
            assert!(normalise_email(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "sans-arobase.fr",
            "@exemple.fr",
            "a@",
            "a@exemple",
            "a@exemple.f",
            "a@exemple.123",
            "a..b@exemple.fr",
            ".a@exemple.fr",
            "a@-exemple.fr",
            "a@exemple..fr",
            "a b@exemple.fr",
            "a@b@exemple.fr",
            "\"a\"@exemple.fr",
            "élodie@exemple.fr",
        ] {
            assert_eq!(normalise_email(bad), None, "{bad}");
        }
        let long = format!("{}@exemple.fr", "a".repeat(65));
        assert_eq!(normalise_email(&long), None);
        assert_eq!(
            normalise_email(" Jean@Exemple.FR ").as_deref(),
            Some("Jean@exemple.fr")
        );
    }

    #[test]
    fn french_mobiles_metropolitan_and_overseas_in_e164() {
        for (typed, e164) in [
            ("06 12 34 56 78", "+33612345678"),
            ("07.12.34.56.78", "+33712345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("+33 (0)6 12 34 56 78", "+33612345678"),
            ("0033612345678", "+33612345678"),
            ("0692 12 34 56", "+262692123456"),
            ("+262 693 12 34 56", "+262693123456"),
            ("0639 12 34 56", "+262639123456"),
            ("+269 639 12 34 56", "+262639123456"),
            ("+590 690 12 34 56", "+590690123456"),
            ("0691-12-34-56", "+590691123456"),
            ("+596 696 12 34 56", "+596696123456"),
            ("+594 694 12 34 56", "+594694123456"),
            ("+33 6 92 12 34 56", "+262692123456"),
        ] {
            assert_eq!(mobile_e164(typed).as_deref(), Some(e164), "{typed}");
        }
        for bad in [
            "01 23 45 67 89",
            "08 00 00 00 00",
            "06 12 34 56 7",
            "06 12 34 56 789",
            "+44 7700 900123",
            "+262 612 34 56 78",
            "+590 696 12 34 56",
            "+269 333 12 34",
            "06 12 34 56 7a",
            "+33",
            "",
        ] {
            assert_eq!(mobile_e164(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_bounded_in_characters_and_address_lines_counted() {
        let long = NewPerson {
            last_name: "É".repeat(NAME_MAX),
            ..person()
        };
        assert!(NewRecipient::Person(long).check(today()).is_ok());
        let longer = NewPerson {
            last_name: "É".repeat(NAME_MAX + 1),
            ..person()
        };
        let p = NewRecipient::Person(longer).check(today()).unwrap_err();
        assert_eq!(
            p,
            [RecipientProblem::TooLong {
                field: Field::LastName,
                chars: NAME_MAX + 1,
                max: NAME_MAX
            }]
        );
        let many = NewPerson {
            address: PostalAddress {
                lines: vec!["a".into(); ADDRESS_LINES_MAX + 1],
                ..person().address
            },
            ..person()
        };
        assert_eq!(
            codes(NewRecipient::Person(many).check(today())),
            ["recipient.address_lines"]
        );
    }

    #[test]
    fn the_request_reads_as_json_with_its_kind() {
        let json = serde_json::json!({
            "kind": "company", "siret": "73282932000074", "name": "BANQUE TEST",
            "email": "a@b.fr", "mobile": "0612345678"
        });
        let r: NewRecipient = serde_json::from_value(json).unwrap();
        assert_eq!(r.kind(), crate::ids::RecipientKind::Company);
        let back = serde_json::to_value(NewRecipient::Person(person())).unwrap();
        assert_eq!(back["kind"], "person");
        assert_eq!(back["civility"], "Mme");
    }

    #[test]
    fn codes_are_distinct_and_messages_say_what_to_do() {
        let all = RecipientProblem::examples();
        let mut codes: Vec<_> = all.iter().map(RecipientProblem::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        for p in &all {
            assert!(p.code().starts_with("recipient."));
            assert!(p.message_fr().ends_with('.'), "{}", p.message_fr());
        }
    }
}
