//! The journal entries of performance management — KPIs set and their values recorded,
//! evaluations, public satisfaction, interviews scheduled, the published ranking and the
//! rolling plan — as typed data, and the rows each one writes (`project`): the
//! performance service writes what `project` gives, `verify` replays the journal through
//! the same function.

use super::{Direction, Kpi, Milli, parse_points};
use crate::action::Action;
use crate::money::Money;
use crate::projection::{Cell, Change, Changes, Table};
use crate::{Date, Timestamp};
use serde::{Deserialize, Serialize};

/// `kpis`: a project's KPIs for a year, with the value each reached.
pub const KPIS: Table = Table {
    name: "kpis",
    columns: &[
        "year",
        "project_code",
        "code",
        "name",
        "category",
        "direction",
        "target",
        "weight",
        "actual",
        "journal_idx",
    ],
    key_len: 3,
};

/// `evaluations`: a project's score by each kind of evaluator.
pub const EVALUATIONS: Table = Table {
    name: "evaluations",
    columns: &["year", "project_code", "kind", "score", "evaluator", "journal_idx"],
    key_len: 3,
};

/// `satisfaction`: a department's public-satisfaction score for a year.
pub const SATISFACTION: Table =
    Table { name: "satisfaction", columns: &["year", "department_code", "score", "journal_idx"], key_len: 2 };

/// `interviews`: the interview of a department's head the ranking called for.
pub const INTERVIEWS: Table =
    Table { name: "interviews", columns: &["year", "department_code", "due_on", "journal_idx"], key_len: 2 };

/// `rankings`: a year's published ranking (JSON text).
pub const RANKINGS: Table =
    Table { name: "rankings", columns: &["year", "ranking", "published_at", "journal_idx"], key_len: 1 };

/// `rolling_plans`: each project's amount for each of the three years of a plan.
pub const ROLLING_PLANS: Table = Table {
    name: "rolling_plans",
    columns: &["plan_year", "project_code", "year", "amount", "journal_idx"],
    key_len: 3,
};

/// The tables this module's entries write.
pub const TABLES: [&Table; 6] = [&KPIS, &EVALUATIONS, &SATISFACTION, &INTERVIEWS, &RANKINGS, &ROLLING_PLANS];

/// One project's rolling plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    pub project_code: String,
    /// The plan year's amount and the two outer years'.
    pub amounts: [Money; 3],
}

/// `kpi.set`: a project's KPIs (JSON text of `Kpi`s), replacing those it had.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KpiSet {
    pub year: i32,
    pub project_code: String,
    pub kpis: String,
}

/// `kpi.actual`: the value a KPI reached (`Milli` text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KpiActual {
    pub year: i32,
    pub project_code: String,
    pub code: String,
    pub actual: String,
}

/// `evaluation.record`: an evaluator's score (points text), replacing that kind's earlier one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRecord {
    pub year: i32,
    pub project_code: String,
    /// `self` or `third_party`.
    pub kind: String,
    pub score: String,
}

/// `satisfaction.record`: a department's public-satisfaction score (points text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionRecord {
    pub year: i32,
    pub department_code: String,
    pub score: String,
}

/// `interview.schedule`: an interview of a department's head, due on a working day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InterviewSchedule {
    pub year: i32,
    pub department_code: String,
    pub due_on: Date,
}

/// `performance.publish`: the ranking (JSON text), replacing an earlier one of the year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerformancePublish {
    pub year: i32,
    pub ranking: String,
    pub published_at: Timestamp,
}

/// `rolling.plan`: the year's rolling plan (JSON text of `PlanLine`s).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollingPlan {
    pub year: i32,
    pub plan: String,
}

/// One entry of performance management, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    KpiSet(KpiSet),
    KpiActual(KpiActual),
    EvaluationRecord(EvaluationRecord),
    SatisfactionRecord(SatisfactionRecord),
    InterviewSchedule(InterviewSchedule),
    PerformancePublish(PerformancePublish),
    RollingPlan(RollingPlan),
}

impl Entry {
    /// The entry of `action` with this data; `None` for an action not of performance.
    pub fn decode(action: Action, data: &str) -> Option<Result<Entry, serde_json::Error>> {
        fn de<T: serde::de::DeserializeOwned>(data: &str, f: fn(T) -> Entry) -> Result<Entry, serde_json::Error> {
            serde_json::from_str(data).map(f)
        }
        Some(match action {
            Action::KpiSet => de(data, Entry::KpiSet),
            Action::KpiActual => de(data, Entry::KpiActual),
            Action::EvaluationRecord => de(data, Entry::EvaluationRecord),
            Action::SatisfactionRecord => de(data, Entry::SatisfactionRecord),
            Action::InterviewSchedule => de(data, Entry::InterviewSchedule),
            Action::PerformancePublish => de(data, Entry::PerformancePublish),
            Action::RollingPlan => de(data, Entry::RollingPlan),
            _ => return None,
        })
    }

    /// The action the entry is journaled as.
    pub fn action(&self) -> Action {
        match self {
            Entry::KpiSet(_) => Action::KpiSet,
            Entry::KpiActual(_) => Action::KpiActual,
            Entry::EvaluationRecord(_) => Action::EvaluationRecord,
            Entry::SatisfactionRecord(_) => Action::SatisfactionRecord,
            Entry::InterviewSchedule(_) => Action::InterviewSchedule,
            Entry::PerformancePublish(_) => Action::PerformancePublish,
            Entry::RollingPlan(_) => Action::RollingPlan,
        }
    }
}

/// An entry's data is its inner record's.
impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::KpiSet(d) => d.serialize(s),
            Entry::KpiActual(d) => d.serialize(s),
            Entry::EvaluationRecord(d) => d.serialize(s),
            Entry::SatisfactionRecord(d) => d.serialize(s),
            Entry::InterviewSchedule(d) => d.serialize(s),
            Entry::PerformancePublish(d) => d.serialize(s),
            Entry::RollingPlan(d) => d.serialize(s),
        }
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn year(y: i32) -> Cell {
    Cell::Int(i64::from(y))
}

/// A KPI's row in `kpis`.
fn kpi_row(y: i32, project: &str, k: &Kpi, ix: &Cell) -> Vec<Cell> {
    vec![
        year(y),
        text(project),
        text(&k.code),
        text(&k.name),
        text(k.category.as_str()),
        text(match k.direction {
            Direction::AtLeast => "at_least",
            Direction::AtMost => "at_most",
        }),
        Cell::Int(k.target.0),
        Cell::Int(i64::from(k.weight)),
        k.actual.map_or(Cell::NullInt, |a| Cell::Int(a.0)),
        ix.clone(),
    ]
}

/// The rows `entry`, journaled at index `idx` by `actor`, writes; an error when the JSON
/// text or figures it carries do not parse.
pub fn project(entry: &Entry, idx: i64, actor: &str) -> Result<Changes, String> {
    let ix = Cell::Int(idx);
    Ok(match entry {
        Entry::KpiSet(k) => {
            let kpis: Vec<Kpi> = serde_json::from_str(&k.kpis).map_err(|e| format!("kpis: {e}"))?;
            let mut out =
                vec![Change::Delete { table: &KPIS, key: vec![year(k.year), text(&k.project_code)], required: false }];
            out.extend(
                kpis.iter()
                    .map(|kpi| Change::Insert { table: &KPIS, cells: kpi_row(k.year, &k.project_code, kpi, &ix) }),
            );
            out
        }
        Entry::KpiActual(a) => vec![Change::Update {
            table: &KPIS,
            key: vec![year(a.year), text(&a.project_code), text(&a.code)],
            set: vec![("actual", Cell::Int(Milli::parse(&a.actual)?.0)), ("journal_idx", ix)],
            expect: vec![],
        }],
        Entry::EvaluationRecord(r) => vec![Change::Put {
            table: &EVALUATIONS,
            cells: vec![
                year(r.year),
                text(&r.project_code),
                text(&r.kind),
                Cell::Int(parse_points(&r.score)?),
                text(actor),
                ix,
            ],
        }],
        Entry::SatisfactionRecord(r) => vec![Change::Put {
            table: &SATISFACTION,
            cells: vec![year(r.year), text(&r.department_code), Cell::Int(parse_points(&r.score)?), ix],
        }],
        Entry::InterviewSchedule(i) => vec![Change::Insert {
            table: &INTERVIEWS,
            cells: vec![year(i.year), text(&i.department_code), Cell::Text(i.due_on.to_string()), ix],
        }],
        Entry::PerformancePublish(p) => vec![Change::Put {
            table: &RANKINGS,
            cells: vec![year(p.year), text(&p.ranking), Cell::Text(p.published_at.to_string()), ix],
        }],
        Entry::RollingPlan(r) => {
            let plan: Vec<PlanLine> = serde_json::from_str(&r.plan).map_err(|e| format!("plan: {e}"))?;
            let mut out = Vec::new();
            for l in plan {
                for (i, a) in (0..).zip(l.amounts) {
                    let cells =
                        vec![year(r.year), text(&l.project_code), year(r.year + i), Cell::Int(a.fen()), ix.clone()];
                    out.push(Change::Insert { table: &ROLLING_PLANS, cells });
                }
            }
            out
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_written_before_they_were_typed_decode_and_fit_their_tables() {
        let kpis = r#"[{"code":"K1","name":"完成率","category":"quantity","direction":"at_least","target":95000,"weight":100,"actual":null}]"#;
        let set = serde_json::json!({"kpis": kpis, "project_code": "XM1", "year": 2026}).to_string();
        let plan = serde_json::json!({"plan": r#"[{"project_code":"XM1","amounts":["10.00","11.00","12.00"]}]"#, "year": 2026}).to_string();
        let old = [
            (Action::KpiSet, set.as_str()),
            (Action::KpiActual, r#"{"actual":"96.5","code":"K1","project_code":"XM1","year":2026}"#),
            (Action::EvaluationRecord, r#"{"kind":"self","project_code":"XM1","score":"88.5","year":2026}"#),
            (Action::SatisfactionRecord, r#"{"department_code":"D1","score":"90","year":2026}"#),
            (Action::InterviewSchedule, r#"{"department_code":"D1","due_on":"2026-12-10","year":2026}"#),
            (Action::PerformancePublish, r#"{"published_at":"2026-12-01T08:00:00Z","ranking":"[]","year":2026}"#),
            (Action::RollingPlan, plan.as_str()),
        ];
        for (action, data) in old {
            let e = Entry::decode(action, data).unwrap().unwrap();
            assert_eq!(e.action(), action);
            for c in project(&e, 9, "evaluator").unwrap() {
                c.check().unwrap();
            }
        }
        let set = project(&Entry::decode(Action::KpiSet, &set).unwrap().unwrap(), 9, "x").unwrap();
        assert!(matches!(&set[0], Change::Delete { key, required: false, .. } if key.len() == 2), "{set:?}");
        let Change::Insert { cells, .. } = &set[1] else { panic!("a KPI is inserted") };
        assert_eq!((&cells[6], &cells[8]), (&Cell::Int(95_000), &Cell::NullInt));
        let plan = project(&Entry::decode(Action::RollingPlan, &plan).unwrap().unwrap(), 9, "x").unwrap();
        let years: Vec<Cell> = plan
            .iter()
            .map(|c| match c {
                Change::Insert { cells, .. } => cells[2].clone(),
                _ => Cell::Null,
            })
            .collect();
        assert_eq!(years, [Cell::Int(2026), Cell::Int(2027), Cell::Int(2028)]);
    }
}
