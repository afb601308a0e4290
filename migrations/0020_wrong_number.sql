-- 0020: "wrong number" asks before it acts (issue 19). When a texter says the number is not the
-- contact's ("who is this?"), we ask once for a WRONG to confirm; only that confirmation
-- suppresses the number and unlinks it from the contact. This is when we asked.

ALTER TABLE contacts ADD COLUMN wrong_number_asked_at INTEGER; -- Unix milliseconds
