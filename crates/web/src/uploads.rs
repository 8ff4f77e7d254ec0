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
