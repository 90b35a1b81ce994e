-- The unit assessment's on-time completion is counted by dispatch and by the day the
-- completion fell due (facts `a_due`, `a_dot`, hotline_domain::stats): every order is
-- counted again from its first event, in the background (reports answer 503
-- `counting` while more than the backlog waits). Re-counting an order only adds the
-- difference from the facts it was last counted with, so nothing is counted twice.
UPDATE report_cursor SET event_id = 0;
