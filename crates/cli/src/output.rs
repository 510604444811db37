//! Output in French text or JSON, errors with a stable code, and exit codes.

use std::process::ExitCode;

use serde::Serialize;

/// Exit code: a signature was checked and is not valid.
pub const EXIT_INVALID: u8 = 1;
/// Exit code: bad input (file, argument, configuration).
pub const EXIT_INPUT: u8 = 2;
/// Exit code: key, module or PIN problem.
pub const EXIT_TOKEN: u8 = 3;
/// Exit code: a remote service (time-stamping) failed.
pub const EXIT_REMOTE: u8 = 4;
/// Exit code: anything else.
pub const EXIT_INTERNAL: u8 = 5;

/// An error as the CLI reports it: a stable code, a French message, an exit code.
#[derive(Debug)]
pub struct CliError {
    /// Stable machine-readable code.
    pub code: String,
    /// French message for the user.
    pub message: String,
    /// Process exit code.
    pub exit: u8,
}

impl CliError {
    /// An input error (exit code 2).
    pub fn input(code: &str, message: impl Into<String>) -> Self {
        CliError {
            code: code.into(),
            message: message.into(),
            exit: EXIT_INPUT,
        }
    }
}

/// The one exit-code table: an error's code (unique in the workspace: the application's
/// error-vocabulary test checks it) decides the exit code, the longest matching prefix winning.
/// Codes the table does not know are internal errors.
const EXIT_BY_CODE: &[(&str, u8)] = &[
    ("token.", EXIT_TOKEN),
    ("cades.tsa_", EXIT_REMOTE),
    ("cades.malformed", EXIT_INPUT),
    ("cades.io", EXIT_INPUT),
    ("cades.", EXIT_INTERNAL),
    ("client.", EXIT_REMOTE),
    ("vault.", EXIT_REMOTE),
    ("app.no_vault", EXIT_REMOTE),
    ("app.internal", EXIT_INTERNAL),
    ("app.", EXIT_INPUT),
    ("store.", EXIT_INPUT),
    ("pdfa.", EXIT_INPUT),
    ("hours.", EXIT_INPUT),
];

/// What the CLI adds to a message meant for the window too: the command to run (the window's
/// messages never name one).
const HINTS: &[(&str, &str)] = &[
    ("app.never_connected", "Commande : sceau connect."),
    ("client.not_bound", "Commande : sceau connect."),
    (
        "app.duplicate_reference",
        "La file d'envoi : sceau outbox list.",
    ),
    (
        "app.deposit_refused",
        "La file d'envoi : sceau outbox list (puis sceau outbox cancel).",
    ),
    (
        "app.recipient_not_cached",
        "Recherche : sceau recipients search.",
    ),
    (
        "app.recipient_duplicate",
        "Fiche : sceau recipients search NOM, puis sceau recipients show ID.",
    ),
];

/// The exit code of an error `code` ([`EXIT_BY_CODE`]).
pub fn exit_code(code: &str) -> u8 {
    EXIT_BY_CODE
        .iter()
        .filter(|(prefix, _)| code.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or(EXIT_INTERNAL, |(_, exit)| *exit)
}

impl CliError {
    /// An error of a library crate: its code and French message, the exit code from the table,
    /// and the CLI's hint if it has one.
    fn coded(code: String, message: String) -> Self {
        let message = match HINTS.iter().find(|(c, _)| *c == code) {
            Some((_, hint)) => format!("{message} {hint}"),
            None => message,
        };
        CliError {
            exit: exit_code(&code),
            code,
            message,
        }
    }
}

impl From<sceau_token::Error> for CliError {
    fn from(e: sceau_token::Error) -> Self {
        tracing::debug!(error = %e, "token error");
        CliError::coded(e.code().into(), e.message_fr())
    }
}

impl From<sceau_cades::Error> for CliError {
    fn from(e: sceau_cades::Error) -> Self {
        tracing::debug!(error = %e, "signature error");
        // A token failure during signing travels inside the signature error: report it as such.
        if let sceau_cades::Error::Signing(inner) = &e {
            if let Some(t) = std::error::Error::source(inner)
                .and_then(|s| s.downcast_ref::<sceau_token::Error>())
            {
                return CliError::coded(t.code().into(), t.message_fr());
            }
        }
        CliError::coded(e.code().into(), e.message_fr())
    }
}

impl From<sceau_app::Error> for CliError {
    fn from(e: sceau_app::Error) -> Self {
        tracing::debug!(error = %e, "application error");
        CliError::coded(e.code(), e.message_fr())
    }
}

/// Where results go: text for people, JSON for scripts.
pub struct Out {
    json: bool,
}

impl Out {
    /// Output in JSON when `json`.
    pub fn new(json: bool) -> Self {
        Out { json }
    }

    /// Whether the output is JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints `value` as JSON, or `text()` for people.
    pub fn emit<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            // Written as it is encoded: a report of thousands of lines is not held twice.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = serde_json::to_writer_pretty(&mut out, value)
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    use std::io::Write;
                    writeln!(out)
                        .and_then(|()| out.flush())
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = written {
                eprintln!("sortie JSON impossible : {e}");
            }
        } else {
            print!("{}", text());
        }
    }

    /// Reports `e` and returns its exit code. The message always goes to stderr; with `--json`
    /// an error object also goes to stdout so scripts can branch on its code.
    pub fn error(&self, e: &CliError) -> ExitCode {
        eprintln!("Erreur : {}", e.message);
        if self.json {
            let v = serde_json::json!({ "error": { "code": e.code, "message": e.message } });
            println!("{v}");
        }
        ExitCode::from(e.exit)
    }
}

/// Date and time as a clerk reads them: Europe/Paris, `dd/mm/yyyy hh:mm:ss`.
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_follows_the_longest_prefix_of_the_code() {
        assert_eq!(exit_code("token.wrong_pin"), EXIT_TOKEN);
        assert_eq!(exit_code("cades.tsa_unreachable"), EXIT_REMOTE);
        assert_eq!(exit_code("cades.malformed"), EXIT_INPUT);
        assert_eq!(exit_code("cades.encoding"), EXIT_INTERNAL);
        assert_eq!(exit_code("vault.closed"), EXIT_REMOTE);
        assert_eq!(exit_code("app.no_vault"), EXIT_REMOTE);
        assert_eq!(exit_code("app.bad_name"), EXIT_INPUT);
        assert_eq!(exit_code("app.internal"), EXIT_INTERNAL);
        assert_eq!(exit_code("pdfa.corrupt"), EXIT_INPUT);
        assert_eq!(exit_code("hours.unknown_region"), EXIT_INPUT);
        assert_eq!(exit_code("unheard.of"), EXIT_INTERNAL);
    }

    #[test]
    fn the_cli_adds_its_command_to_a_message_that_names_none() {
        let e = CliError::from(sceau_app::Error::NeverConnected);
        assert_eq!(e.code, "app.never_connected");
        assert!(!sceau_app::Error::NeverConnected
            .message_fr()
            .contains("sceau "));
        assert!(
            e.message.ends_with("Commande : sceau connect."),
            "{}",
            e.message
        );
    }
}
