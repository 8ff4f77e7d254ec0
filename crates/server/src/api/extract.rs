//! What every handler needs from a request: the caller (bearer token), a JSON body parsed
//! with clear errors, the `Idempotency-Key`, the `If-Match` version, pagination.

use crate::AppState;
use crate::problem::{ApiError, Problem};
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use cellpath_app::{AppError, Caller, FieldError, Idem, Outcome};
use cellpath_domain::LedgerInt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{KnownFormat, Ref, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// The authenticated caller of an API request.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(AppError::Unauthenticated.into());
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or(AppError::Unauthenticated)?;
        let caller = state.app.authenticate_token(token).await?;
        // A read-only token is refused at the door for anything but reading, before its body
        // is looked at (the app refuses its writes too, whatever route they come by).
        if caller.read_only() && !matches!(parts.method, Method::GET | Method::HEAD) {
            return Err(AppError::ReadOnlyToken.into());
        }
        Ok(ApiCaller(caller))
    }
}

/// Parse a JSON body: wrong media type 415, bad syntax 400, wrong shape 422 — each saying
/// what to fix.
pub fn json<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "media-type",
            "JSON expected",
            "send the body as JSON with Content-Type: application/json",
        )
        .into());
    }
    let value = serde_json::from_slice::<serde_json::Value>(body)
        .map_err(|e| (String::new(), e))
        .and_then(|v| {
            serde_path_to_error::deserialize::<_, T>(whole_numbers(v))
                .map_err(|e| (field_name(e.path()), e.into_inner()))
        });
    value.map_err(|(field, e)| {
        use serde_json::error::Category;
        let (status, slug, title) = match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => (
                StatusCode::BAD_REQUEST,
                "malformed-json",
                "The body is not valid JSON",
            ),
            Category::Data => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "The body does not have the expected fields",
            ),
        };
        let detail: String = e.to_string().chars().take(300).collect();
        let mut problem = Problem::new(status, slug, title, detail.clone());
        // A value of the wrong type or out of range names its field as the app's own
        // refusals do (`observations.0.value`); '' is the body itself.
        if status == StatusCode::UNPROCESSABLE_ENTITY && !field.is_empty() {
            problem.errors.push(FieldError {
                field,
                message: detail,
            });
        }
        problem.into()
    })
}

/// JSON does not tell `3` from `3.0` (JSON Schema's `integer` takes both): a whole number
/// written with a fraction or exponent is read as the integer it is, within ±(2^53 − 1), where
/// every JSON reader agrees on it. Anything else stays a float, which no integer field takes.
fn whole_numbers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f)
                if !n.is_i64()
                    && !n.is_u64()
                    && f.fract() == 0.0
                    && f.abs() <= LedgerInt::MAX as f64 =>
            {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, whole_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A body field's path in the app's notation: `observations.0.value`.
fn field_name(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let names: Vec<String> = path
        .iter()
        .filter_map(|seg| match seg {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect();
    names.join(".")
}

/// The `Idempotency-Key` of a POST or PATCH, with the hash of what it was sent with.
pub fn idempotency(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Idem>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=200).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "idempotency-key",
                "Bad Idempotency-Key",
                "the key must be 1–200 visible ASCII characters (a UUID is a good choice)",
            )
        })?;
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b" ");
    h.update(uri.path().as_bytes());
    h.update(b"\n");
    h.update(body);
    Ok(Some(Idem {
        key: key.to_string(),
        request_hash: hex::encode(h.finalize()),
    }))
}

/// A body that could not be read: too large (413), or cut off.
pub fn body_problem(status: StatusCode, text: String) -> Problem {
    let (slug, title) = if status == StatusCode::PAYLOAD_TOO_LARGE {
        ("too-large", "The body is too large")
    } else {
        ("body", "The body could not be read")
    };
    Problem::new(status, slug, title, text)
}

/// A command request: the caller, its body, and its `Idempotency-Key`. When the key already
/// answered this very request, the extractor answers with the stored response at once (a
/// retry after a lost answer must not meet the state the first request changed), so no
/// handler repeats that check.
pub struct Command {
    pub caller: Caller,
    pub idem: Option<Idem>,
    headers: HeaderMap,
    body: axum::body::Bytes,
}

impl Command {
    /// The body as JSON of the command's input type.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        json(&self.headers, &self.body)
    }

    /// The version named by `If-Match`; missing → 428.
    pub fn if_match(&self) -> Result<i64, ApiError> {
        if_match(&self.headers)
    }

    /// The version named by `If-Match` when one is sent (where it is optional).
    pub fn optional_if_match(&self) -> Result<Option<i64>, ApiError> {
        match self.headers.get(header::IF_MATCH) {
            Some(_) => if_match(&self.headers).map(Some),
            None => Ok(None),
        }
    }
}

impl axum::extract::FromRequest<AppState> for Command {
    type Rejection = Response;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ApiCaller(caller) = ApiCaller::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        // Commands take no query parameters.
        NoQuery::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let (method, uri, headers) = (
            parts.method.clone(),
            parts.uri.clone(),
            parts.headers.clone(),
        );
        let req = axum::extract::Request::from_parts(parts, body);
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| body_problem(e.status(), e.body_text()).into_response())?;
        let idem =
            idempotency(&method, &uri, &headers, &body).map_err(IntoResponse::into_response)?;
        if let Some(key) = &idem
            && let Some(stored) = state
                .app
                .replay(&caller, key)
                .await
                .map_err(|e| ApiError::from(e).into_response())?
        {
            return Err(answer::<()>(
                Outcome::Replayed(stored),
                StatusCode::OK,
                |_| None,
            ));
        }
        Ok(Command {
            caller,
            idem,
            headers,
            body,
        })
    }
}

/// The meaning of an e-signature as sent (`"approval"`, …); an unknown one is invalid input.
pub fn meaning(text: &str) -> Result<cellpath_ledger::Meaning, AppError> {
    text.parse()
        .map_err(|e: cellpath_ledger::UnknownMeaning| AppError::invalid("meaning", e))
}

/// The version named by `If-Match` (`"3"`, `W/"3"` or `3`); missing → 428.
pub fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(AppError::PreconditionRequired.into());
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "if-match",
                "Bad If-Match",
                "If-Match must be the ETag you read, e.g. \"3\"",
            )
            .into()
        })
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<LedgerInt>,
    pub offset: Option<LedgerInt>,
}

/// A request's query parameters, or a problem+json 400 that says which one is wrong (axum's
/// own `Query` answers a bad one in plain text).
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(q)) => Ok(Params(q)),
            Err(e) => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "query",
                "Bad query parameters",
                e.body_text(),
            )
            .into()),
        }
    }
}

/// The query of an operation that takes no parameters: any parameter is refused (400, naming
/// it) as an unknown one is on every other route.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

pub type NoQuery = Params<NoParams>;

/// The `?limit=&offset=` of a list request.
pub type PageParams = Params<PageQuery>;

pub fn page(Params(q): PageParams) -> Result<cellpath_app::views::Page, ApiError> {
    Ok(cellpath_app::records::page(
        q.limit.map(LedgerInt::get),
        q.offset.map(LedgerInt::get),
    )?)
}

/// The caller's own organization ('' for a caller without one, whom the app then refuses).
pub fn own_org(caller: &Caller) -> String {
    caller.org_id().unwrap_or_default().to_string()
}

/// A page of items with where the next one starts; its schema is named after its items
/// (`SitePage`).
#[derive(Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub limit: i64,
    pub offset: i64,
    pub next_offset: Option<i64>,
}

impl<T: ToSchema> PartialSchema for Paged<T> {
    fn schema() -> RefOr<Schema> {
        let int = || {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        };
        ObjectBuilder::new()
            .property(
                "items",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .required("items")
            .property("limit", int())
            .required("limit")
            .property("offset", int())
            .required("offset")
            .property(
                "next_offset",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::Integer, Type::Null])),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl<T: ToSchema> ToSchema for Paged<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Page", T::name()))
    }
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// A whole list of items (not paged); its schema is named after its items (`GapList`).
#[derive(Serialize)]
#[serde(transparent)]
pub struct List<T>(pub Vec<T>);

impl<T> List<T> {
    /// The list of the views of `rows`.
    pub fn of<R>(rows: Vec<R>) -> Self
    where
        T: From<R>,
    {
        List(views(rows))
    }
}

impl<T: ToSchema> PartialSchema for List<T> {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(Ref::from_schema_name(T::name()))
            .into()
    }
}

impl<T: ToSchema> ToSchema for List<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}List", T::name()))
    }
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// The views of rows, in their order.
pub fn views<R, V: From<R>>(rows: Vec<R>) -> Vec<V> {
    rows.into_iter().map(V::from).collect()
}

pub fn paged<T: Serialize>(items: Vec<T>, page: cellpath_app::views::Page) -> Response {
    let next_offset = (items.len() as i64 == page.limit)
        .then(|| page.offset.checked_add(page.limit))
        .flatten();
    axum::Json(Paged {
        items,
        limit: page.limit,
        offset: page.offset,
        next_offset,
    })
    .into_response()
}

/// A record with its version as the ETag.
pub fn with_etag<T: Serialize>(status: StatusCode, value: &T, version: i64) -> Response {
    let mut res = (status, axum::Json(value)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// Answer a command: fresh results as JSON with their ETag, replays exactly as stored.
pub fn answer<T: Serialize>(
    outcome: Outcome<T>,
    status: StatusCode,
    version: impl Fn(&T) -> Option<i64>,
) -> Response {
    match outcome {
        Outcome::Fresh(v) => match version(&v) {
            Some(ver) => with_etag(status, &v, ver),
            None => (status, axum::Json(v)).into_response(),
        },
        Outcome::Replayed(stored) => {
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            let mut res = (status, stored.body).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            res
        }
    }
}

pub async fn not_found(uri: Uri) -> Response {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        format!(
            "no API route {}",
            uri.path().chars().take(100).collect::<String>()
        ),
    )
    .into_response()
}
