//! `sceau verify-proof` end to end: a genuine bundle made with the vault's own keys, journal
//! records and TSA passes; one changed byte in the file, in a journal line or in the time-stamp
//! fails, each with its own code and exit code 1.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;
use std::process::Command;

use base64::Engine;
use sceau_core::evidence::{chain_hash, EvidenceEvent, GENESIS};
use sceau_proto::{CoveringCheckpoint, Inclusion, JournalCheckpoint, ProofBundle, ProofLine};
use sceau_vault::keys::{files, KeyCert};

fn sceau() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sceau"))
}

/// A bundle as `GET /v1/vault/proof` builds it: two chained journal lines of one service, the
/// second naming the file's digest, and the vault TSA's token over that digest.
fn genuine(dir: &Path, file: &[u8]) -> ProofBundle {
    let data = dir.join("vault");
    sceau_vault::keys::init_keys(&data, &["127.0.0.1".into()]).unwrap();
    let tsa = KeyCert::load(&data, files::TSA_KEY, files::TSA_CERT).unwrap();
    let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(file).into();
    let at = chrono::Utc::now();
    let deposit = "d-0001";
    let records = [
        sceau_vault::journal::record(
            EvidenceEvent::SubmissionAcceptance,
            at,
            "etude:9991",
            "banque-test",
            deposit,
            vec![("acte.pdf".into(), [7u8; 32])],
            None,
        ),
        sceau_vault::journal::record(
            EvidenceEvent::ArchiveFiled,
            at,
            "etude:9991",
            "banque-test",
            deposit,
            vec![("archive.zip".into(), digest)],
            None,
        ),
    ];
    let mut prev = GENESIS;
    let mut journal = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let hash = chain_hash(&prev, r);
        journal.push(ProofLine {
            seq: 41 + i as i64,
            prev_hash: hex::encode(prev),
            record: hex::encode(r.canonical_bytes()),
            hash: hex::encode(hash),
        });
        prev = hash;
    }
    let token = tsa.timestamp_imprint(&digest, at).unwrap();
    let checkpoints = vec![checkpoint(&data, &journal, at)];
    ProofBundle {
        path: "Significations/archive.zip".into(),
        sha256: hex::encode(digest),
        size: file.len() as u64,
        deposit_id: Some(deposit.into()),
        journal,
        timestamp_token: base64::engine::general_purpose::STANDARD.encode(token),
        vault_ca_pem: std::fs::read_to_string(data.join(files::CA_CERT)).unwrap(),
        checkpoints,
    }
}

/// The checkpoint the vault makes over `lines` (a range of its own), sealed and time-stamped
/// with the vault's keys, with each line's inclusion path.
fn checkpoint(
    data: &Path,
    lines: &[ProofLine],
    at: chrono::DateTime<chrono::Utc>,
) -> CoveringCheckpoint {
    use sceau_cades::proof::{merkle_leaf, merkle_path, merkle_root, CheckpointStatement};
    let seal = KeyCert::load(data, files::SEAL_KEY, files::SEAL_CERT).unwrap();
    let tsa = KeyCert::load(data, files::TSA_KEY, files::TSA_CERT).unwrap();
    let hash = |h: &str| -> [u8; 32] { hex::decode(h).unwrap().try_into().unwrap() };
    let leaves: Vec<[u8; 32]> = lines.iter().map(|l| merkle_leaf(&hash(&l.hash))).collect();
    let at = chrono::DateTime::from_timestamp(at.timestamp(), 0).unwrap();
    let statement = CheckpointStatement {
        first: lines[0].seq,
        last: lines[lines.len() - 1].seq,
        head: hash(&lines[lines.len() - 1].hash),
        root: merkle_root(&leaves),
        at,
    }
    .text();
    let b64 = base64::engine::general_purpose::STANDARD;
    CoveringCheckpoint {
        checkpoint: JournalCheckpoint {
            seal: b64.encode(seal.seal(statement.as_bytes(), at).unwrap()),
            timestamp_token: b64.encode(tsa.timestamp_data(statement.as_bytes(), at).unwrap()),
            statement,
        },
        inclusions: lines
            .iter()
            .enumerate()
            .map(|(i, l)| Inclusion {
                seq: l.seq,
                path: merkle_path(i, &leaves).iter().map(hex::encode).collect(),
            })
            .collect(),
    }
}

/// Runs `sceau --json verify-proof` on `bundle` (and `file`); returns (exit code, JSON).
fn run(dir: &Path, bundle: &ProofBundle, file: Option<&[u8]>) -> (i32, serde_json::Value) {
    let b = dir.join("preuve.json");
    std::fs::write(&b, serde_json::to_vec(bundle).unwrap()).unwrap();
    let mut cmd = sceau();
    cmd.arg("--json").arg("verify-proof").arg(&b);
    if let Some(bytes) = file {
        let f = dir.join("fichier.zip");
        std::fs::write(&f, bytes).unwrap();
        cmd.arg("--file").arg(&f);
    }
    let o = cmd.output().unwrap();
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&o.stdout)));
    (o.status.code().unwrap(), v)
}

fn flip_hex(s: &str, at: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    b[at] = if b[at] == b'0' { b'1' } else { b'0' };
    String::from_utf8(b).unwrap()
}

#[test]
fn genuine_proof_passes_with_and_without_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = b"PK\x03\x04 the archive of a service".repeat(50);
    let bundle = genuine(dir.path(), &file);
    let (code, v) = run(dir.path(), &bundle, Some(&file));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["file_checked"], true);
    assert_eq!(v["report"]["journal_lines"], 2);
    let (code, v) = run(dir.path(), &bundle, None);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["file_checked"], false);
}

#[test]
fn changed_file_fails_with_file_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let file = b"PK\x03\x04 the archive of a service".repeat(50);
    let bundle = genuine(dir.path(), &file);
    let mut changed = file.clone();
    changed[100] ^= 1;
    let (code, v) = run(dir.path(), &bundle, Some(&changed));
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "proof.file_mismatch");
    assert!(v["error"]["message"].as_str().unwrap().contains("modifié"));
}

#[test]
fn changed_journal_line_fails_with_its_own_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = b"the archive".to_vec();
    let bundle = genuine(dir.path(), &file);
    // A byte of a record (inside the sender's text: still a readable record).
    let mut b = bundle.clone();
    let rec = &b.journal[0].record;
    let at = rec.find(&hex::encode("etude:9991")).unwrap() + 11;
    b.journal[0].record = flip_hex(rec, at);
    let (code, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "proof.journal_altered", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("n° 41"));
    // A byte of the hash a line says it follows: the lines no longer chain.
    let mut b = bundle.clone();
    b.journal[1].prev_hash = flip_hex(&b.journal[1].prev_hash, 5);
    let (code, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "proof.chain_broken", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("41 et 42"));
    let mut b = bundle.clone();
    b.journal[0].hash = flip_hex(&b.journal[0].hash, 5);
    let (_, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(v["error"]["code"], "proof.journal_altered", "{v}");
    // A record made unreadable (upper-case hex decodes to the same bytes: still refused).
    let mut b = bundle;
    b.journal[1].record = b.journal[1].record.to_uppercase();
    let (code, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "proof.journal_unreadable", "{v}");
}

#[test]
fn changed_timestamp_fails_with_its_own_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = b"the archive".to_vec();
    let bundle = genuine(dir.path(), &file);
    let der = base64::engine::general_purpose::STANDARD
        .decode(&bundle.timestamp_token)
        .unwrap();
    let encode = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    // One byte of the certified time (inside the TSTInfo's GeneralizedTime, "20..Z").
    let year = format!("{}", chrono::Utc::now().format("%Y%m%d"));
    let pos = der
        .windows(8)
        .position(|w| w == year.as_bytes())
        .expect("genTime in the token");
    let mut d = der.clone();
    d[pos + 9] ^= 1; // a digit of the hour: 0x30..0x39 stays a digit
    let mut b = bundle.clone();
    b.timestamp_token = encode(&d);
    let (code, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "proof.timestamp_altered", "{v}");
    // The last byte (inside the signature value).
    let mut d = der.clone();
    let n = d.len();
    d[n - 1] ^= 1;
    let mut b = bundle.clone();
    b.timestamp_token = encode(&d);
    let (_, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(v["error"]["code"], "proof.timestamp_altered", "{v}");
    // A token from another vault (another CA) is not trusted.
    let other = tempfile::tempdir().unwrap();
    let foreign = genuine(other.path(), &file);
    let mut b = bundle.clone();
    b.timestamp_token = foreign.timestamp_token;
    let (_, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(v["error"]["code"], "proof.timestamp_untrusted", "{v}");
    // Truncated: unreadable.
    let mut b = bundle;
    b.timestamp_token = encode(&der[..der.len() / 2]);
    let (_, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(v["error"]["code"], "proof.timestamp_malformed", "{v}");
}

#[test]
fn not_a_bundle_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("x.json");
    std::fs::write(&b, b"{\"hello\": 1}").unwrap();
    let o = sceau()
        .arg("--json")
        .arg("verify-proof")
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["code"], "proof.not_a_bundle");
}

#[test]
fn recomputed_chain_fails_with_journal_rewritten_and_a_missing_checkpoint_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = b"the archive".to_vec();
    let bundle = genuine(dir.path(), &file);
    // Rewrite the first record and recompute the whole chain of the bundle: it chains again,
    // but its hashes are not those the vault sealed in the checkpoint.
    let mut b = bundle.clone();
    let mut prev: [u8; 32] = GENESIS;
    for (i, line) in b.journal.iter_mut().enumerate() {
        let mut r = sceau_vault::journal::decode_record(&line.record).unwrap();
        if i == 0 {
            r.reason = Some("réécrit".into());
        }
        let h = chain_hash(&prev, &r);
        line.prev_hash = hex::encode(prev);
        line.record = hex::encode(r.canonical_bytes());
        line.hash = hex::encode(h);
        prev = h;
    }
    let (code, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "proof.journal_rewritten", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("réécrit"));
    // Without its checkpoint, the same bundle is refused for that.
    let mut b = bundle.clone();
    b.checkpoints.clear();
    let (code, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "proof.checkpoint_missing", "{v}");
    // A changed statement breaks its seal.
    let mut b = bundle.clone();
    let st = &mut b.checkpoints[0].checkpoint.statement;
    *st = st.replace("first=41", "first=40");
    let (code, v) = run(dir.path(), &b, Some(&file));
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "proof.checkpoint_seal_invalid", "{v}");
}
