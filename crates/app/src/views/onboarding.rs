//! Onboarding as the app answers it: a partnership's live plan (each site's predicted
//! authorization, dual-track and sequential) and the pipeline of an organization's sites. Built
//! in `onboarding`; serialized for the API and read by the web pages.

use super::schema;
use crate::contracting::GateItem;
use crate::plans::PlanReport;
use cellpath_domain::PartnershipStatus;
use cellpath_domain::contracting::AgreementKind;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A template item already done at a site (or for the health system), at its real date.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoneItem {
    /// The planner's instance name: `msa` (central track) or `LUH-MAIN:quality`.
    pub instance: String,
    pub key: String,
    /// The site's code (the plan's site name); `None` for the central track.
    pub site: Option<String>,
    #[schema(schema_with = schema::date)]
    pub on: String,
}

/// When a site is predicted to be authorized, as dates (never before today).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Prediction {
    /// On most-likely durations.
    #[schema(schema_with = schema::date)]
    pub planned: String,
    #[schema(schema_with = schema::date)]
    pub p50: String,
    #[schema(schema_with = schema::date)]
    pub p90: String,
}

/// An executed agreement a site counts on that lapses before the site is expected to be
/// authorized, or while the plan still runs (before the last site's P90).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lapse {
    pub agreement_id: String,
    /// `quality_agreement`, …
    #[schema(schema_with = schema::vocabulary::<AgreementKind>)]
    pub kind: String,
    /// `YYYY-MM-DD`: the first day it no longer binds.
    #[schema(schema_with = schema::date)]
    pub expires_on: String,
    /// The sentence a person reads.
    pub text: String,
}

/// A [`Lapse`] with the program and site it holds back.
#[derive(Debug, Clone, Serialize)]
pub struct LapseAt {
    pub program_id: String,
    pub program_name: String,
    pub site_id: String,
    pub site_code: String,
    #[serde(flatten)]
    pub lapse: Lapse,
}

/// An open blocking gap past its due date (the gate lists open blocking gaps as a count; the
/// overdue ones are named).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverdueGap {
    pub gap_id: String,
    #[schema(schema_with = schema::date)]
    pub due_on: String,
    pub days_overdue: i64,
    /// "Overdue by 12 days (due 2026-11-24): …the requirement…"
    pub text: String,
}

/// Where one site stands for one program.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteOutlook {
    pub site_id: String,
    pub site_code: String,
    pub site_name: String,
    /// `authorized`, `suspended` (was authorized, the gate no longer holds) or `onboarding`.
    #[schema(schema_with = site_status)]
    pub status: &'static str,
    /// The day recorded for the status (authorized or suspended since), if recorded.
    #[schema(schema_with = schema::maybe_date)]
    pub since: Option<String>,
    /// The later of the partnership's start and the site's creation — or, when the site's own
    /// work (a site-scope item) was done before (e.g. entered after the fact), that earlier day.
    #[schema(schema_with = schema::date)]
    pub started_on: String,
    /// The day the site's gate first held: its last item's real date when every item is done
    /// (never after the first authorization was recorded), else the day it was recorded.
    #[schema(schema_with = schema::maybe_date)]
    pub authorized_on: Option<String>,
    /// From `started_on` to `authorized_on` (a suspension later does not add to it), or to
    /// today while it never was authorized.
    pub days_in_onboarding: i64,
    /// Template items the gate does not list as missing for this site (central ones
    /// included), of `items`: done + the gate's missing agreements and deliverables = items.
    pub done: usize,
    pub items: usize,
    /// `None` once authorized.
    pub prediction: Option<Prediction>,
    /// The gate's missing items, in words.
    pub blockers: Vec<GateItem>,
    /// Open blocking gaps past their due date, most overdue first.
    pub overdue: Vec<OverdueGap>,
    /// Executed agreements it counts on that lapse too soon.
    pub lapsing: Vec<Lapse>,
}

/// One strategy's answer for the partnership as a whole.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyOutlook {
    #[schema(schema_with = strategy)]
    pub strategy: &'static str,
    /// When the last site is authorized.
    pub last_site: Prediction,
    pub critical_path: Vec<String>,
}

/// The live plan of one partnership and program.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LivePlan {
    pub partnership_id: String,
    pub partnership_name: String,
    pub program_id: String,
    pub program_name: String,
    /// Day 0 of the plan: the partnership's start, or an earlier day something was done.
    #[schema(schema_with = schema::date)]
    pub start: String,
    #[schema(schema_with = schema::date)]
    pub today: String,
    /// Today counted from day 0 (open items start no earlier).
    pub today_day: i64,
    pub iterations: u32,
    pub seed: u64,
    /// Each track item's key (the planner's entry id) and its few words for people.
    pub labels: BTreeMap<String, String>,
    pub done: Vec<DoneItem>,
    /// Every active site of the health system, each with its dual-track prediction.
    pub sites: Vec<SiteOutlook>,
    pub dual_track: StrategyOutlook,
    /// The baseline: each site negotiating everything itself, from the same facts.
    pub sequential: StrategyOutlook,
    /// Days dual-track saves over sequential until the last site (planned, P50, P90).
    #[schema(schema_with = days_saved)]
    pub days_saved: [i64; 3],
    /// The planner's reports, for charts.
    #[serde(skip)]
    #[schema(ignore)]
    pub report: PlanReport,
}

/// A row of the pipeline: a site × program of one partnership.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineRow {
    pub partnership_id: String,
    pub partnership_name: String,
    pub partnership_status: PartnershipStatus,
    /// The other side's name.
    pub partner: String,
    pub program_id: String,
    pub program_name: String,
    #[serde(flatten)]
    pub site: SiteOutlook,
}

/// A page of the pipeline: the rows of the page's partnerships, and where the pages stand.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OnboardingPipeline)]
pub struct Pipeline {
    pub org_id: String,
    #[schema(schema_with = schema::date)]
    pub today: String,
    /// Every active partnership (started by `today`) of the organization: what is paged.
    pub partnerships: usize,
    /// Partnerships on a page, and how many come before this one.
    pub limit: i64,
    pub offset: i64,
    /// Where the next page starts, while there is one.
    pub next_offset: Option<i64>,
    /// Every site × program of every partnership (not only this page's) by status.
    pub counts: PipelineCounts,
    pub rows: Vec<PipelineRow>,
}

/// How many site × program rows of the whole pipeline are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineCounts {
    pub authorized: usize,
    pub onboarding: usize,
    pub suspended: usize,
}

/// A site's status in onboarding (`SiteOutlook::status`).
pub const SITE_STATUSES: [&str; 3] = ["authorized", "suspended", "onboarding"];
/// The strategies a live plan compares (`StrategyOutlook::strategy`).
pub const STRATEGIES: [&str; 2] = ["dual_track", "sequential"];

fn words(words: &[&'static str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .enum_values(Some(words.to_vec()))
        .into()
}

fn site_status() -> RefOr<Schema> {
    words(&SITE_STATUSES)
}

fn strategy() -> RefOr<Schema> {
    words(&STRATEGIES)
}

fn days_saved() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::Integer))
        .min_items(Some(3))
        .max_items(Some(3))
        .description(Some("planned, P50, P90"))
        .into()
}

/// A site's outlook with its partnership and program beside it, as one flat object (serde
/// flattens the outlook; `allOf` of two closed objects would refuse every real row).
impl PartialSchema for PipelineRow {
    fn schema() -> RefOr<Schema> {
        let RefOr::T(Schema::Object(mut row)) = SiteOutlook::schema() else {
            unreachable!("a struct's derived schema is an object")
        };
        let text = || RefOr::from(ObjectBuilder::new().schema_type(Type::String));
        let more = [
            ("partnership_id", text()),
            ("partnership_name", text()),
            (
                "partnership_status",
                schema::vocabulary::<PartnershipStatus>(),
            ),
            ("partner", text()),
            ("program_id", text()),
            ("program_name", text()),
        ];
        for (field, schema) in more {
            row.properties.insert(field.to_string(), schema);
            row.required.push(field.to_string());
        }
        row.into()
    }
}

impl ToSchema for PipelineRow {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        SiteOutlook::schemas(schemas);
    }
}
