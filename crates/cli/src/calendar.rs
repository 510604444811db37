//! `sceau calendar`: the public holidays of a place and CPC 664 at an instant in its local time
//! (`sceau_app::calendar`). Works without a vault, a key or a store.

use std::process::ExitCode;

use clap::Subcommand;
use sceau_app::calendar::{self, HoursCheck};

use crate::output::{CliError, Out};

/// `sceau calendar ...`
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Jours fériés d'un département ou d'une collectivité d'outre-mer pour une année.
    Holidays {
        /// Code du département ou de la collectivité : 01 à 95, 2A, 2B, 971 à 978.
        #[arg(long, value_name = "CODE")]
        region: String,
        /// Année (2000 à 2100).
        #[arg(long, value_name = "AAAA")]
        year: i32,
    },
    /// Une signification est-elle permise à cet instant, à l'heure locale du lieu (article 664
    /// du code de procédure civile : 6 h – 21 h, ni dimanche ni jour férié) ? Les horaires de
    /// réception propres à un destinataire sont ceux du coffre-fort : voir « sceau recipients
    /// show ID --nature C ».
    Check {
        /// Code du département ou de la collectivité : 01 à 95, 2A, 2B, 971 à 978.
        #[arg(long, value_name = "CODE")]
        region: String,
        /// Instant, RFC 3339 (par exemple 2027-05-22T20:30:00-04:00).
        #[arg(long, value_name = "RFC3339")]
        at: String,
    },
}

/// Runs `sceau calendar`.
pub fn run(cmd: &CalendarCommand, out: &Out) -> Result<ExitCode, CliError> {
    match cmd {
        CalendarCommand::Holidays { region, year } => holidays(region, *year, out),
        CalendarCommand::Check { region, at } => check(region, at, out),
    }
}

fn holidays(code: &str, year: i32, out: &Out) -> Result<ExitCode, CliError> {
    let region = calendar::region(code)?;
    if !calendar::YEARS.contains(&year) {
        return Err(CliError::input(
            "calendar.year",
            format!(
                "L'année {year} n'est pas prise en charge : indiquez une année de {} à {}.",
                calendar::YEARS.start(),
                calendar::YEARS.end()
            ),
        ));
    }
    let days = calendar::holidays(&region, year);
    out.emit(&days, || {
        let mut text = format!(
            "Jours fériés {year} — {} ({}) :\n",
            region.name_fr(),
            region.code()
        );
        for d in &days {
            text.push_str(&format!("{} {}\n", d.date.format("%d/%m/%Y"), d.name));
        }
        text
    });
    Ok(ExitCode::SUCCESS)
}

fn check(code: &str, at: &str, out: &Out) -> Result<ExitCode, CliError> {
    let region = calendar::region(code)?;
    let instant = chrono::DateTime::parse_from_rfc3339(at.trim()).map_err(|_| {
        CliError::input(
            "calendar.instant",
            format!(
                "« {} » n'est pas un instant RFC 3339 (par exemple 2027-05-22T20:30:00-04:00 \
                 ou 2027-05-22T18:30:00Z).",
                at.chars().take(60).collect::<String>()
            ),
        )
    })?;
    let answer = calendar::check(&region, instant.with_timezone(&chrono::Utc));
    out.emit(&answer, || text(&answer));
    Ok(ExitCode::SUCCESS)
}

fn text(c: &HoursCheck) -> String {
    let local = |rfc: &str| {
        chrono::DateTime::parse_from_rfc3339(rfc)
            .map(|t| t.format("%d/%m/%Y %H:%M:%S").to_string())
            .unwrap_or_else(|_| rfc.to_owned())
    };
    let head = format!(
        "{} ({}), heure locale {} ({}) : ",
        c.region_name,
        c.region,
        local(&c.at),
        c.time_zone
    );
    match (&c.reason, c.allowed) {
        (_, true) => format!("{head}signification permise.\n"),
        (Some(reason), false) => format!("{head}signification impossible.\n{reason}\n"),
        (None, false) => format!("{head}signification impossible.\n"),
    }
}
