-- Newest-first pages of GET /v1/promotions filtered by `deployment` and `state` (with or without
-- `namespace`). 0001's promotions_by_target serves the target but not the state, so PostgreSQL read and
-- sorted the target's whole history to fill one page (bench/benchmarks/list.ts: 0.03 ms at 10k rows,
-- 0.47 ms at 100k). With this index such a page reads about `limit` index entries whatever the size.
-- A migration of its own: 0003 has been applied by running databases, and its checksum must not change.
CREATE INDEX promotions_by_deployment_state ON promotions (deployment, state, seq DESC);
