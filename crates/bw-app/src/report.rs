//! Reports: the execution report of a month or a quarter (rows and subtotals from
//! `bw_core::report`), read from the store and written as XLSX or as PDF (docs/REPORTS.md).

use std::collections::{BTreeMap, BTreeSet};

use bw_core::Money;
use bw_core::report::{Line, Period, Row, RowKind};
use bw_store::Store;
use bw_store::sqlx::{self, Row as _};

use crate::journal::ActionError;

/// An execution report, ready to be written.
#[derive(Clone, Debug)]
pub struct ExecutionReport {
    pub period: Period,
    pub region_code: String,
    pub region_name: String,
    pub rows: Vec<Row>,
}

/// The execution report of `period` for region `region` (default: the one top region).
pub async fn execution(store: &Store, period: &Period, region: Option<&str>) -> Result<ExecutionReport, ActionError> {
    let tree = crate::users::org_tree(store).await?;
    let root = match region {
        Some(r) => r.to_string(),
        None => {
            let tops: Vec<&bw_core::org::OrgNode> =
                tree.nodes().filter(|n| n.parent_code.is_none() && n.kind == bw_core::org::OrgKind::Region).collect();
            match tops.as_slice() {
                [one] => one.code.clone(),
                [] => return Err(ActionError::Invalid("no regions: import the organisation first".into())),
                _ => return Err(ActionError::Invalid("several top regions: name one with --region".into())),
            }
        }
    };
    let year = period.year;
    let key = |m: u32| format!("{year:04}-{m:02}");
    let rows = sqlx::query(
        "SELECT i.indicator_code, i.unit_code, i.project_code, i.functional_code, i.economic_code, i.amount, \
         CAST(COALESCE((SELECT SUM(m.paid) FROM indicator_months m WHERE m.year = i.year AND m.indicator_code = i.indicator_code AND m.month >= $2 AND m.month <= $3), 0) AS BIGINT), \
         CAST(COALESCE((SELECT SUM(m.paid) FROM indicator_months m WHERE m.year = i.year AND m.indicator_code = i.indicator_code AND m.month <= $3), 0) AS BIGINT) \
         FROM indicators i WHERE i.year = $1",
    )
    .bind(i64::from(year))
    .bind(key(period.first_month))
    .bind(key(period.last_month))
    .fetch_all(store.pool())
    .await?;
    // The causes the units gave (whenever they gave them) for warnings about the period or
    // earlier — a month up to the period's last, or the whole year — per indicator.
    let mut causes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let explained = sqlx::query(
        "SELECT w.indicator_code, e.note FROM warning_events e JOIN warnings w ON w.id = e.warning_id \
         WHERE w.year = $1 AND e.action = 'explain' AND w.indicator_code IS NOT NULL AND w.period <= $2 \
         ORDER BY e.journal_idx",
    )
    .bind(i64::from(year))
    .bind(key(period.last_month))
    .fetch_all(store.pool())
    .await?;
    for r in explained {
        let note: String = r.try_get(1)?;
        if !note.trim().is_empty() {
            causes.entry(r.try_get(0)?).or_default().insert(note.trim().to_string());
        }
    }
    let mut lines = Vec::with_capacity(rows.len());
    for r in rows {
        let code: String = r.try_get(0)?;
        let cause = causes.get(&code).map(|c| c.iter().cloned().collect::<Vec<_>>().join("；")).unwrap_or_default();
        lines.push(line_of(&r, cause)?);
    }
    let rows = bw_core::report::execution(&tree, &root, &lines, period).map_err(ActionError::Invalid)?;
    let region_name = tree.get(&root).map(|n| n.name.clone()).unwrap_or_default();
    Ok(ExecutionReport { period: *period, region_code: root, region_name, rows })
}

/// A report line from a row of indicator, unit, project, functional and economic codes,
/// budget, paid in the period and paid to its end (fen), in that order.
pub fn line_of(r: &sqlx::any::AnyRow, cause: String) -> Result<Line, sqlx::Error> {
    Ok(Line {
        indicator_code: r.try_get(0)?,
        unit_code: r.try_get(1)?,
        project_code: r.try_get(2)?,
        functional_code: r.try_get(3)?,
        economic_code: r.try_get(4)?,
        budget: Money::from_fen(r.try_get(5)?),
        paid_in_period: Money::from_fen(r.try_get(6)?),
        paid: Money::from_fen(r.try_get(7)?),
        cause,
    })
}

/// The columns of the report: the header as written (Chinese, then the field's name).
pub const COLUMNS: [&str; 16] = [
    "地区 region_code",
    "部门 department_code",
    "单位编码 unit_code",
    "单位名称 unit_name",
    "行 row_kind",
    "指标编码 indicator_code",
    "项目编码 project_code",
    "功能分类 functional_code",
    "经济分类 economic_code",
    "预算数(元) budget",
    "本期支出(元) paid_in_period",
    "累计支出(元) paid",
    "执行率 execution_rate",
    "序时进度 time_progress",
    "差异(百分点) gap_points",
    "原因 cause",
];

fn kind_zh(k: RowKind) -> &'static str {
    match k {
        RowKind::Indicator => "指标",
        RowKind::Unit => "单位小计",
        RowKind::Department => "部门小计",
        RowKind::Region => "地区合计",
    }
}

impl ExecutionReport {
    /// The title: `示范省2026年7月预算执行情况表`.
    pub fn title(&self) -> String {
        format!("{}{}预算执行情况表", self.region_name, self.period.label_zh())
    }

    /// Period, region, time progress.
    pub fn subtitle(&self) -> String {
        format!(
            "期间 {}（{} 至 {}） · 地区 {} {} · 序时进度 {:.2}% · 金额单位：元 · 累计支出为年初至期末",
            self.period.label(),
            bw_core::Date::from_ymd(self.period.year, self.period.first_month, 1)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            self.period.end(),
            self.region_code,
            self.region_name,
            self.period.progress() * 100.0
        )
    }

    /// The name shown for a row: the unit's for an indicator, else the subtotal's label.
    fn name(&self, r: &Row) -> String {
        match r.kind {
            RowKind::Indicator => r.name.clone(),
            k => format!("{}：{}", kind_zh(k), r.name),
        }
    }
}

fn yuan(m: Money) -> f64 {
    // Exact to the fen in a double up to 90 trillion yuan.
    m.fen() as f64 / 100.0
}

/// The report as an XLSX workbook: the table on the first sheet (header in row 1, amounts as
/// numbers in yuan, rates as percentages, subtotals bold and shaded), what it means on the
/// second.
pub fn execution_xlsx(r: &ExecutionReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Color, Format, Workbook};
    let mut book = Workbook::new();
    let head = Format::new().set_bold().set_background_color(Color::RGB(0xD9D9D9)).set_text_wrap();
    let strong = |f: Format, s: bool| if s { f.set_bold().set_background_color(Color::RGB(0xEDEDED)) } else { f };
    let sheet = book.add_worksheet();
    sheet.set_name("执行情况")?;
    for (j, h) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, j as u16, *h, &head)?;
    }
    let widths = [10, 12, 14, 24, 10, 16, 14, 12, 10, 16, 16, 16, 10, 10, 12, 40];
    for (j, w) in widths.iter().enumerate() {
        sheet.set_column_width(j as u16, *w)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, row) in r.rows.iter().enumerate() {
        let y = i as u32 + 1;
        let s = row.kind != RowKind::Indicator;
        let text = strong(Format::new().set_num_format("@"), s);
        let money = strong(Format::new().set_num_format("#,##0.00"), s);
        let pct = strong(Format::new().set_num_format("0.00%"), s);
        let points = strong(Format::new().set_num_format("0.00"), s);
        let cells = [
            row.region_code.clone(),
            row.department_code.clone(),
            row.unit_code.clone(),
            r.name(row),
            format!("{} {}", kind_zh(row.kind), row.kind.as_str()),
            row.indicator_code.clone(),
            row.project_code.clone(),
            row.functional_code.clone(),
            row.economic_code.clone(),
        ];
        for (j, c) in cells.iter().enumerate() {
            sheet.write_string_with_format(y, j as u16, c, &text)?;
        }
        sheet.write_number_with_format(y, 9, yuan(row.budget), &money)?;
        sheet.write_number_with_format(y, 10, yuan(row.paid_in_period), &money)?;
        sheet.write_number_with_format(y, 11, yuan(row.paid), &money)?;
        sheet.write_number_with_format(y, 12, row.rate, &pct)?;
        sheet.write_number_with_format(y, 13, row.progress, &pct)?;
        sheet.write_number_with_format(y, 14, row.gap_points, &points)?;
        sheet.write_string_with_format(y, 15, crate::template::excel_cell(&row.cause).as_ref(), &text)?;
    }
    let about = book.add_worksheet();
    about.set_name("说明")?;
    about.set_column_width(0, 100)?;
    let lines = [
        r.title(),
        r.subtitle(),
        "执行率 = 累计支出 ÷ 预算数；序时进度 = 期末已完成月数 ÷ 12；差异 = (执行率 − 序时进度) × 100，负数为落后。"
            .to_string(),
        "行：指标；单位小计（单位本级指标）；部门小计（部门所属各单位）；地区合计（地区内各部门及下级地区）。"
            .to_string(),
        "原因：单位对该指标预警所作的情况说明（截至期末）。".to_string(),
    ];
    for (i, l) in lines.iter().enumerate() {
        about.write_string(i as u32, 0, l)?;
    }
    book.save_to_buffer()
}

/// The report as a PDF in `font` (face `index`): A4 landscape pages, the header on each.
pub fn execution_pdf(r: &ExecutionReport, font: &[u8], index: u32, footer: &str) -> Result<Vec<u8>, bw_pdf::PdfError> {
    use bw_pdf::{Align, Column, Row as PdfRow, Table};
    let col = |h: &str, weight: f32, align: Align| Column { header: h.to_string(), weight, align };
    let columns = vec![
        col("单位", 3.3, Align::Left),
        col("指标编码", 1.9, Align::Left),
        col("项目", 1.9, Align::Left),
        col("功能分类", 0.9, Align::Left),
        col("经济分类", 0.75, Align::Left),
        col("预算数", 1.5, Align::Right),
        col("本期支出", 1.4, Align::Right),
        col("累计支出", 1.5, Align::Right),
        col("执行率", 0.75, Align::Right),
        col("序时进度", 0.75, Align::Right),
        col("差异(百分点)", 1.05, Align::Right),
        col("原因", 2.1, Align::Left),
    ];
    let rows = r
        .rows
        .iter()
        .map(|row| {
            let unit = match row.kind {
                RowKind::Indicator => format!("{} {}", row.unit_code, row.name),
                _ => r.name(row),
            };
            PdfRow {
                cells: vec![
                    unit,
                    row.indicator_code.clone(),
                    row.project_code.clone(),
                    row.functional_code.clone(),
                    row.economic_code.clone(),
                    row.budget.grouped(),
                    row.paid_in_period.grouped(),
                    row.paid.grouped(),
                    format!("{:.2}%", row.rate * 100.0),
                    format!("{:.2}%", row.progress * 100.0),
                    format!("{:+.2}", row.gap_points),
                    row.cause.clone(),
                ],
                strong: row.kind != RowKind::Indicator,
            }
        })
        .collect();
    let table = Table { title: r.title(), subtitle: r.subtitle(), columns, rows, footer: footer.to_string() };
    bw_pdf::table_pdf(font, index, &table)
}

/// The year-end closing report as an XLSX workbook: one row per indicator (amount, paid,
/// balance as numbers in yuan, the decision in Chinese and English, where a carried balance
/// went), the totals carried and recovered at the foot.
pub fn closing_xlsx(r: &crate::budget::ClosingReport, preview: bool) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Color, Format, Workbook};
    let mut book = Workbook::new();
    let head = Format::new().set_bold().set_background_color(Color::RGB(0xD9D9D9)).set_text_wrap();
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("#,##0.00");
    let bold = Format::new().set_bold().set_background_color(Color::RGB(0xEDEDED));
    let bold_money = bold.clone().set_num_format("#,##0.00");
    let sheet = book.add_worksheet();
    sheet.set_name("年终结转")?;
    for (j, (h, w)) in CLOSING_COLUMNS.iter().zip([16, 14, 20, 16, 16, 16, 22, 20]).enumerate() {
        sheet.write_string_with_format(0, j as u16, *h, &head)?;
        sheet.set_column_width(j as u16, w)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut y = 1;
    for l in &r.lines {
        let cells = [&l.indicator_code, &l.unit_code, l.project_code.as_deref().unwrap_or("")];
        for (j, c) in cells.iter().enumerate() {
            sheet.write_string_with_format(y, j as u16, *c, &text)?;
        }
        for (j, m) in [l.amount, l.paid, l.balance].iter().enumerate() {
            sheet.write_number_with_format(y, 3 + j as u16, yuan(*m), &money)?;
        }
        sheet.write_string(y, 6, format!("{} {}", l.decision.zh(), l.decision.as_str()))?;
        sheet.write_string_with_format(y, 7, l.carried_to.as_deref().unwrap_or(""), &text)?;
        y += 1;
    }
    for (label, m) in [("结转合计 carried over", r.carried), ("收回合计 recovered", r.recovered)] {
        sheet.write_string_with_format(y, 0, label, &bold)?;
        sheet.write_number_with_format(y, 5, yuan(m), &bold_money)?;
        y += 1;
    }
    let about = book.add_worksheet();
    about.set_name("说明")?;
    about.set_column_width(0, 100)?;
    for (i, l) in [closing_title(r, preview), CLOSING_RULE.to_string()].iter().enumerate() {
        about.write_string(i as u32, 0, l)?;
    }
    book.save_to_buffer()
}

/// The year-end closing report as a PDF in `font` (face `index`), A4 landscape.
pub fn closing_pdf(
    r: &crate::budget::ClosingReport,
    preview: bool,
    font: &[u8],
    index: u32,
    footer: &str,
) -> Result<Vec<u8>, bw_pdf::PdfError> {
    use bw_pdf::{Align, Column, Row as PdfRow, Table};
    let weights = [1.8, 1.4, 2.0, 1.6, 1.6, 1.6, 1.8, 1.9];
    let columns = CLOSING_COLUMNS
        .iter()
        .zip(weights)
        .enumerate()
        .map(|(j, (h, weight))| Column {
            header: h.split(' ').next().unwrap_or(h).to_string(),
            weight,
            align: if (3..6).contains(&j) { Align::Right } else { Align::Left },
        })
        .collect();
    let mut rows: Vec<PdfRow> = r
        .lines
        .iter()
        .map(|l| PdfRow {
            cells: vec![
                l.indicator_code.clone(),
                l.unit_code.clone(),
                l.project_code.clone().unwrap_or_default(),
                l.amount.grouped(),
                l.paid.grouped(),
                l.balance.grouped(),
                l.decision.zh().to_string(),
                l.carried_to.clone().unwrap_or_default(),
            ],
            strong: false,
        })
        .collect();
    for (label, m) in [("结转合计", r.carried), ("收回合计", r.recovered)] {
        let mut cells = vec![String::new(); 8];
        cells[0] = label.to_string();
        cells[5] = m.grouped();
        rows.push(PdfRow { cells, strong: true });
    }
    let table = Table {
        title: closing_title(r, preview),
        subtitle: CLOSING_RULE.to_string(),
        columns,
        rows,
        footer: footer.to_string(),
    };
    bw_pdf::table_pdf(font, index, &table)
}

const CLOSING_COLUMNS: [&str; 8] = [
    "指标编码 indicator",
    "单位 unit",
    "项目 project",
    "预算数(元) budget",
    "已支付(元) paid",
    "结余(元) balance",
    "处理 decision",
    "结转至 carried to",
];

const CLOSING_RULE: &str =
    "跨年度项目结余全额结转为下一年度指标；专项资金全年未支出的作为闲置专项收回；其余结余收回。金额单位：元。";

fn closing_title(r: &crate::budget::ClosingReport, preview: bool) -> String {
    format!("{}年度年终结转报告{}", r.year, if preview { "（预览，尚未结转）" } else { "" })
}
