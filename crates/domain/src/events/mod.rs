//! Events: what a command records, as types. Each serializes to exactly the payload the ledger
//! holds (`docs/ledger-format.md`; canonical JSON sorts the keys, so only names, nesting and
//! absent-versus-null matter) and names its `type` through [`Event::KIND`]. One module per
//! capability.
//!
//! Records share two shapes: `<record>.created` is [`Created`] (`{id, new: {…}}`) and
//! `<record>.updated` is [`Updated`] (`{id, version, old: {…}, new: {…}}`, only the changed
//! fields, built with [`Diff`]).

pub mod auth;
pub mod bookings;
pub mod cases;
pub mod consent;
pub mod contracting;
pub mod directory;
pub mod finance;
pub mod partnerships;
pub mod patients;
pub mod programs;
pub mod readiness;
pub mod release_exceptions;
pub mod safety;
pub mod site_maps;
pub mod webhooks;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

/// An event type: its payload is `Self`, serialized; its `type` in the envelope is `KIND`.
pub trait Event: Serialize + DeserializeOwned {
    const KIND: &'static str;
}

/// `<record>.created`: the new record's id and its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Created<F> {
    pub id: String,
    pub new: F,
}

/// `<record>.updated`: the record's new version, with the old and new values of the fields
/// that changed (`C` has every changeable field optional; a field left out did not change).
/// It applies only to the record at `version - 1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Updated<C> {
    pub id: String,
    pub version: i64,
    pub old: C,
    pub new: C,
}

/// Old and new values of the fields a command changes, gathered field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff<C> {
    pub old: C,
    pub new: C,
}

impl<C: Default + PartialEq> Diff<C> {
    /// Note `field` as changed when a value is given (`next`) and it differs from `current`.
    pub fn field<T: PartialEq>(
        &mut self,
        field: impl Fn(&mut C) -> &mut Option<T>,
        current: T,
        next: Option<T>,
    ) {
        if let Some(next) = next
            && next != current
        {
            *field(&mut self.old) = Some(current);
            *field(&mut self.new) = Some(next);
        }
    }

    /// Note `field` as changed from `current` to `next` even when they are equal: for a field
    /// recorded whenever the command sets it (an agreement's two dates go together).
    pub fn set<T>(&mut self, field: impl Fn(&mut C) -> &mut Option<T>, current: T, next: T) {
        *field(&mut self.old) = Some(current);
        *field(&mut self.new) = Some(next);
    }

    /// Nothing changed: no event to record.
    pub fn is_empty(&self) -> bool {
        self.new == C::default()
    }

    /// The event that records these changes as the record's `version`.
    pub fn updated(self, id: impl Into<String>, version: i64) -> Updated<C> {
        Updated {
            id: id.into(),
            version,
            old: self.old,
            new: self.new,
        }
    }
}

/// For a changed field that may hold null (`Option<Option<T>>`): present and null is
/// `Some(None)`, absent is `None` (serde's default would read both as `None`).
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A day that may be none, `""` when none, as the ledger has always held an agreement's dates
/// before they are set and a deliverable's revocation while it counts.
pub(crate) mod blank_day {
    use crate::Date;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(day: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(day.as_ref().map_or("", Date::as_str))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(None);
        }
        Date::parse(&text).map(Some).map_err(D::Error::custom)
    }

    /// The same for a changed field (`Option<Option<Date>>`: left out when it did not change,
    /// so skip it when `None`).
    pub mod changed {
        use crate::Date;
        use serde::{Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            day: &Option<Option<Date>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match day {
                Some(day) => super::serialize(day, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Option<Date>>, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

/// Called once for every event type, e.g. to check a record of the past against each.
pub trait Visit {
    fn event<E: Event>(&mut self);
}

/// Declares each type's `KIND` and lists the module's types for [`each`].
macro_rules! events {
    ($($ty:ty => $kind:literal),+ $(,)?) => {
        $(impl $crate::events::Event for $ty {
            const KIND: &'static str = $kind;
        })+
        pub(crate) fn each(v: &mut impl $crate::events::Visit) {
            $(v.event::<$ty>();)+
        }
    };
}
pub(crate) use events;

/// The families of events about a patient's path — the case and its steps, the patient, the
/// bookings of its chain, a release exception, a safety report, the invoice and the claim —
/// as distinct from the records the partners keep about themselves and each other
/// (organizations, people, sites, facilities, programs, partnerships, agreements, site maps,
/// visits and gaps, deliverables, consent versions, release-exception protocols, payers).
const PATIENT_PATH: &[&str] = &[
    "case.",
    "patient.",
    "booking.",
    "release_exception.",
    "safety_report.",
    "invoice.",
    "claim.",
];

/// Whether an event of this kind is about a patient's path ([`PATIENT_PATH`]) rather than the
/// partners' records; a kind not named there counts as a record, which is always safe.
pub fn about_a_patient(kind: &str) -> bool {
    PATIENT_PATH.iter().any(|p| kind.starts_with(p))
}

/// The e-signature's event type (`cellpath_ledger::SIGNATURE_EVENT_TYPE`; the store's tests
/// hold them equal): it signs a record as often as a patient's step.
pub const SIGNATURE_KIND: &str = "signature.recorded";

/// Whether the events of one command move the partners' records: one of them is a record
/// event, or they are e-signatures alone. A patient's step with the signature that signs it
/// does not. A ledger's head keeps the sequence number of the newest command that moved its
/// records apart (`records_seq`), so what is judged from the records alone (the gate) is not
/// judged again at every step of every case.
pub fn moves_records<'a>(kinds: impl IntoIterator<Item = &'a str>) -> bool {
    let mut about_a_patient_only = false;
    for kind in kinds {
        if kind == SIGNATURE_KIND {
            continue;
        }
        if !about_a_patient(kind) {
            return true;
        }
        about_a_patient_only = true;
    }
    !about_a_patient_only
}

/// Visit every event type of every capability.
pub fn each(v: &mut impl Visit) {
    directory::each(v);
    auth::each(v);
    programs::each(v);
    site_maps::each(v);
    readiness::each(v);
    contracting::each(v);
}

/// Visit the event types that no record written so far holds — `cases`, `patients`, `consent`,
/// `bookings`, `partnerships`, `safety`, `release_exceptions`, `finance` — kept out of
/// [`each`], whose every type must meet an event of the earlier release's record (the store's
/// fixture test). A type moves to `each` once a fixture holds its events.
pub fn each_not_yet_recorded(v: &mut impl Visit) {
    cases::each(v);
    patients::each(v);
    consent::each(v);
    bookings::each(v);
    partnerships::each(v);
    safety::each(v);
    webhooks::each(v);
    release_exceptions::each(v);
    finance::each(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Kinds(Vec<&'static str>);
    impl Visit for Kinds {
        fn event<E: Event>(&mut self) {
            self.0.push(E::KIND);
        }
    }

    #[test]
    fn every_kind_names_one_type() {
        let mut kinds = Kinds(Vec::new());
        each(&mut kinds);
        let mut sorted = kinds.0.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), kinds.0.len(), "{:?}", kinds.0);
    }

    #[test]
    fn the_records_are_not_about_a_patient_and_the_patients_path_is() {
        let mut kinds = Kinds(Vec::new());
        each(&mut kinds);
        for kind in &kinds.0 {
            assert!(!about_a_patient(kind), "{kind} is a record");
        }
        let mut later = Kinds(Vec::new());
        each_not_yet_recorded(&mut later);
        for kind in later.0 {
            let family = kind.split('.').next().unwrap_or_default();
            let expected = matches!(
                family,
                "case"
                    | "patient"
                    | "booking"
                    | "release_exception"
                    | "safety_report"
                    | "invoice"
                    | "claim"
            );
            assert_eq!(about_a_patient(kind), expected, "{kind}");
        }
        for kind in [
            "case.step_completed",
            "patient.registered",
            "booking.confirmed",
            "release_exception.notified",
            "invoice.created",
        ] {
            assert!(about_a_patient(kind), "{kind}");
        }
        for kind in [
            "exception_protocol.updated",
            "consent_version.created",
            "site_authorization.updated",
            "deliverable_record.created",
            "payer_profile.created",
            "casebook.created",
        ] {
            assert!(!about_a_patient(kind), "{kind}");
        }
    }

    #[test]
    fn a_command_moves_the_records_unless_it_is_a_patients_path_with_its_signatures() {
        assert!(!moves_records(["case.step_completed"]));
        assert!(!moves_records(["case.step_recorded", SIGNATURE_KIND]));
        assert!(!moves_records([
            SIGNATURE_KIND,
            "release_exception.updated"
        ]));
        assert!(moves_records([SIGNATURE_KIND, "map_version.updated"]));
        assert!(moves_records([
            "deliverable_record.created",
            SIGNATURE_KIND
        ]));
        assert!(
            moves_records([SIGNATURE_KIND]),
            "a signature alone may sign a record"
        );
        assert!(moves_records(["case.opened", "site_authorization.updated"]));
        assert!(moves_records(Vec::<&str>::new()));
    }

    #[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Changes {
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        active: Option<bool>,
        #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
        published_at: Option<Option<i64>>,
    }

    #[test]
    fn a_diff_keeps_only_what_changed() {
        let mut d = Diff::<Changes>::default();
        d.field(|c| &mut c.name, "A".to_string(), Some("A".to_string()));
        d.field(|c| &mut c.active, true, None);
        assert!(d.is_empty());
        d.field(|c| &mut c.name, "A".to_string(), Some("B".to_string()));
        d.field(|c| &mut c.published_at, None, Some(Some(5)));
        let e = d.updated("site_1", 2);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"id": "site_1", "version": 2,
                "old": {"name": "A", "published_at": null}, "new": {"name": "B", "published_at": 5}})
        );
        let back: Updated<Changes> =
            serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(back, e, "null read back as present");
        assert!(
            serde_json::from_value::<Updated<Changes>>(
                serde_json::json!({"id": "x", "version": 2, "old": {"nom": "A"}, "new": {}})
            )
            .is_err(),
            "a renamed field is refused"
        );
    }

    #[test]
    fn a_field_set_is_recorded_even_unchanged() {
        let mut d = Diff::<Changes>::default();
        d.set(|c| &mut c.name, "A".to_string(), "A".to_string());
        assert!(!d.is_empty());
        assert_eq!(
            serde_json::to_value(d.updated("site_1", 3)).unwrap(),
            serde_json::json!({"id": "site_1", "version": 3, "old": {"name": "A"}, "new": {"name": "A"}})
        );
    }
}
