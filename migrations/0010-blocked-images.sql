-- Blocked images (issue 24): "never promote this again". A block names one image (a tag, or a digest that
-- blocks every reference carrying it), globally or within one namespace. Rows are never deleted: lifting a
-- block records who lifted it, when and why, so this table is the blocks' audit trail.
CREATE TABLE blocked_images (
  id            uuid PRIMARY KEY,
  -- Insertion order: the stable key for newest-first listing.
  seq           bigserial NOT NULL UNIQUE,
  -- The reference as the caller gave it, and its normalized form (registry and library path filled in).
  image         text NOT NULL,
  normalized    text NOT NULL,
  -- What the block matches by (domain/blocked-image.ts): the normalized repository, and the digest when the
  -- block names one, else the tag.
  repository    text NOT NULL,
  tag           text,
  digest        text,
  -- NULL: every namespace (global).
  namespace     text,
  reason        text NOT NULL,
  source        text NOT NULL CHECK (source IN ('manual', 'rollback')),
  -- The promotion whose failed check blocked the image (source rollback).
  promotion_id  uuid REFERENCES promotions (id),
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  lifted_at     timestamptz,
  lifted_by     text,
  lift_reason   text,
  CHECK ((tag IS NULL) <> (digest IS NULL)),
  CHECK ((source = 'rollback') = (promotion_id IS NOT NULL)),
  CHECK ((lifted_at IS NULL) = (lifted_by IS NULL) AND (lifted_at IS NULL) = (lift_reason IS NULL))
);

-- One active block per image and scope: a second one is answered 409 naming the first.
CREATE UNIQUE INDEX blocked_images_one_active ON blocked_images (normalized, coalesce(namespace, ''))
  WHERE lifted_at IS NULL;
-- A promotion blocks its image at most once, however often the engine repeats the step.
CREATE UNIQUE INDEX blocked_images_one_per_promotion ON blocked_images (promotion_id) WHERE promotion_id IS NOT NULL;
-- The refusal's look-up: active blocks of a repository.
CREATE INDEX blocked_images_active_repository ON blocked_images (repository) WHERE lifted_at IS NULL;
