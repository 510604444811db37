//! The qualified signature: the certificates the clerk chose, checked, and CAdES signatures
//! made on the token with one signer for a whole run.

use std::sync::Arc;

use chrono::Utc;
use sceau_token::{CertificateInfo, HashAlg, Role, TokenKey, Tokens};

use crate::error::{input, Error, Result};
use crate::{App, Credentials};

impl App {
    /// The certificate of `role` the clerk chose by its serial (hex, case, colons and leading
    /// zeros ignored), else the token's only certificate of that role. A serial that is not on
    /// the key, or whose certificate is not for `role` (a signature needs the non-repudiation
    /// certificate), is refused with a French message.
    pub(crate) async fn chosen_certificate(
        &self,
        role: Role,
        serial: Option<&str>,
    ) -> Result<CertificateInfo> {
        let Some(serial) = serial.map(str::trim).filter(|s| !s.is_empty()) else {
            return self.certificate(role).await;
        };
        let certs = self.tokens()?.certificates(&self.selector()).await?;
        let found = certs
            .iter()
            .find(|c| c.has_serial(serial))
            .ok_or_else(|| {
                input(
                    "app.certificate_not_found",
                    format!(
                        "Le certificat n° {serial} n'est pas sur la clé branchée. Rechargez les certificats et choisissez-en un de la liste."
                    ),
                )
            })?;
        if found.role != role {
            let what = match role {
                Role::Signature => "de signature qualifiée (non-répudiation)",
                Role::Authentication => "d'authentification",
                Role::Other => "demandé",
            };
            return Err(input(
                "app.certificate_wrong_role",
                format!(
                    "Le certificat n° {serial} ({}) n'est pas un certificat {what} : choisissez le certificat {what} de la clé.",
                    found.role.label_fr()
                ),
            ));
        }
        Ok(found.clone())
    }

    /// Checks the authentication certificate the clerk chose: on the key, for authentication,
    /// and the one the vault channel is authenticated with (the open session's, else the token's
    /// only authentication certificate, which the app's client uses).
    pub(crate) async fn check_authentication_certificate(&self, serial: &str) -> Result<()> {
        let chosen = self
            .chosen_certificate(Role::Authentication, Some(serial))
            .await?;
        let used = match self.session_certificate() {
            Some(c) => c,
            None => self.certificate(Role::Authentication).await?,
        };
        if used.sha256 != chosen.sha256 {
            return Err(input(
                "app.certificate_not_session",
                format!(
                    "Le certificat d'authentification n° {} n'est pas celui de la connexion au coffre-fort (n° {}). Reconnectez-vous avec ce certificat.",
                    chosen.serial, used.serial
                ),
            ));
        }
        Ok(())
    }

    /// A signer for the qualified signature certificate `cert` (checked valid now) with the
    /// PIN of `cred`, for every signature of a run.
    pub(crate) async fn signer(
        &self,
        cert: CertificateInfo,
        cred: &Credentials,
    ) -> Result<Arc<Signer>> {
        cert.check_validity(Utc::now())?;
        let certs = self.tokens()?.certificates(&self.selector()).await?;
        let tokens = self.tokens()?;
        let cred = cred.clone();
        let signer =
            tokio::task::spawn_blocking(move || Signer::new(&tokens, &cert, &certs, &cred))
                .await
                .map_err(|e| Error::Internal(e.to_string()))??;
        Ok(Arc::new(signer))
    }
}

/// Signs `docs` as one pipelined batch and one run of the token key
/// (`sceau_cades::sign_detached_run`, on a blocking thread: the token may wait): the key is
/// looked up once and the signer's PIN serves every signature (an always-authenticate key
/// still logs in for each one). The first failure ends the batch with its error.
pub(crate) async fn sign_batch(
    signer: &Arc<Signer>,
    docs: Vec<Vec<u8>>,
) -> Result<(Vec<Vec<u8>>, Vec<Vec<u8>>)> {
    let s = Arc::clone(signer);
    tokio::task::spawn_blocking(move || {
        let now = Utc::now();
        let items: Vec<sceau_cades::BatchItem<'_>> = docs
            .iter()
            .map(|d| sceau_cades::BatchItem {
                content: d,
                signing_time: now,
            })
            .collect();
        let sigs =
            sceau_cades::sign_detached_run(&s.key, &s.signer_cert, &s.chain, s.digest, &items)
                .into_iter()
                .map(|r| r.map_err(Error::Signature))
                .collect::<Result<Vec<_>>>()?;
        Ok((docs, sigs))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// What a CAdES signature on the token needs (built on a blocking thread: the token key's
/// login may wait on the token).
pub(crate) struct Signer {
    key: TokenKey,
    signer_cert: sceau_cades::Certificate,
    chain: Vec<sceau_cades::Certificate>,
    digest: sceau_cades::DigestAlgorithm,
}

impl Signer {
    fn new(
        tokens: &Tokens,
        cert: &CertificateInfo,
        certs: &[CertificateInfo],
        cred: &Credentials,
    ) -> Result<Signer> {
        let signer_cert = cert.certificate()?;
        let chain = certs
            .iter()
            .filter(|c| c.role == Role::Other && c.sha256 != cert.sha256)
            .filter_map(|c| c.certificate().ok())
            .filter(|c| c.tbs_certificate.subject == signer_cert.tbs_certificate.issuer)
            .collect();
        let key = TokenKey::new(tokens, cert, None, cred.pin.clone(), cred.final_try)?;
        let digest = match key.algorithm().hash() {
            HashAlg::Sha256 => sceau_cades::DigestAlgorithm::Sha256,
            HashAlg::Sha384 => sceau_cades::DigestAlgorithm::Sha384,
            HashAlg::Sha512 => sceau_cades::DigestAlgorithm::Sha512,
        };
        Ok(Signer {
            key,
            signer_cert,
            chain,
            digest,
        })
    }
}
