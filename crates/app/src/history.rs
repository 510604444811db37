//! "Exporter l'historique": a service's detail and history as a PDF/A-1b the office files or
//! prints (`sceau_pdfa::render`), from the workstation's record — no vault call.

use chrono::{DateTime, Utc};
use sceau_core::naming::format_paris;

use crate::office::{nature_label, write, Destination, Saved};
use crate::{App, Error, Result, ServiceView};

/// The name under which a service's history is saved: `<reference>_HISTORIQUE.pdf`.
pub fn history_file_name(reference: &str) -> String {
    format!("{}_HISTORIQUE.pdf", sceau_core::naming::sanitize(reference))
}

/// The history of `v` as PDF/A-1b: the service's facts, then one line per event.
pub fn render_history(v: &ServiceView, office_name: &str, at: DateTime<Utc>) -> Result<Vec<u8>> {
    use sceau_pdfa::render::{Block, TextDocument};
    let mut facts = vec![
        ("Référence".to_owned(), v.reference.clone()),
        ("Destinataire".to_owned(), v.recipient_name.clone()),
        ("Nature de l'acte".to_owned(), nature_label(&v.nature)),
        ("État".to_owned(), v.state_fr.clone()),
        ("Préparée le".to_owned(), format_paris(v.created_at)),
    ];
    if let Some(s) = v.served_at {
        facts.push(("Signifiée le".to_owned(), format_paris(s)));
    }
    if let Some(d) = &v.deposit_id {
        facts.push(("Dépôt".to_owned(), d.clone()));
    }
    for (name, _) in &v.documents {
        facts.push(("Acte".to_owned(), name.clone()));
    }
    let lines = if v.history.is_empty() {
        vec![Block::Paragraph("Aucun évènement enregistré.".into())]
    } else {
        vec![Block::Table(
            v.history
                .iter()
                .map(|(t, m)| (format_paris(*t), m.clone()))
                .collect(),
        )]
    };
    let mut blocks = vec![
        Block::Paragraph(format!(
            "Historique exporté le {} (heure de Paris) par {office_name}.",
            format_paris(at)
        )),
        Block::Table(facts),
        Block::Heading("Historique".into()),
    ];
    blocks.extend(lines);
    let doc = TextDocument {
        title: format!("Historique de la signification {}", v.reference),
        author: office_name.to_owned(),
        blocks,
    };
    sceau_pdfa::render::render(&doc, at).map_err(|source| Error::Conversion {
        file: "historique".into(),
        source,
    })
}

impl App {
    /// Saves the history of service `key` as PDF/A-1b (`<reference>_HISTORIQUE.pdf`).
    pub async fn save_history(&self, key: &str, to: &Destination) -> Result<Saved> {
        let view = self.show(key, None).await?;
        let (_, office_name) = self.office()?;
        let pdf = render_history(&view, &office_name, Utc::now())?;
        let file = to.file(&history_file_name(&view.reference))?;
        write(&file, &pdf)?;
        Ok(Saved {
            path: file,
            size: pdf.len() as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn view(history: Vec<(DateTime<Utc>, String)>) -> ServiceView {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 23, 9, 15, 0)
            .single()
            .expect("date");
        ServiceView {
            id: 1,
            reference: "REF-JOUR-1".into(),
            recipient_id: "r1".into(),
            recipient_name: "BANQUE TEST".into(),
            nature: "SAISIE_ATTRIBUTION".into(),
            state: None,
            state_fr: "Remis à personne".into(),
            created_at: at,
            served_at: Some(at),
            deposit_id: Some("dep-1".into()),
            documents: vec![("pv-saisie.pdf".into(), 1234)],
            history,
            outbox_state: None,
            archive: None,
            delivery_notice_file: None,
            return_file: None,
            vault: None,
        }
    }

    #[test]
    fn the_history_is_a_pdfa_with_the_facts_and_every_event_in_paris_time() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 23, 9, 15, 0)
            .single()
            .expect("date");
        let v = view(vec![
            (
                at,
                "Dépôt effectué dans le coffre-fort du destinataire".into(),
            ),
            (
                at + chrono::Duration::minutes(65),
                "Acte consulté : remis à personne".into(),
            ),
        ]);
        let pdf = render_history(&v, "Etude 9991", at).expect("render");
        let verdict = sceau_pdfa::check_pdfa1b(&pdf);
        assert!(verdict.conformant, "{:?}", verdict.violations);
        let text = sceau_pdfa::plain_text(&pdf).expect("text");
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for part in [
            "REF-JOUR-1",
            "BANQUE TEST",
            "Remis à personne",
            "23/11/2026 10:15:00",
            "23/11/2026 11:20:00",
            "remis à personne",
        ] {
            assert!(flat.contains(part), "{part} not in {flat}");
        }
        let empty = render_history(&view(vec![]), "Etude 9991", at).expect("render");
        let flat = sceau_pdfa::plain_text(&empty).expect("text");
        assert!(flat.contains("Aucun"), "{flat}");
    }

    #[test]
    fn the_file_name_cannot_leave_the_folder() {
        let name = history_file_name("../../etc/REF 1");
        assert!(name.ends_with("_HISTORIQUE.pdf"), "{name}");
        assert!(!name.contains('/') && !name.contains(".."), "{name}");
    }
}
