//! `cellpath user …`: the operator creates users (e.g. an organization's first admin),
//! lists them, and resets passwords.

use super::{find_org, open_app, print_json, print_table};
use cellpath_app::Caller;
use cellpath_app::records::users::{UserInput, UserPatch};
use cellpath_app::views::Page;
use clap::Subcommand;
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user in an organization. The password is read from standard input (one line)
    /// unless --password is given.
    Create {
        /// Organization id or exact name.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// One of the roles of the organization's kind (e.g. admin, pharmacy, onboarding).
        #[arg(long)]
        role: String,
        /// The initial password (at least 12 characters); prefer standard input.
        #[arg(long)]
        password: Option<String>,
    },
    /// List the users of an organization.
    List {
        #[arg(long)]
        org: String,
    },
    /// Set a new password (read from standard input unless --password is given); ends the
    /// user's sessions.
    SetPassword {
        /// The user's e-mail.
        email: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Deactivate a user: their sessions end and their tokens stop working.
    Deactivate { email: String },
}

pub(super) fn password_from(arg: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = arg {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub async fn run(url: &str, json: bool, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    match cmd {
        UserCommand::Create {
            org,
            email,
            name,
            role,
            password,
        } => {
            let org = find_org(&app, &org).await?;
            let password = password_from(password)?;
            let user = app
                .create_user(
                    &op,
                    &org.id,
                    UserInput {
                        email,
                        name,
                        role,
                        password,
                    },
                    None,
                )
                .await?
                .fresh()?;
            if json {
                print_json(&user)?;
            } else {
                println!(
                    "created {} <{}> as {} of {} ({})",
                    user.name, user.email, user.role, org.name, user.id
                );
            }
        }
        UserCommand::List { org } => {
            let org = find_org(&app, &org).await?;
            let users = app.users(&op, &org.id, Page::all()).await?;
            if json {
                print_json(&users)?;
            } else {
                print_table(
                    &["name", "e-mail", "role", "active", "id"],
                    users
                        .into_iter()
                        .map(|u| {
                            vec![
                                u.name,
                                u.email,
                                u.role.to_string(),
                                u.active.to_string(),
                                u.id,
                            ]
                        })
                        .collect(),
                );
            }
        }
        UserCommand::SetPassword { email, password } => {
            let user = app.user_by_email(&op, &email.to_ascii_lowercase()).await?;
            let password = password_from(password)?;
            app.change_password(&op, &user.id, None, &password).await?;
            println!(
                "password of {} changed; their sessions have ended",
                user.email
            );
        }
        UserCommand::Deactivate { email } => {
            let user = app.user_by_email(&op, &email.to_ascii_lowercase()).await?;
            app.update_user(
                &op,
                &user.id,
                user.version,
                UserPatch {
                    active: Some(false),
                    ..Default::default()
                },
                None,
            )
            .await?
            .fresh()?;
            println!("{} deactivated", user.email);
        }
    }
    Ok(ExitCode::SUCCESS)
}
