//! Notifications: a real SMTP server on loopback (Debian's python3-aiosmtpd, STARTTLS with
//! AUTH, plain, implicit TLS) receives the e-mail and a loopback HTTP sink receives the SMS;
//! their content is asserted (French, the portal link, no act content). Retries with back-off
//! are driven by the injected clock; each send and each final failure is in the service's
//! history.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use sceau_testsupport::pki::KeySpec;
use sceau_testsupport::sinks::{SmsSink, SmtpMode, SmtpOptions, SmtpSink};
use sceau_vault::config::SmtpSecurity;
use sceau_vault::notify;
use sceau_vault::store::meta;
use sceau_vault::store::sql::tx;
use sceau_vault::SceauPdfa;

/// A person with e-mail and mobile, consenting to every nature.
fn person(h: &Harness, id: &str, email: Option<&str>, mobile: Option<&str>) -> String {
    let row = recipient_row(
        id,
        sceau_proto::RecipientKind::Person,
        format!("Personne {id}"),
        email,
        mobile,
    );
    let given = (tuesday_morning() - chrono::Duration::days(30)).date_naive();
    add_recipient_with_consent(h, &row, given, "formulaire");
    row.id
}

fn history(h: &Harness, deposit_id: &str) -> Vec<(String, String)> {
    let id = deposit_id.to_owned();
    tokio::task::block_in_place(|| {
        tx(h.vault.meta.as_ref(), move |sql| {
            meta::deposit_journal(sql, &id)
        })
        .unwrap()
        .into_iter()
        .map(|j| (j.event, j.message))
        .collect()
    })
}

async fn deposit(
    h: &Harness,
    c: &reqwest::Client,
    signer: &sceau_testsupport::pki::Identity,
    rid: &str,
    reference: &str,
) -> String {
    let pkg = simple_package(signer, rid, "COMMANDEMENT_DE_PAYER", reference);
    let r = put_package(h, c, &format!("cle-{reference}"), &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let receipt: sceau_proto::DepositReceipt = r.json().await.unwrap();
    receipt.deposit_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_over_starttls_and_sms_with_a_retry() {
    let dir = tempfile::tempdir().unwrap();
    let mut smtp = None;
    let sms = SmsSink::start(1).unwrap();
    let sms_url = sms.url();
    let h = Harness::start_with(Backend::Embedded, Arc::new(SceauPdfa), |cfg, ca| {
        let ((cert, key), ca_pem) = loopback_server_pem(ca, dir.path(), "smtp", "smtp-ca");
        let sink = SmtpSink::start(&SmtpOptions {
            mode: SmtpMode::Starttls,
            cert_key: Some((cert, key)),
            auth: Some(("coffre".into(), "secret-relais".into())),
            ..SmtpOptions::default()
        })
        .unwrap();
        let mut s = smtp_config(sink.port, SmtpSecurity::Starttls, Some(ca_pem));
        s.username = Some("coffre".into());
        s.password = Some("secret-relais".into());
        cfg.smtp = Some(s);
        let mut sms = sms_config(
            sms_url.clone(),
            r#"{"destinataire": "{to}", "message": "{text}"}"#,
        );
        sms.username = Some("api".into());
        sms.password = Some("cle-sms".into());
        cfg.sms = Some(sms);
        cfg.portal.public_url = "https://portail.sceau.test".into();
        cfg.notify.backoff_seconds = 30;
        smtp = Some(sink);
    })
    .await;
    let smtp = smtp.unwrap();
    let ids = office_ids(&h.ca, "Jean Dupont", "Etude Dupont");
    let c = bound_client(&h, &ids.auth, "9991").await;
    let rid = person(&h, "p1", Some("marie@exemple.test"), Some("+33612345678"));
    let dep = deposit(&h, &c, &ids.sign, &rid, "REF-SECRETE-42").await;

    assert_eq!(notify::enqueue_new(&h.vault).await.unwrap(), 1);
    // Queued once: a second scan (or a restart) finds nothing new.
    assert_eq!(notify::enqueue_new(&h.vault).await.unwrap(), 0);
    // E-mail goes; the gateway refuses the SMS once.
    assert_eq!(notify::send_due(&h.vault).await.unwrap(), (1, 0));
    let mails = smtp.messages().unwrap();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.rcpt_tos, ["marie@exemple.test"]);
    assert!(m.tls && m.authenticated, "{m:?}");
    assert_eq!(
        m.subject,
        "Maître Jean Dupont : un acte vous a été signifié par voie électronique"
    );
    assert!(
        m.body
            .contains("Maître Jean Dupont, commissaire de justice, étude 9991, a déposé le"),
        "{}",
        m.body
    );
    assert!(
        m.body.contains("Nature de l'acte : Commandement de payer"),
        "{}",
        m.body
    );
    assert!(
        m.body.contains("https://portail.sceau.test/portail/acces/"),
        "{}",
        m.body
    );
    // No act content beyond its nature: neither the reference nor the file.
    for secret in ["REF-SECRETE-42", ".pdf"] {
        assert!(
            !m.body.contains(secret) && !m.subject.contains(secret),
            "{}",
            m.body
        );
    }
    assert!(sms.received().is_empty());

    // Not due yet; then due after the back-off.
    assert_eq!(notify::send_due(&h.vault).await.unwrap(), (0, 0));
    h.clock
        .set(tuesday_morning() + chrono::Duration::seconds(30));
    assert_eq!(notify::send_due(&h.vault).await.unwrap(), (1, 0));
    let got = sms.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "POST");
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["destinataire"], "+33612345678");
    let text = body["message"].as_str().unwrap();
    assert!(
        text.contains("a déposé un acte à votre attention"),
        "{text}"
    );
    assert!(text.contains("envoyé par courriel"), "{text}");
    assert!(!text.contains("REF-SECRETE-42"), "{text}");
    assert!(got[0]
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && v.starts_with("Basic ")));

    let lines = history(&h, &dep);
    let notes: Vec<&str> = lines
        .iter()
        .filter(|(e, _)| e == "ConsignmentNotification")
        .map(|(_, m)| m.as_str())
        .collect();
    assert_eq!(
        notes,
        [
            "Mail d'alerte pour dépôt transmis au destinataire Personne p1",
            "SMS d'alerte pour dépôt transmis au destinataire Personne p1"
        ]
    );
    // The office sees them in the service's history.
    let d: sceau_proto::ServiceDetail = get_json(&c, h.url(&format!("/v1/services/{dep}"))).await;
    assert!(d.history.iter().any(|e| e
        .message
        .starts_with("Mail d'alerte pour dépôt transmis au destinataire")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn final_failure_after_retries_is_recorded() {
    let smtp = SmtpSink::start(&SmtpOptions {
        fail_first: 100,
        ..SmtpOptions::default()
    })
    .unwrap();
    let port = smtp.port;
    let h = Harness::start_with(Backend::Embedded, Arc::new(SceauPdfa), |cfg, _| {
        cfg.smtp = Some(smtp_config(port, SmtpSecurity::Plain, None));
        cfg.notify.max_attempts = 3;
        cfg.notify.backoff_seconds = 10;
    })
    .await;
    let ids = office_ids(&h.ca, "Jean Dupont", "Etude Dupont");
    let c = bound_client(&h, &ids.auth, "9991").await;
    let rid = person(&h, "p2", Some("paul@exemple.test"), None);
    let nobody = person(&h, "p3", None, None);
    let dep = deposit(&h, &c, &ids.sign, &rid, "ECHEC").await;
    let dep_nobody = deposit(&h, &c, &ids.sign, &nobody, "SANSCONTACT").await;
    assert_eq!(notify::enqueue_new(&h.vault).await.unwrap(), 2);
    let start = tuesday_morning();
    // Attempts at t, t+10 s, t+30 s (10 then 20 seconds of back-off).
    assert_eq!(notify::send_due(&h.vault).await.unwrap(), (0, 0));
    h.clock.set(start + chrono::Duration::seconds(10));
    assert_eq!(notify::send_due(&h.vault).await.unwrap(), (0, 0));
    h.clock.set(start + chrono::Duration::seconds(29));
    assert_eq!(notify::send_due(&h.vault).await.unwrap(), (0, 0));
    h.clock.set(start + chrono::Duration::seconds(30));
    assert_eq!(notify::send_due(&h.vault).await.unwrap(), (0, 1));
    let status = tokio::task::block_in_place(|| {
        tx(h.vault.meta.as_ref(), |sql| {
            meta::notification_status(sql, &dep, "email")
        })
        .unwrap()
    });
    assert_eq!(status, Some(("failed".into(), 3)));
    assert!(smtp.messages().unwrap().is_empty());
    let lines = history(&h, &dep);
    assert!(lines.iter().any(|(e, m)| {
        e == "ConsignmentNotificationFailure"
        && m == "Échec de l'envoi du mail d'alerte au destinataire Personne p2 après 3 tentative(s)"
    }));
    let lines = history(&h, &dep_nobody);
    assert!(lines
        .iter()
        .any(|(e, m)| e == "ConsignmentNotificationFailure" && m.contains("ni adresse")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_plain_and_implicit_tls() {
    let dir = tempfile::tempdir().unwrap();
    let ca = sceau_testsupport::pki::TestCa::new("AC relais", KeySpec::EcP256).unwrap();
    let ((cert, key), ca_pem) = loopback_server_pem(&ca, dir.path(), "smtp", "ca");
    let plain = SmtpSink::start(&SmtpOptions::default()).unwrap();
    let tls = SmtpSink::start(&SmtpOptions {
        mode: SmtpMode::Tls,
        cert_key: Some((cert, key)),
        ..SmtpOptions::default()
    })
    .unwrap();
    let p = smtp_config(plain.port, SmtpSecurity::Plain, None);
    notify::send_email(Some(&p), "a@exemple.test", "Objet é", "Corps à lire")
        .await
        .unwrap();
    let t = smtp_config(tls.port, SmtpSecurity::Tls, Some(ca_pem));
    notify::send_email(Some(&t), "b@exemple.test", "Objet ç", "Corps où")
        .await
        .unwrap();
    // Without trusting the relay's CA, TLS is refused.
    let untrusted = smtp_config(tls.port, SmtpSecurity::Tls, None);
    assert!(
        notify::send_email(Some(&untrusted), "c@exemple.test", "x", "y")
            .await
            .is_err()
    );
    let (a, b) = (plain.messages().unwrap(), tls.messages().unwrap());
    assert_eq!((a.len(), b.len()), (1, 1));
    assert!(!a[0].tls && a[0].subject == "Objet é" && a[0].body.trim() == "Corps à lire");
    assert!(b[0].tls && b[0].subject == "Objet ç" && b[0].body.trim() == "Corps où");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_over_https_trusts_the_configured_ca_only() {
    let dir = tempfile::tempdir().unwrap();
    let ca = sceau_testsupport::pki::TestCa::new("AC passerelle SMS", KeySpec::EcP256).unwrap();
    let server = ca
        .issue(&sceau_testsupport::pki::IssueRequest::new(
            "127.0.0.1",
            KeySpec::EcP256,
            sceau_testsupport::pki::Profile::Server,
        ))
        .unwrap();
    let (ca_pem, _) = ca.identity.write_pem(dir.path(), "ca").unwrap();
    let sms = SmsSink::start_tls(0, &server).unwrap();
    assert!(sms.url().starts_with("https://"));
    let template = r#"{"to": "{to}", "text": "{text}"}"#;
    // Without the gateway's CA, the handshake is refused and nothing is received.
    let untrusted = sms_config(sms.url(), template);
    assert!(notify::send_sms(Some(&untrusted), "+33612345678", "Texte")
        .await
        .is_err());
    assert!(sms.received().is_empty());
    // With it, the message goes through TLS with its content intact.
    let trusted = sceau_vault::config::SmsConfig {
        ca_file: Some(ca_pem),
        ..sms_config(sms.url(), template)
    };
    notify::send_sms(Some(&trusted), "+33612345678", "Un acte « déposé » à 9h")
        .await
        .unwrap();
    let got = sms.received();
    assert_eq!(got.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["to"], "+33612345678");
    assert_eq!(body["text"], "Un acte « déposé » à 9h");
}
