//! Documents in an S3-compatible bucket ([`InBucket`], `--documents-s3-*` on `cellpath serve`):
//! the larger installation's backend beside [`InDatabase`](crate::InDatabase) and
//! [`InDirectory`](crate::InDirectory). Objects are named by the document's SHA-256, like the
//! directory's files. Requests are signed by `rusty-s3` (SigV4, presigned for a minute) and sent
//! with `reqwest`; path-style addressing serves MinIO-like servers.

use crate::documents::{DocumentFuture, DocumentMeta, DocumentStore, check, insert_row};
use crate::{Store, StoreError};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use std::time::Duration;

/// How a bucket is reached: what `cellpath serve` reads from its flags or environment.
#[derive(Clone)]
pub struct BucketConfig {
    /// `https://s3.eu-central-1.amazonaws.com`, or a MinIO-like server's `http://host:9000`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key` (MinIO-like servers).
    pub path_style: bool,
}

impl std::fmt::Debug for BucketConfig {
    // The secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketConfig")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("path_style", &self.path_style)
            .finish_non_exhaustive()
    }
}

/// Documents as objects of an S3-compatible bucket, named by their hash. `put` uploads the
/// object before it inserts the row, so a failed upload leaves no row; a failure after the
/// upload leaves an object no row names, which nothing serves and the next upload of the
/// same bytes overwrites with the same content. `get` checks the bytes against the hash, so an
/// object changed in the bucket behind the application's back is refused, not served.
pub struct InBucket {
    pub store: Store,
    bucket: Bucket,
    credentials: Credentials,
    client: reqwest::Client,
}

/// How long a signed request stays valid: it is sent at once.
const SIGNED_FOR: Duration = Duration::from_secs(60);

fn s3(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("documents bucket: {what}: {e}"))
}

/// A request that failed, with its causes ("connection refused"), without its URL: a signed
/// URL carries a signature that has no place in a log.
fn sent(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut said = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        said.push_str(": ");
        said.push_str(&c.to_string());
        cause = c.source();
    }
    said
}

impl InBucket {
    /// Refuses a configuration that cannot name a bucket (an endpoint that is not an
    /// http(s) URL, an empty bucket name or key); whether the bucket answers is [`Self::check`].
    pub fn new(store: Store, config: &BucketConfig) -> Result<InBucket, StoreError> {
        let endpoint = config.endpoint.parse().map_err(|e| {
            s3(
                "the endpoint",
                format!("{} is not a URL ({e})", config.endpoint),
            )
        })?;
        for (name, value) in [
            ("the bucket's name", &config.bucket),
            ("the region", &config.region),
            ("the access key", &config.access_key),
            ("the secret key", &config.secret_key),
        ] {
            if value.trim().is_empty() {
                return Err(s3(name, "is empty"));
            }
        }
        let style = if config.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(
            endpoint,
            style,
            config.bucket.clone(),
            config.region.clone(),
        )
        .map_err(|e| s3("the endpoint", format!("{e:?}")))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| s3("client", e))?;
        Ok(InBucket {
            store,
            bucket,
            credentials: Credentials::new(config.access_key.clone(), config.secret_key.clone()),
            client,
        })
    }

    /// Whether the bucket exists and these credentials reach it (`cellpath serve` asks before
    /// it listens, so a wrong setting stops it with a message rather than failing uploads).
    pub async fn check(&self) -> Result<(), StoreError> {
        let url = self
            .bucket
            .head_bucket(Some(&self.credentials))
            .sign(SIGNED_FOR);
        let answer = self
            .client
            .head(url)
            .send()
            .await
            .map_err(|e| s3(self.bucket.name(), sent(e)))?;
        if !answer.status().is_success() {
            return Err(s3(
                self.bucket.name(),
                format!(
                    "answered {} at {} (does the bucket exist, and may this key read it?)",
                    answer.status(),
                    self.bucket.base_url()
                ),
            ));
        }
        Ok(())
    }

    async fn put_object(
        &self,
        key: &str,
        bytes: Vec<u8>,
        media_type: &str,
    ) -> Result<(), StoreError> {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let answer = self
            .client
            .put(url)
            .header(reqwest::header::CONTENT_TYPE, media_type)
            .body(bytes)
            .send()
            .await
            .map_err(|e| s3(key, sent(e)))?;
        if !answer.status().is_success() {
            return Err(s3(key, format!("upload answered {}", answer.status())));
        }
        Ok(())
    }

    /// The object's bytes as the bucket holds them, whatever they are (`get` checks them
    /// against the row; tests look behind it).
    pub async fn object(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let answer = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| s3(key, sent(e)))?;
        if answer.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !answer.status().is_success() {
            return Err(s3(key, format!("download answered {}", answer.status())));
        }
        let bytes = answer.bytes().await.map_err(|e| s3(key, sent(e)))?;
        Ok(Some(bytes.to_vec()))
    }

    async fn delete_object(&self, key: &str) -> Result<(), StoreError> {
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let answer = self
            .client
            .delete(url)
            .send()
            .await
            .map_err(|e| s3(key, sent(e)))?;
        // S3 answers 204 for a key that was never there too.
        if !answer.status().is_success() && answer.status() != reqwest::StatusCode::NOT_FOUND {
            return Err(s3(key, format!("delete answered {}", answer.status())));
        }
        Ok(())
    }
}

impl DocumentStore for InBucket {
    fn put<'a>(&'a self, meta: &'a DocumentMeta, bytes: &'a [u8]) -> DocumentFuture<'a, ()> {
        Box::pin(async move {
            check(meta, bytes)?;
            // Always uploaded: the same key with the same bytes, and it restores an object
            // lost from the bucket while its row stayed.
            self.put_object(&meta.sha256, bytes.to_vec(), &meta.media_type)
                .await?;
            let mut tx = self.store.writer.begin().await?;
            insert_row(&mut tx, meta).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, sha256: &'a str) -> DocumentFuture<'a, Option<(DocumentMeta, Vec<u8>)>> {
        Box::pin(async move {
            let Some(meta) = self.store.document(sha256).await? else {
                return Ok(None);
            };
            let Some(bytes) = self.object(sha256).await? else {
                return Err(s3(sha256, "the document has a row but no object"));
            };
            check(&meta, &bytes)
                .map_err(|_| s3(sha256, "the object's bytes do not match its SHA-256"))?;
            Ok(Some((meta, bytes)))
        })
    }

    fn purge<'a>(&'a self, sha256: &'a str, cutoff: i64) -> DocumentFuture<'a, bool> {
        Box::pin(async move {
            // The row first: an object no row names is never served.
            if !self.store.delete_document_row(sha256, cutoff).await? {
                return Ok(false);
            }
            self.delete_object(sha256).await?;
            Ok(true)
        })
    }
}
