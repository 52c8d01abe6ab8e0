-- One card pre-authorisation per buyer per sale, started while the buyer waits in line.
-- AUTHORIZED holds money on the card until it is CAPTURED (the buyer paid) or VOIDED (lost,
-- expired, cancelled, or the sale ended): nobody keeps a hold for a unit they did not win.
CREATE TABLE payment_authorizations (
  sale_id           uuid NOT NULL REFERENCES flash_sales (sale_id),
  user_id           text NOT NULL,
  idempotency_key   text NOT NULL UNIQUE,
  payment_method_id text NOT NULL CHECK (length(payment_method_id) BETWEEN 1 AND 128),
  authorization_id  text NOT NULL UNIQUE,
  amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
  currency          char(3) NOT NULL,
  status            text NOT NULL CHECK (status IN ('AUTHORIZED', 'DECLINED', 'CAPTURED', 'VOIDED')),
  decline_reason    text,
  void_requested_at timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sale_id, user_id),
  CONSTRAINT declined_has_reason CHECK ((status = 'DECLINED') = (decline_reason IS NOT NULL))
);

-- The void sweep: open authorisations only.
CREATE INDEX payment_authorizations_open_idx ON payment_authorizations (sale_id) WHERE status = 'AUTHORIZED';
