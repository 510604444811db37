//! `sceau_pdfa::render`: plain French documents become PDF/A-1b that Apache PDFBox Preflight
//! accepts, with their text (accents included) readable by poppler's `pdftotext`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::process::Command;

use chrono::TimeZone;
use sceau_pdfa::render::{render, Block, TextDocument};
use sceau_testsupport::pdfcorpus;

fn sample(paragraphs: usize) -> TextDocument {
    let mut blocks = vec![
        Block::Heading("Signification".into()),
        Block::Table(vec![
            ("Acte".into(), "9991_REF-Été_20260602_100000.pdf".into()),
            (
                "Règle appliquée".into(),
                "Consultation le jour même de la transmission (article 662-1 du code de procédure civile)".into(),
            ),
            ("Mise à disposition".into(), "02/06/2026 10:00:00".into()),
        ]),
    ];
    for i in 0..paragraphs {
        blocks.push(Block::Paragraph(format!(
            "Paragraphe {i} : le destinataire n’a pas consulté l’acte avant l’échéance ; \
             la lettre simple est à envoyer le premier jour ouvrable, œuvre à 10 €."
        )));
    }
    TextDocument {
        title: "Attestation de remise à domicile".into(),
        author: "Coffre Sceau".into(),
        blocks,
    }
}

#[test]
fn rendered_documents_pass_preflight_and_keep_their_text() {
    let at = chrono::Utc.with_ymd_and_hms(2026, 6, 3, 8, 0, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    // One page, and enough paragraphs for several pages.
    for (name, n) in [("court.pdf", 2), ("long.pdf", 120)] {
        let pdf = render(&sample(n), at).unwrap();
        assert!(sceau_pdfa::check_pdfa1b(&pdf).conformant);
        let path = dir.path().join(name);
        std::fs::write(&path, &pdf).unwrap();
        let out = Command::new("pdftotext")
            .args(["-q", "-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils)");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Attestation de remise à domicile"), "{text}");
        assert!(text.contains("Règle appliquée"), "{text}");
        assert!(text.contains("n’a pas consulté l’acte"), "{text}");
        assert!(text.contains("œuvre à 10 €"), "{text}");
        if n > 100 {
            assert!(text.contains("Paragraphe 119"), "{text}");
            assert!(text.matches('\u{c}').count() >= 3, "several pages expected");
        }
        files.push(path);
    }
    let report = pdfcorpus::preflight(&files).unwrap();
    for (name, r) in &report {
        assert!(r.valid, "{name}: Preflight errors {:?}", r.errors);
    }
}
