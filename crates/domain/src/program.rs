//! Programs: one therapy of a manufacturer (DESIGN.md §2) — its modality, the product units it
//! ships, the identifiers its labels carry (§4.4), its dated list prices, and whether every
//! administration needs a dual verification. Its process maps are validated against these facts.

use crate::process_map::{MapContext, ProductUnit, is_valid_key};
use crate::values::{Date, LedgerInt, Name};
use serde::{Deserialize, Serialize};

vocabulary!(
    /// The four kinds of CGT; they differ only in their maps.
    Modality, "modality" {
        AutologousCell => "autologous_cell",
        AllogeneicCell => "allogeneic_cell",
        ExVivoGeneTherapy => "ex_vivo_gene_therapy",
        InVivoGeneTherapy => "in_vivo_gene_therapy",
    }
);

vocabulary!(
    /// An identifier a program's labels carry (DESIGN.md §4.4).
    IdentifierKind, "identifier kind" {
        /// The manufacturer's chain-of-identity or order id.
        ManufacturerOrderId => "manufacturer_order_id",
        LotNumber => "lot_number",
        /// ISBT 128 donation identification number, one per collection.
        Isbt128Din => "isbt128_din",
        /// ISBT 128 Chain of Identity Identifier (Data Structure 040).
        Isbt128Coi => "isbt128_coi",
    }
);

vocabulary!(
    /// Who issues an identifier: cellpath issues one only where it is configured as the issuer.
    Issuer, "issuer" {
        Manufacturer => "manufacturer",
        CollectionFacility => "collection_facility",
        Cellpath => "cellpath",
    }
);

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifierSpec {
    pub kind: IdentifierKind,
    pub issuer: Issuer,
}

/// A list price from a date on (prices are dated values, never constants in rules).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPrice {
    /// `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::day))]
    pub effective_on: String,
    /// US cents.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::cents))]
    pub cents: LedgerInt,
}

/// A program's facts as a person or a client sends them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramFacts {
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Modality))]
    pub modality: String,
    #[serde(default)]
    pub units: Vec<ProductUnit>,
    #[serde(default)]
    pub requires_dual_verification: bool,
    #[serde(default)]
    pub identifiers: Vec<IdentifierSpec>,
    #[serde(default)]
    pub list_prices: Vec<ListPrice>,
}

/// Facts that passed every check; the only way to get one is [`ProgramFacts::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedProgram {
    pub name: Name,
    pub modality: Modality,
    pub units: Vec<ProductUnit>,
    pub requires_dual_verification: bool,
    pub identifiers: Vec<IdentifierSpec>,
    /// Sorted by date.
    pub list_prices: Vec<ListPrice>,
}

impl CheckedProgram {
    pub fn context(&self) -> MapContext {
        MapContext {
            units: self.units.clone(),
            requires_dual_verification: self.requires_dual_verification,
        }
    }

    /// The list price in force on a date (`YYYY-MM-DD`), if any.
    pub fn price_on(&self, date: &str) -> Option<i64> {
        self.list_prices
            .iter()
            .rev()
            .find(|p| p.effective_on.as_str() <= date)
            .map(|p| p.cents.get())
    }
}

impl ProgramFacts {
    /// Every problem, as (field, message), so a form shows each beside its field.
    pub fn check(&self) -> Result<CheckedProgram, Vec<(String, String)>> {
        let mut errors: Vec<(String, String)> = Vec::new();
        let mut fail = |field: &str, msg: String| errors.push((field.to_string(), msg));
        let name = Name::parse(&self.name)
            .map_err(|e| fail("name", e.to_string()))
            .ok();
        let modality = self
            .modality
            .parse::<Modality>()
            .map_err(|e| fail("modality", e.to_string()))
            .ok();
        if self.units.is_empty() {
            fail("units", "a program ships at least one product unit".into());
        }
        for (i, u) in self.units.iter().enumerate() {
            if !is_valid_key(&u.key) {
                fail(
                    "units",
                    format!(
                        "unit {}: key {:?} must be 1–40 characters of a-z, 0-9 and _",
                        i + 1,
                        u.key
                    ),
                );
            }
            if self.units[..i].iter().any(|o| o.key == u.key) {
                fail("units", format!("unit key {} is used twice", u.key));
            }
            if u.name.trim().is_empty() {
                fail("units", format!("unit {} needs a name", u.key));
            }
            if u.thaw_window_minutes == 0 {
                fail(
                    "units",
                    format!(
                        "unit {}: the thaw window must be more than 0 minutes",
                        u.key
                    ),
                );
            }
            if !(-273..=25).contains(&u.storage_max_celsius) {
                fail(
                    "units",
                    format!(
                        "unit {}: storage at {} °C is not a plausible storage temperature",
                        u.key, u.storage_max_celsius
                    ),
                );
            }
        }
        for (i, id) in self.identifiers.iter().enumerate() {
            if self.identifiers[..i].iter().any(|o| o.kind == id.kind) {
                fail(
                    "identifiers",
                    format!("identifier {} is listed twice", id.kind),
                );
            }
        }
        let mut prices = self.list_prices.clone();
        for p in &prices {
            if let Err(e) = Date::parse(&p.effective_on) {
                fail("list_prices", format!("{}: {e}", p.effective_on));
            }
            if p.cents.get() <= 0 {
                fail(
                    "list_prices",
                    format!("the price from {} must be more than 0", p.effective_on),
                );
            }
        }
        prices.sort_by(|a, b| a.effective_on.cmp(&b.effective_on));
        if prices
            .windows(2)
            .any(|w| w[0].effective_on == w[1].effective_on)
        {
            fail(
                "list_prices",
                "two prices take effect on the same day".into(),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckedProgram {
            name: name.expect("checked"),
            modality: modality.expect("checked"),
            units: self.units.clone(),
            requires_dual_verification: self.requires_dual_verification,
            identifiers: self.identifiers.clone(),
            list_prices: prices,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ProgramFacts {
        ProgramFacts {
            name: "Vantacel".into(),
            modality: "autologous_cell".into(),
            units: vec![ProductUnit {
                key: "cd4".into(),
                name: "CD4 component".into(),
                storage_max_celsius: -150,
                thaw_window_minutes: 120,
            }],
            requires_dual_verification: true,
            identifiers: vec![IdentifierSpec {
                kind: IdentifierKind::ManufacturerOrderId,
                issuer: Issuer::Manufacturer,
            }],
            list_prices: vec![
                ListPrice {
                    effective_on: "2026-01-01".into(),
                    cents: LedgerInt::from(42_000_000),
                },
                ListPrice {
                    effective_on: "2024-03-01".into(),
                    cents: LedgerInt::from(41_030_000),
                },
            ],
        }
    }

    #[test]
    fn prices_are_dated_and_the_one_in_force_applies() {
        let p = facts().check().unwrap();
        assert_eq!(p.price_on("2025-06-30"), Some(41_030_000));
        assert_eq!(p.price_on("2026-01-01"), Some(42_000_000));
        assert_eq!(p.price_on("2020-01-01"), None);
    }

    #[test]
    fn bad_facts_are_named_field_by_field() {
        let mut f = facts();
        f.modality = "gene".into();
        f.units.push(f.units[0].clone());
        f.list_prices.push(ListPrice {
            effective_on: "2026-02-30".into(),
            cents: LedgerInt::from(0),
        });
        let errors = f.check().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["modality", "units", "list_prices", "list_prices"],
            "{errors:?}"
        );
        assert!(errors[0].1.contains("in_vivo_gene_therapy"));
        assert!(errors[1].1.contains("cd4 is used twice"));
    }
}
