//! The office route: LibreOffice for real, several conversions at once (one profile each), and
//! the clear refusals when LibreOffice is missing or hangs.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use sceau_pdfa::{InputKind, Options, Route};
use sceau_testsupport::pdfcorpus::minimal_odt;

#[test]
fn parallel_conversions_each_have_their_own_profile() {
    let docs: Vec<Vec<u8>> = (0..2)
        .map(|i| minimal_odt(&[&format!("Acte numéro {i} : signification à l'étude")]))
        .collect();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = docs
            .iter()
            .map(|d| {
                s.spawn(move || {
                    sceau_pdfa::convert(std::path::Path::new("acte.odt"), d, &Options::default())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, r) in results.into_iter().enumerate() {
        let c = r.unwrap_or_else(|e| panic!("{i}: {}", e.message_fr()));
        assert_eq!(c.route, Route::LibreOffice);
        assert_eq!(c.kind, InputKind::Odt);
        assert!(c.verdict.conformant);
        assert_eq!(c.pages, 1);
    }
}

#[test]
fn missing_libreoffice_is_named() {
    let options = Options {
        soffice: Some(PathBuf::from("/nonexistent/soffice")),
        ..Options::default()
    };
    let odt = minimal_odt(&["Acte"]);
    let e = sceau_pdfa::convert(std::path::Path::new("acte.odt"), &odt, &options).unwrap_err();
    assert_eq!(e.code(), "pdfa.office_missing");
    assert!(e.message_fr().contains("LibreOffice n'est pas installé"));
}

#[cfg(unix)]
#[test]
fn a_hanging_libreoffice_is_stopped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("soffice");
    std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let options = Options {
        soffice: Some(fake),
        timeout: Duration::from_secs(1),
        ..Options::default()
    };
    let odt = minimal_odt(&["Acte"]);
    let start = std::time::Instant::now();
    let e = sceau_pdfa::convert(std::path::Path::new("acte.odt"), &odt, &options).unwrap_err();
    assert_eq!(e.code(), "pdfa.timeout");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(e.message_fr().contains("n'a pas abouti"));
}
