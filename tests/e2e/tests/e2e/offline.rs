//! Offline preparation and the outbox.

use sceau_e2e::{World, BANK_SIRET};

#[test]
fn three_services_prepared_with_the_vault_stopped_are_each_deposited_once() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    w.ok(&["recipients", "search", BANK_SIRET]);
    w.stop_vault();

    for i in 1..=3 {
        let act = w.act(&format!("acte{i}.pdf"));
        let args = w.signify_args(&format!("HL-{i}"), &act);
        let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out["deposit"].is_null());
        assert!(
            out["queued_reason"]
                .as_str()
                .unwrap()
                .contains("injoignable"),
            "{out}"
        );
    }
    // --offline works the same without even trying the network.
    let act = w.act("acte4.pdf");
    let mut args = w.signify_args("HL-4", &act);
    args.push("--offline".into());
    w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let list = w.ok(&["outbox", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 4);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["state"] == "prepared"));

    // Still offline: sending keeps everything queued, with a clear reason.
    let (code, report, _) = w.run_json(&["outbox", "send"]);
    assert_eq!(code, 4, "{report}");
    assert_eq!(report["remaining"], 4);
    assert!(report["stopped_because"]
        .as_str()
        .unwrap()
        .contains("injoignable"));
    let list = w.ok(&["outbox", "list"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] == "prepared"),
        "{list}"
    );

    w.start_vault().unwrap();
    let sent = w.ok(&["outbox", "send"]);
    assert_eq!(sent["sent"].as_array().unwrap().len(), 4, "{sent}");
    assert_eq!(sent["remaining"], 0);
    let again = w.ok(&["outbox", "send"]);
    assert_eq!(again["sent"].as_array().unwrap().len(), 0);
    let vault = w.vault_services();
    assert_eq!(vault.total, 4);
    let mut refs: Vec<_> = vault.results.iter().map(|r| r.reference.clone()).collect();
    refs.sort();
    assert_eq!(refs, ["HL-1", "HL-2", "HL-3", "HL-4"]);
}

#[test]
fn a_cancelled_package_is_never_deposited() {
    let mut w = World::new().unwrap();
    w.start_vault().unwrap();
    w.connect();
    w.ok(&["recipients", "search", BANK_SIRET]);
    let act = w.act("a.pdf");
    let mut args = w.signify_args("CANCEL-1", &act);
    args.push("--offline".into());
    let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let id = out["outbox_id"].as_i64().unwrap().to_string();
    w.ok(&["outbox", "cancel", &id]);
    let sent = w.ok(&["outbox", "send"]);
    assert_eq!(sent["sent"].as_array().unwrap().len(), 0);
    assert_eq!(w.vault_services().total, 0);
    let (_, code, _) = w.fails(&["show", "CANCEL-1", "--offline"]);
    assert_eq!(code, "app.not_found");
}
