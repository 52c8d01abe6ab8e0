-- How many Redis hash slots a sale's waiting line is spread over (waitingroom.line-shards when
-- the sale was created, or the create request's lineShards). Fixed for the sale's life: a buyer's
-- shard is derived from it, so changing it would lose every ticket already handed out.
ALTER TABLE flash_sales
  ADD COLUMN line_shards INTEGER NOT NULL DEFAULT 1 CHECK (line_shards BETWEEN 1 AND 64);
