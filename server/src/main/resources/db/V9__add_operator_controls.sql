-- Operator controls of a running sale. The database is the record (Redis' copy is rebuilt from
-- it after an outage); every control leaves a row in operator_actions: who, when, what.
ALTER TABLE flash_sales ADD COLUMN admission_paused boolean NOT NULL DEFAULT false;

CREATE TABLE operator_actions (
  action_id  bigserial PRIMARY KEY,
  sale_id    uuid NOT NULL REFERENCES flash_sales (sale_id),
  actor      text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  action     text NOT NULL CHECK (action IN ('PAUSE', 'RESUME', 'SET_RATE', 'END_EARLY', 'EXPORT')),
  detail     jsonb NOT NULL DEFAULT '{}'::jsonb,
  acted_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX operator_actions_sale_idx ON operator_actions (sale_id, acted_at);
