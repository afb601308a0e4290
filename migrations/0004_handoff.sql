-- 0004: the handoff. Phone verifications (double opt-in codes, stored hashed) and the consent
-- ledger: append-only proof of every opt-in and opt-out, enforced by triggers.

CREATE TABLE verifications (
    id          TEXT    PRIMARY KEY,
    session_id  TEXT    NOT NULL REFERENCES sessions (id),
    phone_e164  TEXT    NOT NULL,
    program     TEXT    NOT NULL,
    code_hash   BLOB    NOT NULL,          -- SHA-256 of id + code; the code itself is never stored
    attempts    INTEGER NOT NULL DEFAULT 0,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'verified', 'burned', 'replaced')),
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX verifications_session ON verifications (session_id, created_at);
CREATE INDEX verifications_phone ON verifications (phone_e164, created_at);

CREATE TABLE consents (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    phone_e164          TEXT    NOT NULL,
    contact_id          TEXT,
    program             TEXT    NOT NULL,
    event               TEXT    NOT NULL CHECK (event IN ('opt_in_requested', 'opt_in_confirmed', 'opt_out', 'opt_in_again')),
    method              TEXT    NOT NULL,  -- web_code, sms_yes, sms_keyword, web, api, gateway_error_21610
    session_id          TEXT,
    ip_address          TEXT,
    user_agent          TEXT,
    page_url            TEXT,
    locale              TEXT,
    disclosure_text     TEXT,
    disclosure_version  TEXT,              -- SHA-256 of the disclosure text, hex
    created_at          INTEGER NOT NULL
);
CREATE INDEX consents_phone ON consents (phone_e164, seq);

CREATE TRIGGER consents_are_append_only_update BEFORE UPDATE ON consents
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
CREATE TRIGGER consents_are_append_only_delete BEFORE DELETE ON consents
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
