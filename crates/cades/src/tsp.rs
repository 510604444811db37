//! CAdES-T: RFC 3161 time-stamps over the signature value, added as the unsigned attribute
//! id-aa-signatureTimeStampToken.

use std::time::Duration;

use cmpv2::status::PkiStatus;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerInfo, SignerInfos, UnsignedAttributes};
use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode};
use rand_core::{OsRng, RngCore};
use spki::AlgorithmIdentifier;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use crate::error::malformed;
use crate::sign::{attribute, content_info};
use crate::{DigestAlgorithm, Error};

/// id-aa-signatureTimeStampToken (RFC 3161 appendix A / RFC 5126).
pub const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// id-ct-TSTInfo: the eContentType of a time-stamp token.
pub(crate) const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Largest reply accepted from a TSA (a token with a chain is a few kilobytes).
const MAX_REPLY: u64 = 1024 * 1024;

/// Something that turns a DER TimeStampReq into a DER TimeStampResp (an RFC 3161 TSA).
pub trait TimeStamper {
    /// Sends `request_der` (a TimeStampReq) and returns the TSA's TimeStampResp.
    fn timestamp(&self, request_der: &[u8]) -> Result<Vec<u8>, Error>;
}

/// An RFC 3161 TSA reached over HTTP(S) (`application/timestamp-query`).
#[derive(Debug, Clone)]
pub struct HttpTimeStamper {
    /// The TSA's URL, e.g. `https://tsa.example/`.
    pub url: String,
}

impl HttpTimeStamper {
    /// A time-stamper posting to `url`.
    pub fn new(url: impl Into<String>) -> Self {
        HttpTimeStamper { url: url.into() }
    }
}

impl TimeStamper for HttpTimeStamper {
    fn timestamp(&self, request_der: &[u8]) -> Result<Vec<u8>, Error> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            // Statuses are turned into our own error below, with the content type.
            .http_status_as_error(false)
            .build()
            .into();
        let unreachable = |e: ureq::Error| Error::TsaUnreachable {
            url: self.url.clone(),
            detail: e.to_string(),
        };
        let mut response = agent
            .post(&self.url)
            .header("Content-Type", "application/timestamp-query")
            .send(request_der)
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if status != 200 || !content_type.starts_with("application/timestamp-reply") {
            return Err(Error::TsaHttp {
                url: self.url.clone(),
                status,
                content_type,
            });
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY)
            .read_to_vec()
            .map_err(unreachable)
    }
}

/// Time-stamps every SignerInfo of a CMS signature (CAdES-BES → CAdES-T) and returns the new
/// DER. `digest` is the hash used for the message imprint.
pub fn add_timestamp(
    cms_der: &[u8],
    tsa: &dyn TimeStamper,
    digest: DigestAlgorithm,
) -> Result<Vec<u8>, Error> {
    let mut signed_data = parse_signed_data(cms_der, "signature file")?;
    let mut infos: Vec<SignerInfo> = signed_data.signer_infos.0.into_vec();
    for info in &mut infos {
        let token = request_token(info.signature.as_bytes(), tsa, digest)?;
        let value = Any::encode_from(&token)?;
        let mut attrs = info
            .unsigned_attrs
            .take()
            .map(|a| a.into_vec())
            .unwrap_or_default();
        // Several tokens go as several values of the one attribute.
        match attrs
            .iter_mut()
            .find(|a| a.oid == ID_AA_SIGNATURE_TIME_STAMP_TOKEN)
        {
            Some(existing) => existing.values.insert(value)?,
            None => attrs.push(attribute(ID_AA_SIGNATURE_TIME_STAMP_TOKEN, value)?),
        }
        info.unsigned_attrs = Some(UnsignedAttributes::try_from(attrs)?);
    }
    signed_data.signer_infos = SignerInfos::try_from(infos)?;
    content_info(&signed_data)
}

/// Asks `tsa` for a token over `signature_value`, and checks that the reply answers the request.
fn request_token(
    signature_value: &[u8],
    tsa: &dyn TimeStamper,
    digest: DigestAlgorithm,
) -> Result<ContentInfo, Error> {
    let imprint = digest.hash(signature_value);
    let mut nonce = [0u8; 8];
    OsRng.fill_bytes(&mut nonce);
    // Positive and minimally encoded: no leading zero byte, top bit clear.
    nonce[0] = (nonce[0] & 0x7f) | 0x01;
    let nonce = Int::new(&nonce)?;
    let request = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifier {
                oid: digest.oid(),
                parameters: None,
            },
            hashed_message: OctetString::new(imprint.clone())?,
        },
        req_policy: None,
        nonce: Some(nonce.clone()),
        cert_req: true,
        extensions: None,
    };
    let reply = tsa.timestamp(&request.to_der()?)?;
    let invalid = |m: String| Error::TsaInvalidResponse(m);
    let response = TimeStampResp::from_der(&reply)
        .map_err(|e| invalid(format!("not a TimeStampResp: {e}")))?;
    match response.status.status {
        PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
        other => {
            let mut detail: Vec<String> = response
                .status
                .status_string
                .iter()
                .flatten()
                .map(|s| s.as_str().to_owned())
                .collect();
            if let Some(fail) = response.status.fail_info {
                detail.push(format!("{fail:?}"));
            }
            return Err(Error::TsaRejected {
                status: format!("{other:?}"),
                detail: (!detail.is_empty()).then(|| detail.join("; ")),
            });
        }
    }
    let token = response
        .time_stamp_token
        .ok_or_else(|| invalid("granted without a token".into()))?;
    let (_, _, tst) = parse_token(&token).map_err(invalid)?;
    if tst.message_imprint.hash_algorithm.oid != digest.oid()
        || tst.message_imprint.hashed_message.as_bytes() != imprint.as_slice()
    {
        return Err(invalid("the token covers another message imprint".into()));
    }
    if tst.nonce.as_ref() != Some(&nonce) {
        return Err(invalid(
            "the token's nonce differs from the request's".into(),
        ));
    }
    Ok(token)
}

/// Decodes a DER ContentInfo holding SignedData.
pub(crate) fn parse_signed_data(der: &[u8], what: &'static str) -> Result<SignedData, Error> {
    let ci = ContentInfo::from_der(der).map_err(malformed(what))?;
    signed_data_of(&ci).map_err(|detail| Error::Malformed { what, detail })
}

fn signed_data_of(ci: &ContentInfo) -> Result<SignedData, String> {
    if ci.content_type != const_oid::db::rfc5911::ID_SIGNED_DATA {
        return Err(format!(
            "content type {} is not SignedData",
            ci.content_type
        ));
    }
    ci.content
        .decode_as::<SignedData>()
        .map_err(|e| e.to_string())
}

/// Splits a time-stamp token into its SignedData, the DER TSTInfo (what its message-digest
/// covers) and the decoded TSTInfo.
pub(crate) fn parse_token(token: &ContentInfo) -> Result<(SignedData, Vec<u8>, TstInfo), String> {
    let sd = signed_data_of(token)?;
    if sd.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err("the token does not contain a TSTInfo".into());
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("the token has no content")?;
    let octets = econtent
        .decode_as::<OctetString>()
        .map_err(|e| format!("token content: {e}"))?;
    let tst_der = octets.as_bytes().to_vec();
    let tst = TstInfo::from_der(&tst_der).map_err(|e| format!("TSTInfo: {e}"))?;
    Ok((sd, tst_der, tst))
}
