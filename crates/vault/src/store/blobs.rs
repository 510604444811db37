//! The blob store: content-addressed bytes (acts, signatures, attestations, archives), named by
//! their SHA-256. Two real implementations: files on a local disk (written to a temporary name,
//! fsync'd, renamed, so that a crash never leaves a partial blob under its final name) and an
//! S3-compatible bucket.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

use crate::error::{storage, Result};

/// Content-addressed storage.
#[async_trait]
pub trait Blobs: Send + Sync {
    /// Stores `bytes` and returns their SHA-256 (hex). Storing the same bytes twice is a no-op.
    async fn put(&self, bytes: Vec<u8>) -> Result<String> {
        let name = sha256_hex(&bytes);
        self.put_named(&name, bytes).await?;
        Ok(name)
    }
    /// Stores `bytes` whose SHA-256 (hex) the caller has just computed (hashing 200 KB again
    /// per blob showed in the deposit profile). The name must be the bytes' digest.
    async fn put_named(&self, sha256: &str, bytes: Vec<u8>) -> Result<()>;
    /// Stores the content of `file`, a spool file already fsync'd whose SHA-256 (hex) the caller
    /// computed while writing it, without reading it whole into memory (files transferred into
    /// an office vault can be large). The spool file is consumed (moved or deleted).
    async fn put_spooled(&self, sha256: &str, file: tempfile::TempPath) -> Result<()>;
    /// Reads the blob named by `sha256` (hex); `None` if absent.
    async fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>>;
    /// The blob named by `sha256` as a stream of chunks, with its size, for a download that
    /// never holds a large file whole in memory; `None` if absent.
    async fn open(&self, sha256: &str) -> Result<Option<BlobStream>>;
    /// Deletes the blob named by `sha256`; `true` if it existed. Only the garbage collector of
    /// interrupted uploads calls it (`crate::gc`).
    async fn delete(&self, sha256: &str) -> Result<bool>;
    /// Removes temporary files left by interrupted writes (none for stores with atomic puts).
    async fn clean_temporary(&self) -> Result<()> {
        Ok(())
    }
}

/// A blob being read: its size and its bytes in chunks.
pub struct BlobStream {
    /// Size in bytes.
    pub size: u64,
    /// The bytes, chunk by chunk.
    pub chunks: futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>,
}

/// Bytes read at once from a blob file.
const READ_CHUNK: usize = 256 * 1024;

/// What [`FileBlobs::place`] stores.
enum Source {
    /// The blob's bytes.
    Bytes(Vec<u8>),
    /// A spool file holding them.
    Spool(tempfile::TempPath),
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn valid_name(sha256: &str) -> bool {
    sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Blobs as files under a directory: `DIR/ab/abcdef...`.
#[derive(Debug, Clone)]
pub struct FileBlobs {
    root: PathBuf,
}

impl FileBlobs {
    /// Blobs under `root` (created if needed).
    pub fn new(root: &Path) -> Result<Self> {
        crate::datadir::private_dir_all(&root.join("tmp")).map_err(storage)?;
        Ok(FileBlobs {
            root: root.to_owned(),
        })
    }

    /// Stores the blob named `sha256` durably, then fsyncs its directory (a rename is durable
    /// only then). Bytes go through a temporary file of the store, fsync'd and renamed; a spool
    /// file (already fsync'd by its writer) is renamed in place, or, on another file system,
    /// copied through a temporary file of the store. A blob already stored is kept (same name,
    /// same bytes); a spool file not moved is deleted when it drops.
    async fn place(&self, sha256: &str, source: Source) -> Result<()> {
        if !valid_name(sha256) {
            return Err(storage("invalid blob name"));
        }
        let this = self.clone();
        let name = sha256.to_owned();
        tokio::task::spawn_blocking(move || {
            let dest = this.path(&name);
            if dest.exists() {
                return Ok(());
            }
            let dir = dest.parent().ok_or_else(|| storage("blob path"))?;
            crate::datadir::private_dir_all(dir).map_err(storage)?;
            let through_tmp = |fill: &dyn Fn(&std::path::Path) -> std::io::Result<()>| {
                let tmp =
                    tempfile::NamedTempFile::new_in(this.root.join("tmp")).map_err(storage)?;
                fill(tmp.path()).map_err(storage)?;
                tmp.as_file().sync_all().map_err(storage)?;
                tmp.persist(&dest).map_err(storage)?;
                Ok::<_, crate::error::Error>(())
            };
            match source {
                Source::Bytes(bytes) => through_tmp(&|p| std::fs::write(p, &bytes))?,
                Source::Spool(file) => {
                    if let Err(e) = file.persist(&dest) {
                        let from = e.path;
                        through_tmp(&|p| std::fs::copy(&from, p).map(|_| ()))?;
                    }
                }
            }
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(storage)?;
            Ok(())
        })
        .await
        .map_err(storage)?
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }
}

#[async_trait]
impl Blobs for FileBlobs {
    async fn put_named(&self, sha256: &str, bytes: Vec<u8>) -> Result<()> {
        // (An invalid name is refused by `place`.)
        debug_assert!(!valid_name(sha256) || sha256 == sha256_hex(&bytes));
        self.place(sha256, Source::Bytes(bytes)).await
    }

    async fn put_spooled(&self, sha256: &str, file: tempfile::TempPath) -> Result<()> {
        self.place(sha256, Source::Spool(file)).await
    }

    async fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        if !valid_name(sha256) {
            return Ok(None);
        }
        match tokio::fs::read(self.path(sha256)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    async fn open(&self, sha256: &str) -> Result<Option<BlobStream>> {
        if !valid_name(sha256) {
            return Ok(None);
        }
        let file = match tokio::fs::File::open(self.path(sha256)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(storage(e)),
        };
        let size = file.metadata().await.map_err(storage)?.len();
        let chunks = futures_util::stream::unfold(Some(file), |file| async move {
            let mut file = file?;
            // Read into fresh capacity (no zeroing of the chunk: it showed in the profile).
            let mut buf = bytes::BytesMut::with_capacity(READ_CHUNK);
            match tokio::io::AsyncReadExt::read_buf(&mut file, &mut buf).await {
                Ok(0) => None,
                Ok(_) => Some((Ok(buf.freeze()), Some(file))),
                Err(e) => Some((Err(e), None)),
            }
        });
        Ok(Some(BlobStream {
            size,
            chunks: Box::pin(chunks),
        }))
    }

    async fn delete(&self, sha256: &str) -> Result<bool> {
        if !valid_name(sha256) {
            return Ok(false);
        }
        match tokio::fs::remove_file(self.path(sha256)).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(storage(e)),
        }
    }

    async fn clean_temporary(&self) -> Result<()> {
        let tmp = self.root.join("tmp");
        let _ = tokio::fs::remove_dir_all(&tmp).await;
        tokio::task::spawn_blocking(move || crate::datadir::private_dir_all(&tmp))
            .await
            .map_err(storage)?
            .map_err(storage)
    }
}

/// Where the S3 bucket is.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct S3Config {
    /// Endpoint URL, e.g. `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// Bucket name.
    pub bucket: String,
    /// Region.
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

/// Part size of multipart uploads to S3 (S3 wants at least 5 MiB but for the last part).
const S3_PART: usize = 8 * 1024 * 1024;

/// Blobs in an S3-compatible bucket, one object per blob (`blobs/<sha256>`). S3 writes are
/// atomic: an object is visible whole or not at all.
pub struct S3Blobs {
    store: Arc<dyn ObjectStore>,
}

impl S3Blobs {
    /// Connects to the bucket described by `cfg`.
    pub fn new(cfg: &S3Config) -> Result<Self> {
        // reqwest is built without a provider: use ring (already installed is fine).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = AmazonS3Builder::new()
            .with_endpoint(&cfg.endpoint)
            .with_bucket_name(&cfg.bucket)
            .with_region(&cfg.region)
            .with_access_key_id(&cfg.access_key_id)
            .with_secret_access_key(&cfg.secret_access_key)
            .with_allow_http(cfg.endpoint.starts_with("http://"))
            .with_virtual_hosted_style_request(false)
            .build()
            .map_err(storage)?;
        Ok(S3Blobs {
            store: Arc::new(store),
        })
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn put_named(&self, sha256: &str, bytes: Vec<u8>) -> Result<()> {
        if !valid_name(sha256) {
            return Err(storage("invalid blob name"));
        }
        debug_assert_eq!(sha256, sha256_hex(&bytes));
        let path = ObjectPath::from(format!("blobs/{sha256}"));
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(storage)?;
        Ok(())
    }

    async fn put_spooled(&self, sha256: &str, file: tempfile::TempPath) -> Result<()> {
        use tokio::io::AsyncReadExt;
        if !valid_name(sha256) {
            return Err(storage("invalid blob name"));
        }
        let path = ObjectPath::from(format!("blobs/{sha256}"));
        let mut f = tokio::fs::File::open(&file).await.map_err(storage)?;
        let size = f.metadata().await.map_err(storage)?.len();
        if size <= S3_PART as u64 {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            f.read_to_end(&mut bytes).await.map_err(storage)?;
            return self.put_named(sha256, bytes).await;
        }
        // A multipart upload: the object appears whole at `finish`, or not at all.
        let upload = self.store.put_multipart(&path).await.map_err(storage)?;
        let mut w = object_store::WriteMultipart::new_with_chunk_size(upload, S3_PART);
        let mut buf = vec![0u8; 1024 * 1024];
        loop {
            let n = match f.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(storage(e));
                }
            };
            if n == 0 {
                break;
            }
            w.write(&buf[..n]);
            if let Err(e) = w.wait_for_capacity(2).await {
                let _ = w.abort().await;
                return Err(storage(e));
            }
        }
        w.finish().await.map_err(storage)?;
        Ok(())
    }

    async fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        if !valid_name(sha256) {
            return Ok(None);
        }
        let path = ObjectPath::from(format!("blobs/{sha256}"));
        match self.store.get(&path).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(storage)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    async fn open(&self, sha256: &str) -> Result<Option<BlobStream>> {
        if !valid_name(sha256) {
            return Ok(None);
        }
        let path = ObjectPath::from(format!("blobs/{sha256}"));
        match self.store.get(&path).await {
            Ok(r) => {
                let size = r.meta.size;
                let chunks = futures_util::StreamExt::map(r.into_stream(), |c| {
                    c.map_err(std::io::Error::other)
                });
                Ok(Some(BlobStream {
                    size,
                    chunks: Box::pin(chunks),
                }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    async fn delete(&self, sha256: &str) -> Result<bool> {
        if !valid_name(sha256) {
            return Ok(false);
        }
        let path = ObjectPath::from(format!("blobs/{sha256}"));
        match self.store.head(&path).await {
            Ok(_) => {}
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(storage(e)),
        }
        self.store.delete(&path).await.map_err(storage)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A download streams the blob in chunks (never whole in memory) and yields its bytes.
    #[tokio::test]
    async fn a_file_blob_is_read_as_a_stream_of_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FileBlobs::new(dir.path()).unwrap();
        let bytes: Vec<u8> = (0..3 * READ_CHUNK + 17).map(|i| (i % 251) as u8).collect();
        let name = blobs.put(bytes.clone()).await.unwrap();
        let blob = blobs.open(&name).await.unwrap().unwrap();
        assert_eq!(blob.size, bytes.len() as u64);
        let chunks: Vec<bytes::Bytes> = futures_util::StreamExt::collect::<Vec<_>>(blob.chunks)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert!(chunks.len() >= 4, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|c| c.len() <= READ_CHUNK));
        assert_eq!(chunks.concat(), bytes);
        assert!(blobs.open(&"0".repeat(64)).await.unwrap().is_none());
        assert!(blobs.open("../../etc/passwd").await.unwrap().is_none());
    }
}
