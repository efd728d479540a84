//! The risk register's service: each change is one journaled action (`bw_core::risk::Action`)
//! applied by `Register::apply`, the same function `verify` replays, and the changed risks'
//! documents written to `risk_register`.

use bw_core::risk::{Action, Register, Risk, RiskError};
use bw_store::Store;
use bw_store::sqlx::Row as _;

use crate::Ctx;
use crate::journal::{ActionError, act};

/// The matrix's row in `risk_register` (journal indexes, the risks' ids, start at 0).
const MATRIX_ROW: i64 = -1;

fn decode(rows: Vec<(i64, String)>) -> Result<Register, ActionError> {
    let mut reg = Register::default();
    for (id, doc) in rows {
        let bad = |e: serde_json::Error| ActionError::Invalid(format!("risk_register row {id}: {e}"));
        if id == MATRIX_ROW {
            reg.matrix = serde_json::from_str(&doc).map_err(bad)?;
        } else {
            reg.risks.insert(id, serde_json::from_str::<Risk>(&doc).map_err(bad)?);
        }
    }
    Ok(reg)
}

/// The register as stored.
pub async fn load(store: &Store) -> Result<Register, ActionError> {
    let rows: Vec<(i64, String)> =
        bw_store::sqlx::query_as("SELECT id, doc FROM risk_register ORDER BY id").fetch_all(store.pool()).await?;
    decode(rows)
}

/// The stored rows an applied action changes: (id, document).
pub fn rows(reg: &Register, action: &Action, changed: &[i64]) -> Result<Vec<(i64, String)>, serde_json::Error> {
    let mut out = Vec::with_capacity(changed.len() + 1);
    if matches!(action, Action::Matrix { .. }) {
        out.push((MATRIX_ROW, serde_json::to_string(&reg.matrix)?));
    }
    for id in changed {
        if let Some(r) = reg.risks.get(id) {
            out.push((*id, serde_json::to_string(r)?));
        }
    }
    Ok(out)
}

impl From<TakeError> for ActionError {
    fn from(e: TakeError) -> ActionError {
        match e {
            TakeError::Action(a) => a,
            TakeError::Refused(r) => ActionError::Invalid(format!("{r} ({})", r.code())),
        }
    }
}

/// Why an action on the register was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    /// The register's own rule refused it (nothing was written).
    #[error("{0} ({code})", code = .0.code())]
    Refused(RiskError),
    #[error(transparent)]
    Action(#[from] ActionError),
}

/// Takes `action`: checked against the register first (a refusal writes nothing), then
/// journaled and applied. The entry's journal index (a new risk's id).
pub async fn take(store: &Store, ctx: &Ctx, action: Action) -> Result<i64, TakeError> {
    // Refused before anything is written; applied again inside the transaction below.
    let mut before = load(store).await?;
    let reg_title = match &action {
        Action::Materialise { id, .. } => before.risks.get(id).map(|r| r.title.clone()),
        _ => None,
    };
    before.apply(&action, i64::MAX).map_err(TakeError::Refused)?;
    let reason = ctx.reason.clone().unwrap_or_else(|| action.name().to_string());
    let name = action.name();
    let action_copy = action.clone();
    let data = action.clone();
    let idx = act(store, ctx, name, &reason, &data, async move |tx, idx| {
        // Read again inside the write transaction: the register as the entry finds it.
        let stored =
            bw_store::sqlx::query("SELECT id, doc FROM risk_register ORDER BY id").fetch_all(&mut **tx).await?;
        let stored: Vec<(i64, String)> =
            stored.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, bw_store::sqlx::Error>>()?;
        let mut reg = decode(stored)?;
        let changed = reg.apply(&action, idx).map_err(|e| ActionError::Invalid(format!("{} ({})", e, e.code())))?;
        let rows = rows(&reg, &action, &changed).map_err(|e| ActionError::Invalid(e.to_string()))?;
        for (id, doc) in rows {
            bw_store::sqlx::query(
                "INSERT INTO risk_register (id, doc, journal_idx) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, journal_idx = excluded.journal_idx",
            )
            .bind(id)
            .bind(doc)
            .bind(idx)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    })
    .await?;
    if let Action::Materialise { id, note, .. } = &action_copy {
        // The event has happened: the graded response begins with an emergency case.
        let title = reg_title.unwrap_or_default();
        crate::emergency::open(store, ctx, &format!("risk {id}"), None, &format!("风险事件发生：{title}（{note}）"))
            .await?;
    }
    Ok(idx)
}

/// The key risk indicators a check computes from the system's own figures, and the
/// assessments they call for: the open warnings by level in each risk's scope (its unit, or
/// the units under its department or region) raise its current likelihood
/// (`bw_core::risk::warning_floor`), journaled as `risk.assess` with the counts as evidence.
/// The number of risks re-rated.
pub async fn key_indicators(store: &Store, ctx: &Ctx, as_of: bw_core::Date) -> Result<usize, TakeError> {
    let reg = load(store).await?;
    if reg.risks.is_empty() {
        return Ok(0);
    }
    let org = crate::users::org_tree(store).await?;
    let open: Vec<(Option<String>, Option<String>, String)> = bw_store::sqlx::query_as(
        "SELECT unit_code, region_code, level FROM warnings \
         WHERE year = $1 AND state NOT IN ('closed', 'dismissed', 'withdrawn', 'archived')",
    )
    .bind(as_of.year())
    .fetch_all(store.pool())
    .await
    .map_err(ActionError::from)?;
    let mut rerated = 0;
    for risk in reg.risks.values() {
        if !matches!(risk.scope_kind.as_str(), "region" | "department" | "unit") {
            continue;
        }
        let (mut red, mut orange) = (0, 0);
        for (unit, region, level) in &open {
            let inside = match (unit, region) {
                (Some(u), _) => org.ancestors(u).iter().any(|n| n.code == risk.scope_code),
                (None, Some(r)) => r == &risk.scope_code,
                (None, None) => false,
            };
            match (inside, level.as_str()) {
                (true, "red") => red += 1,
                (true, "orange") => orange += 1,
                _ => {}
            }
        }
        let Some(current) = bw_core::risk::raised(risk.current, bw_core::risk::warning_floor(red, orange)) else {
            continue;
        };
        let evidence = format!("关键风险指标：截至 {as_of}，本范围未关闭的红色预警 {red} 条、橙色预警 {orange} 条");
        take(store, ctx, Action::Assess { id: risk.id, current, residual: None, evidence, on: as_of }).await?;
        rerated += 1;
    }
    Ok(rerated)
}
