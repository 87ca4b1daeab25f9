-- Pipelines (issue 24): one release moving through environments in order. A pipeline's document is
-- versioned like a policy's; a run promotes one image through its stages, each stage an ordinary promotion.
-- The run keeps its stages in one jsonb column, written whole under the runner's lease (one row, one lease).
CREATE TABLE pipelines (
  name            text PRIMARY KEY,
  latest_version  integer NOT NULL,
  deleted_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipeline_versions (
  name        text NOT NULL REFERENCES pipelines (name),
  version     integer NOT NULL,
  document    jsonb NOT NULL,
  digest      text NOT NULL,
  -- The namespaces its stages promote into: who may see and run it (a token must cover them all).
  namespaces  jsonb NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

CREATE TABLE pipeline_runs (
  id                uuid PRIMARY KEY,
  pipeline          text NOT NULL,
  pipeline_version  integer NOT NULL,
  state             text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'aborted', 'superseded')),
  state_reason      text,
  image             text NOT NULL,
  reason            text,
  stages            jsonb NOT NULL,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  ended_at          timestamptz,
  -- An abort asked through the API ({actor, reason}); the runner carries it out.
  requested_abort   jsonb,
  next_run_at       timestamptz NOT NULL DEFAULT now(),
  lease_owner       text,
  lease_expires_at  timestamptz,
  FOREIGN KEY (pipeline, pipeline_version) REFERENCES pipeline_versions (name, version)
);

-- The runs of one pipeline are serial: at most one runs, enforced by the database itself.
CREATE UNIQUE INDEX pipeline_runs_one_running ON pipeline_runs (pipeline) WHERE state = 'running';
CREATE INDEX pipeline_runs_due ON pipeline_runs (next_run_at) WHERE state IN ('queued', 'running');
CREATE INDEX pipeline_runs_by_pipeline ON pipeline_runs (pipeline, created_at DESC);

-- A stage's promotion names its pipeline, run and stage ({pipeline, runId, stage}): the link both ways.
ALTER TABLE promotions ADD COLUMN pipeline jsonb;

-- What happened to a run, in order: the audit trail beside each stage's own promotion events.
CREATE TABLE pipeline_run_events (
  id          bigserial PRIMARY KEY,
  run_id      uuid NOT NULL REFERENCES pipeline_runs (id),
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  stage       text,
  message     text NOT NULL
);
CREATE INDEX pipeline_run_events_by_run ON pipeline_run_events (run_id, id);
