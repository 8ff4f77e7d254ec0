//! Each manufacturer's program: its facts, requirements and process map published as version 1.

use super::organizations::MANUFACTURERS;
use crate::access::Via;
use crate::{App, AppError};
use cellpath_domain::LedgerInt;
use cellpath_domain::process_map::{MapContext, ProcessMap, seeds};
use cellpath_domain::program::{IdentifierKind, IdentifierSpec, Issuer, ListPrice, ProgramFacts};
use cellpath_domain::readiness::{Requirement, car_t_requirements};

/// (manufacturer index, name, modality, map, identifiers, dated prices in cents)
type ProgramSeed = (
    usize,
    &'static str,
    &'static str,
    fn() -> (ProcessMap, MapContext),
    &'static [IdentifierSpec],
    &'static [(&'static str, i64)],
);

pub(super) async fn programs_and_maps(app: &App, mfr_ids: &[String]) -> Result<(), AppError> {
    // Each manufacturer's program, with its process map published as version 1.
    let programs: [ProgramSeed; 2] = [
        (
            0,
            "Vantacel",
            "autologous_cell",
            seeds::autologous_car_t,
            &[
                IdentifierSpec {
                    kind: IdentifierKind::ManufacturerOrderId,
                    issuer: Issuer::Manufacturer,
                },
                IdentifierSpec {
                    kind: IdentifierKind::LotNumber,
                    issuer: Issuer::Manufacturer,
                },
                IdentifierSpec {
                    kind: IdentifierKind::Isbt128Din,
                    issuer: Issuer::CollectionFacility,
                },
                // The chain of identity identifier linking the therapy's collections, made by
                // the manufacturer with the Standards Coordinating Body (DOMAIN.md).
                IdentifierSpec {
                    kind: IdentifierKind::Isbt128Coi,
                    issuer: Issuer::Manufacturer,
                },
            ],
            &[("2025-01-01", 41_030_000), ("2026-01-01", 42_500_000)],
        ),
        (
            1,
            "Corvigen",
            "in_vivo_gene_therapy",
            seeds::in_vivo_gene_therapy,
            &[
                IdentifierSpec {
                    kind: IdentifierKind::ManufacturerOrderId,
                    issuer: Issuer::Manufacturer,
                },
                IdentifierSpec {
                    kind: IdentifierKind::LotNumber,
                    issuer: Issuer::Manufacturer,
                },
            ],
            &[("2025-07-01", 295_000_000)],
        ),
    ];
    for (m, name, modality, seed, identifiers, prices) in programs {
        let quality = app
            .store
            .user_by_email(&format!("quality@{}", MANUFACTURERS[m].1))
            .await?
            .ok_or_else(|| AppError::Internal("demo user".into()))?;
        let author = app.caller_for_user(&quality.id, Via::System).await?;
        let (map, ctx) = seed();
        let facts = ProgramFacts {
            name: name.into(),
            modality: modality.into(),
            units: ctx.units.clone(),
            requires_dual_verification: ctx.requires_dual_verification,
            identifiers: identifiers.to_vec(),
            list_prices: prices
                .iter()
                .map(|(d, c)| ListPrice {
                    effective_on: (*d).into(),
                    cents: LedgerInt::new(*c).expect("a demo price is a ledger integer"),
                })
                .collect(),
        };
        let program = app
            .create_program(&author, &mfr_ids[m], facts, None)
            .await?
            .fresh()?;
        let requirements = if m == 0 {
            car_t_requirements()
        } else {
            gene_therapy_requirements()
        };
        let program = app
            .set_requirements(&author, &program.id, program.version, requirements, None)
            .await?
            .fresh()?;
        let v1 = app
            .create_map_version(&author, &program.id, map, None)
            .await?
            .fresh()?;
        app.publish_map_version(&author, &v1.id, v1.version, None)
            .await?
            .fresh()?;
    }
    Ok(())
}

fn gene_therapy_requirements() -> Vec<Requirement> {
    car_t_requirements()
        .into_iter()
        .filter(|r| {
            matches!(
                r.key.as_str(),
                "receiving" | "transport_time" | "dual_signature"
            )
        })
        .collect()
}
