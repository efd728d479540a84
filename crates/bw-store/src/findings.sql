-- The findings of the rules judged on payments themselves (out_of_scope, personal_account,
-- split_purchase, duplicate_payment) over a year's payments: a cache kept up to date as
-- payments land, so a check need not read every payment. Derived, not a record: a check
-- rebuilds it whenever its thresholds (`fingerprint`) changed or it was invalidated.
CREATE TABLE payment_findings (
    year INTEGER NOT NULL,
    rule TEXT NOT NULL,
    unit_code TEXT,
    account TEXT,
    invoice TEXT,
    finding TEXT NOT NULL
);
CREATE INDEX payment_findings_year ON payment_findings (year, unit_code);
CREATE INDEX payment_findings_account ON payment_findings (account);
CREATE INDEX payment_findings_invoice ON payment_findings (invoice);
-- One row per year whose cache is whole: the thresholds it was computed with and the
-- latest payment date it covers.
CREATE TABLE payment_findings_state (
    year INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    through TEXT NOT NULL
);
