//! The consent flow from the office's command line: a private person added with `sceau
//! recipients add`, invited with `sceau consent invite`, consenting on the portal (codes read
//! from the real SMTP server and the SMS gateway), then served — `pdftotext` finds the consent
//! mention in the deposited PDF/A — and, once the person has revoked, refused.

use std::io::Read;
use std::process::Command;

use sceau_e2e::World;
use sceau_testsupport::portal::Invitee;

const EMAIL: &str = "lucie.bernard@exemple.fr";
const MOBILE: &str = "+33698765432";

fn add_lucie(w: &World) -> String {
    let created = w.ok(&[
        "recipients",
        "add",
        "person",
        "--civilite",
        "Mme",
        "--nom",
        "Bernard",
        "--prenoms",
        "Lucie",
        "--ne-le",
        "1990-02-14",
        "--courriel",
        EMAIL,
        "--mobile",
        "06 98 76 54 32",
        "--adresse",
        "3 place du Marché",
        "--code-postal",
        "69002",
        "--ville",
        "Lyon",
    ]);
    created["id"].as_str().unwrap().to_owned()
}

fn signify(w: &World, reference: &str, recipient: &str) -> Vec<String> {
    w.signify_args_to(reference, recipient, &w.act(&format!("{reference}.pdf")))
}

fn answer(w: &World, reponse: &str) -> String {
    let side = w.recipient_side.as_ref().unwrap();
    let client = w.portal_client();
    World::block_on(
        Invitee {
            client: &client,
            portal: format!("https://127.0.0.1:{}", side.portal_port),
            smtp: &side.smtp,
            sms: &side.sms,
            email: EMAIL,
            mobile: MOBILE,
        }
        .answer(reponse),
    )
    .unwrap()
}

#[test]
fn a_person_invited_from_the_office_consents_on_the_portal_is_served_then_revokes() {
    let mut w = World::new().unwrap();
    w.with_recipient_side().unwrap();
    w.start_vault().unwrap();
    w.connect();
    let id = add_lucie(&w);
    let status = w.ok(&["consent", "status", &id]);
    assert!(
        status["summary_fr"]
            .as_str()
            .unwrap()
            .contains("Aucun consentement"),
        "{status}"
    );
    // Not servable yet: refused before anything is signed.
    let args = signify(&w, "LUCIE-1", &id);
    let (_, _, msg) = w.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(msg.contains("consenti"), "{msg}");

    let inv = w.ok(&["consent", "invite", &id, "--nature", "SAISIE_ATTRIBUTION"]);
    assert_eq!(inv["state"], "pending", "{inv}");
    let html = answer(&w, "accepter");
    assert!(html.contains("Consentement enregistré"), "{html}");
    let status = w.ok(&["consent", "status", &id]);
    assert_eq!(status["in_force"][0], "SAISIE_ATTRIBUTION", "{status}");
    // The office's feed carries the consent, naming the person; a sync reports it.
    let synced = w.ok(&["sync"]);
    let told = synced["consents"].to_string();
    assert!(told.contains("Consentement de BERNARD Lucie"), "{synced}");
    assert_eq!(status["invitations"][0]["state"], "accepted", "{status}");

    // Served now; the deposited PDF/A carries the consent mention (pdftotext, not ours).
    let out = w.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let deposit = &out["deposit"]["receipt"];
    let archive = w.dir.path().join("archive.zip");
    w.ok(&[
        "vault",
        "get",
        deposit["archive_path"].as_str().unwrap(),
        "--out",
        archive.to_str().unwrap(),
    ]);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&archive).unwrap()).unwrap();
    let act_name = out["documents"][0].as_str().unwrap();
    let mut pdf = Vec::new();
    zip.by_name(act_name)
        .unwrap()
        .read_to_end(&mut pdf)
        .unwrap();
    let pdf_path = w.dir.path().join("depose.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let text = Command::new("pdftotext")
        .arg(&pdf_path)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout).replace('\n', " ");
    for part in ["consenti", "662-1", "748-1"] {
        assert!(text.contains(part), "{part}: {text}");
    }

    // The person revokes: the next service is refused, with the reason.
    let html = answer(&w, "revoquer");
    assert!(html.contains("Consentement révoqué"), "{html}");
    let synced = w.ok(&["sync"]);
    assert!(
        synced["consents"].to_string().contains("révoqué"),
        "{synced}"
    );
    let args = signify(&w, "LUCIE-2", &id);
    let (_, _, msg) = w.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(msg.contains("révoqué"), "{msg}");
}
