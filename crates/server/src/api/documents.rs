//! `POST /api/v1/documents` keeps an uploaded file (multipart with a `file` part, or the raw
//! bytes with the name in `Content-Disposition`) and answers its hash, size, name and sniffed
//! type — what the commands that attach a document take; `GET /api/v1/documents/{sha256}`
//! serves the bytes to someone who may read a record naming them, else 404.

use super::extract::{ApiCaller, NoQuery, body_problem};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, body::Bytes};
use cellpath_app::AppError;
use cellpath_app::documents::UploadedDocument;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// A document's bytes, uploaded raw (`application/octet-stream`).
pub struct DocumentUpload;

impl PartialSchema for DocumentUpload {
    fn schema() -> RefOr<Schema> {
        bytes("the file's bytes")
    }
}
impl ToSchema for DocumentUpload {}

/// A document's bytes as served, in their stored type.
pub struct DocumentBytes;

impl PartialSchema for DocumentBytes {
    fn schema() -> RefOr<Schema> {
        bytes("the document as uploaded")
    }
}
impl ToSchema for DocumentBytes {}

fn bytes(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .content_media_type("application/octet-stream")
        .description(Some(description))
        .into()
}

/// What an upload may weigh on the wire: the largest document and room for multipart framing.
pub const UPLOAD_BODY_LIMIT: usize = cellpath_domain::documents::MAX_DOCUMENT_BYTES + 64 * 1024;

#[utoipa::path(
    post,
    path = "/api/v1/documents",
    operation_id = "uploadDocument",
    summary = "Keep a document (at most 10 MiB; PDF, PNG, JPEG, plain text or Word .docx, the type read from the content): multipart/form-data with a part named file, or the raw bytes with the name in Content-Disposition. Answers the SHA-256, size, name and type to attach it by (agreement documents, visit attachments); kept once per content",
    request_body = DocumentUpload,
    responses((status = 201, body = UploadedDocument))
)]
pub async fn upload(
    State(s): State<AppState>,
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    req: Request,
) -> Result<Response, ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (name, bytes) = if is_multipart {
        let mut form = Multipart::from_request(req, &s)
            .await
            .map_err(|e| ApiError::from(body_problem(e.status(), e.body_text())))?;
        let mut file = None;
        while let Some(field) = form.next_field().await.map_err(bad_body)? {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or("").to_string();
                file = Some((name, field.bytes().await.map_err(bad_body)?));
                break;
            }
        }
        file.ok_or_else(|| AppError::invalid("file", "send the document in a part named file"))?
    } else {
        let name = req
            .headers()
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(file_name)
            .unwrap_or_default();
        let bytes = Bytes::from_request(req, &s)
            .await
            .map_err(|e| ApiError::from(body_problem(e.status(), e.body_text())))?;
        (name, bytes)
    };
    let name = if name.is_empty() {
        "document".to_string()
    } else {
        name
    };
    let up = s.app.upload(&caller, &name, &bytes).await?;
    Ok((StatusCode::CREATED, Json(up)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/documents/{sha256}",
    operation_id = "downloadDocument",
    summary = "A document's bytes, in its stored type, for a caller who may read a record naming it (an agreement's versions, a visit's attachments); 404 for anyone else",
    responses((status = 200, body = DocumentBytes))
)]
pub async fn download(
    State(s): State<AppState>,
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let doc = s.app.download(&caller, &sha256).await?;
    Ok(cellpath_web::document_response(doc))
}

/// The `filename` of a `Content-Disposition` header, quoted or not.
fn file_name(disposition: &str) -> Option<String> {
    disposition.split(';').map(str::trim).find_map(|part| {
        let value = part.strip_prefix("filename=")?;
        Some(value.trim_matches('"').to_string())
    })
}

fn bad_body(e: axum::extract::multipart::MultipartError) -> ApiError {
    body_problem(e.status(), e.body_text()).into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_name_is_read_from_content_disposition() {
        use super::file_name;
        assert_eq!(
            file_name("attachment; filename=\"P&T minutes.pdf\"").as_deref(),
            Some("P&T minutes.pdf")
        );
        assert_eq!(
            file_name("inline; filename=a.txt").as_deref(),
            Some("a.txt")
        );
        assert_eq!(file_name("attachment"), None);
    }
}
