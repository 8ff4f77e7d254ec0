//! Opening a case: two commands, one ledger each (DESIGN.md §3). The patient's identity is
//! registered on the health system's ledger; the case is opened on the partnership's ledger
//! with a pseudonym, initials, birth year and the salted hash of that identity — and only where
//! the gate authorizes the site for the program today.

use super::actor_of;
use crate::ids::{new_id, sha256_hex};
use crate::write::{Write, follow_up_of};
use crate::{App, AppError, Caller, Idem, Outcome};
use cellpath_domain::Date;
use cellpath_domain::events::cases::{CaseEvent, CasePatient};
use cellpath_domain::events::patients::{PatientFields, PatientRegistered};
use cellpath_domain::journey::{Case, Command, OpenCase, decide};
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_domain::program::IdentifierSpec;
use cellpath_domain::values::Name;
use cellpath_store::{Operational, Patient};
use serde::{Deserialize, Serialize};

/// A patient to register at a site, as typed.
#[derive(utoipa::ToSchema)]
#[schema(as = PatientInput)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPatient {
    pub site_id: String,
    #[schema(schema_with = crate::views::schema::name)]
    pub name: String,
    #[schema(schema_with = crate::views::schema::day)]
    pub date_of_birth: String,
    /// The medical record number, 1–40 characters.
    pub mrn: String,
}

/// The registration: the patient's id at the health system and the hash of the event, which
/// the case on the partnership's ledger names.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct PatientRegistration {
    pub patient_id: String,
    /// The hash of the patient.registered event, which the case names across ledgers.
    pub registration: String,
}

/// A case to open for a registered patient.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub patient_id: String,
}

/// What opening a case answers: its id, pseudonym and version (the patient's identity is in
/// the case's view, cut to whoever reads it).
#[derive(utoipa::ToSchema)]
#[schema(as = CaseOpened)]
#[derive(Debug, Clone, Serialize)]
pub struct CaseOpenedView {
    pub id: String,
    /// Program code, site code, sequence, e.g. VAN-LUH-MAIN-0042.
    pub pseudonym: String,
    pub version: i64,
}

impl App {
    /// Register a patient's identity at one of the caller's sites (coordinator or physician),
    /// on the health system's ledger. The same medical record number with the same name and
    /// date of birth answers the registration already made; with others it is refused.
    pub async fn register_patient(
        &self,
        caller: &Caller,
        input: NewPatient,
        idem: Option<Idem>,
    ) -> Result<Outcome<PatientRegistration>, AppError> {
        let site = self
            .store
            .site(&input.site_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("site {}", input.site_id)))?;
        let rel = self.owned_relation(caller, &site.org_id, None).await?;
        if rel != Relation::OwnOrg {
            return Err(AppError::not_found(format!("site {}", input.site_id)));
        }
        self.check(
            caller,
            Action::Create,
            ResourceKind::Patient,
            rel,
            "patients of this site",
        )?;
        let mut errors = crate::Fields::default();
        let name = errors.check("name", Name::parse(&input.name));
        let dob = errors.check("date_of_birth", Date::parse(&input.date_of_birth));
        let today = Date::of_micros(self.now());
        if let Some(d) = dob.as_ref().filter(|d| **d > today) {
            errors.fail(
                "date_of_birth",
                format!("{d} is after today ({today}): enter the day the patient was born"),
            );
        }
        let mrn = input.mrn.trim().to_string();
        if mrn.is_empty() || mrn.len() > 40 {
            errors.fail(
                "mrn",
                "enter the medical record number (at most 40 characters)",
            );
        }
        errors.finish()?;
        let (name, dob) = (name.expect("checked").into_string(), dob.expect("checked"));
        if let Some(known) = self.store.patient_by_mrn(&site.org_id, &mrn).await? {
            if known.name == name && known.date_of_birth == dob {
                return Ok(Outcome::Fresh(PatientRegistration {
                    patient_id: known.id,
                    registration: known.registration,
                }));
            }
            return Err(AppError::invalid(
                "mrn",
                "this medical record number is registered to another name or date of birth: check both",
            ));
        }
        let id = new_id("patient");
        let salt: [u8; 16] = rand::random();
        let event = PatientRegistered {
            id: id.clone(),
            new: PatientFields {
                site_id: site.id,
                name,
                date_of_birth: dob,
                mrn,
                salt: hex::encode(salt),
            },
        };
        self.write(
            caller,
            idem,
            Write::event(site.org_id, &event, move |a| PatientRegistration {
                patient_id: id.clone(),
                registration: a.hash.clone(),
            })
            .created(),
        )
        .await
    }

    /// Open a case for a registered patient at a site for a program (coordinator or
    /// physician of the health system), on the partnership's ledger. Only where the site is
    /// authorized for the program today; else the refusal names what the gate says is missing.
    pub async fn open_case(
        &self,
        caller: &Caller,
        input: NewCase,
        idem: Option<Idem>,
    ) -> Result<Outcome<CaseOpenedView>, AppError> {
        let p = self.partnership_row(caller, &input.partnership_id).await?;
        let rel = self.case_relation(caller, &p);
        self.check(
            caller,
            Action::Create,
            ResourceKind::Patient,
            rel,
            "cases of this partnership",
        )?;
        crate::sitemaps::refuse_if_ended(&p)?;
        let site = self
            .partnership_site(&p, &input.site_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("site {}", input.site_id)))?;
        let patient = self
            .store
            .patient(&input.patient_id)
            .await?
            .filter(|pt| pt.org_id == p.health_system_id)
            .ok_or_else(|| AppError::not_found(format!("patient {}", input.patient_id)))?;
        // A site added since the partnership was accepted that it does not cover has not
        // joined its onboarding (the gate, plan and pipeline leave it out): no case there.
        let central =
            crate::records::partnerships::centrals_of(&self.store.agreements_of(&p.id).await?)?;
        if let cellpath_domain::contracting::joining::Joining::NotCovered(naming) =
            crate::records::partnerships::joining_of(&p, &site, &central)
        {
            return Err(AppError::State(format!(
                "{} has not joined this partnership's onboarding, so no case can be opened there: {} name{} the sites covered; a joinder adds it",
                site.name,
                naming
                    .iter()
                    .map(|k| k.title())
                    .collect::<Vec<_>>()
                    .join(", "),
                if naming.len() == 1 { "s" } else { "" }
            )));
        }
        let record = self
            .gate_record_of_site(&p, &site, &input.program_id)
            .await?;
        let program = record
            .programs
            .iter()
            .find(|pr| pr.id == input.program_id)
            .cloned()
            .ok_or_else(|| {
                AppError::not_found(format!("program {} of this partnership", input.program_id))
            })?;
        let today = Date::of_micros(self.now());
        let gate = record.gate(&site.id, &program.id, today);
        if !gate.authorized {
            return Err(AppError::State(format!(
                "{} is not authorized for {} today, so no case can be opened there: {}",
                site.name,
                program.name,
                gate.missing
                    .iter()
                    .map(|m| m.text.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        // The newest version of the site's map both sides signed: what the gate authorized.
        let number = record
            .rule
            .signed_maps
            .iter()
            .filter(|m| m.site_id == site.id && m.program_id == program.id)
            .map(|m| m.number)
            .max()
            .ok_or_else(|| AppError::Internal("an authorized site has a signed map".into()))?;
        let version = self
            .store
            .site_map_versions(&site.id, &program.id)
            .await?
            .into_iter()
            .find(|v| v.number == number)
            .ok_or_else(|| AppError::Internal("the signed site map version is stored".into()))?;
        let map = self.case_map(&version.id).await?;
        let identifiers: Vec<IdentifierSpec> = serde_json::from_value(program.identifiers.clone())
            .map_err(|e| AppError::Internal(format!("program identifiers: {e}")))?;
        let actor = actor_of(caller)?;
        let prefix = format!("{}-{}-", program_code(&program.name), site.code);
        // The sequence is counted before the write; a case opened at the same moment under the
        // same name (another partnership's, or a program whose name begins alike) takes the
        // number first, and the unique key on (site, pseudonym) sends this one round again.
        for _ in 0..OPEN_RETRIES {
            let sequence = self.store.cases_named_like(&site.id, &prefix).await? + 1;
            let pseudonym = format!("{prefix}{sequence:04}");
            let case_id = new_id("case");
            let case_id_written = case_id.clone();
            let command = Command::Open(OpenCase {
                case_id: case_id.clone(),
                partnership_id: p.id.clone(),
                site_id: site.id.clone(),
                program_id: program.id.clone(),
                map_version_id: version.id.clone(),
                pseudonym: pseudonym.clone(),
                patient: case_patient(&patient),
                identifier_kinds: identifiers.iter().map(|i| i.kind).collect(),
            });
            let events = decide(&map, &Case::default(), &command, &actor, self.now())
                .map_err(super::act::refused)?;
            let open_steps = crate::inbox::case_open_steps(&map, &Case::default(), &events);
            let count = events.len() as i64;
            let mut events = events.into_iter();
            let first = events.next().expect("opening a case records its opening");
            let CaseEvent::Opened(opened) = &first else {
                return Err(AppError::Internal("a case opens with case.opened".into()));
            };
            let write = Write::event(p.id.clone(), opened, move |_| CaseOpenedView {
                id: case_id.clone(),
                pseudonym: pseudonym.clone(),
                version: count,
            })
            .then(events.map(|e| follow_up_of(e.kind(), e)).collect())
            .with_operational(Operational::CaseOpenSteps {
                case_id: case_id_written.clone(),
                steps: open_steps,
            })
            .created();
            match self.write(caller, idem.clone(), write).await {
                Err(AppError::Duplicate { .. }) => continue,
                other => return other,
            }
        }
        Err(AppError::State(
            "cases are being opened at this site faster than they can be named; try again".into(),
        ))
    }
}

/// How many times opening a case takes the next pseudonym when another took its number.
const OPEN_RETRIES: usize = 5;

/// The program's part of a pseudonym: the first three letters of its name, upper case.
fn program_code(name: &str) -> String {
    let code: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(3)
        .collect::<String>()
        .to_ascii_uppercase();
    if code.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        code
    } else {
        format!("P{code}")
    }
}

/// The patient as the partnership's ledger names them: initials, birth year, the salted
/// SHA-256 of the identity (salt, name, date of birth, MRN, one per line) and the
/// registration's event hash.
fn case_patient(p: &Patient) -> CasePatient {
    let fields = PatientFields {
        site_id: p.site_id.clone(),
        name: p.name.clone(),
        date_of_birth: p.date_of_birth.clone(),
        mrn: p.mrn.clone(),
        salt: p.salt.clone(),
    };
    CasePatient {
        initials: fields.initials(),
        birth_year: fields.birth_year(),
        identity_sha256: sha256_hex(&format!(
            "{}\n{}\n{}\n{}\n",
            p.salt,
            p.name,
            p.date_of_birth.as_str(),
            p.mrn
        )),
        registration: p.registration.clone(),
    }
}
