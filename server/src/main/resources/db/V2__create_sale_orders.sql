CREATE TABLE sale_orders (
  order_id          uuid PRIMARY KEY,
  sale_id           uuid NOT NULL REFERENCES flash_sales (sale_id),
  user_id           text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 128),
  quantity          integer NOT NULL CHECK (quantity > 0),
  status            text NOT NULL CHECK (status IN ('RESERVED', 'PAID', 'CANCELLED', 'EXPIRED')),
  amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
  currency          char(3) NOT NULL,
  reserved_at       timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz NOT NULL,
  paid_at           timestamptz,
  closed_at         timestamptz,
  payment_reference text,
  CONSTRAINT expires_after_reservation CHECK (expires_at > reserved_at),
  CONSTRAINT paid_iff_paid_at CHECK ((status = 'PAID') = (paid_at IS NOT NULL AND payment_reference IS NOT NULL)),
  CONSTRAINT closed_iff_released CHECK ((status IN ('CANCELLED', 'EXPIRED')) = (closed_at IS NOT NULL))
);

-- The hold-expiry scan: open holds by deadline, nothing else.
CREATE INDEX sale_orders_open_holds_idx ON sale_orders (expires_at) WHERE status = 'RESERVED';
-- "My orders" and per-sale reconciliation.
CREATE INDEX sale_orders_user_idx ON sale_orders (user_id, reserved_at DESC);
CREATE INDEX sale_orders_sale_status_idx ON sale_orders (sale_id, status);
