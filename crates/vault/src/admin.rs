//! Operator tasks behind the `sceau-vault` subcommands: recipients import, consent register,
//! reception rules. Each runs against the metadata store directly.

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use sceau_core::consent::Consent;
use sceau_core::hours::{ReceptionRule, Window};
use sceau_core::ids::{Nir, Siren, Siret};
use sceau_proto::RecipientKind;
use serde::Deserialize;

use crate::error::{storage, Error, Result};
use crate::store::meta::{self, RecipientRow};
use crate::store::sql::{tx, Metadata};

/// One recipient in an import file (CSV header or JSON field names).
#[derive(Debug, Clone, Deserialize)]
pub struct ImportedRecipient {
    /// Identifier; derived from SIRET/SIREN/NIR when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// `bank`, `company`, `administration` or `person`.
    pub kind: RecipientKind,
    /// Name.
    pub name: String,
    /// SIRET.
    #[serde(default)]
    pub siret: Option<String>,
    /// SIREN (derived from the SIRET when absent).
    #[serde(default)]
    pub siren: Option<String>,
    /// NIR.
    #[serde(default)]
    pub nir: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Landline.
    #[serde(default)]
    pub phone_fixed: Option<String>,
    /// Mobile.
    #[serde(default)]
    pub phone_mobile: Option<String>,
    /// The recipient's place (the governing place of its services): a département or
    /// collectivité code (`75`, `2A`, `974`), or else derived from `postal_code`.
    #[serde(default)]
    pub region: Option<String>,
    /// The postal code of the person's address or of the company's registered office.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// How the recipient is told of its acts: `per_act`, `digest` or `api_only`
    /// ([`crate::notify::Notices`]); absent or empty: unchanged (per act for a new recipient).
    #[serde(default)]
    pub notices: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ImportedRecipient {
    /// The recipient's place: `region`, else the département of `postal_code`, else unknown.
    pub fn place(&self, line: usize) -> Result<Option<sceau_core::region::Region>> {
        let bad = |e: sceau_core::CoreError| {
            Error::BadRequest(format!("ligne {line} : {}", e.message_fr()))
        };
        match (nonempty(&self.region), nonempty(&self.postal_code)) {
            (Some(code), _) => sceau_core::region::Region::from_code(code)
                .map(Some)
                .map_err(bad),
            (None, Some(p)) => sceau_core::region::Region::from_postal_code(p)
                .map(Some)
                .map_err(bad),
            (None, None) => Ok(None),
        }
    }

    /// The recipient's notice setting, if the line gives one.
    pub fn notices(&self, line: usize) -> Result<Option<crate::notify::Notices>> {
        nonempty(&self.notices)
            .map(|n| {
                crate::notify::Notices::parse_fr(n)
                    .map_err(|why| Error::BadRequest(format!("ligne {line} : {why}")))
            })
            .transpose()
    }

    /// Validates identifiers (line number for the message) and builds the stored row.
    pub fn validate(&self, line: usize) -> Result<RecipientRow> {
        let bad = |e: sceau_core::CoreError| {
            Error::InvalidIdentifier(format!("ligne {line} : {}", e.message_fr()))
        };
        let siret = nonempty(&self.siret)
            .map(Siret::parse)
            .transpose()
            .map_err(bad)?;
        let siren = match nonempty(&self.siren) {
            Some(s) => Some(Siren::parse(s).map_err(bad)?),
            None => siret.as_ref().map(Siret::siren),
        };
        let nir = nonempty(&self.nir)
            .map(Nir::parse)
            .transpose()
            .map_err(bad)?;
        let id = match nonempty(&self.id) {
            Some(id) => id.to_owned(),
            None => match (&siret, &siren, &nir) {
                (Some(s), _, _) => format!("siret-{}", s.as_str()),
                (None, Some(s), _) => format!("siren-{}", s.as_str()),
                _ => uuid::Uuid::new_v4().to_string(),
            },
        };
        if self.name.trim().is_empty() {
            return Err(Error::BadRequest(format!("ligne {line} : nom manquant")));
        }
        Ok(RecipientRow {
            id,
            kind: self.kind,
            name: self.name.trim().to_owned(),
            siret: siret.map(|s| s.as_str().to_owned()),
            siren: siren.map(|s| s.as_str().to_owned()),
            nir: nir.map(|s| s.as_str().to_owned()),
            email: nonempty(&self.email).map(str::to_owned),
            phone_fixed: nonempty(&self.phone_fixed).map(str::to_owned),
            phone_mobile: nonempty(&self.phone_mobile).map(str::to_owned),
        })
    }
}

/// Splits one CSV line (`,` or `;`, double quotes with `""` escapes).
fn csv_fields(line: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Parses a CSV file with a header line naming the fields of [`ImportedRecipient`].
pub fn parse_csv(text: &str) -> Result<Vec<ImportedRecipient>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .ok_or_else(|| Error::BadRequest("fichier vide".into()))?;
    let sep = if header.contains(';') { ';' } else { ',' };
    let names: Vec<String> = csv_fields(header, sep)
        .into_iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    lines
        .enumerate()
        .map(|(i, line)| {
            let obj: serde_json::Map<String, serde_json::Value> = names
                .iter()
                .zip(csv_fields(line, sep))
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.trim().to_owned())))
                .collect();
            serde_json::from_value(serde_json::Value::Object(obj))
                .map_err(|e| Error::BadRequest(format!("ligne {} : {e}", i + 2)))
        })
        .collect()
}

/// Imports recipients from `FILE.csv` or `FILE.json` (a JSON array); all or nothing.
pub fn import_recipients(meta_store: &dyn Metadata, file: &Path) -> Result<usize> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::BadRequest(e.to_string()))?;
    let items = if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        serde_json::from_str::<Vec<ImportedRecipient>>(&text)
            .map_err(|e| Error::BadRequest(e.to_string()))?
    } else {
        parse_csv(&text)?
    };
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, r)| Ok((r.validate(i + 2)?, r.place(i + 2)?, r.notices(i + 2)?)))
        .collect::<Result<Vec<_>>>()?;
    tx(meta_store, |sql| {
        for (r, place, notices) in &rows {
            meta::upsert_recipient(sql, r)?;
            meta::set_recipient_region(sql, &r.id, place.as_ref())?;
            if let Some(n) = notices {
                meta::set_recipient_notices(sql, &r.id, Some(n.code()))?;
            }
        }
        Ok(())
    })?;
    Ok(rows.len())
}

/// Sets how recipient `recipient_id` is told of its acts (for deposits queued from now on).
pub fn set_notices(
    meta_store: &dyn Metadata,
    recipient_id: &str,
    notices: crate::notify::Notices,
) -> Result<()> {
    tx(meta_store, |sql| {
        if meta::set_recipient_notices(sql, recipient_id, Some(notices.code()))? {
            Ok(())
        } else {
            Err(Error::UnknownRecipient)
        }
    })
}

/// Sets (`Some`) or forgets (`None`) the place of recipient `recipient_id` — a company's
/// registered office, a person who moved —, whose calendar and time zone then govern its
/// services; deposits already accepted keep the place they were accepted under.
pub fn set_recipient_place(
    meta_store: &dyn Metadata,
    recipient_id: &str,
    place: Option<&sceau_core::region::Region>,
) -> Result<()> {
    tx(meta_store, |sql| {
        if meta::recipient(sql, recipient_id)?.is_none() {
            return Err(Error::UnknownRecipient);
        }
        meta::set_recipient_region(sql, recipient_id, place)
    })
}

/// A declared office as `office list` prints it: the declaration with the office's place and
/// the contact shown in its notices.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListedOffice {
    /// The declaration.
    #[serde(flatten)]
    pub declared: meta::DeclaredOffice,
    /// Its place (département or collectivité code), when declared.
    pub region: Option<sceau_core::region::Region>,
    /// Its phone, when declared.
    pub phone: Option<String>,
    /// Its postal address, when declared.
    pub address: Option<String>,
}

/// Every declared office with its place and contact.
pub fn list_offices(meta_store: &dyn Metadata) -> Result<Vec<ListedOffice>> {
    tx(meta_store, |sql| {
        meta::declared_offices(sql)?
            .into_iter()
            .map(|d| {
                let region = meta::office_region(sql, &d.number)?;
                let contact = meta::declared_office_contact(sql, &d.number)?;
                Ok(ListedOffice {
                    declared: d,
                    region,
                    phone: contact.phone,
                    address: contact.address,
                })
            })
            .collect()
    })
}

/// Sets the phone and the address of the declared office `number`, shown in the notices to
/// its recipients (`None` keeps a part, an empty text forgets it).
pub fn set_office_contact(
    meta_store: &dyn Metadata,
    number: &str,
    phone: Option<&str>,
    address: Option<&str>,
) -> Result<()> {
    tx(meta_store, |sql| {
        if meta::set_office_contact(sql, number.trim(), phone, address)? {
            Ok(())
        } else {
            Err(Error::BadRequest(format!(
                "aucune étude n° {} n'est déclarée (sceau-vault office add)",
                number.trim()
            )))
        }
    })
}

/// The natures an operator's consent covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatureChoice {
    /// Every nature of the catalogue, listed in the register as of today (a nature added to
    /// the catalogue later is not covered).
    Every,
    /// These natures (catalogue codes).
    Listed(Vec<String>),
}

/// Enters the operator's consent (a convention, e.g. with a bank) given at `given_at`, not
/// after `now`, and journals it (`register::give`).
pub fn add_consent(
    meta_store: &dyn Metadata,
    recipient_id: &str,
    natures: NatureChoice,
    given_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    how: &str,
    now: DateTime<Utc>,
) -> Result<Consent> {
    let catalogue = sceau_core::natures::Catalogue::shipped()
        .map_err(|e| crate::error::config(crate::error::ConfigError::Catalogue(e)))?;
    let natures = match natures {
        NatureChoice::Every => catalogue.natures.iter().map(|n| n.code.clone()).collect(),
        NatureChoice::Listed(v) => v,
    };
    tx(meta_store, |sql| {
        crate::register::give(
            sql,
            catalogue,
            crate::register::NewConsent {
                recipient_id,
                natures: natures.clone(),
                given_at,
                expires_at,
                how,
                by: "operateur",
                office_id: None,
                evidence: Vec::new(),
            },
            now,
        )
    })
}

/// Revokes consent `id` as of `now`, at the operator's hand (journaled).
pub fn revoke_consent(meta_store: &dyn Metadata, id: &str, now: DateTime<Utc>) -> Result<Consent> {
    tx(meta_store, |sql| {
        crate::register::revoke(
            sql,
            id,
            now,
            "operateur",
            "révocation enregistrée par l'opérateur",
        )
    })
}

/// An instant typed by the operator: RFC 3339 (`2026-03-02T15:00:00Z`), a Paris local time
/// (`2026-03-02T15:00` or `2026-03-02 15:00`), or a day (`2026-03-02`) — its start, or with
/// `day_end` its end (the start of the next day: "in force through that day").
pub fn parse_instant(text: &str, day_end: bool) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(i) = DateTime::parse_from_rfc3339(t) {
        return Ok(i.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(local) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return local
                .and_local_timezone(sceau_core::PARIS)
                .earliest()
                .map(|i| i.with_timezone(&Utc))
                .ok_or_else(|| Error::BadRequest(format!("l'heure « {t} » n'existe pas à Paris")));
        }
    }
    let day = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
        Error::BadRequest(format!(
            "instant invalide « {t} » (ex. 2026-03-02, 2026-03-02T15:00 heure de Paris, ou \
             2026-03-02T14:00:00Z)"
        ))
    })?;
    let day = if day_end {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(sceau_core::paris_day_start(day))
}

/// Parses `mon,tue,wed 08:00-12:00` into a window.
pub fn parse_window(spec: &str) -> Result<Window> {
    let bad = || {
        Error::BadRequest(format!(
            "fenêtre invalide « {spec} » (ex. mon,tue 08:00-12:00)"
        ))
    };
    let (days, hours) = spec.trim().split_once(' ').ok_or_else(bad)?;
    let weekdays = days
        .split(',')
        .map(|d| d.trim().parse::<Weekday>().map_err(|_| bad()))
        .collect::<Result<Vec<_>>>()?;
    let (start, end) = hours.trim().split_once('-').ok_or_else(bad)?;
    let t = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
    Window::new(weekdays, t(start)?, t(end)?).map_err(|e| Error::BadRequest(e.message_fr()))
}

/// Sets a recipient's reception windows for a nature.
pub fn set_rule(
    meta_store: &dyn Metadata,
    recipient_id: &str,
    nature: &str,
    rule: &ReceptionRule,
) -> Result<()> {
    let json = serde_json::to_string(rule).map_err(storage)?;
    tx(meta_store, |sql| {
        meta::recipient(sql, recipient_id)?.ok_or(Error::UnknownRecipient)?;
        meta::set_rule(sql, recipient_id, nature, &json)
    })
}

/// Whether `number` is a valid office number (1 to 16 ASCII letters or digits).
pub fn valid_office_number(number: &str) -> bool {
    !number.is_empty() && number.len() <= 16 && number.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Declares office `number`: only a certificate of `holder` (a whole subject in RFC 4514 text,
/// or a common name) issued under the CA of `ca_pem` may bind it. The CA must be one of the
/// vault's office CAs (`client_ca_files`), or no certificate of it could ever connect.
pub fn declare_office(
    meta_store: &dyn Metadata,
    config: &crate::config::Config,
    number: &str,
    holder: &str,
    ca_pem: &Path,
    name: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<meta::DeclaredOffice> {
    let number = number.trim();
    if !valid_office_number(number) {
        return Err(Error::BadRequest(format!(
            "numéro d'étude « {number} » invalide (1 à 16 lettres ou chiffres)"
        )));
    }
    let holder = holder.trim();
    if holder.is_empty() {
        return Err(Error::BadRequest(
            "détenteur manquant (--holder : sujet complet ou nom commun du certificat)".into(),
        ));
    }
    let bad_ca = |why: String| Error::BadRequest(format!("{} : {why}", ca_pem.display()));
    let ca_der = crate::keys::load_cert_ders(ca_pem)
        .map_err(|_| bad_ca("fichier PEM de certificat illisible".into()))?
        .into_iter()
        .next()
        .ok_or_else(|| bad_ca("aucun certificat".into()))?;
    let ca = <x509_cert::Certificate as der::Decode>::from_der(&ca_der)
        .map_err(|e| bad_ca(format!("certificat illisible ({e})")))?;
    let mut trusted = false;
    for f in &config.client_ca_files {
        trusted |= crate::keys::load_cert_ders(f)?.contains(&ca_der);
    }
    if !trusted {
        return Err(bad_ca(
            "cette autorité n'est pas parmi les autorités des études du coffre (client_ca_files \
             de vault.toml) : ajoutez-la d'abord"
                .into(),
        ));
    }
    let d = meta::DeclaredOffice {
        number: number.to_owned(),
        holder: holder.to_owned(),
        ca_der_hex: hex::encode(&ca_der),
        ca_subject: ca.tbs_certificate.subject.to_string(),
        name: name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
    };
    tx(meta_store, |sql| meta::declare_office(sql, &d, now))?;
    Ok(d)
}

/// Binds the bank certificate of `cert_pem` (with its chain, if the file holds one) to the bank
/// `recipient`; returns its SHA-256 fingerprint. The certificate must lead to a bank CA
/// (`bank_ca_files`, else `client_ca_files`) and must not be an office's.
pub fn bind_bank(
    meta_store: &dyn Metadata,
    config: &crate::config::Config,
    recipient: &str,
    cert_pem: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String> {
    let chain = crate::keys::load_cert_ders(cert_pem).map_err(|_| {
        Error::BadRequest(format!("{} : certificat PEM illisible", cert_pem.display()))
    })?;
    let der = chain
        .first()
        .cloned()
        .ok_or_else(|| Error::BadRequest(format!("{} : aucun certificat", cert_pem.display())))?;
    let files = if config.bank_ca_files.is_empty() {
        &config.client_ca_files
    } else {
        &config.bank_ca_files
    };
    let mut ca_ders = Vec::new();
    for f in files {
        ca_ders.extend(crate::keys::load_cert_ders(f)?);
    }
    let chain: Vec<rustls::pki_types::CertificateDer<'static>> =
        chain.into_iter().map(Into::into).collect();
    crate::tls::ClientChecker::new(&ca_ders, &config.revoked_serials)?
        .check(&chain, now)
        .map_err(|e| {
            Error::BadRequest(format!(
                "{} : ce certificat n'est pas accepté pour une banque ({}) ; il doit mener à une \
                 autorité des banques (bank_ca_files de vault.toml, ou client_ca_files sans elles)",
                cert_pem.display(),
                e.message_fr()
            ))
        })?;
    let fp = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&der));
    tx(meta_store, |sql| {
        if let Some(o) = meta::office_by_cert(sql, &fp)? {
            return Err(Error::BadRequest(format!(
                "ce certificat est celui de l'étude {} : un certificat d'étude ne peut pas être \
                 celui d'une banque",
                o.office.number
            )));
        }
        let r = meta::recipient(sql, recipient)?
            .filter(|r| r.kind == RecipientKind::Bank)
            .ok_or(Error::UnknownRecipient)?;
        meta::bind_bank_cert(sql, &fp, &r.id, now)
    })?;
    Ok(fp)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_quotes_and_semicolons() {
        let rows = parse_csv(
            "kind;name;siret;email\nbank;\"BANQUE \"\"TEST\"\"; SA\";73282932000074;a@b.test\n",
        )
        .unwrap();
        assert_eq!(rows[0].name, "BANQUE \"TEST\"; SA");
        let r = rows[0].validate(2).unwrap();
        assert_eq!(r.siren.as_deref(), Some("732829320"));
        assert_eq!(r.id, "siret-73282932000074");
    }

    #[test]
    fn bad_siret_names_the_line() {
        let rows = parse_csv("kind,name,siret\nbank,X,73282932000075\n").unwrap();
        let err = rows[0].validate(2).unwrap_err();
        assert_eq!(err.code(), "invalid_identifier");
        assert!(err.message_fr().starts_with("ligne 2"));
    }

    #[test]
    fn windows_parse() {
        let w = parse_window("mon,tue 08:00-12:00").unwrap();
        assert_eq!(w.weekdays, vec![Weekday::Mon, Weekday::Tue]);
        assert!(parse_window("mon 12:00-08:00").is_err());
    }
}
