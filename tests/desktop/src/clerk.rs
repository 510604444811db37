//! What a clerk does again and again in the window, shared by the window's tests: the first
//! connection, the service form up to the nature, and a whole service through its recap.

use anyhow::Result;
use chrono::{Datelike, Duration, TimeZone, Utc, Weekday};

use crate::{Desktop, BANK_NAME, BANK_SIRET};

/// Seconds from now to the next `weekday` at 10:00 or 11:00 Paris time (09:00 UTC), at least
/// two days ahead, never a public holiday: the vault's test clock is moved there so that the
/// legal hours (CPC 664) do not depend on when the test runs.
pub fn shift_to(weekday: Weekday) -> i64 {
    let cal = sceau_core::calendar::Calendar::default();
    let mut day = (Utc::now() + Duration::days(2)).date_naive();
    while day.weekday() != weekday || cal.is_public_holiday(day) {
        day += Duration::days(1);
    }
    let at = Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN)) + Duration::hours(9);
    (at - Utc::now()).num_seconds()
}

impl Desktop {
    /// Connexion, then the declaration of the certificate (office 9991), up to the dashboard.
    /// Each screen is saved as a screenshot on the way.
    pub fn connect_first_time(&mut self) -> Result<()> {
        let pin = self.world.office.pin.clone();
        let w = &mut self.window;
        w.wait_text("#login-title", Some("Connexion"))?;
        w.wait_text(".cert-choice", Some("Jeanne DUPONT"))?;
        w.screenshot("connexion")?;
        w.type_into("#login-pin", &pin)?;
        w.click_button("Se connecter")?;
        let declaration = w.wait_text(
            "section[aria-labelledby=first-title]",
            Some("Jeanne DUPONT"),
        )?;
        anyhow::ensure!(
            declaration.contains("Déclaration de votre certificat"),
            "{declaration}"
        );
        w.type_into("#office-number", "9991")?;
        w.type_into("#office-name", "Etude 9991")?;
        w.click("form label.check input[type=checkbox]")?;
        w.screenshot("premiere-connexion")?;
        w.click_button("Confirmer la déclaration")?;
        w.wait_text("#dashboard-title", Some("Tableau de bord"))?;
        w.wait_text(
            "section[data-category=awaiting_consultation] .count",
            Some("0"),
        )?;
        w.screenshot("tableau-de-bord")?;
        Ok(())
    }

    /// The service form up to the recipient (the bank, by its SIRET) and the nature; the
    /// requérant is typed unless `requerant` is `None` (then the last act's is taken back with
    /// the form's "Même requérant" button).
    pub fn fill_form_with(&mut self, reference: &str, requerant: Option<&str>) -> Result<()> {
        let w = &mut self.window;
        w.click_button("SIGNIFICATION D'ACTES")?;
        w.wait_text("#signify-title", None)?;
        w.type_into("#sig-reference", reference)?;
        match requerant {
            Some(r) => w.type_into("#sig-requerant", r)?,
            None => w.click_button_containing("Même requérant que l'acte précédent")?,
        }
        w.type_into("#rs-query", BANK_SIRET)?;
        w.click_button("Rechercher")?;
        w.wait_text("button.link", Some(BANK_NAME))?;
        w.click_button_containing(BANK_NAME)?;
        w.wait_text(".recipient-card", Some(BANK_NAME))?;
        w.select("#sig-nature", "SAISIE_ATTRIBUTION")?;
        Ok(())
    }

    /// [`Desktop::fill_form_with`] with the requérant "SA CRÉANCIÈRE".
    pub fn fill_form(&mut self, reference: &str) -> Result<()> {
        self.fill_form_with(reference, Some("SA CRÉANCIÈRE"))
    }

    /// "Signifier", the recap checked to name `reference`, then "Confirmer et signifier".
    pub fn confirm_service(&mut self, reference: &str) -> Result<()> {
        let w = &mut self.window;
        w.click_button("Signifier")?;
        w.wait_text("[data-recap=reference]", Some(reference))?;
        w.click_button("Confirmer et signifier")?;
        Ok(())
    }

    /// The form filled for a service of `act` (a PDF made by the world) to the bank: recipient,
    /// nature, the act dropped on the window, the PIN — everything but "Signifier".
    pub fn prepare_service(
        &mut self,
        reference: &str,
        requerant: Option<&str>,
        act: &str,
    ) -> Result<()> {
        self.fill_form_with(reference, requerant)?;
        let act = self.world.act(act);
        self.window.drop_files(&[&act])?;
        let name = act
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.window.wait_text("fieldset.documents", Some(&name))?;
        let pin = self.world.office.pin.clone();
        self.window.type_into("#sig-pin", &pin)
    }

    /// "Signifier", the recap, "Confirmer et signifier"; returns once the six steps show.
    pub fn start_service(&mut self, reference: &str) -> Result<()> {
        self.confirm_service(reference)?;
        self.window.wait_text(
            &format!("[data-reference='{reference}'] li[data-step='1']"),
            None,
        )?;
        Ok(())
    }

    /// A whole service: [`Desktop::prepare_service`] then [`Desktop::start_service`].
    pub fn serve(&mut self, reference: &str, requerant: Option<&str>, act: &str) -> Result<()> {
        self.prepare_service(reference, requerant, act)?;
        self.start_service(reference)
    }
}
