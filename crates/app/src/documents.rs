//! Uploaded documents: `upload` keeps the bytes content-addressed (type sniffed from the
//! content, size limited) and answers the hash the commands that attach a document record;
//! `download` gives the bytes back only to someone who may read a record naming that hash —
//! an agreement's versions, a visit's attachments, a deliverable's or a closed gap's evidence
//! (`Document: <name> (SHA-256 <hash>)`) of a partnership the caller's relation opens. Anyone else, an unknown hash and a document no record names all answer the same 404.

use crate::{App, AppError, Caller};
use cellpath_domain::documents::sniff;
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_store::{DocumentMeta, NamedIn};
use serde::Serialize;

/// How an S3-compatible bucket for documents is reached ([`App::with_documents_bucket`]).
pub use cellpath_store::BucketConfig;

/// What an upload answers: what the events that attach the document record.
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadedDocument {
    #[schema(schema_with = crate::views::schema::sha256)]
    pub sha256: String,
    pub size: i64,
    /// The file's name as uploaded (the document itself is kept by hash; the name goes into the
    /// event that attaches it).
    pub name: String,
    pub media_type: String,
}

/// A document's bytes as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedDocument {
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// The name a file is attached under: its last path segment (browsers on some systems send
/// the whole path), trimmed, at most 200 characters.
fn file_name(name: &str) -> Result<String, AppError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() {
        return Err(AppError::invalid("file", "the file has no name"));
    }
    Ok(base.chars().take(200).collect())
}

/// An upload no record names this long after it was kept is purged
/// ([`App::purge_orphan_uploads`], run by the hourly `PurgeOrphanUploads` job).
pub const ORPHAN_UPLOAD_HOURS: i64 = 24;

/// How many documents one purge looks at (the next hour's takes the rest).
const PURGE_BATCH: i64 = 500;

impl App {
    /// Purge the uploads kept for [`ORPHAN_UPLOAD_HOURS`] that no record names (a form that
    /// failed after its file was kept, or a client that uploaded and never attached): their
    /// rows and bytes. A document a record names is never touched. Answers how many went.
    pub async fn purge_orphan_uploads(&self) -> Result<usize, AppError> {
        let cutoff = self.now() - ORPHAN_UPLOAD_HOURS * 3_600_000_000;
        let mut purged = 0;
        for sha256 in self
            .store
            .documents_kept_before(cutoff, PURGE_BATCH)
            .await?
        {
            if !self
                .store
                .records_naming_document(&sha256)
                .await?
                .is_empty()
            {
                continue;
            }
            if self.documents.purge(&sha256, cutoff).await? {
                purged += 1;
            }
        }
        Ok(purged)
    }

    /// Keep an uploaded document. Operational, not an event: the command that attaches it
    /// records it by hash. Refused with the reason beside the field `file`: empty, over the
    /// limit, or not a PDF, PNG, JPEG, plain text or Word document.
    pub async fn upload(
        &self,
        caller: &Caller,
        name: &str,
        bytes: &[u8],
    ) -> Result<UploadedDocument, AppError> {
        if caller.principal.is_none() {
            return Err(AppError::Unauthenticated);
        }
        let name = file_name(name)?;
        let media_type = sniff(bytes).map_err(|e| AppError::invalid("file", e))?;
        let meta = DocumentMeta {
            sha256: cellpath_ledger::hash_bytes(bytes),
            media_type: media_type.as_str().to_string(),
            size: bytes.len() as i64,
            created_at: self.now(),
        };
        self.documents.put(&meta, bytes).await?;
        Ok(UploadedDocument {
            sha256: meta.sha256,
            size: meta.size,
            name,
            media_type: meta.media_type,
        })
    }

    /// Which of these hashes name a document kept here (the others were attached by hash
    /// only, their files kept elsewhere): a page links only those. Says nothing about who may
    /// read them; a page shows hashes only of records its reader may read.
    pub async fn documents_kept(&self, hashes: &[&str]) -> Result<Vec<bool>, AppError> {
        let mut kept = Vec::with_capacity(hashes.len());
        for h in hashes {
            kept.push(self.store.document(h).await?.is_some());
        }
        Ok(kept)
    }

    /// The document's bytes, for a caller who may read a record that names it.
    pub async fn download(
        &self,
        caller: &Caller,
        sha256: &str,
    ) -> Result<DownloadedDocument, AppError> {
        let not_found = || AppError::not_found(format!("document {}", short(sha256)));
        let mut readable = false;
        for (named_in, partnership_id) in self.store.records_naming_document(sha256).await? {
            let kind = match named_in {
                NamedIn::Agreement => ResourceKind::Contract,
                NamedIn::Visit | NamedIn::Gap => ResourceKind::Readiness,
                NamedIn::Deliverable | NamedIn::ConsentVersion => ResourceKind::Deliverable,
            };
            let what = format!("the documents of partnership {partnership_id}");
            if self
                .party_partnership(caller, &partnership_id, Action::Read, kind, &what)
                .await
                .is_ok()
            {
                readable = true;
                break;
            }
        }
        if !readable {
            return Err(not_found());
        }
        let (meta, bytes) = self.documents.get(sha256).await?.ok_or_else(not_found)?;
        Ok(DownloadedDocument {
            media_type: meta.media_type,
            bytes,
        })
    }
}

fn short(sha256: &str) -> String {
    sha256.chars().take(64).collect()
}
