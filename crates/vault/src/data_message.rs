//! The act's XML data message (`message_acte.xml`, arrêté of 28 August 2012, art. 8): checked
//! against the structure of `resources/schemas/message_acte.xsd` and then against the package
//! it came in (every act named once, with its size and SHA-256; the nature and the reference of
//! the manifest).
//!
//! There is no XSD engine in the vault: this module encodes that one schema by hand — element
//! order and cardinality, the namespace, the `version` attribute, and every simple type's facets
//! (non-empty text, `xs:date`, UTC `xs:dateTime`, `xs:unsignedLong`, hex SHA-256, nature codes,
//! SIREN/SIRET/NIR patterns). The tests hold it to `xmllint --schema` on the same documents. A
//! DOCTYPE is refused outright (no entity expansion on untrusted input).

use quick_xml::events::Event;
use quick_xml::Reader;
use sceau_core::attestation::ACT_MESSAGE_NS;

use crate::error::{Error, Result};

/// XML Schema instance namespace: its attributes (`xsi:schemaLocation`) are allowed anywhere.
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// Deeper than the schema ever goes: a bound on what an attacker can make us hold.
const MAX_DEPTH: usize = 16;

/// One document named by the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDocument {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// What the vault reads from a valid message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataMessage {
    /// Nature code (`nature/@code`).
    pub nature: String,
    /// The office's reference.
    pub reference: String,
    /// The documents, in the message's order.
    pub documents: Vec<MessageDocument>,
    /// The office's number (`etude/numero`).
    pub office_number: String,
    /// The party for whom the act is served (`requerant`).
    pub requerant: MessageParty,
    /// The recipient (`destinataire`).
    pub recipient: MessageParty,
}

/// A party named by the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageParty {
    /// Name.
    pub name: String,
    /// Identifiers: (type `SIREN`/`SIRET`/`NIR`, value).
    pub ids: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct El {
    ns: Option<String>,
    name: String,
    /// Attributes other than namespace declarations: (namespace, local name, value).
    attrs: Vec<(Option<String>, String, String)>,
    children: Vec<El>,
    text: String,
}

fn invalid(m: impl Into<String>) -> Error {
    Error::DataMessageInvalid(m.into())
}

fn split(qname: &str) -> (Option<&str>, &str) {
    match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    }
}

/// Parses well-formed XML into a small tree with namespaces resolved.
fn parse(xml: &str) -> Result<El> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    // Namespace scopes: one list of (prefix or "" for the default, uri) per open element.
    let mut scopes: Vec<Vec<(String, String)>> = Vec::new();
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    let lookup = |scopes: &[Vec<(String, String)>], prefix: &str| -> Option<String> {
        scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter())
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.clone())
            .filter(|u| !u.is_empty())
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| invalid(format!("XML mal formé ({e})")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(invalid("contenu après l'élément racine"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(invalid("imbrication trop profonde"));
                }
                let qname = std::str::from_utf8(e.name().as_ref())
                    .map_err(|_| invalid("nom d'élément non UTF-8"))?
                    .to_owned();
                let mut scope = Vec::new();
                let mut raw_attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| invalid(format!("attribut mal formé ({e})")))?;
                    let key = std::str::from_utf8(a.key.as_ref())
                        .map_err(|_| invalid("nom d'attribut non UTF-8"))?
                        .to_owned();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| invalid(format!("valeur d'attribut illisible ({e})")))?
                        .into_owned();
                    if key == "xmlns" {
                        scope.push((String::new(), value));
                    } else if let Some(p) = key.strip_prefix("xmlns:") {
                        scope.push((p.to_owned(), value));
                    } else {
                        raw_attrs.push((key, value));
                    }
                }
                scopes.push(scope);
                let (prefix, local) = split(&qname);
                let ns = match prefix {
                    Some(p) => Some(
                        lookup(&scopes, p)
                            .ok_or_else(|| invalid(format!("préfixe {p} non déclaré")))?,
                    ),
                    None => lookup(&scopes, ""),
                };
                let mut attrs = Vec::new();
                for (key, value) in raw_attrs {
                    let (p, l) = split(&key);
                    // Unprefixed attributes have no namespace (XML Namespaces § 6.2).
                    let ans = match p {
                        Some(p) => Some(
                            lookup(&scopes, p)
                                .ok_or_else(|| invalid(format!("préfixe {p} non déclaré")))?,
                        ),
                        None => None,
                    };
                    attrs.push((ans, l.to_owned(), value));
                }
                let el = El {
                    ns,
                    name: local.to_owned(),
                    attrs,
                    ..El::default()
                };
                if matches!(event, Event::Empty(_)) {
                    scopes.pop();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => root = Some(el),
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                scopes.pop();
                let el = stack
                    .pop()
                    .ok_or_else(|| invalid("balise fermante orpheline"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t
                    .decode()
                    .map_err(|e| invalid(format!("texte illisible ({e})")))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(invalid("texte hors de l'élément racine")),
                }
            }
            Event::CData(c) => {
                let text = c
                    .decode()
                    .map_err(|e| invalid(format!("texte illisible ({e})")))?;
                stack
                    .last_mut()
                    .ok_or_else(|| invalid("texte hors de l'élément racine"))?
                    .text
                    .push_str(&text);
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*r {
                        b"lt" => '<',
                        b"gt" => '>',
                        b"amp" => '&',
                        b"apos" => '\'',
                        b"quot" => '"',
                        _ => return Err(invalid("entité inconnue")),
                    },
                    Err(_) => return Err(invalid("référence de caractère invalide")),
                };
                stack
                    .last_mut()
                    .ok_or_else(|| invalid("texte hors de l'élément racine"))?
                    .text
                    .push(c);
            }
            Event::DocType(_) => return Err(invalid("DOCTYPE interdit")),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(invalid("document tronqué"));
    }
    root.ok_or_else(|| invalid("document vide"))
}

/// Walks the children of an element in schema order.
struct Seq<'a> {
    parent: &'a El,
    pos: usize,
}

impl<'a> Seq<'a> {
    fn of(parent: &'a El) -> Result<Self> {
        // Element-only content: text between children must be white space.
        if !parent.text.trim().is_empty() {
            return Err(invalid(format!("texte inattendu dans <{}>", parent.name)));
        }
        Ok(Seq { parent, pos: 0 })
    }

    fn peek_is(&self, name: &str) -> bool {
        self.parent
            .children
            .get(self.pos)
            .is_some_and(|c| c.name == name && c.ns.as_deref() == Some(ACT_MESSAGE_NS))
    }

    fn optional(&mut self, name: &str) -> Option<&'a El> {
        if self.peek_is(name) {
            self.pos += 1;
            self.parent.children.get(self.pos - 1)
        } else {
            None
        }
    }

    fn required(&mut self, name: &str) -> Result<&'a El> {
        self.optional(name).ok_or_else(|| {
            invalid(format!(
                "élément <{name}> attendu dans <{}>{}",
                self.parent.name,
                match self.parent.children.get(self.pos) {
                    Some(c) => format!(", trouvé <{}>", c.name),
                    None => String::new(),
                }
            ))
        })
    }

    fn end(&self) -> Result<()> {
        match self.parent.children.get(self.pos) {
            None => Ok(()),
            Some(c) => Err(invalid(format!(
                "élément <{}> inattendu dans <{}>",
                c.name, self.parent.name
            ))),
        }
    }
}

/// Only the attributes listed (and `xsi:*`) may appear.
fn only_attrs(el: &El, allowed: &[&str]) -> Result<()> {
    for (ns, name, _) in &el.attrs {
        let ok = match ns.as_deref() {
            None => allowed.contains(&name.as_str()),
            Some(ns) => ns == XSI_NS,
        };
        if !ok {
            return Err(invalid(format!(
                "attribut {name} inattendu sur <{}>",
                el.name
            )));
        }
    }
    Ok(())
}

fn attr<'a>(el: &'a El, name: &str) -> Option<&'a str> {
    el.attrs
        .iter()
        .find(|(ns, n, _)| ns.is_none() && n == name)
        .map(|(_, _, v)| v.as_str())
}

/// Simple content: no child element, no attribute beyond `allowed`.
fn simple<'a>(el: &'a El, allowed: &[&str]) -> Result<&'a str> {
    if let Some(c) = el.children.first() {
        return Err(invalid(format!(
            "élément <{}> inattendu dans <{}>",
            c.name, el.name
        )));
    }
    only_attrs(el, allowed)?;
    Ok(&el.text)
}

/// `tns:Texte`: a string of at least one character.
fn texte(el: &El) -> Result<String> {
    let t = simple(el, &[])?;
    if t.is_empty() {
        return Err(invalid(format!("<{}> est vide", el.name)));
    }
    Ok(t.to_owned())
}

fn all_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `ValeurIdentifiant`: `[0-9]{9}|[0-9]{14}|[0-9]{5}(2A|2B|[0-9]{2})[0-9]{8}`.
fn identifier_pattern(s: &str) -> bool {
    all_digits(s, 9)
        || all_digits(s, 14)
        || (s.len() == 15
            && s.is_ascii()
            && all_digits(&s[..5], 5)
            && (matches!(&s[5..7], "2A" | "2B") || all_digits(&s[5..7], 2))
            && all_digits(&s[7..], 8))
}

fn partie(el: &El) -> Result<MessageParty> {
    only_attrs(el, &[])?;
    let mut seq = Seq::of(el)?;
    let name = texte(seq.required("nom")?)?;
    let mut ids = Vec::new();
    while let Some(id) = seq.optional("identifiant") {
        let value = simple(id, &["type"])?;
        if !matches!(attr(id, "type"), Some("SIREN" | "SIRET" | "NIR")) {
            return Err(invalid(format!(
                "type d'identifiant manquant ou inconnu dans <{}>",
                el.name
            )));
        }
        if !identifier_pattern(value) {
            return Err(invalid(format!("identifiant mal formé dans <{}>", el.name)));
        }
        ids.push((
            attr(id, "type").unwrap_or_default().to_owned(),
            value.to_owned(),
        ));
    }
    seq.end()?;
    Ok(MessageParty { name, ids })
}

/// `xs:date`: `YYYY-MM-DD` with an optional time zone. Surrounding white space is refused for
/// dates, instants and sizes, as libxml2 does for numbers (stricter than the XSD's collapse;
/// no producer of ours writes any).
fn xs_date(el: &El) -> Result<()> {
    let t = simple(el, &[])?;
    let (date, tz) = t.split_at(t.len().min(10));
    let tz_ok = tz.is_empty()
        || tz == "Z"
        || (tz.len() == 6
            && matches!(&tz[..1], "+" | "-")
            && chrono::NaiveTime::parse_from_str(&tz[1..], "%H:%M").is_ok());
    if date.len() != 10 || chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() || !tz_ok {
        return Err(invalid(format!("<{}> n'est pas une date", el.name)));
    }
    Ok(())
}

/// `tns:InstantUTC`: an `xs:dateTime` ending in `Z`.
fn instant_utc(el: &El) -> Result<()> {
    let t = simple(el, &[])?;
    if !t.ends_with('Z') || chrono::DateTime::parse_from_rfc3339(t).is_err() || t.len() < 20 {
        return Err(invalid(format!(
            "<{}> n'est pas un instant UTC (…Z)",
            el.name
        )));
    }
    Ok(())
}

fn documents(el: &El) -> Result<Vec<MessageDocument>> {
    only_attrs(el, &[])?;
    let mut seq = Seq::of(el)?;
    let mut out = Vec::new();
    while let Some(doc) = seq.optional("document") {
        only_attrs(doc, &[])?;
        let mut d = Seq::of(doc)?;
        let name = texte(d.required("nom")?)?;
        let taille = d.required("taille")?;
        let size = Some(simple(taille, &[])?)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<u64>().ok())
            .ok_or_else(|| invalid("<taille> n'est pas un entier positif"))?;
        let sha256 = simple(d.required("sha256")?, &[])?;
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(invalid(
                "<sha256> n'est pas une empreinte SHA-256 en hexadécimal",
            ));
        }
        d.end()?;
        out.push(MessageDocument {
            name,
            size,
            sha256: sha256.to_owned(),
        });
    }
    if out.is_empty() {
        return Err(invalid("aucun <document> dans <documents>"));
    }
    seq.end()?;
    Ok(out)
}

/// Checks `bytes` against the structure of `message_acte.xsd` and returns what the vault needs.
pub fn validate(bytes: &[u8]) -> Result<DataMessage> {
    let xml = std::str::from_utf8(bytes).map_err(|_| invalid("le texte n'est pas en UTF-8"))?;
    let root = parse(xml)?;
    if root.name != "messageActe" || root.ns.as_deref() != Some(ACT_MESSAGE_NS) {
        return Err(invalid(format!(
            "l'élément racine doit être <messageActe> de l'espace de noms {ACT_MESSAGE_NS}"
        )));
    }
    only_attrs(&root, &["version"])?;
    if attr(&root, "version") != Some("1") {
        return Err(invalid("version du message absente ou différente de 1"));
    }
    let mut seq = Seq::of(&root)?;
    let etude = seq.required("etude")?;
    only_attrs(etude, &[])?;
    let mut e = Seq::of(etude)?;
    let office_number = texte(e.required("numero")?)?;
    texte(e.required("nom")?)?;
    e.end()?;
    let requerant = partie(seq.required("requerant")?)?;
    let recipient = partie(seq.required("destinataire")?)?;
    let nature = seq.required("nature")?;
    if simple(nature, &["code"])?.is_empty() {
        return Err(invalid("<nature> est vide"));
    }
    let code = attr(nature, "code").unwrap_or_default();
    if code.is_empty()
        || code.len() > 64
        || !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(invalid("code de nature manquant ou mal formé"));
    }
    let reference = texte(seq.required("reference")?)?;
    xs_date(seq.required("dateActe")?)?;
    instant_utc(seq.required("datePreparation")?)?;
    let docs = documents(seq.required("documents")?)?;
    if let Some(p) = seq.optional("permissionJuge") {
        texte(p)?;
    }
    seq.end()?;
    Ok(DataMessage {
        nature: code.to_owned(),
        reference,
        documents: docs,
        office_number,
        requerant,
        recipient,
    })
}

/// A name's words, upper-case without accents or punctuation, sorted: "Martin, Claire" and
/// "CLAIRE MARTIN" compare equal, "MARTIN Claire" and "DURAND Yves" do not.
fn name_key(name: &str) -> Vec<String> {
    let folded = crate::store::meta::name_key(name);
    let mut words: Vec<String> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words.sort_unstable();
    words
}

/// Checks that the message was written by the authenticated office (`office_number`) for the
/// manifest's recipient: its name (`recipient_name`, words compared without case, accents or
/// order) and, when the message gives identifiers, each of them one of the recipient's
/// (`recipient_ids`: SIREN, SIRET, NIR; a SIREN matches the start of the recipient's SIRET).
pub fn cross_check_parties(
    message: &DataMessage,
    office_number: &str,
    recipient_name: &str,
    recipient_ids: &[String],
) -> Result<()> {
    let mismatch = |m: String| Error::DataMessageMismatch(m);
    if message.office_number.trim() != office_number {
        return Err(mismatch(format!(
            "le message est celui de l'étude {} et non de l'étude {office_number} connectée",
            message.office_number.trim()
        )));
    }
    if name_key(&message.recipient.name) != name_key(recipient_name) {
        return Err(mismatch(format!(
            "le destinataire du message ({}) n'est pas celui du dépôt ({recipient_name})",
            message.recipient.name
        )));
    }
    for (kind, value) in &message.recipient.ids {
        let known = recipient_ids.iter().any(|r| {
            r == value || (kind == "SIREN" && r.len() == 14 && r.starts_with(value.as_str()))
        });
        if !known {
            return Err(mismatch(format!(
                "l'identifiant {kind} {value} du destinataire du message n'est pas celui du \
                 destinataire du dépôt"
            )));
        }
    }
    Ok(())
}

/// Checks that `message` describes exactly the package's acts — `(name, size, SHA-256 hex)` —
/// and its manifest's nature and reference.
pub fn cross_check(
    message: &DataMessage,
    acts: &[(String, u64, String)],
    nature: &str,
    reference: &str,
) -> Result<()> {
    let mismatch = |m: String| Error::DataMessageMismatch(m);
    if message.nature != nature {
        return Err(mismatch(format!(
            "nature {} au lieu de {nature}",
            message.nature
        )));
    }
    if message.reference != reference {
        return Err(mismatch("la référence diffère de celle du dépôt".into()));
    }
    if message.documents.len() != acts.len() {
        return Err(mismatch(format!(
            "{} document(s) décrit(s) pour {} acte(s)",
            message.documents.len(),
            acts.len()
        )));
    }
    for (name, size, sha) in acts {
        let mut named = message.documents.iter().filter(|d| &d.name == name);
        let d = named
            .next()
            .ok_or_else(|| mismatch(format!("l'acte {name} n'est pas décrit")))?;
        if named.next().is_some() {
            return Err(mismatch(format!("l'acte {name} est décrit deux fois")));
        }
        if d.size != *size {
            return Err(mismatch(format!("taille de {name} différente")));
        }
        if &d.sha256 != sha {
            return Err(mismatch(format!("empreinte de {name} différente")));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::process::Command;

    const XSD: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../resources/schemas/message_acte.xsd"
    );

    fn genuine() -> String {
        use chrono::TimeZone;
        use sceau_core::attestation::{ActDataMessage, DocumentDigest, NatureRef, Office, Party};
        use sceau_core::ids::RecipientId;
        ActDataMessage {
            office: Office {
                number: "9991".into(),
                name: "Étude & fils <Paris>".into(),
            },
            requerant: Party {
                name: "SA CREANCIER".into(),
                ids: vec![RecipientId::parse("732829320").unwrap()],
            },
            recipient: Party {
                name: "BANQUE TEST".into(),
                ids: vec![RecipientId::parse("73282932000074").unwrap()],
            },
            nature: NatureRef {
                code: "SAISIE_ATTRIBUTION".into(),
                label_fr: "Procès-verbal de saisie attribution".into(),
            },
            reference: "REF-1".into(),
            act_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
            prepared_at: chrono::Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap(),
            documents: vec![
                DocumentDigest {
                    name: "9991_REF-1_20260303_100000.pdf".into(),
                    size: 1234,
                    sha256: [0xab; 32],
                },
                DocumentDigest {
                    name: "9991_REF-1_20260303_100001.pdf".into(),
                    size: 99,
                    sha256: [0x01; 32],
                },
            ],
            judge_permission: Some("Ordonnance 26/001".into()),
        }
        .to_xml()
    }

    /// `xml` with the elements `a` and `b` (each present once) swapped.
    fn swap(xml: &str, a: &str, b: &str) -> String {
        let span = |n: &str| {
            let s = xml.find(&format!("<{n}>")).unwrap();
            let e = xml.find(&format!("</{n}>")).unwrap() + n.len() + 3;
            (s, e)
        };
        let ((s1, e1), (s2, e2)) = (span(a), span(b));
        assert!(e1 <= s2);
        format!(
            "{}{}{}{}{}",
            &xml[..s1],
            &xml[s2..e2],
            &xml[e1..s2],
            &xml[s1..e1],
            &xml[e2..]
        )
    }

    /// `xmllint --schema` on `xml`: true when valid.
    fn xmllint_valid(xml: &str) -> bool {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.xml");
        std::fs::write(&f, xml).unwrap();
        let o = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema", XSD])
            .arg(&f)
            .output()
            .expect("xmllint (libxml2-utils) is installed by cargo xtask setup");
        o.status.success()
    }

    #[test]
    fn genuine_message_is_read() {
        let m = validate(genuine().as_bytes()).unwrap();
        assert_eq!(m.nature, "SAISIE_ATTRIBUTION");
        assert_eq!(m.reference, "REF-1");
        assert_eq!(m.documents.len(), 2);
        assert_eq!(m.documents[0].size, 1234);
        assert_eq!(m.documents[0].sha256, "ab".repeat(32));
    }

    /// Our verdict equals xmllint's on the genuine message and on mutations of it, both ways.
    #[test]
    fn same_verdict_as_xmllint() {
        let g = genuine();
        let ns = ACT_MESSAGE_NS;
        let cases: Vec<(&str, String)> = vec![
            ("genuine", g.clone()),
            (
                "prefixed namespace",
                g.replace("<", "<m:")
                    .replace("<m:/", "</m:")
                    .replace("<m:?xml", "<?xml")
                    .replace(&format!("xmlns=\"{ns}\""), &format!("xmlns:m=\"{ns}\"")),
            ),
            ("no judge permission", {
                let a = g.find("<permissionJuge>").unwrap();
                let b = g.find("</permissionJuge>").unwrap() + "</permissionJuge>".len();
                format!("{}{}", &g[..a], &g[b..])
            }),
            ("other namespace", g.replace(ns, "urn:autre")),
            ("no namespace", g.replace(&format!(" xmlns=\"{ns}\""), "")),
            ("version 2", g.replace("version=\"1\"", "version=\"2\"")),
            ("no version", g.replace(" version=\"1\"", "")),
            ("extra attribute", g.replace("<reference>", "<reference lang=\"fr\">")),
            ("missing reference", {
                let a = g.find("<reference>").unwrap();
                let b = g.find("</reference>").unwrap() + "</reference>".len();
                format!("{}{}", &g[..a], &g[b..])
            }),
            ("empty reference", g.replace("<reference>REF-1</reference>", "<reference></reference>")),
            ("two references", g.replace("<reference>REF-1</reference>", "<reference>A</reference><reference>B</reference>")),
            ("swapped order", swap(&g, "dateActe", "datePreparation")),
            ("bad date", g.replace("2026-03-03</dateActe>", "2026-02-30</dateActe>")),
            ("date with zone", g.replace("2026-03-03</dateActe>", "2026-03-03+01:00</dateActe>")),
            ("local time", g.replace("09:00:00Z</datePreparation>", "09:00:00+01:00</datePreparation>")),
            ("bad sha", g.replacen(&"ab".repeat(32), &"AB".repeat(32), 1)),
            ("short sha", g.replacen(&"ab".repeat(32), &"ab".repeat(31), 1)),
            ("negative size", g.replace("<taille>1234</taille>", "<taille>-1</taille>")),
            ("size with spaces", g.replace("<taille>1234</taille>", "<taille> 1234 </taille>")),
            ("size not a number", g.replace("<taille>1234</taille>", "<taille>12a</taille>")),
            ("no documents", {
                let a = g.find("<document>").unwrap();
                let b = g.rfind("</document>").unwrap() + "</document>".len();
                format!("{}{}", &g[..a], &g[b..])
            }),
            ("bad nature code", g.replace("code=\"SAISIE_ATTRIBUTION\"", "code=\"saisie\"")),
            ("no nature code", g.replace(" code=\"SAISIE_ATTRIBUTION\"", "")),
            ("bad identifier", g.replace(">73282932000074<", ">7328293200007X<")),
            ("unknown id type", g.replace("type=\"SIRET\"", "type=\"TVA\"")),
            ("corsican NIR", g.replace("type=\"SIRET\">73282932000074<", "type=\"NIR\">185052A12345678<")),
            ("text in etude", g.replace("<etude>", "<etude>bonjour")),
            ("unknown element", g.replace("</etude>", "<ville>Paris</ville></etude>")),
            ("child in simple", g.replace("<reference>REF-1</reference>", "<reference><b>R</b></reference>")),
            ("comments and PI", g.replace("<etude>", "<!-- note --><?pi x?><etude>")),
            ("cdata", g.replace("<reference>REF-1</reference>", "<reference><![CDATA[R<1>]]></reference>")),
            ("char refs", g.replace("<reference>REF-1</reference>", "<reference>R&#233;f&amp;1</reference>")),
            ("xsi attribute", g.replace(&format!("xmlns=\"{ns}\""), &format!("xmlns=\"{ns}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"{ns} message_acte.xsd\""))),
        ];
        let mut valid_seen = 0;
        for (name, xml) in &cases {
            let ours = validate(xml.as_bytes());
            let theirs = xmllint_valid(xml);
            assert_eq!(
                ours.is_ok(),
                theirs,
                "{name}: ours {ours:?}, xmllint {theirs}\n{xml}"
            );
            valid_seen += usize::from(theirs);
        }
        // Both kinds are exercised.
        assert!(
            valid_seen >= 5 && valid_seen < cases.len() - 10,
            "{valid_seen}"
        );
    }

    #[test]
    fn not_xml_and_doctype_are_refused() {
        for bad in [
            &b"\xff\xfe"[..],
            b"",
            b"<messageActe",
            b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><messageActe/>",
        ] {
            let e = validate(bad).unwrap_err();
            assert_eq!(e.code(), "data_message_invalid");
        }
    }

    #[test]
    fn cross_check_names_sizes_digests_nature_reference() {
        let m = validate(genuine().as_bytes()).unwrap();
        let acts = vec![
            (
                "9991_REF-1_20260303_100000.pdf".to_owned(),
                1234,
                "ab".repeat(32),
            ),
            (
                "9991_REF-1_20260303_100001.pdf".to_owned(),
                99,
                "01".repeat(32),
            ),
        ];
        cross_check(&m, &acts, "SAISIE_ATTRIBUTION", "REF-1").unwrap();
        let code = |acts: &[(String, u64, String)], nature: &str, reference: &str| {
            cross_check(&m, acts, nature, reference).unwrap_err().code()
        };
        assert_eq!(code(&acts, "AUTRE", "REF-1"), "data_message_mismatch");
        assert_eq!(
            code(&acts, "SAISIE_ATTRIBUTION", "REF-2"),
            "data_message_mismatch"
        );
        assert_eq!(
            code(&acts[..1], "SAISIE_ATTRIBUTION", "REF-1"),
            "data_message_mismatch"
        );
        let mut other = acts.clone();
        other[1].1 = 100;
        assert_eq!(
            code(&other, "SAISIE_ATTRIBUTION", "REF-1"),
            "data_message_mismatch"
        );
        let mut other = acts.clone();
        other[1].2 = "02".repeat(32);
        assert_eq!(
            code(&other, "SAISIE_ATTRIBUTION", "REF-1"),
            "data_message_mismatch"
        );
        let mut other = acts.clone();
        other[1].0 = "9991_REF-1_20260303_100002.pdf".into();
        assert_eq!(
            code(&other, "SAISIE_ATTRIBUTION", "REF-1"),
            "data_message_mismatch"
        );
    }
}
