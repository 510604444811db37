//! The window's session: the PIN is typed once at connection, the token stays logged in and the
//! vault client built on its authentication key (a [`VaultClient`] with its `TokenIdentity`) is
//! kept for the session, so the window never keeps the PIN itself. Signing still takes the PIN
//! of each service (the signature key is always-authenticate).
//!
//! While a session is open, [`App::client`] returns its client, so every use case that talks to
//! the vault uses it; the `session_*` methods are those use cases without [`Credentials`].

use std::path::{Path, PathBuf};

use sceau_client::VaultClient;
use sceau_token::{CertificateInfo, Role};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::{App, Credentials, NewOffice, OFFICE_NAME, OFFICE_NUMBER, SESSION};

/// What the window shows once connected.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    /// The authentication certificate the vault saw.
    pub certificate: sceau_proto::CertificateInfo,
    /// The office bound to it; `None` on a first connection (bind it with
    /// [`App::bind_session`]).
    pub office: Option<sceau_proto::Office>,
}

/// The window's open session: its vault client and the authentication certificate it uses.
pub(crate) struct OpenSession {
    client: VaultClient,
    certificate: CertificateInfo,
}

impl App {
    /// The open session's vault client, if any.
    pub(crate) fn session_client(&self) -> Option<VaultClient> {
        self.session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.client.clone())
    }

    /// The authentication certificate of the open session, if any.
    pub(crate) fn session_certificate(&self) -> Option<CertificateInfo> {
        self.session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.certificate.clone())
    }

    /// Opens the window's session: token login (fails fast on a wrong or locked PIN), vault
    /// session kept for later calls; a previous session is closed first. It authenticates with
    /// the certificate the clerk chose by its serial (else the token's only authentication
    /// certificate); a serial not on the key or not for authentication is refused before the
    /// vault is contacted.
    pub async fn open_session(
        &self,
        cred: &Credentials,
        authentication_certificate: Option<&str>,
    ) -> Result<SessionInfo> {
        self.close_session();
        self.login(cred).await?;
        let certificate = self
            .chosen_certificate(Role::Authentication, authentication_certificate)
            .await?;
        let client = self.client_with(cred, &certificate)?;
        let session = client.session().await?;
        if let Some(o) = &session.office {
            self.record_office(o)?;
        }
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(OpenSession {
            client,
            certificate,
        });
        Ok(SessionInfo {
            certificate: session.certificate,
            office: session.office,
        })
    }

    /// First connection: binds the office's space to the session's certificate (the one the
    /// clerk was shown) and records the office.
    pub async fn bind_session(&self, office: &NewOffice) -> Result<SessionInfo> {
        let client = self.session_vault()?;
        let session = client.session().await?;
        let session = match session.office {
            Some(_) => session,
            None => {
                client
                    .bind(&sceau_proto::BindRequest {
                        confirm_fingerprint_sha256: session.certificate.fingerprint_sha256.clone(),
                        office_number: office.number.clone(),
                        office_name: office.name.clone(),
                    })
                    .await?
            }
        };
        let bound = session
            .office
            .clone()
            .ok_or(Error::Client(sceau_client::Error::NotBound {
                message: String::new(),
            }))?;
        self.record_office(&bound)?;
        Ok(SessionInfo {
            certificate: session.certificate,
            office: session.office,
        })
    }

    /// Closes the session: the vault client (and the key it holds) is dropped.
    pub fn close_session(&self) {
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Whether a session is open.
    pub fn session_open(&self) -> bool {
        self.session_client().is_some()
    }

    /// The session's vault client, or `app.not_connected`.
    pub fn session_vault(&self) -> Result<VaultClient> {
        self.session_client().ok_or_else(not_connected)
    }

    /// Converts the acts to PDF/A-1b for a preview before deposit (nothing is signed or
    /// recorded); returns the converted files, written under `<data dir>/preview/`.
    pub async fn preview_documents(&self, files: &[PathBuf]) -> Result<Vec<PathBuf>> {
        let dir = self.config.data_dir.join("preview");
        let mut out = Vec::new();
        for f in files {
            let path = f.clone();
            let conv = tokio::task::spawn_blocking(move || {
                sceau_pdfa::convert_file(&path, &sceau_pdfa::Options::default())
            })
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(|source| Error::Conversion {
                file: file_name(f),
                source,
            })?;
            let stem = f
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let target = dir.join(format!(
                "{}_{}.pdf",
                sceau_core::naming::sanitize(&stem),
                out.len() + 1
            ));
            std::fs::write(&target, &conv.output).map_err(crate::error::io(&target))?;
            out.push(target);
        }
        Ok(out)
    }

    /// The names of a service's documents (search results show the first).
    pub fn service_documents(&self, service: i64) -> Result<Vec<String>> {
        Ok(self
            .store()
            .documents(sceau_store::ServiceId(service))?
            .into_iter()
            .map(|d| d.name)
            .collect())
    }

    /// Records the office for offline use and starts the session log.
    fn record_office(&self, office: &sceau_proto::Office) -> Result<()> {
        let mut st = self.store();
        st.set_setting(OFFICE_NUMBER, &office.number)?;
        st.set_setting(OFFICE_NAME, &office.name)?;
        let session = st.start_session()?;
        st.set_setting(SESSION, &session)?;
        Ok(())
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(crate) fn not_connected() -> Error {
    Error::Input {
        code: "app.not_connected",
        message: "Vous n'êtes pas connecté au coffre-fort : connectez-vous avec votre clé et \
                  votre code PIN, puis recommencez."
            .into(),
    }
}
