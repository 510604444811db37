//! "Transférer" through the CLI: files of the workstation into the office's vault, listed,
//! downloaded back identical, counted in the space used; refusals named in French.

use sceau_e2e::World;
use sha2::{Digest, Sha256};

fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[test]
fn files_of_the_workstation_go_into_the_office_vault() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    w.ok(&["vault", "mkdir", "Courriers"]);
    let before = w.ok(&["vault", "usage"])["space_used"].as_u64().unwrap();

    // Two files, one with an accented name (the vault takes the sanitised name).
    let local = w.dir.path().join("poste");
    std::fs::create_dir_all(&local).unwrap();
    let a = local.join("Relevé de compte.pdf");
    let b = local.join("notes.txt");
    let a_bytes: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&a, &a_bytes).unwrap();
    std::fs::write(&b, "Rendez-vous le 3 mars.\n").unwrap();
    let done = w.ok(&[
        "vault",
        "put",
        &a.to_string_lossy(),
        &b.to_string_lossy(),
        "--to",
        "Courriers",
    ]);
    let done = done.as_array().unwrap();
    assert_eq!(done.len(), 2, "{done:?}");
    assert_eq!(done[0]["entry"]["path"], "Courriers/Releve de compte.pdf");
    assert_eq!(done[0]["entry"]["sha256"], sha_hex(&a_bytes).as_str());
    assert_eq!(done[1]["entry"]["path"], "Courriers/notes.txt");

    // Listed in the folder, with their sizes.
    let ls = w.ok(&["vault", "ls", "Courriers"]);
    let entries: Vec<(String, u64)> = ls["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                "Courriers/Releve de compte.pdf".to_owned(),
                a_bytes.len() as u64
            ),
            ("Courriers/notes.txt".to_owned(), 23),
        ]
    );
    // Downloaded back identical.
    let back = w.dir.path().join("retour.pdf");
    w.ok(&[
        "vault",
        "get",
        "Courriers/Releve de compte.pdf",
        "--out",
        &back.to_string_lossy(),
    ]);
    let back = std::fs::read(&back).unwrap();
    assert_eq!(sha_hex(&back), sha_hex(&a_bytes));
    assert_eq!(back, a_bytes);
    // The space used grew by exactly the two files.
    let after = w.ok(&["vault", "usage"])["space_used"].as_u64().unwrap();
    assert_eq!(after, before + a_bytes.len() as u64 + 23);
    // The proof of integrity of a transferred file verifies offline.
    let proof = w.dir.path().join("preuve.json");
    w.proof_verifies("Courriers/notes.txt", &proof);

    // Sending the same file again: the vault refuses the existing name, in French, naming it.
    let (code, err, msg) = w.fails(&["vault", "put", &b.to_string_lossy(), "--to", "Courriers"]);
    assert_ne!(code, 0);
    assert_eq!(err, "vault.path_exists", "{msg}");
    assert!(msg.contains("« notes.txt »"), "{msg}");
    assert!(msg.contains("existe déjà"), "{msg}");
    // A folder of the workstation, or a missing file, is refused before anything is sent.
    let (_, err, msg) = w.fails(&["vault", "put", &local.to_string_lossy()]);
    assert_eq!(err, "app.upload_not_file", "{msg}");
    let missing = local.join("absent.pdf");
    let (_, err, msg) = w.fails(&[
        "vault",
        "put",
        &b.to_string_lossy(),
        &missing.to_string_lossy(),
    ]);
    assert_eq!(err, "app.upload_missing", "{msg}");
    assert!(msg.contains("absent.pdf"), "{msg}");
    // ... and notes.txt did not go to the root either.
    let root = w.ok(&["vault", "ls"]);
    assert!(root["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["path"] != "notes.txt"));
    // The transfers are in the session log.
    let d = w.ok(&["dashboard"]);
    let logged: Vec<String> = d["session_log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e[1] == "Transfert dans le coffre-fort")
        .map(|e| e[2].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        logged,
        ["Courriers/Releve de compte.pdf", "Courriers/notes.txt"]
    );
}
