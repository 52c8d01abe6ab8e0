-- One row per buyer per sale: the atomic per-user limit. The limit itself lives on the sale
-- and is enforced by the upsert in the reservation transaction.
CREATE TABLE user_sale_eligibility (
  user_id            text NOT NULL,
  sale_id            uuid NOT NULL REFERENCES flash_sales (sale_id),
  quantity_purchased integer NOT NULL CHECK (quantity_purchased >= 0),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, sale_id)
);
