//! People's pages after logging in: the cockpit's drill-down from a region to a payment
//! voucher, the warning inbox with each warning's life cycle and actions, and the import
//! page. Server-rendered HTML, charts as SVG, phone-sized screens first; every figure is
//! checked against the caller's grants as the API checks it.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bw_app::browse::{self, PaymentFilter, WarningFilter};
use bw_app::drill;
use bw_core::Date;
use bw_core::access::Permission;

use crate::api::{App, Caller, Problem, Via};
use crate::clock::today;
use crate::text::{bar, economic_cell, esc, functional_cell, head, pct, segment, t, urlencode, wan, yuan};
use crate::web::{
    account_refusal_zh, actor_html, evidence_text, form_csrf, inquiry_due, layout, level_badge, level_name, outcome,
    problem_page, report_links, rule_name, state_name,
};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/org/{code}", get(org_page))
        .route("/indicator/{code}", get(indicator_page))
        .route("/voucher/{unit}/{voucher}", get(voucher_page))
        .route("/document/{id}", get(document_page))
        .route("/inbox", get(inbox_page))
        .route("/inbox/filters", post(filter_save))
        .route("/inbox/filters/delete", post(filter_delete))
        .route("/warning/{id}", get(warning_page))
        .route("/warning/{id}/step", post(warning_form_step))
        .route("/import", get(import_page))
        .route("/import/file", post(import_file))
        .route("/admin/users", get(admin_page).post(admin_add))
        .route("/admin/grants", post(admin_grant))
        .route("/admin/grants/{id}/revoke", post(admin_revoke))
        .route("/admin/requests/{id}/{decision}", post(admin_decide))
}

/// Year and month of the figures, and the language.
#[derive(serde::Deserialize, Default, Clone)]
pub struct When {
    year: Option<i32>,
    month: Option<u32>,
    lang: Option<String>,
    after: Option<String>,
}

impl When {
    fn en(&self) -> bool {
        self.lang.as_deref() == Some("en")
    }

    /// The year asked for (default: today's) and month (default: the year's last month
    /// not after today).
    fn resolve(&self) -> (i32, u32) {
        let t = today();
        let year = self.year.unwrap_or(t.year());
        let month = self.month.filter(|m| (1..=12).contains(m)).unwrap_or(if year < t.year() { 12 } else { t.month() });
        (year, month)
    }

    fn query(&self, year: i32, month: u32) -> String {
        format!("?year={year}&month={month}{}", if self.en() { "&lang=en" } else { "" })
    }
}

fn kpis(en: bool, f: &drill::Figures, progress: f64) -> String {
    format!(
        "<section class=kpis><div><b>{}</b><span>{}</span></div><div><b>{}</b><span>{}</span></div><div><b>{}</b><span>{}</span></div><div><b>{}</b><span>{}</span></div></section>",
        wan(f.budget),
        t(en, "预算(万元)", "Budget (10k yuan)"),
        wan(f.paid),
        t(en, "已支付(万元)", "Paid (10k yuan)"),
        pct(f.execution_rate),
        t(en, "支出进度", "Execution rate"),
        pct(progress),
        t(en, "序时进度", "Time progress"),
    )
}

async fn org_page(State(app): State<App>, caller: Caller, Path(code): Path<String>, Query(w): Query<When>) -> Response {
    let en = w.en();
    let (year, month) = w.resolve();
    let here = format!("/org/{}{}", urlencode(&code), w.query(year, month));
    match org_body(&app, &caller, &code, &w, year, month).await {
        Ok((title, body)) => Html(layout(en, &title, &caller, &here, &body)).into_response(),
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

async fn org_body(
    app: &App,
    caller: &Caller,
    code: &str,
    w: &When,
    year: i32,
    month: u32,
) -> Result<(String, String), Problem> {
    let en = w.en();
    let org = app.org().await?;
    caller.check(&org, Permission::ReadBudget, code)?;
    let level = cached_level(app, &org, code, year, month)
        .await?
        .as_ref()
        .clone()
        .ok_or_else(|| Problem::not_found(format!("no organisation node {code}")))?;
    let progress = f64::from(month) / 12.0;
    let q = w.query(year, month);
    let mut b = String::new();
    b.push_str("<p class=crumbs>");
    let _ = write!(b, r#"<a href="/{q}">{}</a> › "#, t(en, "总览", "Overview"));
    for (c, n) in &level.path {
        if caller.check(&org, Permission::ReadBudget, c).is_ok() {
            let _ = write!(b, r#"<a href="/org/{}{q}">{}</a> › "#, urlencode(c), esc(n));
        } else {
            let _ = write!(b, "{} › ", esc(n));
        }
    }
    let _ = write!(b, "<b>{}</b></p>", esc(&level.node.name));
    let _ =
        write!(b, "<h1>{} <small>{} · {year}-{month:02}</small></h1>", esc(&level.node.name), esc(&level.node.code));
    b.push_str(&kpis(en, &level.node, progress));
    if level.node.kind == "region" && caller.check(&org, Permission::Export, &level.node.code).is_ok() {
        b.push_str(&report_links(en, year, month, Some(&level.node.code)));
    }
    if !level.children.is_empty() {
        let _ = write!(b, "<h2>{}</h2>", t(en, "下级", "Below"));
        b.push_str(&head(&[&[t(en, "名称", "Name")][..], &figure_cols(en)].concat()));
        for c in &level.children {
            let kind = match c.kind.as_str() {
                "region" => t(en, "地区", "region"),
                "department" => t(en, "部门", "department"),
                _ => t(en, "单位", "unit"),
            };
            let cls = if c.execution_rate + 0.10 < progress { " class=lag" } else { "" };
            let _ = write!(
                b,
                r#"<tr{cls}><td><a href="/org/{}{q}">{}</a> <small>{} · {}</small></td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}</td></tr>"#,
                urlencode(&c.code),
                esc(&c.name),
                kind,
                esc(&c.code),
                wan(c.budget),
                wan(c.paid),
                pct(c.execution_rate),
                bar(c.execution_rate, progress)
            );
        }
        b.push_str("</tbody></table></div>");
    }
    let cls = crate::api::classified(app).await?;
    let indicators: Vec<&drill::IndicatorFigures> =
        level.indicators.iter().filter(|i| !crate::api::hidden(caller, &org, &cls, &i.unit_code, &i.code)).collect();
    if !indicators.is_empty() {
        let _ = write!(b, "<h2>{}</h2>", t(en, "预算指标", "Budget indicators"));
        b.push_str(&head(
            &[
                &[t(en, "指标", "Indicator"), t(en, "功能分类", "Function"), t(en, "经济分类", "Economic")][..],
                &figure_cols(en),
            ]
            .concat(),
        ));
        for i in indicators {
            let cls = if i.execution_rate + 0.10 < progress { " class=lag" } else { "" };
            let _ = write!(
                b,
                r#"<tr{cls}><td><a href="/indicator/{}{q}">{}</a>{}</td><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}</td></tr>"#,
                urlencode(&i.code),
                esc(&i.code),
                i.project.as_deref().map(|p| format!(" <small>{}</small>", esc(p))).unwrap_or_default(),
                functional_cell(&i.functional_code),
                economic_cell(&i.economic_code),
                wan(i.budget),
                wan(i.paid),
                pct(i.execution_rate),
                bar(i.execution_rate, progress)
            );
        }
        b.push_str("</tbody></table></div>");
    }
    Ok((level.node.name.clone(), b))
}

async fn indicator_page(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    Query(w): Query<When>,
) -> Response {
    let en = w.en();
    let (year, month) = w.resolve();
    let here = format!("/indicator/{}{}", urlencode(&code), w.query(year, month));
    match indicator_body(&app, &caller, &code, &w, year, month).await {
        Ok(body) => Html(layout(en, &code, &caller, &here, &body)).into_response(),
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

fn payment_rows(en: bool, b: &mut String, items: &[browse::PaymentRow], q: &str) {
    b.push_str(&head(&[
        t(en, "凭证号", "Voucher"),
        t(en, "日期", "Date"),
        t(en, "收款人", "Payee"),
        t(en, "金额(元)", "Amount (yuan)"),
        t(en, "摘要", "Summary"),
    ]));
    for p in items {
        let _ = write!(
            b,
            r#"<tr><td><a href="/voucher/{}/{}{q}">{}</a></td><td>{}</td><td>{}</td><td class=n>{}</td><td>{}</td></tr>"#,
            segment(&p.unit_code),
            segment(&p.voucher_no),
            esc(&p.voucher_no),
            esc(&p.pay_date),
            p.payee_name
                .as_deref()
                .map(esc)
                .unwrap_or_else(|| t(en, "（个人，已脱敏）", "(individual, withheld)").into()),
            yuan(&p.amount),
            esc(&p.summary)
        );
    }
    b.push_str("</tbody></table></div>");
}

async fn indicator_body(
    app: &App,
    caller: &Caller,
    code: &str,
    w: &When,
    year: i32,
    month: u32,
) -> Result<String, Problem> {
    let en = w.en();
    let org = app.org().await?;
    // Whether the indicator exists is told only to those who may read its unit.
    let found = drill::indicator(&app.store, code, year, month).await.map_err(Problem::internal)?;
    let Some((unit, i)) = found else {
        return Err(bw_core::access::Refusal::OutOfScope(Permission::ReadBudget, code.to_string()).into());
    };
    caller.check(&org, Permission::ReadBudget, &unit)?;
    if crate::api::hidden(caller, &org, &*crate::api::classified(app).await?, &unit, code) {
        return Err(bw_core::access::Refusal::OutOfScope(Permission::ReadBudget, code.to_string()).into());
    }
    let q = w.query(year, month);
    let unit_name = org.get(&unit).map(|n| n.name.clone()).unwrap_or_default();
    let mut b = format!(
        r#"<p class=crumbs><a href="/{q}">{}</a> › <a href="/org/{}{q}">{}</a> › <b>{}</b></p><h1>{} <small>{year}</small></h1>"#,
        t(en, "总览", "Overview"),
        urlencode(&unit),
        esc(&unit_name),
        esc(code),
        esc(code)
    );
    let f = drill::Figures {
        code: i.code.clone(),
        name: i.code.clone(),
        kind: "indicator".into(),
        budget: i.budget,
        paid: i.paid,
        execution_rate: i.execution_rate,
    };
    b.push_str(&kpis(en, &f, f64::from(month) / 12.0));
    let _ = write!(
        b,
        "<p class=note>{} {} · {} {}</p>",
        t(en, "功能分类", "Function"),
        functional_cell(&i.functional_code),
        t(en, "经济分类", "Economic"),
        economic_cell(&i.economic_code)
    );
    if caller.check(&org, Permission::ReadPayments, &unit).is_err() {
        let _ = write!(
            b,
            "<p class=note>{}</p>",
            t(en, "您的角色不能查看支付凭证。", "Your roles do not show payment vouchers.")
        );
        return Ok(b);
    }
    let after = w.after.as_deref().and_then(|a| a.split_once('/')).map(|(v, u)| (v.to_string(), u.to_string()));
    let filter = PaymentFilter {
        unit: Some(unit.clone()),
        indicator: Some(code.to_string()),
        after,
        limit: 100,
        ..PaymentFilter::default()
    };
    let (items, next) = browse::payments(&app.store, &filter).await.map_err(Problem::internal)?;
    let cls = crate::api::classified(app).await?;
    let items: Vec<browse::PaymentRow> =
        items.into_iter().filter_map(|p| crate::api::mask(caller, &org, &cls, p)).collect();
    let _ = write!(b, "<h2>{}</h2>", t(en, "支付凭证", "Payment vouchers"));
    payment_rows(en, &mut b, &items, &q);
    if let Some(n) = next {
        let _ = write!(
            b,
            r#"<p><a href="/indicator/{}{q}&after={}">{}</a></p>"#,
            urlencode(code),
            urlencode(&n),
            t(en, "下一页 ›", "Next page ›")
        );
    }
    Ok(b)
}

async fn voucher_page(
    State(app): State<App>,
    caller: Caller,
    Path((unit, voucher)): Path<(String, String)>,
    Query(w): Query<When>,
) -> Response {
    let en = w.en();
    let here = format!("/voucher/{}/{}", segment(&unit), segment(&voucher));
    match voucher_body(&app, &caller, &unit, &voucher, &w).await {
        Ok(body) => Html(layout(en, &voucher, &caller, &here, &body)).into_response(),
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

async fn voucher_body(app: &App, caller: &Caller, unit: &str, voucher: &str, w: &When) -> Result<String, Problem> {
    let en = w.en();
    let org = app.org().await?;
    caller.check(&org, Permission::ReadPayments, unit)?;
    let f = PaymentFilter {
        unit: Some(unit.to_string()),
        after: Some((voucher.to_string(), String::new())),
        limit: 1,
        ..PaymentFilter::default()
    };
    let (items, _) = browse::payments(&app.store, &f).await.map_err(Problem::internal)?;
    let cls = crate::api::classified(app).await?;
    let p = items
        .into_iter()
        .find(|p| p.voucher_no == voucher)
        .and_then(|p| crate::api::mask(caller, &org, &cls, p))
        .ok_or_else(|| Problem::not_found(format!("no payment {voucher} of unit {unit}")))?;
    let (year, month) = w.resolve();
    let q = w.query(year, month);
    let unit_name = org.get(unit).map(|n| n.name.clone()).unwrap_or_default();
    let mut b = format!(
        r#"<p class=crumbs><a href="/{q}">{}</a> › <a href="/org/{}{q}">{}</a> › <a href="/indicator/{}{q}">{}</a> › <b>{}</b></p><h1>{} {}</h1><dl class=kv>"#,
        t(en, "总览", "Overview"),
        urlencode(unit),
        esc(&unit_name),
        urlencode(&p.indicator_code),
        esc(&p.indicator_code),
        esc(voucher),
        t(en, "支付凭证", "Payment voucher"),
        esc(voucher)
    );
    let withheld = t(en, "（个人信息，已脱敏）", "(personal data, withheld)");
    let rows: Vec<(&str, String)> = vec![
        (t(en, "单位", "Unit"), format!("{} {}", esc(&unit_name), esc(unit))),
        (t(en, "支付日期", "Date"), esc(&p.pay_date)),
        (t(en, "金额(元)", "Amount (yuan)"), yuan(&p.amount)),
        (t(en, "预算指标", "Indicator"), esc(&p.indicator_code)),
        (t(en, "经济分类", "Economic code"), economic_cell(&p.economic_code)),
        (t(en, "收款人", "Payee"), p.payee_name.as_deref().map(esc).unwrap_or_else(|| withheld.into())),
        (t(en, "收款账号", "Account"), p.payee_account.as_deref().map(esc).unwrap_or_else(|| withheld.into())),
        (
            t(en, "收款人类型", "Payee type"),
            match bw_core::records::PayeeType::parse(&p.payee_type) {
                Ok(kind) if !en => kind.zh().to_string(),
                _ => esc(&p.payee_type),
            },
        ),
        (t(en, "摘要", "Summary"), esc(&p.summary)),
        (t(en, "发票号", "Invoice"), p.invoice_no.as_deref().map(esc).unwrap_or_else(|| "—".into())),
        (t(en, "冲销凭证", "Reverses"), p.reverses.as_deref().map(esc).unwrap_or_else(|| "—".into())),
        (t(en, "日志条目", "Journal entry"), p.journal_idx.to_string()),
    ];
    for (k, v) in rows {
        let _ = write!(b, "<dt>{k}</dt><dd>{v}</dd>");
    }
    b.push_str("</dl>");
    if let Some(no) = p.contract_no.as_deref().filter(|c| !c.is_empty()) {
        let _ = write!(b, "<h2>{} {}</h2>", t(en, "合同", "Contract"), esc(no));
        match drill::contract(&app.store, no).await.map_err(Problem::internal)? {
            Some(c) => {
                let _ = write!(
                    b,
                    "<dl class=kv><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{} – {}</dd><dt>{}</dt><dd>{}</dd></dl>",
                    t(en, "供应商", "Supplier"),
                    esc(&c.supplier_name),
                    t(en, "合同金额(元)", "Amount (yuan)"),
                    c.amount,
                    t(en, "已付(元)", "Paid (yuan)"),
                    c.paid,
                    t(en, "期限", "Term"),
                    esc(&c.signed_on),
                    esc(&c.ends_on),
                    t(en, "状态", "Status"),
                    esc(&c.status)
                );
            }
            None => {
                let _ = write!(
                    b,
                    "<p class=note>{}</p>",
                    t(en, "合同库中没有此合同。", "The contract is not in the contract register.")
                );
            }
        }
    }
    voucher_documents(app, caller, &mut b, en, unit, voucher).await?;
    let _ = write!(
        b,
        r#"<p class=note>{} <a href="/api/v1/ledger/inclusion?index={}">{}</a></p>"#,
        t(en, "此凭证记录在防篡改日志中：", "This voucher is recorded in the tamper-evident log:"),
        p.journal_idx,
        t(en, "包含证明", "inclusion proof")
    );
    Ok(b)
}

/// The voucher's attached documents (images shown, PDFs linked) and, for whoever may record
/// the unit's payments, a form to attach one.
async fn voucher_documents(
    app: &App,
    caller: &Caller,
    b: &mut String,
    en: bool,
    unit: &str,
    voucher: &str,
) -> Result<(), Problem> {
    use bw_app::documents;
    let subject = documents::voucher_subject(unit, voucher);
    let docs =
        documents::list(&app.store, documents::DocKind::VoucherImage, &subject).await.map_err(Problem::internal)?;
    let _ = write!(b, "<h2>{}</h2>", t(en, "单据影像", "Attached documents"));
    if docs.is_empty() {
        let _ = write!(b, "<p class=note>{}</p>", t(en, "尚无附件。", "None attached."));
    }
    b.push_str("<div class=docs>");
    for d in &docs {
        let caption = format!(
            "{} · {} KB · SHA-256 {}…",
            esc(&d.name),
            (d.size + 1023) / 1024,
            esc(&d.sha256[..12.min(d.sha256.len())])
        );
        if d.media_type.starts_with("image/") {
            let _ = write!(
                b,
                r#"<figure><a href="/document/{id}"><img src="/document/{id}" alt="{}" loading=lazy></a><figcaption>{caption}</figcaption></figure>"#,
                esc(&d.name),
                id = d.id
            );
        } else {
            let _ = write!(b, r#"<p><a href="/document/{}">{caption}</a></p>"#, d.id);
        }
    }
    b.push_str("</div>");
    let org = app.org().await?;
    if let (Via::Session { csrf }, Ok(())) = (&caller.via, caller.check(&org, Permission::Ingest, unit)) {
        let _ = write!(
            b,
            r#"<form id=attach><input type=file id=doc accept="image/png,image/jpeg,image/gif,image/webp,application/pdf" required> <button>{}</button></form><p id=attached aria-live=polite></p>
<script>
document.getElementById('attach').addEventListener('submit', async (e) => {{
  e.preventDefault();
  const f = document.getElementById('doc').files[0];
  if (!f) return;
  const r = await fetch('/api/v1/payments/{}/{}/documents?name=' + encodeURIComponent(f.name), {{method: 'POST', headers: {{'Content-Type': f.type || 'application/octet-stream', 'X-CSRF-Token': '{}'}}, body: f}});
  if (r.ok) {{ location.reload(); }} else {{ const j = await r.json(); const p = document.getElementById('attached'); p.className = 'err'; p.textContent = j.detail; }}
}});
</script>"#,
            t(en, "上传附件", "Attach"),
            segment(unit),
            segment(voucher),
            esc(csrf)
        );
    }
    Ok(())
}

/// A document's bytes for the pages (the same checks as the API's).
async fn document_page(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Response {
    match crate::documents_api::document_response(&app, &caller, id).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

/// The caller's saved inbox filters as links, a form to save the current one under a
/// name, and (for the bureau) the media inquiries awaiting an answer.
async fn saved_filters(app: &App, caller: &Caller, b: &mut String, en: bool, q: &InboxQuery) -> Result<(), Problem> {
    let (Some(user), Via::Session { csrf }) = (caller.user(), &caller.via) else { return Ok(()) };
    let lang = if en { "&lang=en" } else { "" };
    let saved = bw_app::users::filters(&app.store, user).await.map_err(Problem::internal)?;
    if !saved.is_empty() {
        let _ = write!(b, "<p class=saved>{} ", t(en, "已保存的筛选：", "Saved filters:"));
        for f in &saved {
            let query: Vec<String> = f.fields.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
            let _ = write!(
                b,
                r#"<a href="/inbox?{}{lang}">{}</a> <form method=post action="/inbox/filters/delete" class=inline><input type=hidden name=csrf value="{}"><input type=hidden name=name value="{}"><button title="{}">×</button></form> "#,
                query.join("&"),
                esc(&f.name),
                esc(csrf),
                esc(&f.name),
                t(en, "删除", "Delete")
            );
        }
        b.push_str("</p>");
    }
    let hidden = |k: &str, v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| format!(r#"<input type=hidden name={k} value="{}">"#, esc(s)))
            .unwrap_or_default()
    };
    let _ = write!(
        b,
        r#"<form method=post action="/inbox/filters" class=filters><input type=hidden name=csrf value="{}">{}{}{}{}<label>{} <input name=name required maxlength=40 size=12></label> <button>{}</button></form>"#,
        esc(csrf),
        hidden("state", &q.state),
        hidden("level", &q.level),
        hidden("rule", &q.rule),
        hidden("kind", &q.kind),
        t(en, "保存当前筛选为", "Save this filter as"),
        t(en, "保存", "Save")
    );
    b.push_str(&outcome(q.done.as_deref(), q.error.as_deref()));
    if caller.access.has(Permission::AnswerInquiry) {
        let open = bw_app::feedback::unanswered(&app.store, today()).await.map_err(Problem::internal)?;
        if !open.is_empty() {
            let _ = write!(b, "<h2>{}</h2><ul>", t(en, "待答复的媒体问询", "Media inquiries awaiting an answer"));
            for i in &open {
                let due = inquiry_due(en, i);
                let _ = write!(
                    b,
                    r#"<li><a href="/public/feedback{}#fb{}">{} · {}</a> — {due}</li>"#,
                    if en { "?lang=en" } else { "" },
                    i.id,
                    esc(&i.subject),
                    esc(&i.body.chars().take(40).collect::<String>())
                );
            }
            b.push_str("</ul>");
        }
    }
    Ok(())
}

#[derive(serde::Deserialize, Default)]
struct FilterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    state: Option<String>,
    level: Option<String>,
    rule: Option<String>,
    kind: Option<String>,
}

async fn filter_save(State(app): State<App>, caller: Caller, Form(f): Form<FilterForm>) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/inbox") {
        return r;
    }
    let Some(user) = caller.user() else { return Redirect::to("/login").into_response() };
    let fields: std::collections::BTreeMap<String, String> =
        [("state", &f.state), ("level", &f.level), ("rule", &f.rule), ("kind", &f.kind)]
            .into_iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
            .collect();
    match bw_app::users::save_filter(&app.store, user, &f.name, &fields).await {
        Ok(()) => Redirect::to(&format!("/inbox?done={}", urlencode(&format!("✓ {}", f.name)))).into_response(),
        Err(e) => Redirect::to(&format!("/inbox?error={}", urlencode(&e.to_string()))).into_response(),
    }
}

async fn filter_delete(State(app): State<App>, caller: Caller, Form(f): Form<FilterForm>) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/inbox") {
        return r;
    }
    let Some(user) = caller.user() else { return Redirect::to("/login").into_response() };
    match bw_app::users::delete_filter(&app.store, user, &f.name).await {
        Ok(()) => Redirect::to("/inbox").into_response(),
        Err(e) => Redirect::to(&format!("/inbox?error={}", urlencode(&e.to_string()))).into_response(),
    }
}

#[derive(serde::Deserialize, Default)]
struct InboxQuery {
    state: Option<String>,
    level: Option<String>,
    rule: Option<String>,
    kind: Option<String>,
    lang: Option<String>,
    /// The page (from 1) of the list, most pressing first.
    page: Option<usize>,
    done: Option<String>,
    error: Option<String>,
}

/// Items a page of the inbox shows.
const INBOX_ROWS: usize = 50;

/// Whether a warning's next deadline has passed: the explanation while open or returned,
/// the plan while a rectification is required.
fn overdue(state: &str, explain_by: &str, plan_by: &str, today: Date) -> Option<String> {
    let due = match bw_rules::workflow::State::parse(state) {
        Some(s) if s.explanation_due() => explain_by,
        Some(bw_rules::workflow::State::RectificationRequired) => plan_by,
        _ => return None,
    };
    Date::parse(due).ok().filter(|d| *d < today).map(|d| d.to_string())
}

async fn inbox_page(State(app): State<App>, caller: Caller, Query(q): Query<InboxQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = "/inbox".to_string();
    match inbox_body(&app, &caller, &q).await {
        Ok(body) => {
            Html(layout(en, t(en, "预警与问题", "Warnings and findings"), &caller, &here, &body)).into_response()
        }
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

async fn inbox_body(app: &App, caller: &Caller, q: &InboxQuery) -> Result<String, Problem> {
    let en = q.lang.as_deref() == Some("en");
    if caller.user().is_none() {
        return Err(Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", t(en, "请先登录。", "Log in first.")));
    }
    let org = app.org().await?;
    let nodes = caller.nodes(&org, Permission::ReadWarnings, false)?;
    let pick = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    // Open items by default (the to-do list); `all` shows every state.
    let state = match q.state.as_deref() {
        None | Some("") => Some(browse::ACTIVE.to_string()),
        Some("all") => None,
        Some(s) => Some(s.to_string()),
    };
    let f = WarningFilter {
        units: nodes.clone(),
        regions: nodes,
        state,
        level: pick(&q.level),
        rule: pick(&q.rule),
        findings: match q.kind.as_deref() {
            Some("finding") => Some(true),
            Some("warning") => Some(false),
            _ => None,
        },
        after: None,
        limit: INBOX_ROWS,
        by_due: true,
        offset: (q.page.unwrap_or(1).max(1) - 1) * INBOX_ROWS,
    };
    let (items, next) = browse::warnings(&app.store, &f).await.map_err(Problem::internal)?;
    let codes: Vec<String> = items.iter().filter_map(|w| w.indicator_code.clone()).collect();
    let labels = browse::indicator_labels(&app.store, &codes).await.map_err(Problem::internal)?;
    let node_name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let mut b = format!("<h1>{}</h1>", t(en, "预警与问题", "Warnings and findings"));
    // The summary the cockpit shows, at the top of the work: what is open, by level.
    let units = caller.nodes(&org, Permission::ReadWarnings, true)?;
    let (levels, _) = drill::warning_counts(&app.store, None, units.as_deref()).await.map_err(Problem::internal)?;
    if !levels.is_empty() {
        let lang = if en { "&lang=en" } else { "" };
        b.push_str("<section class=kpis id=summary>");
        for (l, n) in &levels {
            let _ = write!(
                b,
                r#"<div><b><a href="/inbox?level={}{lang}">{n}</a></b><span>{} {}</span></div>"#,
                urlencode(l),
                level_badge(en, l),
                t(en, "未办结", "in progress")
            );
        }
        b.push_str("</section>");
    }
    let sel_blank = |name: &str, blank: &str, options: &[(String, String)], current: &Option<String>| {
        let mut s = format!("<select name={name}><option value=\"\">{}</option>", esc(blank));
        for (value, label) in options {
            let chosen = current.as_deref() == Some(value.as_str());
            let _ = write!(
                s,
                r#"<option value="{}"{}>{}</option>"#,
                esc(value),
                if chosen { " selected" } else { "" },
                esc(label)
            );
        }
        s.push_str("</select>");
        s
    };
    let sel = |name: &str, options: &[(String, String)], current: &Option<String>| {
        sel_blank(name, t(en, "全部", "all"), options, current)
    };
    let named = |ids: &[&str], name: &dyn Fn(&str) -> String| -> Vec<(String, String)> {
        ids.iter().map(|i| (i.to_string(), name(i))).collect()
    };
    let mut rule_ids: Vec<&str> = bw_rules::Rule::ALL.iter().map(|r| r.id()).collect();
    rule_ids.extend(bw_audit::TESTS.iter().map(|(id, _)| *id));
    let _ = write!(
        b,
        r#"<form method=get class=filters><label>{} {}</label> <label>{} {}</label> <label>{} {}</label> <label>{} {}</label>{} <button>{}</button></form>"#,
        t(en, "状态", "State"),
        {
            // The first option, the default, is the work still to do.
            let mut states = vec![("all".to_string(), t(en, "全部状态", "every state").to_string())];
            let ids: Vec<&str> = bw_rules::workflow::State::ALL.iter().map(|st| st.as_str()).collect();
            states.extend(named(&ids, &|s| state_name(en, s)));
            sel_blank("state", t(en, "未办结", "in progress"), &states, &q.state)
        },
        t(en, "等级", "Level"),
        sel("level", &named(&["red", "orange", "yellow"], &|l| level_name(en, l).to_string()), &q.level),
        t(en, "规则", "Rule"),
        sel("rule", &named(&rule_ids, &|r| rule_name(en, r)), &q.rule),
        t(en, "类别", "Kind"),
        sel(
            "kind",
            &[
                ("warning".into(), t(en, "监控预警", "warning").into()),
                ("finding".into(), t(en, "审计疑点", "finding").into())
            ],
            &q.kind
        ),
        if en { "<input type=hidden name=lang value=en>" } else { "" },
        t(en, "筛选", "Filter"),
    );
    saved_filters(app, caller, &mut b, en, q).await?;
    let today = today();
    let calendar = bw_app::calendar::load(&app.store).await.map_err(Problem::internal)?;
    b.push_str(&head(&[
        "#",
        t(en, "等级", "Level"),
        t(en, "规则", "Rule"),
        t(en, "对象", "Subject"),
        t(en, "期间", "Period"),
        t(en, "状态", "State"),
        t(en, "期限", "Due"),
    ]));
    let lang = if en { "?lang=en" } else { "" };
    for w in &items {
        let subject = w.unit_code.clone().or(w.region_code.clone()).unwrap_or_default();
        // What is due, in working days: left, or overdue by.
        let due_on = match bw_rules::workflow::State::parse(&w.state) {
            Some(s) if s.explanation_due() => Date::parse(&w.explain_by).ok(),
            Some(bw_rules::workflow::State::RectificationRequired) => Date::parse(&w.plan_by).ok(),
            _ => None,
        };
        let due = match due_on {
            Some(d) if d < today => format!(
                "<span class=overdue>{}</span> <small>{d}</small>",
                if en {
                    format!("overdue by {} working days", -calendar.workdays_between(today, d))
                } else {
                    format!("逾期 {} 个工作日", -calendar.workdays_between(today, d))
                }
            ),
            Some(d) => format!(
                "{} <small>{d}</small>",
                if en {
                    format!("{} working days left", calendar.workdays_between(today, d))
                } else {
                    format!("剩 {} 个工作日", calendar.workdays_between(today, d))
                }
            ),
            None => "—".into(),
        };
        let indicator = w
            .indicator_code
            .as_deref()
            .map(|i| match labels.get(i) {
                Some(l) => format!("<br><small>{}</small>", esc(l)),
                None => format!("<br><small>{}</small>", esc(i)),
            })
            .unwrap_or_default();
        let _ = write!(
            b,
            r#"<tr><td><a href="/warning/{}{lang}">{}</a></td><td>{}</td><td class=wrap>{}</td><td class=wrap>{}{}</td><td>{}</td><td>{}</td><td>{due}</td></tr>"#,
            w.id,
            w.id,
            level_badge(en, &w.level),
            esc(&rule_name(en, &w.rule)),
            esc(&node_name(&subject)),
            indicator,
            esc(&w.period),
            esc(&state_name(en, &w.state)),
        );
    }
    b.push_str("</tbody></table></div>");
    if items.is_empty() {
        let _ = write!(b, "<p class=note>{}</p>", t(en, "没有符合条件的预警。", "No warnings match."));
    }
    let page = q.page.unwrap_or(1).max(1);
    if next.is_some() || page > 1 {
        let keep = |k: &str, v: &Option<String>| {
            v.as_deref().filter(|s| !s.is_empty()).map(|s| format!("&{k}={}", urlencode(s))).unwrap_or_default()
        };
        let link = |p: usize| {
            format!(
                "/inbox?page={p}{}{}{}{}{}",
                keep("state", &q.state),
                keep("level", &q.level),
                keep("rule", &q.rule),
                keep("kind", &q.kind),
                keep("lang", &q.lang)
            )
        };
        b.push_str("<p class=pager>");
        if page > 1 {
            let _ = write!(b, r#"<a href="{}">{}</a>"#, esc(&link(page - 1)), t(en, "‹ 上一页", "‹ Previous page"));
        }
        let _ = write!(b, "<b>{}</b>", if en { format!("page {page}") } else { format!("第 {page} 页") });
        if next.is_some() {
            let _ = write!(b, r#"<a href="{}">{}</a>"#, esc(&link(page + 1)), t(en, "下一页 ›", "Next page ›"));
        }
        b.push_str("</p>");
    }
    Ok(b)
}

#[derive(serde::Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

async fn warning_page(
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

async fn warning_body(app: &App, caller: &Caller, id: i64, q: &LangQuery) -> Result<String, Problem> {
    let en = q.lang.as_deref() == Some("en");
    crate::api::warning_in_reach(app, caller, id, Permission::ReadWarnings).await?;
    let w = bw_app::monitor::warning(&app.store, id)
        .await
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::not_found(format!("no warning {id}")))?;
    let history = bw_app::monitor::history(&app.store, id).await.map_err(Problem::internal)?;
    let mut b = format!(
        r#"<p class=crumbs><a href="/inbox">{}</a> › <b>#{id}</b></p><h1>{} {} <small>{}</small></h1>"#,
        t(en, "预警", "Warnings"),
        level_badge(en, &w.level),
        esc(&rule_name(en, &w.rule)),
        esc(&state_name(en, &w.state))
    );
    if let Some(d) = &q.done {
        let _ = write!(b, "<p class=ok role=status>{} {}</p>", t(en, "已办理：", "Done:"), esc(d));
    }
    if let Some(e) = &q.error {
        let _ = write!(b, "<p class=err role=alert>{}</p>", esc(e));
    }
    let subject = w.unit_code.clone().or(w.region_code.clone()).unwrap_or_default();
    let lang = if en { "?lang=en" } else { "" };
    let vouchers: Vec<String> = w
        .vouchers
        .iter()
        .take(20)
        .map(|v| match &w.unit_code {
            Some(u) => format!(r#"<a href="/voucher/{}/{}{lang}">{}</a>"#, segment(u), segment(v), esc(v)),
            None => esc(v),
        })
        .collect();
    let due = overdue(&w.state, &w.explain_by, &w.plan_by, today())
        .map(|d| format!(" <span class=overdue>{} {d}</span>", t(en, "已逾期", "overdue since")))
        .unwrap_or_default();
    let org = app.org().await?;
    let subject_name = org.get(&subject).map(|n| n.name.clone()).unwrap_or_else(|| subject.clone());
    let indicator = match &w.indicator_code {
        Some(code) => {
            let labels =
                browse::indicator_labels(&app.store, std::slice::from_ref(code)).await.map_err(Problem::internal)?;
            format!(
                r#"<a href="/indicator/{}{lang}">{}</a>"#,
                urlencode(code),
                esc(labels.get(code).map(String::as_str).unwrap_or(code))
            )
        }
        None => "—".into(),
    };
    let _ = write!(
        b,
        "<dl class=kv><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}{due}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
        t(en, "对象", "Subject"),
        esc(&subject_name),
        t(en, "指标", "Indicator"),
        indicator,
        t(en, "期间", "Period"),
        esc(&w.period),
        t(en, "发出", "Raised on"),
        esc(&w.raised_on),
        t(en, "说明期限", "Explain by"),
        esc(&w.explain_by),
        t(en, "整改方案期限", "Plan by"),
        esc(&w.plan_by),
        t(en, "整改建议", "Suggestion"),
        esc(&w.suggestion),
        t(en, "凭证", "Vouchers"),
        vouchers.join(" "),
        t(en, "依据", "Evidence"),
        evidence_text(en, &w.evidence),
    );
    // The steps this state allows and the caller may take.
    let csrf = caller.csrf().to_string();
    use bw_rules::workflow::Step;
    let state = bw_rules::workflow::State::parse(&w.state);
    let roles = crate::api::roles_at(caller, &org, &subject);
    let must_attach = bw_app::settings::get_for_year(&app.store, &format!("rules.{}.handling", w.rule), w.year)
        .await
        .map_err(Problem::internal)?
        == "warn_attach";
    let mut forms = String::new();
    for step in Step::ALL {
        let allowed = state.is_some_and(|s| bw_rules::workflow::next_for(s, step, w.unit_code.is_some()).is_ok());
        if !allowed || caller.check(&org, crate::api::step_permission(step), &subject).is_err() {
            continue;
        }
        // A red warning's dismissal is the bureau head's alone; the sign-off the unit head's.
        if (step == Step::Dismiss && bw_core::access::may_dismiss(&w.level, &roles).is_err())
            || (matches!(step, Step::SignOff { .. }) && bw_core::access::may_sign_off(&roles).is_err())
        {
            continue;
        }
        let text_needed = matches!(step, Step::Explain | Step::Plan | Step::Rectify | Step::Dismiss);
        let placeholder = match step {
            Step::Explain => t(en, "核实情况与原因（可分多行）", "What was found and why (several lines allowed)"),
            Step::Plan => t(en, "整改措施、责任人和完成时限", "Measures, who is responsible, by when"),
            Step::Rectify => t(en, "整改完成情况", "What was rectified"),
            Step::Dismiss => t(en, "撤销理由（必填）", "Reason for the dismissal (required)"),
            _ => t(en, "意见（可选）", "Opinion (optional)"),
        };
        let _ = write!(
            forms,
            r#"<form method=post action="/warning/{id}/step{lang}" class=step><input type=hidden name=csrf value="{}"><input type=hidden name=step value="{}"><input type=hidden name=attachments value=""><label>{}<textarea name=note rows=4 placeholder="{}"{}></textarea></label>"#,
            esc(&csrf),
            step.name(),
            step_label(en, step),
            placeholder,
            if text_needed { " required" } else { "" },
        );
        if step == Step::Rectify {
            let _ = write!(
                forms,
                r#"<label>{} <input name=returned inputmode=decimal pattern="[0-9]+(\.[0-9]{{1,2}})?" placeholder="0.00"></label>"#,
                t(en, "退回金额（元，无则留空）", "Money returned (yuan; empty if none)")
            );
        }
        if !matches!(step, Step::SignOff { .. }) {
            let required = step == Step::Explain && must_attach;
            let _ = write!(
                forms,
                r#"<label>{}{} <input type=file name=file multiple accept="application/pdf,image/png,image/jpeg,image/gif,image/webp"{}></label>"#,
                t(en, "附件（PDF 或图片，每个不超过 10 MB）", "Attachments (PDF or images, 10 MB each)"),
                if required {
                    t(en, "，本规则要求必须附证明材料", "; this rule requires supporting documents")
                } else {
                    ""
                },
                if required { " required" } else { "" }
            );
        }
        let _ = write!(forms, "<button>{}</button></form>", step_label(en, step));
    }
    if !forms.is_empty() {
        let _ = write!(
            b,
            r#"<h2>{}</h2><div class=actions>{forms}</div><p id=uploading class=note aria-live=polite></p>
<script>
for (const form of document.querySelectorAll('form.step')) {{
  form.addEventListener('submit', async (e) => {{
    const input = form.querySelector('input[type=file]');
    if (!input || input.files.length === 0 || form.dataset.sent) return;
    e.preventDefault();
    const status = document.getElementById('uploading');
    const ids = [];
    for (const f of input.files) {{
      status.textContent = '{} ' + f.name + ' …';
      const r = await fetch('/api/v1/warnings/{id}/attachments?name=' + encodeURIComponent(f.name), {{method: 'POST', headers: {{'Content-Type': f.type || 'application/octet-stream', 'X-CSRF-Token': '{}'}}, body: f}});
      const j = await r.json();
      if (!r.ok) {{ status.className = 'err'; status.textContent = f.name + '：' + (r.status === 422 ? '{}' : j.detail); return; }}
      ids.push(j.id);
    }}
    form.querySelector('input[name=attachments]').value = ids.join(',');
    input.disabled = true;
    form.dataset.sent = '1';
    form.submit();
  }});
}}
</script>"#,
            t(en, "办理", "Act"),
            t(en, "正在上传", "Uploading"),
            esc(&csrf),
            t(
                en,
                "不是 PDF 或图片，或大于 10 MB，未上传。",
                "not a PDF or an image, or larger than 10 MB: not uploaded."
            )
        );
    }
    let _ = write!(b, "<h2>{}</h2>", t(en, "办理记录", "Life cycle"));
    b.push_str(&head(&[
        t(en, "时间", "When"),
        t(en, "办理人", "Who"),
        t(en, "操作", "Step"),
        t(en, "状态", "State"),
        t(en, "说明", "Note"),
    ]));
    // Attachments are named by their SHA-256; those uploaded here open from the page.
    let docs = bw_app::documents::list(
        &app.store,
        bw_app::documents::DocKind::WarningAttachment,
        &bw_app::documents::warning_subject(id),
    )
    .await
    .map_err(Problem::internal)?;
    let names = bw_app::users::display_names(&app.store).await.map_err(Problem::internal)?;
    for e in &history {
        let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
        let mut note = format!("<div class=text>{}</div>", esc(&s("note")));
        if let Some(r) = e["returned"].as_str().filter(|r| !r.is_empty() && *r != "0.00") {
            let _ = write!(note, "<p>{}{}</p>", t(en, "退回金额（元）：", "Money returned (yuan): "), esc(r));
        }
        let files: Vec<String> = e["attachments"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|a| Some((a.get(0)?.as_str()?, a.get(1)?.as_str()?)))
            .map(|(name, sha)| match docs.iter().find(|d| d.sha256 == sha) {
                Some(d) => format!(r#"<a href="/document/{}">{}</a>"#, d.id, esc(name)),
                None => format!("{} <small>SHA-256 {}…</small>", esc(name), esc(sha.get(..12).unwrap_or(sha))),
            })
            .collect();
        if !files.is_empty() {
            let _ = write!(note, "<p class=files>{}{}</p>", t(en, "附件：", "Attachments: "), files.join("、"));
        }
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td class=wrap>{note}</td></tr>",
            esc(&bw_core::Timestamp::parse(&s("at")).map(crate::clock::local_time).unwrap_or_else(|| s("at"))),
            actor_html(en, &s("actor"), &names),
            esc(&bw_rules::workflow::Step::parse(&s("action"))
                .map(|st| step_label(en, st).to_string())
                .unwrap_or_else(|| s("action"))),
            esc(&state_name(en, &s("from"))),
            esc(&state_name(en, &s("to"))),
        );
    }
    b.push_str("</tbody></table></div>");
    Ok(b)
}

/// A refused step as the page tells it in Chinese: a refusal's own Chinese words, else the
/// kinds of refusal the loop's service gives (a state that moved on, a missing text or
/// attachment, a refund out of bounds), the figure kept where there is one.
fn step_refusal_zh(p: &Problem) -> String {
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

fn step_label(en: bool, step: bw_rules::workflow::Step) -> &'static str {
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
struct StepForm {
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
async fn warning_form_step(
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

async fn import_page(caller: Caller, Query(q): Query<LangQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let csrf = caller.csrf().to_string();
    if caller.user().is_none() || !caller.access.has(Permission::Ingest) {
        let p = Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            t(en, "您的角色不能导入支付数据。", "Your roles do not record payments."),
        );
        return problem_page(en, &caller, "/import", p);
    }
    let words = minijinja::context! {
        title => t(en, "导入数据", "Import"),
        fill => t(en, "按标准模板填写（CSV 或 XLSX）：", "Fill in the standard template (CSV or XLSX):"),
        kind => t(en, "类型", "Kind"),
        payments => t(en, "支付", "Payments"),
        revenues => t(en, "收入", "Revenues"),
        upload => t(en, "上传", "Upload"),
        note => t(
            en,
            "CSV 须为 UTF-8 编码（Excel 中“另存为 CSV UTF-8”）；GBK 编码的文件会被拒绝而不会被误读。整个文件要么全部导入，要么一行也不导入；已导入的凭证再次导入不会重复入账。",
            "CSV in UTF-8 (Excel: Save as CSV UTF-8); a GBK file is refused, never misread. A file is imported whole or not at all; vouchers already recorded are not recorded twice."
        ),
        rows => t(en, "共", "rows"),
        added => t(en, "新增", "added"),
        unchanged => t(en, "已存在", "already recorded"),
        warnings => t(en, "触发预警", "warnings"),
        row => t(en, "行", "Row"),
        column => t(en, "列", "Column"),
        reason => t(en, "原因", "Reason"),
        detail => t(en, "说明", "Detail"),
    };
    let body = crate::templates::render("import.html", minijinja::context! { w => words, csrf => csrf });
    Html(layout(en, t(en, "导入", "Import"), &caller, "/import", &body)).into_response()
}

#[derive(serde::Deserialize)]
struct FileQuery {
    kind: String,
    #[serde(default)]
    name: String,
}

/// A file uploaded from the import page as bytes: read and checked as the command line
/// reads it; a refusal comes back with each row's reason in Chinese and the column by its
/// template name in Chinese.
async fn import_file(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<FileQuery>,
    body: axum::body::Bytes,
) -> Response {
    use bw_core::template::Kind;
    let kind = match q.kind.as_str() {
        "payments" => Kind::Payments,
        "revenues" => Kind::Revenues,
        _ => {
            let detail = "导入类型须为支付（payments）或收入（revenues）。";
            return (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"detail": detail, "errors": []})))
                .into_response();
        }
    };
    match crate::api::ingest_file(&app, &caller, kind, &q.name, &body).await {
        Ok(r) => r,
        Err(p) => {
            let errors: Vec<serde_json::Value> = p
                .errors
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    if let Some(code) = e["code"].as_str().and_then(bw_core::refusal::Code::parse) {
                        e["reason"] = code.zh().into();
                    }
                    // The commonest real case gets its remedy (the reader's message names GBK).
                    if e["message"].as_str().is_some_and(|m| m.contains("GBK")) {
                        e["reason"] = "文件是 GBK 编码：请在 Excel 中“另存为 CSV UTF-8”或直接上传 XLSX".into();
                    }
                    let field = e["field"].as_str().unwrap_or("");
                    if let Some(c) = kind.columns().iter().find(|c| c.name == field) {
                        e["column"] = format!("{}（{}）", c.zh, c.name).into();
                    }
                    e
                })
                .collect();
            let detail = match (&p.zh, errors.len()) {
                (Some(zh), _) => zh.clone(),
                (None, 0) => format!("导入未成功：{}", p.detail),
                (None, n) => format!("文件中有 {n} 处问题，未导入任何记录。请按下表修改后重新上传。"),
            };
            (p.status, axum::Json(serde_json::json!({"detail": detail, "errors": errors}))).into_response()
        }
    }
}

/// A colour for an execution rate against time progress: green on pace, orange more than
/// 10 points behind, red more than 20.
fn pace_colour(rate: f64, progress: f64) -> &'static str {
    let gap = rate - progress;
    if gap < -0.20 {
        "#c0392b"
    } else if gap < -0.10 {
        "#e67e22"
    } else {
        "#27ae60"
    }
}

/// A treemap of `level`'s children, each sized by budget and split by its own children
/// (slice and dice: children across, grandchildren down); every block links to its node.
fn treemap(levels: &[(drill::Figures, Vec<drill::Figures>)], progress: f64, q: &str) -> String {
    let (w, h) = (640.0, 260.0);
    let total: i64 = levels.iter().map(|(f, _)| f.budget.fen().max(0)).sum();
    let mut s =
        format!(r#"<svg viewBox="0 0 {w} {h}" class="chart treemap" role="img" xmlns="http://www.w3.org/2000/svg">"#);
    if total == 0 {
        s.push_str("</svg>");
        return s;
    }
    let mut x = 0.0;
    for (f, kids) in levels {
        let width = w * bw_core::Money::from_fen(f.budget.fen().max(0)).ratio_of(bw_core::Money::from_fen(total));
        let kid_total: i64 = kids.iter().map(|k| k.budget.fen().max(0)).sum();
        let blocks: Vec<&drill::Figures> = if kid_total > 0 { kids.iter().collect() } else { vec![f] };
        let sum = if kid_total > 0 { kid_total } else { f.budget.fen().max(1) };
        let mut y = 0.0;
        for k in blocks {
            let height = h * bw_core::Money::from_fen(k.budget.fen().max(0)).ratio_of(bw_core::Money::from_fen(sum));
            let _ = write!(
                s,
                r##"<a href="/org/{}{q}"><rect x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{height:.1}" fill="{}" stroke="#fff"><title>{} {} · {}</title></rect></a>"##,
                urlencode(&k.code),
                pace_colour(k.execution_rate, progress),
                esc(&k.name),
                wan(k.budget),
                pct(k.execution_rate)
            );
            if width > 60.0 && height > 16.0 {
                let _ = write!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#fff" pointer-events="none">{}</text>"##,
                    x + 4.0,
                    y + 13.0,
                    esc(&k.name.chars().take((width / 12.0) as usize).collect::<String>())
                );
            }
            y += height;
        }
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="0" width="{width:.1}" height="{h}" fill="none" stroke="#333" stroke-width="2"/>"##
        );
        x += width;
    }
    s.push_str("</svg>");
    s
}

/// The regions' outlines as an SVG map (equirectangular, the longitude scaled by the cosine
/// of the middle latitude), each region coloured by its pace and leading to its page.
fn region_map(shapes: &[bw_app::documents::Shape], regions: &[drill::Figures], progress: f64, q: &str) -> String {
    let (w, h) = (640.0_f64, 420.0_f64);
    let points = || shapes.iter().flat_map(|s| s.rings.iter().flatten());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points() {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let k = ((y0 + y1) / 2.0).to_radians().cos().max(0.1);
    let (span_x, span_y) = (((x1 - x0) * k).max(1e-9), (y1 - y0).max(1e-9));
    let scale = (w / span_x).min(h / span_y);
    let (used_w, used_h) = (span_x * scale, span_y * scale);
    let mut s = format!(
        r#"<svg viewBox="0 0 {used_w:.0} {used_h:.0}" class="chart map" role="img" xmlns="http://www.w3.org/2000/svg">"#
    );
    for shape in shapes {
        let mut d = String::new();
        for ring in &shape.rings {
            for (i, &(x, y)) in ring.iter().enumerate() {
                let _ =
                    write!(d, "{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, (x - x0) * k * scale, (y1 - y) * scale);
            }
            d.push('Z');
        }
        let f = regions.iter().find(|r| r.code == shape.code);
        let (fill, title) = match f {
            Some(f) => (
                pace_colour(f.execution_rate, progress),
                format!("{} {} · {}", esc(&f.name), wan(f.budget), pct(f.execution_rate)),
            ),
            None => ("#ccc", esc(&shape.code)),
        };
        let _ = write!(
            s,
            r##"<a href="/org/{}{q}"><path d="{d}" fill="{fill}" fill-rule="evenodd" stroke="#fff" stroke-width="1"><title>{title}</title></path></a>"##,
            urlencode(&shape.code)
        );
    }
    s.push_str("</svg>");
    s
}

/// The cockpit's part for a signed-in caller: the key areas of spending, warnings by level
/// and by rule (each leading to the inbox), a treemap of the regions, the caller's own
/// subtrees.
pub async fn cockpit(
    app: &App,
    caller: &Caller,
    org: &bw_core::org::OrgTree,
    o: &bw_app::overview::Overview,
    en: bool,
) -> Result<String, Problem> {
    let (year, month) = (o.year, o.month);
    let progress = f64::from(month) / 12.0;
    let lang = if en { "&lang=en" } else { "" };
    let q = format!("?year={year}&month={month}{lang}");
    let mut b = String::new();
    let scopes = caller.access.scopes(Permission::ReadBudget);
    let everywhere = scopes.contains(&bw_core::access::Scope::All);
    if !scopes.is_empty() && !everywhere {
        let _ = write!(b, "<h2>{}</h2><ul>", t(en, "我的范围", "My scope"));
        for s in &scopes {
            let name = org.get(s.as_str()).map(|n| n.name.clone()).unwrap_or_default();
            let _ = write!(
                b,
                r#"<li><a href="/org/{}{q}">{} <small>{}</small></a></li>"#,
                urlencode(s.as_str()),
                esc(&name),
                esc(s.as_str())
            );
        }
        b.push_str("</ul>");
    }
    if everywhere {
        if caller.access.scopes(Permission::Export).contains(&bw_core::access::Scope::All) {
            b.push_str(&report_links(en, year, month, None));
        }
        let areas = drill::key_areas(&app.store, org, None, year, month).await.map_err(Problem::internal)?;
        let _ = write!(b, "<h2>{}</h2>", t(en, "重点领域支出", "Key areas of spending"));
        b.push_str(&head(&[&[t(en, "领域", "Area")][..], &figure_cols(en)].concat()));
        for (a, meta) in areas.iter().zip(drill::KEY_AREAS.iter()) {
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}</td></tr>",
                esc(if en { meta.2 } else { meta.1 }),
                wan(a.budget),
                wan(a.paid),
                pct(a.execution_rate),
                bar(a.execution_rate, progress)
            );
        }
        b.push_str("</tbody></table></div>");
        // The map, when an administrator loaded region boundaries.
        let shapes = app
            .cached("boundaries".into(), || async {
                bw_app::documents::boundaries(&app.store).await.map_err(Problem::internal)
            })
            .await?;
        if let Some(shapes) = shapes.as_ref() {
            let regions = drill::nodes(&app.store, org, Some(bw_core::org::OrgKind::Region), year, month)
                .await
                .map_err(Problem::internal)?;
            let _ = write!(
                b,
                "<h2>{}</h2>{}",
                t(en, "各地区预算执行（点击进入）", "Execution by region (click to enter)"),
                region_map(shapes, &regions, progress, &q)
            );
        }
        // The treemap: the root regions' children.
        let roots: Vec<&bw_core::org::OrgNode> = org.nodes().filter(|n| n.parent_code.is_none()).collect();
        for root in roots {
            if let Some(level) =
                drill::level(&app.store, org, &root.code, year, month).await.map_err(Problem::internal)?
            {
                let mut blocks = Vec::new();
                for c in level.children.iter().filter(|c| c.budget.fen() > 0) {
                    let kids = cached_level(app, org, &c.code, year, month)
                        .await?
                        .as_ref()
                        .clone()
                        .map(|l| l.children)
                        .unwrap_or_default();
                    blocks.push((c.clone(), kids));
                }
                let _ = write!(
                    b,
                    "<h2>{} · {}</h2>{}<p class=\"legend treemap-legend\">{} <b style=\"background:#27ae60\"></b>{} <b style=\"background:#e67e22\"></b>{} <b style=\"background:#c0392b\"></b>{}</p>",
                    esc(&root.name),
                    t(en, "预算结构与执行（点击进入）", "Budget and execution (click to enter)"),
                    treemap(&blocks, progress, &q),
                    t(en, "面积为预算。", "Area is budget."),
                    t(en, "进度正常", "on pace"),
                    t(en, "落后序时进度 10 个百分点以上", "more than 10 points behind time progress"),
                    t(en, "落后 20 个百分点以上", "more than 20 points behind"),
                );
            }
        }
    }
    if caller.access.has(Permission::ReadWarnings) {
        let units = caller.nodes(org, Permission::ReadWarnings, true)?;
        let (levels, rules) =
            drill::warning_counts(&app.store, Some(year), units.as_deref()).await.map_err(Problem::internal)?;
        let _ = write!(b, "<h2>{}</h2><section class=kpis>", t(en, "未办结预警", "Warnings in progress"));
        for (l, n) in &levels {
            let _ = write!(
                b,
                r#"<div><b><a href="/inbox?level={}{lang}">{n}</a></b><span>{}</span></div>"#,
                urlencode(l),
                level_badge(en, l)
            );
        }
        b.push_str("</section>");
        if !rules.is_empty() {
            b.push_str(&head(&[t(en, "规则", "Rule"), t(en, "数量", "Count")]));
            for (r, n) in &rules {
                let _ = write!(
                    b,
                    r#"<tr><td><a href="/inbox?rule={}{lang}">{}</a></td><td class=n>{n}</td></tr>"#,
                    urlencode(r),
                    esc(&rule_name(en, r))
                );
            }
            b.push_str("</tbody></table></div>");
        }
        let top = bw_app::browse::suspicious_payments(&app.store, year, units.as_deref(), 10)
            .await
            .map_err(Problem::internal)?;
        if !top.is_empty() {
            let _ = write!(b, "<h2>{}</h2>", t(en, "金额最大的疑点支付", "Largest payments under warning"));
            b.push_str(&head(&[
                t(en, "凭证", "Voucher"),
                t(en, "单位", "Unit"),
                t(en, "支付日期", "Date"),
                t(en, "金额(万元)", "Amount (10k yuan)"),
                t(en, "预警", "Warnings"),
                t(en, "摘要", "Summary"),
            ]));
            for p in &top {
                let rules: Vec<String> = p.rules.iter().map(|r| esc(&rule_name(en, r))).collect();
                let _ = write!(
                    b,
                    r#"<tr><td><a href="/voucher/{}/{}{}">{}</a></td><td class=wrap>{}</td><td>{}</td><td class=n>{}</td><td class=wrap>{} {}</td><td class=wrap>{}</td></tr>"#,
                    segment(&p.unit_code),
                    segment(&p.voucher_no),
                    if en { "?lang=en" } else { "" },
                    esc(&p.voucher_no),
                    esc(&org.get(&p.unit_code).map(|n| n.name.clone()).unwrap_or_else(|| p.unit_code.clone())),
                    esc(&p.pay_date),
                    wan(p.amount),
                    level_badge(en, &p.level),
                    rules.join("、"),
                    esc(&p.summary)
                );
            }
            b.push_str("</tbody></table></div>");
        }
    }
    if caller.access.has(Permission::ReadBudget) {
        let units = caller.nodes(org, Permission::ReadBudget, true)?;
        let strained = bw_app::browse::strained_indicators(&app.store, year, month, units.as_deref(), 90, 10)
            .await
            .map_err(Problem::internal)?;
        let _ = write!(
            b,
            "<h2>{}</h2>",
            t(
                en,
                "超预算及接近额度的指标（已支付达 90% 以上）",
                "Indicators over or near their amount (90 % paid or more)"
            )
        );
        if strained.is_empty() {
            let _ = write!(b, "<p class=note>{}</p>", t(en, "无。", "None."));
        } else {
            let codes: Vec<String> = strained.iter().map(|s| s.indicator_code.clone()).collect();
            let labels = bw_app::browse::indicator_labels(&app.store, &codes).await.map_err(Problem::internal)?;
            b.push_str(&head(&[
                t(en, "指标", "Indicator"),
                t(en, "单位", "Unit"),
                t(en, "预算(万元)", "Budget (10k yuan)"),
                t(en, "已支付(万元)", "Paid (10k yuan)"),
                t(en, "超出(万元)", "Over (10k yuan)"),
                t(en, "支付比例", "Paid share"),
            ]));
            for s in &strained {
                let over = s.paid.fen() - s.amount.fen();
                let _ = write!(
                    b,
                    r#"<tr{}><td class=wrap><a href="/indicator/{}{q}">{}</a></td><td class=wrap>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>"#,
                    if over > 0 { " class=over" } else { "" },
                    urlencode(&s.indicator_code),
                    esc(labels.get(&s.indicator_code).map(String::as_str).unwrap_or(&s.indicator_code)),
                    esc(&org.get(&s.unit_code).map(|n| n.name.clone()).unwrap_or_else(|| s.unit_code.clone())),
                    wan(s.amount),
                    wan(s.paid),
                    if over > 0 { wan(bw_core::Money::from_fen(over)) } else { "—".into() },
                    pct(s.ratio())
                );
            }
            b.push_str("</tbody></table></div>");
        }
    }
    Ok(b)
}

/// The figure columns of a drill-down table: budget, paid, rate and its bar.
fn figure_cols(en: bool) -> [&'static str; 4] {
    [
        t(en, "预算(万元)", "Budget (10k yuan)"),
        t(en, "已支付(万元)", "Paid (10k yuan)"),
        t(en, "支出进度", "Execution rate"),
        "",
    ]
}

// ---- administration ----

#[derive(serde::Deserialize, Default)]
struct AdminQuery {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

/// Whether the caller may administer accounts on `scope` (`*`: everywhere).
fn may_manage(caller: &Caller, org: &bw_core::org::OrgTree, scope: &str) -> Result<(), Problem> {
    if scope == "*" || scope.is_empty() {
        if caller.access.scopes(Permission::ManageUsers).contains(&bw_core::access::Scope::All) {
            return Ok(());
        }
        return Err(bw_core::access::Refusal::OutOfScope(Permission::ManageUsers, "*".into()).into());
    }
    caller.check(org, Permission::ManageUsers, scope)
}

async fn admin_page(State(app): State<App>, caller: Caller, Query(q): Query<AdminQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = "/admin/users";
    if caller.user().is_none() || !caller.access.has(Permission::ManageUsers) {
        let p = Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            t(en, "只有系统管理员可以管理账号。", "Only administrators manage accounts."),
        );
        return problem_page(en, &caller, here, p);
    }
    let list = match bw_app::users::list(&app.store, crate::clock::now()).await {
        Ok(l) => l,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let csrf = caller.csrf().to_string();
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    // A role and a scope as the administrator reads them: names, the ids beside them.
    let role_name = |id: &str| match bw_core::access::Role::parse(id) {
        Ok(r) if !en => format!("{} <small>{}</small>", esc(r.zh()), esc(id)),
        _ => esc(id),
    };
    let scope_name = |s: &str| match (s, org.get(s)) {
        ("*", _) => t(en, "全部组织", "the whole organisation").to_string(),
        (_, Some(n)) => format!("{} {}", esc(&n.name), esc(s)),
        _ => esc(s),
    };
    let mut b = format!("<h1>{}</h1>", t(en, "账号与授权", "Accounts and grants"));
    b.push_str(&outcome(q.done.as_deref(), q.error.as_deref()));
    b.push_str(&head(&[t(en, "用户", "User"), t(en, "单位", "Unit"), t(en, "授权", "Grants"), ""]));
    for u in &list {
        let mut grants = String::new();
        for g in u.grants.iter().filter(|g| g.revoked_by.is_none()) {
            let until = g.until.as_deref().map(|d| format!(" ≤ {}", esc(d))).unwrap_or_default();
            let _ = write!(
                grants,
                r#"<div>{} <small>L{} · {}{until}</small> <form method=post action="/admin/grants/{}/revoke" style="display:inline"><input type=hidden name=csrf value="{}"><button>{}</button></form></div>"#,
                role_name(&g.role),
                g.level,
                scope_name(&g.scope),
                g.id,
                esc(&csrf),
                t(en, "撤销", "Revoke")
            );
        }
        let locked = u
            .locked_until
            .as_deref()
            .map(|l| {
                let at = bw_core::Timestamp::parse(l).map(crate::clock::local_time).unwrap_or_else(|| l.to_string());
                format!(" <span class=overdue>{} {}</span>", t(en, "锁定至", "locked until"), esc(&at))
            })
            .unwrap_or_default();
        let _ = write!(
            b,
            "<tr><td>{} <small>{}</small>{locked}</td><td>{}</td><td>{grants}</td><td></td></tr>",
            esc(&u.name),
            esc(&u.display_name),
            esc(u.unit.as_deref().unwrap_or("—"))
        );
    }
    b.push_str("</tbody></table></div>");
    // Grants of roles at or above bureau_reviewer wait for a second administrator: the
    // decision buttons only for one who neither asked for the grant nor receives it.
    let requests = match bw_app::users::grant_requests(&app.store).await {
        Ok(r) => r,
        Err(e) => return Problem::internal(e).into_response(),
    };
    if !requests.is_empty() {
        let me = format!("user:{}", caller.access.user);
        let _ = write!(b, "<h2>{}</h2>", t(en, "待第二人批准的授权", "Grants waiting for a second administrator"));
        b.push_str(&head(&[
            t(en, "申请", "Request"),
            t(en, "用户", "User"),
            t(en, "角色", "Role"),
            t(en, "范围", "Scope"),
            t(en, "申请人", "Asked by"),
            "",
        ]));
        for r in &requests {
            let role =
                bw_core::access::Role::parse(&r.role).map(|x| x.zh().to_string()).unwrap_or_else(|_| r.role.clone());
            let forms = if bw_core::access::second_person(&r.requested_by, &me, &r.user).is_ok() {
                format!(
                    r#"<form method=post action="/admin/requests/{id}/approve" style="display:inline"><input type=hidden name=csrf value="{c}"><button>{}</button></form> <form method=post action="/admin/requests/{id}/reject" style="display:inline"><input type=hidden name=csrf value="{c}"><button>{}</button></form>"#,
                    t(en, "批准", "Approve"),
                    t(en, "驳回", "Refuse"),
                    id = r.id,
                    c = esc(&csrf)
                )
            } else {
                format!("<small>{}</small>", t(en, "需另一位管理员批准", "another administrator decides"))
            };
            let until = r.until.as_deref().map(|d| format!(" ≤ {}", esc(d))).unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{until}</td><td>{}</td><td>{forms}</td></tr>",
                r.id,
                esc(&r.user),
                esc(&role),
                esc(&r.scope),
                esc(r.requested_by.strip_prefix("user:").unwrap_or(&r.requested_by))
            );
        }
        b.push_str("</tbody></table></div>");
    }
    let roles: String = bw_core::access::Role::ALL
        .iter()
        .map(|r| format!(r#"<option value="{}">{} {} · {}</option>"#, r.id(), r.level(), esc(r.zh()), r.id()))
        .collect();
    // The scope is chosen from the organisation, never preset to the whole installation.
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let mut nodes: Vec<(String, usize, String)> = org
        .nodes()
        .map(|n| {
            let path = org.ancestors(&n.code);
            let key = path.iter().rev().map(|a| a.code.as_str()).collect::<Vec<_>>().join("/");
            (key, path.len().saturating_sub(1), format!("{}（{}）", n.name, n.code))
        })
        .collect();
    nodes.sort();
    let mut scopes = format!(
        r#"<option value="" selected disabled>{}</option><option value="*">{}</option>"#,
        t(en, "请选择授权范围", "choose the scope"),
        t(en, "全部组织", "the whole organisation"),
    );
    for (key, depth, label) in &nodes {
        let code = key.rsplit('/').next().unwrap_or(key);
        let _ = write!(scopes, r#"<option value="{}">{}{}</option>"#, esc(code), "　".repeat(*depth), esc(label));
    }
    let _ = write!(
        b,
        r#"<h2>{}</h2><form method=post action="/admin/users" class=actions><input type=hidden name=csrf value="{csrf}"><input type=text name=name placeholder="{}" aria-label="{}" required> <input type=text name=display placeholder="{}" aria-label="{}"> <input type=text name=unit placeholder="{}" aria-label="{}"> <input type=password name=password placeholder="{}" aria-label="{}" required minlength=10> <button>{}</button></form>
<h2>{}</h2><form method=post action="/admin/grants" class=actions><input type=hidden name=csrf value="{csrf}"><input type=text name=name placeholder="{}" aria-label="{}" required> <select name=role aria-label="{}">{roles}</select> <select name=scope required aria-label="{}">{scopes}</select> <input type=date name=until aria-label="{}"> <button>{}</button></form>"#,
        t(en, "新增账号", "Add an account"),
        t(en, "用户名", "user name"),
        t(en, "用户名", "user name"),
        t(en, "姓名", "display name"),
        t(en, "姓名", "display name"),
        t(en, "所属单位代码", "unit code"),
        t(en, "所属单位代码", "unit code"),
        t(en, "初始密码（至少10位）", "initial password (10+)"),
        t(en, "初始密码", "initial password"),
        t(en, "新增", "Add"),
        t(en, "授权", "Grant a role"),
        t(en, "用户名", "user name"),
        t(en, "用户名", "user name"),
        t(en, "角色", "role"),
        t(en, "范围（组织代码或 *）", "scope (organisation code or *)"),
        t(en, "截止日期", "until"),
        t(en, "授权", "Grant"),
    );
    Html(layout(en, t(en, "账号与授权", "Accounts and grants"), &caller, here, &b)).into_response()
}

#[derive(serde::Deserialize)]
struct AdminForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    display: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    until: String,
}

fn admin_back(r: Result<String, String>) -> Response {
    match r {
        Ok(m) => Redirect::to(&format!("/admin/users?done={}", urlencode(&m))).into_response(),
        Err(e) => Redirect::to(&format!("/admin/users?error={}", urlencode(&e))).into_response(),
    }
}

async fn admin_add(State(app): State<App>, caller: Caller, Form(f): Form<AdminForm>) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/admin/users") {
        return r;
    }
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let unit = f.unit.trim().to_string();
    if let Err(p) = may_manage(&caller, &org, if unit.is_empty() { "*" } else { &unit }) {
        return p.into_response();
    }
    let ctx = match caller.ctx(Some(format!("account of {}", f.name.trim()))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let store = app.store.clone();
    let (name, display, password) = (f.name.trim().to_string(), f.display, f.password);
    let done = crate::api::off_thread(move |rt| {
        let unit = (!unit.is_empty()).then_some(unit.as_str());
        rt.block_on(bw_app::users::add(&store, &ctx, &name, &display, unit, &password)).map(|_| name.clone())
    })
    .await;
    match done {
        Ok(Ok(name)) => admin_back(Ok(format!("已添加账号 {name}"))),
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => admin_back(Err(account_refusal_zh(&m))),
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn admin_grant(State(app): State<App>, caller: Caller, Form(f): Form<AdminForm>) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/admin/users") {
        return r;
    }
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    if f.scope.trim().is_empty() {
        return admin_back(Err("请选择授权范围：组织中的地区、部门或单位，或全部组织".into()));
    }
    let scope = bw_core::access::Scope::parse(&f.scope);
    if let Err(p) = may_manage(&caller, &org, scope.as_str()) {
        return p.into_response();
    }
    let role = match bw_core::access::Role::parse(&f.role) {
        Ok(r) => r,
        Err(_) => return admin_back(Err("请选择角色。".into())),
    };
    let until = match f.until.trim() {
        "" => None,
        d => match Date::parse(d) {
            Ok(d) => Some(d),
            Err(_) => return admin_back(Err(format!("有效期“{d}”不是日期（YYYY-MM-DD）。"))),
        },
    };
    let ctx = match caller.ctx(Some(format!("{} on {} for {}", role.id(), scope.as_str(), f.name.trim()))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (store, name) = (app.store.clone(), f.name.trim().to_string());
    let done =
        crate::api::off_thread(move |rt| rt.block_on(bw_app::users::grant(&store, &ctx, &name, role, &scope, until)))
            .await;
    match done {
        Ok(Ok(bw_app::users::Granted::Made(id))) => admin_back(Ok(format!("已授权（第 {id} 号）"))),
        Ok(Ok(bw_app::users::Granted::Requested(id))) => {
            admin_back(Ok(format!("已提交授权申请（第 {id} 号），待另一位管理员批准后生效")))
        }
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => admin_back(Err(account_refusal_zh(&m))),
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

/// Approves or refuses a grant request (a second administrator's decision).
async fn admin_decide(
    State(app): State<App>,
    caller: Caller,
    Path((id, decision)): Path<(i64, String)>,
    Form(f): Form<AdminForm>,
) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/admin/users") {
        return r;
    }
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Problem::new(StatusCode::NOT_FOUND, "not found", "approve or reject").into_response(),
    };
    if !caller.access.has(Permission::ManageUsers) {
        return Problem::new(StatusCode::FORBIDDEN, "forbidden", "only administrators decide grant requests")
            .into_response();
    }
    let ctx = match caller.ctx(Some(format!("grant request {id} {}", if approve { "approved" } else { "refused" }))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let store = app.store.clone();
    let done =
        crate::api::off_thread(move |rt| rt.block_on(bw_app::users::decide_grant(&store, &ctx, id, approve))).await;
    match done {
        Ok(Ok(idx)) if approve => admin_back(Ok(format!("已批准授权申请第 {id} 号（授权第 {idx} 号）"))),
        Ok(Ok(_)) => admin_back(Ok(format!("已拒绝授权申请第 {id} 号"))),
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => admin_back(Err(account_refusal_zh(&m))),
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn admin_revoke(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<AdminForm>,
) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/admin/users") {
        return r;
    }
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let list = match bw_app::users::list(&app.store, crate::clock::now()).await {
        Ok(l) => l,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let Some(scope) = list.iter().flat_map(|u| &u.grants).find(|g| g.id == id).map(|g| g.scope.clone()) else {
        return admin_back(Err(format!("没有第 {id} 号授权")));
    };
    if let Err(p) = may_manage(&caller, &org, &scope) {
        return p.into_response();
    }
    let ctx = match caller.ctx(Some(format!("grant {id} revoked"))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let store = app.store.clone();
    let done = crate::api::off_thread(move |rt| rt.block_on(bw_app::users::revoke(&store, &ctx, id))).await;
    match done {
        Ok(Ok(_)) => admin_back(Ok(format!("已撤销第 {id} 号授权"))),
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => admin_back(Err(account_refusal_zh(&m))),
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

/// A drill-down level, computed once per journal size.
async fn cached_level(
    app: &App,
    org: &bw_core::org::OrgTree,
    code: &str,
    year: i32,
    month: u32,
) -> Result<std::sync::Arc<Option<drill::Level>>, Problem> {
    app.cached(format!("level/{code}/{year}/{month}"), || async {
        drill::level(&app.store, org, code, year, month).await.map_err(Problem::internal)
    })
    .await
}
