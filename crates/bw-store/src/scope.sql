-- Incremental evaluation reads payments by (unit, payee account) for split purchases and by
-- (payee account, amount) for duplicates; the cached findings are filed by amount and
-- voucher too. Caches computed before are set aside (the next full check rebuilds them).
DROP INDEX payments_account;
CREATE INDEX payments_pair ON payments (unit_code, payee_account);
CREATE INDEX payments_payee ON payments (payee_account, amount);
ALTER TABLE payment_findings ADD COLUMN amount BIGINT;
ALTER TABLE payment_findings ADD COLUMN voucher TEXT;
DELETE FROM payment_findings;
DELETE FROM payment_findings_state;
