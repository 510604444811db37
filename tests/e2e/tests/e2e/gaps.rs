//! One process per data directory; the consent register and the stamped mention from the CLI.

use sceau_e2e::World;

#[test]
fn a_second_process_is_refused_and_a_killed_one_frees_the_data_dir() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    let act = w.act("pv.pdf");
    let args = w.signify_args("LOCK-1", &act);
    // The first process holds the data directory (paused before its conversion).
    let first = w.paused_at(&args, "convert");
    let other_act = w.act("autre.pdf");
    let other = w.signify_args("LOCK-2", &other_act);
    for cmd in [
        vec!["outbox", "list"],
        other.iter().map(String::as_str).collect::<Vec<_>>(),
    ] {
        let (code, err, msg) = w.fails(&cmd);
        assert_ne!(code, 0);
        assert_eq!(err, "app.already_open", "{msg}");
        assert!(msg.contains("Sceau est déjà ouvert sur ce poste"), "{msg}");
        assert!(msg.contains("Fermez-la"), "{msg}");
    }
    // A crash (SIGKILL) frees the lock: the next command works, and the refused one changed
    // nothing (LOCK-2 was never prepared; LOCK-1 stopped before its outbox entry).
    first.kill();
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 0);
    assert_eq!(w.ok(&["search"])["results"].as_array().unwrap().len(), 0);
    let out = w.ok(&other.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out["deposit"]["receipt"]["deposit_id"].is_string(), "{out}");
}

#[test]
fn no_consent_is_refused_before_signing_and_the_mention_can_be_stamped() {
    let mut w = World::new().unwrap();
    // A company in the directory without any consent (the vault is stopped for its CLI).
    w.company_without_consent("SOCIETE SANS CONSENTEMENT", "35600000000048")
        .unwrap();
    w.start_vault().unwrap();
    w.connect();
    let act = w.act("pv.pdf");
    let mut args = w.signify_args("NOCONS-1", &act);
    args[4] = "35600000000048".into();
    assert_eq!(args[3], "--recipient");
    let (code, err, msg) = w.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!((code, err.as_str()), (2, "app.no_consent"), "{msg}");
    assert!(msg.contains("SOCIETE SANS CONSENTEMENT"), "{msg}");
    assert!(msg.contains("748-2"), "{msg}");
    assert_eq!(w.ok(&["outbox", "list"]).as_array().unwrap().len(), 0);

    // An act without the consent mention: refused, then stamped on request.
    let bare = w.dir.path().join("sans-mention.pdf");
    std::fs::write(
        &bare,
        sceau_testsupport::corpus::simple_pdf("Acte", &["Proces-verbal de saisie-attribution"]),
    )
    .unwrap();
    let args = w.signify_args("STAMP-1", &bare);
    let (_, err, msg) = w.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(err, "app.consent_mention", "{msg}");
    let preview = w.dir.path().join("apercu");
    let mut args = args;
    args.insert(1, "--stamp-consent".into());
    args.insert(1, preview.to_string_lossy().into_owned());
    args.insert(1, "--preview-dir".into());
    let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out["deposit"]["receipt"]["deposit_id"].is_string(), "{out}");
    let stamped = preview.join(out["documents"][0].as_str().unwrap());
    let pf = sceau_testsupport::pdfcorpus::preflight(std::slice::from_ref(&stamped)).unwrap();
    let v = pf.values().next().unwrap();
    assert!(v.valid, "Preflight: {:?}", v.errors);
    // The vault accepted it: its own checks found the act PDF/A-1b and signed.
    assert_eq!(w.vault_services().results.len(), 1);
}
