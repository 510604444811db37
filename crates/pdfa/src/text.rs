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
    process::write(&src, bytes).ok()?;
    let mut cmd = Command::new(tool);
    cmd.arg("-q").arg("-enc").arg("UTF-8").arg(&src).arg("-");
    let out = process::run(cmd, "pdftotext", Duration::from_secs(120)).ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn with_lopdf(bytes: &[u8]) -> Option<String> {
    let doc = lopdf::Document::load_mem(bytes).ok()?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).ok()
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

/// Checks that `output` has `pages` pages and the same text as the input (`input_text`).
pub(crate) fn faithful(
    pages: usize,
    input_text: Option<&str>,
    output: &[u8],
) -> Result<(), String> {
    let doc = lopdf::Document::load_mem(output).map_err(|e| format!("résultat illisible ({e})"))?;
    let out_pages = doc.get_pages().len();
    if out_pages != pages {
        return Err(format!("nombre de pages modifié ({pages} → {out_pages})"));
    }
    let Some(input_text) = input_text else {
        return Err("texte de l'original illisible".into());
    };
    let Some(output_text) = extract(output) else {
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
