-- Who did it (issue 25): besides the `actor` text (the display name, kept for compatibility and for rows
-- written before identities existed), the identity of the person, workload or token that acted:
-- {kind, key, subject, issuer?, displayName}. NULL for the engine's own events and for older rows.
ALTER TABLE promotions ADD COLUMN actor_identity jsonb;
ALTER TABLE promotion_events ADD COLUMN actor_identity jsonb;

-- The approvals a promotion's manual gate collected. `round` is the id of the event that put the promotion
-- in awaiting_approval: a promotion that waits again (after a freeze) starts a new round, and only the
-- current round's approvals count. One approval per identity per round (the unique index), so two
-- approvals by the same identity never count twice even when they race.
CREATE TABLE promotion_approvals (
  id             bigserial PRIMARY KEY,
  promotion_id   uuid NOT NULL REFERENCES promotions (id),
  round          bigint NOT NULL,
  identity_key   text NOT NULL,
  identity       jsonb NOT NULL,
  actor          text NOT NULL,
  role           text NOT NULL,
  reason         text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX promotion_approvals_once_per_round ON promotion_approvals (promotion_id, round, identity_key);
