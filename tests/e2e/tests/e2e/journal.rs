//! A journal that proves itself: the vault seals and time-stamps its chain head (checkpoints),
//! a proof bundle carries the checkpoint covering its lines, and a history rewritten in the
//! database — even with the whole chain recomputed from the changed line — is caught by
//! `sceau-vault verify-journal` and by `sceau verify-proof`; the checkpoint's seal and
//! time-stamp are accepted by OpenSSL (an oracle we did not write).

use std::process::Command;

use base64::Engine;
use sceau_e2e::{vault_bin, World};
use sceau_vault::store::sql::{tx, Metadata, SqliteMeta};

/// `sceau-vault verify-journal`: (exit code, stdout).
fn verify_journal(w: &World) -> (i32, String) {
    let out = Command::new(vault_bin())
        .arg("verify-journal")
        .arg("--config")
        .arg(&w.vault_config)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Exports the proof of `path` to `out` and runs `sceau --json verify-proof` on it.
fn proof_and_verify(w: &World, path: &str, out: &std::path::Path) -> (i32, serde_json::Value) {
    w.ok(&["vault", "proof", path, "--out", &out.to_string_lossy()]);
    let (code, v, _) = w.run_json(&["verify-proof", &out.to_string_lossy()]);
    (code, v)
}

/// Changes the reason of journal line `seq` and recomputes every chain hash from there, as
/// someone with write access to the database (and the code of the chain) would.
fn rewrite_history(db: &std::path::Path, seq: i64) {
    let meta = SqliteMeta::open(db).unwrap();
    tx(&meta as &dyn Metadata, |sql| {
        let rows = sceau_vault::store::meta::journal_chain_batch(sql, seq - 1, 1_000_000)?;
        let prev_row = sql.query(
            "SELECT hash FROM journal WHERE seq = $1",
            &[(seq - 1).into()],
        )?;
        let mut prev: [u8; 32] = match prev_row.first() {
            Some(r) => hex::decode(r[0].text()).unwrap().try_into().unwrap(),
            None => sceau_core::evidence::GENESIS,
        };
        for (s, text, _) in rows {
            let mut record = sceau_vault::journal::decode_record(&text).unwrap();
            if s == seq {
                record.reason = Some("motif réécrit après coup".into());
            }
            let hash = sceau_core::evidence::chain_hash(&prev, &record);
            sql.exec(
                "UPDATE journal SET record = $1, hash = $2 WHERE seq = $3",
                &[
                    hex::encode(record.canonical_bytes()).into(),
                    hex::encode(hash).into(),
                    s.into(),
                ],
            )?;
            prev = hash;
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn rewritten_journal_with_recomputed_chain_is_caught_by_verify_journal_and_verify_proof() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    let act = w.act("pv.pdf");
    let args = w.signify_args("REF-JOURNAL-1", &act);
    let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out["deposit"].is_object(), "not deposited: {out}");
    let ls = w.ok(&["vault", "ls", "Significations"]);
    let zip_path = ls["entries"][0]["path"].as_str().unwrap().to_owned();

    // Untouched: the proof carries a checkpoint and passes; the journal and its checkpoints
    // verify.
    let proof = w.dir.path().join("proof.json");
    let (code, v) = proof_and_verify(&w, &zip_path, &proof);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["valid"], true, "{v}");
    assert!(v["report"]["checkpoints"].as_u64().unwrap() >= 1, "{v}");
    let (code, said) = verify_journal(&w);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("journal intact"), "{said}");
    assert!(said.contains("point(s) de contrôle scellé(s)"), "{said}");

    // OpenSSL accepts the checkpoint's seal (CMS over the statement, vault CA) and its
    // time-stamp (RFC 3161 over the statement).
    let bundle: sceau_proto::ProofBundle =
        serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    let cp = &bundle.checkpoints[0].checkpoint;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = w.dir.path().to_path_buf();
    let dir = dir.as_path();
    let statement = dir.join("checkpoint.txt");
    std::fs::write(&statement, &cp.statement).unwrap();
    let seal = dir.join("checkpoint.p7s");
    std::fs::write(&seal, b64.decode(&cp.seal).unwrap()).unwrap();
    let token = dir.join("checkpoint.tst");
    std::fs::write(&token, b64.decode(&cp.timestamp_token).unwrap()).unwrap();
    let ca = w.vault_data.join("vault-ca.crt.pem");
    let (ok, said) = sceau_testsupport::oracle::openssl_cms_verify(&seal, &statement, &ca, false);
    assert!(
        ok,
        "openssl cms -verify refused the checkpoint's seal: {said}"
    );
    let ts = Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(&token)
        .arg("-data")
        .arg(&statement)
        .arg("-CAfile")
        .arg(&ca)
        .output()
        .unwrap();
    assert!(
        ts.status.success(),
        "openssl ts -verify refused the checkpoint's time-stamp: {}{}",
        String::from_utf8_lossy(&ts.stdout),
        String::from_utf8_lossy(&ts.stderr)
    );
    // The oracle is not blind: a changed statement fails both.
    let changed = dir.join("checkpoint-changed.txt");
    std::fs::write(&changed, cp.statement.replace("first=1", "first=2")).unwrap();
    assert!(!sceau_testsupport::oracle::openssl_cms_verify(&seal, &changed, &ca, false).0);
    let ts = Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(&token)
        .arg("-data")
        .arg(&changed)
        .arg("-CAfile")
        .arg(&ca)
        .output()
        .unwrap();
    assert!(!ts.status.success());

    // Rewrite the service's first line and recompute the chain from there.
    w.stop_vault();
    let first = bundle.journal[0].seq;
    rewrite_history(&w.vault_data.join("vault.db"), first);

    let (code, said) = verify_journal(&w);
    assert_eq!(code, 1, "{said}");
    // The recomputed chain itself still chains: only the sealed checkpoint tells.
    assert!(said.contains("journal intact"), "{said}");
    assert!(said.contains("[journal_rewritten]"), "{said}");
    assert!(said.contains("RÉÉCRIT"), "{said}");

    w.start_vault().unwrap();
    let proof2 = dir.join("proof-after.json");
    let (code, v) = proof_and_verify(&w, &zip_path, &proof2);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["code"], "proof.journal_rewritten", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("n° {first}")),
        "{v}"
    );
    // The bundle's own chain is consistent: without the checkpoint nothing would show.
    let rewritten: sceau_proto::ProofBundle =
        serde_json::from_slice(&std::fs::read(&proof2).unwrap()).unwrap();
    assert_ne!(rewritten.journal[0].hash, bundle.journal[0].hash);
    let mut stripped = rewritten.clone();
    stripped.checkpoints.clear();
    assert_eq!(
        sceau_vault::proof::verify(&stripped, None)
            .unwrap_err()
            .code(),
        "checkpoint_missing"
    );
}
