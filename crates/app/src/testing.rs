//! Test support, compiled only with the `testing` feature (a dev-dependency feature of the
//! crates whose tests use it, never of a build that ships): fresh databases, and the app's
//! store for tests that look at or tamper with rows behind the app's back.

pub use cellpath_store::testing::TestDb;
pub use cellpath_store::{Append, Store};

use crate::App;

impl App {
    /// The store under the app, for tests only: reading rows the app has no query for, or
    /// writing behind its back to show that a check sees it.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// The demo's case stored in the cell lab (VAN-LUH-MAIN-0007: released, lot
/// `LOT-HX-24017`) taken on through its first infusion (CD4), each step by the role it
/// belongs to: bridging therapy left out, lymphodepletion attested from the EHR, the order and
/// the pharmacist's verification signed, CD4 thawed, verified at the bedside by two nurses
/// (a second nurse is added to Lakeshore for it), and infused whole.
pub async fn infuse_stored_demo_case(app: &App, case_id: &str) -> Result<(), crate::AppError> {
    use crate::cases::{CaseInput, ScanInput};
    use crate::records::users::UserInput;
    use cellpath_domain::events::cases::EhrAttestation;
    use cellpath_domain::journey::Disposition;
    use cellpath_domain::process_map::SignatureMeaning;
    use cellpath_domain::program::IdentifierKind;
    let as_user = |email: &'static str| async move {
        let u = app
            .store
            .user_by_email(email)
            .await?
            .ok_or_else(|| crate::AppError::Internal(format!("demo user {email}")))?;
        app.caller_for_user(&u.id, crate::access::Via::Session)
            .await
    };
    const SECOND_NURSE: &str = "nurse.two@lakeshore.example";
    if app.store.user_by_email(SECOND_NURSE).await?.is_none() {
        let admin = as_user("admin@lakeshore.example").await?;
        let org = admin
            .principal
            .as_ref()
            .map(|p| p.org_id.clone())
            .unwrap_or_default();
        app.create_user(
            &admin,
            &org,
            UserInput {
                email: SECOND_NURSE.into(),
                name: "Noor Haddad".into(),
                role: "nurse".into(),
                password: crate::demo::DEMO_PASSWORD.into(),
            },
            None,
        )
        .await?;
    }
    let ehr = |step: &str| {
        Some(EhrAttestation {
            reference: format!("EPIC-{}", step.to_uppercase()),
            charted_at: app.now(),
        })
    };
    let scan = || ScanInput {
        expected: IdentifierKind::LotNumber,
        text: "LOT-HX-24017".into(),
    };
    let sign = |step: &str, meaning| CaseInput::Sign {
        step: step.into(),
        meaning,
        fields: Default::default(),
        attestation: None,
    };
    let verify = || CaseInput::Verify {
        step: "dual_verification_cd4".into(),
        scan: Some(scan()),
        fields: Default::default(),
        attestation: None,
    };
    let steps: Vec<(&'static str, CaseInput)> = vec![
        (
            "physician@lakeshore.example",
            CaseInput::Skip {
                step: "bridging_therapy".into(),
                reason: "disease stable: no bridging needed".into(),
            },
        ),
        (
            "physician@lakeshore.example",
            CaseInput::PassHold {
                step: "lymphodepletion".into(),
                fields: Default::default(),
                attestation: ehr("lymphodepletion"),
            },
        ),
        (
            "physician@lakeshore.example",
            sign("physician_order", SignatureMeaning::Approved),
        ),
        (
            "pharmacy@lakeshore.example",
            sign("pharmacist_verification", SignatureMeaning::Verified),
        ),
        (
            "cell.lab@lakeshore.example",
            CaseInput::Thaw {
                step: "thaw_cd4".into(),
                fields: Default::default(),
                attestation: None,
            },
        ),
        ("nurse@lakeshore.example", verify()),
        (SECOND_NURSE, verify()),
        (
            "nurse@lakeshore.example",
            CaseInput::Administer {
                step: "administer_cd4".into(),
                fields: Default::default(),
                attestation: ehr("administer_cd4"),
                disposition: Disposition::InfusedWhole,
                late_reason: None,
            },
        ),
    ];
    for (email, input) in steps {
        if email == "cell.lab@lakeshore.example" {
            tick_local_checklists(app, case_id).await?;
        }
        let by = as_user(email).await?;
        app.act_on_case(&by, case_id, input, crate::demo::DEMO_PASSWORD, None, None)
            .await?;
    }
    Ok(())
}

/// The site's own checklist steps open now (e.g. LUH-MAIN's ICU bed held before the thaw),
/// ticked in full by their local owners.
async fn tick_local_checklists(app: &App, case_id: &str) -> Result<(), crate::AppError> {
    use crate::cases::CaseInput;
    use cellpath_domain::process_map::StepKind;
    let system = crate::Caller::system("test: local checklists");
    let view = app.case(&system, case_id).await?;
    let map = view
        .map
        .as_ref()
        .ok_or_else(|| crate::AppError::Internal("a case view has its map".into()))?;
    for open in &view.available {
        let Some(step) = map
            .step(&open.step)
            .filter(|s| s.kind == StepKind::Checklist)
        else {
            continue;
        };
        let role = view
            .steps
            .iter()
            .find(|s| s.key == step.key)
            .map(|s| s.role)
            .unwrap_or(step.role);
        let email = format!("{}@lakeshore.example", role.as_str().replace('_', "."));
        let u = app
            .store
            .user_by_email(&email)
            .await?
            .ok_or_else(|| crate::AppError::Internal(format!("demo user {email}")))?;
        let by = app
            .caller_for_user(&u.id, crate::access::Via::Session)
            .await?;
        let input = CaseInput::Checklist {
            step: step.key.clone(),
            fields: step
                .params
                .fields
                .iter()
                .map(|f| (f.clone(), "as recorded".to_string()))
                .collect(),
            attestation: None,
            ticked: step.params.items.clone(),
        };
        app.act_on_case(&by, case_id, input, "", None, None).await?;
    }
    Ok(())
}

/// The demo's registry step (`demo::registry`), for tests.
pub async fn demo_registry_forms(app: &App, case_id: &str) -> Result<(), crate::AppError> {
    crate::demo::registry::registry_forms(app, case_id).await
}
