//! Fidelity: the output must have the input's pages and text.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::process;

/// poppler's `pdftotext`, if installed (`SCEAU_PDFTOTEXT` overrides).
pub fn find_pdftotext() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SCEAU_PDFTOTEXT") {
        let p = PathBuf::from(p);
        return process::is_executable(&p).then_some(p);
    }
    process::which(&["pdftotext", "pdftotext.exe"])
}

/// The text of a PDF, with `pdftotext` when installed (it understands re-encoded fonts), else
/// with lopdf; `None` when it cannot be read.
pub(crate) fn extract(bytes: &[u8]) -> Option<String> {
    match find_pdftotext() {
        Some(tool) => with_pdftotext(&tool, bytes),
        None => with_lopdf(bytes),
    }
}

fn with_pdftotext(tool: &std::path::Path, bytes: &[u8]) -> Option<String> {
    let dir = process::tempdir().ok()?;
    let src = dir.path().join("in.pdf");
    // poppler colour-manages every page against an output intent (about 25 ms a page with
    // lcms); the text does not depend on it, so it reads a copy without one.
    let stripped =
        crate::detect::find(bytes, b"/OutputIntents").and_then(|_| without_output_intents(bytes));
    process::write(&src, stripped.as_deref().unwrap_or(bytes)).ok()?;
    let mut cmd = Command::new(tool);
    cmd.arg("-q").arg("-enc").arg("UTF-8").arg(&src).arg("-");
    let out = process::run(cmd, "pdftotext", Duration::from_secs(120)).ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn without_output_intents(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut doc = lopdf::Document::load_mem(bytes).ok()?;
    doc.catalog_mut().ok()?.remove(b"OutputIntents");
    let mut out = Vec::with_capacity(bytes.len());
    doc.save_to(&mut out).ok()?;
    Some(out)
}

/// The text of a PDF by lopdf's extractor alone (no external program; streams bounded): what
/// the workstation and the vault read to find the consent mention of an act.
pub fn plain_text(bytes: &[u8]) -> Option<String> {
    with_lopdf(bytes)
}

/// The number of pages of a PDF, when it can be read (the recap before "Signifier").
pub fn page_count(bytes: &[u8]) -> Option<usize> {
    lopdf::Document::load_mem(bytes)
        .ok()
        .map(|d| d.get_pages().len())
}

fn with_lopdf(bytes: &[u8]) -> Option<String> {
    let doc = lopdf::Document::load_mem(bytes).ok()?;
    of_document(&doc)
}

/// The text of a loaded document, with lopdf's own extractor.
pub(crate) fn of_document(doc: &lopdf::Document) -> Option<String> {
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text_with_limit(&pages, crate::MAX_STREAM).ok()
}

/// Which text extractor a comparison uses on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// poppler's `pdftotext` when installed: independent of our reader, understands fonts
    /// re-encoded by another program (the Ghostscript route).
    Poppler,
    /// lopdf, in process: enough for the native route, which keeps every content stream and
    /// every font encoding as they were (one process start instead of two per document).
    Lopdf,
}

/// Text without layout: whitespace removed and typographic ligatures spelled out.
pub(crate) fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            c if c.is_whitespace() || c.is_control() => {}
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{00AD}' => {}
            c => out.push(c),
        }
    }
    out
}

/// What must survive a conversion besides the text: pages and visible form fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub pages: usize,
    pub widgets: usize,
}

impl Shape {
    /// Pages, and widget annotations that are shown (not hidden) and have an appearance.
    pub(crate) fn of(doc: &lopdf::Document) -> Shape {
        let mut widgets = 0;
        for page in doc.page_iter() {
            let Ok(annots) = doc.get_page_annotations(page) else {
                continue;
            };
            widgets += annots
                .iter()
                .filter(|a| {
                    a.get(b"Subtype").and_then(lopdf::Object::as_name).ok() == Some(b"Widget")
                        && a.has(b"AP")
                        && a.get(b"F").and_then(lopdf::Object::as_i64).unwrap_or(0) & (1 | 2 | 32)
                            == 0
                })
                .count();
        }
        Shape {
            pages: doc.get_pages().len(),
            widgets,
        }
    }
}

/// Checks that `output` has the input's pages, visible form fields and text (`input_text`).
pub(crate) fn faithful(
    input: Shape,
    input_text: Option<&str>,
    output: &[u8],
    reader: Reader,
) -> Result<(), String> {
    let doc = lopdf::Document::load_mem(output).map_err(|e| format!("résultat illisible ({e})"))?;
    let out = Shape::of(&doc);
    if out.pages != input.pages {
        return Err(format!(
            "nombre de pages modifié ({} → {})",
            input.pages, out.pages
        ));
    }
    if out.widgets < input.widgets {
        return Err(format!(
            "champs de formulaire perdus ({} → {})",
            input.widgets, out.widgets
        ));
    }
    let Some(input_text) = input_text else {
        return Err("texte de l'original illisible".into());
    };
    let output_text = match reader {
        Reader::Poppler => extract(output),
        Reader::Lopdf => of_document(&doc),
    };
    let Some(output_text) = output_text else {
        return Err("texte du résultat illisible".into());
    };
    let (a, b) = (normalise(input_text), normalise(&output_text));
    if a != b {
        let lost = a.chars().count().saturating_sub(b.chars().count());
        return Err(if b.is_empty() && !a.is_empty() {
            "texte perdu (pages rendues en image)".into()
        } else if lost > 0 {
            format!("texte modifié ({lost} caractères perdus)")
        } else {
            "texte modifié".into()
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_layout_only() {
        assert_eq!(normalise("a ﬁ\n b\u{00AD}c"), "afibc");
        assert_ne!(normalise("acte"), normalise("arte"));
    }
}
