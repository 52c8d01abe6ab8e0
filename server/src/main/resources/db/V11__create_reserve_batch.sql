-- Group commit of reservations: one statement, so one round trip and one commit for a whole
-- batch of buyers whose units Redis already took (direct purchases and admission steps).
-- All or nothing: if any buyer would pass the per-buyer limit, or the batch does not fit in
-- the sale (sold out, not open at this transaction's time), it raises and nothing is written;
-- the engine then settles the batch buyer by buyer.
-- The sale's hot row is locked last, so it is held only from its update to the commit.
CREATE FUNCTION reserve_batch(p_sale_id uuid, p_order_ids uuid[], p_user_ids text[], p_quantities integer[],
                              p_per_user_limit integer)
RETURNS SETOF sale_orders
LANGUAGE plpgsql AS $$
DECLARE
  v_buyers integer;
  v_accepted integer;
  v_total integer;
BEGIN
  SELECT count(DISTINCT u), coalesce(sum(q), 0) INTO v_buyers, v_total
    FROM unnest(p_user_ids, p_quantities) AS b(u, q);

  -- A buyer named twice counts with the sum of their units; rows are locked in user order, so
  -- two batches naming the same buyers cannot deadlock.
  WITH counted AS (
    INSERT INTO user_sale_eligibility AS e (user_id, sale_id, quantity_purchased)
    SELECT b.u, p_sale_id, sum(b.q) FROM unnest(p_user_ids, p_quantities) AS b(u, q)
     GROUP BY b.u ORDER BY b.u
    ON CONFLICT (user_id, sale_id) DO UPDATE
       SET quantity_purchased = e.quantity_purchased + EXCLUDED.quantity_purchased, updated_at = now()
     WHERE e.quantity_purchased + EXCLUDED.quantity_purchased <= p_per_user_limit
    RETURNING 1)
  SELECT count(*) INTO v_accepted FROM counted;
  IF v_accepted <> v_buyers THEN
    RAISE EXCEPTION 'a buyer of the batch would pass the limit of % per buyer', p_per_user_limit
      USING ERRCODE = 'P0001';
  END IF;

  RETURN QUERY
    INSERT INTO sale_orders (order_id, sale_id, user_id, quantity, status, amount_cents, currency, reserved_at,
                             expires_at)
    SELECT b.o, s.sale_id, b.u, b.q, 'RESERVED', s.price_cents * b.q, s.currency, now(),
           now() + make_interval(secs => s.checkout_ttl_seconds)
      FROM unnest(p_order_ids, p_user_ids, p_quantities) AS b(o, u, q)
      JOIN flash_sales s ON s.sale_id = p_sale_id
    RETURNING *;

  -- The guard of SaleRepository.addSold, for the batch's total.
  UPDATE flash_sales
     SET quantity_sold = quantity_sold + v_total,
         status = CASE WHEN quantity_sold + v_total = quantity_available THEN 'SOLD_OUT' ELSE 'ACTIVE' END,
         updated_at = now()
   WHERE sale_id = p_sale_id
     AND status <> 'ENDED' AND start_time <= now() AND end_time > now()
     AND quantity_sold + v_total <= quantity_available;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the batch of % unit(s) does not fit in sale %', v_total, p_sale_id USING ERRCODE = 'P0001';
  END IF;
END;
$$;
