-- The staff register (人员名册), projection of `staff.add` entries; name, account and phone
-- are committed in the entry and held here in clear.
CREATE TABLE staff (
    unit_code TEXT NOT NULL,
    id_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    bank_account TEXT NOT NULL,
    phone TEXT NOT NULL,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (unit_code, id_hash)
);

-- Special audits (专项审计) opened by a unit's risk score falling below the threshold; the
-- projection of `audit_case.open` entries. One per unit and year.
CREATE TABLE audit_cases (
    id BIGINT PRIMARY KEY,
    year INTEGER NOT NULL,
    unit_code TEXT NOT NULL,
    score TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    state TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
CREATE UNIQUE INDEX audit_cases_unit ON audit_cases (year, unit_code);
