-- Payments held by a rule handled `intercept` (拦截): not counted as paid until a reviewer
-- releases them; a rejected one never counts. `hold_warning` names the warning that held it.
ALTER TABLE payments ADD COLUMN status TEXT NOT NULL DEFAULT 'paid';
ALTER TABLE payments ADD COLUMN hold_warning BIGINT;
-- What incremental evaluation reads for the units, accounts and invoices a batch touched.
CREATE INDEX payments_unit ON payments (unit_code, pay_date);
CREATE INDEX payments_account ON payments (payee_account);
CREATE INDEX payments_invoice ON payments (invoice_no);
