//! The journal entries of public feedback — a comment or an inquiry submitted, moderated
//! (published or refused with a reason), answered — as typed data, and the rows each one
//! writes (`project`): the feedback service writes what `project` gives, `verify` replays
//! the journal through the same function.

use crate::Date;
use crate::action::Action;
use crate::projection::{Cell, Change, Changes, Table};
use serde::{Deserialize, Serialize};

/// `feedback`: comments and inquiries, keyed by the entry that submitted each.
pub const FEEDBACK: Table = Table {
    name: "feedback",
    columns: &[
        "id",
        "kind",
        "subject",
        "author",
        "body",
        "asked_on",
        "due_on",
        "answer",
        "answered_by",
        "answered_idx",
        "status",
        "moderation_note",
        "moderated_by",
        "moderated_idx",
    ],
    key_len: 1,
};

/// The tables this module's entries write.
pub const TABLES: [&Table; 1] = [&FEEDBACK];

/// `feedback.submit`: a comment, or an inquiry due on a working day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Submit {
    /// `comment` or `inquiry`.
    pub kind: String,
    pub subject: String,
    pub author: String,
    pub body: String,
    pub asked_on: Date,
    pub due_on: Option<Date>,
    /// `pending`; feedback given before moderation existed was published as it came.
    #[serde(default = "published")]
    pub status: String,
}

fn published() -> String {
    "published".into()
}

/// `feedback.moderate`: published, or refused with its reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Moderate {
    pub id: i64,
    pub by: String,
    /// `published` or `rejected`.
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// `feedback.answer`: the answer to published feedback, once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub id: i64,
    pub by: String,
    pub answer: String,
}

/// One entry of public feedback, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Submit(Submit),
    Moderate(Moderate),
    Answer(Answer),
}

impl Entry {
    /// The entry of `action` with this data; `None` for an action not of feedback.
    pub fn decode(action: Action, data: &str) -> Option<Result<Entry, serde_json::Error>> {
        Some(match action {
            Action::FeedbackSubmit => serde_json::from_str(data).map(Entry::Submit),
            Action::FeedbackModerate => serde_json::from_str(data).map(Entry::Moderate),
            Action::FeedbackAnswer => serde_json::from_str(data).map(Entry::Answer),
            _ => return None,
        })
    }

    /// The action the entry is journaled as.
    pub fn action(&self) -> Action {
        match self {
            Entry::Submit(_) => Action::FeedbackSubmit,
            Entry::Moderate(_) => Action::FeedbackModerate,
            Entry::Answer(_) => Action::FeedbackAnswer,
        }
    }
}

/// An entry's data is its inner record's.
impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::Submit(d) => d.serialize(s),
            Entry::Moderate(d) => d.serialize(s),
            Entry::Answer(d) => d.serialize(s),
        }
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

/// The rows `entry`, journaled at index `idx`, writes.
pub fn project(entry: &Entry, idx: i64) -> Changes {
    let ix = Cell::Int(idx);
    match entry {
        Entry::Submit(f) => vec![Change::Insert {
            table: &FEEDBACK,
            cells: vec![
                ix,
                text(&f.kind),
                text(&f.subject),
                text(&f.author),
                text(&f.body),
                Cell::Text(f.asked_on.to_string()),
                f.due_on.map_or(Cell::Null, |d| Cell::Text(d.to_string())),
                Cell::Null,
                Cell::Null,
                Cell::NullInt,
                text(&f.status),
                Cell::Null,
                Cell::Null,
                Cell::NullInt,
            ],
        }],
        Entry::Moderate(m) => {
            let note = if m.note.is_empty() { Cell::Null } else { text(&m.note) };
            vec![Change::Update {
                table: &FEEDBACK,
                key: vec![Cell::Int(m.id)],
                set: vec![
                    ("status", text(&m.status)),
                    ("moderation_note", note),
                    ("moderated_by", text(&m.by)),
                    ("moderated_idx", ix),
                ],
                expect: vec![("status", text("pending"))],
            }]
        }
        Entry::Answer(a) => vec![Change::Update {
            table: &FEEDBACK,
            key: vec![Cell::Int(a.id)],
            set: vec![("answer", text(&a.answer)), ("answered_by", text(&a.by)), ("answered_idx", ix)],
            expect: vec![("answered_idx", Cell::NullInt)],
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_written_before_they_were_typed_decode_and_fit_their_tables() {
        let old = [
            (
                Action::FeedbackSubmit,
                r#"{"asked_on":"2026-03-02","author":"p_1","body":"为何超支","due_on":"2026-03-16","kind":"inquiry","status":"pending","subject":"U1"}"#,
            ),
            // Before moderation: no status, published as it came.
            (
                Action::FeedbackSubmit,
                r#"{"asked_on":"2026-03-02","author":"p_1","body":"好","due_on":null,"kind":"comment","subject":"U1"}"#,
            ),
            (Action::FeedbackModerate, r#"{"by":"admin","id":5,"note":"","status":"published"}"#),
            (Action::FeedbackAnswer, r#"{"answer":"已整改","by":"bureau","id":5}"#),
        ];
        for (action, data) in old {
            let e = Entry::decode(action, data).unwrap().unwrap();
            assert_eq!(e.action(), action);
            for c in project(&e, 9) {
                c.check().unwrap();
            }
        }
        let early = project(&Entry::decode(old[1].0, old[1].1).unwrap().unwrap(), 9);
        let Change::Insert { cells, .. } = &early[0] else { panic!("feedback is inserted") };
        assert_eq!((&cells[6], &cells[10]), (&Cell::Null, &Cell::Text("published".into())));
        let moderated = project(&Entry::decode(old[2].0, old[2].1).unwrap().unwrap(), 9);
        let Change::Update { set, .. } = &moderated[0] else { panic!("moderation updates") };
        assert_eq!(set[1], ("moderation_note", Cell::Null), "an empty note is no note");
    }
}
