-- Webhook subscriptions (`webhook.add`, `webhook.remove`): new and escalated warnings are
-- posted to `url`, signed with HMAC-SHA256 under `secret`, filtered to what `user_name` may
-- see. The secret is operational state: kept here, never journaled, not verified.
CREATE TABLE webhooks (
    id BIGINT PRIMARY KEY,
    user_name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    removed_idx BIGINT
);
