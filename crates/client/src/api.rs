//! Typed calls for every office endpoint of the vault (`/v1/...`), over the token's TLS identity.
//!
//! Every error answer of the vault (`{code, message}`) is kept as [`Error::Vault`], so the
//! caller can branch on the vault's code and show its French message; a certificate that is not
//! bound yet is its own variant ([`Error::NotBound`]).

use std::path::Path;

use futures_util::StreamExt;
use reqwest::{Method, RequestBuilder, Response};
use sceau_proto::{
    BindRequest, DepositReceipt, ErrorBody, FeedPage, MkdirRequest, MoveRequest, Nature,
    NewRecipient, ProofBundle, ReceptionStatus, Recipient, RecipientList, RecipientRefusal,
    SearchPage, ServiceDetail, Session, VaultEntry, VaultListing, VaultPropertiesRequest,
    CONTENT_SHA256_HEADER,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::error::{Error, Result};
use crate::{classify, VaultClient};

/// One criterion of a recipient search (the vault accepts exactly one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientQuery {
    /// A SIRET (14 digits).
    Siret(String),
    /// A SIREN (9 digits).
    Siren(String),
    /// A NIR (15 characters).
    Nir(String),
    /// A name prefix.
    Name(String),
}

/// What the vault did with a new recipient (`POST /v1/recipients`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientCreation {
    /// Stored: its card.
    Created(Recipient),
    /// Not stored: the directory has it already (same SIRET, NIR, or e-mail and birth date).
    Duplicate {
        /// The vault's French message, naming the existing recipients.
        message: String,
        /// Their cards (a person's NIR masked).
        existing: Vec<Recipient>,
    },
}

/// The search form of the manual, as sent to `GET /v1/services`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceQuery {
    /// First day (`YYYY-MM-DD`, Paris).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`, Paris).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Delivery state code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Reference prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Part of a document name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Recipient id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_id: Option<String>,
    /// Nature code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nature: Option<String>,
    /// `form` or `edi`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Page from 1, as text.
    #[serde(rename = "page", skip_serializing_if = "Option::is_none")]
    pub page_text: Option<String>,
}

/// The error of a refusal with HTTP `code` and `body` (the vault's `{code, message}` when it
/// is one).
fn refusal(code: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) if b.code == "certificate_not_bound" => Error::NotBound { message: b.message },
        Ok(b) => Error::Vault {
            status: code,
            code: b.code,
            message: b.message,
        },
        Err(_) => Error::Status { status: code },
    }
}

/// What an office does with one of its invitations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationAction {
    /// Send it again (a new link, a new answering time).
    Resend,
    /// Withdraw it before the recipient answers.
    Withdraw,
}

/// Size of one chunk of a streamed upload (also the granularity of progress reports).
pub const UPLOAD_CHUNK: usize = 256 * 1024;

/// Time limit of a call, from connecting to the end of its answer: well above the vault's
/// longest wait (a long-poll of the event feed, 30 s at most) and its checks of a deposit.
/// Without it a stalled connection would hang a batch or the window for ever.
pub const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Slowest line an upload is given time for (bytes per second), on top of [`CALL_TIMEOUT`]:
/// 32 KiB/s, a poor ADSL uplink.
pub const UPLOAD_FLOOR_BYTES_PER_SEC: u64 = 32 * 1024;

impl VaultClient {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    /// A call with the usual time limit ([`CALL_TIMEOUT`]).
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .timeout(self.call_timeout)
    }

    /// The time limit of an upload of `total` bytes: a call's, and the time to send them at
    /// [`UPLOAD_FLOOR_BYTES_PER_SEC`].
    fn upload_timeout(&self, total: u64) -> std::time::Duration {
        self.call_timeout + std::time::Duration::from_secs(total / UPLOAD_FLOOR_BYTES_PER_SEC)
    }

    /// A download: no limit on the whole (a large archive on a slow line takes what it takes),
    /// but its answer must start within a call's limit and its body never pause longer (see
    /// `next_chunk`).
    async fn download(&self, path: &str) -> Result<Response> {
        let req = self
            .http
            .get(self.url(&with_query("/v1/vault/file", &[("path", path)])));
        tokio::time::timeout(self.call_timeout, self.send(req))
            .await
            .map_err(|_| Error::Timeout {
                detail: format!("GET {path}: no answer"),
            })?
    }

    /// The next chunk of a download's body, or a timeout if it pauses too long.
    async fn next_chunk(
        &self,
        stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    ) -> Result<Option<bytes::Bytes>> {
        match tokio::time::timeout(self.call_timeout, stream.next()).await {
            Err(_) => Err(Error::Timeout {
                detail: "download stalled".into(),
            }),
            Ok(None) => Ok(None),
            Ok(Some(chunk)) => chunk.map(Some).map_err(|e| classify(&e, &self.identity)),
        }
    }

    async fn send(&self, req: RequestBuilder) -> Result<Response> {
        let resp = req.send().await.map_err(|e| classify(&e, &self.identity))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let code = status.as_u16();
        let body = resp.bytes().await.unwrap_or_default();
        Err(refusal(code, &body))
    }

    /// `POST /v1/recipients`: a new recipient from the office. A duplicate is an answer (the
    /// existing cards, to be used instead), not an error; an input the vault refuses is
    /// `Error::Vault` with `recipient_invalid` and every problem in its message.
    pub async fn create_recipient(&self, new: &NewRecipient) -> Result<RecipientCreation> {
        let resp = self
            .request(Method::POST, "/v1/recipients")
            .json(new)
            .send()
            .await
            .map_err(|e| classify(&e, &self.identity))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| classify(&e, &self.identity))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map(RecipientCreation::Created)
                .map_err(|e| Error::Http {
                    detail: format!("unexpected answer: {e}"),
                });
        }
        match serde_json::from_slice::<RecipientRefusal>(&body) {
            Ok(r) if status.as_u16() == 409 && r.code == "recipient_duplicate" => {
                Ok(RecipientCreation::Duplicate {
                    message: r.message,
                    existing: r.existing,
                })
            }
            _ => Err(refusal(status.as_u16(), &body)),
        }
    }

    async fn json<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        let resp = self.send(req).await?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| classify(&e, &self.identity))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Http {
            detail: format!("unexpected answer: {e}"),
        })
    }

    /// `GET /v1/session`: who the vault sees behind our certificate (office none: not bound).
    pub async fn session(&self) -> Result<Session> {
        self.json(self.request(Method::GET, "/v1/session")).await
    }

    /// `POST /v1/session/bind`: binds the office's space to this certificate.
    pub async fn bind(&self, req: &BindRequest) -> Result<Session> {
        self.send(self.request(Method::POST, "/v1/session/bind").json(req))
            .await?;
        self.session().await
    }

    /// `GET /v1/recipients?...`: recipients matching one criterion.
    pub async fn search_recipients(&self, q: &RecipientQuery) -> Result<Vec<Recipient>> {
        let (k, v) = match q {
            RecipientQuery::Siret(v) => ("siret", v),
            RecipientQuery::Siren(v) => ("siren", v),
            RecipientQuery::Nir(v) => ("nir", v),
            RecipientQuery::Name(v) => ("name", v),
        };
        let list: RecipientList = self
            .json(self.request(Method::GET, &with_query("/v1/recipients", &[(k, v)])))
            .await?;
        Ok(list.recipients)
    }

    /// `GET /v1/recipients/{id}`: a recipient's card.
    pub async fn recipient(&self, id: &str) -> Result<Recipient> {
        self.json(self.request(Method::GET, &format!("/v1/recipients/{}", seg(id))))
            .await
    }

    /// The recipient's consents in the register (`GET /v1/recipients/{id}/consents`).
    pub async fn consents(&self, id: &str) -> Result<Vec<sceau_proto::Consent>> {
        let list: sceau_proto::ConsentList = self
            .json(self.request(Method::GET, &format!("/v1/recipients/{}/consents", seg(id))))
            .await?;
        Ok(list.consents)
    }

    /// `POST /v1/recipients/{id}/invitations`: invites the recipient to consent (the vault sends
    /// the e-mail and the SMS).
    pub async fn invite(
        &self,
        recipient: &str,
        req: &sceau_proto::InvitationRequest,
    ) -> Result<sceau_proto::Invitation> {
        self.json(
            self.request(
                Method::POST,
                &format!("/v1/recipients/{}/invitations", seg(recipient)),
            )
            .json(req),
        )
        .await
    }

    /// `GET /v1/recipients/{id}/invitations`: this office's invitations of the recipient.
    pub async fn invitations(&self, recipient: &str) -> Result<Vec<sceau_proto::Invitation>> {
        let list: sceau_proto::InvitationList = self
            .json(self.request(
                Method::GET,
                &format!("/v1/recipients/{}/invitations", seg(recipient)),
            ))
            .await?;
        Ok(list.invitations)
    }

    /// `POST /v1/invitations/{id}/resend` or `.../withdraw`.
    pub async fn invitation_action(
        &self,
        id: &str,
        action: InvitationAction,
    ) -> Result<sceau_proto::Invitation> {
        let verb = match action {
            InvitationAction::Resend => "resend",
            InvitationAction::Withdraw => "withdraw",
        };
        self.json(self.request(Method::POST, &format!("/v1/invitations/{}/{verb}", seg(id))))
            .await
    }

    /// `GET /v1/recipients/{id}/reception/{nature}`: whether service is open now, and when next,
    /// in the governing place (the recipient's, else the office's); `alsace_moselle` tells the
    /// vault the office is in Alsace-Moselle (Good Friday, 26 December), its place when the
    /// operator declared none.
    pub async fn reception(
        &self,
        id: &str,
        nature: &str,
        judge_permission: Option<&str>,
        alsace_moselle: bool,
    ) -> Result<ReceptionStatus> {
        let path = format!("/v1/recipients/{}/reception/{}", seg(id), seg(nature));
        let mut query = Vec::new();
        if let Some(p) = judge_permission {
            query.push(("judge_permission", p));
        }
        if alsace_moselle {
            query.push(("alsace_moselle", "true"));
        }
        let path = with_query(&path, &query);
        self.json(self.request(Method::GET, &path)).await
    }

    /// `GET /v1/natures`: the catalogue.
    pub async fn natures(&self) -> Result<Vec<Nature>> {
        self.json(self.request(Method::GET, "/v1/natures")).await
    }

    /// `PUT /v1/deposits/{key}`: sends the `package` (held in memory: the workstation keeps it
    /// sealed on disk) in chunks with its SHA-256 and the stable idempotency `key`;
    /// `progress(sent, total)` is called as chunks leave. A retry with the same key and package
    /// returns the first receipt.
    pub async fn deposit(
        &self,
        key: &str,
        package: Vec<u8>,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> Result<DepositReceipt> {
        let (body, digest, total) = bytes_body(package, progress);
        let req = self
            .request(Method::PUT, &format!("/v1/deposits/{}", seg(key)))
            .header(CONTENT_SHA256_HEADER, digest)
            .header(reqwest::header::CONTENT_LENGTH, total)
            .timeout(self.upload_timeout(total))
            .body(body);
        self.json(req).await
    }

    /// `GET /v1/events?after=&wait=`: the office's events after `cursor`, waiting up to `wait_s`
    /// seconds for one when there is none (long-poll).
    pub async fn events(&self, cursor: u64, wait_s: u64) -> Result<FeedPage> {
        self.json(self.request(
            Method::GET,
            &with_query(
                "/v1/events",
                &[
                    ("after", &cursor.to_string()),
                    ("wait", &wait_s.to_string()),
                ],
            ),
        ))
        .await
    }

    /// Follows the feed from `cursor` until a page comes back empty, calling `on_page` for each
    /// page (the caller stores the events and the new cursor together); returns the last cursor.
    pub async fn follow_events<F>(
        &self,
        mut cursor: u64,
        wait_s: u64,
        mut on_page: F,
    ) -> Result<u64>
    where
        F: FnMut(&FeedPage) -> Result<()>,
    {
        loop {
            let page = self.events(cursor, wait_s).await?;
            if page.events.is_empty() {
                return Ok(cursor);
            }
            on_page(&page)?;
            cursor = page.next_cursor;
        }
    }

    /// `GET /v1/services?...`: the vault's search.
    pub async fn search_services(&self, q: &ServiceQuery) -> Result<SearchPage> {
        self.json(self.request(Method::GET, &with_query("/v1/services", &q.pairs())))
            .await
    }

    /// `GET /v1/services/{id}`: the detail sheet.
    pub async fn service(&self, deposit_id: &str) -> Result<ServiceDetail> {
        self.json(self.request(Method::GET, &format!("/v1/services/{}", seg(deposit_id))))
            .await
    }

    /// `GET /v1/vault?path=`: a folder of the office's vault and the space used.
    pub async fn vault_list(&self, path: &str) -> Result<VaultListing> {
        self.json(self.request(Method::GET, &with_query("/v1/vault", &[("path", path)])))
            .await
    }

    /// `GET /v1/vault/properties?path=`: one entry.
    pub async fn vault_properties(&self, path: &str) -> Result<VaultEntry> {
        self.json(self.request(
            Method::GET,
            &with_query("/v1/vault/properties", &[("path", path)]),
        ))
        .await
    }

    /// `GET /v1/vault/file?path=`: a file of the office's vault in memory (archives, delivery
    /// notices, returns: the workstation seals them before they touch its disk).
    pub async fn vault_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let resp = self.download(path).await?;
        let mut out = Vec::with_capacity(resp.content_length().unwrap_or(0).min(1 << 26) as usize);
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = self.next_chunk(&mut stream).await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// `GET /v1/vault/file?path=`: downloads a file to `to` (through a temporary file and a
    /// rename); returns its size.
    pub async fn vault_download(&self, path: &str, to: &Path) -> Result<u64> {
        let resp = self.download(path).await?;
        let tmp = to.with_extension("part");
        let io = |e: std::io::Error| Error::Io {
            detail: format!("{}: {e}", to.display()),
        };
        let mut file = tokio::fs::File::create(&tmp).await.map_err(io)?;
        let mut stream = resp.bytes_stream();
        let mut size = 0u64;
        while let Some(chunk) = self.next_chunk(&mut stream).await? {
            size += chunk.len() as u64;
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
                .await
                .map_err(io)?;
        }
        tokio::io::AsyncWriteExt::flush(&mut file)
            .await
            .map_err(io)?;
        file.sync_all().await.map_err(io)?;
        drop(file);
        tokio::fs::rename(&tmp, to).await.map_err(io)?;
        Ok(size)
    }

    /// `POST /v1/vault/folders`: creates a folder.
    pub async fn vault_mkdir(&self, path: &str) -> Result<VaultEntry> {
        self.json(
            self.request(Method::POST, "/v1/vault/folders")
                .json(&MkdirRequest { path: path.into() }),
        )
        .await
    }

    /// `POST /v1/vault/move`: moves or renames a file or folder.
    pub async fn vault_move(&self, from: &str, to: &str) -> Result<VaultEntry> {
        self.json(
            self.request(Method::POST, "/v1/vault/move")
                .json(&MoveRequest {
                    from: from.into(),
                    to: to.into(),
                }),
        )
        .await
    }

    /// `PATCH /v1/vault/properties`: sets the description and/or sets or extends the retention
    /// of a file or folder; answers the entry as it now is.
    pub async fn vault_set_properties(&self, req: &VaultPropertiesRequest) -> Result<VaultEntry> {
        self.json(
            self.request(Method::PATCH, "/v1/vault/properties")
                .json(req),
        )
        .await
    }

    /// `PUT /v1/vault/file?path=`: transfers the local file `file` into the office's vault as
    /// `path` (an existing folder, then the name), streamed from disk with its SHA-256 (computed
    /// here first, checked by the vault); `progress(sent, total)` is called as chunks leave.
    pub async fn vault_upload(
        &self,
        path: &str,
        file: &Path,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> Result<VaultEntry> {
        let (body, digest, total) = file_body(file, progress).await?;
        let req = self
            .request(
                Method::PUT,
                &with_query("/v1/vault/file", &[("path", path)]),
            )
            .header(CONTENT_SHA256_HEADER, digest)
            .header(reqwest::header::CONTENT_LENGTH, total)
            .timeout(self.upload_timeout(total))
            .body(body);
        self.json(req).await
    }

    /// `DELETE /v1/vault/file?path=`: deletes a file or an empty folder.
    pub async fn vault_delete(&self, path: &str) -> Result<()> {
        self.send(self.request(
            Method::DELETE,
            &with_query("/v1/vault/file", &[("path", path)]),
        ))
        .await?;
        Ok(())
    }

    /// `GET /v1/vault/proof?path=`: the proof bundle of a file.
    pub async fn vault_proof(&self, path: &str) -> Result<ProofBundle> {
        self.json(self.request(
            Method::GET,
            &with_query("/v1/vault/proof", &[("path", path)]),
        ))
        .await
    }
}

impl ServiceQuery {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for (k, v) in [
            ("from", &self.from),
            ("to", &self.to),
            ("state", &self.state),
            ("reference", &self.reference),
            ("document", &self.document),
            ("recipient_id", &self.recipient_id),
            ("nature", &self.nature),
            ("source", &self.source),
            ("page", &self.page_text),
        ] {
            if let Some(v) = v {
                out.push((k, v.as_str()));
            }
        }
        out
    }
}

/// `path?k=v&...` with every key and value percent-encoded.
fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = path.to_owned();
    for (i, (k, v)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(&seg(k));
        out.push('=');
        out.push_str(&seg(v));
    }
    out
}

/// A path segment, percent-encoded (ids and keys are plain, but never trust that).
fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A request body streaming the file at `path` in chunks of [`UPLOAD_CHUNK`], with the file's
/// SHA-256 (hex) and size (read once before, so the body never sits whole in memory).
async fn file_body(
    path: &Path,
    progress: impl Fn(u64, u64) + Send + Sync + 'static,
) -> Result<(reqwest::Body, String, u64)> {
    let (digest, total) = file_sha256(path).await?;
    let file = tokio::fs::File::open(path).await.map_err(|e| Error::Io {
        detail: format!("{}: {e}", path.display()),
    })?;
    let progress = std::sync::Arc::new(progress);
    let stream = futures_util::stream::unfold((file, 0u64), move |(mut file, sent)| {
        let progress = progress.clone();
        async move {
            let mut buf = vec![0u8; UPLOAD_CHUNK];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    let sent = sent + n as u64;
                    progress(sent, total);
                    Some((Ok::<_, std::io::Error>(buf), (file, sent)))
                }
                Err(e) => Some((Err(e), (file, sent))),
            }
        }
    });
    Ok((reqwest::Body::wrap_stream(stream), digest, total))
}

/// A request body sending `bytes` in chunks of [`UPLOAD_CHUNK`] (reporting progress), with
/// their SHA-256 (hex) and size.
fn bytes_body(
    bytes: Vec<u8>,
    progress: impl Fn(u64, u64) + Send + Sync + 'static,
) -> (reqwest::Body, String, u64) {
    let digest = hex::encode(Sha256::digest(&bytes));
    let total = bytes.len() as u64;
    let bytes = bytes::Bytes::from(bytes);
    let stream = futures_util::stream::unfold(0usize, move |at| {
        let chunk = (at < bytes.len()).then(|| {
            let end = (at + UPLOAD_CHUNK).min(bytes.len());
            progress(end as u64, total);
            (Ok::<_, std::io::Error>(bytes.slice(at..end)), end)
        });
        std::future::ready(chunk)
    });
    (reqwest::Body::wrap_stream(stream), digest, total)
}

/// SHA-256 (hex) and size of a file, read in chunks.
pub async fn file_sha256(path: &Path) -> Result<(String, u64)> {
    let mut file = tokio::fs::File::open(path).await.map_err(|e| Error::Io {
        detail: format!("{}: {e}", path.display()),
    })?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; UPLOAD_CHUNK];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).await.map_err(|e| Error::Io {
            detail: format!("{}: {e}", path.display()),
        })?;
        if n == 0 {
            break;
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(seg("banque-test"), "banque-test");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
