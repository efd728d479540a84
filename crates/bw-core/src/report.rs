//! The execution report (预算执行情况表) of a month or a quarter: one row per indicator with
//! its unit, codes, budget, paid in the period and to its end, execution rate, time progress
//! and the gap between them, and the cause the unit gave for a warning on it; subtotals per
//! unit, department and region, the region's taking in everything beneath it.
//!
//! Time progress at the end of month m is m/12 (completed months, as the monitoring rules
//! count it); the gap is the execution rate minus the time progress, in percentage points
//! (negative: behind).

use crate::date::Date;
use crate::money::Money;
use crate::org::{OrgKind, OrgTree};

/// A month (`2026-07`) or a quarter (`2026-Q3`) of a fiscal year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    pub first_month: u32,
    pub last_month: u32,
    /// 1 to 4 for a quarter.
    pub quarter: Option<u32>,
}

impl Period {
    /// `YYYY-MM` or `YYYY-Qn`.
    pub fn parse(s: &str) -> Result<Period, String> {
        let bad = || format!("{s:?}: a period is a month (2026-07) or a quarter (2026-Q3)");
        let (y, rest) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 {
            return Err(bad());
        }
        let year: i32 = y.parse().ok().filter(|y| (1900..=9999).contains(y)).ok_or_else(bad)?;
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q)).ok_or_else(bad)?;
            return Ok(Period { year, first_month: q * 3 - 2, last_month: q * 3, quarter: Some(q) });
        }
        let m: u32 = rest.parse().ok().filter(|m| (1..=12).contains(m) && rest.len() == 2).ok_or_else(bad)?;
        Ok(Period { year, first_month: m, last_month: m, quarter: None })
    }

    /// The period's last day.
    pub fn end(&self) -> Date {
        let first = Date::from_ymd(self.year, self.last_month, 1).unwrap_or(Date::from_days(0));
        first.month_end()
    }

    /// Time progress at the period's end: completed months / 12.
    pub fn progress(&self) -> f64 {
        f64::from(self.last_month) / 12.0
    }

    /// `2026年7月`, `2026年第三季度`.
    pub fn label_zh(&self) -> String {
        match self.quarter {
            Some(q) => format!("{}年第{}季度", self.year, ["一", "二", "三", "四"][(q - 1) as usize]),
            None => format!("{}年{}月", self.year, self.last_month),
        }
    }

    /// `2026-07`, `2026-Q3`.
    pub fn label(&self) -> String {
        match self.quarter {
            Some(q) => format!("{}-Q{q}", self.year),
            None => format!("{}-{:02}", self.year, self.last_month),
        }
    }
}

/// One indicator's figures for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub indicator_code: String,
    pub unit_code: String,
    pub project_code: Option<String>,
    pub functional_code: String,
    pub economic_code: String,
    pub budget: Money,
    /// Paid within the period.
    pub paid_in_period: Money,
    /// Paid from the start of the year to the period's end.
    pub paid: Money,
    /// What the unit gave as the cause of a warning on the indicator (empty: none).
    pub cause: String,
}

/// What a row of the report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    Indicator,
    Unit,
    Department,
    Region,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Indicator => "indicator",
            RowKind::Unit => "unit_total",
            RowKind::Department => "department_total",
            RowKind::Region => "region_total",
        }
    }
}

/// A row: an indicator, or a subtotal of a unit, department or region.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub kind: RowKind,
    pub region_code: String,
    pub department_code: String,
    pub unit_code: String,
    /// The unit's name (an indicator or unit row), else the department's or region's.
    pub name: String,
    pub indicator_code: String,
    pub project_code: String,
    pub functional_code: String,
    pub economic_code: String,
    pub budget: Money,
    pub paid_in_period: Money,
    pub paid: Money,
    /// paid / budget (0 when the budget is 0).
    pub rate: f64,
    pub progress: f64,
    /// (rate − progress) × 100, percentage points.
    pub gap_points: f64,
    pub cause: String,
}

/// Sums of a group of lines.
#[derive(Clone, Copy, Default)]
struct Sums {
    budget: Money,
    in_period: Money,
    paid: Money,
}

impl Sums {
    fn add(&mut self, budget: Money, in_period: Money, paid: Money) -> Result<(), String> {
        let over = |_| "the report's totals exceed the range of money".to_string();
        self.budget = self.budget.checked_add(budget).map_err(over)?;
        self.in_period = self.in_period.checked_add(in_period).map_err(over)?;
        self.paid = self.paid.checked_add(paid).map_err(over)?;
        Ok(())
    }

    fn add_sums(&mut self, s: Sums) -> Result<(), String> {
        self.add(s.budget, s.in_period, s.paid)
    }
}

struct Builder<'a> {
    tree: &'a OrgTree,
    lines: std::collections::BTreeMap<&'a str, Vec<&'a Line>>,
    children: std::collections::HashMap<&'a str, Vec<&'a str>>,
    progress: f64,
    rows: Vec<Row>,
}

impl<'a> Builder<'a> {
    fn row(&self, kind: RowKind, codes: [&str; 3], name: &str, s: Sums) -> Row {
        let rate = s.paid.ratio_of(s.budget);
        Row {
            kind,
            region_code: codes[0].to_string(),
            department_code: codes[1].to_string(),
            unit_code: codes[2].to_string(),
            name: name.to_string(),
            indicator_code: String::new(),
            project_code: String::new(),
            functional_code: String::new(),
            economic_code: String::new(),
            budget: s.budget,
            paid_in_period: s.in_period,
            paid: s.paid,
            rate,
            progress: self.progress,
            gap_points: (rate - self.progress) * 100.0,
            cause: String::new(),
        }
    }

    fn kids(&self, code: &str, kind: OrgKind) -> Vec<&'a str> {
        let mut out: Vec<&'a str> = self
            .children
            .get(code)
            .map(|v| v.iter().copied().filter(|c| self.tree.get(c).is_some_and(|n| n.kind == kind)).collect())
            .unwrap_or_default();
        out.sort_unstable();
        out
    }

    fn name(&self, code: &str) -> String {
        self.tree.get(code).map(|n| n.name.clone()).unwrap_or_default()
    }

    /// A unit's indicators and subtotal, then its sub-units'; the sum of all of them.
    fn unit(&mut self, region: &str, department: &str, unit: &str) -> Result<Option<Sums>, String> {
        let mut total: Option<Sums> = None;
        if let Some(lines) = self.lines.get(unit).cloned() {
            let mut s = Sums::default();
            let name = self.name(unit);
            for l in lines {
                s.add(l.budget, l.paid_in_period, l.paid)?;
                let mut r = self.row(
                    RowKind::Indicator,
                    [region, department, unit],
                    &name,
                    Sums { budget: l.budget, in_period: l.paid_in_period, paid: l.paid },
                );
                r.indicator_code = l.indicator_code.clone();
                r.project_code = l.project_code.clone().unwrap_or_default();
                r.functional_code = l.functional_code.clone();
                r.economic_code = l.economic_code.clone();
                r.cause = l.cause.clone();
                self.rows.push(r);
            }
            let r = self.row(RowKind::Unit, [region, department, unit], &name, s);
            self.rows.push(r);
            total = Some(s);
        }
        for sub in self.kids(unit, OrgKind::Unit) {
            if let Some(s) = self.unit(region, department, sub)? {
                total.get_or_insert_with(Sums::default).add_sums(s)?;
            }
        }
        Ok(total)
    }

    fn region(&mut self, region: &str) -> Result<Option<Sums>, String> {
        let mut total: Option<Sums> = None;
        for d in self.kids(region, OrgKind::Department) {
            let mut ds: Option<Sums> = None;
            for u in self.kids(d, OrgKind::Unit) {
                if let Some(s) = self.unit(region, d, u)? {
                    ds.get_or_insert_with(Sums::default).add_sums(s)?;
                }
            }
            if let Some(s) = ds {
                let r = self.row(RowKind::Department, [region, d, ""], &self.name(d), s);
                self.rows.push(r);
                total.get_or_insert_with(Sums::default).add_sums(s)?;
            }
        }
        for sub in self.kids(region, OrgKind::Region) {
            if let Some(s) = self.region(sub)? {
                total.get_or_insert_with(Sums::default).add_sums(s)?;
            }
        }
        if let Some(s) = total {
            let r = self.row(RowKind::Region, [region, "", ""], &self.name(region), s);
            self.rows.push(r);
        }
        Ok(total)
    }
}

/// The rows of region `root`'s report: its departments (each with its units, each unit's
/// indicators then its subtotal, then the department's subtotal), then its sub-regions the
/// same way, then its own subtotal (the last row: the grand total). Nodes with no indicator
/// are left out. Lines of units outside `root` are ignored.
pub fn execution(tree: &OrgTree, root: &str, lines: &[Line], period: &Period) -> Result<Vec<Row>, String> {
    match tree.get(root) {
        Some(n) if n.kind == OrgKind::Region => {}
        Some(_) => return Err(format!("{root} is not a region")),
        None => return Err(format!("no region {root}")),
    }
    let mut by_unit: std::collections::BTreeMap<&str, Vec<&Line>> = std::collections::BTreeMap::new();
    for l in lines {
        by_unit.entry(l.unit_code.as_str()).or_default().push(l);
    }
    for v in by_unit.values_mut() {
        v.sort_by(|a, b| a.indicator_code.cmp(&b.indicator_code));
    }
    let mut children: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for n in tree.nodes() {
        if let Some(p) = &n.parent_code {
            children.entry(p.as_str()).or_default().push(n.code.as_str());
        }
    }
    let mut b = Builder { tree, lines: by_unit, children, progress: period.progress(), rows: Vec::new() };
    b.region(root)?;
    Ok(b.rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{OrgNode, RegionLevel};

    fn node(code: &str, parent: Option<&str>, kind: OrgKind, level: Option<RegionLevel>) -> OrgNode {
        OrgNode { code: code.into(), name: format!("{code}名"), parent_code: parent.map(Into::into), kind, level }
    }

    fn line(code: &str, unit: &str, budget: i64, in_period: i64, paid: i64) -> Line {
        Line {
            indicator_code: code.into(),
            unit_code: unit.into(),
            project_code: None,
            functional_code: "2050203".into(),
            economic_code: "30201".into(),
            budget: Money::from_fen(budget),
            paid_in_period: Money::from_fen(in_period),
            paid: Money::from_fen(paid),
            cause: String::new(),
        }
    }

    #[test]
    fn periods_are_months_or_quarters() {
        let m = Period::parse("2026-07").unwrap();
        assert_eq!((m.first_month, m.last_month, m.quarter), (7, 7, None));
        assert_eq!(m.end().to_string(), "2026-07-31");
        assert!((m.progress() - 7.0 / 12.0).abs() < 1e-12);
        assert_eq!(m.label_zh(), "2026年7月");
        let q = Period::parse("2026-Q3").unwrap();
        assert_eq!((q.first_month, q.last_month, q.quarter), (7, 9, Some(3)));
        assert_eq!(q.end().to_string(), "2026-09-30");
        assert_eq!(q.label_zh(), "2026年第三季度");
        assert_eq!(Period::parse("2026-12").unwrap().end().to_string(), "2026-12-31");
        assert_eq!(Period::parse("2024-02").unwrap().end().to_string(), "2024-02-29");
        for bad in ["2026-7", "2026-13", "2026-Q5", "26-07", "2026/07", "2026-00", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subtotals_roll_up_units_departments_and_regions() {
        let mut t = OrgTree::new();
        let batch = [
            node("P", None, OrgKind::Region, Some(RegionLevel::Province)),
            node("C", Some("P"), OrgKind::Region, Some(RegionLevel::City)),
            node("DP", Some("P"), OrgKind::Department, None),
            node("DC", Some("C"), OrgKind::Department, None),
            node("U1", Some("DP"), OrgKind::Unit, None),
            node("U1a", Some("U1"), OrgKind::Unit, None),
            node("U2", Some("DC"), OrgKind::Unit, None),
            node("U3", Some("DC"), OrgKind::Unit, None),
        ];
        assert!(t.add_batch(&batch).is_empty());
        let lines = [
            line("I2", "U1", 100_000, 10_000, 60_000),
            line("I1", "U1", 50_000, 0, 5_000),
            line("I3", "U1a", 20_000, 2_000, 2_000),
            line("I4", "U2", 300_000, 30_000, 150_000),
            line("X", "ELSEWHERE", 1, 1, 1),
        ];
        let p = Period::parse("2026-06").unwrap();
        let rows = execution(&t, "P", &lines, &p).unwrap();
        let shape: Vec<(RowKind, &str, &str, i64)> = rows
            .iter()
            .map(|r| {
                let code = if r.kind == RowKind::Indicator { r.indicator_code.as_str() } else { "" };
                let node = match r.kind {
                    RowKind::Indicator | RowKind::Unit => r.unit_code.as_str(),
                    RowKind::Department => r.department_code.as_str(),
                    RowKind::Region => r.region_code.as_str(),
                };
                (r.kind, node, code, r.paid.fen())
            })
            .collect();
        use RowKind::*;
        assert_eq!(
            shape,
            vec![
                (Indicator, "U1", "I1", 5_000),
                (Indicator, "U1", "I2", 60_000),
                (Unit, "U1", "", 65_000),
                (Indicator, "U1a", "I3", 2_000),
                (Unit, "U1a", "", 2_000),
                (Department, "DP", "", 67_000),
                (Indicator, "U2", "I4", 150_000),
                (Unit, "U2", "", 150_000),
                (Department, "DC", "", 150_000),
                (Region, "C", "", 150_000),
                (Region, "P", "", 217_000),
            ]
        );
        let total = rows.last().unwrap();
        assert_eq!((total.budget.fen(), total.paid_in_period.fen()), (470_000, 42_000));
        // 217,000 / 470,000 = 46.17 %; half the year gone: 3.83 points behind.
        assert!((total.gap_points - (217_000.0 / 470_000.0 - 0.5) * 100.0).abs() < 1e-9);
        assert_eq!(rows[3].region_code, "P");
        assert_eq!(rows[6].region_code, "C");
        // A city's report holds only the city.
        let city = execution(&t, "C", &lines, &p).unwrap();
        assert_eq!(city.len(), 4);
        assert!(execution(&t, "DP", &lines, &p).is_err());
        assert!(execution(&t, "NOPE", &lines, &p).is_err());
    }
}
