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
    /// The contract given a milestone plan, and its payments the milestones hold.
    pub milestone_contract: Option<String>,
    pub milestone_held: usize,
    /// Meetings scheduled (the year's monthly analysis meetings and the fourth quarter's
    /// joint supervision), and action items their minutes opened.
    pub meetings: usize,
    pub action_items: usize,
    /// The review opened on the unit's year, its improvement plan approved.
    pub review: Option<i64>,
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
    (scene.milestone_contract, scene.milestone_held) = milestones(store, ctx, year, unit, approvers).await?;
    (scene.meetings, scene.action_items) = meetings(store, ctx, year, approvers).await?;
    scene.review = review(store, ctx, year, unit).await?;
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
        "budget scene: {} projects evaluated for {year}, {} departments ranked and published, {} drafts for {} proposed{submitted}, {} risks in the register ({} re-rated by the year's warnings), {} informal communications recorded, {} meetings with {} action items, {} ({} journal entries)",
        s.projects_evaluated,
        s.departments_ranked,
        s.drafts,
        year + 1,
        s.risks,
        s.risks_rerated,
        s.informal,
        s.meetings,
        s.action_items,
        match &s.milestone_contract {
            Some(c) => format!("contract {c} paid by its milestones ({} payment held)", s.milestone_held),
            None => "no contract for a milestone plan".into(),
        },
        s.entries
    )
}

/// The year's monthly analysis meetings (月度分析会): each on the 10th of the next month at
/// 09:00, chaired by the bureau head with the bureau's and the department's reviewers. Those
/// reviewing January to November were held: the pack made, the minutes taken and signed; the
/// March review asks a department to speed up spending (done after the April meeting and
/// verified), the October review asks for the overdue rectifications to be checked (left
/// open: carried to every later pack). The December review is invited with its pack made,
/// not yet held; a joint supervision meeting (联席会议) on the fourth quarter is scheduled.
async fn meetings(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    approvers: &[(&str, &str)],
) -> Result<(usize, usize), ActionError> {
    use crate::meetings::{self, TakeError};
    use bw_core::meeting::{Action, Kind, Minute, Outcome};
    let take_err = TakeError::into_action;
    let (chair, finance, department, audit) =
        ("bureau-head", "bureau-reviewer", "department-reviewer", "audit-discipline");
    let Some(password) = approvers.iter().find(|a| a.0 == chair).map(|a| a.1) else { return Ok((0, 0)) };
    let signer = crate::approval::unlock(store, chair, password).await?;
    let tz = crate::zone::installation(store).await?;
    let at = |y: i32, m: u32, d: u32| {
        crate::zone::parse_local(&tz, &format!("{y:04}-{m:02}-{d:02}T09:00")).unwrap_or(bw_core::Timestamp(0))
    };
    let mut schedule = Vec::new();
    for month in 1..=12u32 {
        let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        let start = at(y, m, 10);
        schedule.push((
            Action::Schedule {
                kind: Kind::MonthlyAnalysis,
                title: format!("{year}年{month}月预算执行分析会"),
                starts_at: start,
                ends_at: bw_core::Timestamp(start.0 + 2 * 3600),
                location: "财政局三楼会议室".into(),
                period: format!("{year}-{month:02}"),
                chair: chair.into(),
                required_roles: Kind::MonthlyAnalysis.default_roles().iter().map(|r| r.to_string()).collect(),
                series: (month > 1).then_some(-1),
            },
            None,
        ));
    }
    let start = at(year + 1, 1, 15);
    schedule.push((
        Action::Schedule {
            kind: Kind::JointSupervision,
            title: format!("{year}年第四季度财政审计纪检联席会议"),
            starts_at: start,
            ends_at: bw_core::Timestamp(start.0 + 3 * 3600),
            location: "财政局一楼会议室".into(),
            period: format!("{year}-Q4"),
            chair: chair.into(),
            required_roles: Kind::JointSupervision.default_roles().iter().map(|r| r.to_string()).collect(),
            series: None,
        },
        None,
    ));
    let ids = meetings::take_all(store, ctx, schedule, None).await.map_err(take_err)?;
    let mut invitees = Vec::new();
    for u in [chair, finance, department] {
        invitees.push(meetings::invitee(store, u, ctx.today).await?);
    }
    let joint = {
        let mut v = vec![invitees[0].clone(), invitees[1].clone()];
        v.push(meetings::invitee(store, audit, ctx.today).await?);
        v
    };
    let invite: Vec<(Action, Option<serde_json::Value>)> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let who = if k == 12 { joint.clone() } else { invitees.clone() };
            (Action::Invite { id: *id, invitees: who }, None)
        })
        .collect();
    meetings::take_all(store, ctx, invite, None).await.map_err(take_err)?;
    let as_user = |u: &str| Ctx { actor: format!("user:{u}"), ..ctx.clone() };
    let mut opened = 0;
    let mut march_item = None;
    for (k, id) in ids.iter().enumerate() {
        let month = k as u32 + 1;
        if month == 5
            && let Some(item) = march_item
        {
            let done = Action::Done {
                item,
                evidence: vec![bw_ledger::hex(&bw_ledger::sha256(b"march-progress-report"))],
                text: "已约谈相关单位，4月支出进度提高至时序进度".into(),
            };
            meetings::take(store, &as_user(department), done).await.map_err(take_err)?;
            let check = Action::Check { item, pass: true, text: "核实属实，办结".into() };
            meetings::take(store, &as_user(finance), check).await.map_err(take_err)?;
        }
        let (_, pack, _) = meetings::make_pack(store, ctx, *id).await.map_err(take_err)?;
        if month >= 12 {
            continue;
        }
        let hold = Action::Hold { id: *id, present: vec![chair.into(), finance.into(), department.into()] };
        meetings::take(store, ctx, hold).await.map_err(take_err)?;
        let day = at(if month == 12 { year + 1 } else { year }, month + 1, 10).date();
        let minutes: Vec<Minute> = meetings::agenda(&pack)
            .into_iter()
            .map(|a| {
                let outcome = match (month, a.source.as_str()) {
                    (3, "execution") => Outcome::Action {
                        title: "督促支出进度滞后的部门加快执行".into(),
                        owner: department.into(),
                        follower: finance.into(),
                        due: day.add_days(20),
                        link_kind: None,
                        link_code: None,
                    },
                    (10, "warnings") => Outcome::Action {
                        title: "逐项核实逾期未整改的预警并督促整改".into(),
                        owner: department.into(),
                        follower: finance.into(),
                        due: day.add_days(18),
                        link_kind: None,
                        link_code: None,
                    },
                    (_, "execution") => Outcome::Decision {
                        result: "通过".into(),
                        resolution: format!(
                            "听取{}预算执行情况汇报，执行率{}‰",
                            pack.period, pack.execution.rate_permille
                        ),
                    },
                    (_, s) if s.starts_with("action:") => Outcome::Information { note: "继续督办".into() },
                    _ => Outcome::Information { note: String::new() },
                };
                Minute { number: a.number, outcome }
            })
            .collect();
        meetings::take(store, ctx, Action::Minutes { id: *id, minutes }).await.map_err(take_err)?;
        meetings::approve(store, &as_user(chair), &signer, *id).await.map_err(take_err)?;
        if month == 3 || month == 10 {
            opened += 1;
            if month == 3 {
                let board = meetings::load(store).await?;
                march_item = board.items.values().find(|i| i.meeting == *id).map(|i| i.id);
            }
        }
    }
    Ok((ids.len(), opened))
}

/// The largest contract of the demo unit's department given a milestone plan (合同里程碑):
/// a 30 % advance, the main works pro-rata (40 %), the completion (27 %) after it and the 3 %
/// retention after that, verified by the department's and the bureau's reviewers. The year's
/// payments on it had run ahead of the plan (it came late, as plans do); the main works and
/// the completion are claimed by the unit's handler and verified with the reviewers' signed
/// opinions, which brings what is releasable above what was paid; the balance then paid in
/// December is held (`milestone_not_verified`): the retention waits for its own
/// verification. Returns the contract and the payments held.
async fn milestones(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    unit: &str,
    approvers: &[(&str, &str)],
) -> Result<(Option<String>, usize), ActionError> {
    use bw_store::sqlx::{self, Row};
    let (finance, department, handler) = ("bureau-reviewer", "department-reviewer", "unit-handler");
    let password = |u: &str| approvers.iter().find(|a| a.0 == u).map(|a| a.1);
    let (Some(fp), Some(dp)) = (password(finance), password(department)) else { return Ok((None, 0)) };
    // The department's largest contract paid no more than the plan will release; else the
    // province's, verified by the bureau's reviewer and head.
    let pick = |same_department: bool| {
        let sql = format!(
            "SELECT c.contract_no, c.unit_code, c.indicator_code, c.supplier_name, c.supplier_account, c.amount, c.paid \
             FROM contracts c JOIN units u ON u.code = c.unit_code \
             WHERE c.status = 'open' AND c.year = $1 AND c.paid * 100 <= c.amount * 97 {} \
             ORDER BY c.amount DESC, c.contract_no LIMIT 1",
            if same_department {
                "AND u.department_code = (SELECT department_code FROM units WHERE code = $2)"
            } else {
                "AND $2 <> ''"
            }
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(year)).bind(unit.to_string()).fetch_optional(store.pool())
    };
    let (row, verifiers, second) = match pick(true).await? {
        Some(r) => (r, "department_reviewer;bureau_reviewer", (department, dp)),
        None => match (pick(false).await?, password("bureau-head")) {
            (Some(r), Some(hp)) => (r, "bureau_reviewer;bureau_head", ("bureau-head", hp)),
            _ => return Ok((None, 0)),
        },
    };
    let (no, owner, indicator, supplier, account): (String, String, String, String, String) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?, row.try_get(4)?);
    let (amount, paid): (i64, i64) = (row.try_get(5)?, row.try_get(6)?);
    let plan: Vec<Vec<String>> = [
        ["1", "预付款", "advance", "300", "合同签订后支付预付款", "", "", "false", &format!("{year}-02-28"), ""],
        [
            "2",
            "主体工程进度款",
            "progress",
            "400",
            "主体工程按监理确认的完成比例支付",
            verifiers,
            "",
            "true",
            &format!("{year}-09-30"),
            "",
        ],
        [
            "3",
            "竣工验收款",
            "completion",
            "270",
            "竣工验收合格并完成移交",
            verifiers,
            "2",
            "false",
            &format!("{year}-12-20"),
            "",
        ],
        [
            "4",
            "质保金",
            "retention",
            "30",
            "质保期满无质量缺陷",
            verifiers,
            "3",
            "false",
            &format!("{}-12-31", year + 1),
            "365",
        ],
    ]
    .iter()
    .map(|r| {
        let mut v = vec![no.clone(), r[0].into(), r[1].into(), r[2].into(), String::new(), r[3].into()];
        v.extend(r[4..].iter().map(|x| x.to_string()));
        v
    })
    .collect();
    let header = bw_core::template::Kind::ContractMilestones.columns().iter().map(|c| c.name.to_string()).collect();
    let opts = crate::import::ImportOptions::default();
    let bad = |e: crate::import::ImportError| ActionError::Invalid(e.to_string());
    crate::import::import_rows(
        store,
        ctx,
        bw_core::template::Kind::ContractMilestones,
        "contract_milestones.csv",
        header,
        plan,
        &opts,
    )
    .await
    .map_err(bad)?;
    let refused = |e: crate::milestones::MilestoneActionError| ActionError::Invalid(e.to_string());
    let by = |u: &str| Ctx { actor: format!("user:{u}"), ..ctx.clone() };
    let report = bw_ledger::hex(&bw_ledger::sha256(format!("{no} 监理验收报告").as_bytes()));
    for seq in [2, 3] {
        crate::milestones::submit(store, &by(handler), &no, seq, 1000, vec![report.clone()]).await.map_err(refused)?;
        for (user, pw) in [second, (finance, fp)] {
            let signer = crate::approval::unlock(store, user, pw).await?;
            let roles = crate::milestones::roles_at_unit(store, user, &owner, ctx.today).await?;
            crate::milestones::verify(store, &by(user), &signer, &no, seq, &roles, "经现场核查，符合验收标准")
                .await
                .map_err(refused)?;
        }
    }
    // The balance, paid in December: beyond the 97 % released, held for the retention.
    let rest = amount - paid;
    if rest <= 0 {
        return Ok((Some(no), 0));
    }
    // The template's columns in order; the invoice and the voucher reversed left empty.
    let header: Vec<String> = bw_core::template::Kind::Payments.columns().iter().map(|c| c.name.to_string()).collect();
    let economic: String =
        sqlx::query_scalar("SELECT economic_code FROM indicators WHERE year = $1 AND indicator_code = $2")
            .bind(i64::from(year))
            .bind(indicator.clone())
            .fetch_one(store.pool())
            .await?;
    let row = vec![
        format!("{no}-QB"),
        format!("{year}-12-18"),
        owner,
        indicator,
        economic,
        supplier,
        account,
        "company".into(),
        bw_core::Money::from_fen(rest).to_string(),
        "工程尾款及质保金".into(),
        String::new(),
        no.clone(),
        String::new(),
    ];
    let r = crate::import::import_rows(
        store,
        ctx,
        bw_core::template::Kind::Payments,
        "milestone-payment.csv",
        header,
        vec![row],
        &opts,
    )
    .await
    .map_err(bad)?;
    Ok((Some(no), r.milestone_held.len()))
}

/// A review (复盘) of the unit's year opened by finance: what happened, its causes and
/// lessons, an improvement plan whose criterion the system computes (no over-budget warning
/// of orange or above in the next half year), approved today — so budget drafting shows the
/// unit's open lessons and the audit role may accept it 3 to 6 months on.
async fn review(store: &Store, ctx: &Ctx, year: i32, unit: &str) -> Result<Option<i64>, ActionError> {
    use bw_core::review::{Action, Cause, Criterion, PlanItem};
    let bad = crate::reviews::TakeError::into_action;
    let on = ctx.today;
    let id = crate::reviews::take(
        store,
        ctx,
        Action::Open {
            source: "manual".into(),
            unit_code: unit.into(),
            title: format!("{year}年度预算执行问题复盘"),
            on,
        },
    )
    .await
    .map_err(bad)?;
    let record = Action::Record {
        id,
        happened: format!("{year}年单位多项指标执行进度滞后，年末集中支付，个别指标超预算支出。"),
        causes: vec![Cause::SlowExecution, Cause::Overspending],
        lessons: "用款计划按月编报并与项目进度挂钩；超出预算的支出先调剂后支付。".into(),
    };
    let half = on.add_months(6);
    let item = PlanItem {
        number: 1,
        text: "建立月度用款计划和超支预警台账".into(),
        owner: "unit-head".into(),
        due: on.add_months(2),
        criterion: Criterion {
            rule: "over_budget".into(),
            min_level: "orange".into(),
            unit_code: unit.into(),
            from: on,
            to: half,
        },
    };
    crate::reviews::take_all(
        store,
        ctx,
        vec![record, Action::Plan { id, items: vec![item] }, Action::ApprovePlan { id, on }],
    )
    .await
    .map_err(bad)?;
    Ok(Some(id))
}
