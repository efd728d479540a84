-- The risk register (`risk.*` actions): each risk's document as `bw_core::risk::Register`
-- keeps it (id: the journal index of its `risk.add`), and the register's matrix as the row
-- with id -1. Written from the register after each action; `verify` rebuilds it by applying
-- the same actions with the same function.
CREATE TABLE risk_register (
    id BIGINT PRIMARY KEY,
    doc TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
