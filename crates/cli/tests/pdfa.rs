//! `sceau convert` and `sceau check-pdfa` end to end: French report, JSON, exit codes.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::process::Command;

use sceau_testsupport::corpus::simple_pdf;

fn sceau() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sceau"))
}

#[test]
fn convert_then_check() {
    let dir = tempfile::tempdir().unwrap();
    let act = dir.path().join("acte.pdf");
    std::fs::write(
        &act,
        simple_pdf("Acte", &["Commandement de payer", "Etude 9991"]),
    )
    .unwrap();
    let zip = dir.path().join("faux.pdf");
    std::fs::write(&zip, b"PK\x03\x04 not a pdf").unwrap();
    let out_dir = dir.path().join("out");

    // One good file, one lying name: exit 2, the good one is written, the other refused.
    let o = sceau()
        .arg("--json")
        .arg("convert")
        .arg(&act)
        .arg(&zip)
        .arg("--out-dir")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["ok"], true);
    assert_eq!(v[0]["conversion"]["route"], "native");
    assert_eq!(v[0]["conversion"]["verdict"]["conformant"], true);
    assert!(v[0]["conversion"]["duration_ms"].is_u64());
    assert_eq!(v[1]["ok"], false);
    assert_eq!(v[1]["error"]["code"], "pdfa.misleading_name");
    let converted = out_dir.join("acte.pdf");
    assert!(converted.exists());
    assert!(!out_dir.join("faux.pdf").exists());

    // Text output, all good: exit 0.
    let o = sceau()
        .arg("convert")
        .arg(&act)
        .arg("--out-dir")
        .arg(dir.path().join("out2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("converti en PDF/A-1b (native"), "{text}");

    // The checker: the output is conformant, the input is not (exit 1) and says why.
    let o = sceau().arg("check-pdfa").arg(&converted).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("conforme PDF/A-1b"));
    let o = sceau().arg("check-pdfa").arg(&act).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("NON conforme"), "{text}");
    assert!(
        text.contains("[6.3.4] la police Helvetica n'est pas incorporée"),
        "{text}"
    );
    let o = sceau()
        .args(["--json", "check-pdfa"])
        .arg(&act)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["conformant"], false);
    assert!(v[0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["code"] == "metadata_missing" && x["clause"] == "6.7.2"));

    // A missing file is an input error.
    let o = sceau()
        .arg("check-pdfa")
        .arg(dir.path().join("absent.pdf"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
