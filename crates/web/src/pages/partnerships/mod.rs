//! Partnerships: a manufacturer and a health system, for one or more programs. The
//! manufacturer proposes (choosing from the operator's directory of health systems), the
//! health system accepts, either side may end it. Each status change carries the version the
//! person read, and each partnership has its own audit trail.
//!
//! The list of partnerships (`list`), one partnership's page (`page`) and its sections, each in
//! its own file: the status actions (`status`), the sites with the work at each (`sites`) and
//! the agreements (`agreements`).

mod agreements;
mod list;
mod page;
mod sites;
mod status;

pub use list::{create, list};
pub use page::{render_with_agreement_errors, render_with_site_errors, show};
pub use status::set_status;

use crate::errors::WebError;
use crate::session::Ctx;

/// Program names by id, of the programs the caller reads (a partnership keeps ids; older
/// rows hold names, shown as they are).
async fn program_names(ctx: &Ctx) -> Result<std::collections::HashMap<String, String>, WebError> {
    Ok(ctx
        .app
        .programs(ctx.caller(), super::list_page())
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

fn program_list(names: &std::collections::HashMap<String, String>, ids: &[String]) -> String {
    ids.iter()
        .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}
