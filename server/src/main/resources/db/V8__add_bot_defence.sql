-- Bot defence switches per sale: proof-of-work difficulty in leading zero bits (0 = off) and
-- whether joining needs a CAPTCHA token.
ALTER TABLE flash_sales
  ADD COLUMN pow_difficulty   integer NOT NULL DEFAULT 0 CHECK (pow_difficulty BETWEEN 0 AND 32),
  ADD COLUMN captcha_required boolean NOT NULL DEFAULT false;

-- Device fingerprints flagged for abuse, mirrored into each open sale's Redis set like accounts.
CREATE TABLE blacklisted_fingerprints (
  fingerprint text PRIMARY KEY CHECK (length(fingerprint) BETWEEN 1 AND 128),
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
