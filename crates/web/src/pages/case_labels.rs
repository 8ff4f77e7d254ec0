//! A case's label page (DESIGN.md §4.4): one 100 × 50 mm label per identifier the case holds,
//! for a label printer — the identifier as text (a DIN with its check character in a box, as
//! ISBT 128 prints it), the case's pseudonym and program, the product unit it belongs to, a
//! Data Matrix of it and, for a DIN, a Code 128. On screen the labels stand one under the
//! other at their printed size; printed (`static/labels.css`), each is one page with nothing
//! else on it. Only a reader whose view of the patient includes the chain of identity gets
//! here; the app refuses the others and says why.

use crate::barcode::Barcode;
use crate::errors::WebError;
use crate::paths;
use crate::session::Ctx;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::cases::{CaseLabels, Label};
use maud::{Markup, html};

/// The Data Matrix's side on the label, quiet zone included.
const MATRIX_MM: f64 = 20.0;
/// Code 128's module width: 0.4 mm, five dots of a 300 dpi label printer (rounded), wide
/// enough for any bedside scanner.
const LINEAR_MODULE_MM: f64 = 0.4;
/// The widest a Code 128 may be: the label less its margins.
const LINEAR_MAX_MM: f64 = 92.0;
const LINEAR_HEIGHT_MM: f64 = 11.0;
/// Characters of an identifier that fit one line beside the Data Matrix at the large size.
const LONG_TEXT: usize = 20;

pub async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response, WebError> {
    let labels = match ctx.app.case_labels(ctx.caller(), &id).await {
        Ok(labels) => labels,
        // A reader of the case who may not print its labels: why, and the way back.
        Err(AppError::Forbidden(why)) => {
            let content = html! {
                section.error-page data-status="403" {
                    h1 { "Labels are not for your role" }
                    p.error-message { (capitalized(&why)) "." }
                    p { a.button.secondary href=(paths::case(&id)) { "Back to the case" } }
                }
            };
            return Ok(ctx.render_status(StatusCode::FORBIDDEN, "Labels", content));
        }
        Err(e) => return Err(e.into()),
    };
    let content = html! {
        header.page-head.label-head {
            h1 { "Labels of case " code { (labels.pseudonym) } }
            p.subtitle {
                (labels.program_name) " at " (labels.site_name) " · "
                a href=(paths::case(&labels.case_id)) { "back to the case" }
            }
            @if !labels.labels.is_empty() {
                p.hint {
                    "One label for each identifier the case holds, at 100 × 50 mm. Print this page on the label printer: each label is one page, nothing else is printed."
                }
            }
        }
        @if labels.labels.is_empty() {
            p.empty { "This case holds no identifiers yet: its labels appear here once one is recorded on the case." }
        } @else {
            div.label-sheet {
                @for l in &labels.labels { (label(&labels, l)) }
            }
        }
    };
    Ok(ctx.render_with(
        &format!("Labels of case {}", labels.pseudonym),
        crate::assets::labels_href(),
        content,
    ))
}

fn label(case: &CaseLabels, l: &Label) -> Markup {
    let matrix = Barcode::data_matrix(&l.data);
    let linear = l.linear().then(|| Barcode::code128(&l.data));
    html! {
        article.case-label data-kind=(l.kind.as_str()) data-barcode=(l.data) {
            div.label-top {
                div.label-text {
                    p.label-kind { (capitalized(l.noun)) }
                    // A long order id or lot wraps in a smaller size rather than run off the label.
                    p.label-id.long[l.text.chars().count() > LONG_TEXT] {
                        span.label-value { (l.text) }
                        @if let Some(c) = l.check { " " span.check-box title="check character" { (c) } }
                    }
                    p.label-case { "Case " strong { (case.pseudonym) } }
                    p.label-program { (case.program_name) }
                    @if let Some(unit) = &l.unit { p.label-unit { "Unit: " strong { (unit) } } }
                }
                div.label-matrix {
                    @match &matrix {
                        Ok(b) => (b.svg(MATRIX_MM, MATRIX_MM)),
                        Err(e) => p.form-error { (e) },
                    }
                }
            }
            @if let Some(linear) = &linear {
                div.label-linear {
                    @match linear {
                        Ok(b) => {
                            @let width = (b.width as f64 * LINEAR_MODULE_MM).min(LINEAR_MAX_MM);
                            (b.svg(width, LINEAR_HEIGHT_MM))
                        }
                        Err(e) => p.form-error { (e) },
                    }
                }
            }
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;
    use cellpath_app::views::Page;
    use cellpath_domain::PartnershipStatus;
    use cellpath_domain::policy::{
        Action, Decision, PatientView, Principal, Relation, Resource, ResourceKind, decide,
    };

    /// The demo's case that came back from the manufacturer: its bag's DIN and its lot.
    const PSEUDONYM: &str = "VAN-LUH-MAIN-0007";
    const DIN: &str = "W1234 26 000107";
    const LOT: &str = "LOT-HX-24017";

    /// Every user of the demo opens the labels of a case with a DIN and a lot: those who see
    /// the chain of identity get one label per identifier (and the case page's link to them),
    /// a pseudonym reader a 403 that says why (and no link), anyone else 404.
    #[tokio::test]
    async fn every_demo_user_gets_the_labels_their_view_of_the_patient_allows() {
        let demo = seeded().await;
        let site = demo.site("LUH-MAIN").await;
        let lakeshore = demo.org("Lakeshore University Health").await;
        let helixa = demo.org("Helixa Therapeutics").await;
        let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
        let list = coordinator.get(&crate::paths::site_cases(&site.id)).await;
        let at = list
            .body
            .find(PSEUDONYM)
            .expect("the demo's case is listed");
        let start = list.body[..at].rfind("/cases/").expect("its link");
        let case_page = &list.body[start..start + list.body[start..].find('"').unwrap()];
        let labels = format!("{case_page}/labels");

        let mut walked = [0; 3];
        for org in demo.app.store().organizations(Page::all()).await.unwrap() {
            let relation = if org.id == lakeshore.id {
                Relation::OwnOrg
            } else if org.id == helixa.id {
                Relation::Party(PartnershipStatus::Active)
            } else {
                Relation::Unrelated
            };
            for user in demo
                .app
                .store()
                .users_of(&org.id, Page::all())
                .await
                .unwrap()
            {
                let principal = Principal {
                    user_id: user.id.clone(),
                    org_id: org.id.clone(),
                    org_kind: org.kind,
                    role: user.role,
                };
                let resource = Resource {
                    kind: ResourceKind::Patient,
                    relation,
                };
                let view = match decide(&principal, Action::Read, resource) {
                    Decision::Shows(v) => Some(v),
                    _ => None,
                };
                let mut reader = Browser::signed_in(&demo, &user.email).await;
                let page = reader.get(&labels).await;
                let email = &user.email;
                match view {
                    Some(v) if v >= PatientView::ChainOfIdentity => {
                        assert_eq!(page.status, StatusCode::OK, "{email}: {}", page.body);
                        page.assert_has(&format!(r#"<span class="label-value">{DIN}</span> <span class="check-box" title="check character">3</span>"#));
                        page.assert_has(r#"data-barcode="=W12342600010700""#);
                        page.assert_has(&format!(r#"data-barcode="{LOT}""#));
                        assert_eq!(
                            page.body.matches("<article class=\"case-label\"").count(),
                            2
                        );
                        // Data Matrix on each label, Code 128 on the DIN's only.
                        assert_eq!(page.body.matches(r#"data-kind="Data Matrix""#).count(), 2);
                        assert_eq!(page.body.matches(r#"data-kind="Code 128""#).count(), 1);
                        page.assert_has(PSEUDONYM);
                        page.assert_has("Vantacel");
                        page.assert_has(crate::assets::labels_href());
                        reader
                            .get(case_page)
                            .await
                            .assert_has(&format!(r#"id="labels" href="{labels}""#));
                        walked[0] += 1;
                    }
                    Some(_) => {
                        assert_eq!(page.status, StatusCode::FORBIDDEN, "{email}: {}", page.body);
                        page.assert_has("sees case VAN-LUH-MAIN-0007 by its pseudonym only");
                        for secret in [DIN, LOT, "W12342600010700"] {
                            assert!(!page.body.contains(secret), "{email}: {}", page.body);
                        }
                        let case = reader.get(case_page).await;
                        assert_eq!(case.status, StatusCode::OK, "{email}");
                        assert!(!case.body.contains(r#"id="labels""#), "{email}");
                        walked[1] += 1;
                    }
                    None => {
                        assert_eq!(page.status, StatusCode::NOT_FOUND, "{email}: {}", page.body);
                        assert!(!page.body.contains(PSEUDONYM), "{email}");
                        walked[2] += 1;
                    }
                }
            }
        }
        assert!(
            walked.iter().all(|n| *n >= 2) && walked.iter().sum::<usize>() >= 40,
            "every kind of reader, every demo user: {walked:?}"
        );
    }
}
