-- Several named Kubernetes clusters (issue 24). Numbered after 0012: 0011 rebuilds the one-active-per-target
-- index too, and this one must come last so that the index keeps the cluster. Its active states are those
-- of 0011 (`frozen` included; a state no row can hold yet is harmless in the predicate).
-- A promotion targets one cluster; rows from before clusters existed were all in the one cluster the
-- service had, which is named `default` when no clusters file is given. One active promotion per target
-- now means per cluster, namespace and Deployment: the same Deployment in two clusters may be promoted at once.
ALTER TABLE promotions ADD COLUMN cluster text NOT NULL DEFAULT 'default';

DROP INDEX promotions_one_active_per_target;
CREATE UNIQUE INDEX promotions_one_active_per_target ON promotions (cluster, namespace, deployment)
  WHERE state IN ('pending', 'analyzing', 'awaiting_approval', 'frozen', 'promoting', 'awaiting_merge', 'verifying', 'rolling_back');

-- Clusters an API token may act in; NULL means all (as `namespaces`).
ALTER TABLE api_tokens ADD COLUMN clusters jsonb;
