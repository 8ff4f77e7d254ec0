//! Users: the people of an organization, each with one role of that organization's kind.
//! Admins add people, change roles, deactivate and reset passwords; everyone renames
//! themselves and changes their own password (giving the current one).

use super::{NoticeQuery, facts, list_cut, list_page, notice_redirect, saved_notice, see_other};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels;
use crate::layout::notice;
use crate::paths;
use crate::session::{Ctx, Posted, SESSION_COOKIE, add_cookie, clear_cookie};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::records::users::{UserInput, UserPatch};
use cellpath_app::views::User;
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_domain::{OrgKind, Role};
use maud::html;

const NEW_FIELDS: &[&str] = &["email", "name", "role", "password"];
const PASSWORD_HINT: &str =
    "At least 12 characters. A phrase of a few words is easy to type and hard to guess.";

fn role_options(kind: &str) -> Vec<(String, String)> {
    let kind = kind.parse::<OrgKind>().unwrap_or(OrgKind::HealthSystem);
    let mut out = vec![(String::new(), "Choose a role…".to_string())];
    out.extend(
        Role::for_kind(kind)
            .iter()
            .map(|r| (r.as_str().to_string(), labels::role(r.as_str()).to_string())),
    );
    out
}

pub async fn list(
    ctx: Ctx,
    Path(org_id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let empty = FormData::default();
    render_list(
        &ctx,
        &org_id,
        &empty,
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(Path(org_id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let input = UserInput {
        email: form.get("email").into(),
        name: form.get("name").into(),
        role: form.get("role").into(),
        password: form.get("password").into(),
    };
    match ctx
        .app
        .create_user(ctx.caller(), &org_id, input, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(notice_redirect(&paths::org_users(&org_id), "created")),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_list(&ctx, &org_id, &form, &errors, None, errors.status()).await
        }
    }
}

async fn render_list(
    ctx: &Ctx,
    org_id: &str,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let org = ctx.app.organization(ctx.caller(), org_id).await?;
    let users = ctx.app.users(ctx.caller(), org_id, list_page()).await?;
    let rel = ctx.relation_to_org(org_id).await?;
    let may_create = ctx.may(Action::Create, ResourceKind::User, rel);
    let view = FormView::new(values, errors, "user");
    let content = html! {
        header.page-head {
            h1 { "Users" }
            p.subtitle { "People of " a href={ (paths::org(&org.id)) } { (org.name) } }
        }
        (notice(notice_code))
        @if users.is_empty() {
            p.empty { "No users yet." }
        } @else {
            table.list #users {
                thead { tr { th { "Name" } th { "E-mail" } th { "Role" } th { "Status" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { a href={ (paths::user(&u.id)) } { (u.name) } }
                            td { (u.email) }
                            td { (labels::role_badge(u.role.as_str())) }
                            td { (labels::active_badge(u.active)) }
                        }
                    }
                }
            }
            (list_cut(users.len()))
        }
        @if may_create {
            section.panel #new-user {
                h2 { "New user" }
                (view.summary(NEW_FIELDS))
                form #user-form method="post" action={ (paths::org_users(&org.id)) "#new-user" } novalidate {
                    (csrf_field(ctx.csrf()))
                    div.field-grid {
                        (view.input("E-mail", "email", Input::Email, None))
                        (view.text("Full name", "name"))
                        (view.select("Role", "role", &role_options(org.kind.as_str())))
                        (view.input("First password", "password", Input::NewPassword, Some(PASSWORD_HINT)))
                    }
                    button.primary type="submit" { "Create user" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Users", content))
}

/// The two forms of a user's page, either of which may come back with errors.
#[derive(Default)]
struct UserForms {
    edit: Option<FormData>,
    edit_errors: FormErrors,
    password_errors: FormErrors,
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render_user(
        &ctx,
        &id,
        UserForms::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// Whether the caller administers this user's organization (roles, activation, resets).
fn administers(ctx: &Ctx, user: &User) -> bool {
    user.org_id == ctx.org.id && ctx.may(Action::Update, ResourceKind::User, Relation::OwnOrg)
}

pub async fn update(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let user = ctx.app.user(ctx.caller(), &id).await?;
    let admin = administers(&ctx, &user);
    let patch = UserPatch {
        name: Some(form.get("name").into()),
        role: admin.then(|| form.get("role").to_string()),
        active: admin.then(|| form.has("active")),
    };
    match ctx
        .app
        .update_user(ctx.caller(), &id, version, patch, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(u) => Ok(notice_redirect(
            &paths::user(&u.id),
            saved_notice(version, u.version),
        )),
        Err(e) => {
            let forms = UserForms {
                edit_errors: FormErrors::from_app(e)?,
                edit: Some(form),
                ..Default::default()
            };
            let status = forms.edit_errors.status();
            render_user(&ctx, &id, forms, None, status).await
        }
    }
}

pub async fn change_password(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let own = id == ctx.session.user.id;
    let (new, confirm) = (form.get("new_password"), form.get("confirm_password"));
    let result = if new != confirm {
        let mut errors = FormErrors::default();
        errors.field(
            "confirm_password",
            "does not match the new password; type it again",
        );
        Err(errors)
    } else {
        let current = own.then(|| form.get("current_password"));
        match ctx
            .app
            .change_password(ctx.caller(), &id, current, new)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) => Err(FormErrors::from_app(e)?),
        }
    };
    match result {
        // Every session of the user ended, this one too: sign in again with the new password.
        Ok(()) if own => {
            let mut response = see_other("/login?notice=password_changed");
            add_cookie(
                &mut response,
                clear_cookie(SESSION_COOKIE, "/", ctx.secure_cookies),
            );
            Ok(response)
        }
        Ok(()) => Ok(notice_redirect(&paths::user(&id), "password_reset")),
        Err(errors) => {
            let status = errors.status();
            let forms = UserForms {
                password_errors: errors,
                ..Default::default()
            };
            render_user(&ctx, &id, forms, None, status).await
        }
    }
}

async fn render_user(
    ctx: &Ctx,
    id: &str,
    forms: UserForms,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let user = ctx.app.user(ctx.caller(), id).await?;
    let org = ctx.app.organization(ctx.caller(), &user.org_id).await?;
    let rel = ctx.app.user_relation(ctx.caller(), &user).await?;
    let own = rel == Relation::SelfOwned;
    let may_edit = ctx.may(Action::Update, ResourceKind::User, rel);
    let admin = administers(ctx, &user);
    // An admin sees a colleague's tokens (names and use, never the secrets) to revoke them.
    let tokens = if admin && !own {
        ctx.app.api_tokens(ctx.caller(), &user.id).await?
    } else {
        Vec::new()
    };
    let mut edit_values = forms.edit.unwrap_or_else(|| {
        let mut v =
            FormData::from_pairs([("name", user.name.as_str()), ("role", user.role.as_str())]);
        if user.active {
            v.set("active", "on");
        }
        v
    });
    edit_values.set("version", user.version.to_string());
    let edit = FormView::new(&edit_values, &forms.edit_errors, "user");
    let no_values = FormData::default();
    let pw = FormView::new(&no_values, &forms.password_errors, "password");

    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::org_users(&org.id)) } { "Users of " (org.name) } }
            h1 { (user.name) " " (labels::role_badge(user.role.as_str())) " " (labels::active_badge(user.active)) }
            @if own { p.subtitle { "This is you." } }
        }
        (notice(notice_code))
        (facts(&[
            ("E-mail", html! { (user.email) }),
            ("Organization", html! { a href={ (paths::org(&org.id)) } { (org.name) } }),
            ("Role", html! { (labels::role(user.role.as_str())) }),
            ("Created", time_el(user.created_at)),
            ("Last changed", time_el(user.updated_at)),
            ("Version", html! { (user.version) }),
        ]))
        @if own {
            p { a href="/tokens" { "Your API tokens" } }
        }
        @if may_edit {
            section.panel #edit-user {
                h2 { @if own { "Your details" } @else { "Edit user" } }
                (edit.summary(&["name", "role", "active"]))
                form #user-edit-form method="post" action={ (paths::user(&user.id)) "#edit-user" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", edit_values.get("version")))
                    (edit.text("Full name", "name"))
                    @if admin {
                        (edit.select("Role", "role", &role_options(org.kind.as_str())))
                        (edit.checkbox("Active (may sign in)", "active"))
                    }
                    button.primary type="submit" { "Save" }
                }
            }
            section.panel #change-password {
                h2 { @if own { "Change your password" } @else { "Reset password" } }
                @if !own {
                    p.hint { "Every session of " (user.name) " ends; tell them the new password by a safe channel." }
                } @else {
                    p.hint { "Every session of yours ends, this one too; you sign in again with the new password." }
                }
                (pw.summary(&["current_password", "new_password", "confirm_password"]))
                form #password-form method="post" action={ (paths::user(&user.id)) "/password#change-password" } novalidate {
                    (csrf_field(ctx.csrf()))
                    @if own { (pw.input("Current password", "current_password", Input::CurrentPassword, None)) }
                    (pw.input("New password", "new_password", Input::NewPassword, Some(PASSWORD_HINT)))
                    (pw.input("New password again", "confirm_password", Input::NewPassword, None))
                    button.primary type="submit" { @if own { "Change password" } @else { "Reset password" } }
                }
            }
        }
        @if !tokens.is_empty() {
            section.panel #user-tokens {
                h2 { "API tokens of " (user.name) }
                (crate::pages::tokens::token_table(ctx, &tokens))
            }
        }
    };
    Ok(ctx.render_status(status, &user.name, content))
}
