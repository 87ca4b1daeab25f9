-- The notifications outbox: one row per (event, sink), written in the same statement or transaction as
-- the state change that causes it, so a notification is exactly as durable as the change. A dispatcher in
-- each replica claims due rows with leases (FOR UPDATE SKIP LOCKED), sends, and records the outcome here.
CREATE TABLE notification_deliveries (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Order of writing: deliveries of one promotion to one sink are sent in this order.
  seq              bigserial NOT NULL UNIQUE,
  -- Shared by the rows of one event (one per sink) and sent with every attempt: receivers de-duplicate on it.
  event_id         text NOT NULL,
  event_type       text NOT NULL,
  sink             text NOT NULL,
  promotion_id     uuid NOT NULL REFERENCES promotions (id),
  -- What happened, as it was when it happened; the sink's body is rendered from it at send time.
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         int NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_owner      text,
  lease_expires_at timestamptz,
  last_status_code int,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- Since when it has been waiting to be delivered: the age limit and the oldest-undelivered gauge count
  -- from here; an admin's retry of a dead delivery starts it again (created_at stays as it was).
  due_since        timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  UNIQUE (event_id, sink)
);
-- The dispatcher's claim scans only undelivered rows by due time.
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_deliveries_by_promotion ON notification_deliveries (promotion_id, sink, seq);
