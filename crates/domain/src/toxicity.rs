//! Grading of cytokine release syndrome (CRS) and immune effector cell-associated neurotoxicity
//! syndrome (ICANS) by the ASTCT consensus (Lee et al., BBMT 2019;25:625; DOMAIN.md). A nurse
//! enters what was observed; the grade is computed from it, with the reasons in words, and is
//! never typed by hand. Amounts are whole numbers (the ledger has no floating point):
//! temperature in tenths of a degree Celsius, oxygen in litres per minute.

use serde::{Deserialize, Serialize};

/// Fever, for CRS: 38.0 °C.
const FEVER_TENTHS_C: i32 = 380;
/// Low-flow nasal cannula goes up to 6 L/min; more is high flow (grade 3).
const LOW_FLOW_MAX_LPM: u16 = 6;

/// A grade (0 = not present by these observations, 1–5) and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Graded {
    pub grade: u8,
    pub because: Vec<String>,
}

/// One observation entry that could not be graded, by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservationProblem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> ObservationProblem {
    ObservationProblem {
        field,
        message: message.into(),
    }
}

/// Oxygen support at the time of the observation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "device", rename_all = "snake_case", deny_unknown_fields)]
pub enum Oxygen {
    #[default]
    None,
    BlowBy,
    NasalCannula {
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 80))]
        litres_per_minute: u16,
    },
    HighFlowNasalCannula {
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 80))]
        litres_per_minute: u16,
    },
    Facemask,
    NonRebreather,
    Venturi,
    Cpap,
    Bipap,
    MechanicalVentilation,
}

impl Oxygen {
    fn label(&self) -> String {
        match self {
            Oxygen::None => "no oxygen".into(),
            Oxygen::BlowBy => "blow-by oxygen".into(),
            Oxygen::NasalCannula { litres_per_minute } => {
                format!("nasal cannula at {litres_per_minute} L/min")
            }
            Oxygen::HighFlowNasalCannula { litres_per_minute } => {
                format!("high-flow nasal cannula at {litres_per_minute} L/min")
            }
            Oxygen::Facemask => "facemask".into(),
            Oxygen::NonRebreather => "non-rebreather mask".into(),
            Oxygen::Venturi => "Venturi mask".into(),
            Oxygen::Cpap => "CPAP".into(),
            Oxygen::Bipap => "BiPAP".into(),
            Oxygen::MechanicalVentilation => "mechanical ventilation".into(),
        }
    }

    /// The hypoxia grade this support means.
    fn grade(&self) -> u8 {
        match *self {
            Oxygen::None => 0,
            Oxygen::BlowBy => 2,
            Oxygen::NasalCannula { litres_per_minute } if litres_per_minute <= LOW_FLOW_MAX_LPM => {
                2
            }
            Oxygen::NasalCannula { .. }
            | Oxygen::HighFlowNasalCannula { .. }
            | Oxygen::Facemask
            | Oxygen::NonRebreather
            | Oxygen::Venturi => 3,
            Oxygen::Cpap | Oxygen::Bipap | Oxygen::MechanicalVentilation => 4,
        }
    }
}

/// What is observed for CRS.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CrsObservations {
    /// The highest temperature, in tenths of a degree Celsius (385 = 38.5 °C).
    #[cfg_attr(feature = "openapi", schema(minimum = 250, maximum = 450))]
    pub temperature_tenths_c: Option<i32>,
    /// Tocilizumab, steroids or antipyretics were given: fever is no longer needed to grade.
    #[serde(default)]
    pub fever_treated: bool,
    /// Hypotension (whether or not it needs vasopressors).
    #[serde(default)]
    pub hypotension: bool,
    /// Vasopressors running other than vasopressin.
    #[cfg_attr(feature = "openapi", schema(maximum = 6))]
    #[serde(default)]
    pub vasopressors: u8,
    /// Vasopressin running (not counted among several vasopressors).
    #[serde(default)]
    pub vasopressin: bool,
    #[serde(default)]
    pub oxygen: Oxygen,
    /// The patient died of CRS.
    #[serde(default)]
    pub died: bool,
}

impl CrsObservations {
    fn check(&self) -> Result<(), Vec<ObservationProblem>> {
        let mut out = Vec::new();
        if let Some(t) = self.temperature_tenths_c
            && !(250..=450).contains(&t)
        {
            out.push(problem(
                "temperature_tenths_c",
                format!(
                    "{t} tenths of a degree ({:.1} °C) is not a body temperature: enter tenths of °C, e.g. 385 for 38.5 °C",
                    f64::from(t) / 10.0
                ),
            ));
        }
        if self.vasopressors > 6 {
            out.push(problem(
                "vasopressors",
                format!("{} vasopressors at once is not plausible: count the drugs running (vasopressin apart)", self.vasopressors),
            ));
        }
        if let Oxygen::NasalCannula { litres_per_minute }
        | Oxygen::HighFlowNasalCannula { litres_per_minute } = self.oxygen
            && !(1..=80).contains(&litres_per_minute)
        {
            out.push(problem(
                "oxygen",
                format!("{litres_per_minute} L/min: enter the flow in litres per minute (1–80), or no oxygen"),
            ));
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

/// The ASTCT CRS grade: fever ≥ 38.0 °C at every grade (not needed after tocilizumab, steroids
/// or antipyretics); then the worse of hypotension and hypoxia.
pub fn grade_crs(o: &CrsObservations) -> Result<Graded, Vec<ObservationProblem>> {
    o.check()?;
    if o.died {
        return Ok(Graded {
            grade: 5,
            because: vec!["death from CRS".into()],
        });
    }
    let fever = o.temperature_tenths_c.is_some_and(|t| t >= FEVER_TENTHS_C);
    if !fever && !o.fever_treated {
        return Ok(Graded {
            grade: 0,
            because: vec![match o.temperature_tenths_c {
                Some(t) => format!(
                    "no CRS by ASTCT criteria: {:.1} °C is below 38.0 °C and no tocilizumab, steroids or antipyretics were given",
                    f64::from(t) / 10.0
                ),
                None => "no CRS by ASTCT criteria: no fever recorded and no tocilizumab, steroids or antipyretics given".into(),
            }],
        });
    }
    let mut because = vec![if fever {
        format!(
            "fever {:.1} °C",
            f64::from(o.temperature_tenths_c.unwrap_or_default()) / 10.0
        )
    } else {
        "fever not needed: tocilizumab, steroids or antipyretics given".into()
    }];
    let pressure = match (o.vasopressors, o.vasopressin) {
        (n, _) if n >= 2 => {
            because.push(format!(
                "{n} vasopressors (vasopressin not counted): grade 4"
            ));
            4
        }
        (1, with) => {
            because.push(format!(
                "one vasopressor{}: grade 3",
                if with { " with vasopressin" } else { "" }
            ));
            3
        }
        (0, true) => {
            because.push("vasopressin alone: grade 3".into());
            3
        }
        _ if o.hypotension => {
            because.push("hypotension without vasopressors: grade 2".into());
            2
        }
        _ => 0,
    };
    let hypoxia = o.oxygen.grade();
    if hypoxia > 0 {
        because.push(format!("{}: grade {hypoxia}", o.oxygen.label()));
    }
    Ok(Graded {
        grade: pressure.max(hypoxia).max(1),
        because,
    })
}

/// Level of consciousness, for ICANS.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Consciousness {
    #[default]
    Alert,
    AwakensSpontaneously,
    AwakensToVoice,
    AwakensOnlyToTouch,
    /// Unarousable, or needs vigorous or repeated touch to arouse; stupor or coma.
    Unarousable,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Seizure {
    #[default]
    None,
    /// Any clinical seizure that resolves quickly, or non-convulsive seizures on EEG that
    /// resolve with intervention.
    ResolvedQuickly,
    /// Prolonged (more than 5 minutes), or repeated without return to baseline.
    ProlongedOrRepeated,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RaisedPressure {
    #[default]
    None,
    /// Focal or local edema on neuroimaging.
    FocalEdema,
    /// Diffuse cerebral edema; decerebrate or decorticate posturing; cranial nerve VI palsy;
    /// papilledema; Cushing's triad.
    DiffuseEdemaOrSigns,
}

/// What is observed for ICANS (adults and children over 12: the ICE score).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IcansObservations {
    /// The ICE score, 0–10 (orientation 4, naming 3, commands 1, writing 1, attention 1);
    /// absent when the patient could not be assessed.
    #[cfg_attr(feature = "openapi", schema(maximum = 10))]
    pub ice_score: Option<u8>,
    #[serde(default)]
    pub consciousness: Consciousness,
    #[serde(default)]
    pub seizure: Seizure,
    /// Deep focal motor weakness such as hemiparesis or paraparesis.
    #[serde(default)]
    pub motor_weakness: bool,
    #[serde(default)]
    pub raised_pressure: RaisedPressure,
    /// The patient died of ICANS.
    #[serde(default)]
    pub died: bool,
}

/// The ASTCT ICANS grade: the worst of its domains.
pub fn grade_icans(o: &IcansObservations) -> Result<Graded, Vec<ObservationProblem>> {
    if let Some(s) = o.ice_score {
        if s > 10 {
            return Err(vec![problem(
                "ice_score",
                format!("the ICE score is 0 to 10, not {s}"),
            )]);
        }
        if s > 0 && o.consciousness == Consciousness::Unarousable {
            return Err(vec![problem(
                "ice_score",
                format!(
                    "an unarousable patient cannot score {s} on ICE: leave the score out (or 0)"
                ),
            )]);
        }
    }
    if o.died {
        return Ok(Graded {
            grade: 5,
            because: vec!["death from ICANS".into()],
        });
    }
    let mut because = Vec::new();
    let mut grade = 0;
    let mut worse = |g: u8, why: String| {
        because.push(format!("{why}: grade {g}"));
        grade = grade.max(g);
    };
    match o.ice_score {
        Some(s @ 7..=9) => worse(1, format!("ICE score {s}")),
        Some(s @ 3..=6) => worse(2, format!("ICE score {s}")),
        Some(s @ 0..=2) => worse(3, format!("ICE score {s}")),
        _ => {}
    }
    match o.consciousness {
        Consciousness::Alert => {}
        Consciousness::AwakensSpontaneously => worse(1, "awakens spontaneously".into()),
        Consciousness::AwakensToVoice => worse(2, "awakens to voice".into()),
        Consciousness::AwakensOnlyToTouch => worse(3, "awakens only to touch".into()),
        Consciousness::Unarousable => worse(4, "unarousable".into()),
    }
    match o.seizure {
        Seizure::None => {}
        Seizure::ResolvedQuickly => worse(3, "a seizure that resolved quickly".into()),
        Seizure::ProlongedOrRepeated => {
            worse(4, "a seizure over 5 minutes, or repeated ones".into())
        }
    }
    if o.motor_weakness {
        worse(4, "deep focal motor weakness".into());
    }
    match o.raised_pressure {
        RaisedPressure::None => {}
        RaisedPressure::FocalEdema => worse(3, "focal edema".into()),
        RaisedPressure::DiffuseEdemaOrSigns => {
            worse(4, "diffuse edema or signs of raised pressure".into())
        }
    }
    if grade == 0 {
        because.push(match o.ice_score {
            Some(10) => "no ICANS: ICE score 10, alert, no other finding".into(),
            _ => "no ICANS finding recorded".into(),
        });
    }
    Ok(Graded { grade, because })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crs(o: CrsObservations) -> u8 {
        grade_crs(&o).unwrap().grade
    }

    fn fever() -> CrsObservations {
        CrsObservations {
            temperature_tenths_c: Some(385),
            ..Default::default()
        }
    }

    #[test]
    fn crs_boundaries() {
        let nc = |l| Oxygen::NasalCannula {
            litres_per_minute: l,
        };
        let cases: Vec<(&str, CrsObservations, u8)> = vec![
            (
                "37.9 °C is not fever",
                CrsObservations {
                    temperature_tenths_c: Some(379),
                    ..Default::default()
                },
                0,
            ),
            (
                "38.0 °C is fever",
                CrsObservations {
                    temperature_tenths_c: Some(380),
                    ..Default::default()
                },
                1,
            ),
            (
                "hypotension without pressors",
                CrsObservations {
                    hypotension: true,
                    ..fever()
                },
                2,
            ),
            (
                "6 L/min is low flow",
                CrsObservations {
                    oxygen: nc(6),
                    ..fever()
                },
                2,
            ),
            (
                "7 L/min is high flow",
                CrsObservations {
                    oxygen: nc(7),
                    ..fever()
                },
                3,
            ),
            (
                "blow-by",
                CrsObservations {
                    oxygen: Oxygen::BlowBy,
                    ..fever()
                },
                2,
            ),
            (
                "high-flow cannula at any rate",
                CrsObservations {
                    oxygen: Oxygen::HighFlowNasalCannula {
                        litres_per_minute: 5,
                    },
                    ..fever()
                },
                3,
            ),
            (
                "facemask",
                CrsObservations {
                    oxygen: Oxygen::Facemask,
                    ..fever()
                },
                3,
            ),
            (
                "one pressor",
                CrsObservations {
                    hypotension: true,
                    vasopressors: 1,
                    ..fever()
                },
                3,
            ),
            (
                "one pressor with vasopressin is still one",
                CrsObservations {
                    hypotension: true,
                    vasopressors: 1,
                    vasopressin: true,
                    ..fever()
                },
                3,
            ),
            (
                "vasopressin alone",
                CrsObservations {
                    hypotension: true,
                    vasopressin: true,
                    ..fever()
                },
                3,
            ),
            (
                "two pressors",
                CrsObservations {
                    hypotension: true,
                    vasopressors: 2,
                    ..fever()
                },
                4,
            ),
            (
                "vasopressin is counted apart: two pressors with it are still several",
                CrsObservations {
                    hypotension: true,
                    vasopressors: 2,
                    vasopressin: true,
                    ..fever()
                },
                4,
            ),
            (
                "1 L/min is low flow",
                CrsObservations {
                    oxygen: nc(1),
                    ..fever()
                },
                2,
            ),
            (
                "Venturi mask",
                CrsObservations {
                    oxygen: Oxygen::Venturi,
                    ..fever()
                },
                3,
            ),
            (
                "mechanical ventilation",
                CrsObservations {
                    oxygen: Oxygen::MechanicalVentilation,
                    ..fever()
                },
                4,
            ),
            (
                "after tocilizumab, no temperature taken: graded by oxygen",
                CrsObservations {
                    temperature_tenths_c: None,
                    fever_treated: true,
                    oxygen: nc(7),
                    ..Default::default()
                },
                3,
            ),
            (
                "after tocilizumab, nothing else: grade 1",
                CrsObservations {
                    fever_treated: true,
                    ..Default::default()
                },
                1,
            ),
            (
                "BiPAP",
                CrsObservations {
                    oxygen: Oxygen::Bipap,
                    ..fever()
                },
                4,
            ),
            (
                "the worse of the two",
                CrsObservations {
                    hypotension: true,
                    oxygen: Oxygen::Cpap,
                    ..fever()
                },
                4,
            ),
            (
                "no fever after tocilizumab, on a pressor",
                CrsObservations {
                    temperature_tenths_c: Some(371),
                    fever_treated: true,
                    hypotension: true,
                    vasopressors: 1,
                    ..Default::default()
                },
                3,
            ),
            (
                "no fever, untreated, on oxygen: not CRS",
                CrsObservations {
                    temperature_tenths_c: Some(371),
                    oxygen: nc(4),
                    ..Default::default()
                },
                0,
            ),
            (
                "death",
                CrsObservations {
                    died: true,
                    ..fever()
                },
                5,
            ),
        ];
        for (what, o, grade) in cases {
            assert_eq!(crs(o), grade, "{what}");
        }
    }

    #[test]
    fn crs_says_why() {
        let g = grade_crs(&CrsObservations {
            hypotension: true,
            vasopressors: 1,
            oxygen: Oxygen::NasalCannula {
                litres_per_minute: 4,
            },
            ..fever()
        })
        .unwrap();
        assert_eq!(g.grade, 3);
        assert_eq!(
            g.because,
            vec![
                "fever 38.5 °C",
                "one vasopressor: grade 3",
                "nasal cannula at 4 L/min: grade 2"
            ]
        );
    }

    #[test]
    fn implausible_entries_are_refused_by_field() {
        let bad = grade_crs(&CrsObservations {
            temperature_tenths_c: Some(39),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(bad[0].field, "temperature_tenths_c");
        assert!(bad[0].message.contains("e.g. 385"), "{}", bad[0].message);
        let bad = grade_icans(&IcansObservations {
            ice_score: Some(11),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(bad[0].field, "ice_score");
        let bad = grade_crs(&CrsObservations {
            oxygen: Oxygen::HighFlowNasalCannula {
                litres_per_minute: 0,
            },
            vasopressors: 9,
            ..fever()
        })
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["vasopressors", "oxygen"]);
    }

    #[test]
    fn icans_boundaries() {
        let ice = |s| IcansObservations {
            ice_score: Some(s),
            ..Default::default()
        };
        let cases: Vec<(&str, IcansObservations, u8)> = vec![
            ("ICE 10", ice(10), 0),
            ("ICE 9", ice(9), 1),
            ("ICE 7", ice(7), 1),
            ("ICE 6", ice(6), 2),
            ("ICE 3", ice(3), 2),
            ("ICE 2", ice(2), 3),
            ("ICE 0, awake", ice(0), 3),
            (
                "ICE 0, awakens only to touch",
                IcansObservations {
                    consciousness: Consciousness::AwakensOnlyToTouch,
                    ..ice(0)
                },
                3,
            ),
            (
                "not assessable, alert, nothing else",
                IcansObservations::default(),
                0,
            ),
            (
                "ICE 10 but awakens spontaneously",
                IcansObservations {
                    consciousness: Consciousness::AwakensSpontaneously,
                    ..ice(10)
                },
                1,
            ),
            (
                "ICE 0, unarousable",
                IcansObservations {
                    consciousness: Consciousness::Unarousable,
                    ..ice(0)
                },
                4,
            ),
            (
                "not assessable, unarousable",
                IcansObservations {
                    consciousness: Consciousness::Unarousable,
                    ..Default::default()
                },
                4,
            ),
            (
                "ICE 8 but awakens only to touch",
                IcansObservations {
                    consciousness: Consciousness::AwakensOnlyToTouch,
                    ..ice(8)
                },
                3,
            ),
            (
                "awakens to voice",
                IcansObservations {
                    consciousness: Consciousness::AwakensToVoice,
                    ..ice(10)
                },
                2,
            ),
            (
                "a quick seizure raises ICE 9 to 3",
                IcansObservations {
                    seizure: Seizure::ResolvedQuickly,
                    ..ice(9)
                },
                3,
            ),
            (
                "a long seizure",
                IcansObservations {
                    seizure: Seizure::ProlongedOrRepeated,
                    ..ice(9)
                },
                4,
            ),
            (
                "hemiparesis",
                IcansObservations {
                    motor_weakness: true,
                    ..ice(10)
                },
                4,
            ),
            (
                "focal edema",
                IcansObservations {
                    raised_pressure: RaisedPressure::FocalEdema,
                    ..ice(8)
                },
                3,
            ),
            (
                "papilledema",
                IcansObservations {
                    raised_pressure: RaisedPressure::DiffuseEdemaOrSigns,
                    ..ice(8)
                },
                4,
            ),
            (
                "death",
                IcansObservations {
                    died: true,
                    ..ice(0)
                },
                5,
            ),
        ];
        for (what, o, grade) in cases {
            assert_eq!(grade_icans(&o).unwrap().grade, grade, "{what}");
        }
        assert!(
            grade_icans(&IcansObservations {
                consciousness: Consciousness::Unarousable,
                ..ice(5)
            })
            .is_err()
        );
    }

    #[test]
    fn observations_read_from_json_as_a_client_sends_them() {
        let o: CrsObservations = serde_json::from_str(
            r#"{"temperature_tenths_c": 391, "hypotension": true, "oxygen": {"device": "nasal_cannula", "litres_per_minute": 7}}"#,
        )
        .unwrap();
        assert_eq!(grade_crs(&o).unwrap().grade, 3);
        assert!(serde_json::from_str::<CrsObservations>(r#"{"grade": 1}"#).is_err());
    }
}
