# syntax=docker/dockerfile:1
#
# The promoter service image. Build from the repository root:
#   docker build -t registry.example.com/promoter/promoter:0.1.0 .
# Pin the base image by digest for reproducible builds, e.g.
#   --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:24-bookworm-slim

# 1. Build: all dependencies (dev included) from the lockfile, then TypeScript -> JavaScript for every
#    workspace. The dev dependencies are thrown away afterwards; only sources and build output go on.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
RUN npm run build \
 && find . -name node_modules -type d -prune -exec rm -rf {} +

# 2. Runtime: the repository layout the service expects (migrations/ and openapi/ beside services/),
#    production dependencies only, everything owned by root and read-only to the process, which runs
#    as an unprivileged user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    PROMOTER_DATA_DIR=/var/lib/promoter \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# git (and ssh for ssh:// repositories) for GitOps delivery: the service runs the real git binary, which
# must be 2.32 or newer (bookworm ships 2.39). ca-certificates for https remotes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/services ./services
COPY --from=build /app/packages ./packages
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/openapi ./openapi
# --ignore-scripts: `prepare` builds the workspaces with dev tools; dist/ comes from the build stage.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && ln -s /app/packages/cli/bin/promoter.js /usr/local/bin/promoter \
 && mkdir -p /var/lib/promoter \
 && chown 1000:1000 /var/lib/promoter
# The `promoter` CLI is on PATH (its default --url is this service, for `kubectl exec`; CI jobs may run in
# this image). Node follows the link, so the bin loads packages/cli/dist and its dependencies from /app.
# Only the embedded-database dev mode writes to /var/lib/promoter; with DATABASE_URL only /tmp is written.
# The `node` user of the official image, given by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs as PID 1; the service installs its own SIGTERM/SIGINT handlers for a graceful shutdown.
CMD ["node", "services/promoter/dist/main.js"]
