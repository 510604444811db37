//! The application service against a vault in process (fixed clock) and a SoftHSM office key:
//! reception hours and scheduling, which the cross-process tests cannot do on the real clock.
//! Run with nextest (one process per test): SoftHSM reads its configuration from the
//! environment.
#![allow(clippy::unwrap_used, missing_docs)]

mod choices;
mod drafts;
mod errors;
mod faces;
mod gaps;
mod transfer;

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use sceau_app::{App, Config, Credentials, KeyChoice, NewOffice, ServeRequest};
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_testsupport::softhsm::{self, OfficeSpec, SoftHsm};
use sceau_token::{FinalTry, Pin};
use sceau_vault::config::FixedClock;

/// A Paris wall-clock time on the first `weekday` at least two days from now (not a holiday).
/// BANQUE TEST receives garnishments on weekday mornings only (08:00–12:00).
fn weekday_mornings_for_garnishments(v: &sceau_vault::Vault) {
    sceau_vault::admin::set_rule(
        v.meta.as_ref(),
        "banque-test",
        "SAISIE_ATTRIBUTION",
        &sceau_core::hours::ReceptionRule {
            windows: vec![
                sceau_vault::admin::parse_window("mon,tue,wed,thu,fri 08:00-12:00").unwrap(),
            ],
        },
    )
    .unwrap();
}

fn next(weekday: Weekday, hour: u32) -> DateTime<Utc> {
    let cal = sceau_core::calendar::Calendar::default();
    let mut day = (Utc::now() + Duration::days(2)).date_naive();
    while day.weekday() != weekday || cal.is_public_holiday(day) {
        day += Duration::days(1);
    }
    sceau_core::PARIS
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

struct World {
    _env: sceau_testsupport::softhsm::Activation<'static>,
    _dir: tempfile::TempDir,
    hsm: SoftHsm,
    /// The office CA (to issue more certificates onto the token).
    ca: TestCa,
    /// The office's token.
    office: sceau_testsupport::softhsm::OfficeToken,
    app: App,
    cred: Credentials,
    clock: Arc<FixedClock>,
    vault: Arc<sceau_vault::Vault>,
    act: std::path::PathBuf,
    office_id: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for World {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn world(at: DateTime<Utc>) -> World {
    world_with(at, false).await
}

/// A world whose office applies the Alsace-Moselle calendar when `alsace_moselle`.
async fn world_with(at: DateTime<Utc>, alsace_moselle: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let hsm = SoftHsm::new().unwrap();
    let env = hsm.activate();
    let ca = TestCa::new("AC (app)", KeySpec::EcP256).unwrap();
    let office = hsm
        .office_token(&ca, &OfficeSpec::demo("Etude9991", KeySpec::EcP256))
        .unwrap();
    let (ca_pem, _) = ca.identity.write_pem(dir.path(), "office-ca").unwrap();
    let data = dir.path().join("vault");
    let cfg = sceau_vault::init(
        &data,
        "127.0.0.1:0",
        &["127.0.0.1".into()],
        vec![ca_pem.clone()],
    )
    .unwrap();
    let config = sceau_vault::config::Config::load(&cfg).unwrap();
    let clock = Arc::new(FixedClock::new(at));
    let vault = sceau_vault::Vault::open(config, clock.clone(), Arc::new(sceau_vault::SceauPdfa))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let tls = vault.tls_config().unwrap();
    let app_router = sceau_vault::app(vault.clone());
    let server = tokio::spawn(async move {
        let _ = sceau_vault::serve(listener, tls, app_router).await;
    });
    let v = vault.clone();
    tokio::task::block_in_place(|| {
        use sceau_vault::store::meta::RecipientRow;
        let row = RecipientRow {
            id: "banque-test".into(),
            kind: sceau_proto::RecipientKind::Bank,
            name: "BANQUE TEST".into(),
            siret: Some("73282932000074".into()),
            siren: Some("732829320".into()),
            nir: None,
            email: None,
            phone_fixed: None,
            phone_mobile: None,
        };
        sceau_vault::store::sql::tx(v.meta.as_ref(), |sql| {
            sceau_vault::store::meta::upsert_recipient(sql, &row)
        })
        .unwrap();
        // The operator declares the office (`sceau-vault office add`).
        sceau_vault::admin::declare_office(
            v.meta.as_ref(),
            &v.config,
            "9991",
            "Jeanne DUPONT",
            &ca_pem,
            None,
            at,
        )
        .unwrap();
        sceau_vault::admin::add_consent(
            v.meta.as_ref(),
            "banque-test",
            sceau_vault::admin::NatureChoice::Every,
            sceau_core::paris_day_start(chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap()),
            None,
            "convention",
            chrono::Utc::now(),
        )
        .unwrap();
    });
    let app = App::open(Config {
        data_dir: dir.path().join("poste"),
        vault_url: Some(format!("https://127.0.0.1:{port}")),
        vault_ca: Some(data.join("vault-ca.crt.pem")),
        module: softhsm::module_path().unwrap(),
        token: Some(office.label.clone()),
        key: KeyChoice::InsecureFileForTests(dir.path().join("store.key")),
        alsace_moselle,
    })
    .unwrap();
    let cred = Credentials {
        pin: Pin::new(&office.pin),
        final_try: FinalTry::Refuse,
    };
    let conn = app
        .connect(
            &cred,
            &NewOffice {
                number: "9991".into(),
                name: "Etude 9991".into(),
            },
            |_| true,
        )
        .await
        .unwrap();
    let act = dir.path().join("acte.pdf");
    std::fs::write(
        &act,
        sceau_testsupport::corpus::simple_pdf(
            "Acte",
            &[
                "Le destinataire a consenti a la signification par voie electronique,",
                "articles 662-1 et 748-1 du code de procedure civile.",
            ],
        ),
    )
    .unwrap();
    World {
        _env: env,
        _dir: dir,
        hsm,
        ca,
        office,
        app,
        cred,
        clock,
        vault,
        act,
        office_id: conn.office.id,
        server,
    }
}

/// A service with the form's default options, the test's PIN and no progress report.
async fn serve(w: &World, req: &ServeRequest) -> sceau_app::Result<sceau_app::ServeOutcome> {
    w.app
        .serve(
            req,
            &sceau_app::ServeOptions::default(),
            &w.cred,
            sceau_app::ignore(),
        )
        .await
}

fn request(w: &World, reference: &str) -> ServeRequest {
    ServeRequest {
        reference: reference.into(),
        recipient: "73282932000074".into(),
        nature: "SAISIE_ATTRIBUTION".into(),
        files: vec![w.act.clone()],
        requerant: "SA CREANCIER".into(),
        judge_permission: None,
        preview_dir: None,
        offline: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sunday_the_act_is_scheduled_for_monday_six_and_not_sent_before() {
    let sunday = next(Weekday::Sun, 10);
    let w = world(sunday).await;
    let out = serve(&w, &request(&w, "DIM-1")).await.unwrap();
    assert!(out.deposit.is_none());
    let monday_six = sceau_core::PARIS
        .from_local_datetime(
            &(sunday.with_timezone(&sceau_core::PARIS).date_naive() + Duration::days(1))
                .and_hms_opt(6, 0, 0)
                .unwrap(),
        )
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(out.scheduled_for, Some(monday_six));
    assert!(out.queued_reason.unwrap().contains("programmé"));
    // Not due yet: nothing is sent.
    let r = w
        .app
        .send_outbox(sceau_app::Auth::Pin(&w.cred), sceau_app::ignore())
        .await
        .unwrap();
    assert!(r.sent.is_empty());
    assert_eq!(r.remaining, 1);
    assert_eq!(w.app.outbox_list().unwrap()[0].next_attempt_at, monday_six);
    let _ = (&w.clock, &w.vault);
}

/// The recipient's place travels with its card (vault → workstation cache), so that a service
/// prepared offline is checked in its calendar and time zone (issue 19).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_s_place_is_cached_with_its_card() {
    let w = world(next(Weekday::Tue, 10)).await;
    let v = w.vault.clone();
    let reunion = sceau_core::region::Region::from_code("974").unwrap();
    tokio::task::block_in_place(|| {
        sceau_vault::store::sql::tx(v.meta.as_ref(), |sql| {
            sceau_vault::store::meta::set_recipient_region(sql, "banque-test", Some(&reunion))
        })
        .unwrap()
    });
    let online = w
        .app
        .search_recipients("73282932000074", Some(sceau_app::Auth::Pin(&w.cred)))
        .await
        .unwrap();
    assert!(!online[0].from_cache);
    assert_eq!(online[0].region, Some(reunion));
    let card = w
        .app
        .recipient_card("banque-test", None, None, sceau_app::Auth::Pin(&w.cred))
        .await
        .unwrap();
    assert_eq!(card.recipient.region, Some(reunion));
    // Offline, the cached card still has it.
    let cached = w
        .app
        .search_recipients("73282932000074", None)
        .await
        .unwrap();
    assert!(cached[0].from_cache);
    assert_eq!(cached[0].region, Some(reunion));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipients_window_is_shown_with_its_next_opening() {
    let tuesday_afternoon = next(Weekday::Tue, 15);
    let w = world(tuesday_afternoon).await;
    let v = w.vault.clone();
    tokio::task::block_in_place(|| weekday_mornings_for_garnishments(&v));
    let card = w
        .app
        .recipient_card(
            "banque-test",
            Some("SAISIE_ATTRIBUTION"),
            None,
            sceau_app::Auth::Pin(&w.cred),
        )
        .await
        .unwrap();
    let rc = card.reception.unwrap();
    assert!(!rc.open);
    assert!(rc.message.unwrap().contains("08:00"));
    let wednesday_eight = sceau_core::PARIS
        .from_local_datetime(
            &(tuesday_afternoon
                .with_timezone(&sceau_core::PARIS)
                .date_naive()
                + Duration::days(1))
            .and_hms_opt(8, 0, 0)
            .unwrap(),
        )
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(rc.next_opening, Some(wednesday_eight));
    // Another nature has no window: open now.
    let card = w
        .app
        .recipient_card(
            "banque-test",
            Some("SOMMATION"),
            None,
            sceau_app::Auth::Pin(&w.cred),
        )
        .await
        .unwrap();
    assert!(card.reception.unwrap().open);
    // Serving now is scheduled for Wednesday 08:00.
    let out = serve(&w, &request(&w, "MAR-1")).await.unwrap();
    assert_eq!(out.scheduled_for, Some(wednesday_eight));
}

/// Stands in for the recipient side (built in parallel): the evidence records the vault writes
/// when a recipient consults an act in time, misses the day, or deposits a return, appended to
/// the vault's journal as the vault does. The workstation only reads them from the feed.
async fn vault_event(
    w: &World,
    deposit_id: &str,
    event: sceau_core::evidence::EvidenceEvent,
    message: &str,
) {
    use sceau_vault::journal::{append, record, Entry};
    let entry = Entry {
        record: record(
            event,
            Utc::now(),
            "banque-test",
            "9991",
            deposit_id,
            vec![],
            None,
        ),
        office_id: Some(w.office_id.clone()),
        message: message.into(),
    };
    let _guard = w.vault.commit_lock.lock().await;
    w.vault
        .db(move |sql| append(sql, std::slice::from_ref(&entry)))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_turns_the_feed_into_the_four_categories_and_the_letter() {
    use sceau_core::delivery::NotificationCategory as C;
    use sceau_core::evidence::EvidenceEvent as E;
    let w = world(next(Weekday::Tue, 10)).await;
    let mut ids = Vec::new();
    for r in ["PERS-1", "DOM-1"] {
        let out = serve(&w, &request(&w, r)).await.unwrap();
        ids.push(out.deposit.expect("deposited now").receipt.deposit_id);
    }
    let first = w
        .app
        .sync(sceau_app::Auth::Pin(&w.cred), sceau_app::ignore(), 0)
        .await
        .unwrap();
    assert_eq!(first.deliveries, 0);
    assert_eq!(w.app.dashboard_counts().unwrap().awaiting_consultation, 2);

    vault_event(
        &w,
        &ids[0],
        E::DeliveredInPerson,
        "Création de l'attestation de remise à personne",
    )
    .await;
    vault_event(
        &w,
        &ids[1],
        E::DeliveredAtHome,
        "Création de l'attestation de remise à domicile",
    )
    .await;
    vault_event(
        &w,
        &ids[0],
        E::ReturnDeposited,
        "Réponse déposée par le destinataire",
    )
    .await;
    let r = w
        .app
        .sync(sceau_app::Auth::Pin(&w.cred), sceau_app::ignore(), 0)
        .await
        .unwrap();
    assert_eq!((r.events, r.deliveries, r.returns), (3, 2, 1));
    let counts = w.app.dashboard_counts().unwrap();
    assert_eq!(counts.awaiting_consultation, 0);
    assert_eq!(counts.delivered_in_person, 1);
    assert_eq!(counts.delivered_at_home, 1);
    assert_eq!(counts.return_awaiting_consultation, 1);
    let page = w
        .app
        .dashboard_page(C::ReturnAwaitingConsultation, &Default::default(), 0)
        .unwrap();
    assert_eq!(page.items[0].reference, "PERS-1");
    // Applied once: a second sync changes nothing.
    let again = w
        .app
        .sync(sceau_app::Auth::Pin(&w.cred), sceau_app::ignore(), 0)
        .await
        .unwrap();
    assert_eq!(again.events, 0);
    assert_eq!(w.app.dashboard_counts().unwrap(), counts);

    // The plain letter only for the service delivered at home.
    assert_eq!(
        w.app.letter("PERS-1").unwrap_err().code(),
        "app.not_at_home"
    );
    let letter = w.app.letter("DOM-1").unwrap();
    assert!(letter.text.contains("DOM-1") && letter.text.contains("BANQUE TEST"));
    assert!(letter.date > Utc::now().with_timezone(&sceau_core::PARIS).date_naive());
    let shown = w.app.show("DOM-1", None).await.unwrap();
    assert_eq!(shown.state, Some(sceau_app::DeliveryState::AtHome));
    // The office's archive keeps the single XML flow the recipient is offered (arrêté of 2012,
    // art. 8): the data message and the act with its signature, built by this workstation and
    // accepted by the vault only because it rebuilt the same bytes.
    let archive = w
        .app
        .read_local_file(shown.archive.as_deref().expect("archive downloaded"))
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut flow = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name(sceau_core::flow::FLOW_NAME).unwrap(),
        &mut flow,
    )
    .unwrap();
    assert!(flow.contains("<reference>DOM-1</reference>"), "{flow}");
    assert_eq!(
        flow.matches("<document nom=").count(),
        shown.documents.len()
    );
    // One legal instant (CPC 664-1): the window's time of service is the attestation's.
    let mut attestation = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("attestation_depot.xml").unwrap(),
        &mut attestation,
    )
    .unwrap();
    let served = shown.served_at.expect("served");
    assert!(
        attestation.contains(&format!(
            "<dateDepot>{}</dateDepot>",
            served.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )),
        "{served} in {attestation}"
    );
    assert!(shown
        .history
        .iter()
        .any(|(_, m)| m == "Création de l'attestation de remise à domicile"));
}
