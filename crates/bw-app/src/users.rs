//! Accounts, grants, API tokens, log-ins and sessions.
//!
//! Users, grants and tokens are records: journaled (`user.add`, `user.grant`,
//! `user.revoke`, `user.password`, `token.issue`, `token.revoke`) and checked by `verify`.
//! Password hashes, failed log-ins and sessions are operational state kept beside them and
//! never journaled: the journal is served as proofs, and a hash there could be attacked
//! offline. A token's secret is never stored; its SHA-256 is (a hash of 256 random bits
//! reveals nothing).

use bw_core::access::{Access, Grant, Permission, Role, Scope};
use bw_core::accounts;
use bw_core::action::Action;
use bw_core::org::OrgTree;
use bw_core::{Date, Timestamp};
use bw_store::Store;
use bw_store::sqlx::{self, Row};
use sha2::{Digest, Sha256};

use crate::Ctx;
use crate::journal::{ActionError, act};

/// A limit on log-in attempts counted under one key: `free` failures, then each further
/// attempt waits `base` seconds doubled per failure past `free`, up to `cap`.
#[derive(Clone, Copy, Debug)]
pub struct Throttle {
    pub kind: &'static str,
    pub free: i64,
    pub base: i64,
    pub cap: i64,
}

/// Log-in throttles, by key. The pair (this account from this source) is the strict one: a
/// stranger guessing the bureau head's password only slows himself. The source limits one
/// address across accounts (spraying); the account, with a high threshold and a one-minute
/// cap, limits guessing spread over many addresses without ever locking the owner out.
pub const THROTTLES: [Throttle; 3] = [
    Throttle { kind: "pair", free: 5, base: 30, cap: 15 * 60 },
    Throttle { kind: "source", free: 30, base: 10, cap: 5 * 60 },
    Throttle { kind: "account", free: 100, base: 5, cap: 60 },
];
/// Failures older than this are forgotten.
pub const ATTEMPTS_KEPT_SECONDS: i64 = 24 * 3600;

impl Throttle {
    /// The earliest time of the next attempt after `failures`, the last at `last_at`.
    pub fn next_allowed(&self, failures: i64, last_at: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let doubled = (failures - self.free).min(30) as u32;
        last_at + self.base.saturating_mul(1 << doubled).min(self.cap)
    }

    fn key(&self, user: &str, source: &str) -> String {
        match self.kind {
            "pair" => format!("pair:{user}\u{1f}{source}"),
            "source" => format!("source:{source}"),
            _ => format!("account:{user}"),
        }
    }
}
/// How long a session lasts without a new log-in.
pub const SESSION_SECONDS: i64 = 8 * 3600;

fn invalid(s: impl Into<String>) -> ActionError {
    ActionError::Invalid(s.into())
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn derive(ctx: &Ctx, label: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(label);
    h.update(ctx.entropy);
    h.finalize().into()
}

/// A password's salt: the caller's randomness and the account's name, so that accounts made
/// together (the demo's twelve) never share one.
fn password_salt(ctx: &Ctx, name: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"budgetwatch/password-salt\0");
    h.update(ctx.entropy);
    h.update(name.as_bytes());
    let full: [u8; 32] = h.finalize().into();
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&full[..16]);
    salt
}

/// What an unknown account's password is checked against: a well-formed hash with the real
/// parameters and length, so that the answer costs the same Argon2 work as a real account's.
const UNKNOWN_ACCOUNT: &str = "argon2id$19456$2$1$00000000000000000000000000000000$0000000000000000000000000000000000000000000000000000000000000000";

/// Argon2id with OWASP's parameters (19 MiB, 2 passes), stored as
/// `argon2id$19456$2$1$SALT$HASH` (hex).
fn hash_password(password: &str, salt: &[u8]) -> Result<String, ActionError> {
    let (m, t, p) = (19 * 1024, 2, 1);
    let params = argon2::Params::new(m, t, p, Some(32)).map_err(|e| invalid(e.to_string()))?;
    let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 32];
    kdf.hash_password_into(password.as_bytes(), salt, &mut out).map_err(|e| invalid(e.to_string()))?;
    Ok(format!("argon2id${m}${t}${p}${}${}", hex(salt), hex(&out)))
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Whether `password` matches a stored `argon2id$…` hash (compared in constant time).
fn password_matches(password: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [_, m, t, p, salt, hash] = parts.as_slice() else { return false };
    let (Ok(m), Ok(t), Ok(p), Some(salt), Some(hash)) = (m.parse(), t.parse(), p.parse(), unhex(salt), unhex(hash))
    else {
        return false;
    };
    let Ok(params) = argon2::Params::new(m, t, p, Some(hash.len())) else { return false };
    let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = vec![0u8; hash.len()];
    if kdf.hash_password_into(password.as_bytes(), &salt, &mut out).is_err() {
        return false;
    }
    out.iter().zip(&hash).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn check_name(name: &str) -> Result<(), ActionError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if ok { Ok(()) } else { Err(invalid(format!("user name {name:?}: 1-64 of a-z, 0-9, '.', '_', '-'"))) }
}

fn check_password(password: &str) -> Result<(), ActionError> {
    if password.chars().count() < 10 {
        return Err(invalid("the password must have at least 10 characters"));
    }
    Ok(())
}

/// Writes the rows of an accounts entry journaled at `idx` by `ctx`.
async fn write_rows(tx: &mut bw_store::Tx, data: &accounts::Entry, idx: i64, ctx: &Ctx) -> Result<(), ActionError> {
    let rows = accounts::project(data, idx, &ctx.actor).map_err(invalid)?;
    Ok(bw_store::changes::apply(tx, &rows).await?)
}

async fn exists(store: &Store, sql: &'static str, key: &str) -> Result<bool, ActionError> {
    Ok(sqlx::query(sql).bind(key.to_string()).fetch_optional(store.pool()).await?.is_some())
}

/// Adds a user who logs in with `password`.
pub async fn add(
    store: &Store,
    ctx: &Ctx,
    name: &str,
    display_name: &str,
    unit: Option<&str>,
    password: &str,
) -> Result<i64, ActionError> {
    check_name(name)?;
    check_password(password)?;
    if exists(store, "SELECT 1 FROM users WHERE name = $1", name).await? {
        return Err(invalid(format!("user {name:?} exists")));
    }
    if let Some(u) = unit
        && !exists(store, "SELECT 1 FROM units WHERE code = $1", u).await?
    {
        return Err(invalid(format!("unit {u:?} is not in the organisation")));
    }
    let stored = hash_password(password, &password_salt(ctx, name))?;
    let display = if display_name.trim().is_empty() { name } else { display_name.trim() };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("account of {name}"));
    let data = accounts::Entry::UserAdd(accounts::UserAdd {
        name: name.into(),
        display_name: display.into(),
        unit: unit.map(str::to_string),
    });
    let n = name.to_string();
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| {
        write_rows(tx, &data, idx, ctx).await?;
        sqlx::query("INSERT INTO credentials (user_name, password, failures, locked_until) VALUES ($1, $2, 0, 0)")
            .bind(n)
            .bind(stored)
            .execute(&mut **tx)
            .await?;
        Ok(())
    })
    .await
}

/// Every account's display name, by account name.
pub async fn display_names(store: &Store) -> Result<std::collections::HashMap<String, String>, ActionError> {
    let rows = sqlx::query("SELECT name, display_name FROM users").fetch_all(store.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Self-registrations one source address may make in a day.
pub const REGISTRATIONS_PER_DAY: i64 = 3;

/// A citizen registers themselves (注册): an account with the citizen role over the public
/// portal, nothing more. `source` is the client's address; at most
/// `REGISTRATIONS_PER_DAY` registrations come from one address in 24 hours (counted
/// before anything is checked, so a burst of refused names is counted too). The actor is
/// `system:register`, as nobody grants a role to themselves.
pub async fn register(
    store: &Store,
    ctx: &Ctx,
    name: &str,
    display_name: &str,
    password: &str,
    source: &str,
) -> Result<(), ActionError> {
    let key = format!("register:{source}");
    let now = ctx.at.0;
    let mut tx = store.begin_operational().await?;
    sqlx::query("INSERT INTO login_attempts (key, failures, last_at) VALUES ($1, 0, 0) ON CONFLICT (key) DO NOTHING")
        .bind(key.clone())
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query("UPDATE login_attempts SET failures = failures WHERE key = $1 RETURNING failures, last_at")
        .bind(key.clone())
        .fetch_one(&mut *tx)
        .await?;
    let (count, since): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    // `last_at` holds when the day's window opened.
    let (count, since) = if now - since > 86_400 { (0, now) } else { (count, since) };
    if count >= REGISTRATIONS_PER_DAY {
        tx.commit().await?;
        return Err(invalid(format!(
            "too many registrations from this address: at most {REGISTRATIONS_PER_DAY} a day"
        )));
    }
    sqlx::query("UPDATE login_attempts SET failures = $1, last_at = $2 WHERE key = $3")
        .bind(count + 1)
        .bind(since)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let system =
        Ctx { actor: "system:register".into(), reason: Some(format!("self-registration of {name}")), ..ctx.clone() };
    add(store, &system, name, display_name, None, password).await?;
    grant(store, &system, name, Role::Citizen, &Scope::All, None).await?;
    Ok(())
}

/// Sets a user's password (journaled without the password; a lockout ends).
pub async fn set_password(store: &Store, ctx: &Ctx, name: &str, password: &str) -> Result<i64, ActionError> {
    check_password(password)?;
    if !exists(store, "SELECT 1 FROM users WHERE name = $1", name).await? {
        return Err(invalid(format!("no user {name:?}")));
    }
    let stored = hash_password(password, &password_salt(ctx, name))?;
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("password of {name}"));
    let n = name.to_string();
    act(store, ctx, Action::UserPassword, &reason, &serde_json::json!({ "name": name }), async move |tx, _| {
        sqlx::query("UPDATE credentials SET password = $1, failures = 0, locked_until = 0 WHERE user_name = $2")
            .bind(stored)
            .bind(n.clone())
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(n).execute(&mut **tx).await?;
        Ok(())
    })
    .await
}

/// What a grant did: made at once, or asked for, waiting for a second person's approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granted {
    /// The grant, by its id (the journal index that made it).
    Made(i64),
    /// The grant request, by its id; `decide_grant` makes or refuses the grant.
    Requested(i64),
}

impl std::fmt::Display for Granted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Granted::Made(id) => write!(f, "grant {id}"),
            Granted::Requested(id) => {
                write!(f, "grant request {id}: waits for the approval of a second administrator")
            }
        }
    }
}

/// Whether an active grant of a role at or above `bureau_reviewer` exists: until one does,
/// the first is made at once (an installation starts with nobody to approve it).
async fn anyone_high(store: &Store, today: Date) -> Result<bool, ActionError> {
    let rows = sqlx::query("SELECT role, until FROM grants WHERE revoked_idx IS NULL").fetch_all(store.pool()).await?;
    for r in rows {
        let (role, until): (String, Option<String>) = (r.try_get(0)?, r.try_get(1)?);
        let active = until.and_then(|u| Date::parse(&u).ok()).is_none_or(|u| u >= today);
        if active && Role::parse(&role).is_ok_and(Role::needs_second_approval) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Grants `role` on `scope` to a user, until a day (inclusive) or without end; an outside
/// auditor's grant must end. A role at or above `bureau_reviewer` is only requested
/// (`user.grant_request`): a second person approves it with `decide_grant` — except the
/// installation's first such grant, which has nobody to approve it.
pub async fn grant(
    store: &Store,
    ctx: &Ctx,
    user: &str,
    role: Role,
    scope: &Scope,
    until: Option<Date>,
) -> Result<Granted, ActionError> {
    if !exists(store, "SELECT 1 FROM users WHERE name = $1", user).await? {
        return Err(invalid(format!("no user {user:?}")));
    }
    bw_core::access::not_to_oneself(&ctx.actor, user).map_err(|e| invalid(e.to_string()))?;
    if let Scope::Node(code) = scope
        && !exists(store, "SELECT 1 FROM units WHERE code = $1", code).await?
    {
        return Err(invalid(format!(
            "scope {code:?} is not in the organisation (a region, department or unit code, or *)"
        )));
    }
    if role.time_limited() && until.is_none() {
        return Err(invalid(format!("a {} grant must end: give --until DATE", role.id())));
    }
    if let Some(u) = until
        && u < ctx.today
    {
        return Err(invalid(format!("--until {u} is in the past")));
    }
    let active = sqlx::query(
        "SELECT journal_idx FROM grants WHERE user_name = $1 AND role = $2 AND scope = $3 AND revoked_idx IS NULL",
    )
    .bind(user.to_string())
    .bind(role.id())
    .bind(scope.as_str().to_string())
    .fetch_optional(store.pool())
    .await?;
    if let Some(r) = active {
        let id: i64 = r.try_get(0)?;
        return Err(invalid(format!("{user} already holds {} on {} (grant {id})", role.id(), scope.as_str())));
    }
    let pending = sqlx::query(
        "SELECT journal_idx FROM grant_requests WHERE user_name = $1 AND role = $2 AND scope = $3 AND decided_idx IS NULL",
    )
    .bind(user.to_string())
    .bind(role.id())
    .bind(scope.as_str().to_string())
    .fetch_optional(store.pool())
    .await?;
    if let Some(r) = pending {
        let id: i64 = r.try_get(0)?;
        return Err(invalid(format!(
            "{} on {} for {user} is already requested (request {id})",
            role.id(),
            scope.as_str()
        )));
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{} on {} for {user}", role.id(), scope.as_str()));
    let until_s = until.map(|d| d.to_string());
    let grant =
        accounts::Grant { user: user.into(), role: role.id().into(), scope: scope.as_str().into(), until: until_s };
    if role.needs_second_approval() && anyone_high(store, ctx.today).await? {
        let data = accounts::Entry::GrantRequest(grant);
        let id = act(store, ctx, data.action(), &reason, &data, async |tx, idx| write_rows(tx, &data, idx, ctx).await)
            .await?;
        return Ok(Granted::Requested(id));
    }
    let data = accounts::Entry::Grant(grant);
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| write_rows(tx, &data, idx, ctx).await)
        .await
        .map(Granted::Made)
}

/// A grant waiting for a second person's approval.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GrantRequest {
    pub id: i64,
    pub user: String,
    pub role: String,
    pub scope: String,
    pub until: Option<String>,
    pub requested_by: String,
}

/// The grant requests not yet decided, oldest first.
pub async fn grant_requests(store: &Store) -> Result<Vec<GrantRequest>, ActionError> {
    let rows = sqlx::query(
        "SELECT journal_idx, user_name, role, scope, until, requested_by FROM grant_requests WHERE decided_idx IS NULL ORDER BY journal_idx",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(GrantRequest {
                id: r.try_get(0)?,
                user: r.try_get(1)?,
                role: r.try_get(2)?,
                scope: r.try_get(3)?,
                until: r.try_get(4)?,
                requested_by: r.try_get(5)?,
            })
        })
        .collect()
}

/// Approves (making the grant, `user.grant_approve`) or refuses (`user.grant_reject`) a
/// grant request. The decider is a user who may manage accounts and neither asked for the
/// grant nor receives it. Returns the decision's journal index (the grant's id when made).
pub async fn decide_grant(store: &Store, ctx: &Ctx, request: i64, approve: bool) -> Result<i64, ActionError> {
    let Some(r) = grant_requests(store).await?.into_iter().find(|r| r.id == request) else {
        return Err(invalid(format!("no grant request {request} is waiting")));
    };
    bw_core::access::second_person(&r.requested_by, &ctx.actor, &r.user).map_err(|e| invalid(e.to_string()))?;
    let decider = ctx.actor.strip_prefix("user:").unwrap_or(&ctx.actor);
    if !access(store, decider, ctx.today).await?.has(Permission::ManageUsers) {
        return Err(invalid(format!("{decider} may not decide grant requests (only administrators may)")));
    }
    if approve
        && let Some(u) = r.until.as_deref().and_then(|u| Date::parse(u).ok())
        && u < ctx.today
    {
        return Err(invalid(format!("grant request {request} ends on {u}, already past")));
    }
    let decision = accounts::Decision { request, user: r.user, role: r.role, scope: r.scope, until: r.until };
    let (data, verb) = if approve {
        (accounts::Entry::GrantApprove(decision), "approved")
    } else {
        (accounts::Entry::GrantReject(decision), "refused")
    };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("grant request {request} {verb}"));
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| write_rows(tx, &data, idx, ctx).await).await
}

/// Revokes a grant (by its id, the journal index that made it).
pub async fn revoke(store: &Store, ctx: &Ctx, grant_id: i64) -> Result<i64, ActionError> {
    let row = sqlx::query("SELECT user_name, role, scope, revoked_idx FROM grants WHERE journal_idx = $1")
        .bind(grant_id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| invalid(format!("no grant {grant_id}")))?;
    let (user, role, scope, revoked): (String, String, String, Option<i64>) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
    if let Some(r) = revoked {
        return Err(invalid(format!("grant {grant_id} was revoked by entry {r}")));
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{role} on {scope} of {user} revoked"));
    let data = accounts::Entry::Revoke(accounts::Revoke { grant: grant_id, user });
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| write_rows(tx, &data, idx, ctx).await).await
}

/// A grant as listed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GrantRow {
    pub id: i64,
    pub role: String,
    pub level: u8,
    pub scope: String,
    pub until: Option<String>,
    pub revoked_by: Option<i64>,
}

/// A user as listed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct UserRow {
    pub name: String,
    pub display_name: String,
    pub unit: Option<String>,
    pub locked_until: Option<String>,
    pub grants: Vec<GrantRow>,
}

/// Every user with their grants (revoked ones included, marked), and until when log-ins to
/// the account from anywhere must wait (`locked_until`, when later than `now`).
pub async fn list(store: &Store, now: Timestamp) -> Result<Vec<UserRow>, ActionError> {
    let mut users: Vec<UserRow> = Vec::new();
    let rows = sqlx::query(
        "SELECT u.name, u.display_name, u.unit_code, a.failures, a.last_at FROM users u LEFT JOIN login_attempts a ON a.key = 'account:' || u.name ORDER BY u.name",
    )
    .fetch_all(store.pool())
    .await?;
    let account = THROTTLES[2];
    for r in rows {
        let (failures, last_at): (Option<i64>, Option<i64>) = (r.try_get(3)?, r.try_get(4)?);
        let until = account.next_allowed(failures.unwrap_or(0), last_at.unwrap_or(0));
        users.push(UserRow {
            name: r.try_get(0)?,
            display_name: r.try_get(1)?,
            unit: r.try_get(2)?,
            locked_until: (until > now.0).then(|| Timestamp(until).to_string()),
            grants: Vec::new(),
        });
    }
    let rows =
        sqlx::query("SELECT journal_idx, user_name, role, scope, until, revoked_idx FROM grants ORDER BY journal_idx")
            .fetch_all(store.pool())
            .await?;
    for r in rows {
        let user: String = r.try_get(1)?;
        let role: String = r.try_get(2)?;
        if let Some(u) = users.iter_mut().find(|u| u.name == user) {
            u.grants.push(GrantRow {
                id: r.try_get(0)?,
                level: Role::parse(&role).map(Role::level).unwrap_or(0),
                role,
                scope: r.try_get(3)?,
                until: r.try_get(4)?,
                revoked_by: r.try_get(5)?,
            });
        }
    }
    Ok(users)
}

/// The active grants of `user` on `today`.
pub async fn access(store: &Store, user: &str, today: Date) -> Result<Access, ActionError> {
    let rows = sqlx::query("SELECT role, scope, until FROM grants WHERE user_name = $1 AND revoked_idx IS NULL")
        .bind(user.to_string())
        .fetch_all(store.pool())
        .await?;
    let mut grants = Vec::new();
    for r in rows {
        let (role, scope, until): (String, String, Option<String>) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let until = until.map(|u| Date::parse(&u)).transpose().map_err(|e| invalid(e.to_string()))?;
        grants.push(Grant { role: Role::parse(&role).map_err(invalid)?, scope: Scope::parse(&scope), until });
    }
    Ok(Access::new(user, grants, today))
}

/// The organisation as stored, for scope checks.
pub async fn org_tree(store: &Store) -> Result<OrgTree, ActionError> {
    let mut tx = store.pool().begin().await?;
    let tree = crate::import::load_tree(&mut tx).await.map_err(|e| invalid(e.to_string()))?;
    tx.commit().await?;
    Ok(tree)
}

/// Why a log-in failed. The message never says whether the user exists.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong user name or password")]
    Wrong,
    #[error("too many failed log-ins: try again after {0}")]
    Locked(Timestamp),
    #[error(transparent)]
    Store(#[from] ActionError),
}

/// A session opened by a log-in: the secret goes in a cookie, the CSRF token in forms.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    pub secret: String,
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// Counts a log-in attempt of `user` from `source` under every throttle before its
/// password is checked, in one transaction that holds the rows (so a burst of parallel
/// attempts is counted one by one); refuses it, uncounted, while any throttle says wait.
/// The keys do not depend on whether the account exists.
async fn count_attempt(store: &Store, user: &str, source: &str, now: Timestamp) -> Result<(), LoginError> {
    let mut keys: Vec<(String, Throttle)> = THROTTLES.iter().map(|t| (t.key(user, source), *t)).collect();
    // One order for every transaction, so two never wait on each other's rows.
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    let mut tx = store.begin_operational().await.map_err(ActionError::from)?;
    let mut wait = 0;
    let mut rows = Vec::new();
    for (key, throttle) in &keys {
        sqlx::query(
            "INSERT INTO login_attempts (key, failures, last_at) VALUES ($1, 0, 0) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key.clone())
        .execute(&mut *tx)
        .await
        .map_err(ActionError::from)?;
        // The update takes the row's lock on PostgreSQL until the commit.
        let row =
            sqlx::query("UPDATE login_attempts SET failures = failures WHERE key = $1 RETURNING failures, last_at")
                .bind(key.clone())
                .fetch_one(&mut *tx)
                .await
                .map_err(ActionError::from)?;
        let (failures, last_at): (i64, i64) =
            (row.try_get(0).map_err(ActionError::from)?, row.try_get(1).map_err(ActionError::from)?);
        let failures = if now.0 - last_at > ATTEMPTS_KEPT_SECONDS { 0 } else { failures };
        wait = wait.max(throttle.next_allowed(failures, last_at));
        rows.push((key.clone(), failures));
    }
    if wait > now.0 {
        tx.commit().await.map_err(ActionError::from)?;
        return Err(LoginError::Locked(Timestamp(wait)));
    }
    for (key, failures) in rows {
        sqlx::query("UPDATE login_attempts SET failures = $1, last_at = $2 WHERE key = $3")
            .bind(failures + 1)
            .bind(now.0)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(ActionError::from)?;
    }
    tx.commit().await.map_err(ActionError::from)?;
    Ok(())
}

/// Checks a password and opens a session. `entropy` gives the session's secrets; `source`
/// is where the attempt came from (the client's address). The attempt is counted before
/// the password is checked (`count_attempt`); an unknown account costs the same Argon2 work
/// and gets the same answers as a real one. A success clears the account's counts and
/// takes this attempt off the source's.
pub async fn login(
    store: &Store,
    user: &str,
    password: &str,
    source: &str,
    now: Timestamp,
    entropy: [u8; 32],
) -> Result<Session, LoginError> {
    count_attempt(store, user, source, now).await?;
    let row = sqlx::query("SELECT password FROM credentials WHERE user_name = $1")
        .bind(user.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(ActionError::from)?;
    let known = row.is_some();
    let stored = match row {
        Some(r) => r.try_get::<String, _>(0).map_err(ActionError::from)?,
        None => UNKNOWN_ACCOUNT.to_string(),
    };
    let p = password.to_string();
    let matches = tokio::task::spawn_blocking(move || password_matches(&p, &stored)).await.unwrap_or(false);
    if !(known && matches) {
        return Err(LoginError::Wrong);
    }
    let secret = hex(&Sha256::new().chain_update(b"budgetwatch/session").chain_update(entropy).finalize());
    let csrf = hex(&Sha256::new().chain_update(b"budgetwatch/csrf").chain_update(entropy).finalize());
    let expires_at = Timestamp(now.0 + SESSION_SECONDS);
    let mut tx = store.pool().begin().await.map_err(ActionError::from)?;
    for t in &THROTTLES {
        let sql = if t.kind == "source" {
            "UPDATE login_attempts SET failures = failures - 1 WHERE key = $1 AND failures > 0"
        } else {
            "DELETE FROM login_attempts WHERE key = $1"
        };
        sqlx::query(sql).bind(t.key(user, source)).execute(&mut *tx).await.map_err(ActionError::from)?;
    }
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(ActionError::from)?;
    sqlx::query("INSERT INTO sessions (secret_sha256, user_name, csrf, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(sha256(secret.as_bytes()))
        .bind(user.to_string())
        .bind(csrf.clone())
        .bind(expires_at.0)
        .execute(&mut *tx)
        .await
        .map_err(ActionError::from)?;
    tx.commit().await.map_err(ActionError::from)?;
    Ok(Session { user: user.to_string(), secret, csrf, expires_at })
}

/// The session a cookie's secret opens, if it has not expired: (user, CSRF token).
pub async fn session(store: &Store, secret: &str, now: Timestamp) -> Result<Option<(String, String)>, ActionError> {
    let row = sqlx::query("SELECT user_name, csrf FROM sessions WHERE secret_sha256 = $1 AND expires_at > $2")
        .bind(sha256(secret.as_bytes()))
        .bind(now.0)
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
        None => None,
    })
}

/// Ends a session.
pub async fn logout(store: &Store, secret: &str) -> Result<(), ActionError> {
    sqlx::query("DELETE FROM sessions WHERE secret_sha256 = $1")
        .bind(sha256(secret.as_bytes()))
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The most inbox filters one user keeps.
pub const SAVED_FILTERS_MAX: usize = 20;

/// An inbox filter a user saved under a name: its fields (state, level, rule, kind) and
/// values.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SavedFilter {
    pub name: String,
    pub fields: std::collections::BTreeMap<String, String>,
}

const FILTER_FIELDS: [&str; 4] = ["state", "level", "rule", "kind"];

/// Saves (or replaces) `user`'s inbox filter `name`. A preference, not journaled.
pub async fn save_filter(
    store: &Store,
    user: &str,
    name: &str,
    fields: &std::collections::BTreeMap<String, String>,
) -> Result<(), ActionError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
        return Err(ActionError::Invalid("a filter's name has 1 to 40 characters".into()));
    }
    let mut kept = std::collections::BTreeMap::new();
    for (k, v) in fields {
        if !FILTER_FIELDS.contains(&k.as_str()) {
            return Err(ActionError::Invalid(format!("{k} is not an inbox filter (state, level, rule, kind)")));
        }
        if v.chars().count() > 80 {
            return Err(ActionError::Invalid(format!("{k}: longer than 80 characters")));
        }
        if !v.is_empty() {
            kept.insert(k.clone(), v.clone());
        }
    }
    let others = filters(store, user).await?.into_iter().filter(|f| f.name != name).count();
    if others >= SAVED_FILTERS_MAX {
        return Err(ActionError::Invalid(format!("at most {SAVED_FILTERS_MAX} saved filters")));
    }
    let query = serde_json::to_string(&kept).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let mut tx = store.pool().begin().await?;
    sqlx::query("DELETE FROM saved_filters WHERE user_name = $1 AND name = $2")
        .bind(user.to_string())
        .bind(name.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO saved_filters (user_name, name, query) VALUES ($1, $2, $3)")
        .bind(user.to_string())
        .bind(name.to_string())
        .bind(query)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// `user`'s saved inbox filters, by name.
pub async fn filters(store: &Store, user: &str) -> Result<Vec<SavedFilter>, ActionError> {
    let rows = sqlx::query("SELECT name, query FROM saved_filters WHERE user_name = $1 ORDER BY name")
        .bind(user.to_string())
        .fetch_all(store.pool())
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let query: String = r.try_get(1)?;
        out.push(SavedFilter { name: r.try_get(0)?, fields: serde_json::from_str(&query).unwrap_or_default() });
    }
    Ok(out)
}

/// Deletes `user`'s saved filter `name`.
pub async fn delete_filter(store: &Store, user: &str, name: &str) -> Result<(), ActionError> {
    sqlx::query("DELETE FROM saved_filters WHERE user_name = $1 AND name = $2")
        .bind(user.to_string())
        .bind(name.to_string())
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Names of permissions as tokens carry them.
pub fn permission_id(p: Permission) -> String {
    serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// A permission by its name (`read_payments`, `ingest`, …).
pub fn parse_permission(s: &str) -> Result<Permission, String> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_string())).map_err(|_| format!("unknown scope {s:?}"))
}

/// A newly issued token: its id and the secret, shown once.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IssuedToken {
    pub id: String,
    pub secret: String,
}

/// Issues an API token acting as `user` but limited to `scopes` (permissions), until a day.
pub async fn issue_token(
    store: &Store,
    ctx: &Ctx,
    user: &str,
    scopes: &[Permission],
    until: Option<Date>,
) -> Result<IssuedToken, ActionError> {
    if !exists(store, "SELECT 1 FROM users WHERE name = $1", user).await? {
        return Err(invalid(format!("no user {user:?}")));
    }
    if scopes.is_empty() {
        return Err(invalid("a token needs at least one scope"));
    }
    let secret = format!("bwt_{}", hex(&derive(ctx, b"budgetwatch/api-token")));
    let digest = sha256(secret.as_bytes());
    let id = format!("tok_{}", &hex(&digest)[..12]);
    let names: Vec<String> = scopes.iter().map(|p| permission_id(*p)).collect();
    let data = accounts::Entry::TokenIssue(accounts::TokenIssue {
        id: id.clone(),
        user: user.into(),
        scopes: names,
        until: until.map(|d| d.to_string()),
        secret_sha256: hex(&digest),
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("API token for {user}"));
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| write_rows(tx, &data, idx, ctx).await).await?;
    Ok(IssuedToken { id, secret })
}

/// Revokes an API token.
pub async fn revoke_token(store: &Store, ctx: &Ctx, id: &str) -> Result<i64, ActionError> {
    if !exists(store, "SELECT 1 FROM api_tokens WHERE id = $1 AND revoked_idx IS NULL", id).await? {
        return Err(invalid(format!("no active token {id:?}")));
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("token {id} revoked"));
    let data = accounts::Entry::TokenRevoke(accounts::TokenRevoke { id: id.into() });
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| write_rows(tx, &data, idx, ctx).await).await
}

/// What a bearer token may do on `today`: its user's grants, limited to its scopes.
pub async fn token_access(store: &Store, secret: &str, today: Date) -> Result<Option<Access>, ActionError> {
    // One read for the token and its user's grants: every API request asks this.
    let rows = sqlx::query(
        "SELECT t.user_name, t.scopes, t.until, g.role, g.scope, g.until FROM api_tokens t \
         LEFT JOIN grants g ON g.user_name = t.user_name AND g.revoked_idx IS NULL \
         WHERE t.secret_sha256 = $1 AND t.revoked_idx IS NULL",
    )
    .bind(sha256(secret.as_bytes()))
    .fetch_all(store.pool())
    .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let (user, scopes, until): (String, String, Option<String>) =
        (first.try_get(0)?, first.try_get(1)?, first.try_get(2)?);
    if let Some(u) = until
        && Date::parse(&u).is_ok_and(|u| today > u)
    {
        return Ok(None);
    }
    let mut grants = Vec::new();
    for r in &rows {
        let Some(role) = r.try_get::<Option<String>, _>(3)? else { continue };
        let (scope, until): (String, Option<String>) = (r.try_get(4)?, r.try_get(5)?);
        let until = until.map(|u| Date::parse(&u)).transpose().map_err(|e| invalid(e.to_string()))?;
        grants.push(Grant { role: Role::parse(&role).map_err(invalid)?, scope: Scope::parse(&scope), until });
    }
    let mut a = Access::new(&user, grants, today);
    a.limit = Some(scopes.split(',').filter_map(|s| parse_permission(s).ok()).collect());
    Ok(Some(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_match_only_themselves() {
        let stored = hash_password("correct horse battery", &[7u8; 16]).unwrap_or_default();
        assert!(stored.starts_with("argon2id$19456$2$1$"));
        assert!(password_matches("correct horse battery", &stored));
        assert!(!password_matches("correct horse batterY", &stored));
        assert!(!password_matches("correct horse battery", "argon2id$garbage"));
    }

    #[test]
    fn unknown_accounts_cost_a_real_check_and_accounts_made_together_have_their_own_salts() {
        // The stand-in has a real hash's shape: the same parameters and hash length, so its
        // check runs Argon2 in full (a malformed one is refused before any work).
        let real = hash_password("correct horse battery", &[7u8; 16]).unwrap_or_default();
        let shape = |h: &str| h.split('$').map(str::len).collect::<Vec<_>>();
        assert_eq!(shape(UNKNOWN_ACCOUNT), shape(&real));
        assert_eq!(UNKNOWN_ACCOUNT.split('$').take(4).collect::<Vec<_>>(), real.split('$').take(4).collect::<Vec<_>>());
        assert!(!password_matches("anything", UNKNOWN_ACCOUNT));
        let ctx = Ctx {
            actor: "cli:demo".into(),
            at: bw_core::Timestamp(0),
            today: bw_core::Date::from_days(0),
            reason: None,
            entropy: [9; 32],
        };
        assert_ne!(password_salt(&ctx, "bureau-head"), password_salt(&ctx, "unit-handler"));
        assert_eq!(password_salt(&ctx, "bureau-head"), password_salt(&ctx, "bureau-head"));
    }

    #[test]
    fn permission_names_round_trip() {
        for p in [Permission::Ingest, Permission::ReadPayments, Permission::CloseWarning] {
            assert_eq!(parse_permission(&permission_id(p)), Ok(p));
        }
        assert!(parse_permission("root").is_err());
    }
}

/// A log-in the demo created.
#[derive(Clone, Debug)]
pub struct DemoLogin {
    pub user: String,
    pub role: Role,
    pub scope: String,
    pub password: String,
}

/// One user per role for the demo: the unit roles on the first unit, the department
/// reviewer on its department, the rest on the whole installation (the outside auditor until
/// the end of next year). Passwords come from the caller's entropy.
pub async fn demo_accounts(
    store: &Store,
    ctx: &Ctx,
    unit: Option<&str>,
    busiest: bool,
) -> Result<Vec<DemoLogin>, ActionError> {
    let tree = org_tree(store).await?;
    let unit = match unit {
        Some(u) if tree.get(u).is_some_and(|n| n.kind == bw_core::org::OrgKind::Unit) => u.to_string(),
        Some(u) => return Err(invalid(format!("{u:?} is not a unit of the organisation"))),
        None => busiest_unit(store, &tree, busiest).await?,
    };
    let department = tree.department_of(&unit).map(|d| d.code.clone()).unwrap_or_else(|| unit.clone());
    let until = Date::from_ymd(ctx.today.year() + 1, 12, 31);
    let mut out = Vec::new();
    // The administrator first (the installation's first high grant, made at once); the
    // other roles at or above bureau_reviewer are then requested here and approved by it.
    let mut roles = Role::ALL.to_vec();
    roles.sort_by_key(|r| *r != Role::Admin);
    let admin = Ctx { actor: format!("user:{}", Role::Admin.id().replace('_', "-")), ..ctx.clone() };
    for role in roles {
        let scope = match role {
            Role::UnitHandler | Role::UnitFinance | Role::UnitHead => unit.clone(),
            Role::DepartmentReviewer => department.clone(),
            _ => "*".to_string(),
        };
        let user = role.id().replace('_', "-");
        let password: String = derive(ctx, format!("budgetwatch/demo-password/{user}").as_bytes())
            .iter()
            .take(12)
            .map(|b| char::from(b"abcdefghijkmnpqrstuvwxyz23456789"[usize::from(b % 32)]))
            .collect();
        let home = (scope != "*").then_some(unit.as_str()).filter(|_| role <= Role::UnitHead);
        add(store, ctx, &user, role.zh(), home, &password).await?;
        let limit = if role.time_limited() { until } else { None };
        if let Granted::Requested(id) = grant(store, ctx, &user, role, &Scope::parse(&scope), limit).await? {
            decide_grant(store, &admin, id, true).await?;
        }
        out.push(DemoLogin { user, role, scope, password });
    }
    out.sort_by_key(|l| l.role);
    Ok(out)
}

/// With `busiest`, the unit whose open warnings span the most rules (then the most warnings,
/// then the smallest code): where a first user of the demo finds a loop of each kind to
/// walk. Otherwise, or without any warning, the first unit by code.
async fn busiest_unit(store: &Store, tree: &bw_core::org::OrgTree, busiest: bool) -> Result<String, ActionError> {
    let rows = if busiest {
        sqlx::query(
            "SELECT unit_code, COUNT(DISTINCT rule), COUNT(*) FROM warnings WHERE unit_code IS NOT NULL AND state = 'open' \
             GROUP BY unit_code",
        )
        .fetch_all(store.pool())
        .await?
    } else {
        Vec::new()
    };
    let mut best: Option<(i64, i64, String)> = None;
    for r in rows {
        let (code, rules, count): (String, i64, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let better = match &best {
            None => true,
            Some((br, bc, bcode)) => (rules, count) > (*br, *bc) || ((rules, count) == (*br, *bc) && code < *bcode),
        };
        if better && tree.get(&code).is_some_and(|n| n.kind == bw_core::org::OrgKind::Unit) {
            best = Some((rules, count, code));
        }
    }
    if let Some((_, _, code)) = best {
        return Ok(code);
    }
    let mut units: Vec<&bw_core::org::OrgNode> =
        tree.nodes().filter(|n| n.kind == bw_core::org::OrgKind::Unit).collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(units.first().ok_or_else(|| invalid("the demo has no units"))?.code.clone())
}

/// The answer (status, body) first given to `user`'s request with idempotency `key`.
pub async fn idempotent_answer(store: &Store, user: &str, key: &str) -> Result<Option<(u16, String)>, ActionError> {
    let row = sqlx::query("SELECT status, body FROM idempotency_keys WHERE user_name = $1 AND idem_key = $2")
        .bind(user.to_string())
        .bind(key.to_string())
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => Some((u16::try_from(r.try_get::<i64, _>(0)?).unwrap_or(200), r.try_get(1)?)),
        None => None,
    })
}

/// Keeps the answer to `user`'s request with idempotency `key` (the first one stays).
pub async fn keep_idempotent_answer(
    store: &Store,
    user: &str,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), ActionError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_name, idem_key, status, body) VALUES ($1, $2, $3, $4) ON CONFLICT (user_name, idem_key) DO NOTHING",
    )
    .bind(user.to_string())
    .bind(key.to_string())
    .bind(i64::from(status))
    .bind(body.to_string())
    .execute(store.pool())
    .await?;
    Ok(())
}
