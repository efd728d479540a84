-- Invoice numbers are kept as exported (spaces, slashes and all); the rules compare them by
-- their key (bw_core::ident::key: no spaces or dashes, ASCII letters in upper case), which
-- is derived from the number and checked by verify. Numbers stored before held no spaces.
ALTER TABLE payments ADD COLUMN invoice_key TEXT;
ALTER TABLE stage_payments ADD COLUMN invoice_key TEXT;
UPDATE payments SET invoice_key = UPPER(REPLACE(invoice_no, '-', '')) WHERE invoice_no IS NOT NULL AND invoice_no <> '';
DROP INDEX payments_invoice;
CREATE INDEX payments_invoice ON payments (invoice_key);
