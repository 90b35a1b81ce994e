-- Every intake's duplicate lookups also read each match's owning hotline (hotline staff
-- are shown only the links to orders of their hotlines): the two indexes carry it, so
-- the lookups stay index-only.
DROP INDEX orders_phone;
CREATE INDEX orders_phone ON orders(phone_hash, registered_at, hotline);
DROP INDEX orders_address;
CREATE INDEX orders_address ON orders(address_key, registered_at, hotline);
