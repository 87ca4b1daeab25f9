#!/usr/bin/env bash
# The Dockerfile's runtime stage without Docker (no engine runs here): build, lay out the same files in a
# clean folder, `npm ci --omit=dev`, start `node services/promoter/dist/main.js` in production mode, and
# check that it answers. Fails loudly if a runtime dependency is only a dev dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

npm run build --silent
mkdir -p "$work/app"
cp package.json package-lock.json "$work/app/"
cp -r migrations openapi "$work/app/"
# Sources and build output of every workspace, without their node_modules.
tar --exclude=node_modules -cf - services packages | tar -xf - -C "$work/app"
# --ignore-scripts as in the Dockerfile: `prepare` builds with dev tools; dist/ was built above.
(cd "$work/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
if [ -d "$work/app/node_modules/typescript" ] || [ -d "$work/app/node_modules/vitest" ]; then
  echo "production install contains dev dependencies" >&2; exit 1
fi

port=18$((RANDOM % 900 + 100))
(cd "$work/app" && NODE_ENV=production PORT=$port HOST=127.0.0.1 PROMOTER_DATA_DIR="$work/data" \
  PROMOTER_API_TOKENS="smoke:viewer:smoke-secret-0123456789" LOG_LEVEL=warn \
  exec node services/promoter/dist/main.js > "$work/log" 2>&1) &
pid=$!
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/log"; echo "the production build exited" >&2; exit 1; }
  sleep 1
done
curl -sf "http://127.0.0.1:$port/readyz"; echo
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/promotions")
[ "$status" = 401 ] || { echo "expected 401 without a token, got $status" >&2; exit 1; }
curl -sf -H 'authorization: Bearer smoke-secret-0123456789' "http://127.0.0.1:$port/v1/promotions" > /dev/null
# The web console built by `npm run build` is served from the production layout too.
script=$(curl -sf "http://127.0.0.1:$port/ui/" | grep -o '/ui/assets/app-[A-Z0-9]*\.js') || { echo "the console's index.html is not served" >&2; exit 1; }
curl -sf -o /dev/null "http://127.0.0.1:$port$script" || { echo "the console's script $script is not served" >&2; exit 1; }
# The CLI as the image puts it on PATH: a link to the bin, run from elsewhere, against the service.
mkdir -p "$work/bin" && ln -s "$work/app/packages/cli/bin/promoter.js" "$work/bin/promoter"
# Read whole, then matched: `| grep -q` closes the pipe at the first match, and the CLI, like any Unix tool,
# then ends with 141 (a closed pipe), which pipefail would count as a failure.
help=$(cd "$work" && PATH="$work/bin:$PATH" promoter --help) || { echo "promoter --help failed in the production layout" >&2; exit 1; }
grep -q 'Usage: promoter <command>' <<<"$help" || { echo "promoter --help printed no usage: $help" >&2; exit 1; }
listed=$(cd "$work" && PATH="$work/bin:$PATH" PROMOTER_URL="http://127.0.0.1:$port" PROMOTER_TOKEN=smoke-secret-0123456789 promoter list --json) \
  || { echo "promoter list failed in the production layout: $listed" >&2; exit 1; }
echo "$listed" | grep -q '"items"' || { echo "promoter list --json printed no list: $listed" >&2; exit 1; }
kill -TERM "$pid"; wait "$pid" || { cat "$work/log"; echo "unclean shutdown" >&2; exit 1; }
pid=
echo "production smoke test passed: npm ci --omit=dev + node services/promoter/dist/main.js + promoter on PATH"
