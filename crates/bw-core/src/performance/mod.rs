//! Performance (绩效), pure: KPI targets set at preparation and the values reached, a
//! project's score (0–100) from its weighted KPIs and its grade, the distortion flag when a
//! self-evaluation and a third party's differ by more than 15 points, a department's result
//! with the public's satisfaction weighing 30 %, and the proposal for next year's allocation
//! that follows from the grades and the ranking of departments.
//!
//! KPI values are decimal quantities (counts, percentages, days, yuan per unit), kept in
//! thousandths so that scores are the same on every machine; scores are tenths of a point.
//! The rules and their numbers are in docs/PERFORMANCE.md.

use crate::money::Money;

pub mod entry;

/// What a KPI measures (the national framework's categories).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 产出：数量、质量、时效、成本.
    Quantity,
    Quality,
    Timeliness,
    Cost,
    /// 效益：经济、社会、生态.
    Economic,
    Social,
    Ecological,
    /// 满意度.
    Satisfaction,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Quantity,
        Category::Quality,
        Category::Timeliness,
        Category::Cost,
        Category::Economic,
        Category::Social,
        Category::Ecological,
        Category::Satisfaction,
    ];

    pub fn parse(s: &str) -> Result<Category, String> {
        Category::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            format!("{s:?}: a KPI category is one of {}", names.join(", "))
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Quantity => "quantity",
            Category::Quality => "quality",
            Category::Timeliness => "timeliness",
            Category::Cost => "cost",
            Category::Economic => "economic",
            Category::Social => "social",
            Category::Ecological => "ecological",
            Category::Satisfaction => "satisfaction",
        }
    }
}

/// Whether more is better (a count built, a rate reached) or less (a cost, days taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    AtLeast,
    AtMost,
}

/// A decimal quantity in thousandths: `12.5` is `Milli(12_500)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Milli(pub i64);

impl Milli {
    /// `-?digits(.d{1,3})?`.
    pub fn parse(s: &str) -> Result<Milli, String> {
        let t = s.trim();
        let (neg, body) = t.strip_prefix('-').map_or((false, t), |r| (true, r));
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let ok = !int.is_empty() && int.len() <= 12 && int.bytes().all(|b| b.is_ascii_digit());
        if !ok || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{s:?} is not a number with at most 3 decimals"));
        }
        let int: i64 = int.parse().map_err(|_| format!("{s:?} is too large"))?;
        let frac: i64 = format!("{frac:0<3}").parse().unwrap_or(0);
        let v = int * 1000 + frac;
        Ok(Milli(if neg { -v } else { v }))
    }
}

impl std::fmt::Display for Milli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (sign, v) = if self.0 < 0 { ("-", -self.0) } else { ("", self.0) };
        let frac = v % 1000;
        if frac == 0 {
            write!(f, "{sign}{}", v / 1000)
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{sign}{}.{}", v / 1000, digits.trim_end_matches('0'))
        }
    }
}

/// A KPI: its target, the points it weighs, and (once measured) the value reached.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Kpi {
    pub code: String,
    pub name: String,
    pub category: Category,
    pub direction: Direction,
    pub target: Milli,
    /// Points of 100 (a project's weights add up to 100).
    pub weight: u32,
    pub actual: Option<Milli>,
}

/// Tenths of a point: `925` is 92.5.
pub type Points = i64;

/// The share of a KPI's weight it earns, in millionths: reaching the target or better earns
/// it all; short of it, in proportion (value ÷ target, or target ÷ value when less is
/// better); nothing measured earns nothing.
fn earned_millionths(k: &Kpi) -> i64 {
    let Some(a) = k.actual else { return 0 };
    let (t, a) = (k.target.0, a.0);
    let share = match k.direction {
        Direction::AtLeast if t <= 0 => 1_000_000,
        Direction::AtLeast => (a.max(0) as i128 * 1_000_000 / t as i128) as i64,
        Direction::AtMost if a <= t => 1_000_000,
        Direction::AtMost if a <= 0 => 1_000_000,
        Direction::AtMost => (t.max(0) as i128 * 1_000_000 / a as i128) as i64,
    };
    share.clamp(0, 1_000_000)
}

/// Checks a project's KPIs: codes unique, weights adding up to 100, at least one output
/// and one outcome or satisfaction indicator.
pub fn check_kpis(kpis: &[Kpi]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for k in kpis {
        if !seen.insert(k.code.as_str()) {
            return Err(format!("KPI {} appears twice", k.code));
        }
    }
    let total: u32 = kpis.iter().map(|k| k.weight).sum();
    if total != 100 {
        return Err(format!("the KPIs' weights add up to {total}, not 100"));
    }
    let output = kpis
        .iter()
        .any(|k| matches!(k.category, Category::Quantity | Category::Quality | Category::Timeliness | Category::Cost));
    let outcome = kpis
        .iter()
        .any(|k| !matches!(k.category, Category::Quantity | Category::Quality | Category::Timeliness | Category::Cost));
    if !output || !outcome {
        return Err("a project needs output KPIs and outcome or satisfaction KPIs".into());
    }
    Ok(())
}

/// A project's score from its KPIs, in tenths of a point (half up).
pub fn score(kpis: &[Kpi]) -> Points {
    let total: i64 = kpis.iter().map(|k| i64::from(k.weight)).sum();
    if total == 0 {
        return 0;
    }
    // Σ weight × earned share, in millionths of a point; to tenths, half up.
    let earned: i128 = kpis.iter().map(|k| i128::from(k.weight) * i128::from(earned_millionths(k))).sum();
    let tenths_x = earned * 1000 / i128::from(total); // tenths × 10^6
    ((tenths_x + 500_000) / 1_000_000) as i64
}

/// A score written `92.5` (0 to 100, at most one decimal) as tenths.
pub fn parse_points(s: &str) -> Result<Points, String> {
    let m = Milli::parse(s)?;
    if m.0 % 100 != 0 || !(0..=100_000).contains(&m.0) {
        return Err(format!("{s:?}: a score is 0 to 100 with at most one decimal"));
    }
    Ok(m.0 / 100)
}

/// Tenths as `92.5`, `90`.
pub fn points_text(p: Points) -> String {
    Milli(p * 100).to_string()
}

/// The grades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Poor,
    Fair,
    Good,
    Excellent,
}

impl Grade {
    /// 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 < 60.
    pub fn of(score: Points) -> Grade {
        match score {
            s if s >= 900 => Grade::Excellent,
            s if s >= 800 => Grade::Good,
            s if s >= 600 => Grade::Fair,
            _ => Grade::Poor,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Grade::Excellent => "优",
            Grade::Good => "良",
            Grade::Fair => "中",
            Grade::Poor => "差",
        }
    }
}

/// The points beyond which a self-evaluation and a third party's are flagged as distorted.
pub const DISTORTION_POINTS: Points = 150;

/// Whether a self-evaluation and a third-party evaluation differ by more than 15 points
/// (the 95 against 62 of the source document is flagged).
pub fn distorted(self_score: Points, third_party: Points) -> bool {
    (self_score - third_party).abs() > DISTORTION_POINTS
}

/// A department's result: the budget-weighted mean of its projects' scores (the third
/// party's where there is one), and with the public's satisfaction weighing 30 % when
/// there is a survey. Tenths of a point, half up.
pub fn department_result(projects: &[(Money, Points)], satisfaction: Option<Points>) -> Points {
    let weight: i128 = projects.iter().map(|(b, _)| i128::from(b.fen().max(0))).sum();
    let mean = if weight == 0 {
        let n = projects.len() as i128;
        if n == 0 { 0 } else { (projects.iter().map(|(_, s)| i128::from(*s)).sum::<i128>() * 2 + n) / (2 * n) }
    } else {
        let sum: i128 = projects.iter().map(|(b, s)| i128::from(b.fen().max(0)) * i128::from(*s)).sum();
        (sum * 2 + weight) / (2 * weight)
    };
    match satisfaction {
        Some(s) => ((mean * 7 + i128::from(s) * 3) * 2 + 10) as i64 / 20,
        None => mean as i64,
    }
}

/// What the grade means for a project's next budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectAction {
    /// 优: funding prioritised (kept in full, first in line for new money).
    Prioritise,
    /// 良: kept.
    Keep,
    /// 中: the plan improved and the budget cut.
    Cut,
    /// 差: cancelled or suspended.
    Suspend,
}

impl ProjectAction {
    pub fn of(grade: Grade) -> ProjectAction {
        match grade {
            Grade::Excellent => ProjectAction::Prioritise,
            Grade::Good => ProjectAction::Keep,
            Grade::Fair => ProjectAction::Cut,
            Grade::Poor => ProjectAction::Suspend,
        }
    }
}

/// The numbers of the allocation ladder.
#[derive(Clone, Copy, Debug)]
pub struct Ladder {
    /// The share of departments at the top that get more (10 %).
    pub top_share_pct: u32,
    /// Their increase, from the last of them to the first (+5 % to +10 %).
    pub raise_min_pct: u32,
    pub raise_max_pct: u32,
    /// The share at the bottom that is cut, with an interview (5 %).
    pub bottom_share_pct: u32,
    pub cut_pct: u32,
    /// A 中 project's cut.
    pub fair_cut_pct: u32,
}

impl Default for Ladder {
    fn default() -> Self {
        Ladder {
            top_share_pct: 10,
            raise_min_pct: 5,
            raise_max_pct: 10,
            bottom_share_pct: 5,
            cut_pct: 10,
            fair_cut_pct: 10,
        }
    }
}

/// A department's place on the ladder: its rank (1 = best), the change to its budget in
/// whole percent, and whether its head is interviewed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rung {
    pub department: String,
    pub result: Points,
    pub rank: usize,
    pub change_pct: i32,
    pub interview: bool,
}

/// Ranks departments by result (ties by code) and puts the top `top_share_pct` % (at least
/// one, rounded up) on raises from `raise_max_pct` down to `raise_min_pct` in even steps,
/// the bottom `bottom_share_pct` % (at least one, rounded up) on a cut with an interview.
pub fn ladder(results: &[(String, Points)], l: &Ladder) -> Vec<Rung> {
    let mut sorted: Vec<&(String, Points)> = results.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let n = sorted.len();
    let share = |pct: u32| if n == 0 { 0 } else { (n * pct as usize).div_ceil(100).max(1) };
    let top = share(l.top_share_pct).min(n);
    let bottom = share(l.bottom_share_pct).min(n - top);
    sorted
        .iter()
        .enumerate()
        .map(|(i, (d, r))| {
            let (change, interview) = if i < top {
                // From the maximum down to the minimum in even steps, half up.
                let (max, min) = (i64::from(l.raise_max_pct), i64::from(l.raise_min_pct.min(l.raise_max_pct)));
                let gaps = (top as i64 - 1).max(1);
                let twice = 2 * max * gaps - 2 * (max - min) * i as i64;
                (((twice + gaps) / (2 * gaps)) as i32, false)
            } else if i >= n - bottom {
                (-(l.cut_pct as i32), true)
            } else {
                (0, false)
            };
            Rung { department: d.clone(), result: *r, rank: i + 1, change_pct: change, interview }
        })
        .collect()
}

/// A project's proposed budget for next year: this year's amount changed by its grade's
/// action and its department's rung (a suspended project gets nothing).
pub fn proposed(amount: Money, action: ProjectAction, department_change_pct: i32, l: &Ladder) -> Money {
    let pct: i64 = match action {
        ProjectAction::Suspend => return Money::ZERO,
        ProjectAction::Cut => 100 - i64::from(l.fair_cut_pct),
        ProjectAction::Keep | ProjectAction::Prioritise => 100,
    };
    let pct = pct * (100 + i64::from(department_change_pct));
    // amount × pct / 10,000, to the fen, half up.
    let v = (i128::from(amount.fen()) * i128::from(pct) * 2 + 10_000) / 20_000;
    Money::from_fen(v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(
        code: &str,
        category: Category,
        direction: Direction,
        target: &str,
        weight: u32,
        actual: Option<&str>,
    ) -> Kpi {
        Kpi {
            code: code.into(),
            name: code.into(),
            category,
            direction,
            target: Milli::parse(target).unwrap(),
            weight,
            actual: actual.map(|a| Milli::parse(a).unwrap()),
        }
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(Milli::parse("12.5").unwrap(), Milli(12_500));
        assert_eq!(Milli::parse("-0.001").unwrap(), Milli(-1));
        assert_eq!(Milli(12_500).to_string(), "12.5");
        assert_eq!(Milli(3_000).to_string(), "3");
        assert!(Milli::parse("1.2345").is_err() && Milli::parse("abc").is_err() && Milli::parse("").is_err());
    }

    #[test]
    fn scores_weigh_what_each_kpi_reached() {
        let kpis = [
            // 40 points: 80 of 100 classrooms: 32.
            kpi("Q1", Category::Quantity, Direction::AtLeast, "100", 40, Some("80")),
            // 20 points: cost 110 against at most 100: 20 × 100/110 = 18.1818…
            kpi("C1", Category::Cost, Direction::AtMost, "100", 20, Some("110")),
            // 20 points: beyond target earns no more than the weight.
            kpi("S1", Category::Social, Direction::AtLeast, "90", 20, Some("95")),
            // 20 points: not measured.
            kpi("M1", Category::Satisfaction, Direction::AtLeast, "85", 20, None),
        ];
        assert!(check_kpis(&kpis).is_ok());
        // 32 + 18.1818 + 20 + 0 = 70.18 → 70.2
        assert_eq!(score(&kpis), 702);
        assert_eq!(Grade::of(702), Grade::Fair);
        let bad = [kpi("Q1", Category::Quantity, Direction::AtLeast, "1", 60, None)];
        assert!(check_kpis(&bad).unwrap_err().contains("add up to 60"));
    }

    #[test]
    fn scores_are_read_in_tenths() {
        assert_eq!(parse_points("92.5"), Ok(925));
        assert_eq!(parse_points("100"), Ok(1000));
        assert!(parse_points("92.55").is_err() && parse_points("101").is_err() && parse_points("-1").is_err());
        assert_eq!(points_text(925), "92.5");
        assert_eq!(points_text(900), "90");
    }

    #[test]
    fn grades_at_their_bounds() {
        assert_eq!(Grade::of(900), Grade::Excellent);
        assert_eq!(Grade::of(899), Grade::Good);
        assert_eq!(Grade::of(800), Grade::Good);
        assert_eq!(Grade::of(799), Grade::Fair);
        assert_eq!(Grade::of(600), Grade::Fair);
        assert_eq!(Grade::of(599), Grade::Poor);
    }

    #[test]
    fn a_self_evaluation_far_from_the_third_party_s_is_flagged() {
        assert!(distorted(950, 620), "the document's 95 against 62");
        assert!(!distorted(950, 800), "15 points exactly is not more than 15");
        assert!(distorted(800, 951) && !distorted(800, 950));
    }

    #[test]
    fn a_department_s_result_weighs_budgets_and_the_public() {
        let projects = [(Money::from_fen(30_000_000), 900), (Money::from_fen(10_000_000), 700)];
        // (3 × 90 + 1 × 70) / 4 = 85.0
        assert_eq!(department_result(&projects, None), 850);
        // 0.7 × 85 + 0.3 × 60 = 77.5
        assert_eq!(department_result(&projects, Some(600)), 775);
    }

    #[test]
    fn the_ladder_raises_the_top_tenth_and_cuts_the_bottom_twentieth() {
        let results: Vec<(String, Points)> = (0..25).map(|i| (format!("D{i:02}"), 1000 - i * 10)).collect();
        let rungs = ladder(&results, &Ladder::default());
        // 25 departments: the top 3 (10 %, rounded up) get +10, +7.5 (half up: 8), +5; the
        // bottom 2 (5 %, rounded up) are cut.
        let changes: Vec<i32> = rungs.iter().map(|r| r.change_pct).collect();
        assert_eq!(&changes[..4], &[10, 8, 5, 0]);
        assert_eq!(&changes[23..], &[-10, -10]);
        assert!(rungs[24].interview && rungs[23].interview && !rungs[22].interview);
        assert_eq!(rungs[0].department, "D00");
        let one = ladder(&[("D".into(), 500)], &Ladder::default());
        assert_eq!((one[0].change_pct, one[0].interview), (10, false), "a single department is its own top tenth");
    }

    #[test]
    fn proposals_follow_grade_and_rung() {
        let l = Ladder::default();
        let a = Money::from_fen(100_000_000);
        assert_eq!(proposed(a, ProjectAction::Prioritise, 10, &l).fen(), 110_000_000);
        assert_eq!(proposed(a, ProjectAction::Cut, 0, &l).fen(), 90_000_000);
        assert_eq!(proposed(a, ProjectAction::Cut, -10, &l).fen(), 81_000_000);
        assert_eq!(proposed(a, ProjectAction::Suspend, 10, &l), Money::ZERO);
        assert_eq!(ProjectAction::of(Grade::of(950)), ProjectAction::Prioritise);
    }
}
