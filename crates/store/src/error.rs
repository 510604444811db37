//! The crate's one error type and its French messages.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with the local store. The French sentence for a clerk is
/// [`Error::message_fr`]; the English `Display` is for logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database exists but its key is not in the credential store: we refuse to create a new
    /// database over it (that would lose the office's data).
    #[error("the key of the local database {} is missing from the credential store", path.display())]
    KeyMissing {
        /// The database file.
        path: PathBuf,
    },
    /// The key in the credential store does not open the database (wrong key or damaged file).
    #[error("the key does not open the local database {} (wrong key or damaged file)", path.display())]
    WrongKey {
        /// The database file.
        path: PathBuf,
    },
    /// The credential store could not be used (locked, absent, access denied).
    #[error("credential store unavailable: {detail}")]
    KeyStore {
        /// What the credential store said.
        detail: String,
    },
    /// The `key_store` setting names no known credential store.
    #[error("unknown key store \"{value}\"")]
    UnknownKeyStore {
        /// The setting's value.
        value: String,
    },
    /// The credential store asked for does not exist on this system (or none is known here).
    #[error("credential store {backend:?} unavailable on {platform:?}")]
    KeyStoreUnsupported {
        /// The store asked for (`None`: the system's default, and there is none).
        backend: Option<crate::key::KeyBackend>,
        /// This system.
        platform: sceau_core::platform::Os,
    },
    /// A key read from the credential store is not 32 bytes.
    #[error("the stored database key is malformed ({len} bytes)")]
    MalformedKey {
        /// Its length.
        len: usize,
    },
    /// The database was written by a newer version of Sceau.
    #[error("database schema version {found} is newer than this program's {supported}")]
    SchemaTooNew {
        /// Version found in the file.
        found: i64,
        /// Latest version this program knows.
        supported: i64,
    },
    /// A row the operation needs does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// The kind of row ("service", "outbox item", ...).
        what: &'static str,
        /// Its identifier.
        id: String,
    },
    /// An outbox item is not in the state the transition expects (another worker moved it, or a
    /// programming error).
    #[error("outbox item {id} is {actual}, expected {expected}")]
    InvalidTransition {
        /// The outbox item.
        id: i64,
        /// The state it is in.
        actual: String,
        /// The state(s) the transition starts from.
        expected: &'static str,
    },
    /// A value read from the database is not one this program writes (damaged or foreign data).
    #[error("unexpected value in the database: {detail}")]
    Corrupt {
        /// What was found.
        detail: String,
    },
    /// Any other SQLite failure (disk full, I/O error, locked too long...).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A sealed file of the workstation (outbox, archives) does not open with the store's key:
    /// changed on disk, cut short, or sealed on another workstation.
    #[error("sealed file {} does not open with the store's key", path.display())]
    SealedFile {
        /// The file.
        path: PathBuf,
    },
    /// File system error around the database file.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// The sentence shown to a clerk: what happened and what to do, in French.
    pub fn message_fr(&self) -> String {
        match self {
            Error::KeyMissing { path } => format!("La clé de chiffrement de la base locale ({}) est introuvable dans le trousseau du système. La base n'a pas été modifiée : restaurez la clé (ou la session utilisateur d'origine) puis relancez Sceau, ou contactez le support.", path.display()),
            Error::WrongKey { path } => format!("La base locale ({}) ne s'ouvre pas avec la clé du trousseau du système (clé différente ou fichier endommagé). La base n'a pas été modifiée : contactez le support avant toute autre opération.", path.display()),
            Error::KeyStore { .. } => "Le trousseau du système (gestionnaire d'identifiants) n'est pas accessible. Ouvrez votre session utilisateur normalement ou déverrouillez le trousseau, puis relancez Sceau.".into(),
            Error::UnknownKeyStore { value } => format!("Le réglage key_store vaut « {value} », qui n'est pas un trousseau connu. Valeurs possibles : {}. Corrigez le fichier de configuration puis relancez Sceau.", crate::key::KeyBackend::ALL.map(|b| b.setting()).join(", ")),
            Error::KeyStoreUnsupported { backend: Some(b), platform } => format!("Le trousseau « {} » demandé par le réglage key_store n'existe pas sous {}. Retirez ce réglage (Sceau utilise alors le trousseau du système) puis relancez Sceau.", b.setting(), platform.name_fr()),
            Error::KeyStoreUnsupported { backend: None, platform } => format!("Sceau ne connaît pas de trousseau sécurisé sous {} pour protéger la clé de sa base locale. Utilisez Sceau sous Windows, macOS ou Linux.", platform.name_fr()),
            Error::MalformedKey { .. } => "La clé de la base locale enregistrée dans le trousseau du système est invalide. Contactez le support ; la base n'a pas été modifiée.".into(),
            Error::SchemaTooNew { .. } => "La base locale a été créée par une version plus récente de Sceau. Installez la dernière version de Sceau.".into(),
            Error::NotFound { what, id } => format!("Élément introuvable dans la base locale ({what} {id}). Actualisez l'affichage."),
            Error::InvalidTransition { .. } => "Cet envoi a changé d'état entre-temps. Actualisez la file d'envoi puis réessayez.".into(),
            Error::Corrupt { .. } => "La base locale contient une donnée inattendue. Contactez le support.".into(),
            Error::Sqlite(_) => "La base locale n'a pas pu être lue ou écrite (disque plein ou erreur d'accès). Vérifiez l'espace disque puis réessayez.".into(),
            Error::SealedFile { path } => format!("Le fichier chiffré {} du poste ne s'ouvre pas avec la clé de la base locale (fichier modifié, tronqué ou venu d'un autre poste). Il n'a pas été utilisé : téléchargez-en de nouveau la copie depuis le coffre-fort (Synchroniser), ou contactez le support.", path.display()),
            Error::Io { path, .. } => format!("Le fichier de la base locale ({}) n'est pas accessible. Vérifiez les droits et l'espace disque.", path.display()),
        }
    }

    /// One error of every variant, for the workspace's error-vocabulary test (each code once,
    /// prefixed once, a French message that names no command-line tool). Add the example of a
    /// new variant beside its arm in [`Error::code`].
    #[doc(hidden)]
    pub fn examples() -> Vec<Error> {
        vec![
            Error::KeyMissing {
                path: "/poste/store.db".into(),
            },
            Error::WrongKey {
                path: "/poste/store.db".into(),
            },
            Error::KeyStore {
                detail: "locked".into(),
            },
            Error::UnknownKeyStore { value: "x".into() },
            Error::KeyStoreUnsupported {
                backend: Some(crate::key::KeyBackend::MacOsKeychain),
                platform: sceau_core::platform::Os::Linux,
            },
            Error::MalformedKey { len: 3 },
            Error::SchemaTooNew {
                found: 99,
                supported: 7,
            },
            Error::NotFound {
                what: "service",
                id: "1".into(),
            },
            Error::InvalidTransition {
                id: 1,
                actual: "deposited".into(),
                expected: "prepared",
            },
            Error::Corrupt {
                detail: "state".into(),
            },
            Error::Sqlite(rusqlite::Error::QueryReturnedNoRows),
            Error::SealedFile {
                path: "/poste/archives/a.zip".into(),
            },
            Error::Io {
                path: "/poste".into(),
                source: std::io::Error::other("disk"),
            },
        ]
    }

    /// A stable code the user interface and scripts can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::KeyMissing { .. } => "store.key_missing",
            Error::WrongKey { .. } => "store.wrong_key",
            Error::KeyStore { .. } => "store.keystore_unavailable",
            Error::UnknownKeyStore { .. } => "store.unknown_key_store",
            Error::KeyStoreUnsupported { .. } => "store.keystore_unsupported",
            Error::MalformedKey { .. } => "store.malformed_key",
            Error::SchemaTooNew { .. } => "store.schema_too_new",
            Error::NotFound { .. } => "store.not_found",
            Error::InvalidTransition { .. } => "store.invalid_transition",
            Error::Corrupt { .. } => "store.corrupt",
            Error::Sqlite(_) => "store.sqlite",
            Error::SealedFile { .. } => "store.sealed_file",
            Error::Io { .. } => "store.io",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_namespaced_and_messages_french() {
        let errors = [
            Error::KeyMissing {
                path: "a.db".into(),
            },
            Error::WrongKey {
                path: "a.db".into(),
            },
            Error::KeyStore { detail: "x".into() },
            Error::MalformedKey { len: 3 },
        ];
        for e in errors {
            assert!(e.code().starts_with("store."));
            assert!(e.message_fr().contains("trousseau") || e.message_fr().contains("clé"));
        }
    }
}
