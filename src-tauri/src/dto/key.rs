//! The key, its certificates, the connection and the session.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Role of a certificate on the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CertificateRole {
    /// Qualified signature.
    Signature,
    /// Authentication to the vault.
    Authentication,
    /// Anything else.
    Other,
}

/// A certificate as shown in the choice lists and in the first-connection declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CertificateInfo {
    /// Serial number, hexadecimal.
    pub serial: String,
    /// Holder (subject common name).
    pub holder: String,
    /// Holder's function, when the certificate names one.
    pub function: Option<String>,
    /// Issuer.
    pub issuer: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// What the certificate is for.
    pub role: CertificateRole,
}

/// PIN state of a token, read from its flags before every login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PinState {
    /// Tries left when the token tells it (PKCS#11 only gives flags: null).
    pub tries_left: Option<u32>,
    /// A wrong PIN was typed since the last success.
    pub count_low: bool,
    /// The next wrong PIN locks the key.
    pub final_try: bool,
    /// The PIN is locked.
    pub locked: bool,
}

/// One plugged key (token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TokenInfo {
    /// Token serial number.
    pub serial: String,
    /// Token label.
    pub label: String,
    /// PIN state.
    pub pin: PinState,
    /// Certificates found on the key.
    pub certificates: Vec<CertificateInfo>,
}

/// Whether the PKCS#11 module could be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ModuleState {
    /// Loaded.
    Ok,
    /// Not found, or it failed to load.
    Missing,
}

/// Result of key detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TokenStatus {
    /// Module state.
    pub module: ModuleState,
    /// Path of the module in use (or the one that failed).
    pub module_path: Option<String>,
    /// Plugged keys.
    pub tokens: Vec<TokenInfo>,
}

/// Login request. The PIN lives only for this call.
#[derive(Clone, Serialize, Deserialize, TS)]
pub struct ConnectRequest {
    /// Serial of the token.
    pub token_serial: String,
    /// Serial of the authentication certificate.
    pub certificate_serial: String,
    /// PIN as typed.
    pub pin: String,
    /// Explicit consent to spend the final PIN try.
    pub confirm_final_try: bool,
}

impl std::fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectRequest")
            .field("token_serial", &self.token_serial)
            .finish_non_exhaustive()
    }
}

/// The office bound to a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Office {
    /// Office number (numéro d'étude).
    pub number: String,
    /// Office name.
    pub name: String,
}

/// A logged-in session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Session {
    /// Authentication certificate in use.
    pub certificate: CertificateInfo,
    /// The office's space, or null on a first connection.
    pub office: Option<Office>,
}

/// First-connection binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BindRequest {
    /// Office number (numéro d'étude).
    pub office_number: String,
    /// Office name.
    pub office_name: String,
}

impl From<&sceau_app::CertificateInfo> for CertificateInfo {
    fn from(c: &sceau_app::CertificateInfo) -> Self {
        CertificateInfo {
            serial: c.serial.clone(),
            holder: c.holder.clone(),
            function: c.function.clone(),
            issuer: c.issuer.clone(),
            not_before: c.not_before,
            not_after: c.not_after,
            role: match c.role {
                sceau_app::CertRole::Signature => CertificateRole::Signature,
                sceau_app::CertRole::Authentication => CertificateRole::Authentication,
                sceau_app::CertRole::Other => CertificateRole::Other,
            },
        }
    }
}

impl From<sceau_app::SessionInfo> for Session {
    fn from(s: sceau_app::SessionInfo) -> Self {
        let c = s.certificate;
        Session {
            certificate: CertificateInfo {
                serial: c.serial_hex.to_uppercase(),
                holder: c.holder,
                function: c.function,
                issuer: common_name(&c.issuer),
                not_before: c.not_before,
                not_after: c.not_after,
                role: CertificateRole::Authentication,
            },
            office: s.office.map(|o| Office {
                number: o.number,
                name: o.name,
            }),
        }
    }
}

/// The common name of an RFC 4514 name (the vault's issuer), else the whole name.
fn common_name(dn: &str) -> String {
    dn.split(',')
        .find_map(|rdn| rdn.trim().strip_prefix("CN="))
        .map(str::to_owned)
        .unwrap_or_else(|| dn.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_shown_by_its_common_name() {
        assert_eq!(
            common_name("CN=AC des commissaires,O=Sceau,C=FR"),
            "AC des commissaires"
        );
        assert_eq!(common_name("O=Sceau,C=FR"), "O=Sceau,C=FR");
    }
}
