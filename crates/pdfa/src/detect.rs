//! Input detection by content: the file name is only compared with what the content is.

use std::path::Path;

use serde::Serialize;

use crate::Error;

/// The formats Sceau accepts as acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// A PDF file.
    Pdf,
    /// Legacy Word (OLE compound file with a `WordDocument` stream).
    Doc,
    /// Office Open XML word-processing document.
    Docx,
    /// OpenDocument text.
    Odt,
}

impl InputKind {
    /// The name a clerk knows the format by.
    pub fn label(self) -> &'static str {
        match self {
            InputKind::Pdf => "PDF",
            InputKind::Doc => "document Word (.doc)",
            InputKind::Docx => "document Word (.docx)",
            InputKind::Odt => "document OpenDocument (.odt)",
        }
    }

    fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "pdf" => Some(InputKind::Pdf),
            "doc" => Some(InputKind::Doc),
            "docx" => Some(InputKind::Docx),
            "odt" => Some(InputKind::Odt),
            _ => None,
        }
    }
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ODT_MIME: &[u8] = b"application/vnd.oasis.opendocument.text";

/// What `bytes` are, by content alone.
pub fn sniff(bytes: &[u8]) -> Result<InputKind, Error> {
    // A container's signature comes first: a ZIP or Office file is never taken for a PDF, even
    // when a PDF stored in it puts "%PDF-" within its first bytes (a polyglot).
    if !bytes.starts_with(OLE_MAGIC) && !bytes.starts_with(b"PK\x03\x04") {
        // PDF readers accept a header within the first 1024 bytes; we do the same.
        let head = &bytes[..bytes.len().min(1024)];
        if find(head, b"%PDF-").is_some() {
            return Ok(InputKind::Pdf);
        }
    }
    if bytes.starts_with(OLE_MAGIC) {
        // The directory names streams in UTF-16LE; a Word file has "WordDocument".
        let name: Vec<u8> = "WordDocument"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        return if find(bytes, &name).is_some() {
            Ok(InputKind::Doc)
        } else {
            Err(Error::UnsupportedFormat {
                found: "fichier Office qui n'est pas un document Word (Excel, PowerPoint…)".into(),
            })
        };
    }
    if bytes.starts_with(b"PK\x03\x04") {
        // ODF: the first entry is an uncompressed "mimetype" file (ODF 1.2, 3.3).
        if bytes.get(30..38) == Some(b"mimetype") {
            if bytes.get(38..38 + ODT_MIME.len()) == Some(ODT_MIME)
                && bytes.get(38 + ODT_MIME.len()) != Some(&b'-')
            {
                return Ok(InputKind::Odt);
            }
            return Err(Error::UnsupportedFormat {
                found: "document OpenDocument qui n'est pas un texte (tableur, présentation…)"
                    .into(),
            });
        }
        if find(bytes, b"word/document.xml").is_some() {
            return Ok(InputKind::Docx);
        }
        return Err(Error::UnsupportedFormat {
            found: "une archive ZIP".into(),
        });
    }
    Err(Error::UnsupportedFormat {
        found: "un contenu non reconnu".into(),
    })
}

/// Detects the kind of `bytes` and checks that `name`'s extension, if it names one of the
/// accepted formats, agrees with the content.
pub fn detect(name: &Path, bytes: &[u8]) -> Result<InputKind, Error> {
    let named = name
        .extension()
        .and_then(|e| e.to_str())
        .and_then(InputKind::from_extension);
    match sniff(bytes) {
        Ok(kind) => match named {
            Some(n) if n != kind => Err(Error::MisleadingName {
                named: n.label().into(),
                found: kind.label().into(),
            }),
            _ => Ok(kind),
        },
        Err(Error::UnsupportedFormat { found }) if named.is_some() => Err(Error::MisleadingName {
            named: named.map(InputKind::label).unwrap_or_default().into(),
            found,
        }),
        Err(e) => Err(e),
    }
}

/// Position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n...").unwrap(), InputKind::Pdf);
        let mut odt = b"PK\x03\x04".to_vec();
        odt.resize(30, 0);
        odt.extend_from_slice(b"mimetype");
        odt.extend_from_slice(ODT_MIME);
        odt.extend_from_slice(b"PK");
        assert_eq!(sniff(&odt).unwrap(), InputKind::Odt);
        let mut ods = odt[..38].to_vec();
        ods.extend_from_slice(b"application/vnd.oasis.opendocument.spreadsheet");
        assert!(sniff(&ods).is_err());
        let mut docx = b"PK\x03\x04".to_vec();
        docx.resize(30, 0);
        docx.extend_from_slice(b"[Content_Types].xml....word/document.xml");
        assert_eq!(sniff(&docx).unwrap(), InputKind::Docx);
        let mut doc = OLE_MAGIC.to_vec();
        doc.extend("WordDocument".encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(sniff(&doc).unwrap(), InputKind::Doc);
        assert!(sniff(OLE_MAGIC).is_err());
        assert!(sniff(b"").is_err());
        assert!(sniff(b"hello").is_err());
    }

    #[test]
    fn a_zip_holding_a_stored_pdf_is_not_a_pdf() {
        // A ZIP's first entry, stored (method 0): "acte.pdf" and its bytes as they are.
        let body = b"%PDF-1.4\n%%EOF\n";
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let size = (body.len() as u32).to_le_bytes();
        zip.extend_from_slice(&size);
        zip.extend_from_slice(&size);
        zip.extend_from_slice(&8u16.to_le_bytes());
        zip.extend_from_slice(&0u16.to_le_bytes());
        zip.extend_from_slice(b"acte.pdf");
        zip.extend_from_slice(body);
        assert!(find(&zip[..1024.min(zip.len())], b"%PDF-").is_some());
        assert!(matches!(
            sniff(&zip),
            Err(Error::UnsupportedFormat { found }) if found == "une archive ZIP"
        ));
        assert!(matches!(
            detect(Path::new("acte.pdf"), &zip),
            Err(Error::MisleadingName { .. })
        ));
    }

    #[test]
    fn a_name_that_lies_is_refused() {
        let zip = b"PK\x03\x04 plain zip";
        let e = detect(Path::new("acte.pdf"), zip).unwrap_err();
        assert_eq!(e.code(), "pdfa.misleading_name");
        assert!(e.message_fr().contains("archive ZIP"), "{}", e.message_fr());
        let e = detect(Path::new("acte.docx"), b"%PDF-1.4").unwrap_err();
        assert_eq!(e.code(), "pdfa.misleading_name");
        assert_eq!(
            detect(Path::new("acte.bin"), b"%PDF-1.4").unwrap(),
            InputKind::Pdf
        );
        let e = detect(Path::new("photo.png"), b"\x89PNG").unwrap_err();
        assert_eq!(e.code(), "pdfa.unsupported_format");
    }
}
