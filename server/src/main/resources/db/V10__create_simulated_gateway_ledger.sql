-- The simulated payment gateway's own books, kept here so that every node of a demo cluster
-- answers from the same ledger: a card authorised through one node is captured or voided through
-- any other. A real gateway keeps these on its side; the engine's tables (payment_authorizations,
-- payments) never read these.

-- One card hold per authorisation request; idempotency_key replays the first answer to a retry.
CREATE TABLE simulated_gateway_authorizations (
  authorization_id  text PRIMARY KEY,
  idempotency_key   text NOT NULL UNIQUE,
  user_id           text NOT NULL,
  payment_method_id text NOT NULL,
  amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
  currency          text NOT NULL,
  state             text NOT NULL CHECK (state IN ('AUTHORIZED', 'DECLINED', 'CAPTURED', 'VOIDED')),
  -- Counted, not capped, so that a double capture would show rather than fail: tests assert it stays 0 or 1.
  captures          integer NOT NULL DEFAULT 0,
  -- Which engine process asked (pid@host): shows a cluster capturing holds other nodes took.
  authorized_by     text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT captured_has_capture CHECK ((state = 'CAPTURED') = (captures > 0))
);

-- Answers to capture requests, replayed by idempotency key: a retried capture gets the same capture id.
CREATE TABLE simulated_gateway_captures (
  idempotency_key  text PRIMARY KEY,
  authorization_id text NOT NULL,
  capture_id       text,
  decline_reason   text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT capture_or_decline CHECK ((capture_id IS NULL) <> (decline_reason IS NULL))
);

-- Forgetting settled holds after the retention period.
CREATE INDEX simulated_gateway_authorizations_settled_idx ON simulated_gateway_authorizations (created_at)
  WHERE state <> 'AUTHORIZED';
CREATE INDEX simulated_gateway_captures_created_idx ON simulated_gateway_captures (created_at);
