-- Only dispatched orders have a lead unit, and every lookup by unit names one: the
-- index leaves the rest out, so that registering an order writes one index entry
-- fewer and the index holds only what a unit can ask for.
DROP INDEX orders_unit;
CREATE INDEX orders_unit ON orders(unit, id) WHERE unit IS NOT NULL;
