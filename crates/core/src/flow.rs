//! The single XML flow of a deposit (arrêté of 28 August 2012, art. 8, as amended on 7 April
//! 2021: "Le fichier au format PDF/A et le message de données sont intégrés dans un seul flux
//! XML, mis à la disposition du destinataire"): one document `flux_acte.xml`
//! (`resources/schemas/flux_acte.xsd`) that carries the data message as XML and each signed
//! PDF/A act byte for byte (base64) with its detached CAdES signature.
//!
//! The flow is a pure function of the package's parts ([`build`]): the workstation builds it
//! and deposits it beside the parts, the vault rebuilds it from the parts it checked (PDF/A,
//! signature, data message) and refuses a package whose flow differs by one byte, so what the
//! recipient is offered is exactly what the office built and what the vault checked.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::xml::{hex, Writer};

/// Name of the flow inside a package, in the deposit's archive and when downloaded.
pub const FLOW_NAME: &str = "flux_acte.xml";
/// The flow's XML namespace.
pub const FLOW_NS: &str = "urn:sceau:flux-acte:1";
/// Width of the base64 lines (RFC 2045's 76 characters).
const LINE: usize = 76;

/// One act of the flow: its file name, the signed PDF/A and its detached signature.
#[derive(Debug, Clone, Copy)]
pub struct FlowAct<'a> {
    /// The act's file name in the package.
    pub name: &'a str,
    /// The signed PDF/A, byte for byte.
    pub pdf: &'a [u8],
    /// The signature's file name in the package (`<act>.pdf.p7s`).
    pub signature_name: &'a str,
    /// The detached CAdES signature (DER).
    pub signature: &'a [u8],
}

/// The data message without its XML declaration (the flow has its own), ready to be nested.
fn nested(message: &str) -> &str {
    let m = message.trim_start_matches('\u{FEFF}');
    match m.strip_prefix("<?xml").and_then(|r| r.split_once("?>")) {
        Some((_, rest)) => rest.trim_start(),
        None => m,
    }
}

/// `bytes` in base64, in lines of [`LINE`] characters.
fn base64_lines(bytes: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(b64.len() + b64.len() / LINE + 1);
    for line in b64.as_bytes().chunks(LINE) {
        // base64 is ASCII: every chunk is a valid string.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// The flow of a package: the data message (`message_acte.xml` as deposited) and its acts in
/// order. Deterministic: the same parts give the same bytes.
pub fn build(message: &str, acts: &[FlowAct<'_>]) -> Vec<u8> {
    let mut w = Writer::new();
    w.open("fluxActe", &[("xmlns", FLOW_NS), ("version", "1")]);
    w.raw(nested(message));
    for a in acts {
        let size = a.pdf.len().to_string();
        let sha = hex(&Sha256::digest(a.pdf));
        w.open(
            "document",
            &[("nom", a.name), ("taille", &size), ("sha256", &sha)],
        );
        w.open("pdf", &[]);
        w.raw(&base64_lines(a.pdf));
        w.close("pdf");
        let sig_sha = hex(&Sha256::digest(a.signature));
        w.open(
            "signature",
            &[
                ("nom", a.signature_name),
                ("format", "CAdES"),
                ("sha256", &sig_sha),
            ],
        );
        w.raw(&base64_lines(a.signature));
        w.close("signature");
        w.close("document");
    }
    w.close("fluxActe");
    w.finish().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<messageActe \
                           xmlns=\"urn:sceau:message-acte:1\" version=\"1\">\n</messageActe>\n";

    fn act<'a>(pdf: &'a [u8], sig: &'a [u8]) -> FlowAct<'a> {
        FlowAct {
            name: "9991_REF_20261207_101500.pdf",
            pdf,
            signature_name: "9991_REF_20261207_101500.pdf.p7s",
            signature: sig,
        }
    }

    #[test]
    fn the_message_is_nested_and_the_act_is_kept_byte_for_byte() {
        let pdf: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let flow = String::from_utf8(build(MESSAGE, &[act(&pdf, b"\x30\x80sig")])).unwrap();
        assert!(flow.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<fluxActe xmlns=\"urn:sceau:flux-acte:1\" \
             version=\"1\">\n<messageActe xmlns=\"urn:sceau:message-acte:1\" version=\"1\">\n"
        ));
        // One declaration only, the message's is gone.
        assert_eq!(flow.matches("<?xml").count(), 1);
        let b64 = flow
            .split("<pdf>\n")
            .nth(1)
            .and_then(|r| r.split("</pdf>").next())
            .unwrap();
        assert!(b64.lines().all(|l| l.trim().len() <= LINE));
        let back = base64::engine::general_purpose::STANDARD
            .decode(b64.split_whitespace().collect::<String>())
            .unwrap();
        assert_eq!(back, pdf);
        assert!(flow.contains(&format!("sha256=\"{}\"", hex(&Sha256::digest(&pdf)))));
        assert!(flow.contains("taille=\"1000\""));
        assert!(flow.ends_with("</fluxActe>\n"));
    }

    #[test]
    fn the_same_parts_give_the_same_bytes_and_one_byte_changes_it() {
        let pdf = b"%PDF-1.7 act".to_vec();
        let a = build(MESSAGE, &[act(&pdf, b"sig")]);
        assert_eq!(a, build(MESSAGE, &[act(&pdf, b"sig")]));
        let mut other = pdf.clone();
        other[3] ^= 1;
        assert_ne!(a, build(MESSAGE, &[act(&other, b"sig")]));
        assert_ne!(a, build(MESSAGE, &[act(&pdf, b"sif")]));
    }

    #[test]
    fn a_message_without_declaration_or_with_a_bom_is_nested_as_is() {
        assert_eq!(nested("<m/>"), "<m/>");
        assert_eq!(nested("\u{FEFF}<?xml version=\"1.0\"?>\r\n<m/>"), "<m/>");
    }
}
