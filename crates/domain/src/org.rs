//! Organizations, their kinds and the roles their users hold (DESIGN.md §2).

vocabulary!(
    /// A tenant of cellpath.
    OrgKind, "organization kind" {
        Manufacturer => "manufacturer",
        HealthSystem => "health_system",
    }
);

vocabulary!(
    /// FACT separates these three; a facility may serve several sites.
    FacilityKind, "facility kind" {
        Clinical => "clinical",
        Collection => "collection",
        Processing => "processing",
    }
);

vocabulary!(
    /// A partnership is proposed by the manufacturer and accepted by the health system.
    PartnershipStatus, "partnership status" {
        Proposed => "proposed",
        Active => "active",
        Ended => "ended",
    }
);

vocabulary!(
    /// The starting set of roles (DESIGN.md §2). Which kind of organization may hold a role is
    /// decided by [`Role::allowed_in`].
    Role, "role" {
        Admin => "admin",
        Onboarding => "onboarding",
        Contracts => "contracts",
        PatientOps => "patient_ops",
        Quality => "quality",
        Safety => "safety",
        Finance => "finance",
        Pharmacy => "pharmacy",
        CellLab => "cell_lab",
        Apheresis => "apheresis",
        Coordinator => "coordinator",
        Physician => "physician",
        Nurse => "nurse",
        DataManager => "data_manager",
    }
);

impl Role {
    /// Roles a manufacturer's users may hold.
    pub const MANUFACTURER: &'static [Role] = &[
        Role::Admin,
        Role::Onboarding,
        Role::Contracts,
        Role::PatientOps,
        Role::Quality,
        Role::Safety,
        Role::Finance,
    ];
    /// Roles a health system's users may hold.
    pub const HEALTH_SYSTEM: &'static [Role] = &[
        Role::Admin,
        Role::Contracts,
        Role::Pharmacy,
        Role::CellLab,
        Role::Apheresis,
        Role::Coordinator,
        Role::Physician,
        Role::Nurse,
        Role::Quality,
        Role::DataManager,
        Role::Finance,
    ];

    pub fn for_kind(kind: OrgKind) -> &'static [Role] {
        match kind {
            OrgKind::Manufacturer => Role::MANUFACTURER,
            OrgKind::HealthSystem => Role::HEALTH_SYSTEM,
        }
    }

    pub fn allowed_in(self, kind: OrgKind) -> bool {
        Role::for_kind(kind).contains(&self)
    }

    /// Parse a role and check it exists in this kind of organization.
    pub fn parse_for(text: &str, kind: OrgKind) -> Result<Role, crate::values::ValueError> {
        let role: Role = text.parse()?;
        if role.allowed_in(kind) {
            Ok(role)
        } else {
            Err(crate::values::ValueError::RoleNotInOrgKind {
                role: role.as_str(),
                kind: kind.as_str(),
                allowed: Role::for_kind(kind)
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_back_from_its_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
    }

    #[test]
    fn a_nurse_belongs_to_a_health_system_not_a_manufacturer() {
        assert!(Role::parse_for("nurse", OrgKind::HealthSystem).is_ok());
        let err = Role::parse_for("nurse", OrgKind::Manufacturer).unwrap_err();
        assert!(err.to_string().contains("patient_ops"), "{err}");
    }

    #[test]
    fn unknown_role_lists_the_allowed_ones() {
        let err = "surgeon".parse::<Role>().unwrap_err().to_string();
        assert!(err.contains("surgeon") && err.contains("pharmacy"), "{err}");
    }
}
