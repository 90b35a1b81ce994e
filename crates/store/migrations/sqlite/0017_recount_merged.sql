-- A merged order is its target's duplicate: it no longer counts in the volumes,
-- topics and deadlines of reports (hotline_domain::stats::facts). Every order is
-- counted again from its first event, in the background, as by 0014.
UPDATE report_cursor SET event_id = 0;
