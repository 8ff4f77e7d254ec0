//! Uploaded documents, content-addressed by SHA-256 (migration 0012). Operational rows: the
//! events that attach a document name its hash; the bytes live behind [`DocumentStore`] — in
//! the database by default ([`InDatabase`]), as files in a directory ([`InDirectory`]), or as
//! objects of an S3-compatible bucket ([`InBucket`](crate::InBucket), `bucket.rs`).
//! Either way a `documents` row is written only once its bytes are safely kept, so an upload
//! that fails leaves no row that would answer without its content.

use crate::{Store, StoreError};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

/// What is known of a stored document besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentMeta {
    /// 64 lowercase hex digits.
    pub sha256: String,
    /// The type its content was sniffed as.
    pub media_type: String,
    pub size: i64,
    pub created_at: i64,
}

pub type DocumentFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where a document's bytes are kept. `put` is idempotent (the same bytes have the same hash)
/// and leaves nothing behind that `get` would answer when it fails; `get` answers the bytes
/// only for a document whose row exists.
pub trait DocumentStore: Send + Sync {
    fn put<'a>(&'a self, meta: &'a DocumentMeta, bytes: &'a [u8]) -> DocumentFuture<'a, ()>;
    fn get<'a>(&'a self, sha256: &'a str) -> DocumentFuture<'a, Option<(DocumentMeta, Vec<u8>)>>;
    /// Remove a document kept since before `cutoff` (its row, then its bytes); whether it was
    /// removed. The caller has made sure no record names it.
    fn purge<'a>(&'a self, sha256: &'a str, cutoff: i64) -> DocumentFuture<'a, bool>;
}

/// The embedded default: the bytes as hex text in `document_contents`, written in the same
/// transaction as the `documents` row.
pub struct InDatabase(pub Store);

/// A directory of files named by their hash (`CELLPATH_DOCUMENTS_DIR`): each written to a
/// temporary file, flushed and renamed into place before the row is inserted. A failure after
/// the rename leaves a file no row names, which nothing serves; the next upload of the same
/// bytes finds it in place.
pub struct InDirectory {
    pub store: Store,
    pub dir: PathBuf,
}

pub(crate) fn check(meta: &DocumentMeta, bytes: &[u8]) -> Result<(), StoreError> {
    if cellpath_ledger::hash_bytes(bytes) != meta.sha256 || meta.size != bytes.len() as i64 {
        return Err(StoreError::Invalid(format!(
            "document {} does not match its bytes",
            meta.sha256
        )));
    }
    Ok(())
}

impl DocumentStore for InDatabase {
    fn put<'a>(&'a self, meta: &'a DocumentMeta, bytes: &'a [u8]) -> DocumentFuture<'a, ()> {
        Box::pin(async move {
            check(meta, bytes)?;
            let mut tx = self.0.writer.begin().await?;
            let inserted = insert_row(&mut tx, meta).await?;
            if inserted {
                sqlx::query("INSERT INTO document_contents (sha256, content_hex) VALUES ($1, $2)")
                    .bind(&meta.sha256)
                    .bind(hex::encode(bytes))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, sha256: &'a str) -> DocumentFuture<'a, Option<(DocumentMeta, Vec<u8>)>> {
        Box::pin(async move {
            let Some(meta) = self.0.document(sha256).await? else {
                return Ok(None);
            };
            let row: Option<(String,)> =
                sqlx::query_as("SELECT content_hex FROM document_contents WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_optional(&self.0.reader)
                    .await?;
            let Some((content,)) = row else {
                return Err(StoreError::Invalid(format!(
                    "document {sha256} has a row but no bytes in the database"
                )));
            };
            let bytes = hex::decode(content)
                .map_err(|e| StoreError::Invalid(format!("document {sha256}: {e}")))?;
            Ok(Some((meta, bytes)))
        })
    }
    fn purge<'a>(&'a self, sha256: &'a str, cutoff: i64) -> DocumentFuture<'a, bool> {
        Box::pin(async move { self.0.delete_document_row(sha256, cutoff).await })
    }
}

impl InDirectory {
    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256)
    }
}

fn io(what: &str, e: std::io::Error) -> StoreError {
    StoreError::Invalid(format!("documents directory: {what}: {e}"))
}

impl DocumentStore for InDirectory {
    fn put<'a>(&'a self, meta: &'a DocumentMeta, bytes: &'a [u8]) -> DocumentFuture<'a, ()> {
        Box::pin(async move {
            check(meta, bytes)?;
            let dir = self.dir.clone();
            let target = self.path(&meta.sha256);
            let content = bytes.to_vec();
            tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
                use std::io::Write;
                if target.exists() {
                    return Ok(());
                }
                std::fs::create_dir_all(&dir).map_err(|e| io("create", e))?;
                let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| io("write", e))?;
                tmp.write_all(&content).map_err(|e| io("write", e))?;
                tmp.as_file().sync_all().map_err(|e| io("flush", e))?;
                tmp.persist(&target).map_err(|e| io("rename", e.error))?;
                Ok(())
            })
            .await
            .map_err(|e| StoreError::Invalid(format!("documents directory: {e}")))??;
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
            let bytes = tokio::fs::read(self.path(sha256))
                .await
                .map_err(|e| io(sha256, e))?;
            Ok(Some((meta, bytes)))
        })
    }
    fn purge<'a>(&'a self, sha256: &'a str, cutoff: i64) -> DocumentFuture<'a, bool> {
        Box::pin(async move {
            // The row first: a file no row names is never served (and a later upload of the
            // same bytes finds it in place).
            if !self.store.delete_document_row(sha256, cutoff).await? {
                return Ok(false);
            }
            match tokio::fs::remove_file(self.path(sha256)).await {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
                Err(e) => Err(io(sha256, e)),
            }
        })
    }
}

/// Insert the row unless the same document is already kept; whether it was inserted now.
/// A document kept already is touched (`created_at` moved to now): uploaded again, it is
/// about to be attached, and the orphan purge must not take it between the two.
pub(crate) async fn insert_row(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    meta: &DocumentMeta,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO documents (sha256, media_type, size, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(&meta.sha256)
    .bind(&meta.media_type)
    .bind(meta.size)
    .bind(meta.created_at)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(true);
    }
    sqlx::query("UPDATE documents SET created_at = $2 WHERE sha256 = $1 AND created_at < $2")
        .bind(&meta.sha256)
        .bind(meta.created_at)
        .execute(&mut **tx)
        .await?;
    Ok(false)
}

/// The record tables that name documents, and the partnerships whose records name one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedIn {
    /// An agreement's document versions.
    Agreement,
    /// A site visit's attachments.
    Visit,
    /// A deliverable record's evidence (`Document: <name> (SHA-256 <hash>)` in its text).
    Deliverable,
    /// A closed gap's evidence, named the same way.
    Gap,
    /// A consent version's form.
    ConsentVersion,
}

impl Store {
    /// Up to `limit` documents kept since before `cutoff`, oldest first: the candidates of the
    /// orphan-upload purge.
    pub async fn documents_kept_before(
        &self,
        cutoff: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT sha256 FROM documents WHERE created_at < $1 ORDER BY created_at, sha256 LIMIT $2",
        )
        .bind(cutoff)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|(h,)| h).collect())
    }

    /// Delete a document's row (and bytes kept in the database) if it was kept before
    /// `cutoff`, in one transaction; whether it was. The row's own delete decides, under its
    /// lock: a re-upload that touched it meanwhile keeps it, and the bytes with it.
    pub async fn delete_document_row(&self, sha256: &str, cutoff: i64) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM document_contents WHERE sha256 = $1")
            .bind(sha256)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM documents WHERE sha256 = $1 AND created_at < $2")
            .bind(sha256)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn document(&self, sha256: &str) -> Result<Option<DocumentMeta>, StoreError> {
        let row: Option<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT sha256, media_type, size, created_at FROM documents WHERE sha256 = $1",
        )
        .bind(sha256)
        .fetch_optional(&self.reader)
        .await?;
        Ok(
            row.map(|(sha256, media_type, size, created_at)| DocumentMeta {
                sha256,
                media_type,
                size,
                created_at,
            }),
        )
    }

    /// Every (record kind, partnership) whose records name the document: the agreements whose
    /// versions and the visits whose attachments hold `"sha256":"<hash>"` in their JSON, the
    /// deliverables and gaps whose evidence names `(SHA-256 <hash>)`, the consent versions of
    /// that form.
    pub async fn records_naming_document(
        &self,
        sha256: &str,
    ) -> Result<Vec<(NamedIn, String)>, StoreError> {
        if !cellpath_ledger::is_sha256_hex(sha256) {
            return Ok(vec![]);
        }
        // Hex digits need no escaping in a LIKE pattern.
        let json = format!("%\"sha256\":\"{sha256}\"%");
        let evidence = format!("%(SHA-256 {sha256})%");
        let mut found = Vec::new();
        for (kind, pattern, sql) in [
            (
                NamedIn::Agreement,
                &json,
                "SELECT DISTINCT partnership_id FROM agreements WHERE documents LIKE $1 ORDER BY partnership_id",
            ),
            (
                NamedIn::Visit,
                &json,
                "SELECT DISTINCT partnership_id FROM site_visits WHERE attachments LIKE $1 ORDER BY partnership_id",
            ),
            (
                NamedIn::Deliverable,
                &evidence,
                "SELECT DISTINCT partnership_id FROM deliverable_records WHERE evidence LIKE $1 ORDER BY partnership_id",
            ),
            (
                NamedIn::Gap,
                &evidence,
                "SELECT DISTINCT partnership_id FROM gaps WHERE evidence LIKE $1 ORDER BY partnership_id",
            ),
            (
                NamedIn::ConsentVersion,
                &sha256.to_string(),
                "SELECT DISTINCT partnership_id FROM consent_versions WHERE document_sha256 = $1 ORDER BY partnership_id",
            ),
        ] {
            let rows: Vec<(String,)> = sqlx::query_as(sql)
                .bind(pattern)
                .fetch_all(&self.reader)
                .await?;
            found.extend(rows.into_iter().map(|(p,)| (kind, p)));
        }
        Ok(found)
    }
}
