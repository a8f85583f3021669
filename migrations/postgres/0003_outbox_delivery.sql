-- Delivery details of the outbox: which worker sent a message (so a test,
-- or an operator, can see that several instances share the work), when a
-- message finally failed, and an index for the development mailbox, which
-- lists the newest messages first.
ALTER TABLE outbox ADD COLUMN sent_by TEXT;
ALTER TABLE outbox ADD COLUMN failed_at BIGINT;
CREATE INDEX outbox_created_idx ON outbox (created_at);
