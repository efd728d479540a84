//! The journal entries of the budget cycle — a cycle opened and moved to its next stage,
//! control totals, saved drafts, the approval routes, the year's closing — as typed data,
//! and the rows each one writes (`project`): the budget service writes what `project`
//! gives, `verify` replays the journal through the same function.

use crate::action::Action;
use crate::money::Money;
use crate::projection::{Cell, Change, Changes, Table};
use serde::{Deserialize, Serialize};

/// `budget_cycles`: a year's cycle and the stage it is at.
pub const BUDGET_CYCLES: Table =
    Table { name: "budget_cycles", columns: &["year", "mode", "stage", "journal_idx"], key_len: 1 };

/// `control_totals`: a department's control total for a year (top-down cycles).
pub const CONTROL_TOTALS: Table =
    Table { name: "control_totals", columns: &["year", "department_code", "amount", "journal_idx"], key_len: 2 };

/// `budget_drafts`: each saved version of a unit's draft.
pub const BUDGET_DRAFTS: Table = Table {
    name: "budget_drafts",
    columns: &["year", "unit_code", "version", "lines", "total", "author", "note", "journal_idx"],
    key_len: 3,
};

/// `workflows`: the approval routes in force, by name.
pub const WORKFLOWS: Table = Table { name: "workflows", columns: &["name", "definition", "journal_idx"], key_len: 1 };

/// `closings`: a year's closing report and its carried and recovered totals.
pub const CLOSINGS: Table =
    Table { name: "closings", columns: &["year", "report", "carried", "recovered", "journal_idx"], key_len: 1 };

/// The tables this module's entries write.
pub const TABLES: [&Table; 5] = [&BUDGET_CYCLES, &CONTROL_TOTALS, &BUDGET_DRAFTS, &WORKFLOWS, &CLOSINGS];

/// `cycle.open`: a year's cycle opened at its first stage (research and targets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleOpen {
    pub year: i32,
    /// `top_down` or `bottom_up`.
    pub mode: String,
}

/// `cycle.advance`: the cycle moved from one stage to the next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleAdvance {
    pub year: i32,
    pub from: String,
    pub to: String,
}

/// `control.set`: a department's control total, replacing an earlier one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlSet {
    pub year: i32,
    pub department_code: String,
    pub amount: Money,
}

/// `draft.save`: a new version of a unit's draft; its lines as JSON text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftSave {
    pub year: i32,
    pub unit_code: String,
    pub version: i64,
    pub lines: String,
    pub total: Money,
    pub note: String,
}

/// `workflow.set`: approval routes (JSON text) replacing those of the same name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowSet {
    pub name: String,
    pub definition: String,
}

/// `year.close`: the year's closing report (JSON text) and its totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct YearClose {
    pub year: i32,
    pub report: String,
    pub carried: Money,
    pub recovered: Money,
}

/// One entry of the budget cycle, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    CycleOpen(CycleOpen),
    CycleAdvance(CycleAdvance),
    ControlSet(ControlSet),
    DraftSave(DraftSave),
    WorkflowSet(WorkflowSet),
    YearClose(YearClose),
}

impl Entry {
    /// The entry of `action` with this data; `None` for an action not of the cycle.
    pub fn decode(action: Action, data: &str) -> Option<Result<Entry, serde_json::Error>> {
        fn de<T: serde::de::DeserializeOwned>(data: &str, f: fn(T) -> Entry) -> Result<Entry, serde_json::Error> {
            serde_json::from_str(data).map(f)
        }
        Some(match action {
            Action::CycleOpen => de(data, Entry::CycleOpen),
            Action::CycleAdvance => de(data, Entry::CycleAdvance),
            Action::ControlSet => de(data, Entry::ControlSet),
            Action::DraftSave => de(data, Entry::DraftSave),
            Action::WorkflowSet => de(data, Entry::WorkflowSet),
            Action::YearClose => de(data, Entry::YearClose),
            _ => return None,
        })
    }

    /// The action the entry is journaled as.
    pub fn action(&self) -> Action {
        match self {
            Entry::CycleOpen(_) => Action::CycleOpen,
            Entry::CycleAdvance(_) => Action::CycleAdvance,
            Entry::ControlSet(_) => Action::ControlSet,
            Entry::DraftSave(_) => Action::DraftSave,
            Entry::WorkflowSet(_) => Action::WorkflowSet,
            Entry::YearClose(_) => Action::YearClose,
        }
    }
}

/// An entry's data is its inner record's.
impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::CycleOpen(d) => d.serialize(s),
            Entry::CycleAdvance(d) => d.serialize(s),
            Entry::ControlSet(d) => d.serialize(s),
            Entry::DraftSave(d) => d.serialize(s),
            Entry::WorkflowSet(d) => d.serialize(s),
            Entry::YearClose(d) => d.serialize(s),
        }
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn year(y: i32) -> Cell {
    Cell::Int(i64::from(y))
}

/// The rows `entry`, journaled at index `idx` by `actor`, writes.
pub fn project(entry: &Entry, idx: i64, actor: &str) -> Changes {
    let ix = Cell::Int(idx);
    match entry {
        Entry::CycleOpen(c) => {
            vec![Change::Insert {
                table: &BUDGET_CYCLES,
                cells: vec![year(c.year), text(&c.mode), text(crate::budget::Stage::Research.as_str()), ix],
            }]
        }
        Entry::CycleAdvance(c) => vec![Change::Update {
            table: &BUDGET_CYCLES,
            key: vec![year(c.year)],
            set: vec![("stage", text(&c.to)), ("journal_idx", ix)],
            expect: vec![("stage", text(&c.from))],
        }],
        Entry::ControlSet(c) => vec![Change::Put {
            table: &CONTROL_TOTALS,
            cells: vec![year(c.year), text(&c.department_code), Cell::Int(c.amount.fen()), ix],
        }],
        Entry::DraftSave(d) => vec![Change::Insert {
            table: &BUDGET_DRAFTS,
            cells: vec![
                year(d.year),
                text(&d.unit_code),
                Cell::Int(d.version),
                text(&d.lines),
                Cell::Int(d.total.fen()),
                text(actor),
                text(&d.note),
                ix,
            ],
        }],
        Entry::WorkflowSet(w) => {
            vec![Change::Put { table: &WORKFLOWS, cells: vec![text(&w.name), text(&w.definition), ix] }]
        }
        Entry::YearClose(c) => vec![Change::Insert {
            table: &CLOSINGS,
            cells: vec![year(c.year), text(&c.report), Cell::Int(c.carried.fen()), Cell::Int(c.recovered.fen()), ix],
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_written_before_they_were_typed_decode_and_fit_their_tables() {
        let old = [
            (Action::CycleOpen, r#"{"mode":"top_down","year":2026}"#),
            (Action::CycleAdvance, r#"{"from":"research","to":"preparation","year":2026}"#),
            (Action::ControlSet, r#"{"amount":"1200000.00","department_code":"D1","year":2026}"#),
            (
                Action::DraftSave,
                r#"{"lines":"[]","note":"初稿","total":"10.00","unit_code":"U1","version":2,"year":2026}"#,
            ),
            (Action::WorkflowSet, r#"{"definition":"{}","name":"budget"}"#),
            (Action::YearClose, r#"{"carried":"1.00","recovered":"2.50","report":"[]","year":2026}"#),
        ];
        for (action, data) in old {
            let e = Entry::decode(action, data).unwrap().unwrap();
            assert_eq!(e.action(), action);
            for c in project(&e, 9, "finance.desk") {
                c.check().unwrap();
            }
        }
        let e = Entry::decode(Action::ControlSet, old[2].1).unwrap().unwrap();
        let Change::Put { cells, .. } = &project(&e, 9, "x")[0] else { panic!("a control total replaces") };
        assert_eq!(cells[2], Cell::Int(120_000_000));
        let e = Entry::decode(Action::CycleAdvance, old[1].1).unwrap().unwrap();
        let Change::Update { expect, .. } = &project(&e, 9, "x")[0] else { panic!("an advance updates") };
        assert_eq!(expect, &vec![("stage", Cell::Text("research".into()))]);
    }
}
