//! Forms that carry files (`multipart/form-data`): the text fields as a [`FormData`], the
//! files apart, the CSRF token checked like [`crate::session::Posted`] before anything is read
//! further. A file is kept through the app's `upload` (type sniffed, size limited) and its
//! refusal comes back beside its field; the link each page shows for a document
//! (`/documents/{sha256}`) serves it through the app's `download`, to who may read the record.

use crate::WebState;
use crate::errors::WebError;
use crate::forms::FormData;
use crate::session::{Ctx, same_secret};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Path, Request};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use cellpath_app::AppError;
use cellpath_app::documents::{DownloadedDocument, UploadedDocument};

/// What a form with files may weigh: the largest document, a few of them on a visit, and room
/// for the text fields.
pub const FORM_WITH_FILES_LIMIT: usize =
    3 * cellpath_domain::documents::MAX_DOCUMENT_BYTES + 256 * 1024;

/// A route whose form carries files: the body may be as large as [`FORM_WITH_FILES_LIMIT`].
pub fn with_files(route: MethodRouter<WebState>) -> MethodRouter<WebState> {
    route.layer(DefaultBodyLimit::max(FORM_WITH_FILES_LIMIT))
}

/// A file posted in a form: the field it came in, its name as the browser gave it, its bytes.
pub struct PostedFile {
    pub field: String,
    pub name: String,
    pub bytes: axum::body::Bytes,
}

/// A `multipart/form-data` form posted by the signed-in user, CSRF checked.
pub struct PostedFiles {
    pub ctx: Ctx,
    pub form: FormData,
    pub files: Vec<PostedFile>,
}

fn unreadable(e: impl std::fmt::Display) -> Response {
    WebError::BadRequest(format!("the form could not be read: {e}")).into_response()
}

impl FromRequest<WebState> for PostedFiles {
    type Rejection = Response;

    async fn from_request(req: Request, state: &WebState) -> Result<PostedFiles, Response> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let mut multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(unreadable)?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut files = Vec::new();
        let mut checked = false;
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or("").to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    // The token comes first in every form; no file is read before it.
                    if !checked {
                        return Err(WebError::Csrf.into_response());
                    }
                    let bytes = field.bytes().await.map_err(unreadable)?;
                    // A file input left empty still sends a part with no name and no bytes.
                    if !(file_name.is_empty() && bytes.is_empty()) {
                        files.push(PostedFile {
                            field: name,
                            name: file_name,
                            bytes,
                        });
                    }
                }
                None => {
                    let value = field.text().await.map_err(unreadable)?;
                    if name == "csrf" {
                        if !same_secret(&value, ctx.csrf()) {
                            return Err(WebError::Csrf.into_response());
                        }
                        checked = true;
                    }
                    pairs.push((name, value));
                }
            }
        }
        if !checked {
            return Err(WebError::Csrf.into_response());
        }
        Ok(PostedFiles {
            ctx,
            form: FormData::from_pairs(pairs),
            files,
        })
    }
}

impl PostedFiles {
    /// Keep every file posted in `field`, in order; a refusal names `field`.
    pub async fn upload(&self, field: &str) -> Result<Vec<UploadedDocument>, AppError> {
        let mut kept = Vec::new();
        for f in self.files.iter().filter(|f| f.field == field) {
            let up = self
                .ctx
                .app
                .upload(self.ctx.caller(), &f.name, &f.bytes)
                .await
                .map_err(|e| match e {
                    AppError::Invalid(errors) => AppError::Invalid(
                        errors
                            .into_iter()
                            .map(|mut fe| {
                                fe.message = format!("{}: {}", f.name, fe.message);
                                fe.field = field.to_string();
                                fe
                            })
                            .collect(),
                    ),
                    other => other,
                })?;
            kept.push(up);
        }
        Ok(kept)
    }
}

/// `GET /documents/{sha256}`: the bytes, to who may read a record naming them; the styled
/// "Not found" page for anyone else.
pub async fn download(ctx: Ctx, Path(sha256): Path<String>) -> Result<Response, WebError> {
    let doc = ctx.app.download(ctx.caller(), &sha256).await?;
    Ok(document_response(doc))
}

/// A document's bytes as a download in its stored type, never rendered inside the site's
/// origin nor re-typed by the browser (the web's link and the API's answer alike).
pub fn document_response(doc: DownloadedDocument) -> Response {
    let media = HeaderValue::from_str(&doc.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, media),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment"),
            ),
        ],
        doc.bytes,
    )
        .into_response()
}

/// Evidence (a deliverable's, a gap's) is free text in its event; a document uploaded with it
/// is named there on a line of its own, `Document: <name> (SHA-256 <hash>)`, so the event
/// names it by hash and keeps its shape, and the app serves it to who may read the record.
pub fn evidence_naming(evidence: &str, docs: &[UploadedDocument]) -> String {
    let mut text = evidence.trim_end().to_string();
    for d in docs {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("Document: {} (SHA-256 {})", d.name, d.sha256));
    }
    text
}

/// A `Document: <name> (SHA-256 <hash>)` line: its name and hash.
fn document_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix("Document: ")?.strip_suffix(')')?;
    let (name, sha256) = rest.rsplit_once(" (SHA-256 ")?;
    cellpath_ledger::is_sha256_hex(sha256).then_some((name, sha256))
}

/// The hashes named in evidence texts that are kept here (a page links only those).
pub async fn kept_in<'t>(
    ctx: &Ctx,
    texts: impl Iterator<Item = &'t str>,
) -> Result<std::collections::BTreeSet<String>, WebError> {
    let hashes: Vec<&str> = texts
        .flat_map(str::lines)
        .filter_map(document_line)
        .map(|(_, h)| h)
        .collect();
    let kept = ctx.app.documents_kept(&hashes).await?;
    Ok(hashes
        .into_iter()
        .zip(kept)
        .filter(|(_, k)| *k)
        .map(|(h, _)| h.to_string())
        .collect())
}

/// Evidence as a person reads it: its lines, each document named in it linked to its
/// download when kept here.
pub fn evidence(text: &str, kept: &std::collections::BTreeSet<String>) -> maud::Markup {
    maud::html! {
        @for (i, line) in text.lines().enumerate() {
            @if i > 0 { br; }
            @match document_line(line).filter(|(_, h)| kept.contains(*h)) {
                Some((name, sha256)) => {
                    "Document: " a.document href=(crate::paths::document(sha256)) download=(name) { (name) }
                }
                None => (line),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_named_in_evidence_is_read_back_and_linked_only_when_kept() {
        let up = UploadedDocument {
            sha256: "ab".repeat(32),
            size: 10,
            name: "P&T minutes (March).pdf".into(),
            media_type: "application/pdf".into(),
        };
        let text = evidence_naming(
            "Approved at the March meeting.\n",
            std::slice::from_ref(&up),
        );
        assert_eq!(
            text,
            format!(
                "Approved at the March meeting.\nDocument: P&T minutes (March).pdf (SHA-256 {})",
                up.sha256
            )
        );
        let line = text.lines().nth(1).unwrap();
        assert_eq!(
            document_line(line),
            Some(("P&T minutes (March).pdf", up.sha256.as_str()))
        );
        assert_eq!(document_line("Document: x (SHA-256 abc)"), None);
        let none = evidence(&text, &Default::default()).into_string();
        assert!(!none.contains("href"), "{none}");
        let kept = [up.sha256.clone()].into_iter().collect();
        let linked = evidence(&text, &kept).into_string();
        assert!(
            linked.contains(&format!(
                r#"href="/documents/{}" download="P&amp;T minutes (March).pdf""#,
                up.sha256
            )),
            "{linked}"
        );
    }
}
