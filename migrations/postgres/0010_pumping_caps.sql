-- 0010 (PostgreSQL): caps on verification codes texted (SMS pumping), as
-- migrations/0010_pumping_caps.sql: counted through indexes, so they hold for every node.
ALTER TABLE verifications ADD COLUMN ip_address TEXT;
ALTER TABLE verifications ADD COLUMN region TEXT;     -- ISO 3166 alpha-2 of the number
ALTER TABLE verifications ADD COLUMN area_code TEXT;  -- "+1415": the NANP area code, else NULL
CREATE INDEX verifications_ip ON verifications (ip_address, created_at) WHERE ip_address IS NOT NULL;
CREATE INDEX verifications_region ON verifications (region, created_at) WHERE region IS NOT NULL;
CREATE INDEX verifications_area ON verifications (area_code, created_at) WHERE area_code IS NOT NULL;
CREATE INDEX verifications_created ON verifications (created_at);
