-- Newest-first pages of GET /v1/promotions for two filter combinations that 0001's indexes do not cover:
-- `deployment` without `namespace` (promotions_by_target leads with namespace) and `namespace` with `state`
-- (PostgreSQL combined two indexes and sorted every match). Without these, the time of those pages grows
-- with the table (bench/benchmarks/list.ts: 10x the rows, about 10x the time); with them a page reads
-- about `limit` index entries whatever the size.
CREATE INDEX promotions_by_deployment ON promotions (deployment, seq DESC);
CREATE INDEX promotions_by_namespace_state ON promotions (namespace, state, seq DESC);
