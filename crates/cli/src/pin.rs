//! Getting the PIN: from `--pin-file`, `SCEAU_PIN`, or typed on the terminal without echo.

use std::io::IsTerminal;

use sceau_token::{FinalTry, Pin, TokenInfo};

use crate::output::CliError;
use crate::Cli;

/// Environment variable holding the PIN for automation. Risk: the environment of a process can
/// be read by the same user (e.g. /proc on Linux); prefer a protected `--pin-file`.
pub const ENV_PIN: &str = "SCEAU_PIN";

/// Obtains the PIN for `token`, warning first when the token reports few tries left.
pub fn obtain(cli: &Cli, token: &TokenInfo) -> Result<(Pin, FinalTry), CliError> {
    if token.pin.locked {
        return Err(sceau_token::Error::PinLocked.into());
    }
    let mut final_try = if cli.confirm_final_try {
        FinalTry::Confirmed
    } else {
        FinalTry::Refuse
    };
    let interactive = std::io::stdin().is_terminal();
    if token.pin.final_try {
        eprintln!("Attention : il ne reste qu'UN SEUL essai de code PIN pour la clé « {} ». Une erreur la bloquerait.", token.label);
    } else if token.pin.count_low {
        eprintln!("Attention : un code PIN erroné a déjà été saisi pour la clé « {} » ; il reste peu d'essais.", token.label);
    }
    if token.pin.pin_pad {
        eprintln!("Saisissez le code PIN sur le clavier du lecteur.");
        return Ok((Pin::new(""), final_try));
    }
    let pin = if let Some(path) = &cli.pin_file {
        refuse_exposed(path)?;
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::input(
                "pin.file_unreadable",
                format!(
                    "Le fichier de code PIN {} est illisible ({e}).",
                    path.display()
                ),
            )
        })?;
        Pin::new(text)
    } else if let Ok(value) = std::env::var(ENV_PIN) {
        Pin::new(value)
    } else if interactive {
        let typed =
            rpassword::prompt_password(format!("Code PIN de la clé « {} » : ", token.label))
                .map_err(|e| {
                    CliError::input(
                        "pin.prompt",
                        format!("Lecture du code PIN impossible ({e})."),
                    )
                })?;
        Pin::new(typed)
    } else {
        return Err(CliError::input(
            "pin.missing",
            "Code PIN requis : lancez la commande dans un terminal, ou utilisez --pin-file (voir --help).",
        ));
    };
    if token.pin.final_try && final_try == FinalTry::Refuse && interactive && cli.pin_file.is_none()
    {
        let answer = rpassword::prompt_password("Confirmez-vous cet essai ? Tapez OUI : ")
            .unwrap_or_default();
        if answer.trim() == "OUI" {
            final_try = FinalTry::Confirmed;
        }
    }
    Ok((pin, final_try))
}

/// Refuses a PIN file other users could read (or change): only its owner may have rights on
/// it. On Windows the file's access list is the user profile's, private by default.
#[cfg(unix)]
fn refuse_exposed(path: &std::path::Path) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| {
            CliError::input(
                "pin.file_unreadable",
                format!(
                    "Le fichier de code PIN {} est illisible ({e}).",
                    path.display()
                ),
            )
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(CliError::input(
            "pin.file_exposed",
            format!(
                "Le fichier de code PIN {p} est accessible à d'autres utilisateurs (droits {:o}) : \
                 réservez-le à votre compte (chmod 600 {p}) puis relancez la commande.",
                mode & 0o777,
                p = path.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_exposed(_: &std::path::Path) -> Result<(), CliError> {
    Ok(())
}
