//! The deposit attestation (`attestation_depot.xml`) and the act's XML data message (arrêté of
//! 28 August 2012, art. 8): models and deterministic XML, validated by the XSDs under
//! `resources/schemas/`.
//!
//! Determinism: same value, same bytes. Elements come in schema order, one per line with two-space
//! indentation; times are UTC `xs:dateTime` with a `Z` and whole seconds unless the value carries
//! sub-seconds (then nanoseconds as needed, RFC 3339 "AutoSi"); digests are lower-case hex; text is
//! escaped and characters XML forbids are replaced by U+FFFD.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::delivery::DeliveryRule;
use crate::ids::RecipientId;
use crate::naming::format_paris;
use crate::xml::{hex, Writer};

/// XML namespace of the deposit attestation.
pub const ATTESTATION_NS: &str = "urn:sceau:attestation-depot:1";
/// XML namespace of the act's data message.
pub const ACT_MESSAGE_NS: &str = "urn:sceau:message-acte:1";
/// The XSD of the deposit attestation, as shipped in `resources/schemas/attestation_depot.xsd`.
pub const ATTESTATION_XSD: &str = include_str!("../../../resources/schemas/attestation_depot.xsd");
/// The XSD of the act's data message, as shipped in `resources/schemas/message_acte.xsd`.
pub const ACT_MESSAGE_XSD: &str = include_str!("../../../resources/schemas/message_acte.xsd");
/// File name of the deposit attestation inside the archive (the manual's name).
pub const ATTESTATION_FILE_NAME: &str = "attestation_depot.xml";

/// The office's signing/authentication certificate as the vault saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// Serial number (as shown in the manual, decimal or hex text).
    pub serial: String,
    /// Holder (subject common name).
    pub holder: String,
    /// Issuer (issuer common name).
    pub issuer: String,
}

/// The office that serves the act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    /// Office number, e.g. `9991`.
    pub number: String,
    /// Office name (the commissaire de justice or the company).
    pub name: String,
}

/// The office as recorded in a deposit attestation: number, name and the certificate bound to its
/// space that authenticated the deposit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositOffice {
    /// Office number, e.g. `9991`.
    pub number: String,
    /// Office name.
    pub name: String,
    /// The certificate (serial, holder, issuer).
    pub certificate: CertificateInfo,
}

/// A party to the act: the recipient or the requérant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Name (company name, or person's name).
    pub name: String,
    /// Identifiers (SIRET, SIREN, NIR); may be empty for a requérant.
    pub ids: Vec<RecipientId>,
}

/// A nature of act as recorded (code and label at the time of the deposit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatureRef {
    /// Catalogue code.
    pub code: String,
    /// French label.
    pub label_fr: String,
}

/// A deposited document: name, size, SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDigest {
    /// File name (already sanitised).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
}

/// The consent relied on for the deposit, as it stood at that time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSnapshot {
    /// Consent id in the register.
    pub id: String,
    /// When the consent was given.
    pub given_at: DateTime<Utc>,
    /// Natures (codes) the consent covers.
    pub natures: Vec<String>,
    /// When it expires, if it does.
    pub expires: Option<DateTime<Utc>>,
}

/// The deposit attestation (`attestation_depot.xml`), sealed and time-stamped by the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositAttestation {
    /// Deposit id (vault).
    pub deposit_id: String,
    /// The office and the certificate it deposited with.
    pub office: DepositOffice,
    /// The recipient.
    pub recipient: Party,
    /// Nature of the act.
    pub nature: NatureRef,
    /// The office's deposit reference.
    pub reference: String,
    /// The deposited documents.
    pub documents: Vec<DocumentDigest>,
    /// Time of the deposit (vault's trusted time).
    pub deposited_at: DateTime<Utc>,
    /// The consent relied on.
    pub consent: ConsentSnapshot,
    /// The delivery rule in force.
    pub delivery_rule: DeliveryRule,
    /// The judge's permission reference, when served outside legal hours.
    pub judge_permission: Option<String>,
    /// The place whose time zone and calendar governed the legal hours and the delivery
    /// deadline ([`crate::place::governing`]); none in attestations of earlier versions.
    #[serde(default)]
    pub place: Option<crate::place::Governing>,
    /// The single XML flow made available to the recipient ([`crate::flow`]); none in
    /// attestations of earlier versions.
    #[serde(default)]
    pub flow: Option<DocumentDigest>,
}

fn xml_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn id_type(id: &RecipientId) -> &'static str {
    match id {
        RecipientId::Siren(_) => "SIREN",
        RecipientId::Siret(_) => "SIRET",
        RecipientId::Nir(_) => "NIR",
    }
}

fn write_party(w: &mut Writer, element: &str, p: &Party) {
    w.open(element, &[]);
    w.leaf("nom", &[], &p.name);
    for id in &p.ids {
        w.leaf("identifiant", &[("type", id_type(id))], id.as_str());
    }
    w.close(element);
}

fn write_document(w: &mut Writer, element: &str, d: &DocumentDigest) {
    w.open(element, &[]);
    w.leaf("nom", &[], &d.name);
    w.leaf("taille", &[], &d.size.to_string());
    w.leaf("sha256", &[], &hex(&d.sha256));
    w.close(element);
}

fn write_documents(w: &mut Writer, docs: &[DocumentDigest]) {
    w.open("documents", &[]);
    for d in docs {
        write_document(w, "document", d);
    }
    w.close("documents");
}

impl DepositAttestation {
    /// The attestation as UTF-8 XML in namespace [`ATTESTATION_NS`], valid against
    /// [`ATTESTATION_XSD`] (deterministic: see the module documentation).
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new();
        w.open(
            "attestationDepot",
            &[("xmlns", ATTESTATION_NS), ("version", "1")],
        );
        w.leaf("idDepot", &[], &self.deposit_id);
        w.leaf("dateDepot", &[], &xml_time(self.deposited_at));
        w.leaf("dateDepotParis", &[], &format_paris(self.deposited_at));
        w.open("etude", &[]);
        w.leaf("numero", &[], &self.office.number);
        w.leaf("nom", &[], &self.office.name);
        w.open("certificat", &[]);
        w.leaf("numeroSerie", &[], &self.office.certificate.serial);
        w.leaf("titulaire", &[], &self.office.certificate.holder);
        w.leaf("emetteur", &[], &self.office.certificate.issuer);
        w.close("certificat");
        w.close("etude");
        write_party(&mut w, "destinataire", &self.recipient);
        w.leaf(
            "nature",
            &[("code", &self.nature.code)],
            &self.nature.label_fr,
        );
        w.leaf("reference", &[], &self.reference);
        write_documents(&mut w, &self.documents);
        w.open("consentement", &[]);
        w.leaf("id", &[], &self.consent.id);
        w.leaf("dateConsentement", &[], &xml_time(self.consent.given_at));
        w.open("natures", &[]);
        for n in &self.consent.natures {
            w.leaf("nature", &[], n);
        }
        w.close("natures");
        if let Some(exp) = self.consent.expires {
            w.leaf("dateExpiration", &[], &xml_time(exp));
        }
        w.close("consentement");
        w.leaf(
            "regleRemise",
            &[("code", self.delivery_rule.code())],
            self.delivery_rule.label_fr(),
        );
        if let Some(p) = &self.judge_permission {
            w.leaf("permissionJuge", &[], p);
        }
        if let Some(place) = &self.place {
            let r = &place.region;
            w.open(
                "lieu",
                &[("code", r.code()), ("source", place.source.code())],
            );
            w.leaf("nom", &[], &r.name_fr());
            w.leaf("fuseauHoraire", &[], r.time_zone().name());
            w.leaf("calendrier", &[], &crate::place::calendar_code(r));
            w.leaf(
                "dateDepotLocale",
                &[],
                &r.local(self.deposited_at)
                    .to_rfc3339_opts(SecondsFormat::AutoSi, false),
            );
            w.close("lieu");
        }
        if let Some(flow) = &self.flow {
            write_document(&mut w, "fluxXml", flow);
        }
        w.close("attestationDepot");
        w.finish()
    }
}

/// The XML data message deposited with each act: its essential elements (arrêté of 28 August
/// 2012, art. 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActDataMessage {
    /// The serving office.
    pub office: Office,
    /// The party on whose behalf the act is served.
    pub requerant: Party,
    /// The recipient.
    pub recipient: Party,
    /// Nature of the act.
    pub nature: NatureRef,
    /// The office's reference.
    pub reference: String,
    /// Date of the act.
    pub act_date: NaiveDate,
    /// When the package was prepared (signed) at the office.
    pub prepared_at: DateTime<Utc>,
    /// The act's documents (signed PDF/A files).
    pub documents: Vec<DocumentDigest>,
    /// The judge's permission reference, if any.
    pub judge_permission: Option<String>,
}

impl ActDataMessage {
    /// The message as UTF-8 XML in namespace [`ACT_MESSAGE_NS`], valid against [`ACT_MESSAGE_XSD`].
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new();
        w.open(
            "messageActe",
            &[("xmlns", ACT_MESSAGE_NS), ("version", "1")],
        );
        w.open("etude", &[]);
        w.leaf("numero", &[], &self.office.number);
        w.leaf("nom", &[], &self.office.name);
        w.close("etude");
        write_party(&mut w, "requerant", &self.requerant);
        write_party(&mut w, "destinataire", &self.recipient);
        w.leaf(
            "nature",
            &[("code", &self.nature.code)],
            &self.nature.label_fr,
        );
        w.leaf("reference", &[], &self.reference);
        w.leaf(
            "dateActe",
            &[],
            &self.act_date.format("%Y-%m-%d").to_string(),
        );
        w.leaf("datePreparation", &[], &xml_time(self.prepared_at));
        write_documents(&mut w, &self.documents);
        if let Some(p) = &self.judge_permission {
            w.leaf("permissionJuge", &[], p);
        }
        w.close("messageActe");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Nir, Siret};
    use chrono::TimeZone;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("valid")
    }

    fn bank() -> Party {
        Party {
            name: "BANQUE TEST & Cie <Agence \"Centre\">".into(),
            ids: vec![RecipientId::Siret(
                Siret::parse("73282932000074").expect("valid"),
            )],
        }
    }

    fn attestation() -> DepositAttestation {
        DepositAttestation {
            deposit_id: "dep-2013-0917-0001".into(),
            office: DepositOffice {
                number: "9991".into(),
                name: "Étude XXXTEST".into(),
                certificate: CertificateInfo {
                    serial: "281808".into(),
                    holder: "XXXTEST JEREMY".into(),
                    issuer: "AC Certeurope Classe 3Plus v2".into(),
                },
            },
            recipient: bank(),
            nature: NatureRef {
                code: "SAISIE_ATTRIBUTION".into(),
                label_fr: "Procès-verbal de saisie attribution".into(),
            },
            reference: "TEST_MODALITE_REMISE_1".into(),
            documents: vec![DocumentDigest {
                name: "9991_TEST_MODALITE_REMISE_1_20130917_145203.pdf".into(),
                size: 123_456,
                sha256: [0xab; 32],
            }],
            deposited_at: t(2013, 9, 17, 12, 52, 55),
            consent: ConsentSnapshot {
                id: "consent-42".into(),
                given_at: t(2013, 1, 2, 9, 0, 0),
                natures: vec![
                    "SAISIE_ATTRIBUTION".into(),
                    "SAISIE_CONSERVATOIRE_CREANCES".into(),
                ],
                expires: Some(t(2014, 1, 2, 9, 0, 0)),
            },
            delivery_rule: DeliveryRule::SameCalendarDay,
            judge_permission: None,
            place: None,
            flow: None,
        }
    }

    fn message() -> ActDataMessage {
        let body = 2_841_275_123_456u64;
        let nir = RecipientId::Nir(
            Nir::parse(&format!("{body}{:02}", 97 - body % 97)).expect("valid NIR"),
        );
        ActDataMessage {
            office: Office {
                number: "9991".into(),
                name: "Étude XXXTEST".into(),
            },
            requerant: Party {
                name: "Société Créancière SA".into(),
                ids: vec![],
            },
            recipient: Party {
                name: "Mme Dupont".into(),
                ids: vec![nir],
            },
            nature: NatureRef {
                code: "COMMANDEMENT_DE_PAYER".into(),
                label_fr: "Commandement de payer".into(),
            },
            reference: "2 EME ESSAI".into(),
            act_date: NaiveDate::from_ymd_opt(2026, 6, 2).expect("valid"),
            prepared_at: t(2026, 6, 2, 8, 10, 48),
            documents: vec![DocumentDigest {
                name: "9991_2 EME ESSAI_20260602_101048.pdf".into(),
                size: 1,
                sha256: [0; 32],
            }],
            judge_permission: Some("Ord. TJ Paris 2026/123".into()),
        }
    }

    fn schema_path(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../resources/schemas")
            .join(name)
    }

    /// Runs the real xmllint; Ok(()) if valid, Err(stderr) otherwise.
    fn xmllint(xml: &str, schema: &str) -> Result<(), String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("doc.xml");
        std::fs::write(&file, xml).expect("write");
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .arg("--schema")
            .arg(schema_path(schema))
            .arg(&file)
            .output()
            .expect("xmllint must be installed (Debian libxml2-utils)");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    #[test]
    fn attestation_validates_with_xmllint() {
        let xml = attestation().to_xml();
        xmllint(&xml, "attestation_depot.xsd").expect("valid attestation");
        assert!(xml.contains("<dateDepot>2013-09-17T12:52:55Z</dateDepot>"));
        assert!(xml.contains("<dateDepotParis>17/09/2013 14:52:55</dateDepotParis>"));
        assert!(xml.contains("BANQUE TEST &amp; Cie &lt;Agence &quot;Centre&quot;&gt;"));
        assert!(xml.contains(&format!("<sha256>{}</sha256>", "ab".repeat(32))));
        assert!(xml.contains("<identifiant type=\"SIRET\">73282932000074</identifiant>"));
        assert!(xml.contains("<regleRemise code=\"same_calendar_day\">"));
        // Variants: no expiry, judge permission, 24-hour rule, hostile characters, several documents.
        let mut a = attestation();
        a.consent.expires = None;
        a.judge_permission = Some("Ord.\u{0} 12".into());
        a.delivery_rule = DeliveryRule::Hours24;
        a.reference = "]]> <!-- & \u{1b} 😀".into();
        a.documents.push(DocumentDigest {
            name: "annexe.pdf".into(),
            size: 0,
            sha256: [1; 32],
        });
        a.deposited_at += chrono::Duration::milliseconds(250);
        let xml = a.to_xml();
        xmllint(&xml, "attestation_depot.xsd").expect("valid variant");
        assert!(xml.contains("2013-09-17T12:52:55.250Z"));
        // The governing place: a Martinique recipient's local time and calendar.
        a.place = Some(crate::place::governing(
            Some(&crate::region::Region::from_code("972").unwrap()),
            None,
        ));
        let xml = a.to_xml();
        xmllint(&xml, "attestation_depot.xsd").expect("valid with its place");
        for piece in [
            "<lieu code=\"972\" source=\"recipient\">",
            "<nom>Martinique</nom>",
            "<fuseauHoraire>America/Martinique</fuseauHoraire>",
            "<calendrier>national+972</calendrier>",
            "<dateDepotLocale>2013-09-17T08:52:55.250-04:00</dateDepotLocale>",
        ] {
            assert!(xml.contains(piece), "{piece} in {xml}");
        }
        a.place = Some(crate::place::governing(
            None,
            Some(&crate::region::Region::from_code("2A").unwrap()),
        ));
        xmllint(&a.to_xml(), "attestation_depot.xsd").expect("valid, office's place");
        // The single XML flow, named with its digest after the place.
        a.flow = Some(DocumentDigest {
            name: crate::flow::FLOW_NAME.into(),
            size: 2048,
            sha256: [0xcd; 32],
        });
        let xml = a.to_xml();
        xmllint(&xml, "attestation_depot.xsd").expect("valid with its flow");
        assert!(xml.contains(&format!(
            "  <fluxXml>\n    <nom>flux_acte.xml</nom>\n    <taille>2048</taille>\n    \
             <sha256>{}</sha256>\n  </fluxXml>\n</attestationDepot>",
            "cd".repeat(32)
        )));
    }

    #[test]
    fn attestation_is_deterministic() {
        assert_eq!(attestation().to_xml(), attestation().to_xml());
        let mut other = attestation();
        other.documents[0].sha256[0] = 0;
        assert_ne!(attestation().to_xml(), other.to_xml());
    }

    #[test]
    fn broken_attestations_are_rejected_by_xmllint() {
        let good = attestation().to_xml();
        let broken = [
            // Element removed.
            good.replace("  <reference>TEST_MODALITE_REMISE_1</reference>\n", ""),
            // Digest not 64 hex characters.
            good.replace(&"ab".repeat(32), &"ab".repeat(31)),
            // Wrong namespace.
            good.replace(ATTESTATION_NS, "urn:sceau:attestation-depot:2"),
            // Negative size.
            good.replace("<taille>123456</taille>", "<taille>-1</taille>"),
            // Not a date.
            good.replace("2013-09-17T12:52:55Z", "17/09/2013 14:52:55"),
            // Unknown delivery rule.
            good.replace("code=\"same_calendar_day\"", "code=\"whenever\""),
            // Elements out of order.
            good.replace("<reference>", "<referenceX>")
                .replace("</reference>", "</referenceX>"),
        ];
        for (i, xml) in broken.iter().enumerate() {
            assert_ne!(xml, &good, "mutation {i} must change the document");
            assert!(
                xmllint(xml, "attestation_depot.xsd").is_err(),
                "mutation {i} accepted"
            );
        }
    }

    #[test]
    fn single_flow_validates_with_xmllint_and_broken_is_rejected() {
        use crate::flow::{build, FlowAct};
        let message = message().to_xml();
        let pdf: Vec<u8> = b"%PDF-1.7\n".iter().copied().cycle().take(500).collect();
        let act = FlowAct {
            name: "9991_REF_20260602_101500.pdf",
            pdf: &pdf,
            signature_name: "9991_REF_20260602_101500.pdf.p7s",
            signature: b"0\x80signature",
        };
        let flow = String::from_utf8(build(&message, &[act, act])).expect("UTF-8");
        xmllint(&flow, "flux_acte.xsd").expect("valid flow");
        let broken = [
            // The data message broken inside the flow is caught by the imported schema.
            flow.replace(
                "<dateActe>2026-06-02</dateActe>",
                "<dateActe>02/06/2026</dateActe>",
            ),
            flow.replace("format=\"CAdES\"", "format=\"PAdES\""),
            flow.replace("<pdf>", "<pdfa>").replace("</pdf>", "</pdfa>"),
            flow.replacen("sha256=\"", "sha256=\"X", 1),
            flow.replace(
                "version=\"1\">\n<messageActe",
                "version=\"2\">\n<messageActe",
            ),
        ];
        for (i, bad) in broken.iter().enumerate() {
            assert_ne!(bad, &flow, "mutation {i} must change the flow");
            assert!(
                xmllint(bad, "flux_acte.xsd").is_err(),
                "mutation {i} accepted"
            );
        }
    }

    #[test]
    fn act_message_validates_with_xmllint_and_broken_is_rejected() {
        let xml = message().to_xml();
        xmllint(&xml, "message_acte.xsd").expect("valid message");
        assert!(xml.contains("<dateActe>2026-06-02</dateActe>"));
        assert!(xml.contains("<identifiant type=\"NIR\">"));
        assert!(xml.contains("<requerant>\n    <nom>Société Créancière SA</nom>\n  </requerant>"));
        let mut m = message();
        m.judge_permission = None;
        m.requerant.ids = vec![RecipientId::Siret(
            Siret::parse("73282932000074").expect("valid"),
        )];
        xmllint(&m.to_xml(), "message_acte.xsd").expect("valid variant");
        let broken = [
            xml.replace(
                "<dateActe>2026-06-02</dateActe>",
                "<dateActe>02/06/2026</dateActe>",
            ),
            xml.replace("type=\"NIR\"", "type=\"PASSEPORT\""),
            xml.replace(ACT_MESSAGE_NS, ATTESTATION_NS),
            xml.replace("<documents>", "<docs>")
                .replace("</documents>", "</docs>"),
        ];
        for (i, bad) in broken.iter().enumerate() {
            assert_ne!(bad, &xml);
            assert!(
                xmllint(bad, "message_acte.xsd").is_err(),
                "mutation {i} accepted"
            );
        }
        // An attestation is not a data message.
        assert!(xmllint(&attestation().to_xml(), "message_acte.xsd").is_err());
    }

    #[test]
    fn shipped_schemas_are_embedded() {
        assert!(ATTESTATION_XSD.contains(ATTESTATION_NS));
        assert!(ACT_MESSAGE_XSD.contains(ACT_MESSAGE_NS));
    }
}
