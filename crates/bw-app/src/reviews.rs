//! Post-incident reviews (复盘) and the case knowledge base (案例库), the service side of
//! `bw_core::review`: every action journaled and applied by `Reviews::apply` (which `verify`
//! applies too), each review kept as its document (`reviews`); reviews opened by the daily
//! check for each emergency case closed, red warning archived and special audit concluded;
//! an improvement plan's criteria computed from the warnings at acceptance; the cases —
//! reviews and archived warnings with their explanations and rectifications — searched by
//! their segmented words (BM25), the most similar shown beside a new warning, and the same
//! unit's same cause within three years flagged (屡审屡犯) and counted in its risk score.

use std::collections::HashMap;

use bw_core::Date;
use bw_core::review::{Action, Cause, Review, ReviewError, Reviews};
use bw_store::Store;
use bw_store::sqlx::{self, Row};

use crate::Ctx;
use crate::journal::ActionError;

pub type TakeError = crate::journal::TakeError<ReviewError>;

fn invalid(e: impl std::fmt::Display) -> ActionError {
    ActionError::Invalid(e.to_string())
}

pub async fn load(store: &Store) -> Result<Reviews, ActionError> {
    let mut conn = store.pool().acquire().await?;
    load_in(&mut conn).await
}

async fn load_in(conn: &mut sqlx::AnyConnection) -> Result<Reviews, ActionError> {
    let all: Vec<Review> = crate::journal::load_docs(conn, "reviews").await?;
    Ok(Reviews { reviews: all.into_iter().map(|r| (r.id, r)).collect() })
}

/// Takes `actions` in one transaction, one entry each, checked on the reviews as stored; a
/// refusal takes none. The entries' indexes.
pub async fn take_all(store: &Store, ctx: &Ctx, actions: Vec<Action>) -> Result<Vec<i64>, TakeError> {
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    let (mut tx, size) = store.begin_write().await.map_err(ActionError::from)?;
    let mut reviews = load_in(&mut tx).await?;
    let mut journal = bw_store::JournalWriter::new(size, store, ctx.at);
    let mut out = Vec::with_capacity(actions.len());
    for action in &actions {
        let reason = ctx.reason.clone().unwrap_or_else(|| action.kind().to_string());
        let header =
            bw_ledger::Header { action: action.kind(), actor: &ctx.actor, at: ctx.at, reason: &reason, batch: None };
        let idx = size + out.len() as i64;
        let id = reviews.apply(action, idx, &ctx.actor).map_err(TakeError::Refused)?;
        journal.append(bw_ledger::encode(&header, action).map_err(invalid)?);
        let doc = serde_json::to_string(&reviews.reviews[&id]).map_err(invalid)?;
        crate::journal::put_doc(&mut tx, "reviews", id, doc, idx).await?;
        out.push(idx);
    }
    journal.finish(&mut tx).await.map_err(ActionError::from)?;
    tx.commit().await.map_err(ActionError::from)?;
    Ok(out)
}

pub async fn take(store: &Store, ctx: &Ctx, action: Action) -> Result<i64, TakeError> {
    Ok(take_all(store, ctx, vec![action]).await?[0])
}

fn level_rank(level: &str) -> u8 {
    match level {
        "red" => 4,
        "orange" => 3,
        "yellow" => 2,
        "blue" => 1,
        _ => 0,
    }
}

/// What each plan item's criterion computes: the warnings of its rule at its level or above on
/// its unit raised in its period.
pub async fn criteria_values(store: &Store, review: &Review) -> Result<Vec<(u32, i64)>, ActionError> {
    let mut out = Vec::new();
    for it in &review.plan {
        let c = &it.criterion;
        let rows = sqlx::query(
            "SELECT level FROM warnings WHERE rule = $1 AND unit_code = $2 AND raised_on >= $3 AND raised_on <= $4",
        )
        .bind(c.rule.clone())
        .bind(c.unit_code.clone())
        .bind(c.from.to_string())
        .bind(c.to.to_string())
        .fetch_all(store.pool())
        .await?;
        let mut n = 0;
        for r in rows {
            if level_rank(&r.try_get::<String, _>(0)?) >= level_rank(&c.min_level) {
                n += 1;
            }
        }
        out.push((it.number, n));
    }
    Ok(out)
}

/// The audit role's acceptance of review `id`'s plan on `on`, with the values the system
/// computes.
pub async fn accept(store: &Store, ctx: &Ctx, id: i64, on: Date) -> Result<(i64, Vec<(u32, i64)>), TakeError> {
    let reviews = load(store).await?;
    let review = reviews.reviews.get(&id).ok_or(TakeError::Refused(ReviewError::NoReview(id)))?;
    let values = criteria_values(store, review).await?;
    let idx = take(store, ctx, Action::Accept { id, on, values: values.clone() }).await?;
    Ok((idx, values))
}

/// The daily check's part: a review opened for each emergency case closed, each red warning
/// archived and each special audit concluded that has none yet. How many were opened.
pub async fn open_due(store: &Store, ctx: &Ctx, on: Date) -> Result<usize, TakeError> {
    let reviews = load(store).await?;
    let have: std::collections::HashSet<String> = reviews.reviews.values().map(|r| r.source.clone()).collect();
    let mut actions = Vec::new();
    let pool = store.pool();
    for r in sqlx::query(
        "SELECT e.id, e.title, COALESCE(w.unit_code, w.region_code, '') FROM emergencies e \
         LEFT JOIN warnings w ON w.id = e.warning_id WHERE e.state = 'closed' ORDER BY e.id",
    )
    .fetch_all(pool)
    .await?
    {
        let (id, title, unit): (i64, String, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        actions.push((format!("emergency:{id}"), unit, format!("应急处置复盘：{title}")));
    }
    for r in sqlx::query(
        "SELECT id, rule, COALESCE(unit_code, region_code, '') FROM warnings WHERE state = 'archived' AND level = 'red' ORDER BY id",
    )
    .fetch_all(pool)
    .await?
    {
        let (id, rule, unit): (i64, String, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let name = bw_rules::Rule::parse(&rule).map(|r| r.zh()).unwrap_or(rule.as_str()).to_string();
        actions.push((format!("warning:{id}"), unit, format!("红色预警复盘：{name}")));
    }
    for r in sqlx::query("SELECT id, unit_code, year FROM audit_cases WHERE state <> 'open' ORDER BY id")
        .fetch_all(pool)
        .await?
    {
        let (id, unit, year): (i64, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        actions.push((format!("audit:{id}"), unit, format!("{year}年专项审计复盘")));
    }
    let open: Vec<Action> = actions
        .into_iter()
        .filter(|(source, unit, _)| !have.contains(source) && !unit.is_empty())
        .map(|(source, unit_code, title)| Action::Open { source, unit_code, title, on })
        .collect();
    let n = open.len();
    take_all(store, ctx, open).await?;
    Ok(n)
}

/// A case of the knowledge base.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Case {
    /// `review:ID` or `warning:ID`.
    pub key: String,
    pub kind: &'static str,
    pub id: i64,
    /// An imported review's own reference.
    pub reference: Option<String>,
    pub unit_code: String,
    pub title: String,
    pub text: String,
    pub causes: Vec<Cause>,
    pub on: Date,
    /// Its lessons not yet accepted (a review's plan open).
    pub lessons_open: bool,
}

/// Every case: the reviews with their causes, and the warnings archived (a cause from their
/// rule, their explanation and rectification from their steps).
pub async fn cases(store: &Store) -> Result<Vec<Case>, ActionError> {
    let mut out = Vec::new();
    for r in load(store).await?.reviews.into_values() {
        if r.causes.is_empty() {
            continue;
        }
        let causes: Vec<&str> = r.causes.iter().map(|c| c.zh()).collect();
        out.push(Case {
            key: format!("review:{}", r.id),
            kind: "review",
            id: r.id,
            reference: r.reference.clone(),
            unit_code: r.unit_code.clone(),
            title: r.title.clone(),
            text: format!("{}\n{}\n{}", r.happened, causes.join("、"), r.lessons),
            causes: r.causes.clone(),
            on: r.opened_on,
            lessons_open: r.lessons_open(),
        });
    }
    let pool = store.pool();
    let mut notes: HashMap<i64, String> = HashMap::new();
    for r in sqlx::query(
        "SELECT e.warning_id, e.note FROM warning_events e JOIN warnings w ON w.id = e.warning_id \
         WHERE w.state IN ('archived', 'closed') ORDER BY e.journal_idx",
    )
    .fetch_all(pool)
    .await?
    {
        let (id, note): (i64, String) = (r.try_get(0)?, r.try_get(1)?);
        let n = notes.entry(id).or_default();
        n.push('\n');
        n.push_str(&note);
    }
    for r in sqlx::query(
        "SELECT id, rule, COALESCE(unit_code, region_code, ''), raised_on, evidence FROM warnings \
         WHERE state IN ('archived', 'closed') ORDER BY id",
    )
    .fetch_all(pool)
    .await?
    {
        let (id, rule, unit, raised, evidence): (i64, String, String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
        let Ok(on) = Date::parse(&raised) else { continue };
        let name = bw_rules::Rule::parse(&rule).map(|r| r.zh()).unwrap_or(rule.as_str()).to_string();
        out.push(Case {
            key: format!("warning:{id}"),
            kind: "warning",
            id,
            reference: None,
            unit_code: unit,
            title: format!("预警：{name}"),
            text: format!("{name}\n{evidence}{}", notes.get(&id).cloned().unwrap_or_default()),
            causes: vec![Cause::for_rule(&rule)],
            on,
            lessons_open: false,
        });
    }
    Ok(out)
}

/// The segmented words of a text that carry meaning (punctuation and single characters out).
fn words(text: &str) -> Vec<String> {
    bw_audit::text::segment(text)
        .into_iter()
        .filter(|w| w.chars().count() > 1 && w.chars().any(char::is_alphanumeric))
        .collect()
}

/// The cases ranked by BM25 against `query` (k1 1.2, b 0.75) over their titles, texts and
/// causes, best first; ties by the newer case. (case index, score), only those that share a
/// word with the query.
pub fn search(cases: &[Case], query: &str, limit: usize) -> Vec<(usize, f64)> {
    let docs: Vec<Vec<String>> = cases
        .iter()
        .map(|c| {
            let causes: Vec<&str> = c.causes.iter().map(|x| x.zh()).collect();
            words(&format!("{}\n{}\n{}", c.title, c.text, causes.join(" ")))
        })
        .collect();
    let q = words(query);
    if docs.is_empty() || q.is_empty() {
        return Vec::new();
    }
    let n = docs.len() as f64;
    let avg = docs.iter().map(Vec::len).sum::<usize>() as f64 / n;
    let mut df: HashMap<&str, usize> = HashMap::new();
    for d in &docs {
        let mut seen: Vec<&str> = d.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *df.entry(w).or_default() += 1;
        }
    }
    let mut scored: Vec<(usize, f64)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let len = d.len() as f64;
            let score: f64 = q
                .iter()
                .map(|w| {
                    let tf = d.iter().filter(|x| *x == w).count() as f64;
                    if tf == 0.0 {
                        return 0.0;
                    }
                    let f = df.get(w.as_str()).copied().unwrap_or(0) as f64;
                    let idf = ((n - f + 0.5) / (f + 0.5) + 1.0).ln();
                    idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len / avg.max(1.0)))
                })
                .sum();
            (i, score)
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(cases[b.0].on.cmp(&cases[a.0].on)).then(a.0.cmp(&b.0)));
    scored.truncate(limit);
    scored
}

/// A repeat (屡审屡犯): a case of a unit and a cause with the same unit's latest earlier case
/// of that cause no more than three years before.
#[derive(Clone, Debug, serde::Serialize, PartialEq, Eq)]
pub struct Repeat {
    pub unit_code: String,
    pub cause: Cause,
    pub case: String,
    pub earlier: String,
    pub case_reference: Option<String>,
    pub earlier_reference: Option<String>,
}

/// Every repeat among `cases`, cause by cause.
pub fn repeats(cases: &[Case]) -> Vec<Repeat> {
    let mut flat = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        for cause in &c.causes {
            flat.push((i, *cause));
        }
    }
    let mut out = Vec::new();
    for cause in Cause::ALL {
        let these: Vec<bw_core::review::Case> = flat
            .iter()
            .filter(|(_, c)| *c == cause)
            .map(|(i, _)| bw_core::review::Case {
                id: *i as i64,
                unit: cases[*i].unit_code.clone(),
                cause: cause.id().into(),
                on: cases[*i].on,
            })
            .collect();
        for (a, b) in bw_core::review::repeats(&these) {
            let (c, e) = (&cases[a as usize], &cases[b as usize]);
            out.push(Repeat {
                unit_code: c.unit_code.clone(),
                cause,
                case: c.key.clone(),
                earlier: e.key.clone(),
                case_reference: c.reference.clone(),
                earlier_reference: e.reference.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.unit_code.cmp(&b.unit_code).then(a.case.cmp(&b.case)));
    out
}

/// The text a warning is searched for similar cases with: its rule and evidence.
pub async fn similar_to_warning(store: &Store, warning: i64, limit: usize) -> Result<Vec<Case>, ActionError> {
    let Some(r) = sqlx::query("SELECT rule, evidence FROM warnings WHERE id = $1")
        .bind(warning)
        .fetch_optional(store.pool())
        .await?
    else {
        return Ok(Vec::new());
    };
    let (rule, evidence): (String, String) = (r.try_get(0)?, r.try_get(1)?);
    let name = bw_rules::Rule::parse(&rule).map(|r| r.zh()).unwrap_or(rule.as_str()).to_string();
    let cause = Cause::for_rule(&rule).zh();
    let all = cases(store).await?;
    let key = format!("warning:{warning}");
    Ok(search(&all, &format!("{name} {cause} {evidence}"), limit + 1)
        .into_iter()
        .filter(|(i, _)| all[*i].key != key)
        .take(limit)
        .map(|(i, _)| all[i].clone())
        .collect())
}

/// The unit's lessons still open (reviews whose plan is not accepted), for budget drafting.
pub async fn open_lessons(store: &Store, unit: &str) -> Result<Vec<Review>, ActionError> {
    Ok(load(store)
        .await?
        .reviews
        .into_values()
        .filter(|r| r.unit_code == unit && r.lessons_open() && !r.lessons.is_empty())
        .collect())
}

/// A review's report as a PDF table: its facts, what happened, causes, lessons, each plan
/// item with its criterion, and each acceptance.
pub fn report_pdf(r: &Review, unit: &str, font: &[u8], index: u32) -> Result<Vec<u8>, bw_pdf::PdfError> {
    use bw_pdf::{Align, Column, Row, Table};
    let col = |h: &str, w: f32| Column { header: h.to_string(), weight: w, align: Align::Left };
    let row = |k: &str, v: String| Row { cells: vec![k.to_string(), v], strong: false };
    let causes: Vec<&str> = r.causes.iter().map(|c| c.zh()).collect();
    let mut rows = vec![
        row("来源", format!("{}{}", r.source, r.reference.as_deref().map(|x| format!(" · {x}")).unwrap_or_default())),
        row("单位", unit.to_string()),
        row("开启日期", r.opened_on.to_string()),
        row("状态", r.state.zh().to_string()),
        row("经过", r.happened.clone()),
        row("原因分类", causes.join("、")),
        row("教训", r.lessons.clone()),
    ];
    if let Some(a) = r.approved_on {
        let (from, to) = bw_core::review::acceptance_window(a);
        rows.push(row("整改计划批准", format!("{a}（验收期间 {from} 至 {to}）")));
    }
    for it in &r.plan {
        let c = &it.criterion;
        rows.push(Row {
            cells: vec![
                format!("整改事项 {}", it.number),
                format!(
                    "{}（责任人 {}，期限 {}；验收标准：{} {} 至 {} 无 {} 级及以上 {} 预警）",
                    it.text, it.owner, it.due, c.unit_code, c.from, c.to, c.min_level, c.rule
                ),
            ],
            strong: true,
        });
    }
    for a in &r.acceptances {
        let values: Vec<String> = a.values.iter().map(|(n, v)| format!("事项{n}：{v}")).collect();
        rows.push(row(
            "验收",
            format!(
                "{} {} {}（{}）",
                a.on,
                a.by,
                if a.pass { "通过" } else { "未通过，计划重新修订" },
                values.join("；")
            ),
        ));
    }
    let table = Table {
        title: format!("{} 复盘报告", r.title),
        subtitle: format!("复盘 {} · {}", r.id, unit),
        columns: vec![col("项目", 1.5), col("内容", 10.0)],
        rows,
        footer: format!("budgetwatch · 复盘 {}", r.id),
    };
    bw_pdf::table_pdf(font, index, &table)
}
