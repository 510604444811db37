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

impl From<sceau_token::Error> for CliError {
    fn from(e: sceau_token::Error) -> Self {
        tracing::debug!(error = %e, "token error");
        CliError {
            code: e.code().into(),
            message: e.message_fr(),
            exit: EXIT_TOKEN,
        }
    }
}

impl From<sceau_cades::Error> for CliError {
    fn from(e: sceau_cades::Error) -> Self {
        tracing::debug!(error = %e, "signature error");
        use sceau_cades::Error as E;
        // A token failure during signing travels inside the signature error: report it as such.
        if let E::Signing(inner) = &e {
            if let Some(t) = std::error::Error::source(inner)
                .and_then(|s| s.downcast_ref::<sceau_token::Error>())
            {
                return CliError {
                    code: t.code().into(),
                    message: t.message_fr(),
                    exit: EXIT_TOKEN,
                };
            }
        }
        let exit = match &e {
            E::TsaUnreachable { .. }
            | E::TsaHttp { .. }
            | E::TsaRejected { .. }
            | E::TsaInvalidResponse(_) => EXIT_REMOTE,
            E::Malformed { .. } | E::Io(_) => EXIT_INPUT,
            _ => EXIT_INTERNAL,
        };
        CliError {
            code: format!("cades.{}", cades_code(&e)),
            message: e.message_fr(),
            exit,
        }
    }
}

fn cades_code(e: &sceau_cades::Error) -> &'static str {
    use sceau_cades::Error as E;
    match e {
        E::Malformed { .. } => "malformed",
        E::Signing(_) => "signing",
        E::TsaUnreachable { .. } => "tsa_unreachable",
        E::TsaHttp { .. } => "tsa_http",
        E::TsaRejected { .. } => "tsa_rejected",
        E::TsaInvalidResponse(_) => "tsa_invalid",
        E::Io(_) => "io",
        _ => "other",
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
            match serde_json::to_string_pretty(value) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("sortie JSON impossible : {e}"),
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
