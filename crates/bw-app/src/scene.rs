//! The demo's budget scene: after the demo province's year is imported, the other half of
//! the loop played on it so that every page has something to show — KPIs, values reached
//! and evaluations of the year's projects (one self-evaluation 95 against a third party's
//! 62, the source document's case), departments' satisfaction surveys, the ranking
//! published, the rolling plan made, next year's cycle opened with the allocation proposal
//! as drafts, one unit's draft submitted for approval, and a risk register of one risk in
//! each category around the demo's unit, re-rated by the year's warnings. Every step is an ordinary
//! journaled action; the figures follow from the project codes, so a scene is the same for
//! the same data.

use bw_core::budget::{Mode, Stage};
use bw_core::performance::{Category, Direction, Kpi, Milli};
use bw_store::Store;

use crate::Ctx;
use crate::journal::ActionError;
use crate::performance::{self, Evaluator};

/// What the scene did.
#[derive(Clone, Debug, Default)]
pub struct Scene {
    pub projects_evaluated: usize,
    pub departments_ranked: usize,
    pub drafts: usize,
    pub submitted: Option<i64>,
    /// Risks in the register, and how many the year's warnings re-rated.
    pub risks: usize,
    pub risks_rerated: usize,
    /// Informal communications recorded by the unit's handler (one late).
    pub informal: usize,
    /// Journal entries the scene wrote, each an action of its own.
    pub entries: i64,
}

/// A small stable number from a code (FNV-1a), to vary the figures between projects.
fn spread(code: &str) -> u64 {
    code.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Plays the scene on `year`'s data; `submitter` (a unit handler of `unit`) submits that
/// unit's draft for `year + 1`. Each of `approvers` (user, password) gets a signing key
/// sealed under that password, so that they can decide from the pages.
pub async fn play(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    (unit, submitter): (&str, &str),
    approvers: &[(&str, &str)],
) -> Result<Scene, ActionError> {
    let mut scene = Scene::default();
    let before = store.journal_size().await?;
    for (user, password) in approvers {
        crate::approval::register_key(store, ctx, user, password).await?;
    }
    let results = performance::results(store, year).await?;
    // Shares of the output target reached, in per mille: most projects near or at target,
    // some short, a few far short — every grade appears.
    const REACHED: [i64; 8] = [1000, 1000, 980, 950, 900, 850, 700, 450];
    for (i, p) in results.projects.iter().enumerate() {
        let h = spread(&p.project_code);
        let target = 10 + (h % 40) as i64;
        let kpis = [
            kpi("Q1", "完成数量", Category::Quantity, Direction::AtLeast, target * 1000, 40),
            kpi("T1", "按期完成率(%)", Category::Timeliness, Direction::AtLeast, 100_000, 20),
            kpi("E1", "受益人数(人)", Category::Social, Direction::AtLeast, target * 100_000, 20),
            kpi("S1", "服务对象满意度(%)", Category::Satisfaction, Direction::AtLeast, 90_000, 20),
        ];
        performance::set_kpis(store, ctx, year, &p.project_code, &kpis).await?;
        let reached = REACHED[(h >> 8) as usize % REACHED.len()];
        let values = [
            ("Q1", target * reached),
            ("T1", 100 * reached),
            ("E1", target * 100 * reached),
            ("S1", 80_000 + (h % 15) as i64 * 1000),
        ];
        for (code, value) in values {
            performance::record_actual(store, ctx, year, &p.project_code, code, Milli(value)).await?;
        }
        // The unit's own evaluation, a little kinder than the KPIs.
        let own = (reached / 10 + 5).min(100) * 10;
        if i == 0 {
            // The source document's case: 95 by the unit, 62 by the third party.
            performance::evaluate(store, ctx, year, &p.project_code, Evaluator::SelfEvaluation, 950).await?;
            performance::evaluate(store, ctx, year, &p.project_code, Evaluator::ThirdParty, 620).await?;
        } else {
            performance::evaluate(store, ctx, year, &p.project_code, Evaluator::SelfEvaluation, own).await?;
            if i % 4 == 1 {
                let outside = own - (h % 80) as i64;
                performance::evaluate(store, ctx, year, &p.project_code, Evaluator::ThirdParty, outside).await?;
            }
        }
        scene.projects_evaluated += 1;
    }
    let mut departments: Vec<&str> = results.projects.iter().map(|p| p.department_code.as_str()).collect();
    departments.sort_unstable();
    departments.dedup();
    for (i, d) in departments.iter().enumerate().filter(|(_, d)| !d.is_empty()) {
        if i % 2 == 0 {
            let score = 700 + (spread(d) % 250) as i64;
            performance::record_satisfaction(store, ctx, year, d, score).await?;
        }
    }
    if !results.projects.is_empty() {
        scene.departments_ranked = performance::publish(store, ctx, year).await?.departments.len();
        performance::roll_plan(store, ctx, year).await?;
    }
    // Next year: the cycle opened, the proposal from the grades as drafts, one submitted.
    let next = year + 1;
    crate::budget::open_cycle(store, ctx, next, Mode::BottomUp).await?;
    crate::budget::advance(store, ctx, next, Stage::Preparation).await?;
    scene.drafts = performance::propose(store, ctx, year).await?.len();
    if crate::budget::versions(store, next, unit).await?.last().is_some() {
        let by = Ctx { actor: format!("user:{submitter}"), ..ctx.clone() };
        scene.submitted = Some(crate::budget::submit(store, &by, next, unit, false).await?);
    }
    (scene.risks, scene.risks_rerated) = risks(store, ctx, year, unit, approvers.first().map(|a| a.0)).await?;
    scene.informal = informal(store, ctx, year, unit, submitter).await?;
    scene.entries = store.journal_size().await? - before;
    Ok(scene)
}

/// Two informal communications the unit's handler records today about the unit's largest
/// indicator of `year`: a consultation two hours ago, and a pre-communication of the day
/// before yesterday, recorded late.
async fn informal(store: &Store, ctx: &Ctx, year: i32, unit: &str, handler: &str) -> Result<usize, ActionError> {
    use bw_core::informal::{Channel, Purpose, Record};
    let Some((indicator,)) = sqlx::query_as::<_, (String,)>(
        "SELECT indicator_code FROM indicators WHERE year = $1 AND unit_code = $2 ORDER BY amount DESC, indicator_code LIMIT 1",
    )
    .bind(year)
    .bind(unit)
    .fetch_optional(store.pool())
    .await?
    else {
        return Ok(0);
    };
    let by = Ctx { actor: format!("user:{handler}"), ..ctx.clone() };
    let talks = [
        (
            2 * 3600,
            Channel::Phone,
            Purpose::Consultation,
            "就该指标下半年用款计划的调整口径咨询主管部门，答复须按程序报批调剂申请。",
        ),
        (
            50 * 3600,
            Channel::Meeting,
            Purpose::PreCommunication,
            "与财政局业务处室预沟通设备更新项目的支出进度安排，正式意见以审批为准。",
        ),
    ];
    for (ago, channel, purpose, conclusion) in talks {
        let r = Record {
            occurred_at: bw_core::Timestamp(ctx.at.0 - ago),
            recorded_at: ctx.at,
            recorded_by: by.actor.clone(),
            channel,
            participants: vec!["单位经办人".into(), "主管部门财务科".into()],
            purpose,
            conclusion: conclusion.into(),
            year: Some(year),
            indicator_code: Some(indicator.clone()),
            project_code: None,
        };
        crate::informal::record(store, &by, r).await.map_err(|e| match e {
            crate::informal::RecordError::Action(a) => a,
            crate::informal::RecordError::Refused(r) => ActionError::Invalid(r.to_string()),
        })?;
    }
    Ok(talks.len())
}

/// One risk of each category on the demo unit, its department and its region, treated (one
/// accepted by an approver), then re-rated by the year's open warnings as a check would.
async fn risks(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    unit: &str,
    approver: Option<&str>,
) -> Result<(usize, usize), ActionError> {
    use bw_core::risk::{Action, Category as C, Rating, Response, Treatment};
    let org = crate::users::org_tree(store).await?;
    let path: Vec<(String, bw_core::org::OrgKind)> =
        org.ancestors(unit).iter().map(|n| (n.code.clone(), n.kind)).collect();
    let of = |k: bw_core::org::OrgKind| path.iter().find(|(_, kind)| *kind == k).map(|(c, _)| c.clone());
    let (Some(region), Some(department)) = (of(bw_core::org::OrgKind::Region), of(bw_core::org::OrgKind::Department))
    else {
        return Ok((0, 0));
    };
    let on = ctx.today;
    let rating = |likelihood, impact| Rating { likelihood, impact };
    let plan = [
        (
            C::Revenue,
            "region",
            region.clone(),
            "土地出让收入不及预期",
            "房地产市场下行",
            "政府性基金收入完成低于进度",
            "专项债还本付息和基建配套资金缺口",
            rating(3, 4),
            "国库科",
        ),
        (
            C::Expenditure,
            "unit",
            unit.to_string(),
            "项目支出进度滞后、资金沉淀",
            "项目前期准备不足",
            "年底突击支出或资金闲置",
            "预算执行率和绩效评价下降",
            rating(2, 3),
            "单位财务科",
        ),
        (
            C::External,
            "region",
            region,
            "地方政府债务集中到期",
            "前期专项债集中发行",
            "偿债高峰与财力增长放缓叠加",
            "债务率突破警戒线",
            rating(2, 5),
            "债务管理科",
        ),
        (
            C::Internal,
            "department",
            department,
            "预算执行监控人员不足",
            "编制紧张",
            "预警处理不及时",
            "整改超期、问题重复发生",
            rating(2, 2),
            "预算科",
        ),
    ];
    let mut ids = Vec::new();
    for (category, kind, code, title, cause, event, consequence, r, owner) in plan {
        let add = Action::Add {
            title: title.into(),
            category,
            scope_kind: kind.into(),
            scope_code: code,
            owner: owner.into(),
            cause: cause.into(),
            event: event.into(),
            consequence: consequence.into(),
            inherent: r,
            current: r,
            residual: r,
            on,
        };
        ids.push(crate::risk::take(store, ctx, add).await?);
    }
    let due = on.add_days(180);
    let treat = |id, treatment, what: &str, owner: &str| Action::Treat {
        id,
        treatment,
        responses: if what.is_empty() {
            vec![]
        } else {
            vec![Response { what: what.into(), owner: owner.into(), due }]
        },
        on,
    };
    for action in [
        treat(ids[0], Treatment::Reduce, "压减非刚性支出，盘活存量资金", "预算科"),
        treat(ids[2], Treatment::Share, "通过再融资债券平滑偿债高峰", "债务管理科"),
        treat(ids[3], Treatment::Accept, "", ""),
    ] {
        crate::risk::take(store, ctx, action).await?;
    }
    if let Some(approver) = approver {
        let accept = Action::Accept { id: ids[3], approver: approver.into(), until: on.add_days(365), on };
        crate::risk::take(store, ctx, accept).await?;
    }
    let end = bw_core::Date::from_ymd(year, 12, 31).ok_or_else(|| ActionError::Invalid(format!("no {year}-12-31")))?;
    let (rerated, _) = crate::risk::key_indicators(store, ctx, end).await?;
    Ok((ids.len(), rerated))
}

fn kpi(code: &str, name: &str, category: Category, direction: Direction, target: i64, weight: u32) -> Kpi {
    Kpi { code: code.into(), name: name.into(), category, direction, target: Milli(target), weight, actual: None }
}

/// The scene's figures in one line.
pub fn summary(s: &Scene, year: i32) -> String {
    let submitted = s.submitted.map(|i| format!(", item {i} in review")).unwrap_or_default();
    format!(
        "budget scene: {} projects evaluated for {year}, {} departments ranked and published, {} drafts for {} proposed{submitted}, {} risks in the register ({} re-rated by the year's warnings), {} informal communications recorded ({} journal entries)",
        s.projects_evaluated,
        s.departments_ranked,
        s.drafts,
        year + 1,
        s.risks,
        s.risks_rerated,
        s.informal,
        s.entries
    )
}
