-- 0020 (PostgreSQL): "wrong number" asks before it acts, as migrations/0020_wrong_number.sql.

ALTER TABLE contacts ADD COLUMN wrong_number_asked_at BIGINT; -- Unix milliseconds
