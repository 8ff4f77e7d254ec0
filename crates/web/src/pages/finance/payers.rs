//! A health system's payer profiles (issue 14, point 2), for its admins and finance people:
//! `/finance/payers` lists how each payer pays (the fixed amount in dollars, the share of the
//! price, the lag and the denials as percentages and days), starts them from the usual payers
//! when some are missing, and adds a payer; `/finance/payers/{id}` edits one at the version
//! read. Each problem is shown beside its field and nothing is written while one is wrong.
//! Claims are submitted against these figures and the what-if starts from them.

use super::money;
use super::terms::cents_of;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::layout::notice;
use crate::pages::{NoticeQuery, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::finance::payers::PayerProfileView;
use cellpath_app::{AppError, FieldError};
use cellpath_domain::finance::ProfileInput;
use maud::{Markup, html};

/// Every field of the form, in the order shown.
const FIELDS: &[&str] = &[
    "name",
    "fixed",
    "price_share",
    "lag_median_days",
    "lag_p90_days",
    "denial_rate",
    "appeal_success_rate",
    "appeal_median_days",
    "appeal_p90_days",
];

/// A share (0 to 1) as the percentage people type: 0.084 → "8.4".
fn percent(share: f64) -> String {
    let p = (share * 10_000.0).round() / 100.0;
    let text = format!("{p:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A percentage as typed ("8.4", "8.4 %") as a share from 0 to 1, or what is wrong.
fn share_of(text: &str) -> Result<f64, String> {
    let t = text.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        return Err("give a percentage from 0 to 100, e.g. 8.4".into());
    }
    match t.parse::<f64>() {
        Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) => Ok(p / 100.0),
        Ok(_) => Err(format!("'{t}' is not a percentage from 0 to 100")),
        Err(_) => Err(format!("'{t}' is not a percentage, e.g. 8.4")),
    }
}

/// Whole days as typed, or what is wrong.
fn days_of(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("give a number of days, e.g. 30".into());
    }
    t.parse()
        .map_err(|_| format!("'{t}' is not a whole number of days"))
}

/// The form as the app's input, or each field it could not read with why.
fn read(form: &FormData) -> Result<ProfileInput, FormErrors> {
    let mut errors = FormErrors::default();
    let mut take = |name: &str, r: Result<(), String>| {
        if let Err(m) = r {
            errors.field(name, m);
        }
    };
    let mut input = ProfileInput {
        name: form.get("name").trim().to_string(),
        fixed_cents: 0,
        price_share: 0.0,
        lag_median_days: 0,
        lag_p90_days: 0,
        denial_rate: 0.0,
        appeal_success_rate: 0.0,
        appeal_median_days: 0,
        appeal_p90_days: 0,
    };
    let fixed = form.get("fixed");
    if !fixed.trim().is_empty() {
        take("fixed", cents_of(fixed).map(|c| input.fixed_cents = c));
    }
    let share = form.get("price_share");
    if !share.trim().is_empty() {
        take(
            "price_share",
            share_of(share).map(|s| input.price_share = s),
        );
    }
    take(
        "denial_rate",
        share_of(form.get("denial_rate")).map(|s| input.denial_rate = s),
    );
    take(
        "appeal_success_rate",
        share_of(form.get("appeal_success_rate")).map(|s| input.appeal_success_rate = s),
    );
    for (name, slot) in [
        ("lag_median_days", &mut input.lag_median_days),
        ("lag_p90_days", &mut input.lag_p90_days),
        ("appeal_median_days", &mut input.appeal_median_days),
        ("appeal_p90_days", &mut input.appeal_p90_days),
    ] {
        take(name, days_of(form.get(name)).map(|d| *slot = d));
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

/// The app's refusal, beside the form's fields (its cents and shares read as typed here).
fn beside_fields(e: AppError) -> Result<FormErrors, WebError> {
    match e {
        AppError::Invalid(fields) => Ok(FormErrors::from_app(AppError::Invalid(
            fields
                .into_iter()
                .map(|f| FieldError {
                    field: match f.field.as_str() {
                        "fixed_cents" => "fixed".to_string(),
                        other => other.to_string(),
                    },
                    message: f.message,
                })
                .collect(),
        ))?),
        other => Ok(FormErrors::from_app(other)?),
    }
}

/// A profile as the form shows it.
fn values_of(p: &PayerProfileView) -> FormData {
    FormData::from_pairs([
        ("name", p.name.clone()),
        (
            "fixed",
            if p.fixed_cents == 0 {
                String::new()
            } else {
                format!("{}.{:02}", p.fixed_cents / 100, p.fixed_cents % 100)
            },
        ),
        ("price_share", percent(p.price_share)),
        ("lag_median_days", p.lag_median_days.to_string()),
        ("lag_p90_days", p.lag_p90_days.to_string()),
        ("denial_rate", percent(p.denial_rate)),
        ("appeal_success_rate", percent(p.appeal_success_rate)),
        ("appeal_median_days", p.appeal_median_days.to_string()),
        ("appeal_p90_days", p.appeal_p90_days.to_string()),
        ("version", p.version.to_string()),
    ])
}

/// What the payer pays, in words: "$314,231.00", "100 % of the price", or both.
pub fn pays_words(fixed_cents: i64, price_share: f64) -> String {
    match (fixed_cents, price_share > 0.0) {
        (0, _) => format!("{} % of the price", percent(price_share)),
        (f, false) => money(f),
        (f, true) => format!("{} and {} % of the price", money(f), percent(price_share)),
    }
}

fn fields(view: &FormView) -> Markup {
    html! {
        (view.input("Payer", "name", Input::Text, Some("As your claims name it, e.g. Medicare or a commercial plan.")))
        fieldset.field {
            legend { "What it pays per claim" }
            (view.input("Fixed amount (US dollars)", "fixed", Input::Text, Some("E.g. 314,231.00 for Medicare's MS-DRG 018 payment. Leave it empty when it pays a share of the price only.")))
            (view.input("Share of the price (%)", "price_share", Input::Text, Some("On top of the fixed amount, e.g. 100 for a plan paying the price.")))
        }
        fieldset.field {
            legend { "How long it takes to pay, from the claim" }
            (view.input("Median (days)", "lag_median_days", Input::Number, None))
            (view.input("90th percentile (days)", "lag_p90_days", Input::Number, None))
        }
        fieldset.field {
            legend { "Denials and appeals" }
            (view.input("Claims denied (%)", "denial_rate", Input::Text, None))
            (view.input("Appeals won (%)", "appeal_success_rate", Input::Text, None))
            (view.input("Appeal answered, median (days)", "appeal_median_days", Input::Number, None))
            (view.input("Appeal answered, 90th percentile (days)", "appeal_p90_days", Input::Number, None))
        }
    }
}

/// `GET /finance/payers`.
pub async fn list(ctx: Ctx, Query(q): Query<NoticeQuery>) -> Result<Response, WebError> {
    render_list(
        &ctx,
        &FormData::default(),
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// `POST /finance/payers`: add a payer, or start from the usual payers.
pub async fn add(posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let c = ctx.caller();
    if form.get("do") == "defaults" {
        ctx.app.start_payer_profiles_from_defaults(c, None).await?;
        return Ok(notice_redirect(&paths::payers(), "saved"));
    }
    let input = match read(&form) {
        Ok(i) => i,
        Err(errors) => {
            // Still ask the app, so a person who may not read them gets 403/404, not a form.
            ctx.app.payer_profiles(c).await?;
            return render_list(&ctx, &form, &errors, None, errors.status()).await;
        }
    };
    match ctx.app.create_payer_profile(c, input, None).await {
        Ok(_) => Ok(notice_redirect(&paths::payers(), "saved")),
        Err(e @ AppError::Invalid(_)) => {
            let errors = beside_fields(e)?;
            render_list(&ctx, &form, &errors, None, errors.status()).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn render_list(
    ctx: &Ctx,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let seen = ctx.app.payer_profiles(ctx.caller()).await?;
    let have: Vec<String> = seen
        .profiles
        .iter()
        .map(|p| p.name.to_lowercase())
        .collect();
    let missing: Vec<&ProfileInput> = seen
        .defaults
        .iter()
        .filter(|d| !have.contains(&d.name.to_lowercase()))
        .collect();
    let view = FormView::new(values, errors, "payer");
    let content = html! {
        header.page-head {
            p.breadcrumb { a href=(paths::finance()) { "Finance" } }
            h1 { "Payer profiles" }
            p.subtitle { "How each of " (ctx.org.name) "'s payers pays: claims are submitted against these figures, and the what-if starts from them when there are no claims yet." }
        }
        (notice(notice_code))
        @if seen.profiles.is_empty() {
            p.empty { "No payer profile yet." }
        } @else {
            table.list #payer-profiles {
                thead { tr {
                    th { "Payer" } th { "Pays per claim" } th { "Paid after (median · 90th percentile)" }
                    th { "Denied" } th { "Appeals won" } th { "Appeal answered after" } th {}
                } }
                tbody {
                    @for p in &seen.profiles {
                        tr data-payer=(p.id) {
                            td { (p.name) }
                            td { (pays_words(p.fixed_cents, p.price_share)) }
                            td { (p.lag_median_days) " · " (p.lag_p90_days) " days" }
                            td { (percent(p.denial_rate)) " %" }
                            td { (percent(p.appeal_success_rate)) " %" }
                            td { (p.appeal_median_days) " · " (p.appeal_p90_days) " days" }
                            td { a href=(paths::payer(&p.id)) { "Edit" } }
                        }
                    }
                }
            }
        }
        @if !missing.is_empty() {
            section.panel #payer-defaults {
                h2 { "Start from the usual payers" }
                p.hint {
                    "Adds "
                    @for (i, d) in missing.iter().enumerate() {
                        @if i > 0 { ", " }
                        (d.name) " (" (pays_words(d.fixed_cents, d.price_share)) ")"
                    }
                    ", with published lags and denial rates; edit them to your own figures afterwards."
                }
                form #payer-defaults-form method="post" action=(paths::payers()) {
                    (csrf_field(ctx.csrf()))
                    (hidden("do", "defaults"))
                    button type="submit" { "Start from the usual payers" }
                }
            }
        }
        section.panel #add-payer-panel {
            h2 { "Add a payer" }
            (view.summary(FIELDS))
            form #payer-form method="post" action={ (paths::payers()) "#add-payer-panel" } novalidate {
                (csrf_field(ctx.csrf()))
                (hidden("do", "add"))
                (fields(&view))
                button.primary type="submit" { "Add this payer" }
            }
        }
    };
    Ok(ctx.render_status(status, "Payer profiles", content))
}

/// `GET /finance/payers/{id}`.
pub async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response, WebError> {
    let profile = ctx.app.payer_profile(ctx.caller(), &id).await?;
    render_one(
        &ctx,
        &profile,
        &values_of(&profile),
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /finance/payers/{id}`: the profile as edited, at the version the form was read at.
pub async fn update(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let c = ctx.caller();
    let profile = ctx.app.payer_profile(c, &id).await?;
    let input = match read(&form) {
        Ok(i) => i,
        Err(errors) => return render_one(&ctx, &profile, &form, &errors, errors.status()).await,
    };
    let version = form.version()?;
    match ctx
        .app
        .update_payer_profile(c, &id, version, input, None)
        .await
    {
        Ok(_) => Ok(notice_redirect(&paths::payers(), "saved")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let errors = beside_fields(e)?;
            let profile = ctx.app.payer_profile(c, &id).await?;
            render_one(&ctx, &profile, &form, &errors, errors.status()).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn render_one(
    ctx: &Ctx,
    profile: &PayerProfileView,
    values: &FormData,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let view = FormView::new(values, errors, "payer");
    let content = html! {
        header.page-head {
            p.breadcrumb {
                a href=(paths::finance()) { "Finance" } " · "
                a href=(paths::payers()) { "Payer profiles" }
            }
            h1 { (profile.name) }
            p.subtitle { "Pays " (pays_words(profile.fixed_cents, profile.price_share)) " per claim. A change applies to the claims submitted from now on; claims already submitted keep what they were submitted against." }
        }
        section.panel #edit-payer-panel {
            (view.summary(FIELDS))
            form #payer-edit-form method="post" action={ (paths::payer(&profile.id)) "#edit-payer-panel" } novalidate {
                (csrf_field(ctx.csrf()))
                (hidden("version", values.get("version")))
                (fields(&view))
                button.primary type="submit" { "Save the changes" }
                " "
                a.button.secondary href=(paths::payers()) { "Cancel" }
            }
        }
    };
    Ok(ctx.render_status(status, &profile.name, content))
}

#[cfg(test)]
mod words {
    use super::*;

    #[test]
    fn shares_read_and_print_as_percentages() {
        assert_eq!(percent(0.084), "8.4");
        assert_eq!(percent(1.0), "100");
        assert_eq!(percent(0.0), "0");
        assert_eq!(share_of(" 8.4 % ").unwrap(), 0.084);
        assert!(share_of("120").unwrap_err().contains("from 0 to 100"));
        assert!(share_of("most").unwrap_err().contains("not a percentage"));
        assert_eq!(pays_words(31_423_100, 0.0), "$314,231.00");
        assert_eq!(pays_words(0, 1.0), "100 % of the price");
    }
}
