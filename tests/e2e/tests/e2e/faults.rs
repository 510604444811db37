//! Faults: the CLI killed (SIGKILL) at named points, wrong and locked PINs, the key pulled out
//! mid-batch, the vault unreachable, a certificate not bound.

use sceau_e2e::{World, BANK_SIRET};
use sceau_testsupport::softhsm::CKF_USER_PIN_LOCKED;

fn ready() -> World {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    w.ok(&["recipients", "search", BANK_SIRET]);
    w
}

fn signify(w: &World, reference: &str) -> Vec<String> {
    let act = w.act(&format!("{reference}.pdf"));
    w.signify_args(reference, &act)
}

/// Killed before the outbox: nothing was recorded, the rerun serves the act once.
fn killed_before_outbox(point: &str) {
    let w = ready();
    let args = signify(&w, "KILL-1");
    w.paused_at(&args, point).kill();
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 0);
    assert_eq!(w.vault_services().total, 0);
    let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out["deposit"].is_object(), "{out}");
    assert_eq!(w.vault_services().total, 1);
    let list = w.ok(&["outbox", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["state"], "deposited");
}

#[test]
fn sigkill_during_conversion_then_rerun() {
    killed_before_outbox("convert");
}

#[test]
fn sigkill_during_signing_then_rerun() {
    killed_before_outbox("sign");
}

#[test]
fn sigkill_during_upload_then_rerun_deposits_once() {
    let w = ready();
    let args = signify(&w, "KILL-UP");
    w.paused_at(&args, "upload").kill();
    // The service is kept, its package claimed for upload when the process died.
    let list = w.ok(&["outbox", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    // Rerunning `signify` would be a second service: it is refused with a clear message.
    let (code, err, _) = w.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!((code, err.as_str()), (2, "app.duplicate_reference"));
    let sent = w.ok(&["outbox", "send"]);
    assert_eq!(sent["sent"].as_array().unwrap().len(), 1, "{sent}");
    assert_eq!(w.vault_services().total, 1);
}

#[test]
fn sigkill_after_the_vault_accepted_then_rerun_replays_the_receipt() {
    let w = ready();
    let args = signify(&w, "KILL-ACK");
    w.paused_at(&args, "deposited").kill();
    // The vault has the deposit; the workstation did not record it.
    assert_eq!(w.vault_services().total, 1);
    // Opening the store put the interrupted upload back in the queue.
    let list = w.ok(&["outbox", "list"]);
    assert_eq!(list[0]["state"], "prepared");
    assert_eq!(list[0]["last_error"], "interrompu");
    let sent = w.ok(&["outbox", "send"]);
    let receipt = &sent["sent"][0]["receipt"];
    let vault = w.vault_services();
    assert_eq!(vault.total, 1, "deposited twice");
    assert_eq!(receipt["deposit_id"], vault.results[0].deposit_id.as_str());
    assert_eq!(w.ok(&["outbox", "list"])[0]["state"], "deposited");
}

#[test]
fn sigkill_during_sync_then_rerun_applies_each_event_once() {
    let w = ready();
    let args = signify(&w, "KILL-SYNC");
    w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let before = w.ok(&["show", "KILL-SYNC", "--offline"])["history"]
        .as_array()
        .unwrap()
        .len();
    w.paused_at(&["sync".to_string()], "sync").kill();
    let after_kill = w.ok(&["show", "KILL-SYNC", "--offline"])["history"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        after_kill, before,
        "a killed sync must not have written a partial page"
    );
    let s = w.ok(&["sync"]);
    assert!(s["events"].as_u64().unwrap() > 0);
    let history = w.ok(&["show", "KILL-SYNC", "--offline"])["history"].clone();
    let accepted = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[1] == "Dépôt KILL-SYNC accepté")
        .count();
    assert_eq!(accepted, 1, "{history}");
    assert_eq!(w.ok(&["sync"])["events"], 0);
    assert_eq!(w.vault_services().total, 1);
}

#[test]
fn wrong_pin_is_clear_and_changes_nothing() {
    let w = ready();
    let args = signify(&w, "PIN-1");
    let mut cmd = w.sceau(
        &[
            &["--json"][..],
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        ]
        .concat(),
    );
    cmd.env("SCEAU_PIN", "000000");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["error"]["code"], "token.wrong_pin");
    assert!(json["error"]["message"].as_str().unwrap().contains("PIN"));
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 0);
    assert_eq!(w.vault_services().total, 0);
}

#[test]
fn locked_pin_is_clear_and_changes_nothing() {
    let w = ready();
    w.hsm
        .set_user_pin_flags(&w.office.label, CKF_USER_PIN_LOCKED, 0)
        .unwrap();
    let args = signify(&w, "PIN-2");
    let (code, err, msg) = w.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!((code, err.as_str()), (3, "token.pin_locked"), "{msg}");
    assert!(msg.contains("bloqu"), "{msg}");
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 0);
}

#[test]
fn key_removed_mid_batch_leaves_nothing_half_done_and_the_rerun_works() {
    let w = ready();
    let a1 = w.act("b1.pdf");
    let a2 = w.act("b2.pdf");
    let mut args = w.signify_args("BATCH-1", &a1);
    args.push(a2.to_string_lossy().into_owned());
    let paused = w.paused_at(&args, "sign");
    let unplugged = w.hsm.unplug().unwrap();
    let code = paused.resume();
    assert_eq!(code, 3, "the key error must be reported as such");
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 0);
    drop(unplugged);
    let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out["documents"].as_array().unwrap().len(), 2);
    assert_eq!(w.vault_services().total, 1);
}

#[test]
fn vault_unreachable_is_clear() {
    let mut w = ready();
    w.stop_vault();
    let (code, err, msg) = w.fails(&["sync"]);
    assert_eq!((code, err.as_str()), (4, "client.unreachable"));
    assert!(msg.contains("injoignable"), "{msg}");
    // The recipients cache still answers.
    let found = w.ok(&["recipients", "search", BANK_SIRET]);
    assert_eq!(found[0]["from_cache"], true);
}

#[test]
fn certificate_not_bound_is_clear() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    let (code, err, msg) = w.fails(&["sync"]);
    assert_eq!((code, err.as_str()), (4, "client.not_bound"), "{msg}");
    assert!(msg.contains("sceau connect"), "{msg}");
    // Never connected: preparing offline says what to do first.
    let act = w.act("x.pdf");
    let mut args = w.signify_args("NB-1", &act);
    args.push("--offline".into());
    let (code, err, _) = w.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!((code, err.as_str()), (2, "app.never_connected"));
}

#[test]
fn sigkill_after_events_saved_then_rerun_downloads_the_delivery_notice() {
    let mut w = ready();
    let args = signify(&w, "KILL-FILES");
    w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    w.ok(&["sync"]);
    // Never consulted: three days on, the restarted vault decides "à domicile" and files the
    // delivery notice.
    w.stop_vault();
    w.shift_vault_clock(3 * 86_400).unwrap();
    w.start_vault().unwrap();
    // Killed once the events are saved, before any file is downloaded.
    w.paused_at(&["sync".to_string()], "sync.files").kill();
    let shown = w.ok(&["show", "KILL-FILES"]);
    assert_eq!(shown["state"], "at_home", "events saved: {shown}");
    assert!(
        shown["delivery_notice_file"].is_null(),
        "killed before the download: {shown}"
    );
    // The rerun has no event left to read, yet downloads the notice it missed.
    let s = w.ok(&["sync"]);
    assert_eq!(s["events"], 0, "{s}");
    assert_eq!(s["files"], 1, "{s}");
    assert_eq!(s["files_pending"], 0, "{s}");
    let shown = w.ok(&["show", "KILL-FILES"]);
    let (local, notice) = w.kept_file(&shown, "delivery_notice_file");
    assert!(notice.starts_with(b"%PDF-"));
    assert_eq!(
        shown["vault"]["delivery_notice"]["file_name"].as_str(),
        local.file_name().and_then(|n| n.to_str())
    );
    // Idempotent: nothing left to download.
    let s = w.ok(&["sync"]);
    assert_eq!(s["files"], 0, "{s}");
}
