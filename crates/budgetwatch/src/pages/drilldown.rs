//! The drill-down from a region to a payment voucher and its documents.

use super::*;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/org/{code}", get(org_page))
        .route("/indicator/{code}", get(indicator_page))
        .route("/voucher/{unit}/{voucher}", get(voucher_page))
        .route("/document/{id}", get(document_page))
}

pub(super) async fn org_page(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    Query(w): Query<When>,
) -> Response {
    let en = w.en();
    let (year, month) = w.resolve();
    let here = format!("/org/{}{}", urlencode(&code), w.query(year, month));
    match org_body(&app, &caller, &code, &w, year, month).await {
        Ok((title, body)) => Html(layout(en, &title, &caller, &here, &body)).into_response(),
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

pub(super) async fn org_body(
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

pub(super) async fn indicator_page(
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

pub(super) fn payment_rows(en: bool, b: &mut String, items: &[browse::PaymentRow], q: &str) {
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

pub(super) async fn indicator_body(
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

pub(super) async fn voucher_page(
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

pub(super) async fn voucher_body(
    app: &App,
    caller: &Caller,
    unit: &str,
    voucher: &str,
    w: &When,
) -> Result<String, Problem> {
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
pub(super) async fn voucher_documents(
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
pub(super) async fn document_page(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Response {
    match crate::documents_api::document_response(&app, &caller, id).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}
