//! Stamping the consent mention (CPC 662-1, 748-1 ff.) on an act that lacks it, when the clerk
//! asks for it: a last page carrying `sceau_core::consent::CONSENT_MENTION_FR` is added to the
//! act, and the whole goes through the native PDF/A route again (which embeds the font, the XMP
//! and the output intent), so the stamped act is still PDF/A-1b. The act's own pages are left
//! as they are.

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream, StringFormat};

use crate::error::{Error, Result};

/// Characters per line of the stamp (Helvetica 11 pt on A4 with 2 cm margins).
const WRAP: usize = 88;

/// The text as WinAnsi bytes (the mention is Latin-1; anything else becomes `?`).
fn winansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// Word-wraps `text` at [`WRAP`] characters.
fn wrap(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WRAP {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Adds a last page with `heading` and `text` to the PDF `bytes` and converts the result to
/// PDF/A-1b (native route).
pub(crate) fn stamp_page(bytes: &[u8], file: &str, heading: &str, text: &str) -> Result<Vec<u8>> {
    let internal = |what: &str, e: lopdf::Error| Error::Internal(format!("stamp {what}: {e}"));
    let mut doc = Document::load_mem(bytes).map_err(|e| internal("load", e))?;
    let pages_id = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|e| internal("pages", e))?;
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 13.into()]),
        Operation::new("Td", vec![56.into(), 770.into()]),
        Operation::new("TL", vec![16.into()]),
        Operation::new(
            "Tj",
            vec![Object::String(winansi(heading), StringFormat::Literal)],
        ),
        Operation::new("Tf", vec!["F1".into(), 11.into()]),
        Operation::new("T*", vec![]),
    ];
    for l in wrap(text) {
        ops.push(Operation::new("T*", vec![]));
        ops.push(Operation::new(
            "Tj",
            vec![Object::String(winansi(&l), StringFormat::Literal)],
        ));
    }
    ops.push(Operation::new("ET", vec![]));
    let content = Content { operations: ops }
        .encode()
        .map_err(|e| internal("content", e))?;
    let content_id = doc.add_object(Stream::new(dictionary! {}, content));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        "Contents" => content_id,
    });
    let pages = doc
        .get_object_mut(pages_id)
        .and_then(Object::as_dict_mut)
        .map_err(|e| internal("pages", e))?;
    let count = pages.get(b"Count").and_then(Object::as_i64).unwrap_or(0);
    pages.set("Count", count + 1);
    match pages.get_mut(b"Kids").and_then(Object::as_array_mut) {
        Ok(kids) => kids.push(page_id.into()),
        Err(e) => return Err(internal("kids", e)),
    }
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| Error::Internal(format!("stamp save: {e}")))?;
    sceau_pdfa::convert_native(&out).map_err(|source| Error::Conversion {
        file: file.to_owned(),
        source,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_mention_wraps_within_the_page() {
        let lines = wrap(sceau_core::consent::CONSENT_MENTION_FR);
        assert!(lines.len() >= 2);
        assert!(lines.iter().all(|l| l.chars().count() <= WRAP));
        assert_eq!(lines.join(" "), sceau_core::consent::CONSENT_MENTION_FR);
        assert_eq!(winansi("é à"), vec![0xE9, b' ', 0xE0]);
    }
}
