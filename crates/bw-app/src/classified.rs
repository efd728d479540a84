//! Classified projects (涉密项目): the bureau marks a project classified, or lifts the mark
//! (journaled `project.classify` with `classified` true or false and the reason). The
//! server shows a classified project's indicators and payments only to callers of the
//! classified data class there; the public portal never shows them and counts them in a
//! line of their own.

use std::collections::HashSet;

use bw_store::Store;
use bw_store::sqlx::{self, Row};

use crate::Ctx;
use crate::journal::{ActionError, act_projected};
use bw_core::registers;

/// Marks project `code` classified (`true`) or lifts the mark (`false`).
pub async fn classify(store: &Store, ctx: &Ctx, code: &str, classified: bool) -> Result<i64, ActionError> {
    let exists = sqlx::query("SELECT 1 FROM projects WHERE project_code = $1")
        .bind(code.to_string())
        .fetch_optional(store.pool())
        .await?;
    if exists.is_none() {
        return Err(ActionError::Invalid(format!("no project {code} in the project library")));
    }
    let now = projects(store).await?.contains(code);
    if now == classified {
        let state = if classified { "already classified" } else { "not classified" };
        return Err(ActionError::Invalid(format!("project {code} is {state}")));
    }
    let data = registers::Entry::Classify(registers::Classify { project_code: code.into(), classified });
    let verb = if classified { "classify" } else { "declassify" };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{verb} project {code}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(registers::project(&data, idx, &ctx.actor))).await
}

/// The classified projects' codes.
pub async fn projects(store: &Store) -> Result<HashSet<String>, ActionError> {
    let rows = sqlx::query("SELECT project_code FROM classified_projects").fetch_all(store.pool()).await?;
    rows.iter().map(|r| r.try_get(0).map_err(ActionError::from)).collect()
}

/// The codes of the indicators (of any year) that belong to a classified project.
pub async fn indicators(store: &Store) -> Result<HashSet<String>, ActionError> {
    let rows = sqlx::query(
        "SELECT DISTINCT i.indicator_code FROM indicators i JOIN classified_projects c ON c.project_code = i.project_code",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|r| r.try_get(0).map_err(ActionError::from)).collect()
}
