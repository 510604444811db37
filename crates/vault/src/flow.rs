//! The single XML flow of a deposit (`flux_acte.xml`, arrêté of 2012 art. 8) as offered to its
//! recipient: read from the sealed archive that holds it — the vault stores it once, inside the
//! archive, and the recipient's file row names the archive's blob.

use std::io::Read;

use sceau_core::flow::FLOW_NAME;

use crate::error::{storage, Error, Result};
use crate::store::blobs::BlobStream;
use crate::store::meta;
use crate::Vault;

/// The flow of deposit `deposit_id` of recipient `recipient_id`; `None` for a deposit made
/// before the flow existed (or another recipient's).
pub async fn open(
    vault: &Vault,
    recipient_id: &str,
    deposit_id: &str,
) -> Result<Option<BlobStream>> {
    let (r, d) = (recipient_id.to_owned(), deposit_id.to_owned());
    let Some(sha) = vault
        .db_read(move |sql| meta::recipient_file_sha(sql, &r, &d, FLOW_NAME))
        .await?
    else {
        return Ok(None);
    };
    let archive = vault
        .blobs
        .get(&sha)
        .await?
        .ok_or_else(|| storage("the archive holding the flow is missing"))?;
    let flow = tokio::task::spawn_blocking(move || extract(&archive))
        .await
        .map_err(storage)??;
    let size = flow.len() as u64;
    Ok(Some(BlobStream {
        size,
        chunks: Box::pin(futures_util::stream::once(async move {
            Ok(bytes::Bytes::from(flow))
        })),
    }))
}

/// The flow entry of an archive ZIP (stored, as every entry the vault writes).
fn extract(archive: &[u8]) -> Result<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).map_err(storage)?;
    let mut entry = zip.by_name(FLOW_NAME).map_err(|_| Error::NotFound)?;
    let mut out = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
    entry.read_to_end(&mut out).map_err(storage)?;
    Ok(out)
}
