-- Timeline steps with side effects (warm-up, countdown notifications), each done once across
-- all instances: an instance claims a step for a while, performs it, and marks it done; a
-- claim whose holder died runs out and the step is taken up again.
CREATE TABLE sale_timeline_steps (
  sale_id       uuid NOT NULL REFERENCES flash_sales (sale_id),
  step          text NOT NULL CHECK (step IN ('WARM_UP', 'NOTIFY_T60', 'NOTIFY_T5')),
  claimed_by    text NOT NULL,
  claimed_until timestamptz NOT NULL,
  done_at       timestamptz,
  outcome       text,
  PRIMARY KEY (sale_id, step)
);

-- Buyers who asked to hear when a sale is about to start.
CREATE TABLE sale_subscriptions (
  sale_id    uuid NOT NULL REFERENCES flash_sales (sale_id),
  user_id    text NOT NULL,
  email      text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sale_id, user_id)
);
