-- 0031 (PostgreSQL): nothing to change. migrations/0031_check_lists.sql rewrites SQLite's CHECK
-- lists of more than two values as OR chains, because SQLite fills a temporary b-tree with such a
-- list on every INSERT; PostgreSQL checks `x IN (...)` against the list as it is.

SELECT 1;
