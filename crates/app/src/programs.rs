//! Programs and their process map versions, on the manufacturer's ledger. A map version is
//! validated against its program's facts before anything is stored; drafts change, a
//! published version never does (the app refuses, and the projection refuses again).

use crate::records::expect_version;
use crate::views;
use crate::write::Write;
use crate::{App, AppError, Caller, FieldError, Idem, Outcome};
use cellpath_domain::OrgKind;
use cellpath_domain::events::Diff;
use cellpath_domain::events::programs::{
    MapVersionChanges, MapVersionCreated, MapVersionFields, MapVersionStatus, MapVersionUpdated,
    ProgramChanges, ProgramCreated, ProgramFields,
};
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_domain::process_map::{MapContext, ProcessMap, ProductUnit, ValidMap, validate};
use cellpath_domain::program::{CheckedProgram, Modality, ProgramFacts};
use cellpath_store::{MapVersion, Page, Program};
use serde_json::Value;

fn invalid(errors: Vec<(String, String)>) -> AppError {
    AppError::Invalid(
        errors
            .into_iter()
            .map(|(field, message)| FieldError { field, message })
            .collect(),
    )
}

fn map_errors(errors: Vec<cellpath_domain::process_map::MapError>) -> AppError {
    AppError::Invalid(
        errors
            .into_iter()
            .map(|e| FieldError {
                field: e
                    .step()
                    .map(|s| format!("steps.{s}"))
                    .unwrap_or_else(|| "map".into()),
                message: e.to_string(),
            })
            .collect(),
    )
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// The program facts a map is checked against, from the stored row.
pub(crate) fn map_context(program: &Program) -> Result<MapContext, AppError> {
    context_of(&program.units, program.requires_dual_verification)
}

fn context_of(units: &Value, requires_dual_verification: bool) -> Result<MapContext, AppError> {
    let units: Vec<ProductUnit> = serde_json::from_value(units.clone()).map_err(internal)?;
    Ok(MapContext {
        units,
        requires_dual_verification,
    })
}

fn checked_map(map: &Value, ctx: &MapContext) -> Result<ValidMap, AppError> {
    let map: ProcessMap = serde_json::from_value(map.clone()).map_err(internal)?;
    validate(&map, ctx).map_err(map_errors)
}

/// A map version as the app answers it, validated again (it was valid when stored; its
/// program may not be).
pub fn valid_map(
    program: &views::Program,
    version: &views::MapVersion,
) -> Result<ValidMap, AppError> {
    let ctx = context_of(&program.units, program.requires_dual_verification)?;
    checked_map(&version.map, &ctx)
}

/// A stored map version, validated again (the app's own commands work from the rows).
pub(crate) fn valid_row_map(program: &Program, version: &MapVersion) -> Result<ValidMap, AppError> {
    checked_map(&version.map, &map_context(program)?)
}

/// A program's facts as its events record them.
fn recorded_facts(org_id: &str, p: &CheckedProgram) -> ProgramFields {
    ProgramFields {
        org_id: org_id.to_string(),
        name: p.name.as_str().to_string(),
        modality: p.modality,
        units: p.units.clone(),
        identifiers: p.identifiers.clone(),
        list_prices: p.list_prices.clone(),
        requires_dual_verification: p.requires_dual_verification,
        requirements: None,
    }
}

/// A stored program's facts, read back into their types.
fn stored_facts(p: &Program) -> Result<ProgramFields, AppError> {
    Ok(ProgramFields {
        org_id: p.org_id.clone(),
        name: p.name.clone(),
        modality: p.modality,
        units: serde_json::from_value(p.units.clone()).map_err(internal)?,
        identifiers: serde_json::from_value(p.identifiers.clone()).map_err(internal)?,
        list_prices: serde_json::from_value(p.list_prices.clone()).map_err(internal)?,
        requires_dual_verification: p.requires_dual_verification,
        requirements: None,
    })
}

/// A program row with these facts.
fn with_facts(program: Program, f: &ProgramFields) -> Result<Program, AppError> {
    Ok(Program {
        name: f.name.clone(),
        modality: f.modality,
        units: serde_json::to_value(&f.units).map_err(internal)?,
        identifiers: serde_json::to_value(&f.identifiers).map_err(internal)?,
        list_prices: serde_json::to_value(&f.list_prices).map_err(internal)?,
        requires_dual_verification: f.requires_dual_verification,
        ..program
    })
}

fn content_hash(map: &Value) -> Result<String, AppError> {
    cellpath_ledger::content_hash(map).map_err(internal)
}

impl App {
    pub(crate) async fn program_checked(
        &self,
        caller: &Caller,
        id: &str,
        action: Action,
    ) -> Result<(Program, Relation), AppError> {
        let what = format!("program {id}");
        let program = self
            .store
            .program(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let rel = self.org_relation(caller, &program.org_id).await?;
        self.check(caller, Action::Read, ResourceKind::Program, rel, &what)?;
        if action != Action::Read {
            self.check(
                caller,
                action,
                ResourceKind::Program,
                rel,
                &format!("program {}", program.name),
            )?;
        }
        Ok((program, rel))
    }

    pub async fn create_program(
        &self,
        caller: &Caller,
        org_id: &str,
        facts: ProgramFacts,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::Program>, AppError> {
        let org = self.organization(caller, org_id).await?;
        let rel = self.org_relation(caller, org_id).await?;
        self.check(
            caller,
            Action::Create,
            ResourceKind::Program,
            rel,
            &format!("programs of {}", org.name),
        )?;
        if org.kind != OrgKind::Manufacturer {
            return Err(AppError::invalid(
                "org_id",
                "programs belong to manufacturers",
            ));
        }
        let checked = facts.check().map_err(invalid)?;
        let id = crate::ids::new_id("prog");
        let new = recorded_facts(&org.id, &checked);
        let program = with_facts(
            Program {
                id: id.clone(),
                org_id: org.id.clone(),
                name: String::new(),
                modality: Modality::AutologousCell,
                units: Value::Null,
                identifiers: Value::Null,
                list_prices: Value::Null,
                requires_dual_verification: false,
                requirements: Value::Array(vec![]),
                version: 1,
                created_at: 0,
                updated_at: 0,
            },
            &new,
        )?;
        let event = ProgramCreated { id, new };
        self.write(
            caller,
            idem,
            Write::event(org.id.clone(), &event, move |a| Program {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..program.clone()
            })
            .created(),
        )
        .await
        .map(|o| o.map(Into::into))
    }

    pub async fn program(&self, caller: &Caller, id: &str) -> Result<views::Program, AppError> {
        Ok(self
            .program_checked(caller, id, Action::Read)
            .await?
            .0
            .into())
    }

    /// The caller's programs: a manufacturer's own, or a health system's partners'.
    pub async fn programs(
        &self,
        caller: &Caller,
        page: Page,
    ) -> Result<Vec<views::Program>, AppError> {
        match &caller.principal {
            Some(p) if p.org_kind == OrgKind::Manufacturer => {
                Ok(views::all(self.store.programs_of(&p.org_id, page).await?))
            }
            Some(p) => Ok(views::all(
                self.store.programs_of_partners(&p.org_id, page).await?,
            )),
            None => Err(AppError::invalid("org", "name the organization")),
        }
    }

    pub async fn programs_of(
        &self,
        caller: &Caller,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<views::Program>, AppError> {
        let rel = self.org_relation(caller, org_id).await?;
        self.check(
            caller,
            Action::Read,
            ResourceKind::Program,
            rel,
            &format!("programs of {org_id}"),
        )?;
        Ok(views::all(self.store.programs_of(org_id, page).await?))
    }

    /// Replace a program's facts. A change that would make one of its map versions invalid
    /// (e.g. removing a unit a map administers) is refused, naming the version.
    pub async fn update_program(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        facts: ProgramFacts,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::Program>, AppError> {
        let (current, _) = self.program_checked(caller, id, Action::Update).await?;
        let checked = facts.check().map_err(invalid)?;
        expect_version(
            &format!("program {}", current.name),
            current.version,
            expected_version,
        )?;
        let ctx = checked.context();
        for v in self.store.map_versions_of(id).await? {
            let map: ProcessMap = serde_json::from_value(v.map.clone()).map_err(internal)?;
            if let Err(errors) = validate(&map, &ctx) {
                return Err(AppError::invalid(
                    "units",
                    format!(
                        "map version {} would no longer be valid: {}",
                        v.number,
                        errors
                            .iter()
                            .map(|e| e.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                ));
            }
        }
        let (old, new) = (
            stored_facts(&current)?,
            recorded_facts(&current.org_id, &checked),
        );
        let mut diff = Diff::<ProgramChanges>::default();
        diff.field(|c| &mut c.name, old.name, Some(new.name.clone()));
        diff.field(|c| &mut c.modality, old.modality, Some(new.modality));
        diff.field(|c| &mut c.units, old.units, Some(new.units.clone()));
        diff.field(
            |c| &mut c.identifiers,
            old.identifiers,
            Some(new.identifiers.clone()),
        );
        diff.field(
            |c| &mut c.list_prices,
            old.list_prices,
            Some(new.list_prices.clone()),
        );
        diff.field(
            |c| &mut c.requires_dual_verification,
            old.requires_dual_verification,
            Some(new.requires_dual_verification),
        );
        if diff.is_empty() {
            return Ok(Outcome::Fresh(current.into()));
        }
        let next = Program {
            version: current.version + 1,
            ..with_facts(current.clone(), &new)?
        };
        let event = diff.updated(id, next.version);
        self.write(
            caller,
            idem,
            Write::event(current.org_id.clone(), &event, move |a| Program {
                updated_at: a.recorded_at,
                ..next.clone()
            }),
        )
        .await
        .map(|o| o.map(Into::into))
    }

    /// A new draft version of a program's map, numbered after the last one.
    pub async fn create_map_version(
        &self,
        caller: &Caller,
        program_id: &str,
        map: ProcessMap,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::MapVersion>, AppError> {
        let (program, _) = self
            .program_checked(caller, program_id, Action::Update)
            .await?;
        let valid = validate(&map, &map_context(&program)?).map_err(map_errors)?;
        let map_json = serde_json::to_value(valid.as_map()).map_err(internal)?;
        let number = self
            .store
            .map_versions_of(program_id)
            .await?
            .first()
            .map_or(1, |v| v.number + 1);
        let version = MapVersion {
            id: crate::ids::new_id("map"),
            program_id: program.id.clone(),
            number,
            status: MapVersionStatus::Draft,
            content_hash: content_hash(&map_json)?,
            map: map_json,
            published_at: None,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        let event = MapVersionCreated {
            id: version.id.clone(),
            new: MapVersionFields {
                program_id: version.program_id.clone(),
                number,
                status: MapVersionStatus::Draft,
                map: valid.as_map().clone(),
                content_hash: version.content_hash.clone(),
                published_at: None,
            },
        };
        self.write(
            caller,
            idem,
            Write::event(program.org_id.clone(), &event, move |a| MapVersion {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..version.clone()
            })
            .created(),
        )
        .await
        .map(|o| o.map(Into::into))
    }

    /// A map version and its program, if the caller may read the program.
    pub async fn map_version(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(views::MapVersion, views::Program), AppError> {
        let (version, program) = self.map_version_row(caller, id).await?;
        Ok((version.into(), program.into()))
    }

    async fn map_version_row(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(MapVersion, Program), AppError> {
        let what = format!("map version {id}");
        let version = self
            .store
            .map_version(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let program = self
            .program_checked(caller, &version.program_id, Action::Read)
            .await
            .map_err(|_| AppError::not_found(&what))?;
        Ok((version, program.0))
    }

    pub async fn map_versions(
        &self,
        caller: &Caller,
        program_id: &str,
    ) -> Result<Vec<views::MapVersion>, AppError> {
        let program = self.program(caller, program_id).await?;
        Ok(views::all(self.store.map_versions_of(&program.id).await?))
    }

    /// The newest published version of a program's map, if any.
    pub async fn published_map(
        &self,
        caller: &Caller,
        program_id: &str,
    ) -> Result<Option<views::MapVersion>, AppError> {
        Ok(self
            .map_versions(caller, program_id)
            .await?
            .into_iter()
            .find(|v| v.status == MapVersionStatus::Published))
    }

    async fn draft_for_change(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
    ) -> Result<(MapVersion, Program), AppError> {
        let (version, program) = self.map_version_row(caller, id).await?;
        self.program_checked(caller, &program.id, Action::Update)
            .await?;
        if version.status == MapVersionStatus::Published {
            return Err(AppError::invalid(
                "status",
                format!(
                    "version {} is published and never changes; start a new draft from it",
                    version.number
                ),
            ));
        }
        expect_version(
            &format!("map version {}", version.number),
            version.version,
            expected_version,
        )?;
        Ok((version, program))
    }

    /// Replace a draft's map (adding, editing, removing or connecting steps all end here).
    pub async fn update_map_version(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        map: ProcessMap,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::MapVersion>, AppError> {
        let (current, program) = self.draft_for_change(caller, id, expected_version).await?;
        let valid = validate(&map, &map_context(&program)?).map_err(map_errors)?;
        let map_json = serde_json::to_value(valid.as_map()).map_err(internal)?;
        if map_json == current.map {
            return Ok(Outcome::Fresh(current.into()));
        }
        let next = MapVersion {
            content_hash: content_hash(&map_json)?,
            map: map_json,
            version: current.version + 1,
            ..current.clone()
        };
        let old_map: ProcessMap = serde_json::from_value(current.map.clone()).map_err(internal)?;
        let event = MapVersionUpdated {
            id: id.to_string(),
            version: next.version,
            old: MapVersionChanges {
                map: Some(old_map),
                content_hash: Some(current.content_hash.clone()),
                ..Default::default()
            },
            new: MapVersionChanges {
                map: Some(valid.as_map().clone()),
                content_hash: Some(next.content_hash.clone()),
                ..Default::default()
            },
        };
        self.write(
            caller,
            idem,
            Write::event(program.org_id.clone(), &event, move |a| MapVersion {
                updated_at: a.recorded_at,
                ..next.clone()
            }),
        )
        .await
        .map(|o| o.map(Into::into))
    }

    /// Publish a draft: from now on it never changes.
    pub async fn publish_map_version(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::MapVersion>, AppError> {
        let (current, program) = self.draft_for_change(caller, id, expected_version).await?;
        valid_row_map(&program, &current)?;
        let now = self.now();
        let next = MapVersion {
            status: MapVersionStatus::Published,
            published_at: Some(now),
            version: current.version + 1,
            ..current.clone()
        };
        let event = MapVersionUpdated {
            id: id.to_string(),
            version: next.version,
            old: MapVersionChanges {
                status: Some(MapVersionStatus::Draft),
                published_at: Some(None),
                ..Default::default()
            },
            new: MapVersionChanges {
                status: Some(MapVersionStatus::Published),
                published_at: Some(Some(now)),
                ..Default::default()
            },
        };
        self.write(
            caller,
            idem,
            Write::event(program.org_id.clone(), &event, move |a| MapVersion {
                updated_at: a.recorded_at,
                ..next.clone()
            }),
        )
        .await
        .map(|o| o.map(Into::into))
    }
}
