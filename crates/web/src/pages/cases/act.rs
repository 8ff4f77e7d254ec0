//! A posted case form as the case's command (`CaseInput`): values read once here, each bad one
//! named by its field, then decided by the app. A refusal shows the form again — bad values
//! beside their fields (422), the case as it now stands above the form (409).

use super::{Typed, render_case};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::uploads::PostedFiles;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::cases::{CaseInput, ScanInput, StepView};
use cellpath_domain::Date;
use cellpath_domain::events::cases::{
    ConsentGiver, EhrAttestation, PriorAuthorization, PriorAuthorizationStatus, ReleaseDecision,
};
use cellpath_domain::journey::{Disposition, Item, Temperature};
use cellpath_domain::process_map::SignatureMeaning;
use cellpath_domain::program::IdentifierKind;
use std::collections::BTreeMap;

/// Reads a form's values, keeping every problem by its field.
struct Reader<'a> {
    form: &'a FormData,
    errors: FormErrors,
}

impl Reader<'_> {
    fn text(&self, name: &str) -> String {
        self.form.get(name).trim().to_string()
    }

    fn optional(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|t| !t.is_empty())
    }

    fn word<T: std::str::FromStr>(&mut self, name: &str, what: &str) -> Option<T> {
        match self.form.get(name).trim() {
            "" => {
                self.errors.field(name, format!("choose {what}"));
                None
            }
            w => match w.parse::<T>() {
                Ok(v) => Some(v),
                Err(_) => {
                    self.errors
                        .field(name, format!("{w:?} is not one of the choices"));
                    None
                }
            },
        }
    }

    fn date(&mut self, name: &str, what: &str) -> Option<Date> {
        match self.form.get(name).trim() {
            "" => {
                self.errors.field(name, format!("enter {what}"));
                None
            }
            t => match Date::parse(t) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.errors.field(name, e.to_string());
                    None
                }
            },
        }
    }

    fn optional_date(&mut self, name: &str) -> Option<Date> {
        match self.form.get(name).trim() {
            "" => None,
            _ => self.date(name, ""),
        }
    }

    /// The step's listed fields that were filled in (a second person on a begun step sends
    /// none), or the EHR reference that attests them.
    fn entry(
        &self,
        step: Option<&StepView>,
        now: i64,
    ) -> (BTreeMap<String, String>, Option<EhrAttestation>) {
        if let Some(reference) = self.optional("ehr_reference") {
            let attested = EhrAttestation {
                reference,
                charted_at: now,
            };
            return (BTreeMap::new(), Some(attested));
        }
        let fields = step
            .map(|s| {
                s.fields
                    .iter()
                    .map(|f| (f.clone(), self.text(&format!("field:{f}"))))
                    .filter(|(_, v)| !v.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        (fields, None)
    }

    /// How a unit ended: the choice, with the volume or the reason it asks for.
    fn disposition(&mut self) -> Option<Disposition> {
        let reason = self.text("disposition_reason");
        let needs_reason = |r: &mut Self| {
            if reason.is_empty() {
                r.errors
                    .field("disposition_reason", "say why it was not given");
            }
        };
        Some(match self.form.get("disposition") {
            "infused_whole" => Disposition::InfusedWhole,
            "infused_in_part" => match self.text("volume_ml").parse::<u32>() {
                Ok(volume_ml) => Disposition::InfusedInPart { volume_ml },
                Err(_) => {
                    self.errors.field(
                        "volume_ml",
                        "enter the volume infused in whole millilitres, e.g. 42",
                    );
                    return None;
                }
            },
            "not_infused" => {
                needs_reason(self);
                Disposition::NotInfused { reason }
            }
            "returned" => {
                needs_reason(self);
                Disposition::Returned { reason }
            }
            "discarded" => {
                needs_reason(self);
                Disposition::Discarded { reason }
            }
            "" => {
                self.errors
                    .field("disposition", "choose how the unit ended");
                return None;
            }
            other => {
                self.errors.field(
                    "disposition",
                    format!("{other:?} is not one of the choices"),
                );
                return None;
            }
        })
    }

    /// A scanned or typed identifier, if one was given, with the kind it was read as.
    fn scan(&mut self) -> Option<ScanInput> {
        let text = self.optional("scan")?;
        let expected = match self.form.get("scan_kind").parse::<IdentifierKind>() {
            Ok(k) => k,
            Err(e) => {
                self.errors.field("scan_kind", e.to_string());
                return None;
            }
        };
        Some(ScanInput { expected, text })
    }

    fn temperature(&mut self) -> Temperature {
        match self.form.get("temperature") {
            "excursion" => match celsius_tenths(self.form.get("reading")) {
                Some(reading_tenths_celsius) => Temperature::Excursion {
                    reading_tenths_celsius,
                },
                None => {
                    self.errors.field(
                        "reading",
                        "enter the reading in degrees Celsius with at most one decimal, e.g. -120.5",
                    );
                    Temperature::InRange
                }
            },
            "in_range" | "" => Temperature::InRange,
            other => {
                self.errors.field(
                    "temperature",
                    format!("{other:?} is not one of the choices"),
                );
                Temperature::InRange
            }
        }
    }

    fn items(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        for i in self.form.all("items") {
            match i.as_str() {
                "starting_material" => items.push(Item::StartingMaterial),
                other => match other.strip_prefix("unit:") {
                    Some(key) => items.push(Item::Unit(key.to_string())),
                    None => self
                        .errors
                        .field("items", format!("{other:?} is not one of the choices")),
                },
            }
        }
        items
    }
}

/// Degrees Celsius with at most one decimal (`-120.5`, `8`, `-0,5`) as tenths.
pub(super) fn celsius_tenths(text: &str) -> Option<i32> {
    let text = text.trim().replace(',', ".").replace('−', "-");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, tenth) = digits.split_once('.').unwrap_or((digits, "0"));
    if whole.is_empty()
        || tenth.len() != 1
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !tenth.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 4
    {
        return None;
    }
    let tenths = whole.parse::<i32>().ok()? * 10 + tenth.parse::<i32>().ok()?;
    Some(if negative { -tenths } else { tenths })
}

/// The field beside which the app's refusal of a command's values is shown (the scan of a bag
/// that is not this case's, the day of a schedule in the past…); none: above the form.
fn main_field(command: &str) -> Option<&'static str> {
    Some(match command {
        "verify" => "scan",
        "schedule" => "on",
        "monitor" => "from",
        "release" => "certificate_reference",
        "administer" | "end_unit" => "disposition",
        "checklist" => "ticked",
        "add_identifier" => "text",
        "skip" | "repeat" | "deviation" | "hold" => "reason",
        "resume" => "note",
        "cancel" => "care_transition_note",
        _ => return None,
    })
}

/// A posted form as the case's command, or its problems by field.
pub(super) fn input_of(
    form: &FormData,
    step: Option<&StepView>,
    now: i64,
) -> Result<CaseInput, FormErrors> {
    let mut r = Reader {
        form,
        errors: FormErrors::default(),
    };
    let key = form.get("step").to_string();
    let (fields, attestation) = r.entry(step, now);
    let input = match form.get("command") {
        "record" => CaseInput::Record {
            step: key,
            fields,
            attestation,
        },
        "thaw" => CaseInput::Thaw {
            step: key,
            fields,
            attestation,
        },
        "pass_hold" => CaseInput::PassHold {
            step: key,
            fields,
            attestation,
        },
        "follow_up" => CaseInput::FollowUp {
            step: key,
            fields,
            attestation,
        },
        "sign" => {
            let meaning = r.word::<SignatureMeaning>("meaning", "the meaning of your signature");
            CaseInput::Sign {
                step: key,
                meaning: meaning.unwrap_or(SignatureMeaning::Approved),
                fields,
                attestation,
            }
        }
        "handoff" => {
            let from = r.text("from");
            let to = r.text("to");
            for (name, value, what) in [
                ("from", &from, "who hands it over"),
                ("to", &to, "who takes it"),
            ] {
                if value.is_empty() {
                    r.errors.field(name, format!("say {what}"));
                }
            }
            CaseInput::Handoff {
                step: key,
                fields,
                attestation,
                items: r.items(),
                from,
                to,
                location: r.optional("location"),
                scan: r.scan(),
                temperature: r.temperature(),
            }
        }
        "schedule" => CaseInput::Schedule {
            step: key,
            fields,
            attestation,
            on: r
                .date("on", "the day it is scheduled for")
                .unwrap_or_else(|| Date::of_micros(now)),
            slot: r.optional("slot"),
        },
        "administer" => CaseInput::Administer {
            step: key,
            fields,
            attestation,
            disposition: r.disposition().unwrap_or(Disposition::InfusedWhole),
            late_reason: r.optional("late_reason"),
        },
        "monitor" => CaseInput::Monitor {
            step: key,
            fields,
            attestation,
            from: r
                .date("from", "the day monitoring starts")
                .unwrap_or_else(|| Date::of_micros(now)),
        },
        "checklist" => CaseInput::Checklist {
            step: key,
            fields,
            attestation,
            ticked: form.all("ticked"),
        },
        "verify" => {
            let scan = r.scan();
            if scan.is_none() && !r.errors.has_field("scan_kind") {
                r.errors
                    .field("scan", "scan the bag's label, or type what it prints");
            }
            CaseInput::Verify {
                step: key,
                scan,
                fields,
                attestation,
            }
        }
        "add_identifier" => CaseInput::AddIdentifier {
            kind: r
                .word::<IdentifierKind>("kind", "the identifier")
                .unwrap_or(IdentifierKind::LotNumber),
            text: r.text("text"),
            unit: r.optional("unit"),
        },
        "end_unit" => CaseInput::EndUnit {
            unit: r.text("unit"),
            disposition: r.disposition().unwrap_or(Disposition::InfusedWhole),
        },
        "skip" => CaseInput::Skip {
            step: key,
            reason: r.text("reason"),
        },
        "repeat" => CaseInput::Repeat {
            step: key,
            reason: r.text("reason"),
        },
        "deviation" => CaseInput::Deviation {
            step: Some(key).filter(|k| !k.is_empty()),
            reason: r.text("reason"),
        },
        "hold" => CaseInput::Hold {
            reason: r.text("reason"),
        },
        "resume" => CaseInput::Resume {
            note: r.text("note"),
        },
        "cancel" => CaseInput::Cancel {
            care_transition_note: r.text("care_transition_note"),
        },
        "verify_benefits" => {
            let requested_on = r.date("requested_on", "the day it was requested");
            let decided_on = r.optional_date("decided_on");
            let status = r.word::<PriorAuthorizationStatus>("pa_status", "where it stands");
            CaseInput::VerifyBenefits {
                payer: form.get("payer").into(),
                plan: form.get("plan").into(),
                prior_authorization: PriorAuthorization {
                    status: status.unwrap_or(PriorAuthorizationStatus::Pending),
                    requested_on: requested_on.unwrap_or_else(|| Date::of_micros(now)),
                    decided_on,
                    reference: form.get("reference").into(),
                },
            }
        }
        "record_consent" => CaseInput::RecordConsent {
            consent_version_id: form.get("consent_version_id").into(),
            consented_by: r
                .word::<ConsentGiver>("consented_by", "who consented")
                .unwrap_or(ConsentGiver::Patient),
            signed_on: form.get("signed_on").trim().into(),
            witness: form.get("witness").into(),
        },
        other => {
            r.errors
                .form(format!("this page cannot send the action {other:?}"));
            return Err(r.errors);
        }
    };
    if r.errors.is_empty() {
        Ok(input)
    } else {
        Err(r.errors)
    }
}

/// The app's refusal as the form shows it: values beside their fields (a step's own field as
/// `field:NAME`), the rest beside the command's main field or above the form; a stale version
/// or the case's state above the form with 409.
fn refusal(e: AppError, command: &str, step: Option<&StepView>) -> Result<FormErrors, WebError> {
    let mut errors = FormErrors::default();
    match e {
        AppError::Invalid(fields) => {
            for f in fields {
                let listed = step.is_some_and(|s| s.fields.contains(&f.field));
                match (f.field.as_str(), main_field(command)) {
                    (_, _) if listed => errors.field(&format!("field:{}", f.field), f.message),
                    ("", Some(main)) => errors.field(main, f.message),
                    ("", None) => errors.form(f.message),
                    (field, _) => errors.field(field, f.message),
                }
            }
        }
        AppError::State(m) => {
            errors.mark_conflict();
            errors.form(m);
        }
        other => return FormErrors::from_app(other),
    }
    Ok(errors)
}

/// Decide the input on the case; on refusal show the page again with the form.
async fn decide(
    ctx: &Ctx,
    id: &str,
    form: FormData,
    input: Result<CaseInput, FormErrors>,
    step: Option<&StepView>,
) -> Result<Response, WebError> {
    let which = form.get("form").to_string();
    let command = form.get("command").to_string();
    let errors = match input {
        Err(errors) => errors,
        Ok(input) => match ctx
            .app
            .act_on_case(
                ctx.caller(),
                id,
                input,
                form.get("password"),
                form.version().ok(),
                None,
            )
            .await
            .and_then(|o| o.fresh())
        {
            // After a bedside scan the page comes back without a fragment, so the browser
            // gives the scan field its focus again (autofocus is skipped on a page loaded with
            // one): the nurse scans the next bag without reaching for the mouse.
            Ok(_) if command == "verify" => {
                return Ok(super::super::see_other(&format!(
                    "{}?notice=saved",
                    paths::case(id)
                )));
            }
            Ok(_) => return Ok(super::super::notice_redirect(&paths::case(id), "saved")),
            Err(e) => refusal(e, &command, step)?,
        },
    };
    let status = errors.status();
    // The messages go with their form when the page shows it again; else (a form without a
    // name, a step no longer open to the reader, the case changed under them: 409) on top.
    let now = ctx.app.case(ctx.caller(), id).await?;
    let open_step = |key: &str| now.yours.iter().any(|k| k == key);
    let shown = match which.split_once('-') {
        _ if which.is_empty() || status == StatusCode::CONFLICT => false,
        Some(("step" | "skip", key)) => open_step(key),
        _ => true,
    };
    if shown {
        let typed = Typed {
            form: which,
            values: form,
            errors,
        };
        return render_case(ctx, id, None, None, status, Some(&typed)).await;
    }
    let message = errors
        .into_pairs()
        .into_iter()
        .map(|(f, m)| {
            if f.is_empty() {
                m
            } else {
                format!("{}: {m}", crate::labels::field_name(&f))
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    render_case(ctx, id, Some(message), None, status, None).await
}

/// `POST /cases/{id}/actions`: one action on the case from its page.
pub async fn act(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let view = ctx.app.case(ctx.caller(), &id).await?;
    let step = view.steps.iter().find(|s| s.key == form.get("step"));
    let input = input_of(&form, step, ctx.app.now());
    decide(&ctx, &id, form.clone(), input, step).await
}

/// `POST /cases/{id}/release` (a form with files): the release decision with its certificate,
/// uploaded (kept by its SHA-256) or named by the SHA-256 of a copy kept elsewhere.
pub async fn release(Path(id): Path<String>, posted: PostedFiles) -> Result<Response, WebError> {
    let view = posted.ctx.app.case(posted.ctx.caller(), &id).await?;
    let form = posted.form.clone();
    let mut errors = FormErrors::default();
    let decision = match form.get("decision").parse::<ReleaseDecision>() {
        Ok(d) => Some(d),
        Err(e) => {
            errors.field("decision", e.to_string());
            None
        }
    };
    let reference = form.get("certificate_reference").trim().to_string();
    if reference.is_empty() {
        errors.field(
            "certificate_reference",
            "enter the certificate's reference, e.g. its certificate of analysis number",
        );
    }
    let typed_sha = form.get("certificate_sha256").trim().to_ascii_lowercase();
    let sha256 = match posted.upload("certificate_file").await {
        Ok(kept) => match kept.into_iter().next() {
            Some(doc) => Some(doc.sha256),
            None if typed_sha.len() == 64 && typed_sha.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(typed_sha)
            }
            None if typed_sha.is_empty() => {
                errors.field(
                    "certificate_file",
                    "attach the certificate, or type the SHA-256 of a copy kept in your quality system",
                );
                None
            }
            None => {
                errors.field(
                    "certificate_sha256",
                    "a SHA-256 is 64 hexadecimal characters",
                );
                None
            }
        },
        Err(AppError::Invalid(problems)) => {
            for p in problems {
                errors.field("certificate_file", p.message);
            }
            None
        }
        Err(other) => return Err(other.into()),
    };
    let input = match (decision, sha256) {
        (Some(decision), Some(certificate_sha256)) if errors.is_empty() => Ok(CaseInput::Release {
            step: form.get("step").to_string(),
            decision,
            certificate_reference: reference,
            certificate_sha256,
        }),
        _ => Err(errors),
    };
    let step = view.steps.iter().find(|s| s.key == form.get("step"));
    decide(&posted.ctx, &id, form.clone(), input, step).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_tenths_of_a_degree() {
        assert_eq!(celsius_tenths("-120.5"), Some(-1205));
        assert_eq!(celsius_tenths("−120,5"), Some(-1205));
        assert_eq!(celsius_tenths("8"), Some(80));
        assert_eq!(celsius_tenths("-0.5"), Some(-5));
        for bad in ["", "-", "12.25", "cold", "1.x", "99999"] {
            assert_eq!(celsius_tenths(bad), None, "{bad}");
        }
    }

    fn posted(pairs: &[(&str, &str)]) -> FormData {
        FormData::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn a_checklist_sends_the_items_ticked_and_a_handoff_its_units() {
        let input = input_of(
            &posted(&[
                ("command", "checklist"),
                ("step", "pre_infusion"),
                ("ticked", "vitals"),
                ("ticked", "premedication"),
            ]),
            None,
            0,
        )
        .expect("a checklist");
        match input {
            CaseInput::Checklist { ticked, step, .. } => {
                assert_eq!(step, "pre_infusion");
                assert_eq!(ticked, ["vitals", "premedication"]);
            }
            other => panic!("{other:?}"),
        }
        let input = input_of(
            &posted(&[
                ("command", "handoff"),
                ("step", "shipment"),
                ("from", "Helixa"),
                ("to", "Courier"),
                ("items", "unit:cd4"),
                ("items", "starting_material"),
                ("temperature", "excursion"),
                ("reading", "-58.5"),
            ]),
            None,
            0,
        )
        .expect("a handoff");
        match input {
            CaseInput::Handoff {
                items, temperature, ..
            } => {
                assert_eq!(items, [Item::Unit("cd4".into()), Item::StartingMaterial]);
                assert_eq!(
                    temperature,
                    Temperature::Excursion {
                        reading_tenths_celsius: -585
                    }
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_values_are_named_by_their_fields() {
        let refused = input_of(
            &posted(&[
                ("command", "handoff"),
                ("step", "shipment"),
                ("temperature", "excursion"),
                ("reading", "cold"),
            ]),
            None,
            0,
        )
        .expect_err("refused");
        for field in ["from", "to", "reading"] {
            assert!(refused.has_field(field), "{field}");
        }
        let refused = input_of(
            &posted(&[
                ("command", "administer"),
                ("step", "administer_cd4"),
                ("disposition", "infused_in_part"),
                ("volume_ml", "a lot"),
            ]),
            None,
            0,
        )
        .expect_err("refused");
        assert!(refused.has_field("volume_ml"));
        let refused = input_of(
            &posted(&[("command", "verify"), ("step", "dual_verification_cd4")]),
            None,
            0,
        )
        .expect_err("refused");
        assert!(refused.has_field("scan"));
        let refused = input_of(
            &posted(&[("command", "schedule"), ("step", "s"), ("on", "next week")]),
            None,
            0,
        )
        .expect_err("refused");
        assert!(refused.has_field("on"));
    }
}
