//! A record's e-signatures shown with the record (21 CFR 11.50): for each, the signer's
//! printed name, the date and time, and the meaning in words, with the channel it came
//! through. One rendering for every signed record — deliverables and their revocations, gap
//! closures, ledger events, case steps — fed by `App::record_signatures` (one query a page).

use crate::labels;
use crate::paths;
use crate::time::{day, rfc3339, utc};
use cellpath_app::signatures::RecordSignature;
use cellpath_ledger::Meaning;
use maud::{Markup, html};

/// The meaning of a signature as a person says it ("approved", "verified", …).
pub fn meaning(m: Meaning) -> &'static str {
    match m {
        Meaning::Authored => "authored",
        Meaning::Reviewed => "reviewed",
        Meaning::Approved => "approved",
        Meaning::Verified => "verified",
        Meaning::Performed => "performed",
    }
}

/// When it was signed: the day in words and the minute in UTC, e.g. "1 Oct 2025, 14:05
/// UTC"; the exact instant in `datetime` and the title.
pub fn signed_at(micros: i64) -> Markup {
    let full = utc(micros);
    let minute = full.get(11..16).unwrap_or("");
    html! { time datetime=(rfc3339(micros)) title=(full) { (day(micros)) ", " (minute) " UTC" } }
}

/// The signatures of one record, oldest first; nothing at all when it carries none.
pub fn list(signatures: &[RecordSignature]) -> Markup {
    html! {
        @if !signatures.is_empty() {
            ul.signatures.record-signatures {
                @for s in signatures {
                    li.signature data-meaning=(s.meaning.as_str()) {
                        span.sig-mark aria-hidden="true" { "✎" }
                        "Signed by " strong.signer { (s.printed_name) }
                        " · " span.meaning { (meaning(s.meaning)) }
                        " · " (signed_at(s.signed_at))
                        " · " span.sig-channel.muted { (labels::signature_channel(s.channel.as_ref())) }
                    }
                }
            }
        }
    }
}

/// Where a record's signatures are kept for review: the audit trail of the ledger it is on.
pub fn trail_link(ledger_id: &str, what: &str) -> Markup {
    html! { a.audit-trail-link href=(paths::ledger(ledger_id)) { (what) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(name: &str, meaning: Meaning, kind: &str) -> RecordSignature {
        RecordSignature {
            printed_name: name.into(),
            signer_user_id: "usr_1".into(),
            meaning,
            signed_at: 1_759_327_500_000_000,
            channel: Some(cellpath_ledger::Channel::WebSession),
            event_kind: kind.into(),
        }
    }

    #[test]
    fn a_signature_shows_the_printed_name_the_time_and_the_meaning_in_words() {
        let html = list(&[signature(
            "Caleb <Novak>",
            Meaning::Verified,
            "deliverable_record.created",
        )])
        .into_string();
        assert!(
            html.contains("Signed by <strong class=\"signer\">Caleb &lt;Novak&gt;</strong>"),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="meaning">verified</span>"#),
            "{html}"
        );
        // 1_759_327_500 s = 2025-10-01 14:05:00 UTC.
        assert!(html.contains("1 Oct 2025, 14:05 UTC"), "{html}");
        assert!(
            html.contains(r#"datetime="2025-10-01T14:05:00Z""#),
            "{html}"
        );
        assert!(html.contains("via web session"), "{html}");
    }

    #[test]
    fn a_record_without_signatures_shows_none() {
        assert_eq!(list(&[]).into_string(), "");
    }
}
