//! The PDF reading path never panics: the fuzzer's findings are replayed, and a bounded,
//! deterministic mutation loop runs on stable Rust in every test run.
#![allow(clippy::unwrap_used, missing_docs)]

use sceau_testsupport::corpus::simple_pdf;

fn exercise(data: &[u8]) {
    let _ = sceau_pdfa::sniff(data);
    let verdict = sceau_pdfa::check_pdfa1b(data);
    if let Ok(out) = sceau_pdfa::convert_native(data) {
        // What the native route writes can be read again, and is stable under a second pass.
        assert!(sceau_pdfa::check_pdfa1b(&out).conformant);
        let _ = sceau_pdfa::convert_native(&out);
    }
    let _ = verdict;
}

#[test]
fn fuzz_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        exercise(&std::fs::read(&path).unwrap());
        n += 1;
    }
    eprintln!("{n} regression inputs replayed");
}

/// Hostile shapes a vault receives: nesting 200,000 arrays deep must not overflow the stack.
#[test]
fn deeply_nested_objects_are_refused_not_fatal() {
    let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X ".to_vec();
    pdf.extend(std::iter::repeat_n(b'[', 200_000));
    pdf.extend(std::iter::repeat_n(b']', 200_000));
    pdf.extend_from_slice(b" >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n");
    pdf.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    assert!(!sceau_pdfa::check_pdfa1b(&pdf).conformant);
    let e = sceau_pdfa::convert_native(&pdf).unwrap_err();
    assert_eq!(e.code(), "pdfa.corrupt");
}

/// xorshift: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_pdfs_never_panic() {
    let seed = simple_pdf("Acte", &["Commandement de payer", "Etude 9991"]);
    let seeds = [seed.clone(), sceau_pdfa::convert_native(&seed).unwrap()];
    let mut rng = Rng(0x5EAD_5EA1_2026);
    const DICT: &[&[u8]] = &[
        b"/Encrypt",
        b"/ObjStm",
        b"/XRef",
        b"/Length 999999",
        b"/Filter /LZWDecode",
        b"/SMask",
        b"/Type /Font",
        b"/FontDescriptor",
        b"<< /S /JavaScript >>",
        b"R",
        b"obj",
        b"endobj",
        b"stream\n",
        b"endstream",
        b"trailer",
        b"startxref",
        b"[",
        b"]",
        b"<<",
        b">>",
        b"-1",
        b"99999999999",
        b"/Kids [",
        b"/Parent",
    ];
    for i in 0..1200 {
        let mut data = seeds[i % 2].clone();
        for _ in 0..=rng.below(4) {
            if data.is_empty() {
                break;
            }
            let at = rng.below(data.len());
            match rng.below(5) {
                0 => data[at] ^= 1 << rng.below(8),
                1 => data.truncate(at),
                2 => {
                    let word = DICT[rng.below(DICT.len())];
                    data.splice(at..at, word.iter().copied());
                }
                3 => {
                    let end = (at + rng.below(64)).min(data.len());
                    data.drain(at..end);
                }
                _ => {
                    let end = (at + rng.below(64)).min(data.len());
                    let chunk = data[at..end].to_vec();
                    let to = rng.below(data.len());
                    data.splice(to..to, chunk);
                }
            }
        }
        exercise(&data);
    }
}
