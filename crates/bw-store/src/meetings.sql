-- Meetings and action items (`meeting.*`, `action.*`; docs/GOVERNANCE.md): each meeting's and
-- each action item's document as `bw_core::meeting::Board` keeps it (a meeting's id: the
-- journal index of its `meeting.schedule`; an action item's: the meeting's × 100 + its
-- agenda item's number), written after each action; `verify` rebuilds them by applying the
-- same actions with the same function. Every agenda pack as generated, with its SHA-256.
CREATE TABLE meetings (
    id BIGINT PRIMARY KEY,
    doc TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);

CREATE TABLE action_items (
    id BIGINT PRIMARY KEY,
    doc TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);

CREATE TABLE meeting_packs (
    journal_idx BIGINT PRIMARY KEY,
    meeting_id BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    pack TEXT NOT NULL
);
CREATE INDEX meeting_packs_meeting ON meeting_packs (meeting_id);
