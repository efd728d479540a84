//! The risk register on the web: `/risks` (the 5 × 5 heat map of current ratings, the list
//! by level and next review, the form to add a risk) and `/risks/{id}` (a risk, its history
//! and the forms to assess, treat, accept and review it). Each form takes the same action
//! the command line takes (`bw_app::risk::take`), with the permission `bw_app::guard`
//! names for it on the risk's scope.

use super::*;
use bw_app::risk::TakeError;
use bw_core::risk::{Action, Category, Level, Rating, Register, Risk, Treatment};
use minijinja::{Value, context};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/risks", get(list_page).post(add))
        .route("/risks/{id}", get(risk_page).post(act))
        .route("/risks/proposals/{id}", post(decide))
        .route("/risks/download/{file}", get(download))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct RiskQuery {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
    level: Option<String>,
    l: Option<u8>,
    i: Option<u8>,
}

fn scope_label(org: &bw_core::org::OrgTree, kind: &str, code: &str) -> String {
    match org.get(code) {
        Some(n) => format!("{}（{code}）", n.name),
        None => format!("{kind} {code}"),
    }
}

fn level_name(en: bool, l: Level) -> &'static str {
    if en { l.id() } else { l.zh() }
}

fn refused(en: bool, e: &TakeError) -> String {
    match e {
        TakeError::Refused(r) if !en => r.zh(),
        TakeError::Refused(r) => r.to_string(),
        TakeError::Action(a) if !en => format!("办理未成功：{a}"),
        TakeError::Action(a) => a.to_string(),
    }
}

async fn register(app: &App) -> Result<Register, Problem> {
    bw_app::risk::load(&app.store).await.map_err(Problem::internal)
}

fn row(
    en: bool,
    org: &bw_core::org::OrgTree,
    reg: &Register,
    cal: &bw_core::calendar::WorkCalendar,
    r: &Risk,
) -> Value {
    let overdue = reg.overdue_workdays(r, cal, today());
    context! {
        id => r.id,
        title => r.title.as_str(),
        level => r.level.id(),
        level_name => level_name(en, r.level),
        rating => format!("{}×{}", r.current.likelihood, r.current.impact),
        category => if en { r.category.id() } else { r.category.zh() },
        scope => scope_label(org, &r.scope_kind, &r.scope_code),
        owner => r.owner.as_str(),
        treatment => r.treatment.map(|t| if en { t.id() } else { t.zh() }).unwrap_or("—"),
        review_due => reg.review_due(r, cal).to_string(),
        overdue => (overdue > 0).then_some(overdue),
    }
}

fn words(en: bool) -> Value {
    context! {
        title => t(en, "风险清单", "Risk register"),
        register => t(en, "风险清单", "Risk register"),
        intro => t(en, "收入、支出、外部和内部风险按可能性 × 影响程度（各 1–5）定级，按级别定期复核。", "Revenue, expenditure, external and internal risks, rated likelihood × impact (1–5 each) and reviewed by level."),
        heat => t(en, "风险热力图（当前评级）", "Heat map (current ratings)"),
        likelihood => t(en, "可能性", "Likelihood"),
        impact => t(en, "影响程度", "Impact"),
        high => t(en, "高", "high"),
        medium => t(en, "中", "medium"),
        low => t(en, "低", "low"),
        legend => t(en, "格中数字为风险个数，点击查看", "each cell counts the risks; click to list them"),
        list => t(en, "风险", "Risks"),
        all => t(en, "全部", "all"),
        level => t(en, "级别", "Level"),
        risk => t(en, "风险名称", "Risk"),
        category => t(en, "类别", "Category"),
        scope => t(en, "风险对象", "Scope"),
        owner => t(en, "责任人", "Owner"),
        treatment => t(en, "应对策略", "Treatment"),
        review => t(en, "下次复核", "Next review"),
        overdue => t(en, "逾期", "overdue"),
        workdays => t(en, "个工作日", "working days"),
        none => t(en, "暂无风险。", "No risks."),
        add => t(en, "登记风险", "Add a risk"),
        choose_scope => t(en, "请选择", "choose"),
        cause => t(en, "原因", "Cause"),
        event => t(en, "风险事件", "Event"),
        consequence => t(en, "后果", "Consequence"),
        add_button => t(en, "登记", "Add"),
        chain => t(en, "原因 → 事件 → 后果", "Cause → event → consequence"),
        ratings => t(en, "评级", "Ratings"),
        inherent => t(en, "固有", "inherent"),
        current => t(en, "当前", "current"),
        residual => t(en, "剩余", "residual"),
        acceptance => t(en, "风险接受", "Acceptance"),
        act => t(en, "办理", "Act"),
        evidence => t(en, "评估依据", "Evidence"),
        assess => t(en, "重新评估", "Assess"),
        response => t(en, "应对措施", "Response"),
        response_what => t(en, "措施内容", "what is done"),
        response_owner => t(en, "措施责任人", "its owner"),
        due => t(en, "完成期限", "due"),
        treat => t(en, "确定应对策略", "Set the treatment"),
        until => t(en, "接受期限", "Accepted until"),
        accept => t(en, "审批接受风险", "Approve the acceptance"),
        note => t(en, "复核意见", "Note"),
        review_button => t(en, "记录复核", "Record a review"),
        history => t(en, "记录", "History"),
        on => t(en, "日期", "Day"),
        what => t(en, "事项", "What"),
        entry => t(en, "日志序号", "Entry"),
        download => t(en, "下载风险清单：", "Download the register:"),
        happened => t(en, "风险事件发生情况", "What happened"),
        materialise => t(en, "登记风险事件已发生（启动应急处置）", "Record that it happened (opens an emergency case)"),
        materialised => t(en, "风险事件已发生", "Happened on"),
        proposals => t(en, "关键风险指标提议的新风险", "Risks proposed by the key risk indicators"),
        proposals_intro => t(en, "检查中关键风险指标发现清单尚未覆盖的风险，由审核人员决定是否纳入风险清单。", "A check's key risk indicators found risks the register does not hold; a reviewer adopts or rejects each."),
        proposed_on => t(en, "提议日期", "Proposed"),
        adopt => t(en, "采纳并登记", "Adopt"),
        reject => t(en, "不予采纳", "Reject"),
        reject_reason => t(en, "理由", "Why"),
    }
}

pub(super) async fn list_page(State(app): State<App>, caller: Caller, Query(q): Query<RiskQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    match list_body(&app, &caller, &q, en).await {
        Ok(body) => Html(layout(en, t(en, "风险清单", "Risk register"), &caller, "/risks", &body)).into_response(),
        Err(p) => problem_page(en, &caller, "/risks", p),
    }
}

async fn list_body(app: &App, caller: &Caller, q: &RiskQuery, en: bool) -> Result<String, Problem> {
    let read = bw_app::guard::RISK_READ;
    if caller.user().is_none() || !caller.access.has(read) {
        return Err(bw_core::access::Refusal::NoPermission(read).into());
    }
    let (reg, org) = (register(app).await?, app.org().await?);
    let cal = bw_app::calendar::load(&app.store).await.map_err(Problem::internal)?;
    let visible: Vec<&Risk> =
        reg.risks.values().filter(|r| caller.reaches_scope(&org, &r.scope_kind, &r.scope_code, read)).collect();
    let mut counts = [[0usize; 5]; 5];
    for r in &visible {
        counts[usize::from(r.current.likelihood) - 1][usize::from(r.current.impact) - 1] += 1;
    }
    let heat: Vec<Value> = (1..=5u8)
        .rev()
        .map(|l| {
            let cells: Vec<Value> = (1..=5u8)
                .map(|i| {
                    let level = reg.matrix.level(Rating { likelihood: l, impact: i });
                    context! { impact => i, level => level.id(), level_name => level_name(en, level), count => counts[usize::from(l) - 1][usize::from(i) - 1] }
                })
                .collect();
            context! { likelihood => l, cells => cells }
        })
        .collect();
    let want_level = q.level.as_deref().and_then(Level::parse);
    let cell = q.l.zip(q.i).filter(|(l, i)| (1..=5).contains(l) && (1..=5).contains(i));
    let mut shown: Vec<&Risk> = visible
        .into_iter()
        .filter(|r| want_level.is_none_or(|l| r.level == l))
        .filter(|r| cell.is_none_or(|(l, i)| r.current.likelihood == l && r.current.impact == i))
        .collect();
    shown.sort_by(|a, b| b.level.cmp(&a.level).then(reg.review_due(a, &cal).cmp(&reg.review_due(b, &cal))));
    let filter = match (cell, want_level) {
        (Some((l, i)), _) => Some(format!("{} {l} × {} {i}", t(en, "可能性", "likelihood"), t(en, "影响", "impact"))),
        (None, Some(l)) => Some(level_name(en, l).to_string()),
        _ => None,
    };
    let add = bw_app::guard::RISK_MANAGE;
    let may_add = caller.access.has(add);
    let scopes: Vec<Value> = if may_add {
        let mut nodes: Vec<(String, String, String)> = org
            .nodes()
            .filter(|n| caller.check(&org, add, &n.code).is_ok())
            .map(|n| {
                let path = org.ancestors(&n.code);
                let key = path.iter().rev().map(|a| a.code.as_str()).collect::<Vec<_>>().join("/");
                let kind = match n.kind {
                    bw_core::org::OrgKind::Region => "region",
                    bw_core::org::OrgKind::Department => "department",
                    _ => "unit",
                };
                let indent = "　".repeat(path.len().saturating_sub(1));
                (key, format!("{kind}:{}", n.code), format!("{indent}{}（{}）", n.name, n.code))
            })
            .collect();
        nodes.sort();
        nodes.into_iter().map(|(_, value, label)| context! { value => value, label => label }).collect()
    } else {
        Vec::new()
    };
    let manage = bw_app::guard::RISK_MANAGE;
    // Open proposals first, then the newest decided ones.
    let mut proposals: Vec<&bw_core::risk::Proposal> =
        reg.proposals.values().filter(|p| caller.reaches_scope(&org, &p.scope_kind, &p.scope_code, read)).collect();
    proposals.sort_by_key(|p| (p.state != "open", std::cmp::Reverse(p.id)));
    proposals.truncate(50);
    let proposals: Vec<Value> = proposals
        .into_iter()
        .map(|p| {
            let state_name = match p.state.as_str() {
                "adopted" => t(en, "已采纳", "adopted"),
                "rejected" => t(en, "不予采纳", "rejected"),
                _ => t(en, "待决定", "open"),
            };
            context! {
                id => p.id,
                title => p.title.as_str(),
                category => if en { p.category.id() } else { p.category.zh() },
                scope => scope_label(&org, &p.scope_kind, &p.scope_code),
                likelihood => p.likelihood,
                evidence => p.evidence.as_str(),
                proposed_on => p.proposed_on.to_string(),
                state => p.state.as_str(),
                state_name => state_name,
                risk => p.risk,
                note => p.note.as_deref(),
                may_decide => caller.reaches_scope(&org, &p.scope_kind, &p.scope_code, manage),
            }
        })
        .collect();
    let lang = if en { "?lang=en" } else { "" };
    Ok(crate::templates::render(
        "risks.html",
        context! {
            w => words(en),
            lang => lang,
            amp_lang => if en { "&lang=en" } else { "" },
            done => q.done.as_deref(),
            error => q.error.as_deref(),
            heat => heat,
            filter => filter,
            risks => shown.iter().map(|r| row(en, &org, &reg, &cal, r)).collect::<Vec<_>>(),
            proposals => proposals,
            may_add => may_add,
            may_export => caller.access.has(Permission::Export),
            csrf => caller.csrf().to_string(),
            scopes => scopes,
            categories => Category::ALL.iter().map(|c| context! { id => c.id(), name => if en { c.id() } else { c.zh() } }).collect::<Vec<_>>(),
        },
    ))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct RiskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    consequence: String,
    #[serde(default)]
    likelihood: u8,
    #[serde(default)]
    impact: u8,
    #[serde(default)]
    text: String,
    #[serde(default)]
    treatment: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    who: String,
    #[serde(default)]
    due: String,
}

fn back(path: &str, en: bool, outcome: Result<String, String>) -> Response {
    let lang = if en { "&lang=en" } else { "" };
    match outcome {
        Ok(done) => Redirect::to(&format!("{path}?done={}{lang}", urlencode(&done))).into_response(),
        Err(e) => Redirect::to(&format!("{path}?error={}{lang}", urlencode(&e))).into_response(),
    }
}

/// Takes `action` for the caller when it holds the action's permission on the scope.
async fn take(app: &App, caller: &Caller, en: bool, kind: &str, code: &str, action: Action) -> Result<i64, String> {
    let org = app.org().await.map_err(|p| p.detail)?;
    let p = bw_app::guard::risk_permission(Some(&action));
    if !caller.reaches_scope(&org, kind, code, p) {
        let r = bw_core::access::Refusal::OutOfScope(p, code.to_string());
        return Err(if en { r.to_string() } else { r.zh() });
    }
    let ctx = caller.ctx(None).map_err(|p| p.detail)?;
    let store = app.store.clone();
    // The journal's write closure is not Send: the write runs on the writers' thread.
    let done = crate::api::off_thread(move |rt| rt.block_on(bw_app::risk::take(&store, &ctx, action)));
    done.await.map_err(|p| p.detail)?.map_err(|e| refused(en, &e))
}

pub(super) async fn add(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<RiskQuery>,
    Form(f): Form<RiskForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Some(r) = form_csrf(&caller, &f.csrf, "/risks") {
        return r;
    }
    let outcome = async {
        let category =
            Category::parse(&f.category).ok_or_else(|| t(en, "请选择风险类别。", "Choose a category.").to_string())?;
        let (kind, code) =
            f.scope.split_once(':').ok_or_else(|| t(en, "请选择风险对象。", "Choose the scope.").to_string())?;
        let rating = Rating::new(f.likelihood, f.impact).map_err(|e| if en { e.to_string() } else { e.zh() })?;
        let action = Action::Add {
            title: f.title.trim().to_string(),
            category,
            scope_kind: kind.to_string(),
            scope_code: code.to_string(),
            owner: f.owner.trim().to_string(),
            cause: f.cause.trim().to_string(),
            event: f.event.trim().to_string(),
            consequence: f.consequence.trim().to_string(),
            inherent: rating,
            current: rating,
            residual: rating,
            on: today(),
        };
        let id = take(&app, &caller, en, kind, code, action).await?;
        Ok::<i64, String>(id)
    }
    .await;
    match outcome {
        Ok(id) => back(&format!("/risks/{id}"), en, Ok(t(en, "风险已登记。", "Risk added.").to_string())),
        Err(e) => back("/risks", en, Err(e)),
    }
}

/// Adopts (`op=adopt`, with the owner and the impact) or rejects (`op=reject`, with why) a
/// proposed risk.
pub(super) async fn decide(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<RiskQuery>,
    Form(f): Form<RiskForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Some(r) = form_csrf(&caller, &f.csrf, "/risks") {
        return r;
    }
    let outcome = async {
        let reg = register(&app).await.map_err(|p| p.detail)?;
        let p = reg.proposals.get(&id).ok_or_else(|| {
            let e = bw_core::risk::RiskError::UnknownProposal(id);
            if en { e.to_string() } else { e.zh() }
        })?;
        let (kind, code) = (p.scope_kind.clone(), p.scope_code.clone());
        match f.op.as_str() {
            "adopt" => {
                let action = Action::Adopt { id, owner: f.owner.trim().to_string(), impact: f.impact, on: today() };
                let risk = take(&app, &caller, en, &kind, &code, action).await?;
                Ok::<(String, String), String>((
                    format!("/risks/{risk}"),
                    t(en, "已采纳，风险已登记。", "Adopted: the risk is in the register.").to_string(),
                ))
            }
            "reject" => {
                let action = Action::Reject { id, note: f.text.trim().to_string(), on: today() };
                take(&app, &caller, en, &kind, &code, action).await?;
                Ok(("/risks".to_string(), t(en, "已决定不予采纳。", "Rejected.").to_string()))
            }
            _ => Err(t(en, "未知的操作。", "Unknown action.").to_string()),
        }
    }
    .await;
    match outcome {
        Ok((path, done)) => back(&path, en, Ok(done)),
        Err(e) => back("/risks", en, Err(e)),
    }
}

pub(super) async fn risk_page(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<RiskQuery>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/risks/{id}");
    match risk_body(&app, &caller, id, &q, en).await {
        Ok(body) => Html(layout(en, t(en, "风险", "Risk"), &caller, &here, &body)).into_response(),
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

async fn risk_body(app: &App, caller: &Caller, id: i64, q: &RiskQuery, en: bool) -> Result<String, Problem> {
    let read = bw_app::guard::RISK_READ;
    if caller.user().is_none() || !caller.access.has(read) {
        return Err(bw_core::access::Refusal::NoPermission(read).into());
    }
    let (reg, org) = (register(app).await?, app.org().await?);
    let cal = bw_app::calendar::load(&app.store).await.map_err(Problem::internal)?;
    let Some(r) = reg.risks.get(&id).filter(|r| caller.reaches_scope(&org, &r.scope_kind, &r.scope_code, read)) else {
        return Err(bw_core::access::Refusal::OutOfScope(read, format!("risk {id}")).into());
    };
    let on = today();
    let mut forms = Vec::new();
    if caller.reaches_scope(&org, &r.scope_kind, &r.scope_code, bw_app::guard::RISK_MANAGE) {
        forms.extend(["assess", "treat", "review"]);
        if r.materialised.is_none() {
            forms.push("materialise");
        }
    }
    if r.treatment == Some(Treatment::Accept)
        && r.owner != caller.access.user
        && caller.reaches_scope(&org, &r.scope_kind, &r.scope_code, bw_app::guard::RISK_ACCEPT)
    {
        forms.push("accept");
    }
    let rating = |x: Rating| format!("{}×{}", x.likelihood, x.impact);
    let overdue = reg.overdue_workdays(r, &cal, on);
    let doc = context! {
        id => r.id,
        title => r.title.as_str(),
        level => r.level.id(),
        level_name => level_name(en, r.level),
        category => if en { r.category.id() } else { r.category.zh() },
        scope => scope_label(&org, &r.scope_kind, &r.scope_code),
        owner => r.owner.as_str(),
        cause => r.cause.as_str(),
        event => r.event.as_str(),
        consequence => r.consequence.as_str(),
        inherent => rating(r.inherent),
        current => rating(r.current),
        residual => rating(r.residual),
        l => r.current.likelihood,
        i => r.current.impact,
        treatment => r.treatment.map(|t| if en { t.id() } else { t.zh() }).unwrap_or("—"),
        responses => r.responses.iter().map(|x| context! { what => x.what.as_str(), owner => x.owner.as_str(), due => x.due.to_string() }).collect::<Vec<_>>(),
        acceptance => r.acceptance.as_ref().map(|a| format!("{} · {} {}", a.approver, t(en, "至", "until"), a.until)).unwrap_or_else(|| "—".into()),
        review_due => reg.review_due(r, &cal).to_string(),
        overdue => (overdue > 0).then_some(overdue),
        materialised => r.materialised.map(|d| d.to_string()),
        history => r.history.iter().map(|e| context! { on => e.on.to_string(), what => e.what.as_str(), idx => e.idx }).collect::<Vec<_>>(),
    };
    Ok(crate::templates::render(
        "risk.html",
        context! {
            w => words(en),
            lang => if en { "?lang=en" } else { "" },
            done => q.done.as_deref(),
            error => q.error.as_deref(),
            r => doc,
            forms => forms,
            csrf => caller.csrf().to_string(),
            treatments => Treatment::ALL.iter().map(|x| context! { id => x.id(), name => if en { x.id() } else { x.zh() } }).collect::<Vec<_>>(),
        },
    ))
}

pub(super) async fn act(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<RiskQuery>,
    Form(f): Form<RiskForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/risks/{id}");
    if let Some(r) = form_csrf(&caller, &f.csrf, &here) {
        return r;
    }
    let outcome = async {
        let reg = register(&app).await.map_err(|p| p.detail)?;
        let r = reg.risks.get(&id).ok_or_else(|| bw_core::risk::RiskError::Unknown(id).zh())?;
        let on = today();
        let date = |s: &str| Date::parse(s).map_err(|_| t(en, "请填写有效日期。", "Give a valid date.").to_string());
        let (action, done) = match f.op.as_str() {
            "assess" => {
                let current =
                    Rating::new(f.likelihood, f.impact).map_err(|e| if en { e.to_string() } else { e.zh() })?;
                (
                    Action::Assess { id, current, residual: None, evidence: f.text.trim().to_string(), on },
                    t(en, "已重新评估。", "Assessed."),
                )
            }
            "treat" => {
                let treatment = Treatment::parse(&f.treatment)
                    .ok_or_else(|| t(en, "请选择应对策略。", "Choose a treatment.").to_string())?;
                let responses = if f.what.trim().is_empty() {
                    Vec::new()
                } else {
                    vec![bw_core::risk::Response {
                        what: f.what.trim().to_string(),
                        owner: f.who.trim().to_string(),
                        due: date(&f.due)?,
                    }]
                };
                (Action::Treat { id, treatment, responses, on }, t(en, "应对策略已确定。", "Treatment set."))
            }
            "accept" => (
                Action::Accept { id, approver: caller.access.user.clone(), until: date(&f.due)?, on },
                t(en, "已审批接受该风险。", "Acceptance approved."),
            ),
            "review" => {
                (Action::Review { id, note: f.text.trim().to_string(), on }, t(en, "复核已记录。", "Review recorded."))
            }
            _ => return Err(t(en, "未知的操作。", "Unknown action.").to_string()),
        };
        take(&app, &caller, en, &r.scope_kind.clone(), &r.scope_code.clone(), action).await?;
        Ok::<String, String>(done.to_string())
    }
    .await;
    back(&here, en, outcome)
}

/// The register the caller may read as a file: `/risks/download/register.xlsx` or `.csv`.
pub(super) async fn download(
    State(app): State<App>,
    caller: Caller,
    Path(file): Path<String>,
    Query(q): Query<RiskQuery>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let read = bw_app::guard::RISK_READ;
    if caller.user().is_none() || !caller.access.has(read) {
        return Problem::from(bw_core::access::Refusal::NoPermission(read)).into_response();
    }
    if !caller.access.has(Permission::Export) {
        return Problem::from(bw_core::access::Refusal::NoPermission(Permission::Export)).into_response();
    }
    let Some(("register", format)) = file.rsplit_once('.') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (reg, org) = match (register(&app).await, app.org().await) {
        (Ok(r), Ok(o)) => (r, o),
        (Err(p), _) | (_, Err(p)) => return p.into_response(),
    };
    let cal = match bw_app::calendar::load(&app.store).await {
        Ok(c) => c,
        Err(e) => return Problem::internal(e).into_response(),
    };
    use bw_app::table::{Cell, Table};
    let cols = [
        t(en, "编号", "Id"),
        t(en, "风险名称", "Risk"),
        t(en, "类别", "Category"),
        t(en, "风险对象", "Scope"),
        t(en, "责任人", "Owner"),
        t(en, "原因", "Cause"),
        t(en, "风险事件", "Event"),
        t(en, "后果", "Consequence"),
        t(en, "固有评级", "Inherent"),
        t(en, "当前评级", "Current"),
        t(en, "剩余评级", "Residual"),
        t(en, "级别", "Level"),
        t(en, "应对策略", "Treatment"),
        t(en, "应对措施", "Responses"),
        t(en, "风险接受", "Acceptance"),
        t(en, "下次复核", "Next review"),
        t(en, "逾期工作日", "Working days overdue"),
    ];
    let mut tb = Table::new(t(en, "风险清单", "Risk register"), &cols);
    let rating = |x: Rating| format!("{}×{}", x.likelihood, x.impact);
    let mut risks: Vec<&Risk> =
        reg.risks.values().filter(|r| caller.reaches_scope(&org, &r.scope_kind, &r.scope_code, read)).collect();
    risks.sort_by(|a, b| b.level.cmp(&a.level).then(a.id.cmp(&b.id)));
    for r in risks {
        let text = |v: &str| Cell::Text(v.to_string());
        tb.rows.push(vec![
            Cell::Int(r.id),
            text(&r.title),
            text(if en { r.category.id() } else { r.category.zh() }),
            Cell::Text(scope_label(&org, &r.scope_kind, &r.scope_code)),
            text(&r.owner),
            text(&r.cause),
            text(&r.event),
            text(&r.consequence),
            Cell::Text(rating(r.inherent)),
            Cell::Text(rating(r.current)),
            Cell::Text(rating(r.residual)),
            text(level_name(en, r.level)),
            text(r.treatment.map(|x| if en { x.id() } else { x.zh() }).unwrap_or("")),
            Cell::Text(
                r.responses
                    .iter()
                    .map(|x| format!("{}（{}，{}）", x.what, x.owner, x.due))
                    .collect::<Vec<_>>()
                    .join("；"),
            ),
            Cell::Text(r.acceptance.as_ref().map(|a| format!("{} {}", a.approver, a.until)).unwrap_or_default()),
            Cell::Text(reg.review_due(r, &cal).to_string()),
            Cell::Int(reg.overdue_workdays(r, &cal, today())),
        ]);
    }
    crate::web::table_file(&tb, format, &format!("risks-{}", today()))
}
