//! What the clerk checks of the acts before "Signifier": each file's name, size and, for a
//! PDF, its number of pages (the recap of the service form). Nothing is converted or kept.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, Result};

/// A PDF larger than this is not opened for its page count (the recap says "—").
const MAX_COUNTED: u64 = 64 * 1024 * 1024;

/// One act as the recap shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentFacts {
    /// The file's path, as chosen.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its pages, for a readable PDF.
    pub pages: Option<u32>,
}

/// The facts of each file; a file that cannot be read is an error naming it.
pub fn document_facts(files: &[PathBuf]) -> Result<Vec<DocumentFacts>> {
    files.iter().map(|f| facts(f)).collect()
}

fn facts(path: &Path) -> Result<DocumentFacts> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    let is_pdf = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    let pages = if is_pdf && size <= MAX_COUNTED {
        let bytes = std::fs::read(path).map_err(io)?;
        sceau_pdfa::page_count(&bytes).and_then(|n| u32::try_from(n).ok())
    } else {
        None
    };
    Ok(DocumentFacts {
        path: path.to_path_buf(),
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        size,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_has_its_pages_a_word_file_its_size_and_a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("acte.pdf");
        std::fs::write(&pdf, sceau_testsupport_pdf()).unwrap();
        let doc = dir.path().join("acte.docx");
        std::fs::write(&doc, b"PK\x03\x04 not really").unwrap();
        let f = document_facts(&[pdf.clone(), doc]).unwrap();
        assert_eq!(f[0].pages, Some(2));
        assert_eq!(f[0].name, "acte.pdf");
        assert_eq!(f[1].pages, None);
        assert_eq!(f[1].size, 15);
        let missing = dir.path().join("absent.pdf");
        let e = document_facts(&[missing]).unwrap_err();
        assert!(e.to_string().contains("absent.pdf"), "{e}");
    }

    #[test]
    fn a_damaged_pdf_has_no_page_count_and_no_error() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("abime.pdf");
        std::fs::write(&pdf, b"%PDF-1.4\n1 0 obj << /Type /Catalog").unwrap();
        let f = document_facts(&[pdf]).unwrap();
        assert_eq!(f[0].pages, None);
    }

    /// A two-page PDF written by hand (no generator needed).
    fn sceau_testsupport_pdf() -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = vec![];
        for (i, o) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for off in offsets {
            out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}
