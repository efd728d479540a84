-- Contract milestones (合同里程碑, the `contract_milestones` template; docs/GOVERNANCE.md): each
-- milestone's plan with its amount resolved in fen, and where it stands — the share verified
-- (‰), the open claim (JSON: submitter, share, evidence digests, opinions by role), whether
-- it is disputed, and the entry of the verification that last released money.
CREATE TABLE contract_milestones (
    contract_no TEXT NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    -- Optional numbers are kept as text (NULL when not given), as the import writes them.
    share_permille TEXT,
    criterion TEXT NOT NULL,
    verifiers TEXT NOT NULL,
    depends_on TEXT NOT NULL,
    pro_rata INTEGER NOT NULL,
    due_date TEXT,
    retention_days TEXT,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (contract_no, seq)
);

CREATE TABLE milestone_progress (
    contract_no TEXT NOT NULL,
    seq INTEGER NOT NULL,
    verified_permille INTEGER NOT NULL DEFAULT 0,
    claim TEXT,
    disputed INTEGER NOT NULL DEFAULT 0,
    verified_entry BIGINT,
    PRIMARY KEY (contract_no, seq)
);

-- Why a payment is held when no warning holds it: `milestone_not_verified`.
ALTER TABLE payments ADD COLUMN hold_reason TEXT;
CREATE INDEX payments_held ON payments (contract_no) WHERE status = 'held';
