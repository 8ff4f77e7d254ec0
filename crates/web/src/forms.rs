//! Forms: the values a person typed (kept when the form comes back with errors), the errors
//! the app gave (each beside its field, in `<p class="field-error" data-field="…">`), and the
//! helpers that render labelled fields, so every form in the product looks and reads the same.
//!
//! Forms carry `novalidate`: the browser's own checks would hide the app's messages, which say
//! what was wrong and what to do.

use crate::errors::WebError;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::{AppError, FieldError};
use maud::{Markup, html};

/// The fields of a posted (or prefilled) form, in order; a name may repeat (checkboxes).
#[derive(Debug, Clone, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> FormData {
        FormData(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
    /// The first value of a field, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    /// Every field as posted, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
    /// Whether a checkbox was ticked (browsers send nothing for an unticked one).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_string(), value.into()));
    }
    /// The record version a form carries in a hidden field (optimistic concurrency).
    pub fn version(&self) -> Result<i64, WebError> {
        self.get("version").trim().parse().map_err(|_| {
            WebError::BadRequest(
                "the form did not carry the version of the record it edits; reload the page and try again"
                    .into(),
            )
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<FormData, Response> {
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(pairs)) => Ok(FormData(pairs)),
            Err(e) => Err(
                WebError::BadRequest(format!("the form could not be read: {e}")).into_response(),
            ),
        }
    }
}

/// What went wrong with a form: messages per field, and messages about the whole form.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    fields: Vec<FieldError>,
    form: Vec<String>,
    /// The record changed since the form was read.
    conflict: bool,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_empty()
    }
    pub fn field(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }
    pub fn form(&mut self, message: impl Into<String>) {
        self.form.push(message.into());
    }
    /// The record's state refuses the form as it stands (shown again with 409).
    pub fn mark_conflict(&mut self) {
        self.conflict = true;
    }
    fn messages_for<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.field == field)
            .map(|f| f.message.as_str())
    }
    /// The status of a form shown again: 409 for a stale version, else 422 (bad values).
    pub fn status(&self) -> StatusCode {
        if self.conflict {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
    pub fn has_field(&self, field: &str) -> bool {
        self.fields.iter().any(|f| f.field == field)
    }
    /// The messages of one field (for forms laid out as tables, which place their own).
    pub fn messages<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.messages_for(field)
    }
    /// The messages about the whole form.
    pub fn form_messages(&self) -> impl Iterator<Item = &str> {
        self.form.iter().map(String::as_str)
    }
    /// Every message as (field, message), the whole form's with an empty field; keeps the
    /// conflict flag's meaning only through the messages.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.fields
            .into_iter()
            .map(|f| (f.field, f.message))
            .chain(self.form.into_iter().map(|m| (String::new(), m)))
            .collect()
    }

    /// Split an app error into what the form shows: bad values beside their fields, a stale
    /// version above the form. Anything else (not found, forbidden, internal) is a page.
    pub fn from_app(e: AppError) -> Result<FormErrors, WebError> {
        let mut errors = FormErrors::default();
        match e {
            AppError::Invalid(fields) => {
                for f in fields {
                    if f.field.is_empty() {
                        errors.form(f.message);
                    } else {
                        errors.fields.push(f);
                    }
                }
            }
            AppError::Duplicate { field, message } if !field.is_empty() => {
                errors.field(&field, message)
            }
            e @ AppError::Duplicate { .. } => errors.form(e.to_string()),
            e @ AppError::Conflict { .. } => {
                errors.conflict = true;
                errors.form(e.to_string())
            }
            other => return Err(other.into()),
        }
        Ok(errors)
    }
}

/// Renders one form's fields with its values and errors. `prefix` keeps element ids unique
/// when a page holds several forms (the audit trail has one per event).
pub struct FormView<'a> {
    pub values: &'a FormData,
    pub errors: &'a FormErrors,
    pub prefix: &'a str,
}

/// How an input behaves: its `type` and the browser's autocomplete hint.
#[derive(Clone, Copy)]
pub enum Input {
    Text,
    Email,
    /// A day (`YYYY-MM-DD`), with the browser's date picker. A form never fills one in with
    /// today for a fact being recorded: the person says when it happened.
    Date,
    /// A time of day on a day (`YYYY-MM-DDTHH:MM`), as typed, read as UTC.
    DateTime,
    /// A number, as typed (the app says what range it takes).
    Number,
    /// A password the person types to prove who they are (never echoed back).
    CurrentPassword,
    /// A password being chosen (never echoed back).
    NewPassword,
}

impl<'a> FormView<'a> {
    pub fn new(values: &'a FormData, errors: &'a FormErrors, prefix: &'a str) -> FormView<'a> {
        FormView {
            values,
            errors,
            prefix,
        }
    }

    fn id(&self, name: &str) -> String {
        format!("{}-{}", self.prefix, name.replace('_', "-"))
    }

    /// The messages under a field.
    pub fn field_errors(&self, name: &str) -> Markup {
        html! {
            @for message in self.errors.messages_for(name) {
                p.field-error data-field=(name) id={ (self.id(name)) "-error" } { (message) }
            }
        }
    }

    /// Messages about the whole form, and those about fields this form does not show (e.g. an
    /// `org_id` refused by the app), so no message is ever lost.
    pub fn summary(&self, shown: &[&str]) -> Markup {
        let stray: Vec<&FieldError> = self
            .errors
            .fields
            .iter()
            .filter(|f| !shown.contains(&f.field.as_str()))
            .collect();
        let beside = self.errors.fields.len() - stray.len();
        html! {
            @if !self.errors.form.is_empty() || !stray.is_empty() || beside > 0 {
                div.form-errors role="alert" {
                    @if beside > 0 {
                        p { "Please correct the field" @if beside > 1 { "s" } " marked below." }
                    }
                    @for m in &self.errors.form { p.form-error { (crate::labels::sentence(m)) } }
                    @for f in stray {
                        p.form-error data-field=(f.field) { (crate::labels::field_name(&f.field)) ": " (f.message) }
                    }
                }
            }
        }
    }

    fn wrap(&self, name: &str, label: &str, hint: Option<&str>, control: Markup) -> Markup {
        let invalid = self.errors.has_field(name);
        html! {
            div.field.has-error[invalid] {
                label for=(self.id(name)) { (label) }
                (control)
                (self.field_errors(name))
                // The message already says what is allowed; the hint would repeat it.
                @if let (Some(hint), false) = (hint, invalid) { p.hint { (hint) } }
            }
        }
    }

    fn described_by(&self, name: &str) -> Option<String> {
        self.errors
            .has_field(name)
            .then(|| format!("{}-error", self.id(name)))
    }

    /// A labelled input; its value is what was typed (never for passwords).
    pub fn input(&self, label: &str, name: &str, kind: Input, hint: Option<&str>) -> Markup {
        let (type_, autocomplete, value) = match kind {
            Input::Text => ("text", None, Some(self.values.get(name))),
            Input::Email => ("email", Some("email"), Some(self.values.get(name))),
            Input::Date => ("date", None, Some(self.values.get(name))),
            Input::DateTime => ("datetime-local", None, Some(self.values.get(name))),
            Input::Number => ("number", None, Some(self.values.get(name))),
            Input::CurrentPassword => ("password", Some("current-password"), None),
            Input::NewPassword => ("password", Some("new-password"), None),
        };
        let invalid = self.errors.has_field(name);
        self.wrap(
            name,
            label,
            hint,
            html! {
                input id=(self.id(name)) name=(name) type=(type_) value=[value]
                    autocomplete=[autocomplete]
                    aria-invalid=[invalid.then_some("true")]
                    aria-describedby=[self.described_by(name)];
            },
        )
    }

    /// A labelled file input (the form must be `multipart/form-data`) taking the document
    /// types the record keeps; a file is never echoed back, so a refused form asks for it again.
    pub fn file(&self, label: &str, name: &str, multiple: bool, hint: Option<&str>) -> Markup {
        let invalid = self.errors.has_field(name);
        self.wrap(
            name,
            label,
            hint,
            html! {
                input id=(self.id(name)) name=(name) type="file" multiple[multiple]
                    accept=".pdf,.png,.jpg,.jpeg,.txt,.docx,application/pdf,image/png,image/jpeg,text/plain,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    aria-invalid=[invalid.then_some("true")]
                    aria-describedby=[self.described_by(name)];
            },
        )
    }

    pub fn text(&self, label: &str, name: &str) -> Markup {
        self.input(label, name, Input::Text, None)
    }

    /// A select of `(value, label)` options; the typed value is selected.
    pub fn select(&self, label: &str, name: &str, options: &[(String, String)]) -> Markup {
        let current = self.values.get(name);
        let invalid = self.errors.has_field(name);
        self.wrap(
            name,
            label,
            None,
            html! {
                select id=(self.id(name)) name=(name)
                    aria-invalid=[invalid.then_some("true")]
                    aria-describedby=[self.described_by(name)] {
                    @for (value, text) in options {
                        option value=(value) selected[value == current] { (text) }
                    }
                }
            },
        )
    }

    /// A labelled multi-line field (lists typed one per line, notes); its value is what was typed.
    pub fn textarea(&self, label: &str, name: &str, hint: Option<&str>, rows: u32) -> Markup {
        let invalid = self.errors.has_field(name);
        self.wrap(
            name,
            label,
            hint,
            html! {
                textarea id=(self.id(name)) name=(name) rows=(rows)
                    aria-invalid=[invalid.then_some("true")]
                    aria-describedby=[self.described_by(name)] { (self.values.get(name)) }
            },
        )
    }

    /// A group of checkboxes sharing one name (e.g. the sites a facility serves).
    pub fn checkboxes(
        &self,
        legend: &str,
        name: &str,
        options: &[(String, String)],
        empty: &str,
    ) -> Markup {
        let ticked = self.values.all(name);
        let invalid = self.errors.has_field(name);
        html! {
            fieldset.field.has-error[invalid] {
                legend { (legend) }
                @if options.is_empty() { p.hint { (empty) } }
                @for (i, (value, text)) in options.iter().enumerate() {
                    label.check {
                        input type="checkbox" name=(name) value=(value)
                            id={ (self.id(name)) "-" (i) }
                            checked[ticked.contains(value)];
                        " " (text)
                    }
                }
                (self.field_errors(name))
            }
        }
    }

    /// One checkbox (ticked sends `on`).
    pub fn checkbox(&self, label: &str, name: &str) -> Markup {
        html! {
            div.field.has-error[self.errors.has_field(name)] {
                label.check {
                    input type="checkbox" name=(name) value="on" id=(self.id(name))
                        checked[self.values.has(name)];
                    " " (label)
                }
                (self.field_errors(name))
            }
        }
    }
}

/// The hidden CSRF field every POST form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

pub fn hidden(name: &str, value: impl maud::Render) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_sits_beside_its_field_and_typed_values_are_kept() {
        let values = FormData::from_pairs([("name", "<b>North</b>"), ("code", "no rth")]);
        let errors = FormErrors::from_app(AppError::Invalid(vec![
            FieldError {
                field: "code".into(),
                message: "may hold only capital letters".into(),
            },
            FieldError {
                field: "org_id".into(),
                message: "sites belong to health systems".into(),
            },
        ]))
        .expect("field errors stay on the form");
        let view = FormView::new(&values, &errors, "site");
        let html = html! { (view.summary(&["name", "code"])) (view.text("Name", "name")) (view.text("Code", "code")) }
            .into_string();
        assert!(html.contains(
            r#"<p class="field-error" data-field="code" id="site-code-error">may hold only capital letters</p>"#
        ), "{html}");
        assert!(
            html.contains(r#"value="&lt;b&gt;North&lt;/b&gt;""#),
            "{html}"
        );
        assert!(html.contains(r#"value="no rth""#));
        assert!(
            html.contains("org id: sites belong to health systems"),
            "a stray field error is shown above the form"
        );
        assert!(
            !html.contains(r#"data-field="name""#),
            "no error for a good field"
        );
    }

    #[test]
    fn a_stale_version_is_a_message_above_the_form_and_not_found_is_a_page() {
        let errors = FormErrors::from_app(AppError::Conflict {
            what: "site North".into(),
            current: 3,
        })
        .expect("a conflict stays on the form");
        let html = FormView::new(&FormData::default(), &errors, "x")
            .summary(&[])
            .into_string();
        assert!(html.contains("now at version 3"), "{html}");
        assert!(FormErrors::from_app(AppError::NotFound("site x".into())).is_err());
    }

    #[test]
    fn passwords_are_never_echoed() {
        let values = FormData::from_pairs([("password", "hunter2hunter2")]);
        let html = FormView::new(&values, &FormErrors::default(), "login")
            .input("Password", "password", Input::CurrentPassword, None)
            .into_string();
        assert!(!html.contains("hunter2"), "{html}");
    }
}
