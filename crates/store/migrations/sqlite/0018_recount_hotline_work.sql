-- Reports count each hotline's own work on an order (hotline_domain::hotline_work):
-- routing time, direct answers, dispatch accuracy, callbacks, reopens. Every order is
-- counted again from its first event, in the background, as by 0014.
UPDATE report_cursor SET event_id = 0;
