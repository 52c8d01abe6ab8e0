-- At most one capture per order: the primary key is what makes a retried checkout harmless
-- even if the gateway's own idempotency were to fail.
CREATE TABLE payments (
  order_id         uuid PRIMARY KEY REFERENCES sale_orders (order_id),
  authorization_id text NOT NULL,
  capture_id       text NOT NULL UNIQUE,
  amount_cents     bigint NOT NULL CHECK (amount_cents >= 0),
  currency         char(3) NOT NULL,
  captured_at      timestamptz NOT NULL DEFAULT now()
);
