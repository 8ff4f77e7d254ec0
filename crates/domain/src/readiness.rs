//! Site readiness (DESIGN.md §4.2): a program's requirements are typed checks on facility
//! capabilities; a site visit records what was observed; gap analysis turns every requirement
//! that is unmet (or was not observed) at a facility serving the site into a gap.
//! Capabilities are a closed catalogue, so a requirement cannot name something nobody can observe.

use crate::FacilityKind;
use crate::values::LedgerInt;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// What a site visit looks at.
    Area, "area" {
        CellLabLayout => "cell_lab_layout",
        Equipment => "equipment",
        DeliveryLogistics => "delivery_logistics",
        RequiredSignatures => "required_signatures",
        InternalTransport => "internal_transport",
        Storage => "storage",
        Accreditation => "accreditation",
    }
);

vocabulary!(
    /// How bad an unmet requirement is; `blocking` gaps keep a site from authorization.
    Severity, "severity" {
        Blocking => "blocking",
        Major => "major",
        Minor => "minor",
    }
);

impl Severity {
    /// Days from the visit to the gap's default due date.
    pub fn due_days(self) -> i64 {
        match self {
            Severity::Blocking => 30,
            Severity::Major => 60,
            Severity::Minor => 90,
        }
    }
}

/// The type of value a capability is observed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    Number,
    YesNo,
    /// A daily time window such as `07:00-19:00`.
    Window,
    /// A list of names (e.g. the signatures a site requires).
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capability {
    pub key: &'static str,
    pub name: &'static str,
    pub area: Area,
    pub value: ValueType,
    pub facility: FacilityKind,
    /// Unit of a number, for people ("°C", "minutes").
    pub unit: &'static str,
}

const fn cap(
    key: &'static str,
    name: &'static str,
    area: Area,
    value: ValueType,
    facility: FacilityKind,
    unit: &'static str,
) -> Capability {
    Capability {
        key,
        name,
        area,
        value,
        facility,
        unit,
    }
}

/// Every capability a requirement may check and a visit may observe.
pub const CAPABILITIES: &[Capability] = &[
    cap(
        "ln2_vapor_storage_max_celsius",
        "Vapor-phase LN2 storage, warmest temperature",
        Area::Storage,
        ValueType::Number,
        FacilityKind::Processing,
        "°C",
    ),
    cap(
        "ln2_storage_positions",
        "LN2 storage positions available",
        Area::Storage,
        ValueType::Number,
        FacilityKind::Processing,
        "positions",
    ),
    cap(
        "temperature_monitoring_alarm",
        "Continuous temperature monitoring with alarm",
        Area::Storage,
        ValueType::YesNo,
        FacilityKind::Processing,
        "",
    ),
    cap(
        "validated_thaw_device",
        "Validated thaw device",
        Area::Equipment,
        ValueType::YesNo,
        FacilityKind::Processing,
        "",
    ),
    cap(
        "biosafety_cabinet",
        "Biosafety cabinet in the cell lab",
        Area::CellLabLayout,
        ValueType::YesNo,
        FacilityKind::Processing,
        "",
    ),
    cap(
        "segregated_receiving_area",
        "Segregated area to receive and inspect shippers",
        Area::CellLabLayout,
        ValueType::YesNo,
        FacilityKind::Processing,
        "",
    ),
    cap(
        "receiving_hours",
        "Hours the cell lab receives courier deliveries",
        Area::DeliveryLogistics,
        ValueType::Window,
        FacilityKind::Processing,
        "",
    ),
    cap(
        "dry_shipper_return",
        "Dry shipper return process in place",
        Area::DeliveryLogistics,
        ValueType::YesNo,
        FacilityKind::Processing,
        "",
    ),
    cap(
        "minutes_cell_lab_to_infusion",
        "Minutes from cell lab to infusion unit",
        Area::InternalTransport,
        ValueType::Number,
        FacilityKind::Clinical,
        "minutes",
    ),
    cap(
        "validated_transport_container",
        "Validated container for internal transport",
        Area::InternalTransport,
        ValueType::YesNo,
        FacilityKind::Processing,
        "",
    ),
    cap(
        "required_signatures",
        "Signatures the site requires at thaw and infusion",
        Area::RequiredSignatures,
        ValueType::List,
        FacilityKind::Clinical,
        "",
    ),
    cap(
        "tocilizumab_doses_on_hand",
        "Tocilizumab doses on hand per patient",
        Area::Storage,
        ValueType::Number,
        FacilityKind::Clinical,
        "doses",
    ),
    cap(
        "icu_beds",
        "ICU beds available to cell therapy patients",
        Area::Equipment,
        ValueType::Number,
        FacilityKind::Clinical,
        "beds",
    ),
    cap(
        "apheresis_machines",
        "Apheresis machines",
        Area::Equipment,
        ValueType::Number,
        FacilityKind::Collection,
        "machines",
    ),
    cap(
        "fact_accredited",
        "FACT accreditation",
        Area::Accreditation,
        ValueType::YesNo,
        FacilityKind::Processing,
        "",
    ),
];

pub fn capability(key: &str) -> Option<&'static Capability> {
    CAPABILITIES.iter().find(|c| c.key == key)
}

/// A check on one capability.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    AtLeast(LedgerInt),
    AtMost(LedgerInt),
    /// The yes/no capability must be yes.
    Yes,
    /// The observed window must cover this one (`HH:MM-HH:MM`).
    Covers(String),
    /// The observed list must contain this name (case-insensitive).
    Contains(String),
}

impl Check {
    fn fits(&self, t: ValueType) -> bool {
        matches!(
            (self, t),
            (Check::AtLeast(_) | Check::AtMost(_), ValueType::Number)
                | (Check::Yes, ValueType::YesNo)
                | (Check::Covers(_), ValueType::Window)
                | (Check::Contains(_), ValueType::List)
        )
    }

    pub fn describe(&self, cap: &Capability) -> String {
        let unit = if cap.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", cap.unit)
        };
        match self {
            Check::AtLeast(n) => format!("at least {n}{unit}"),
            Check::AtMost(n) => format!("at most {n}{unit}"),
            Check::Yes => "yes".into(),
            Check::Covers(w) => format!("covering {w}"),
            Check::Contains(x) => format!("including {x}"),
        }
    }
}

/// A program's requirement of every facility of the capability's kind that serves a site.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub key: String,
    pub capability: String,
    pub check: Check,
    pub severity: Severity,
    #[serde(default)]
    pub description: String,
}

/// A daily window in minutes after midnight; `to` may be before `from` for overnight windows.
fn window(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.trim().split_once('-')?;
    let hm = |s: &str| {
        let (h, m) = s.trim().split_once(':')?;
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
    };
    Some((hm(a)?, hm(b)?))
}

fn covers(outer: (u32, u32), inner: (u32, u32)) -> bool {
    // Same-day windows only; an overnight window is unrolled past midnight.
    let unroll = |(a, b): (u32, u32)| if b < a { (a, b + 24 * 60) } else { (a, b) };
    let (o, i) = (unroll(outer), unroll(inner));
    (o.0 <= i.0 && i.1 <= o.1) || (o.0 <= i.0 + 24 * 60 && i.1 + 24 * 60 <= o.1)
}

/// Check a program's requirements: known capabilities, checks of the right type, unique keys.
pub fn check_requirements(reqs: &[Requirement]) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        if !crate::process_map::is_valid_key(&r.key) {
            errors.push(format!(
                "requirement key {:?}: use 1–40 characters of a-z, 0-9 and _",
                r.key
            ));
        }
        if reqs[..i].iter().any(|o| o.key == r.key) {
            errors.push(format!("requirement {} is listed twice", r.key));
        }
        match capability(&r.capability) {
            None => errors.push(format!(
                "requirement {}: unknown capability {:?} (known: {})",
                r.key,
                r.capability,
                CAPABILITIES
                    .iter()
                    .map(|c| c.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(c) if !r.check.fits(c.value) => errors.push(format!(
                "requirement {}: {} is observed as {:?}, which this check does not fit",
                r.key, c.key, c.value
            )),
            Some(_) => {
                if let Check::Covers(w) = &r.check
                    && window(w).is_none()
                {
                    errors.push(format!(
                        "requirement {}: {w:?} is not a window like 07:00-19:00",
                        r.key
                    ));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// What a visitor saw. Numbers, yes/no, a window as text, or a list of names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Observed {
    YesNo(bool),
    Number(LedgerInt),
    Text(String),
    List(Vec<String>),
}

/// By the JSON type, so a number out of the ledger's range says so (an untagged enum would
/// only say that nothing matched).
impl<'de> Deserialize<'de> for Observed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Observed, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Observed;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("true or false, a whole number, a text or a list of names")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Observed, E> {
                Ok(Observed::YesNo(b))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Observed, E> {
                LedgerInt::new(n).map(Observed::Number).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Observed, E> {
                i64::try_from(n)
                    .map_err(|_| LedgerInt::too_large(n))
                    .and_then(LedgerInt::new)
                    .map(Observed::Number)
                    .map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Observed, E> {
                Err(E::custom(LedgerInt::not_whole(n)))
            }
            fn visit_str<E: serde::de::Error>(self, t: &str) -> Result<Observed, E> {
                Ok(Observed::Text(t.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, t: String) -> Result<Observed, E> {
                Ok(Observed::Text(t))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Observed, A::Error> {
                let mut names = Vec::new();
                while let Some(n) = seq.next_element::<String>()? {
                    names.push(n);
                }
                Ok(Observed::List(names))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl std::fmt::Display for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Observed::YesNo(b) => f.write_str(if *b { "yes" } else { "no" }),
            Observed::Number(n) => write!(f, "{n}"),
            Observed::Text(t) => f.write_str(t),
            Observed::List(l) => f.write_str(&l.join(", ")),
        }
    }
}

/// Metadata of a file shown during a visit (the file itself stays in the site's systems).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub name: String,
    pub media_type: String,
    pub bytes: LedgerInt,
    pub sha256: String,
}

/// One observation of a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    pub facility_id: String,
    pub capability: String,
    pub value: Observed,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Check an observation's capability and value type.
pub fn check_observation(o: &Observation) -> Result<(), String> {
    let Some(c) = capability(&o.capability) else {
        return Err(format!("unknown capability {:?}", o.capability));
    };
    let fits = match (&o.value, c.value) {
        (Observed::Number(_), ValueType::Number)
        | (Observed::YesNo(_), ValueType::YesNo)
        | (Observed::List(_), ValueType::List) => true,
        (Observed::Text(t), ValueType::Window) => window(t).is_some(),
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "{}: {} is not a {:?} value",
            c.key, o.value, c.value
        ))
    }
}

pub fn satisfies(check: &Check, observed: &Observed) -> bool {
    match (check, observed) {
        (Check::AtLeast(n), Observed::Number(v)) => v >= n,
        (Check::AtMost(n), Observed::Number(v)) => v <= n,
        (Check::Yes, Observed::YesNo(v)) => *v,
        (Check::Covers(w), Observed::Text(t)) => {
            matches!((window(t), window(w)), (Some(o), Some(i)) if covers(o, i))
        }
        (Check::Contains(x), Observed::List(l)) => {
            l.iter().any(|i| i.trim().eq_ignore_ascii_case(x.trim()))
        }
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FindingStatus {
    Met {
        observed: Observed,
    },
    Unmet {
        observed: Observed,
    },
    NotObserved,
    /// No facility of the needed kind serves the site.
    NoFacility,
}

/// The verdict on one requirement at one facility (or for the site, if none of the kind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub requirement: String,
    pub facility_id: Option<String>,
    pub severity: Severity,
    pub expected: String,
    #[serde(flatten)]
    pub status: FindingStatus,
}

impl Finding {
    pub fn is_met(&self) -> bool {
        matches!(self.status, FindingStatus::Met { .. })
    }
}

/// Gap analysis: every requirement at every facility of its kind that serves the site, judged
/// on the latest observation (`observations` newest first).
pub fn gap_analysis(
    reqs: &[Requirement],
    facilities: &[(String, FacilityKind)],
    observations: &[Observation],
) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in reqs {
        let Some(c) = capability(&r.capability) else {
            continue;
        };
        let expected = format!("{}: {}", c.name, r.check.describe(c));
        let of_kind: Vec<&String> = facilities
            .iter()
            .filter(|(_, k)| *k == c.facility)
            .map(|(id, _)| id)
            .collect();
        if of_kind.is_empty() {
            out.push(Finding {
                requirement: r.key.clone(),
                facility_id: None,
                severity: r.severity,
                expected,
                status: FindingStatus::NoFacility,
            });
            continue;
        }
        for f in of_kind {
            let seen = observations
                .iter()
                .find(|o| o.facility_id == *f && o.capability == r.capability);
            let status = match seen {
                None => FindingStatus::NotObserved,
                Some(o) if satisfies(&r.check, &o.value) => FindingStatus::Met {
                    observed: o.value.clone(),
                },
                Some(o) => FindingStatus::Unmet {
                    observed: o.value.clone(),
                },
            };
            out.push(Finding {
                requirement: r.key.clone(),
                facility_id: Some(f.clone()),
                severity: r.severity,
                expected: expected.clone(),
                status,
            });
        }
    }
    out
}

/// Requirements met out of those that apply, as a whole percentage (100 when none apply).
pub fn readiness_percent(findings: &[Finding]) -> u32 {
    if findings.is_empty() {
        return 100;
    }
    (findings.iter().filter(|f| f.is_met()).count() * 100 / findings.len()) as u32
}

/// A typical CAR-T program's requirements, for seeds and the demo.
pub fn car_t_requirements() -> Vec<Requirement> {
    let r = |key: &str, capability: &str, check: Check, severity: Severity, description: &str| {
        Requirement {
            key: key.into(),
            capability: capability.into(),
            check,
            severity,
            description: description.into(),
        }
    };
    vec![
        r(
            "ln2_storage",
            "ln2_vapor_storage_max_celsius",
            Check::AtMost(LedgerInt::from(-150)),
            Severity::Blocking,
            "Store product in vapor-phase LN2 at or below −150 °C",
        ),
        r(
            "storage_positions",
            "ln2_storage_positions",
            Check::AtLeast(LedgerInt::from(4)),
            Severity::Major,
            "Room for two patients' two-component products",
        ),
        r(
            "thaw_device",
            "validated_thaw_device",
            Check::Yes,
            Severity::Blocking,
            "A validated dry thaw device",
        ),
        r(
            "receiving",
            "receiving_hours",
            Check::Covers("08:00-17:00".into()),
            Severity::Major,
            "Receive courier deliveries during the manufacturer's shipping window",
        ),
        r(
            "transport_time",
            "minutes_cell_lab_to_infusion",
            Check::AtMost(LedgerInt::from(30)),
            Severity::Major,
            "Reach the infusion unit well inside the 120-minute window",
        ),
        r(
            "dual_signature",
            "required_signatures",
            Check::Contains("pharmacist".into()),
            Severity::Minor,
            "A pharmacist co-signs thaw and release to the unit",
        ),
        r(
            "tocilizumab",
            "tocilizumab_doses_on_hand",
            Check::AtLeast(LedgerInt::from(2)),
            Severity::Blocking,
            "Two doses of tocilizumab available per patient (manufacturer requirement)",
        ),
        r(
            "fact",
            "fact_accredited",
            Check::Yes,
            Severity::Major,
            "FACT-accredited immune effector cell program",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(facility: &str, capability: &str, value: Observed) -> Observation {
        Observation {
            facility_id: facility.into(),
            capability: capability.into(),
            value,
            note: String::new(),
        }
    }

    #[test]
    fn requirements_name_known_capabilities_with_fitting_checks() {
        assert!(check_requirements(&car_t_requirements()).is_ok());
        let bad = vec![
            Requirement {
                key: "x".into(),
                capability: "helipad".into(),
                check: Check::Yes,
                severity: Severity::Minor,
                description: String::new(),
            },
            Requirement {
                key: "y".into(),
                capability: "validated_thaw_device".into(),
                check: Check::AtLeast(LedgerInt::from(1)),
                severity: Severity::Minor,
                description: String::new(),
            },
            Requirement {
                key: "y".into(),
                capability: "receiving_hours".into(),
                check: Check::Covers("morning".into()),
                severity: Severity::Minor,
                description: String::new(),
            },
        ];
        let errors = check_requirements(&bad).unwrap_err();
        assert!(
            errors[0].contains("unknown capability \"helipad\""),
            "{errors:?}"
        );
        assert!(errors[1].contains("does not fit"), "{errors:?}");
        assert!(
            errors.iter().any(|e| e.contains("listed twice")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("not a window")),
            "{errors:?}"
        );
    }

    #[test]
    fn windows_cover_including_overnight() {
        assert!(satisfies(
            &Check::Covers("08:00-17:00".into()),
            &Observed::Text("07:00-19:00".into())
        ));
        assert!(!satisfies(
            &Check::Covers("08:00-17:00".into()),
            &Observed::Text("09:00-19:00".into())
        ));
        assert!(satisfies(
            &Check::Covers("22:00-02:00".into()),
            &Observed::Text("20:00-06:00".into())
        ));
        assert!(satisfies(
            &Check::Covers("08:00-17:00".into()),
            &Observed::Text("00:00-24:00".into())
        ));
    }

    #[test]
    fn gap_analysis_judges_the_latest_observation_per_facility() {
        let reqs = car_t_requirements();
        let facilities = vec![
            ("lab".to_string(), FacilityKind::Processing),
            ("unit".to_string(), FacilityKind::Clinical),
        ];
        let observations = vec![
            obs(
                "lab",
                "ln2_vapor_storage_max_celsius",
                Observed::Number(LedgerInt::from(-160)),
            ),
            obs("lab", "validated_thaw_device", Observed::YesNo(false)),
            obs("lab", "validated_thaw_device", Observed::YesNo(true)), // older: ignored
            obs(
                "unit",
                "tocilizumab_doses_on_hand",
                Observed::Number(LedgerInt::from(1)),
            ),
        ];
        let findings = gap_analysis(&reqs, &facilities, &observations);
        assert_eq!(findings.len(), reqs.len());
        let by = |k: &str| findings.iter().find(|f| f.requirement == k).unwrap();
        assert!(by("ln2_storage").is_met());
        assert!(matches!(
            by("thaw_device").status,
            FindingStatus::Unmet { .. }
        ));
        assert!(matches!(
            by("tocilizumab").status,
            FindingStatus::Unmet { .. }
        ));
        assert!(matches!(by("fact").status, FindingStatus::NotObserved));
        assert_eq!(readiness_percent(&findings), 12);
        // No collection facility needed here, but a site without a cell lab fails every lab check.
        let only_clinical = vec![("unit".to_string(), FacilityKind::Clinical)];
        let f = gap_analysis(&reqs, &only_clinical, &observations);
        assert!(matches!(
            f.iter()
                .find(|f| f.requirement == "ln2_storage")
                .unwrap()
                .status,
            FindingStatus::NoFacility
        ));
    }

    #[test]
    fn observations_are_typed() {
        assert!(
            check_observation(&obs(
                "lab",
                "receiving_hours",
                Observed::Text("07:00-19:00".into())
            ))
            .is_ok()
        );
        assert!(
            check_observation(&obs(
                "lab",
                "receiving_hours",
                Observed::Number(LedgerInt::from(7))
            ))
            .is_err()
        );
        assert!(
            check_observation(&obs("lab", "helipad", Observed::YesNo(true)))
                .unwrap_err()
                .contains("unknown capability")
        );
    }
}
