-- Accounts flagged for abuse. Copied into each open sale's Redis set at creation and
-- warm-up, so the join path checks them in O(1) without touching the database.
CREATE TABLE blacklisted_accounts (
  user_id    text PRIMARY KEY CHECK (length(user_id) BETWEEN 1 AND 128),
  reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
