//! One warning: its life cycle, history and the step forms of the rectification loop.

use super::*;

pub(super) fn routes() -> Router<App> {
    Router::new().route("/warning/{id}", get(warning_page)).route("/warning/{id}/step", post(warning_form_step))
}

pub(super) async fn warning_page(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/warning/{id}");
    match warning_body(&app, &caller, id, &q).await {
        Ok(body) => {
            Html(layout(en, &format!("{} {id}", t(en, "预警", "Warning")), &caller, &here, &body)).into_response()
        }
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

pub(super) async fn warning_body(app: &App, caller: &Caller, id: i64, q: &LangQuery) -> Result<String, Problem> {
    let en = q.lang.as_deref() == Some("en");
    crate::api::warning_in_reach(app, caller, id, Permission::ReadWarnings).await?;
    let w = bw_app::monitor::warning(&app.store, id)
        .await
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::not_found(format!("no warning {id}")))?;
    let history = bw_app::monitor::history(&app.store, id).await.map_err(Problem::internal)?;
    use minijinja::{Value, context};
    let subject = w.unit_code.clone().or(w.region_code.clone()).unwrap_or_default();
    let lang = if en { "?lang=en" } else { "" };
    let vouchers: Vec<Value> = w
        .vouchers
        .iter()
        .take(20)
        .map(|v| {
            let href = w.unit_code.as_ref().map(|u| format!("/voucher/{}/{}{lang}", segment(u), segment(v)));
            context! { href => href, label => v }
        })
        .collect();
    let org = app.org().await?;
    let subject_name = org.get(&subject).map(|n| n.name.clone()).unwrap_or_else(|| subject.clone());
    let indicator = match &w.indicator_code {
        Some(code) => {
            let labels =
                browse::indicator_labels(&app.store, std::slice::from_ref(code)).await.map_err(Problem::internal)?;
            Some(context! {
                href => format!("/indicator/{}{lang}", urlencode(code)),
                label => labels.get(code).map(String::as_str).unwrap_or(code),
            })
        }
        None => None,
    };
    // The steps this state allows and the caller may take.
    let csrf = caller.csrf().to_string();
    use bw_rules::workflow::Step;
    let state = bw_rules::workflow::State::parse(&w.state);
    let must_attach = bw_app::settings::get_for_year(&app.store, &format!("rules.{}.handling", w.rule), w.year)
        .await
        .map_err(Problem::internal)?
        == "warn_attach";
    let mut forms = Vec::new();
    for step in Step::ALL {
        // Offered when the state allows the step and the caller may take it: the same
        // decision the API takes, so a form shown is a step the service accepts.
        let allowed = state.is_some_and(|s| bw_rules::workflow::next_for(s, step, w.unit_code.is_some()).is_ok());
        if !allowed || caller.may_step(&org, &w, &history, step).is_err() {
            continue;
        }
        let placeholder = match step {
            Step::Explain => t(en, "核实情况与原因（可分多行）", "What was found and why (several lines allowed)"),
            Step::Plan => t(en, "整改措施、责任人和完成时限", "Measures, who is responsible, by when"),
            Step::Rectify => t(en, "整改完成情况", "What was rectified"),
            Step::Dismiss => t(en, "撤销理由（必填）", "Reason for the dismissal (required)"),
            _ => t(en, "意见（可选）", "Opinion (optional)"),
        };
        forms.push(context! {
            step => step.name(),
            label => step_label(en, step),
            placeholder => placeholder,
            text_needed => matches!(step, Step::Explain | Step::Plan | Step::Rectify | Step::Dismiss),
            returned => step == Step::Rectify,
            files => !matches!(step, Step::SignOff { .. }),
            attach_required => step == Step::Explain && must_attach,
        });
    }
    // Attachments are named by their SHA-256; those uploaded here open from the page.
    let docs = bw_app::documents::list(
        &app.store,
        bw_app::documents::DocKind::WarningAttachment,
        &bw_app::documents::warning_subject(id),
    )
    .await
    .map_err(Problem::internal)?;
    let names = bw_app::users::display_names(&app.store).await.map_err(Problem::internal)?;
    let rows: Vec<Value> = history
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
            let files: Vec<Value> = e["attachments"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|a| Some((a.get(0)?.as_str()?, a.get(1)?.as_str()?)))
                .map(|(name, sha)| {
                    let href = docs.iter().find(|d| d.sha256 == sha).map(|d| format!("/document/{}", d.id));
                    context! { href => href, name => name, sha => sha.get(..12).unwrap_or(sha) }
                })
                .collect();
            context! {
                at => bw_core::Timestamp::parse(&s("at")).map(crate::clock::local_time).unwrap_or_else(|| s("at")),
                actor => Value::from_safe_string(actor_html(en, &s("actor"), &names)),
                step => Step::parse(&s("action")).map(|st| step_label(en, st).to_string()).unwrap_or_else(|| s("action")),
                from => state_name(en, &s("from")),
                to => state_name(en, &s("to")),
                note => s("note"),
                returned => e["returned"].as_str().filter(|r| !r.is_empty() && *r != "0.00"),
                files => files,
            }
        })
        .collect();
    let words = context! {
        warnings => t(en, "预警", "Warnings"),
        done => t(en, "已办理：", "Done:"),
        subject => t(en, "对象", "Subject"),
        indicator => t(en, "指标", "Indicator"),
        period => t(en, "期间", "Period"),
        raised_on => t(en, "发出", "Raised on"),
        explain_by => t(en, "说明期限", "Explain by"),
        overdue_since => t(en, "已逾期", "overdue since"),
        plan_by => t(en, "整改方案期限", "Plan by"),
        suggestion => t(en, "整改建议", "Suggestion"),
        vouchers => t(en, "凭证", "Vouchers"),
        evidence => t(en, "依据", "Evidence"),
        act => t(en, "办理", "Act"),
        returned => t(en, "退回金额（元，无则留空）", "Money returned (yuan; empty if none)"),
        attachments => t(en, "附件（PDF 或图片，每个不超过 10 MB）", "Attachments (PDF or images, 10 MB each)"),
        attach_required => t(en, "，本规则要求必须附证明材料", "; this rule requires supporting documents"),
        life_cycle => t(en, "办理记录", "Life cycle"),
        cols => [t(en, "时间", "When"), t(en, "办理人", "Who"), t(en, "操作", "Step"), t(en, "状态", "State"), t(en, "说明", "Note")],
        returned_was => t(en, "退回金额（元）：", "Money returned (yuan): "),
        files => t(en, "附件：", "Attachments: "),
    };
    // Words the upload script shows, handed to it as JSON.
    let js = context! {
        uploading => t(en, "正在上传", "Uploading"),
        refused => t(en, "不是 PDF 或图片，或大于 10 MB，未上传。", "not a PDF or an image, or larger than 10 MB: not uploaded."),
    };
    // The most similar past cases (the knowledge base), for whoever handles it.
    let similar: Vec<minijinja::Value> = bw_app::reviews::similar_to_warning(&app.store, id, 3)
        .await
        .map_err(Problem::internal)?
        .iter()
        .map(|c| {
            let causes: Vec<&str> = c.causes.iter().map(|x| if en { x.id() } else { x.zh() }).collect();
            let href = if c.kind == "review" { format!("/review/{}", c.id) } else { format!("/warning/{}", c.id) };
            context! { href => href, title => c.title.as_str(), on => c.on.to_string(), causes => causes.join("、") }
        })
        .collect();
    Ok(crate::templates::render(
        "warning.html",
        context! {
            w => words,
            js => js,
            id => id,
            similar => similar,
            similar_title => t(en, "相似案例（案例库）", "Similar cases"),
            lang => lang,
            csrf => csrf,
            badge => Value::from_safe_string(level_badge(en, &w.level)),
            rule => rule_name(en, &w.rule),
            state => state_name(en, &w.state),
            done => q.done.as_deref(),
            error => q.error.as_deref(),
            subject => subject_name,
            indicator => indicator,
            period => w.period.as_str(),
            raised_on => w.raised_on.as_str(),
            explain_by => w.explain_by.as_str(),
            overdue_since => overdue(&w.state, &w.explain_by, &w.plan_by, today()),
            plan_by => w.plan_by.as_str(),
            suggestion => w.suggestion.as_str(),
            vouchers => vouchers,
            evidence => Value::from_safe_string(evidence_text(en, &w.evidence)),
            forms => forms,
            history => rows,
        },
    ))
}

/// A refused step as the page tells it in Chinese: a refusal's own Chinese words, else the
/// kinds of refusal the loop's service gives (a state that moved on, a missing text or
/// attachment, a refund out of bounds), the figure kept where there is one.
pub(super) fn step_refusal_zh(p: &Problem) -> String {
    if let Some(zh) = &p.zh {
        return zh.clone();
    }
    let d = p.detail.as_str();
    let field = p.errors.first().and_then(|e| e["field"].as_str());
    if d.contains("cannot take the step") {
        "该预警的状态已经变化，不能再办理此步骤。请查看下方办理记录中的最新状态。".into()
    } else if d.contains("needs an attachment") {
        "该规则要求说明必须附证明材料（扫描件或 PDF），请选择附件后再提交。".into()
    } else if d.contains("needs a text") || d.contains("states its reason") {
        "请填写说明内容后再提交。".into()
    } else if field == Some("returned") || d.contains("退回金额") {
        // The last figure of the message is what the payments paid.
        let amount =
            d.split_whitespace().rfind(|w| w.contains('.') && w.chars().all(|c| c.is_ascii_digit() || c == '.'));
        match amount {
            Some(paid) if d.contains("more than") => {
                format!("退回金额超过了该预警所列支付的合计金额（{paid} 元以内）。")
            }
            _ => "退回金额须为不小于零的金额（元，最多两位小数），且只在报告整改完成时填写。".into(),
        }
    } else if field == Some("attachments") {
        "附件不属于此预警，请重新上传。".into()
    } else {
        format!("办理未成功：{d}")
    }
}

pub(super) fn step_label(en: bool, step: bw_rules::workflow::Step) -> &'static str {
    match step.name() {
        "explain" => t(en, "提交说明", "Explain"),
        "sign_off" => t(en, "单位负责人签批，报送审核", "Sign off (to the reviewer)"),
        "sign_off_return" => t(en, "签批退回经办人", "Send back to the staff"),
        "judge_normal" => t(en, "认定正常并关闭", "Judge normal (close)"),
        "judge_violation" => t(en, "认定违规，要求整改", "Judge a violation"),
        "judge_return" => t(en, "退回补充说明", "Return for more"),
        "plan" => t(en, "提交整改方案", "Submit the plan"),
        "rectify" => t(en, "报告整改完成", "Report rectified"),
        "verify_passed" => t(en, "验收通过并归档", "Verify: passed"),
        "verify_failed" => t(en, "验收不通过", "Verify: failed"),
        _ => t(en, "撤销", "Dismiss"),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct StepForm {
    #[serde(default)]
    csrf: String,
    step: String,
    #[serde(default)]
    note: String,
    /// Money returned, in yuan (a rectification's).
    #[serde(default)]
    returned: Option<String>,
    /// Ids of the documents the page uploaded for this step, comma-separated.
    #[serde(default)]
    attachments: String,
}

impl StepForm {
    fn attachment_ids(&self) -> Vec<i64> {
        self.attachments.split(',').filter_map(|s| s.trim().parse().ok()).collect()
    }
}

/// A step taken from the warning's page: the form's CSRF token, then the same checks and
/// service as the API; back to the page with what happened.
pub(super) async fn warning_form_step(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    Form(f): Form<StepForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let lang = if en { "&lang=en" } else { "" };
    if let Some(r) = form_csrf(&caller, &f.csrf, &format!("/warning/{id}")) {
        return r;
    }
    match crate::api::take_step(&app, &caller, id, &f.step, &f.note, f.returned.as_deref(), &f.attachment_ids()).await {
        Ok(state) => Redirect::to(&format!(
            "/warning/{id}?done={}{lang}",
            urlencode(&match bw_rules::workflow::Step::parse(&f.step) {
                Some(step) if !en => format!("{}：现为「{}」", step_label(en, step), state_name(en, &state)),
                _ => format!("{} → {state}", f.step),
            })
        ))
        .into_response(),
        Err(p) => {
            let message = if en { p.detail.clone() } else { step_refusal_zh(&p) };
            Redirect::to(&format!("/warning/{id}?error={}{lang}", urlencode(&message))).into_response()
        }
    }
}
