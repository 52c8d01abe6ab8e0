CREATE TABLE flash_sales (
  sale_id                   uuid PRIMARY KEY,
  product_id                text NOT NULL CHECK (length(product_id) BETWEEN 1 AND 100),
  product_name              text NOT NULL CHECK (length(product_name) BETWEEN 1 AND 200),
  quantity_available        integer NOT NULL CHECK (quantity_available > 0),
  quantity_sold             integer NOT NULL DEFAULT 0,
  price_cents               bigint NOT NULL CHECK (price_cents >= 0),
  currency                  char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  start_time                timestamptz NOT NULL,
  end_time                  timestamptz NOT NULL,
  status                    text NOT NULL DEFAULT 'SCHEDULED'
                            CHECK (status IN ('SCHEDULED', 'ACTIVE', 'SOLD_OUT', 'ENDED')),
  per_user_limit            integer NOT NULL DEFAULT 1 CHECK (per_user_limit > 0),
  admission_rate_per_second integer NOT NULL DEFAULT 500 CHECK (admission_rate_per_second > 0),
  checkout_ttl_seconds      integer NOT NULL DEFAULT 600 CHECK (checkout_ttl_seconds > 0),
  waiting_room              boolean NOT NULL DEFAULT false,
  queue_policy              text NOT NULL DEFAULT 'RANDOMIZED_PREQUEUE'
                            CHECK (queue_policy IN ('RANDOMIZED_PREQUEUE', 'FIFO')),
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  -- Layer 2 of the oversell defence: no transaction can commit more than the stock.
  CONSTRAINT quantity_sold_within_stock CHECK (quantity_sold BETWEEN 0 AND quantity_available),
  CONSTRAINT ends_after_start CHECK (end_time > start_time),
  CONSTRAINT sold_out_means_no_stock_left CHECK (status <> 'SOLD_OUT' OR quantity_sold = quantity_available)
);

-- The lifecycle scheduler looks for sales due to start or end.
CREATE INDEX flash_sales_due_idx ON flash_sales (status, start_time, end_time)
  WHERE status <> 'ENDED';
