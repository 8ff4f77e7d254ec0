//! Partnerships: a manufacturer and a health system, for one or more programs. The
//! manufacturer proposes (choosing from the operator's directory of health systems), the
//! health system accepts or declines, either side may end it. Each status change carries the version the
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
pub use status::{decline, set_status};

use crate::errors::WebError;
use crate::session::Ctx;

/// The names of the programs a partnership is for, as both sides read them — a proposal's too
/// (the health system sees what it is asked to accept before any program is open to it).
pub(crate) async fn program_names_of(
    ctx: &Ctx,
    p: &cellpath_app::views::Partnership,
) -> Result<Vec<String>, WebError> {
    let programs = ctx.app.partnership_programs(ctx.caller(), &p.id).await?;
    // In the partnership's order; a program no longer found keeps its id.
    Ok(p.programs
        .iter()
        .map(|id| {
            programs
                .iter()
                .find(|pr| pr.id == *id || pr.name == *id)
                .map_or_else(|| id.clone(), |pr| pr.name.clone())
        })
        .collect())
}

#[cfg(test)]
mod tests;
