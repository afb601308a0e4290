-- 0010: caps on verification codes texted (SMS pumping). Each code request records who asked
-- (the client address) and where it goes (the number's country and, for +1, its area code), so
-- the caps per address per day, per destination per hour and overall per hour count rows through
-- an index, survive restarts and hold for every node on the database. Rows from before this
-- migration have none of them: they count only toward the per-number, per-session and overall caps.
ALTER TABLE verifications ADD COLUMN ip_address TEXT;
ALTER TABLE verifications ADD COLUMN region TEXT;     -- ISO 3166 alpha-2 of the number
ALTER TABLE verifications ADD COLUMN area_code TEXT;  -- "+1415": the NANP area code, else NULL
CREATE INDEX verifications_ip ON verifications (ip_address, created_at) WHERE ip_address IS NOT NULL;
CREATE INDEX verifications_region ON verifications (region, created_at) WHERE region IS NOT NULL;
CREATE INDEX verifications_area ON verifications (area_code, created_at) WHERE area_code IS NOT NULL;
CREATE INDEX verifications_created ON verifications (created_at);
