-- 0031: CHECK lists of more than two values become OR chains. SQLite 3.40 checks `x IN ('a',
-- 'b', 'c')` by filling a temporary b-tree with the list on every INSERT (and every UPDATE of the
-- column), so each message, conversation event and outbox state change paid for one: about 2.5 µs
-- per INSERT measured in a harness on a copy of the bench database. (A statement's own lists, as
-- funnel_refresh's, fill theirs once per statement: left as they are.) An OR chain accepts and refuses
-- exactly the same values (NULL included) without it.
--
-- The rewrite edits the tables' stored SQL, as SQLite documents for changes that leave the file's
-- content as it is (https://www.sqlite.org/lang_altertable.html, "other kinds of table schema
-- changes"): no row is read or rewritten, so it takes no time on a database of any size. RESET
-- reparses the schema on this connection; the view created and dropped at the end changes the
-- schema cookie, so every other connection reparses it too. StoredStatesTests holds every state
-- each list accepts; MigratorTests.noCheckListFillsATemporaryTable, that no list is left.
-- PostgreSQL checks IN lists without such a table: its 0031 changes nothing.

PRAGMA writable_schema = ON;

UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (event IN (''opt_in_requested'', ''opt_in_confirmed'', ''opt_out'', ''opt_in_again''))',
    'CHECK (event = ''opt_in_requested'' OR event = ''opt_in_confirmed'' OR event = ''opt_out'' OR event = ''opt_in_again'')')
WHERE type = 'table' AND name = 'consents';

UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (type IN (''message'', ''message_status'', ''handoff'', ''handoff_offer'', ''reply.matched'',
                                            ''conversation'', ''message_updated''))',
    'CHECK (type = ''message'' OR type = ''message_status'' OR type = ''handoff'' OR type = ''handoff_offer'' OR type = ''reply.matched'' OR type = ''conversation'' OR type = ''message_updated'')')
WHERE type = 'table' AND name = 'conversation_events';

UPDATE sqlite_schema SET sql = replace(replace(sql,
    'CHECK (state IN (''open'', ''escalated'', ''closed''))',
    'CHECK (state = ''open'' OR state = ''escalated'' OR state = ''closed'')'),
    'CHECK (resolution IN (''resolved'', ''unresolved'', ''spam''))',
    'CHECK (resolution = ''resolved'' OR resolution = ''unresolved'' OR resolution = ''spam'')')
WHERE type = 'table' AND name = 'conversations';

UPDATE sqlite_schema SET sql = replace(replace(sql,
    'CHECK (reason IN (''slow_answer'', ''tab_hidden'', ''agent'', ''bot''))',
    'CHECK (reason = ''slow_answer'' OR reason = ''tab_hidden'' OR reason = ''agent'' OR reason = ''bot'')'),
    'CHECK (state IN (''shown'', ''declined'', ''accepted''))',
    'CHECK (state = ''shown'' OR state = ''declined'' OR state = ''accepted'')')
WHERE type = 'table' AND name = 'handoff_offers';

UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (author IN (''visitor'', ''bot'', ''agent'', ''system''))',
    'CHECK (author = ''visitor'' OR author = ''bot'' OR author = ''agent'' OR author = ''system'')')
WHERE type = 'table' AND name = 'messages';

UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN (''scheduled'', ''released'', ''canceled'', ''suppressed''))',
    'CHECK (state = ''scheduled'' OR state = ''released'' OR state = ''canceled'' OR state = ''suppressed'')')
WHERE type = 'table' AND name = 'outbound';

UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN (''pending'', ''sending'', ''done'', ''dead'', ''discarded''))',
    'CHECK (state = ''pending'' OR state = ''sending'' OR state = ''done'' OR state = ''dead'' OR state = ''discarded'')')
WHERE type = 'table' AND name = 'outbox';

UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN (''pending'', ''verified'', ''burned'', ''replaced''))',
    'CHECK (state = ''pending'' OR state = ''verified'' OR state = ''burned'' OR state = ''replaced'')')
WHERE type = 'table' AND name = 'verifications';

-- The roll-up's two triggers on a text's status (0027) test it the same way on every outbound
-- text and every status change of one.
UPDATE sqlite_schema SET sql = replace(sql,
    'NEW.status IN (''sent'', ''delivered'', ''undelivered'')',
    '(NEW.status = ''sent'' OR NEW.status = ''delivered'' OR NEW.status = ''undelivered'')')
WHERE type = 'trigger' AND name IN ('funnel_text_added', 'funnel_text_status');

PRAGMA writable_schema = RESET;
CREATE VIEW check_lists_rewritten AS SELECT 1;
DROP VIEW check_lists_rewritten;
