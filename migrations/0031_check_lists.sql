-- 0031: CHECK lists of more than two values become OR chains. SQLite 3.40 checks `x IN ('a',
-- 'b', 'c')` by filling a temporary b-tree with the list on every INSERT (and every UPDATE of the
-- column), so each message, conversation event and outbox state change paid for one: about 2.5 µs
-- per INSERT, measured in a harness on a copy of the bench database. An OR chain accepts and
-- refuses exactly the same values (NULL included) without it. The roll-up's two triggers on a
-- text's status (0027) test it the same way on every outbound text and every status change of one,
-- and get the same rewrite; a statement's own list (funnel_refresh's) fills its table once per
-- statement and stays as it is.
--
-- The rewrite edits the stored SQL, as SQLite documents for changes that leave the file's content
-- as it is (https://www.sqlite.org/lang_altertable.html, "other kinds of table schema changes"):
-- no row is read or rewritten, so it takes no time on a database of any size. RESET reparses the
-- schema on this connection; the view created and dropped at the end changes the schema cookie,
-- so every other connection reparses it too. StoredStatesTests holds every state each list
-- accepts; MigratorTests.noCheckListFillsATemporaryTable, that no list is left. PostgreSQL checks
-- IN lists without such a table: its 0031 changes nothing.

CREATE TEMP TABLE check_lists (old TEXT NOT NULL, new TEXT NOT NULL);
INSERT INTO check_lists (old, new) VALUES
    ('CHECK (event IN (''opt_in_requested'', ''opt_in_confirmed'', ''opt_out'', ''opt_in_again''))',
     'CHECK (event = ''opt_in_requested'' OR event = ''opt_in_confirmed'' OR event = ''opt_out'' OR event = ''opt_in_again'')'),
    ('CHECK (type IN (''message'', ''message_status'', ''handoff'', ''handoff_offer'', ''reply.matched'',
                                            ''conversation'', ''message_updated''))',
     'CHECK (type = ''message'' OR type = ''message_status'' OR type = ''handoff'' OR type = ''handoff_offer'' OR type = ''reply.matched'' OR type = ''conversation'' OR type = ''message_updated'')'),
    ('CHECK (state IN (''open'', ''escalated'', ''closed''))',
     'CHECK (state = ''open'' OR state = ''escalated'' OR state = ''closed'')'),
    ('CHECK (resolution IN (''resolved'', ''unresolved'', ''spam''))',
     'CHECK (resolution = ''resolved'' OR resolution = ''unresolved'' OR resolution = ''spam'')'),
    ('CHECK (reason IN (''slow_answer'', ''tab_hidden'', ''agent'', ''bot''))',
     'CHECK (reason = ''slow_answer'' OR reason = ''tab_hidden'' OR reason = ''agent'' OR reason = ''bot'')'),
    ('CHECK (state IN (''shown'', ''declined'', ''accepted''))',
     'CHECK (state = ''shown'' OR state = ''declined'' OR state = ''accepted'')'),
    ('CHECK (author IN (''visitor'', ''bot'', ''agent'', ''system''))',
     'CHECK (author = ''visitor'' OR author = ''bot'' OR author = ''agent'' OR author = ''system'')'),
    ('CHECK (state IN (''scheduled'', ''released'', ''canceled'', ''suppressed''))',
     'CHECK (state = ''scheduled'' OR state = ''released'' OR state = ''canceled'' OR state = ''suppressed'')'),
    ('CHECK (state IN (''pending'', ''sending'', ''done'', ''dead'', ''discarded''))',
     'CHECK (state = ''pending'' OR state = ''sending'' OR state = ''done'' OR state = ''dead'' OR state = ''discarded'')'),
    ('CHECK (state IN (''pending'', ''verified'', ''burned'', ''replaced''))',
     'CHECK (state = ''pending'' OR state = ''verified'' OR state = ''burned'' OR state = ''replaced'')'),
    ('NEW.status IN (''sent'', ''delivered'', ''undelivered'')',
     '(NEW.status = ''sent'' OR NEW.status = ''delivered'' OR NEW.status = ''undelivered'')');

PRAGMA writable_schema = ON;
-- Two passes: an UPDATE … FROM changes a row once, and conversations and handoff_offers have two
-- lists each.
UPDATE sqlite_schema SET sql = replace(sql, old, new) FROM temp.check_lists WHERE instr(sql, old) > 0;
UPDATE sqlite_schema SET sql = replace(sql, old, new) FROM temp.check_lists WHERE instr(sql, old) > 0;
PRAGMA writable_schema = RESET;
DROP TABLE temp.check_lists;
CREATE VIEW check_lists_rewritten AS SELECT 1;
DROP VIEW check_lists_rewritten;
