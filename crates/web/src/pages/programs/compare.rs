//! `GET /maps/compare?a=ID&b=ID`: two map versions side by side — two versions of one
//! program, or two programs' maps, so a site sees how manufacturers differ. Any two versions
//! the caller may read can be chosen; one the caller may not read answers 404.

use super::labels::modality_label;
use super::map_page::Loaded;
use crate::charts::comparison::comparison;
use crate::errors::WebError;
use crate::pages::{OrgNames, list_page};
use crate::paths;
use crate::session::Ctx;
use axum::extract::Query;
use axum::response::Response;
use cellpath_app::views::{MapVersion, Program};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct CompareQuery {
    pub a: Option<String>,
    pub b: Option<String>,
}

/// "Vantacel v2", for the comparison's columns and counts.
fn short(program: &Program, v: &MapVersion) -> String {
    format!("{} v{}", program.name, v.number)
}

/// "Vantacel, version 2 (draft)".
fn title(program: &Program, v: &MapVersion) -> String {
    format!("{}, version {} ({})", program.name, v.number, v.status)
}

pub async fn show(ctx: Ctx, Query(q): Query<CompareQuery>) -> Result<Response, WebError> {
    let chosen = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (a, b) = (chosen(&q.a), chosen(&q.b));
    // Every version the caller may read, program by program, to choose from.
    let names = OrgNames::load(&ctx).await?;
    let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for program in ctx.app.programs(ctx.caller(), list_page()).await? {
        let versions = ctx.app.map_versions(ctx.caller(), &program.id).await?;
        groups.push((
            format!(
                "{} — {}, {}",
                program.name,
                names.name(&program.org_id),
                modality_label(program.modality.as_str()).to_lowercase()
            ),
            versions
                .iter()
                .map(|v| {
                    (
                        v.id.clone(),
                        format!("{} ({})", short(&program, v), v.status),
                    )
                })
                .collect(),
        ));
    }
    let left = match &a {
        Some(id) => Some(Loaded::load(&ctx, id).await?),
        None => None,
    };
    let right = match &b {
        Some(id) => Some(Loaded::load(&ctx, id).await?),
        None => None,
    };
    let select = |name: &str, label: &str, current: Option<&str>| -> Markup {
        html! {
            div.field {
                label for={ "compare-" (name) } { (label) }
                select id={ "compare-" (name) } name=(name) {
                    option value="" selected[current.is_none()] { "Choose a map version…" }
                    @for (group, options) in &groups {
                        optgroup label=(group) {
                            @for (id, text) in options {
                                option value=(id) selected[Some(id.as_str()) == current] { (text) }
                            }
                        }
                    }
                }
            }
        }
    };
    let content = html! {
        header.page-head {
            p.breadcrumb { a href="/programs" { "Programs" } }
            h1 { "Compare process maps" }
            p.subtitle { "Two versions of one program, or two programs' maps, step by step and stage by stage." }
        }
        section.panel #choose {
            form.compare-form method="get" action="/maps/compare" {
                (select("a", "Left", a.as_deref()))
                (select("b", "Right", b.as_deref()))
                button.primary type="submit" { "Compare" }
            }
        }
        @match (&left, &right) {
            (Some(l), Some(r)) => {
                @match (&l.valid, &r.valid) {
                    (Ok(lv), Ok(rv)) => {
                        section.panel #comparison {
                            h2 {
                                a href={ (paths::map(&l.version.id)) } { (title(&l.program, &l.version)) }
                                span.muted { " and " }
                                a href={ (paths::map(&r.version.id)) } { (title(&r.program, &r.version)) }
                            }
                            (comparison(&short(&l.program, &l.version), lv, &short(&r.program, &r.version), rv))
                        }
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        div.callout.bad { p { "One of the versions no longer fits its program's facts: " (e) } }
                    }
                }
            }
            _ => {
                p.empty { "Choose two map versions to see them side by side." }
            }
        }
    };
    Ok(ctx.render("Compare process maps", content))
}
