//! A program's contracting track template (issue 4, point 1): the agreements and gate
//! deliverables every partnership works through, each with the items it comes after and a
//! three-point estimate in days. The manufacturer tunes the estimates, the scopes of the local
//! items and the order; the items themselves are the gate's, so none is added or dropped here.
//! Every live plan and the onboarding pipeline plan with it.

use super::may_change;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, csrf_field, hidden};
use crate::labels;
use crate::pages::notice_redirect;
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_domain::contracting::Scope;
use cellpath_domain::contracting::template::{TrackItem, TrackKind, TrackTemplate};
use maud::{Markup, html};

fn what(item: &TrackKind) -> String {
    match item {
        TrackKind::Agreement(k) => labels::agreement_kind(*k),
        TrackKind::Deliverable(d) => labels::deliverable(*d).to_string(),
    }
}

/// Central agreements are executed once for the health system: their scope is fixed.
fn scope_fixed(item: &TrackKind) -> bool {
    matches!(item, TrackKind::Agreement(k) if k.is_central())
}

fn scope_label(scope: Scope) -> &'static str {
    match scope {
        Scope::HealthSystem => "Once for the health system",
        Scope::Site => "Per site",
    }
}

/// The form's values for a template.
fn values_of(t: &TrackTemplate, version: i64) -> FormData {
    let mut pairs: Vec<(String, String)> = vec![("version".into(), version.to_string())];
    for it in &t.items {
        let k = &it.key;
        pairs.push(("key".into(), k.clone()));
        pairs.push((format!("scope-{k}"), it.scope.as_str().into()));
        pairs.push((format!("after-{k}"), it.after.join(", ")));
        for (name, d) in ["min", "likely", "max"].iter().zip(it.days) {
            pairs.push((format!("{name}-{k}"), d.to_string()));
        }
    }
    FormData::from_pairs(pairs)
}

/// The posted template: the current items in the posted order, with their new scopes, links
/// and estimates; every value that cannot be read is an error beside its field.
fn read(form: &FormData, current: &TrackTemplate) -> (TrackTemplate, FormErrors) {
    let mut errors = FormErrors::default();
    let mut items = Vec::new();
    for key in form.all("key") {
        let Some(now) = current.items.iter().find(|i| i.key == key) else {
            errors.form(format!(
                "{key} is not an item of this template; reload the page"
            ));
            continue;
        };
        let scope = if scope_fixed(&now.item) {
            now.scope
        } else {
            match form.get(&format!("scope-{key}")).parse::<Scope>() {
                Ok(s) => s,
                Err(_) => {
                    errors.field(
                        &format!("scope-{key}"),
                        "choose once for the health system or per site",
                    );
                    now.scope
                }
            }
        };
        let after: Vec<String> = form
            .get(&format!("after-{key}"))
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let mut days = [0u32; 3];
        for (slot, name) in days.iter_mut().zip(["min", "likely", "max"]) {
            let field = format!("{name}-{key}");
            match form.get(&field).trim().parse::<u32>() {
                Ok(d) if d <= 3650 => *slot = d,
                _ => errors.field(&field, "a whole number of days from 0 to 3650"),
            }
        }
        items.push(TrackItem {
            key: key.clone(),
            item: now.item,
            scope,
            after,
            days,
        });
    }
    (TrackTemplate { items }, errors)
}

/// The template's problems name their item first (`quality: …`): each goes to its row.
fn by_row(errors: FormErrors, t: &TrackTemplate) -> FormErrors {
    let mut out = FormErrors::default();
    for (field, message) in errors.into_pairs() {
        let row = t
            .items
            .iter()
            .find(|i| message.starts_with(&format!("{}: ", i.key)));
        match (field.as_str(), row) {
            ("items", Some(i)) => out.field(&format!("row-{}", i.key), message),
            ("items", None) | ("", _) => out.form(message),
            _ => out.field(&field, message),
        }
    }
    out
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<super::NoticeQuery>,
) -> Result<Response, WebError> {
    render(
        &ctx,
        &id,
        None,
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn save(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let program = ctx.app.program(ctx.caller(), &id).await?;
    // Refused before reading the values: a person who may not change it learns that first.
    if !may_change(&ctx, &program.org_id).await? {
        return Err(cellpath_app::AppError::Forbidden(format!(
            "the track template of {} is changed by its manufacturer's program owners",
            program.name
        ))
        .into());
    }
    let current = ctx.app.track_template(ctx.caller(), &id).await?;
    let (template, errors) = read(&form, &current.template);
    if !errors.is_empty() {
        return render(&ctx, &id, Some(form), &errors, None, errors.status()).await;
    }
    match ctx
        .app
        .set_track_template(ctx.caller(), &id, version, template.clone(), None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(notice_redirect(&paths::track(&id), "saved")),
        Err(e) => {
            let errors = by_row(FormErrors::from_app(e)?, &template);
            let status = errors.status();
            render(&ctx, &id, Some(form), &errors, None, status).await
        }
    }
}

async fn render(
    ctx: &Ctx,
    id: &str,
    typed: Option<FormData>,
    errors: &FormErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let program = ctx.app.program(ctx.caller(), id).await?;
    let view = ctx.app.track_template(ctx.caller(), id).await?;
    let may_edit = may_change(ctx, &program.org_id).await?;
    let values = typed.unwrap_or_else(|| values_of(&view.template, view.version));
    let messages = |field: &str| -> Markup {
        html! {
            @for m in errors.messages(field) {
                p.field-error data-field=(field) { (m) }
            }
        }
    };
    let number = |name: &str, key: &str| -> Markup {
        let field = format!("{name}-{key}");
        html! {
            input.days type="text" inputmode="numeric" name=(field) value=(values.get(&field))
                id=(field) size="4" aria-label={ (name) " days of " (key) }
                aria-invalid=[errors.has_field(&field).then_some("true")];
            (messages(&field))
        }
    };
    let rows = html! {
        @for it in &view.template.items {
            @let k = &it.key;
            tr data-key=(k) class=[errors.has_field(&format!("row-{k}")).then_some("has-error")] {
                th scope="row" { code { (k) } br; span.muted { (what(&it.item)) } (messages(&format!("row-{k}"))) }
                @if may_edit {
                    td {
                        input type="hidden" name="key" value=(k);
                        @if scope_fixed(&it.item) {
                            (scope_label(it.scope))
                        } @else {
                            select name={ "scope-" (k) } aria-label={ "scope of " (k) } {
                                @for s in [Scope::HealthSystem, Scope::Site] {
                                    option value=(s.as_str()) selected[values.get(&format!("scope-{k}")) == s.as_str()] { (scope_label(s)) }
                                }
                            }
                            (messages(&format!("scope-{k}")))
                        }
                    }
                    td {
                        input type="text" name={ "after-" (k) } value=(values.get(&format!("after-{k}"))) size="22"
                            aria-label={ "what " (k) " comes after" };
                    }
                    td.num { (number("min", k)) }
                    td.num { (number("likely", k)) }
                    td.num { (number("max", k)) }
                } @else {
                    td { (scope_label(it.scope)) }
                    td { @if it.after.is_empty() { span.muted { "—" } } @else { (it.after.join(", ")) } }
                    td.num { (it.days[0]) } td.num { (it.days[1]) } td.num { (it.days[2]) }
                }
            }
        }
    };
    let table = html! {
        div.table-scroll {
            table.list.track-template {
                thead {
                    tr {
                        th scope="col" { "Item" }
                        th scope="col" { "Scope" }
                        th scope="col" { "Comes after" }
                        th.num scope="col" { "Min days" }
                        th.num scope="col" { "Most likely" }
                        th.num scope="col" { "Max days" }
                    }
                }
                tbody { (rows) }
            }
        }
    };
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::program(&program.id)) } { (program.name) } }
            h1 { "Contracting track of " (program.name) }
            p.subtitle {
                "What every partnership works through before a site is an authorized treatment center: the "
                "gate's agreements and deliverables, what each comes after, and how long each takes "
                "(minimum, most likely, maximum days). Every live plan and the onboarding pipeline use it."
            }
        }
        (crate::layout::notice(notice))
        section.panel #track {
            h2 {
                "Items "
                @if view.standard { (labels::badge("The standard template", labels::Tone::Quiet)) }
            }
            @if !errors.is_empty() {
                div.callout.bad #errors role="alert" {
                    p { "The template was not saved; the problems are marked below." }
                    @for m in errors.form_messages() { p { (m) } }
                }
            }
            @if may_edit {
                form #track-form method="post" action=(paths::track(&program.id)) novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", values.get("version")))
                    (table)
                    p.hint { "\"Comes after\" takes the keys of earlier items, separated by commas. A health-system item cannot wait for a site item." }
                    button.primary type="submit" { "Save the template" }
                }
            } @else {
                (table)
            }
        }
    };
    Ok(ctx.render_status(
        status,
        &format!("Contracting track · {}", program.name),
        content,
    ))
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, borrowed, seeded};
    use axum::http::StatusCode;
    use cellpath_domain::contracting::template::TrackTemplate;

    /// Every field of the form for the standard template, with `changes` applied.
    fn fields(changes: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for it in TrackTemplate::standard().items {
            let k = &it.key;
            out.push(("key".to_string(), k.clone()));
            out.push((format!("scope-{k}"), it.scope.as_str().to_string()));
            out.push((format!("after-{k}"), it.after.join(", ")));
            for (name, d) in ["min", "likely", "max"].iter().zip(it.days) {
                out.push((format!("{name}-{k}"), d.to_string()));
            }
        }
        for (name, value) in changes {
            let slot = out
                .iter_mut()
                .find(|(k, _)| k == name)
                .unwrap_or_else(|| panic!("no field {name}"));
            slot.1 = value.to_string();
        }
        out
    }

    async fn save(
        b: &mut Browser<'_>,
        path: &str,
        changes: &[(&str, &str)],
    ) -> crate::testing::Answer {
        let owned = fields(changes);
        b.submit(path, "track-form", path, &borrowed(&owned), None)
            .await
    }

    #[tokio::test]
    async fn the_launch_team_tunes_the_estimates_and_a_bad_value_is_marked_on_its_row() {
        let demo = seeded().await;
        let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
        let path = format!("/programs/{}/track", vantacel.id);
        let mut lead = Browser::signed_in(&demo, "onboarding@helixa.example").await;
        let page = lead.get_saved(&path, Some("track-template")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("The standard template"));
        assert_eq!(page.field("likely-quality"), "45");

        // A most-likely above the maximum: refused on its row, nothing stored.
        let page = save(&mut lead, &path, &[("likely-quality", "95")]).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            page.body
        );
        let row = page
            .error_beside("row-quality")
            .expect("a message on the row");
        assert!(row.contains("min ≤ most likely ≤ max"), "{row}");
        assert_eq!(
            page.field("likely-quality"),
            "95",
            "the typed value is kept"
        );
        // Not a number: beside its field. An unknown item to come after: on its row.
        let page = save(&mut lead, &path, &[("min-supply", "two")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.error_beside("min-supply").is_some(), "{}", page.body);
        let page = save(
            &mut lead,
            &path,
            &[("after-consent", "data_protection, legal")],
        )
        .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        let row = page
            .error_beside("row-consent")
            .expect("on the consent row");
        assert!(row.contains("legal"), "{row}");
        let page = lead.get(&path).await;
        assert!(
            page.body.contains("The standard template"),
            "nothing was stored"
        );

        // A good change is saved and the template is the program's own from then on.
        let page = save(&mut lead, &path, &[("likely-quality", "30")]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let page = lead.get(&path).await;
        assert!(!page.body.contains("The standard template"));
        assert_eq!(page.field("likely-quality"), "30");

        // A health-system user reads it and gets no form; posting is forbidden.
        let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
        let page = nurse.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("Save the template"));
        assert!(page.body.contains("quality"));
        let csrf = page.field("csrf");
        let page = nurse
            .post(&path, &[("csrf", &csrf), ("version", "2"), ("key", "msa")])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    }
}
