//! `cellpath org …`: the operator creates and renames organizations and lists them.

use super::{find_org, open_app, print_json, print_table};
use cellpath_app::Caller;
use cellpath_app::records::organizations::{OrganizationInput, OrganizationPatch};
use cellpath_app::views::Page;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create a manufacturer or a health system (opens its ledger).
    Create {
        /// manufacturer or health_system
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
    },
    /// List every organization.
    List,
    /// Show one organization with its sites, facilities, users and partnerships.
    Show {
        /// Id or exact name.
        org: String,
    },
    /// Rename an organization.
    Rename {
        /// Id or exact name.
        org: String,
        #[arg(long)]
        name: String,
    },
}

pub async fn run(url: &str, json: bool, cmd: OrgCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    match cmd {
        OrgCommand::Create { kind, name } => {
            let org = app
                .create_organization(&op, OrganizationInput { kind, name }, None)
                .await?
                .fresh()?;
            if json {
                print_json(&org)?;
            } else {
                println!("created {} {} ({})", org.kind, org.name, org.id);
            }
        }
        OrgCommand::List => {
            let orgs = app.organizations(&op, Page::all()).await?;
            if json {
                print_json(&orgs)?;
            } else {
                print_table(
                    &["id", "kind", "name", "version"],
                    orgs.into_iter()
                        .map(|o| vec![o.id, o.kind.to_string(), o.name, o.version.to_string()])
                        .collect(),
                );
            }
        }
        OrgCommand::Show { org } => {
            let org = find_org(&app, &org).await?;
            let sites = app.sites(&op, &org.id, Page::all()).await?;
            let facilities = app.facilities(&op, &org.id, Page::all()).await?;
            let users = app.users(&op, &org.id, Page::all()).await?;
            let partnerships = app.partnerships(&op, &org.id, Page::all()).await?;
            if json {
                print_json(
                    &serde_json::json!({ "organization": org, "sites": sites, "facilities": facilities, "users": users, "partnerships": partnerships }),
                )?;
            } else {
                println!(
                    "{} — {} ({}, version {})\n",
                    org.name, org.kind, org.id, org.version
                );
                if !sites.is_empty() {
                    print_table(
                        &["site", "code", "city", "region", "id"],
                        sites
                            .into_iter()
                            .map(|s| vec![s.name, s.code, s.city, s.region, s.id])
                            .collect(),
                    );
                    println!();
                }
                if !facilities.is_empty() {
                    print_table(
                        &["facility", "kind", "sites", "id"],
                        facilities
                            .into_iter()
                            .map(|f| {
                                vec![
                                    f.name,
                                    f.kind.to_string(),
                                    f.site_ids.len().to_string(),
                                    f.id,
                                ]
                            })
                            .collect(),
                    );
                    println!();
                }
                print_table(
                    &["user", "role", "e-mail", "active"],
                    users
                        .into_iter()
                        .map(|u| vec![u.name, u.role.to_string(), u.email, u.active.to_string()])
                        .collect(),
                );
                println!();
                print_table(
                    &["partnership", "status", "id"],
                    partnerships
                        .into_iter()
                        .map(|p| vec![p.name, p.status.to_string(), p.id])
                        .collect(),
                );
            }
        }
        OrgCommand::Rename { org, name } => {
            let current = find_org(&app, &org).await?;
            let org = app
                .update_organization(
                    &op,
                    &current.id,
                    current.version,
                    OrganizationPatch {
                        name: Some(name),
                        ..OrganizationPatch::default()
                    },
                    None,
                )
                .await?
                .fresh()?;
            if json {
                print_json(&org)?;
            } else {
                println!(
                    "renamed {} to {} (version {})",
                    org.id, org.name, org.version
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
