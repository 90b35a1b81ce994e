-- Lines (条线): a unit may belong to the line of a provincial department, its head
-- (成都市人社局 → 省人社厅). Set by administrators; none for most units.
ALTER TABLE units ADD COLUMN line_head TEXT REFERENCES units(code);
