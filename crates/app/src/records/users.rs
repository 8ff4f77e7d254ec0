//! Users: people of an organization, each with one role of that organization's kind.
//! Their password hashes are operational rows; the record holds who they are and their role.

use super::expect_version;
use crate::access::Via;
use crate::views::{Page, User};
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::events::Diff;
use cellpath_domain::events::directory::{PasswordChanged, UserChanges, UserCreated, UserFields};
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_domain::{Email, Name, Password, Role};
use cellpath_store::Operational;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    #[schema(schema_with = crate::views::schema::email)]
    pub email: String,
    #[schema(schema_with = crate::views::schema::name)]
    pub name: String,
    #[schema(schema_with = crate::views::schema::role)]
    pub role: String,
    #[schema(schema_with = crate::views::schema::password)]
    pub password: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(schema_with = crate::views::schema::name)]
    pub name: Option<String>,
    #[schema(schema_with = crate::views::schema::role)]
    pub role: Option<String>,
    pub active: Option<bool>,
}

impl App {
    pub async fn create_user(
        &self,
        caller: &Caller,
        org_id: &str,
        input: UserInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<User>, AppError> {
        let org = self.organization(caller, org_id).await?;
        let rel = self.org_relation(caller, org_id).await?;
        self.check(
            caller,
            Action::Create,
            ResourceKind::User,
            rel,
            &format!("users of {}", org.name),
        )?;
        let kind = org.kind;
        let mut f = Fields::default();
        let email = f.check("email", Email::parse(&input.email));
        let name = f.check("name", Name::parse(&input.name));
        let role = f.check("role", Role::parse_for(&input.role, kind));
        let password = f.check("password", Password::parse(&input.password));
        f.finish()?;
        let email = email.expect("checked");
        if self.store.user_by_email(email.as_str()).await?.is_some() {
            return Err(AppError::Duplicate {
                field: "email".into(),
                message: "a user with this e-mail address already exists".into(),
            });
        }
        let password_hash = crate::auth::hash_password(password.expect("checked")).await?;
        let role = role.expect("checked");
        let user = User {
            id: crate::ids::new_id("usr"),
            org_id: org.id.clone(),
            email: email.into_string(),
            name: name.expect("checked").into_string(),
            role,
            active: true,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        let event = UserCreated {
            id: user.id.clone(),
            new: UserFields {
                org_id: user.org_id.clone(),
                email: user.email.clone(),
                name: user.name.clone(),
                role,
                active: true,
            },
        };
        let set_password = Operational::SetPassword {
            user_id: user.id.clone(),
            password_hash,
        };
        self.write(
            caller,
            idem,
            Write::event(org.id.clone(), &event, move |a| User {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..user.clone()
            })
            .with_operational(set_password)
            .created(),
        )
        .await
    }

    pub async fn user(&self, caller: &Caller, id: &str) -> Result<User, AppError> {
        let found = self.store.user(id).await?;
        self.readable_user(caller, found, format!("user {id}"))
            .await
    }

    /// The user with this e-mail address (lower case), as `user` reads it.
    pub async fn user_by_email(&self, caller: &Caller, email: &str) -> Result<User, AppError> {
        let found = self.store.user_by_email(email).await?;
        self.readable_user(caller, found, format!("user with e-mail {email}"))
            .await
    }

    /// The user found, if the caller may read it (else 404 or 403 naming `what`).
    async fn readable_user(
        &self,
        caller: &Caller,
        found: Option<cellpath_store::User>,
        what: String,
    ) -> Result<User, AppError> {
        let user = found
            .map(User::from)
            .ok_or_else(|| AppError::not_found(&what))?;
        let rel = self.user_relation(caller, &user).await?;
        self.check(caller, Action::Read, ResourceKind::User, rel, &what)?;
        Ok(user)
    }

    pub async fn users(
        &self,
        caller: &Caller,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<User>, AppError> {
        let rel = self.org_relation(caller, org_id).await?;
        self.check(
            caller,
            Action::Read,
            ResourceKind::User,
            rel,
            &format!("organization {org_id}"),
        )?;
        Ok(crate::views::all(match caller.org_id() {
            Some(viewer) => self.store.users_of_seen_by(org_id, viewer, page).await?,
            None => self.store.users_of(org_id, page).await?,
        }))
    }

    pub async fn update_user(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        patch: UserPatch,
        idem: Option<Idem>,
    ) -> Result<Outcome<User>, AppError> {
        let current = self.user(caller, id).await?;
        let what = format!("user {}", current.name);
        let rel = self.user_relation(caller, &current).await?;
        self.check(caller, Action::Update, ResourceKind::User, rel, &what)?;
        // A person may rename themselves; only an admin changes roles or deactivates.
        if rel == Relation::SelfOwned && (patch.role.is_some() || patch.active.is_some()) {
            let own_org = self.org_relation(caller, &current.org_id).await?;
            self.check(
                caller,
                Action::Update,
                ResourceKind::User,
                own_org,
                "roles and access of users",
            )?;
        }
        let org = self
            .store
            .organization(&current.org_id)
            .await?
            .ok_or_else(|| AppError::not_found("organization"))?;
        let kind = org.kind;
        let mut f = Fields::default();
        let name = patch
            .name
            .as_deref()
            .and_then(|v| f.check("name", Name::parse(v)));
        let role = patch
            .role
            .as_deref()
            .and_then(|v| f.check("role", Role::parse_for(v, kind)));
        f.finish()?;
        expect_version(&what, current.version, expected_version)?;
        // An organization always keeps an active admin, whoever asks (themselves, another
        // admin, the operator): otherwise nobody could manage its users any more.
        let demoted = role.is_some_and(|r| r != Role::Admin);
        let deactivating = patch.active == Some(false);
        let stepping_down =
            current.active && current.role == Role::Admin && (demoted || deactivating);
        let last_admin = (
            if demoted { "role" } else { "active" },
            format!(
                "{} is the last active admin of {}: make another user admin first",
                current.name, org.name
            ),
        );
        // Said at once when it is plain; checked again inside the write (below) against a
        // colleague stepping down at the same moment.
        if stepping_down && self.store.active_admins_of(&current.org_id).await? <= 1 {
            return Err(AppError::invalid(last_admin.0, last_admin.1));
        }
        if rel == Relation::SelfOwned && deactivating {
            return Err(AppError::invalid(
                "active",
                "you cannot deactivate yourself; ask another admin",
            ));
        }
        let current_role = current.role;
        let mut diff = Diff::<UserChanges>::default();
        diff.field(
            |c| &mut c.name,
            current.name.clone(),
            name.map(Name::into_string),
        );
        diff.field(|c| &mut c.role, current_role, role);
        diff.field(|c| &mut c.active, current.active, patch.active);
        if diff.is_empty() {
            return Ok(Outcome::Fresh(current));
        }
        let new = diff.new.clone();
        let next = User {
            name: new.name.unwrap_or(current.name.clone()),
            role: new.role.unwrap_or(current_role),
            active: new.active.unwrap_or(current.active),
            version: current.version + 1,
            ..current.clone()
        };
        let deactivated = current.active && !next.active;
        let event = diff.updated(id, next.version);
        let mut write = Write::event(current.org_id.clone(), &event, move |a| User {
            updated_at: a.recorded_at,
            ..next.clone()
        });
        if stepping_down {
            write = write.with_operational(Operational::KeepsAnActiveAdmin {
                org_id: current.org_id.clone(),
                field: last_admin.0.into(),
                message: last_admin.1,
            });
        }
        let out = self.write(caller, idem, write).await?;
        if deactivated {
            self.store.delete_sessions_of(id).await?;
        }
        Ok(out)
    }

    /// Change a password: a person gives their current one; an admin resets a colleague's.
    /// Every session of that user ends.
    pub async fn change_password(
        &self,
        caller: &Caller,
        id: &str,
        current_password: Option<&str>,
        new_password: &str,
    ) -> Result<(), AppError> {
        let user = self.user(caller, id).await?;
        let rel = self.user_relation(caller, &user).await?;
        self.check(
            caller,
            Action::Update,
            ResourceKind::User,
            rel,
            &format!("user {}", user.name),
        )?;
        let mut f = Fields::default();
        let new = f.check("new_password", Password::parse(new_password));
        if rel == Relation::SelfOwned && caller.via != Via::System {
            match current_password {
                Some(p) if self.password_matches(&user.id, p).await? => {}
                _ => f.fail("current_password", "does not match your current password"),
            }
        }
        f.finish()?;
        let password_hash = crate::auth::hash_password(new.expect("checked")).await?;
        let event = PasswordChanged {
            id: user.id.clone(),
        };
        self.write(
            caller,
            None,
            Write::event(user.org_id.clone(), &event, |_| ())
                .with_operational(Operational::SetPassword {
                    user_id: user.id.clone(),
                    password_hash,
                })
                .status(204),
        )
        .await?
        .fresh()?;
        self.store.delete_sessions_of(&user.id).await?;
        Ok(())
    }
}
