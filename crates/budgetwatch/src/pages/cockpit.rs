//! The cockpit for a signed-in caller: key figures, warnings, treemap and region map.

use super::*;

/// A colour for an execution rate against time progress: green on pace, orange more than
/// 10 points behind, red more than 20.
pub(super) fn pace_colour(rate: f64, progress: f64) -> &'static str {
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
pub(super) fn treemap(levels: &[(drill::Figures, Vec<drill::Figures>)], progress: f64, q: &str) -> String {
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
pub(super) fn region_map(
    shapes: &[bw_app::documents::Shape],
    regions: &[drill::Figures],
    progress: f64,
    q: &str,
) -> String {
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
pub(crate) async fn cockpit(
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
