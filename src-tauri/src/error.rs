//! Errors as the window receives them: `{code, message}` (the app's stable code and French
//! message). The shell's one error type is the transport type [`ApiError`]; it adds only the
//! few refusals of its own (`desktop.*`).

pub use crate::dto::ApiError;

/// Result of a command.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<sceau_app::Error> for ApiError {
    fn from(e: sceau_app::Error) -> Self {
        // The detail goes to the log at debug level; the window gets the French message.
        tracing::debug!(error = %e, "command failed");
        ApiError {
            code: e.code(),
            message: e.message_fr(),
        }
    }
}

/// A refusal of the shell with its French message.
pub fn input(code: &str, message: String) -> ApiError {
    ApiError {
        code: code.to_owned(),
        message,
    }
}

/// A failure of the shell itself (a task that died, the window gone).
pub fn internal(what: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %what, "internal failure");
    ApiError {
        code: "desktop.internal".into(),
        message: "Une erreur interne est survenue dans l'application. Réessayez ; si elle \
                  persiste, redémarrez l'application."
            .into(),
    }
}
