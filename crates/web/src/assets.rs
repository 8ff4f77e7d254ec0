//! The stylesheets, compiled into the binary (no CDN, no files to deploy beside them): the
//! one every page links, the print sheet of the label page (its `@page` is the label's
//! size, so it must not reach other pages), and the adverse-event form's small script. Their URLs carry a hash of their content, so
//! browsers may cache them for long and still see a new version at once.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use std::sync::OnceLock;

pub const STYLESHEET_PATH: &str = "/static/app.css";
const STYLESHEET: &str = include_str!("../static/app.css");
pub const LABELS_PATH: &str = "/static/labels.css";
const LABELS: &str = include_str!("../static/labels.css");

/// `/static/app.css?v=<hash>`.
pub fn stylesheet_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| versioned(STYLESHEET_PATH, STYLESHEET))
}

/// `/static/labels.css?v=<hash>`.
pub fn labels_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| versioned(LABELS_PATH, LABELS))
}

fn versioned(path: &str, body: &str) -> String {
    format!("{path}?v={:016x}", fnv1a(body.as_bytes()))
}

/// FNV-1a: enough to tell versions of one file apart (this is not a security hash).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub const GRADING_SCRIPT_PATH: &str = "/static/grading.js";
const GRADING_SCRIPT: &str = include_str!("../static/grading.js");

/// `/static/grading.js?v=<hash>`: the adverse-event form's grade as it is typed (a file, as
/// the pages' Content-Security-Policy allows scripts from this origin only).
pub fn grading_script_src() -> &'static str {
    static SRC: OnceLock<String> = OnceLock::new();
    SRC.get_or_init(|| {
        format!(
            "{GRADING_SCRIPT_PATH}?v={:016x}",
            fnv1a(GRADING_SCRIPT.as_bytes())
        )
    })
}

pub async fn grading_script() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        GRADING_SCRIPT,
    )
}

fn css(body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}

pub async fn stylesheet() -> impl IntoResponse {
    css(STYLESHEET)
}

pub async fn labels() -> impl IntoResponse {
    css(LABELS)
}
