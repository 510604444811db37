//! Notices as each recipient takes them (issue 21, part B), over the real SMTP server
//! (python3-aiosmtpd) and the loopback SMS gateway: a person gets an e-mail and an SMS per act,
//! word for word; a bank set to "digest" gets one e-mail for a batch of 200 deposits and no
//! SMS, one set to "API only" gets nothing — and every deposit keeps its evidence record. A
//! digest sent but not recorded (a crash) is sent again. Bounces and failures reach the
//! office's feed. The digest window is driven by the injected clock.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use sceau_testsupport::pki::Identity;
use sceau_testsupport::sinks::{Mail, SmsSink, SmtpOptions, SmtpSink};
use sceau_vault::config::{Config, SmtpSecurity};
use sceau_vault::notify::{self, Notices};
use sceau_vault::store::meta;
use sceau_vault::store::sql::tx;
use sceau_vault::SceauPdfa;

const PORTAL: &str = "https://portail.sceau.test";

/// A vault on `backend` with a real SMTP server and an SMS gateway on loopback, the office
/// 9991 of Maître Jeanne DUPONT bound.
struct Side {
    h: Harness,
    smtp: SmtpSink,
    sms: SmsSink,
    office: OfficeIds,
    c: reqwest::Client,
}

async fn side(
    backend: Backend,
    smtp: SmtpOptions,
    sms_fail: u32,
    tweak: impl FnOnce(&mut Config),
) -> Side {
    let smtp = SmtpSink::start(&smtp).unwrap();
    let sms = SmsSink::start(sms_fail).unwrap();
    let (port, sms_url) = (smtp.port, sms.url());
    let h = Harness::start_with(backend, Arc::new(SceauPdfa), |cfg, _| {
        cfg.smtp = Some(smtp_config(port, SmtpSecurity::Plain, None));
        cfg.sms = Some(sms_config(sms_url, r#"{"to": "{to}", "text": "{text}"}"#));
        cfg.portal.public_url = PORTAL.into();
        tweak(cfg);
    })
    .await;
    let office = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &office.auth, "9991").await;
    Side {
        h,
        smtp,
        sms,
        office,
        c,
    }
}

fn on_plain_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

/// A recipient of `kind` consenting to every nature, told as `notices` says.
fn recipient(
    h: &Harness,
    id: &str,
    kind: sceau_proto::RecipientKind,
    name: &str,
    email: Option<&str>,
    mobile: Option<&str>,
    notices: Notices,
) -> String {
    let row = sceau_vault::store::meta::RecipientRow {
        siren: (kind != sceau_proto::RecipientKind::Person).then(|| "732829320".into()),
        ..recipient_row(id, kind, name.into(), email, mobile)
    };
    let given = (tuesday_morning() - chrono::Duration::days(30)).date_naive();
    add_recipient_with_consent(h, &row, given, "convention");
    if notices != Notices::PerAct {
        on_plain_thread(|| {
            sceau_vault::admin::set_notices(h.vault.meta.as_ref(), id, notices).unwrap()
        });
    }
    row.id
}

/// Deposits one act of `nature` for `rid` through the API.
async fn deposit(
    s: &Side,
    act: &(Vec<u8>, Vec<u8>),
    rid: &str,
    nature: &str,
    reference: &str,
) -> String {
    let (pdf, sig) = act;
    let pkg = package(&PackageSpec {
        recipient_id: rid,
        nature,
        reference,
        judge_permission: None,
        acts: vec![(
            format!("9991_{reference}_20260303_100000.pdf"),
            pdf.clone(),
            sig.clone(),
        )],
    });
    let r = put_package(&s.h, &s.c, &format!("cle-depot-{reference}"), &pkg).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let receipt: sceau_proto::DepositReceipt = r.json().await.unwrap();
    receipt.deposit_id
}

/// One signed act (made once: the deposits of a batch differ by their reference).
fn act(signer: &Identity) -> (Vec<u8>, Vec<u8>) {
    let pdf = pdfa_act("Acte");
    let sig = sign(signer, &pdf);
    (pdf, sig)
}

/// The (event, message, reason) of each journal line of deposit `id`.
fn records(h: &Harness, id: &str) -> Vec<(String, String)> {
    let id = id.to_owned();
    on_plain_thread(|| {
        tx(h.vault.meta.as_ref(), move |sql| {
            meta::deposit_journal(sql, &id)
        })
        .unwrap()
        .into_iter()
        .filter(|j| j.event.starts_with("ConsignmentNotification"))
        .map(|j| (j.event, j.message))
        .collect()
    })
}

/// The text of a mail as written (the relay's CRLF line ends as `\n`).
fn body(m: &Mail) -> String {
    m.body.replace("\r\n", "\n")
}

/// The HTML of a mail as written.
fn html(m: &Mail) -> String {
    m.html.replace("\r\n", "\n")
}

/// The portal link in a notice's text.
fn link_in(text: &str) -> String {
    let start = text.find(&format!("{PORTAL}/portail/acces/")).unwrap();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// The SMS texts received.
fn sms_texts(sms: &SmsSink) -> Vec<(String, String)> {
    sms.received()
        .iter()
        .map(|r| {
            let b: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            (
                b["to"].as_str().unwrap().to_owned(),
                b["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The office's feed from the start.
async fn feed(s: &Side) -> Vec<sceau_proto::FeedEvent> {
    let page: sceau_proto::FeedPage = get_json(&s.c, s.h.url("/v1/events?after=0")).await;
    page.events
}

fn closing(contact: &str) -> String {
    format!(
        "Ce lien mène au site portail.sceau.test : vérifiez que votre navigateur affiche bien \
         cette adresse avant d'y saisir un code.\n\n\
         Un code à usage unique vous sera envoyé par SMS pour confirmer votre identité (par \
         courriel si nous n'avons pas votre numéro de mobile : votre numéro SIREN ou de \
         sécurité sociale vous sera alors aussi demandé).\n\n\
         Prudence : ne suivez pas les liens des messages d'expéditeurs que vous ne connaissez \
         pas. Ce message ne vous demande ni paiement, ni mot de passe, ni coordonnées \
         bancaires. En cas de doute, appelez l'étude à un numéro que vous trouvez vous-même \
         (annuaire des commissaires de justice, courrier de l'étude), pas à un numéro donné \
         par un message.{contact}\n\n\
         Ne transférez pas ce message. Si vous n'êtes pas le destinataire, ignorez-le.\n\n\
         Coffre-fort Sceau\n"
    )
}

fn multipart_from_the_office(m: &Mail) {
    assert_eq!(m.content_type, "multipart/alternative", "{m:?}");
    assert_eq!(m.from, "Etude 9991 <coffre@sceau.test>");
    assert_eq!(m.mail_from, "coffre@sceau.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_gets_an_email_and_an_sms_per_act_word_for_word() {
    let s = side(Backend::Embedded, SmtpOptions::default(), 0, |_| {}).await;
    // The operator declared the office's phone and address: the notices show them.
    on_plain_thread(|| {
        sceau_vault::admin::set_office_contact(
            s.h.vault.meta.as_ref(),
            "9991",
            Some("01 23 45 67 89"),
            Some("12 rue de la Paix, 75002 Paris"),
        )
        .unwrap()
    });
    let p = recipient(
        &s.h,
        "marie",
        sceau_proto::RecipientKind::Person,
        "Marie MARTIN",
        Some("marie@exemple.test"),
        Some("+33612345678"),
        Notices::PerAct,
    );
    let sms_only = recipient(
        &s.h,
        "paul",
        sceau_proto::RecipientKind::Person,
        "Paul PETIT",
        None,
        Some("+33698765432"),
        Notices::PerAct,
    );
    let a = act(&s.office.sign);
    let d1 = deposit(&s, &a, &p, "COMMANDEMENT_DE_PAYER", "REF-SECRETE-1").await;
    let d2 = deposit(&s, &a, &p, "SAISIE_VENTE", "REF-SECRETE-2").await;
    let d3 = deposit(&s, &a, &sms_only, "COMMANDEMENT_DE_PAYER", "REF-SECRETE-3").await;
    assert_eq!(notify::enqueue_new(&s.h.vault).await.unwrap(), 3);
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (5, 0));

    let mails = s.smtp.wait_for(2).unwrap();
    assert_eq!(mails.len(), 2, "one e-mail per act");
    let at = sceau_core::naming::format_paris(tuesday_morning());
    let days = s.h.config.portal.link_days;
    let contact = "\nNuméro de l'étude connu du coffre-fort, à comparer avec l'annuaire : \
                   01 23 45 67 89\nAdresse de l'étude : 12 rue de la Paix, 75002 Paris";
    let mut natures = vec![];
    for m in &mails {
        multipart_from_the_office(m);
        assert_eq!(m.rcpt_tos, ["marie@exemple.test"]);
        assert_eq!(
            m.subject,
            "Maître Jeanne DUPONT : un acte vous a été signifié par voie électronique"
        );
        let link = link_in(&m.body);
        let nature = if m.body.contains("Commandement de payer") {
            "Commandement de payer"
        } else {
            "Saisie vente (titre 5 art 81 à 138)"
        };
        natures.push(nature);
        assert_eq!(
            body(m),
            format!(
                "Bonjour,\n\n\
                 Maître Jeanne DUPONT, commissaire de justice, étude 9991, a déposé le {at} \
                 (heure de Paris) un acte à votre attention dans votre coffre-fort \
                 électronique.\n\n\
                 Nature de l'acte : {nature}\n\n\
                 Pour le consulter, ouvrez ce lien personnel (valable {days} jours) :\n{link}\n\n{}",
                closing(contact)
            )
        );
        // The HTML says the same; the link's text is its address, nothing hidden behind it.
        assert!(
            html(m).starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"),
            "{}",
            html(m)
        );
        assert!(
            html(m).contains(&format!(
                "<p>Pour le consulter, ouvrez ce lien personnel (valable {days} jours) :<br>\n\
                 <a href=\"{link}\">{link}</a></p>"
            )),
            "{}",
            html(m)
        );
        assert!(
            html(m).contains(&format!("<p>Nature de l&apos;acte : {nature}</p>")),
            "{}",
            html(m)
        );
        assert!(
            html(m).contains("Ce lien mène au site portail.sceau.test"),
            "{}",
            html(m)
        );
        assert!(html(m).contains("01 23 45 67 89<br>"), "{}", html(m));
        assert!(!html(m).contains("<script"), "{}", html(m));
        for secret in ["REF-SECRETE", ".pdf"] {
            assert!(!m.body.contains(secret) && !html(m).contains(secret));
        }
    }
    natures.sort_unstable();
    assert_eq!(
        natures,
        [
            "Commandement de payer",
            "Saisie vente (titre 5 art 81 à 138)"
        ]
    );

    let mut texts = sms_texts(&s.sms);
    texts.sort();
    assert_eq!(texts.len(), 3, "one SMS per act");
    let with_mail = "Sceau : Maître Jeanne DUPONT, commissaire de justice, étude 9991, a déposé \
                     un acte à votre attention dans votre coffre-fort électronique. Le lien de \
                     consultation vous a été envoyé par courriel.";
    assert_eq!(texts[0], ("+33612345678".to_owned(), with_mail.to_owned()));
    assert_eq!(texts[1], ("+33612345678".to_owned(), with_mail.to_owned()));
    let (to, text) = &texts[2];
    assert_eq!(to, "+33698765432");
    let link = link_in(text);
    assert_eq!(
        text,
        &format!(
            "Sceau : Maître Jeanne DUPONT, commissaire de justice, étude 9991, a déposé un acte \
             à votre attention dans votre coffre-fort électronique. Consultez-le sur \
             portail.sceau.test : {link}"
        )
    );
    // Nothing of the act in an SMS: no reference, no file, no nature.
    for (_, t) in &texts {
        for secret in ["REF-SECRETE", ".pdf", "Commandement", "Saisie"] {
            assert!(!t.contains(secret), "{t}");
        }
    }

    // Each act has its own records, as before.
    for d in [&d1, &d2] {
        let mut got = records(&s.h, d);
        got.sort();
        assert_eq!(
            got,
            [
                (
                    "ConsignmentNotification".to_owned(),
                    "Mail d'alerte pour dépôt transmis au destinataire Marie MARTIN".to_owned()
                ),
                (
                    "ConsignmentNotification".to_owned(),
                    "SMS d'alerte pour dépôt transmis au destinataire Marie MARTIN".to_owned()
                ),
            ]
        );
    }
    assert_eq!(
        records(&s.h, &d3),
        [(
            "ConsignmentNotification".to_owned(),
            "SMS d'alerte pour dépôt transmis au destinataire Paul PETIT".to_owned()
        )]
    );
}

/// A bank taking a digest, with an e-mail and a mobile (that must not be used).
fn digest_bank(h: &Harness) -> String {
    recipient(
        h,
        "banque-lot",
        sceau_proto::RecipientKind::Bank,
        "BANQUE TEST",
        Some("significations@banque.test"),
        Some("+33611111111"),
        Notices::Digest,
    )
}

async fn deposits(s: &Side, rid: &str, prefix: &str, n: usize) -> Vec<String> {
    use futures_util::StreamExt;
    let a = act(&s.office.sign);
    futures_util::stream::iter(0..n)
        .map(|i| {
            let a = &a;
            async move {
                deposit(s, a, rid, "SAISIE_ATTRIBUTION", &format!("{prefix}{i:03}")).await
            }
        })
        .buffer_unordered(8)
        .collect()
        .await
}

async fn two_hundred_deposits_to_a_digest_bank_make_one_email_and_no_sms(backend: Backend) {
    let s = side(backend, SmtpOptions::default(), 0, |cfg| {
        cfg.notify.digest_window_minutes = 10;
    })
    .await;
    let bank = digest_bank(&s.h);
    let t0 = tuesday_morning();
    let batch = deposits(&s, &bank, "LOT", 200).await;
    assert_eq!(notify::enqueue_new(&s.h.vault).await.unwrap(), 200);
    // The window is open: nothing goes yet.
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (0, 0));
    // A late deposit of the same batch, 9 minutes on, joins the same digest.
    s.h.clock.set(t0 + chrono::Duration::minutes(9));
    let late = deposits(&s, &bank, "TARD", 1).await;
    assert_eq!(notify::enqueue_new(&s.h.vault).await.unwrap(), 1);
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (0, 0));
    assert!(s.smtp.messages().unwrap().is_empty());
    // The window closes: one e-mail.
    s.h.clock.set(t0 + chrono::Duration::minutes(10));
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (1, 0));
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (0, 0));
    let mails = s.smtp.wait_for(1).unwrap();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    multipart_from_the_office(m);
    assert_eq!(m.rcpt_tos, ["significations@banque.test"]);
    assert_eq!(
        m.subject,
        "Maître Jeanne DUPONT : 201 actes déposés à votre attention"
    );
    let label = "Procès-verbal de saisie attribution (auprès d'un établissement habilité à \
                 tenir des comptes de dépôt)";
    assert_eq!(
        body(m).matches(&format!(" : {label}\n")).count(),
        201,
        "{}",
        m.body
    );
    assert!(m.body.contains(
        "Maître Jeanne DUPONT, commissaire de justice, étude 9991, a déposé 201 actes à votre \
         attention"
    ));
    assert_eq!(html(m).matches("<li>").count(), 201);
    assert!(s.sms.received().is_empty(), "no SMS for a digest");
    // Every deposit has its record, naming the one message.
    assert!(m.message_id.starts_with("<recapitulatif-") && m.message_id.ends_with("@sceau.test>"));
    for d in batch.iter().chain(&late) {
        assert_eq!(
            records(&s.h, d),
            [(
                "ConsignmentNotification".to_owned(),
                format!(
                    "Mail récapitulatif d'alerte (201 acte(s)) transmis au destinataire BANQUE \
                     TEST, message {}",
                    m.message_id
                )
            )],
        );
    }
    // A deposit after the digest went opens the next one.
    s.h.clock.set(t0 + chrono::Duration::minutes(11));
    deposits(&s, &bank, "SUITE", 1).await;
    assert_eq!(notify::enqueue_new(&s.h.vault).await.unwrap(), 1);
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (0, 0));
    s.h.clock.set(t0 + chrono::Duration::minutes(21));
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (1, 0));
    let mails = s.smtp.wait_for(2).unwrap();
    assert_eq!(
        mails[1].subject,
        "Maître Jeanne DUPONT : un acte déposé à votre attention"
    );
    assert!(s.sms.received().is_empty());
}

/// A company that chose its channel: an e-mail per act, and its mobile left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_only_sends_an_email_per_act_and_no_sms() {
    let s = side(Backend::Embedded, SmtpOptions::default(), 0, |_| {}).await;
    let company = recipient(
        &s.h,
        "societe",
        sceau_proto::RecipientKind::Company,
        "SOCIETE EXEMPLE",
        Some("actes@societe.test"),
        Some("+33611111111"),
        Notices::EmailOnly,
    );
    let a = act(&s.office.sign);
    deposit(&s, &a, &company, "COMMANDEMENT_DE_PAYER", "REF-MAIL-1").await;
    deposit(&s, &a, &company, "SAISIE_VENTE", "REF-MAIL-2").await;
    assert_eq!(notify::enqueue_new(&s.h.vault).await.unwrap(), 2);
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (2, 0));
    let mails = s.smtp.wait_for(2).unwrap();
    assert_eq!(mails.len(), 2, "one e-mail per act");
    assert!(mails.iter().all(|m| m.rcpt_tos == ["actes@societe.test"]));
    assert!(s.sms.received().is_empty(), "no SMS: e-mail only");
    assert_eq!(Notices::parse("email_only").unwrap(), Notices::EmailOnly);
    assert_eq!(Notices::EmailOnly.label_fr(), "un mail par acte, sans SMS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_deposits_to_a_digest_bank_make_one_email_and_no_sms_on_sqlite() {
    two_hundred_deposits_to_a_digest_bank_make_one_email_and_no_sms(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_deposits_to_a_digest_bank_make_one_email_and_no_sms_on_postgres() {
    two_hundred_deposits_to_a_digest_bank_make_one_email_and_no_sms(Backend::Scaled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_word_for_word() {
    let s = side(Backend::Embedded, SmtpOptions::default(), 0, |_| {}).await;
    let bank = digest_bank(&s.h);
    let a = act(&s.office.sign);
    deposit(&s, &a, &bank, "SAISIE_ATTRIBUTION", "R1").await;
    s.h.clock
        .set(tuesday_morning() + chrono::Duration::minutes(2));
    deposit(&s, &a, &bank, "SAISIE_CONSERVATOIRE_CREANCES", "R2").await;
    notify::enqueue_new(&s.h.vault).await.unwrap();
    s.h.clock
        .set(tuesday_morning() + chrono::Duration::minutes(12));
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (1, 0));
    let m = &s.smtp.wait_for(1).unwrap()[0];
    let link = link_in(&m.body);
    let t =
        |min| sceau_core::naming::format_paris(tuesday_morning() + chrono::Duration::minutes(min));
    assert_eq!(
        body(m),
        format!(
            "Bonjour,\n\n\
             Maître Jeanne DUPONT, commissaire de justice, étude 9991, a déposé 2 actes à votre \
             attention dans votre coffre-fort électronique (heures de Paris) :\n\n\
             - {} : Procès-verbal de saisie attribution (auprès d'un établissement habilité à \
             tenir des comptes de dépôt)\n\
             - {} : Procès-verbal de saisie conservatoire de créances (auprès d'un \
             établissement habilité à tenir des comptes de dépôt)\n\n\
             Chaque acte vous est signifié à l'heure de son dépôt indiquée ci-dessus.\n\n\
             Pour les consulter, ouvrez ce lien personnel (valable {} jours), ou prenez-les par \
             l'API du coffre-fort :\n{link}\n\n{}",
            t(0),
            t(2),
            s.h.config.portal.link_days,
            closing("")
        )
    );
    assert!(html(m).contains("<ul>\n<li>"), "{}", html(m));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_only_sends_nothing_and_records_why_per_deposit() {
    let s = side(Backend::Embedded, SmtpOptions::default(), 0, |_| {}).await;
    let bank = recipient(
        &s.h,
        "banque-api",
        sceau_proto::RecipientKind::Bank,
        "BANQUE API",
        Some("api@banque.test"),
        Some("+33622222222"),
        Notices::ApiOnly,
    );
    let ds = deposits(&s, &bank, "API", 3).await;
    assert_eq!(notify::enqueue_new(&s.h.vault).await.unwrap(), 3);
    s.h.clock
        .set(tuesday_morning() + chrono::Duration::hours(2));
    assert_eq!(notify::enqueue_new(&s.h.vault).await.unwrap(), 0);
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (0, 0));
    assert!(s.smtp.messages().unwrap().is_empty());
    assert!(s.sms.received().is_empty());
    let why = "Pas d'alerte par mail ni par SMS, au choix du destinataire BANQUE API : l'acte est \
               mis à sa disposition par l'API du coffre-fort";
    for d in &ds {
        assert_eq!(
            records(&s.h, d),
            [("ConsignmentNotification".to_owned(), why.to_owned())]
        );
        // The office reads it through the API, in the service's history.
        let detail: sceau_proto::ServiceDetail =
            get_json(&s.c, s.h.url(&format!("/v1/services/{d}"))).await;
        assert!(
            detail.history.iter().any(|e| e.message == why),
            "{:?}",
            detail.history
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_sent_but_not_recorded_is_sent_again_never_lost() {
    let s = side(Backend::Embedded, SmtpOptions::default(), 0, |_| {}).await;
    let bank = digest_bank(&s.h);
    let ds = deposits(&s, &bank, "CRASH", 3).await;
    notify::enqueue_new(&s.h.vault).await.unwrap();
    s.h.clock
        .set(tuesday_morning() + chrono::Duration::minutes(10));
    // The relay accepts the digest; the vault "crashes" before recording it.
    let (tx_held, mut held) = tokio::sync::mpsc::unbounded_channel();
    *notify::seam::HOLD_AFTER_DIGEST_SENT.lock().unwrap() = Some(tx_held);
    let vault = s.h.vault.clone();
    let task = tokio::spawn(async move { notify::send_due(&vault).await });
    held.recv().await.unwrap();
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    *notify::seam::HOLD_AFTER_DIGEST_SENT.lock().unwrap() = None;
    assert_eq!(s.smtp.wait_for(1).unwrap().len(), 1);
    for d in &ds {
        assert!(records(&s.h, d).is_empty(), "not recorded before the crash");
    }
    // After the restart the digest is still claimed by the dead sender: nobody takes it before
    // the claim's lease is over (two instances never send it together)...
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (0, 0));
    s.h.clock.set(
        tuesday_morning()
            + chrono::Duration::minutes(10)
            + chrono::Duration::seconds(s.h.config.notify.claim_lease_secs as i64),
    );
    // ...then it is due again: sent again, then recorded once per deposit.
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (1, 0));
    let mails = s.smtp.wait_for(2).unwrap();
    assert_eq!(mails.len(), 2);
    assert_eq!(
        mails[0].message_id, mails[1].message_id,
        "the same message again"
    );
    assert_eq!(
        mails[0].body,
        mails[1]
            .body
            .replace(&link_in(&mails[1].body), &link_in(&mails[0].body))
    );
    for d in &ds {
        assert_eq!(records(&s.h, d).len(), 1);
    }
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (0, 0));
    assert_eq!(s.smtp.messages().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounces_and_failed_sms_reach_the_office_feed() {
    let s = side(
        Backend::Embedded,
        SmtpOptions {
            reject_rcpt: Some("inconnu".into()),
            ..SmtpOptions::default()
        },
        100,
        |cfg| {
            cfg.notify.max_attempts = 2;
            cfg.notify.backoff_seconds = 10;
        },
    )
    .await;
    let p = recipient(
        &s.h,
        "sans-boite",
        sceau_proto::RecipientKind::Person,
        "Luc BERNARD",
        Some("inconnu@exemple.test"),
        Some("+33633333333"),
        Notices::PerAct,
    );
    let bank = recipient(
        &s.h,
        "banque-inconnue",
        sceau_proto::RecipientKind::Bank,
        "BANQUE FERMEE",
        Some("inconnu@banque.test"),
        None,
        Notices::Digest,
    );
    let a = act(&s.office.sign);
    let dp = deposit(&s, &a, &p, "COMMANDEMENT_DE_PAYER", "REBOND").await;
    let db = deposit(&s, &a, &bank, "SAISIE_ATTRIBUTION", "REBOND-LOT").await;
    notify::enqueue_new(&s.h.vault).await.unwrap();
    // The relay refuses the mailbox (550): final at once, no retry. The gateway fails (503):
    // retried once, then final.
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (0, 1));
    s.h.clock
        .set(tuesday_morning() + chrono::Duration::minutes(10));
    assert_eq!(notify::send_due(&s.h.vault).await.unwrap(), (0, 2));
    assert!(s.smtp.messages().unwrap().is_empty());
    assert!(s.sms.received().is_empty());

    let events = feed(&s).await;
    let failures: Vec<(Option<String>, String)> = events
        .iter()
        .filter(|e| e.event == "ConsignmentNotificationFailure")
        .map(|e| (e.deposit_id.clone(), e.message.clone()))
        .collect();
    assert_eq!(failures.len(), 3, "{events:?}");
    assert!(failures.contains(&(
        Some(dp.clone()),
        "Échec de l'envoi du mail d'alerte au destinataire Luc BERNARD : refusé définitivement \
         par le serveur (550) ; vérifiez ses coordonnées"
            .to_owned()
    )));
    assert!(failures.contains(&(
        Some(dp.clone()),
        "Échec de l'envoi du SMS d'alerte au destinataire Luc BERNARD après 2 tentative(s)"
            .to_owned()
    )));
    assert!(failures.contains(&(
        Some(db.clone()),
        "Échec de l'envoi du mail récapitulatif d'alerte au destinataire BANQUE FERMEE : refusé \
         définitivement par le serveur (550) ; vérifiez ses coordonnées"
            .to_owned()
    )));
}

#[test]
fn the_operator_sets_notices_by_command_and_by_import() {
    use std::process::Command;
    const BIN: &str = env!("CARGO_BIN_EXE_sceau-vault");
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| Command::new(BIN).args(args).output().unwrap();
    let data = dir.path().join("data");
    let ca =
        sceau_testsupport::pki::TestCa::new("AC", sceau_testsupport::pki::KeySpec::EcP256).unwrap();
    let (ca_pem, _) = ca.identity.write_pem(dir.path(), "ca").unwrap();
    let out = run(&[
        "init",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--client-ca",
        ca_pem.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let csv = dir.path().join("d.csv");
    std::fs::write(
        &csv,
        "kind;name;siret;email;notices\n\
         bank;BANQUE TEST;73282932000074;a@banque.test;digest\n\
         person;Marie MARTIN;;m@exemple.test;\n",
    )
    .unwrap();
    let out = run(&[
        "recipients",
        "--config",
        &config,
        "import",
        csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let notices = |id: &str| {
        let cfg = Config::load(std::path::Path::new(&config)).unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = rt.block_on(sceau_vault::OperatorStore::open(cfg)).unwrap();
        let id = id.to_owned();
        tx(store.meta.as_ref(), move |sql| {
            Notices::of_recipient(sql, &id)
        })
        .unwrap()
    };
    assert_eq!(notices("siret-73282932000074"), Notices::Digest);
    let out = run(&[
        "recipient",
        "--config",
        &config,
        "notices",
        "siret-73282932000074",
        "api_only",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "destinataire siret-73282932000074 : aucun avis, actes mis à disposition par l'API, pour \
         les dépôts à venir"
    );
    assert_eq!(notices("siret-73282932000074"), Notices::ApiOnly);
    // A re-import without the field keeps the setting.
    let out = run(&[
        "recipients",
        "--config",
        &config,
        "import",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        notices("siret-73282932000074"),
        Notices::Digest,
        "the file says digest"
    );
    std::fs::write(
        &csv,
        "kind;name;siret;email\nbank;BANQUE TEST;73282932000074;a@banque.test\n",
    )
    .unwrap();
    run(&[
        "recipients",
        "--config",
        &config,
        "notices",
        "siret-73282932000074",
        "api_only",
    ]);
    let out = run(&[
        "recipients",
        "--config",
        &config,
        "import",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(notices("siret-73282932000074"), Notices::ApiOnly, "kept");
    // Clear French refusals.
    let out = run(&[
        "recipients",
        "--config",
        &config,
        "notices",
        "personne",
        "digest",
    ]);
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "erreur (unknown_recipient) : Destinataire inconnu."
    );
    let out = run(&["recipients", "--config", &config, "notices", "x", "hebdo"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("avis « hebdo » inconnu : per_act"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&csv, "kind;name;email;notices\nbank;B;b@b.test;souvent\n").unwrap();
    let out = run(&[
        "recipients",
        "--config",
        &config,
        "import",
        csv.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ligne 2 : avis « souvent » inconnu"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two instances queue and send at the same moments, several times over: a person still gets
/// one e-mail and one SMS per act, a digest bank one digest, and each deposit its records once
/// (the queue's creation is serialised, each send is a claim only one instance wins).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_send_each_notice_once() {
    let s = side(Backend::Scaled, SmtpOptions::default(), 0, |cfg| {
        cfg.notify.digest_window_minutes = 10;
    })
    .await;
    let second = s.h.second_instance().await;
    let first = s.h.vault.clone();
    let person = recipient(
        &s.h,
        "marie",
        sceau_proto::RecipientKind::Person,
        "Marie MARTIN",
        Some("marie@exemple.test"),
        Some("+33612345678"),
        Notices::PerAct,
    );
    let bank = digest_bank(&s.h);
    let people = deposits(&s, &person, "PERS", 12).await;
    let lot = deposits(&s, &bank, "LOT", 12).await;
    for _ in 0..3 {
        let (a, b) = tokio::join!(notify::enqueue_new(&first), notify::enqueue_new(&second));
        a.unwrap();
        b.unwrap();
    }
    let mut sent = 0;
    for _ in 0..3 {
        let (a, b) = tokio::join!(notify::send_due(&first), notify::send_due(&second));
        sent += a.unwrap().0 + b.unwrap().0;
    }
    assert_eq!(sent, 24, "12 e-mails and 12 SMS, each sent by one instance");
    s.h.clock
        .set(tuesday_morning() + chrono::Duration::minutes(10));
    for _ in 0..3 {
        let (a, b) = tokio::join!(notify::send_due(&first), notify::send_due(&second));
        sent += a.unwrap().0 + b.unwrap().0;
    }
    assert_eq!(sent, 25, "and one digest");
    let mails = s.smtp.wait_for(13).unwrap();
    assert_eq!(mails.len(), 13, "12 e-mails to the person and one digest");
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.rcpt_tos == ["significations@banque.test"])
            .count(),
        1
    );
    assert_eq!(s.sms.wait_for(12).len(), 12);
    for d in &people {
        assert_eq!(
            records(&s.h, d).len(),
            2,
            "e-mail and SMS recorded once each"
        );
    }
    for d in &lot {
        assert_eq!(records(&s.h, d).len(), 1, "the digest recorded once");
    }
    // Nothing is left to send, by either.
    let (a, b) = tokio::join!(notify::send_due(&first), notify::send_due(&second));
    assert_eq!((a.unwrap(), b.unwrap()), ((0, 0), (0, 0)));
    assert!(matches!(
        on_plain_thread(|| sceau_vault::journal::verify(first.meta.as_ref()).unwrap()),
        sceau_vault::journal::Verification::Intact { .. }
    ));
}
