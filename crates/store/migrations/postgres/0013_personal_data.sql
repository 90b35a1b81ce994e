-- Personal data at rest (README "Personal data at rest").
-- pd_key:    the id of the key the order's personal fields (requester's name, phone and
--            address, the matter's address) are sealed with in `doc`; NULL when they are
--            stored plain (encryption off, or written before it was turned on).
-- closed_at: when the order was closed (Unix seconds; NULL while it is not), mirrored
--            from the document so that the retention job finds old closed orders.
-- purged_at: when the retention job removed the order's personal data.
ALTER TABLE orders ADD COLUMN pd_key TEXT;
ALTER TABLE orders ADD COLUMN closed_at BIGINT;
ALTER TABLE orders ADD COLUMN purged_at BIGINT;
UPDATE orders SET closed_at = EXTRACT(EPOCH FROM (doc::jsonb ->> 'closed_at')::timestamptz)::bigint
    WHERE status = 'closed' AND doc::jsonb ? 'closed_at';
-- Only sealed orders are indexed: nothing to maintain while encryption is off.
CREATE INDEX orders_pd_key ON orders(pd_key) WHERE pd_key IS NOT NULL;
CREATE INDEX orders_retention ON orders(closed_at) WHERE closed_at IS NOT NULL AND purged_at IS NULL;
