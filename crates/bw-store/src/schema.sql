-- One schema for SQLite and PostgreSQL. {BLOB} becomes BLOB or BYTEA; {INDEX_PK} becomes
-- INTEGER PRIMARY KEY on SQLite (the rowid itself, no second index) or BIGINT PRIMARY KEY. Money is BIGINT fen;
-- dates are TEXT 'YYYY-MM-DD' (sortable, and the same on both); booleans are INTEGER 0/1.
-- Every projection row names the journal entry it came from (journal_idx).

CREATE TABLE journal (
    idx {INDEX_PK},
    leaf_hash {BLOB} NOT NULL,
    entry {BLOB} NOT NULL
);

CREATE TABLE journal_head (
    id INTEGER PRIMARY KEY,
    size BIGINT NOT NULL
);
INSERT INTO journal_head (id, size) VALUES (1, 0);

CREATE TABLE batches (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    rows_added BIGINT NOT NULL,
    rows_unchanged BIGINT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    first_idx BIGINT NOT NULL,
    end_idx BIGINT NOT NULL
);

CREATE TABLE units (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_code TEXT,
    kind TEXT NOT NULL,
    level TEXT,
    region_code TEXT,
    department_code TEXT,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL
);

CREATE TABLE projects (
    project_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    category TEXT NOT NULL,
    start_year INTEGER NOT NULL,
    end_year INTEGER NOT NULL,
    total_amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    expires_on TEXT,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL
);

CREATE TABLE indicators (
    year INTEGER NOT NULL,
    indicator_code TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    project_code TEXT,
    functional_code TEXT NOT NULL,
    economic_code TEXT NOT NULL,
    gov_economic_code TEXT,
    fund_source TEXT NOT NULL,
    special INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    control TEXT NOT NULL,
    paid BIGINT NOT NULL DEFAULT 0,
    committed_unpaid BIGINT NOT NULL DEFAULT 0,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (year, indicator_code)
);
CREATE INDEX indicators_unit ON indicators (unit_code);

-- Paid per indicator and calendar month: what the monitoring rules read.
CREATE TABLE indicator_months (
    year INTEGER NOT NULL,
    indicator_code TEXT NOT NULL,
    month TEXT NOT NULL,
    paid BIGINT NOT NULL,
    payments BIGINT NOT NULL,
    PRIMARY KEY (year, indicator_code, month)
);

CREATE TABLE contracts (
    contract_no TEXT PRIMARY KEY,
    unit_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    indicator_code TEXT NOT NULL,
    supplier_name TEXT NOT NULL,
    supplier_account TEXT NOT NULL,
    amount BIGINT NOT NULL,
    signed_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    status TEXT NOT NULL,
    paid BIGINT NOT NULL DEFAULT 0,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL
);

CREATE TABLE payments (
    unit_code TEXT NOT NULL,
    voucher_no TEXT NOT NULL,
    pay_date TEXT NOT NULL,
    year INTEGER NOT NULL,
    indicator_code TEXT NOT NULL,
    economic_code TEXT NOT NULL,
    payee_name TEXT NOT NULL,
    payee_account TEXT NOT NULL,
    payee_type TEXT NOT NULL,
    amount BIGINT NOT NULL,
    summary TEXT NOT NULL,
    invoice_no TEXT,
    contract_no TEXT,
    reverses TEXT,
    refunded BIGINT NOT NULL DEFAULT 0,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL,
    -- Voucher first: voucher numbers mostly arrive in ascending order, so the key index
    -- grows at its end instead of at random places.
    PRIMARY KEY (voucher_no, unit_code)
);

CREATE TABLE revenues (
    record_no TEXT PRIMARY KEY,
    date TEXT NOT NULL,
    year INTEGER NOT NULL,
    region_code TEXT NOT NULL,
    revenue_code TEXT NOT NULL,
    amount BIGINT NOT NULL,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL
);

CREATE TABLE revenue_months (
    year INTEGER NOT NULL,
    region_code TEXT NOT NULL,
    revenue_code TEXT NOT NULL,
    month TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (year, region_code, revenue_code, month)
);

CREATE TABLE revenue_targets (
    year INTEGER NOT NULL,
    region_code TEXT NOT NULL,
    revenue_code TEXT NOT NULL,
    amount BIGINT NOT NULL,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (year, region_code, revenue_code)
);

-- Bulk loads on PostgreSQL are COPYed here first, outside the import's transaction, then
-- moved into place by INSERT … SELECT inside it ({UNLOGGED} is UNLOGGED on PostgreSQL).
CREATE {UNLOGGED} TABLE stage_journal (
    stage_id BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    leaf_hash {BLOB} NOT NULL,
    entry {BLOB} NOT NULL
);
CREATE {UNLOGGED} TABLE stage_payments (
    stage_id BIGINT NOT NULL,
    unit_code TEXT NOT NULL,
    voucher_no TEXT NOT NULL,
    pay_date TEXT NOT NULL,
    year INTEGER NOT NULL,
    indicator_code TEXT NOT NULL,
    economic_code TEXT NOT NULL,
    payee_name TEXT NOT NULL,
    payee_account TEXT NOT NULL,
    payee_type TEXT NOT NULL,
    amount BIGINT NOT NULL,
    summary TEXT NOT NULL,
    invoice_no TEXT,
    contract_no TEXT,
    reverses TEXT,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);

-- Holiday data loaded beyond the shipped years (or replacing them).
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY,
    journal_idx BIGINT NOT NULL
);
CREATE TABLE calendar_days (
    date TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
