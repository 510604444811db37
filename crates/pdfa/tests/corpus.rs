//! The corpus made by third-party producers converts or is refused as the issue states; every
//! output passes Apache PDFBox Preflight (run for real); the built-in checker agrees with
//! Preflight on every output and on deliberately broken variants; pages and text are kept.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use lopdf::{dictionary, Object};
use sceau_pdfa::{check_pdfa1b, Conversion, Error, InputKind, Options, Route};
use sceau_testsupport::pdfcorpus::{self, Expect, Item};

fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-q", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pdfinfo_pages(path: &Path) -> usize {
    let out = Command::new("pdfinfo")
        .arg(path)
        .output()
        .expect("pdfinfo (poppler-utils)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A broken variant of a conformant file, and the code the built-in checker must report.
fn variants(conformant: &Path, dir: &Path, stem: &str) -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    let mut save = |suffix: &str, code: &'static str, f: &dyn Fn(&mut lopdf::Document)| {
        let mut doc = lopdf::Document::load(conformant).unwrap();
        f(&mut doc);
        let path = dir.join(format!("{stem}-broken-{suffix}.pdf"));
        doc.save(&path).unwrap();
        out.push((path, code));
    };
    save("no-metadata", "metadata_missing", &|d| {
        d.catalog_mut().unwrap().remove(b"Metadata");
    });
    save("no-output-intent", "output_intent_missing", &|d| {
        d.catalog_mut().unwrap().remove(b"OutputIntents");
    });
    save("font-unembedded", "font_not_embedded", &|d| {
        fn unembed(o: &mut Object) {
            match o {
                Object::Dictionary(fd) => {
                    if fd.has_type(b"FontDescriptor") {
                        fd.remove(b"FontFile");
                        fd.remove(b"FontFile2");
                        fd.remove(b"FontFile3");
                    }
                    for (_, v) in fd.iter_mut() {
                        unembed(v);
                    }
                }
                Object::Array(a) => a.iter_mut().for_each(unembed),
                _ => {}
            }
        }
        d.objects.values_mut().for_each(unembed);
    });
    save("info-mismatch", "metadata_mismatch", &|d| {
        let info = d.trailer.get(b"Info").unwrap().as_reference().unwrap();
        d.get_dictionary_mut(info)
            .unwrap()
            .set("Title", Object::string_literal("Un autre titre"));
    });
    save("javascript", "javascript", &|d| {
        let js = d.add_object(dictionary! {
            "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)"),
        });
        d.catalog_mut().unwrap().set("OpenAction", js);
    });
    out
}

#[test]
fn corpus_converts_or_is_refused_and_preflight_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let corpus_dir = dir.path().join("corpus");
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&corpus_dir).unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    let items = pdfcorpus::build(&corpus_dir).unwrap();
    let options = Options::default();

    // Office documents share one LibreOffice start.
    let office: Vec<&Item> = items.iter().filter(|i| !i.name.ends_with(".pdf")).collect();
    let office_bytes: Vec<(InputKind, Vec<u8>)> = office
        .iter()
        .map(|i| {
            let b = std::fs::read(&i.path).unwrap();
            (sceau_pdfa::detect(&i.path, &b).unwrap(), b)
        })
        .collect();
    let inputs: Vec<(InputKind, &[u8])> = office_bytes
        .iter()
        .map(|(k, b)| (*k, b.as_slice()))
        .collect();
    let office_results = sceau_pdfa::convert_office_batch(&inputs, &options);
    let mut results: BTreeMap<String, Result<Conversion, Error>> = BTreeMap::new();
    for (item, r) in office.iter().zip(office_results) {
        results.insert(item.name.clone(), r);
    }
    for item in items.iter().filter(|i| i.name.ends_with(".pdf")) {
        results.insert(
            item.name.clone(),
            sceau_pdfa::convert_file(&item.path, &options),
        );
    }

    let mut failures = Vec::new();
    let mut outputs: Vec<(PathBuf, &Item)> = Vec::new();
    for item in &items {
        let result = &results[&item.name];
        match (&item.expect, result) {
            (Expect::Convert { words }, Ok(c)) => {
                let out = out_dir.join(format!("{}.pdfa.pdf", item.name));
                std::fs::write(&out, &c.output).unwrap();
                eprintln!(
                    "{:<32} converted by {:<12} in {:>6} ms, {} pages {:?}",
                    item.name,
                    c.route.label(),
                    c.duration.as_millis(),
                    c.pages,
                    c.notes
                );
                assert!(c.verdict.conformant, "{}: {:?}", item.name, c.verdict);
                // Pages and text, with poppler (not our own reader).
                let text_out = pdftotext(&out);
                if item.name.ends_with(".pdf") {
                    let pages_in = pdfinfo_pages(&item.path);
                    let pages_out = pdfinfo_pages(&out);
                    if pages_in != pages_out {
                        failures.push(format!("{}: pages {pages_in} -> {pages_out}", item.name));
                    }
                    let text_in = pdftotext(&item.path);
                    if squash(&text_in) != squash(&text_out) {
                        failures.push(format!(
                            "{}: text differs\n--- in\n{text_in}\n--- out\n{text_out}",
                            item.name
                        ));
                    }
                } else {
                    assert_eq!(c.route, Route::LibreOffice);
                    assert_eq!(pdfinfo_pages(&out), 2, "{}: two pages", item.name);
                }
                for w in words {
                    if !text_out.contains(w.as_str()) {
                        failures.push(format!("{}: {w:?} missing in output text", item.name));
                    }
                }
                outputs.push((out, item));
            }
            (Expect::Refuse(code), Err(e)) => {
                eprintln!(
                    "{:<32} refused: {} — {}",
                    item.name,
                    e.code(),
                    e.message_fr()
                );
                if e.code() != *code {
                    failures.push(format!(
                        "{}: refused with {} not {code}",
                        item.name,
                        e.code()
                    ));
                }
                assert!(e.message_fr().len() > 40, "{}: a reason", item.name);
            }
            (expect, got) => failures.push(format!(
                "{}: expected {expect:?}, got {:?}",
                item.name,
                got.as_ref().map(|c| c.route).map_err(|e| e.message_fr())
            )),
        }
    }
    // The reasons of the refusals name the cause a clerk can act on.
    let reason = |name: &str| results[name].as_ref().unwrap_err().message_fr();
    assert!(reason("matplotlib-alpha.pdf").contains("transparence"));
    assert!(reason("matplotlib-alpha.pdf").contains("texte perdu"));
    assert!(reason("qpdf-user-password.pdf").contains("mot de passe"));
    assert!(reason("signed.pdf").contains("signature"));
    assert!(reason("archive-named.pdf").contains("ZIP"));
    // CMYK colours and a font without a free twin take Ghostscript's route, checked all the same.
    for name in ["reportlab-cmyk.pdf", "font-not-embedded-garamond.pdf"] {
        let c = results[name].as_ref().unwrap();
        assert_eq!(c.route, Route::Ghostscript, "{name}");
        assert!(c.notes.iter().any(|n| n.contains("route native")), "{name}");
    }
    // The native route is the usual one.
    let native = results
        .values()
        .filter(|r| matches!(r, Ok(c) if c.route == Route::Native))
        .count();
    assert!(native >= 8, "only {native} native conversions");

    // Broken variants of three outputs from different routes.
    let mut broken = Vec::new();
    for stem in ["reportlab-std14.pdf", "acte.docx", "chromium.pdf"] {
        let (path, _) = outputs.iter().find(|(_, i)| i.name == stem).unwrap();
        broken.extend(variants(path, &out_dir, stem));
    }

    let mut all: Vec<PathBuf> = outputs.iter().map(|(p, _)| p.clone()).collect();
    all.extend(broken.iter().map(|(p, _)| p.clone()));
    // The third-party inputs too: none is PDF/A-1b, and both checkers must say so.
    let inputs: Vec<PathBuf> = items
        .iter()
        .filter(|i| i.name.ends_with(".pdf") && i.name != "archive-named.pdf")
        .map(|i| i.path.clone())
        .collect();
    all.extend(inputs.iter().cloned());
    let preflight = pdfcorpus::preflight(&all).unwrap();
    for path in &all {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let pf = &preflight[&name];
        let ours = check_pdfa1b(&std::fs::read(path).unwrap());
        let expected_code = broken.iter().find(|(p, _)| p == path).map(|(_, c)| *c);
        let is_input = inputs.contains(path);
        match expected_code {
            None if is_input && pf.valid => {
                failures.push(format!("{name}: Preflight accepts a third-party input"))
            }
            None if !is_input && !pf.valid => {
                failures.push(format!("{name}: Preflight says {:?}", pf.errors))
            }
            Some(_) if pf.valid => {
                failures.push(format!("{name}: Preflight accepts a broken file"))
            }
            _ => {}
        }
        if let Some(code) = expected_code {
            if !ours.has(code) {
                failures.push(format!("{name}: checker misses {code}: {:?}", ours.codes()));
            }
        }
        if ours.conformant != pf.valid {
            failures.push(format!(
                "{name}: checker {} vs Preflight {} ({:?} / {:?})",
                ours.conformant,
                pf.valid,
                ours.codes(),
                pf.errors
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
