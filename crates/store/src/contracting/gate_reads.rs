//! What the gate and the onboarding pipeline read of several partnerships at once: each query
//! takes a list of partnership ids (`WHERE partnership_id IN (…)`), so a page of partnerships
//! costs a fixed number of queries however many partnerships it holds. Rows come back in one
//! list, each beside the partnership it belongs to where the row does not say it itself.

use crate::read::opened_by;
use crate::{
    Agreement, DeliverableRecord, SiteAuthorization, SiteMapSignature, Store, StoreError,
    TrackTemplateRow,
};
use crate::{Facility, Gap, Organization, Program, Site};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, FromRow, Row};

/// `$from, $from+1, …` for `n` values (only placeholders go into a query's text).
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Rows of `sql`, whose `{in}` is replaced by one placeholder per id; none without ids.
    pub(crate) async fn rows_in<T>(&self, sql: &str, ids: &[String]) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = sql.replace("{in}", &placeholders(1, ids.len()));
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id.as_str());
        }
        Ok(q.fetch_all(&self.reader).await?)
    }

    /// Rows of a health system's `table` that each of the partnerships opens (as
    /// [`Store::sites_of_partnership`]), each with the partnership's id, by name.
    async fn opened_by_partnerships<T>(
        &self,
        table: &'static str,
        partnership_ids: &[String],
    ) -> Result<Vec<(String, T)>, StoreError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let rows: Vec<Opened<T>> = self
            .rows_in(
                &format!(
                    "SELECT r.*, p.id AS opened_by_partnership FROM {table} r JOIN partnerships p ON p.health_system_id = r.org_id WHERE p.id IN ({{in}}) AND {} ORDER BY r.name, r.id",
                    opened_by("p", "r")
                ),
                partnership_ids,
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|o| (o.partnership_id, o.row))
            .collect())
    }

    /// The sites each partnership opens, by name: (partnership id, site).
    pub async fn sites_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<(String, Site)>, StoreError> {
        self.opened_by_partnerships("sites", partnership_ids).await
    }

    /// The facilities each partnership opens: (partnership id, facility).
    pub async fn facilities_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<(String, Facility)>, StoreError> {
        self.opened_by_partnerships("facilities", partnership_ids)
            .await
    }

    /// The agreements of the partnerships, oldest first.
    pub async fn agreements_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<Agreement>, StoreError> {
        self.rows_in(
            "SELECT * FROM agreements WHERE partnership_id IN ({in}) ORDER BY created_at, id",
            partnership_ids,
        )
        .await
    }

    /// Every deliverable recorded in the partnerships, for every site and program.
    pub async fn deliverable_records_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<DeliverableRecord>, StoreError> {
        self.rows_in(
            "SELECT * FROM deliverable_records WHERE partnership_id IN ({in}) ORDER BY site_id, program_id, deliverable",
            partnership_ids,
        )
        .await
    }

    /// Every consent version of the partnerships, for every site and program (the gate reads
    /// the active one and the days versions were made active).
    pub async fn consent_versions_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<crate::ConsentVersion>, StoreError> {
        self.rows_in(
            "SELECT * FROM consent_versions WHERE partnership_id IN ({in}) ORDER BY site_id, program_id, number",
            partnership_ids,
        )
        .await
    }

    /// The open gaps of the partnerships at every site.
    pub async fn open_gaps_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<Gap>, StoreError> {
        self.rows_in(
            "SELECT * FROM gaps WHERE partnership_id IN ({in}) AND status = 'open' ORDER BY site_id, id",
            partnership_ids,
        )
        .await
    }

    /// The verdicts recorded in the partnerships, per site and program.
    pub async fn site_authorizations_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<SiteAuthorization>, StoreError> {
        self.rows_in(
            "SELECT * FROM site_authorizations WHERE partnership_id IN ({in}) ORDER BY site_id, program_id",
            partnership_ids,
        )
        .await
    }

    /// Every signature on a site map version of the partnerships (projected with its event),
    /// with the version's site, program and number beside it, oldest first — the gate reads
    /// which versions both sides signed from these alone, without the versions' content.
    pub async fn site_map_signatures_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<SiteMapSignature>, StoreError> {
        self.rows_in(
            "SELECT s.partnership_id, s.site_map_version_id, s.content_hash, COALESCE(u.org_id, '') AS signer_org_id, s.signed_at, COALESCE(v.site_id, '') AS site_id, COALESCE(v.program_id, '') AS program_id, v.number FROM site_map_signatures s LEFT JOIN users u ON u.id = s.signer_user_id LEFT JOIN site_map_versions v ON v.id = s.site_map_version_id WHERE s.partnership_id IN ({in}) ORDER BY s.signed_at, s.event_hash",
            partnership_ids,
        )
        .await
    }

    /// The signatures on the site map versions of one site and program of a partnership, as
    /// [`Store::site_map_signatures_of_partnerships`] (opening a case judges one site's gate).
    pub async fn site_map_signatures_of_site(
        &self,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
    ) -> Result<Vec<SiteMapSignature>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.partnership_id, s.site_map_version_id, s.content_hash, COALESCE(u.org_id, '') AS signer_org_id, s.signed_at, v.site_id, v.program_id, v.number FROM site_map_versions v JOIN site_map_signatures s ON s.site_map_version_id = v.id LEFT JOIN users u ON u.id = s.signer_user_id WHERE v.site_id = $2 AND v.program_id = $3 AND s.partnership_id = $1 ORDER BY s.signed_at, s.event_hash",
        )
        .bind(partnership_id)
        .bind(site_id)
        .bind(program_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The verdict recorded for one site and program of a partnership, if any.
    pub async fn site_authorization_of_site(
        &self,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
    ) -> Result<Vec<SiteAuthorization>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM site_authorizations WHERE partnership_id = $1 AND site_id = $2 AND program_id = $3",
        )
        .bind(partnership_id)
        .bind(site_id)
        .bind(program_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The open gaps of a partnership that may hold one site back for a program: the site's
    /// own, and those on the facilities serving it (whichever site's visit found them).
    pub async fn open_gaps_holding_site(
        &self,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
    ) -> Result<Vec<Gap>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM gaps WHERE partnership_id = $1 AND program_id = $3 AND status = 'open' AND (site_id = $2 OR facility_id IN (SELECT facility_id FROM site_facilities WHERE site_id = $2)) ORDER BY site_id, id",
        )
        .bind(partnership_id)
        .bind(site_id)
        .bind(program_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The programs of the organizations (the manufacturers of a list of partnerships), by
    /// name.
    pub async fn programs_of_orgs(&self, org_ids: &[String]) -> Result<Vec<Program>, StoreError> {
        self.rows_in(
            "SELECT * FROM programs WHERE org_id IN ({in}) ORDER BY name, id",
            org_ids,
        )
        .await
    }

    /// The programs' own track templates (a program without one has none here).
    pub async fn track_templates_of(
        &self,
        program_ids: &[String],
    ) -> Result<Vec<TrackTemplateRow>, StoreError> {
        self.rows_in(
            "SELECT * FROM track_templates WHERE program_id IN ({in}) ORDER BY program_id",
            program_ids,
        )
        .await
    }

    /// The organizations of a list of ids.
    pub async fn organizations_in(&self, ids: &[String]) -> Result<Vec<Organization>, StoreError> {
        self.rows_in(
            "SELECT * FROM organizations WHERE id IN ({in}) ORDER BY id",
            ids,
        )
        .await
    }
}

/// A row of a health system's table with the partnership that opens it.
struct Opened<T> {
    partnership_id: String,
    row: T,
}

impl<T: for<'r> FromRow<'r, AnyRow>> FromRow<'_, AnyRow> for Opened<T> {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Opened {
            partnership_id: r.try_get("opened_by_partnership")?,
            row: T::from_row(r)?,
        })
    }
}
