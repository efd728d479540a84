//! The project library (项目库): each project's tier (reserve, approved, executing,
//! completed, retired) moved only along the allowed steps and journaled (`project.status`),
//! unused reserve projects leaving the library on their expiry date, and each project's
//! maturity score (docs/BUDGET.md).

use bw_core::budget::{self, Maturity};
use bw_core::records::ProjectStatus;
use bw_core::{Date, Money};
use bw_store::Store;
use bw_store::sqlx::{self, Row};

use crate::Ctx;
use crate::journal::{ActionError, act_projected};
use bw_core::registers;

/// A project as the library lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Entry {
    pub project_code: String,
    pub name: String,
    pub unit_code: String,
    pub status: String,
    pub start_year: i32,
    pub end_year: i32,
    pub total_amount: Money,
    pub expires_on: Option<String>,
    pub maturity: Maturity,
}

fn entry_of(r: &bw_store::sqlx::any::AnyRow) -> Result<(Entry, bool, bool), ActionError> {
    let (start, end): (i64, i64) = (r.try_get(4)?, r.try_get(5)?);
    let total = Money::from_fen(r.try_get(6)?);
    let (kpis, docs): (i64, i64) = (r.try_get(9)?, r.try_get(10)?);
    let (start, end) = (i32::try_from(start).unwrap_or(0), i32::try_from(end).unwrap_or(0));
    let e = Entry {
        project_code: r.try_get(0)?,
        name: r.try_get(1)?,
        unit_code: r.try_get(2)?,
        status: r.try_get(3)?,
        start_year: start,
        end_year: end,
        total_amount: total,
        expires_on: r.try_get(7)?,
        maturity: budget::maturity(kpis > 0, total, start, end, docs > 0),
    };
    Ok((e, kpis > 0, docs > 0))
}

const SELECT: &str = "SELECT p.project_code, p.name, p.unit_code, p.status, p.start_year, p.end_year, p.total_amount, p.expires_on, 0, \
     (SELECT COUNT(*) FROM kpis k WHERE k.project_code = p.project_code), \
     (SELECT COUNT(*) FROM documents d WHERE d.kind = 'project_document' AND d.subject = p.project_code) FROM projects p";

/// Every project of the library with its maturity, by code.
pub async fn list(store: &Store) -> Result<Vec<Entry>, ActionError> {
    let q = format!("{SELECT} ORDER BY p.project_code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(q)).fetch_all(store.pool()).await?;
    rows.iter().map(|r| entry_of(r).map(|e| e.0)).collect()
}

/// Project `code`.
pub async fn project(store: &Store, code: &str) -> Result<Option<Entry>, ActionError> {
    let q = format!("{SELECT} WHERE p.project_code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(q)).bind(code.to_string()).fetch_optional(store.pool()).await?;
    row.as_ref().map(|r| entry_of(r).map(|e| e.0)).transpose()
}

/// Moves project `code` to tier `to` (only along the allowed steps).
pub async fn set_status(store: &Store, ctx: &Ctx, code: &str, to: ProjectStatus) -> Result<i64, ActionError> {
    let p = project(store, code)
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("no project {code} in the project library")))?;
    let from = ProjectStatus::parse(&p.status).map_err(ActionError::Invalid)?;
    budget::may_move(from, to).map_err(ActionError::Invalid)?;
    let data = registers::Entry::ProjectStatus(registers::ProjectStatus {
        project_code: code.into(),
        from: from.as_str().into(),
        to: to.as_str().into(),
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("project {code}: {} → {}", from.as_str(), to.as_str()));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(registers::project(&data, idx, &ctx.actor))).await
}

/// Retires every reserve project past its expiry date on `today` that no indicator uses
/// (each journaled); the codes retired.
pub async fn expire(store: &Store, ctx: &Ctx, today: Date) -> Result<Vec<String>, ActionError> {
    let mut out = Vec::new();
    for p in list(store).await? {
        let status = ProjectStatus::parse(&p.status).map_err(ActionError::Invalid)?;
        let expires = p.expires_on.as_deref().and_then(|d| Date::parse(d).ok());
        if !budget::expired(status, expires, today) {
            continue;
        }
        let used = sqlx::query("SELECT 1 FROM indicators WHERE project_code = $1 LIMIT 1")
            .bind(p.project_code.clone())
            .fetch_optional(store.pool())
            .await?;
        if used.is_some() {
            continue;
        }
        let c = Ctx {
            reason: Some(format!("reserve project expired on {}", p.expires_on.clone().unwrap_or_default())),
            ..ctx.clone()
        };
        set_status(store, &c, &p.project_code, ProjectStatus::Retired).await?;
        out.push(p.project_code);
    }
    Ok(out)
}

/// Each project's unit, by project code.
pub async fn units(store: &Store) -> Result<std::collections::HashMap<String, String>, ActionError> {
    let rows = sqlx::query("SELECT project_code, unit_code FROM projects").fetch_all(store.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Project `code`'s lines in the rolling plans, by plan year: (plan year, its three amounts).
pub async fn plans_of(store: &Store, code: &str) -> Result<Vec<(i32, [Money; 3])>, ActionError> {
    let rows = sqlx::query(
        "SELECT plan_year, year, amount FROM rolling_plans WHERE project_code = $1 ORDER BY plan_year, year",
    )
    .bind(code.to_string())
    .fetch_all(store.pool())
    .await?;
    let grouped = crate::performance::three_years(&rows, |_| Ok(()))?;
    Ok(grouped.into_iter().map(|(_, plan, amounts)| (plan, amounts)).collect())
}
