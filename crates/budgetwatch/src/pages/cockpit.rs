//! The cockpit for a signed-in caller: key figures, warnings, treemap and region map.

use minijinja::context;

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
    // Numbers and constants only: written raw into the links, as the pages always wrote them.
    let lang = minijinja::Value::from_safe_string(if en { "&lang=en" } else { "" }.into());
    let q = format!("?year={year}&month={month}{}", if en { "&lang=en" } else { "" });
    let scopes = caller.access.scopes(Permission::ReadBudget);
    let everywhere = scopes.contains(&bw_core::access::Scope::All);
    let own: Vec<minijinja::Value> = if everywhere {
        Vec::new()
    } else {
        scopes
            .iter()
            .map(|s| {
                let name = org.get(s.as_str()).map(|n| n.name.clone()).unwrap_or_default();
                context! { href => urlencode(s.as_str()), name => name, code => s.as_str() }
            })
            .collect()
    };
    let overall = if everywhere { Some(everywhere_part(app, org, en, year, month, &q).await?) } else { None };
    let reports = (everywhere && caller.access.scopes(Permission::Export).contains(&bw_core::access::Scope::All))
        .then(|| minijinja::Value::from_safe_string(report_links(en, year, month, None)));
    let warnings = if caller.access.has(Permission::ReadWarnings) {
        let units = caller.nodes(org, Permission::ReadWarnings, true)?;
        let (levels, rules) =
            drill::warning_counts(&app.store, Some(year), units.as_deref()).await.map_err(Problem::internal)?;
        let top = bw_app::browse::suspicious_payments(&app.store, year, units.as_deref(), 10)
            .await
            .map_err(Problem::internal)?;
        let levels: Vec<minijinja::Value> = levels
            .iter()
            .map(|(l, n)| {
                context! {
                    level => urlencode(l),
                    count => n,
                    badge => minijinja::Value::from_safe_string(level_badge(en, l)),
                }
            })
            .collect();
        let rules: Vec<minijinja::Value> = rules
            .iter()
            .map(|(r, n)| context! { rule => urlencode(r), name => rule_name(en, r), count => n })
            .collect();
        let top: Vec<minijinja::Value> = top
            .iter()
            .map(|p| {
                context! {
                    unit => segment(&p.unit_code),
                    voucher => segment(&p.voucher_no),
                    voucher_no => &p.voucher_no,
                    unit_name => org.get(&p.unit_code).map(|n| n.name.clone()).unwrap_or_else(|| p.unit_code.clone()),
                    date => &p.pay_date,
                    amount => wan(p.amount),
                    badge => minijinja::Value::from_safe_string(level_badge(en, &p.level)),
                    rules => p.rules.iter().map(|r| rule_name(en, r)).collect::<Vec<_>>(),
                    summary => &p.summary,
                }
            })
            .collect();
        Some(context! { levels => levels, rules => rules, top => top })
    } else {
        None
    };
    let strained = if caller.access.has(Permission::ReadBudget) {
        let units = caller.nodes(org, Permission::ReadBudget, true)?;
        let strained = bw_app::browse::strained_indicators(&app.store, year, month, units.as_deref(), 90, 10)
            .await
            .map_err(Problem::internal)?;
        let codes: Vec<String> = strained.iter().map(|s| s.indicator_code.clone()).collect();
        let labels = if strained.is_empty() {
            Default::default()
        } else {
            bw_app::browse::indicator_labels(&app.store, &codes).await.map_err(Problem::internal)?
        };
        let rows: Vec<minijinja::Value> = strained
            .iter()
            .map(|s| {
                let over = s.paid.fen() - s.amount.fen();
                context! {
                    href => urlencode(&s.indicator_code),
                    label => labels.get(&s.indicator_code).unwrap_or(&s.indicator_code),
                    unit => org.get(&s.unit_code).map(|n| n.name.clone()).unwrap_or_else(|| s.unit_code.clone()),
                    amount => wan(s.amount),
                    paid => wan(s.paid),
                    over => (over > 0).then(|| wan(bw_core::Money::from_fen(over))),
                    share => pct(s.ratio()),
                }
            })
            .collect();
        Some(rows)
    } else {
        None
    };
    Ok(crate::templates::render(
        "cockpit.html",
        context! {
            w => context! {
                my_scope => t(en, "我的范围", "My scope"),
                key_areas => t(en, "重点领域支出", "Key areas of spending"),
                area => t(en, "领域", "Area"),
                by_region => t(en, "各地区预算执行（点击进入）", "Execution by region (click to enter)"),
                structure => t(en, "预算结构与执行（点击进入）", "Budget and execution (click to enter)"),
                area_is_budget => t(en, "面积为预算。", "Area is budget."),
                on_pace => t(en, "进度正常", "on pace"),
                behind_10 => t(en, "落后序时进度 10 个百分点以上", "more than 10 points behind time progress"),
                behind_20 => t(en, "落后 20 个百分点以上", "more than 20 points behind"),
                in_progress => t(en, "未办结预警", "Warnings in progress"),
                rule => t(en, "规则", "Rule"),
                count => t(en, "数量", "Count"),
                largest => t(en, "金额最大的疑点支付", "Largest payments under warning"),
                voucher => t(en, "凭证", "Voucher"),
                unit => t(en, "单位", "Unit"),
                date => t(en, "支付日期", "Date"),
                amount_wan => t(en, "金额(万元)", "Amount (10k yuan)"),
                warnings => t(en, "预警", "Warnings"),
                summary => t(en, "摘要", "Summary"),
                strained => t(
                    en,
                    "超预算及接近额度的指标（已支付达 90% 以上）",
                    "Indicators over or near their amount (90 % paid or more)"
                ),
                none => t(en, "无。", "None."),
                indicator => t(en, "指标", "Indicator"),
                budget => t(en, "预算(万元)", "Budget (10k yuan)"),
                paid => t(en, "已支付(万元)", "Paid (10k yuan)"),
                over => t(en, "超出(万元)", "Over (10k yuan)"),
                share => t(en, "支付比例", "Paid share"),
            },
            q => minijinja::Value::from_safe_string(q),
            lang => lang,
            lang_q => if en { "?lang=en" } else { "" },
            scopes => own,
            reports => reports,
            cols => figure_cols(en),
            everywhere => overall,
            warnings => warnings,
            strained => strained,
        },
    ))
}

/// What only a caller who reads everywhere sees: the key areas of spending, the region map
/// (when an administrator loaded region boundaries) and a treemap under each root region.
async fn everywhere_part(
    app: &App,
    org: &bw_core::org::OrgTree,
    en: bool,
    year: i32,
    month: u32,
    q: &str,
) -> Result<minijinja::Value, Problem> {
    let progress = f64::from(month) / 12.0;
    let areas = drill::key_areas(&app.store, org, None, year, month).await.map_err(Problem::internal)?;
    let areas: Vec<minijinja::Value> = areas
        .iter()
        .zip(drill::KEY_AREAS.iter())
        .map(|(a, meta)| {
            context! {
                name => if en { meta.2 } else { meta.1 },
                figures => figure_cells(a.budget, a.paid, a.execution_rate, progress),
            }
        })
        .collect();
    let shapes = app
        .cached("boundaries".into(), || async {
            bw_app::documents::boundaries(&app.store).await.map_err(Problem::internal)
        })
        .await?;
    let map = match shapes.as_ref() {
        Some(shapes) => {
            let regions = drill::nodes(&app.store, org, Some(bw_core::org::OrgKind::Region), year, month)
                .await
                .map_err(Problem::internal)?;
            Some(minijinja::Value::from_safe_string(region_map(shapes, &regions, progress, q)))
        }
        None => None,
    };
    // The treemaps: each root region's children, split by their own children.
    let mut treemaps = Vec::new();
    for root in org.nodes().filter(|n| n.parent_code.is_none()) {
        if let Some(level) = drill::level(&app.store, org, &root.code, year, month).await.map_err(Problem::internal)? {
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
            treemaps.push(context! {
                root => &root.name,
                svg => minijinja::Value::from_safe_string(treemap(&blocks, progress, q)),
            });
        }
    }
    Ok(context! { areas => areas, map => map, treemaps => treemaps })
}
