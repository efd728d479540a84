//! Accounts, grants, tokens and webhooks.

use super::*;

#[derive(Subcommand)]
pub(super) enum WebhookCommand {
    /// Subscribe URL (http://) to the warnings USER may see; the secret (at least 16
    /// characters) comes from BUDGETWATCH_WEBHOOK_SECRET or the first line of standard input.
    Add {
        url: String,
        #[arg(long)]
        user: String,
    },
    /// End webhook ID.
    Remove { id: i64 },
    /// The active webhooks.
    List,
}

#[derive(Subcommand)]
pub(super) enum UserCommand {
    /// Add user NAME (a-z, 0-9, '.', '_', '-') who logs in with a password (at least 10
    /// characters).
    Add {
        name: String,
        /// The name shown on pages (default: NAME).
        #[arg(long, default_value = "")]
        display: String,
        /// The unit the person belongs to.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Set user NAME's password (ends a lockout and the user's sessions).
    Password { name: String },
    /// Grant ROLE (an id such as unit_head, or a level 1-12) to NAME on a subtree.
    Grant {
        name: String,
        role: String,
        /// A region, department or unit code (the grant reaches everything under it), or *
        /// for the whole installation.
        #[arg(long, default_value = "*")]
        scope: String,
        /// The last day the grant holds (required for third_party_auditor).
        #[arg(long)]
        until: Option<String>,
    },
    /// Revoke grant GRANT (its id as `user list` shows it).
    Revoke { grant: i64 },
    /// Grant requests waiting for a second administrator (roles at or above bureau_reviewer).
    Requests,
    /// Approve grant request REQUEST (as --actor, an administrator who neither asked for it
    /// nor receives it): the grant is made.
    ApproveGrant { request: i64 },
    /// Refuse grant request REQUEST.
    RejectGrant { request: i64 },
    /// Users, their grants and lockouts.
    List {
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The roles: level, id, name, highest data class, permissions.
    Roles,
    /// Issue an API token acting as NAME, limited to SCOPES (permissions, comma-separated:
    /// ingest, read_payments, …). The secret is printed once.
    Token {
        name: String,
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        #[arg(long)]
        until: Option<String>,
    },
    /// Revoke API token ID.
    RevokeToken { id: String },
}

pub(super) async fn user(g: &Global, command: UserCommand) -> Result<ExitCode> {
    use bw_app::users;
    use bw_core::access::{Role, Scope};
    match command {
        UserCommand::Add { name, display, unit } => {
            let password = password()?;
            let store = open_for_write(g).await?;
            let idx = users::add(&store, &ctx(g)?, &name, &display, unit.as_deref(), &password).await?;
            println!("added user {name} (entry {idx})");
        }
        UserCommand::Password { name } => {
            let password = password()?;
            let store = open_for_write(g).await?;
            let idx = users::set_password(&store, &ctx(g)?, &name, &password).await?;
            println!("password of {name} set (entry {idx})");
        }
        UserCommand::Grant { name, role, scope, until } => {
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!(e))?;
            let until = until.as_deref().map(parse_date).transpose()?;
            let store = open_for_write(g).await?;
            let scope = Scope::parse(&scope);
            match users::grant(&store, &ctx(g)?, &name, role, &scope, until).await? {
                users::Granted::Made(idx) => {
                    println!("grant {idx}: {name} holds {} (level {}) on {}", role.id(), role.level(), scope.as_str())
                }
                users::Granted::Requested(id) => println!(
                    "grant request {id}: {} (level {}) on {} for {name} waits for a second administrator (user approve-grant {id})",
                    role.id(),
                    role.level(),
                    scope.as_str()
                ),
            }
        }
        UserCommand::Requests => {
            let store = open(g).await?;
            for r in users::grant_requests(&store).await? {
                let until = r.until.map(|d| format!(" until {d}")).unwrap_or_default();
                println!(
                    "request {}: {} on {} for {}{until}, asked by {}",
                    r.id, r.role, r.scope, r.user, r.requested_by
                );
            }
        }
        UserCommand::ApproveGrant { request } | UserCommand::RejectGrant { request } => {
            let approve = matches!(command, UserCommand::ApproveGrant { .. });
            let store = open_for_write(g).await?;
            let idx = users::decide_grant(&store, &ctx(g)?, request, approve).await?;
            if approve {
                println!("grant request {request} approved: grant {idx}");
            } else {
                println!("grant request {request} refused (entry {idx})");
            }
        }
        UserCommand::Revoke { grant } => {
            let store = open_for_write(g).await?;
            let idx = users::revoke(&store, &ctx(g)?, grant).await?;
            println!("grant {grant} revoked (entry {idx})");
        }
        UserCommand::List { format } => {
            let store = open(g).await?;
            let list = users::list(&store, crate::clock::now()).await?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&list)?),
                "text" => {
                    for u in list {
                        let unit = u.unit.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
                        let locked = u.locked_until.map(|t| format!(" locked until {t}")).unwrap_or_default();
                        println!("{} ({}){unit}{locked}", u.name, u.display_name);
                        for gr in u.grants {
                            let until = gr.until.map(|d| format!(" until {d}")).unwrap_or_default();
                            let revoked = gr.revoked_by.map(|r| format!(" revoked by entry {r}")).unwrap_or_default();
                            println!(
                                "  grant {}: {} (level {}) on {}{until}{revoked}",
                                gr.id, gr.role, gr.level, gr.scope
                            );
                        }
                    }
                }
                other => bail!("unknown format {other:?}: text or json"),
            }
        }
        UserCommand::Roles => {
            for r in Role::ALL {
                let perms: Vec<String> = r.permissions().iter().map(|p| users::permission_id(*p)).collect();
                println!(
                    "{:>2} {:<20} {:<10} {:<10} {}",
                    r.level(),
                    r.id(),
                    r.zh(),
                    r.max_class().as_str(),
                    perms.join(",")
                );
            }
        }
        UserCommand::Token { name, scopes, until } => {
            let scopes = scopes
                .iter()
                .map(|s| users::parse_permission(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("--scopes: {e}"))?;
            let until = until.as_deref().map(parse_date).transpose()?;
            let store = open_for_write(g).await?;
            let t = users::issue_token(&store, &ctx(g)?, &name, &scopes, until).await?;
            eprintln!("token {} for {name}; the secret is shown once:", t.id);
            println!("{}", t.secret);
        }
        UserCommand::RevokeToken { id } => {
            let store = open_for_write(g).await?;
            let idx = users::revoke_token(&store, &ctx(g)?, &id).await?;
            println!("token {id} revoked (entry {idx})");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An approver's password: BUDGETWATCH_PASSWORD, or the first line of standard input.
pub(super) fn password() -> Result<String> {
    if let Ok(p) = std::env::var("BUDGETWATCH_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Runs a command of this group (`run` dispatches it here).
pub(super) async fn dispatch(g: &Global, command: Command) -> Result<ExitCode> {
    match command {
        Command::User { command } => return user(g, command).await,
        Command::Webhook { command } => {
            use bw_app::events;
            match command {
                WebhookCommand::Add { url, user } => {
                    let secret = match std::env::var("BUDGETWATCH_WEBHOOK_SECRET") {
                        Ok(s) => s,
                        Err(_) => {
                            let mut line = String::new();
                            std::io::stdin().read_line(&mut line).context("reading the secret from standard input")?;
                            line.trim_end_matches(['\r', '\n']).to_string()
                        }
                    };
                    let store = open_for_write(g).await?;
                    let id = events::add_webhook(&store, &ctx(g)?, &user, &url, &secret).await?;
                    println!("webhook {id}: {url} for {user}");
                }
                WebhookCommand::Remove { id } => {
                    let store = open_for_write(g).await?;
                    events::remove_webhook(&store, &ctx(g)?, id).await?;
                    println!("webhook {id} removed");
                }
                WebhookCommand::List => {
                    let store = open(g).await?;
                    for w in events::webhooks(&store).await? {
                        println!("{}	{}	{}", w.id, w.user, w.url);
                    }
                }
            }
        }
        _ => bail!("internal: a command dispatched to the wrong group"),
    }
    Ok(ExitCode::SUCCESS)
}
