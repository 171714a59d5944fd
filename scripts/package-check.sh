#!/usr/bin/env bash
# The packaging checked on a machine without an image registry (decision 0021):
#  1. lints what cannot be built here: the Dockerfile (hadolint, when installed), the compose file
#     (docker compose / docker-compose config, when installed), the systemd unit (systemd-analyze
#     verify, when present; any warning fails), the nginx config (nginx -t, when installed);
#  2. does in a temp dir what the Dockerfile's stages do: npm ci, npm run build, npm prune
#     --omit=dev; then starts dist/main.js as an unprivileged user with NODE_ENV=production,
#     a master key file and a data directory, checks /healthz and X-Request-Id, and stops it with
#     SIGTERM (exit 0 expected).
# Usage: scripts/package-check.sh [--lint-only]. Exit 0 = every available check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
say() { printf 'package-check: %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }

# ── 1. lint ──
if command -v hadolint >/dev/null; then
  hadolint Dockerfile || fail 'hadolint Dockerfile'
  say 'Dockerfile: hadolint ok'
else
  # Without hadolint: the rules this Dockerfile promises, checked by hand.
  grep -q '^FROM node:20-bookworm-slim AS build$' Dockerfile || fail 'Dockerfile: no build stage'
  [ "$(grep -c '^FROM ' Dockerfile)" -ge 2 ] || fail 'Dockerfile: not multi-stage'
  grep -q '^USER tessera' Dockerfile || fail 'Dockerfile: does not drop root'
  grep -q 'npm prune --omit=dev' Dockerfile || fail 'Dockerfile: dev dependencies not pruned'
  grep -q '^HEALTHCHECK' Dockerfile && grep -q '/healthz' Dockerfile || fail 'Dockerfile: no HEALTHCHECK on /healthz'
  grep -q '^VOLUME' Dockerfile || fail 'Dockerfile: no data volume'
  say 'Dockerfile: hadolint not installed; structure checked'
fi
export POSTGRES_PASSWORD=package-check TESSERA_METRICS_TOKEN=package-check-metrics-token
if docker compose version >/dev/null 2>&1; then
  docker compose -f deploy/compose.yaml config -q || fail 'docker compose config'
  say 'compose: docker compose config ok'
elif command -v docker-compose >/dev/null; then
  docker-compose -f deploy/compose.yaml config -q || fail 'docker-compose config'
  say 'compose: docker-compose config ok'
else
  say 'compose: no docker compose here; not linted'
fi
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify deploy/tessera.service 2>&1 || true)
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
  say 'systemd unit: systemd-analyze verify ok'
else
  say 'systemd unit: no systemd-analyze here; not verified'
fi
if command -v nginx >/dev/null; then
  ng=$(mktemp -d)
  # The upstream names exist only in the compose network: loopback stands in for them here.
  sed 's/server tessera[12]:8080/server 127.0.0.1:8080/' deploy/nginx.conf >"$ng/site.conf"
  printf 'pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  include %s/site.conf;\n}\n' "$ng" "$ng" >"$ng/nginx.conf"
  nginx -t -q -c "$ng/nginx.conf" -p "$ng/" || fail 'nginx -t'
  rm -rf "$ng"
  say 'nginx config: nginx -t ok'
else
  say 'nginx config: no nginx here; not tested'
fi
[ "${1:-}" = --lint-only ] && exit 0

# ── 2. the Dockerfile's steps, in a temp dir ──
work=$(mktemp -d /tmp/tessera-package.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"
# What the build stage copies (the .dockerignore keeps the rest out).
cp package.json package-lock.json tsconfig.json tsconfig.build.json "$work/"
cp -r bin src "$work/"
cd "$work"
say "npm ci in $work"
npm ci --no-audit --no-fund >npm-ci.log 2>&1 || { tail -30 npm-ci.log; fail 'npm ci'; }
if grep -q EBADENGINE npm-ci.log; then grep -A5 EBADENGINE npm-ci.log; fail 'npm ci warned EBADENGINE'; fi
npm run build >/dev/null || fail 'npm run build'
npm prune --omit=dev --no-audit --no-fund >/dev/null || fail 'npm prune --omit=dev'
[ ! -d node_modules/vitest ] || fail 'dev dependencies left after prune'
say 'built and pruned'
# The run stage holds what the Dockerfile copies into it, and nothing else.
mkdir -p run/src/passwords
cp -r package.json node_modules dist bin run/
cp src/passwords/common-passwords.txt run/src/passwords/
grep -q 'common-passwords.txt ./src/passwords/' "$root/Dockerfile" || fail 'Dockerfile: run stage lacks the common-password list'
cd run

# The run stage: an unprivileged user, a data directory of its own, production settings.
user=nobody
run_as=()
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || fail 'setpriv missing (util-linux)'
  run_as=(setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups --)
else
  say "not root: the server runs as $(id -un)"
fi
mkdir -p data
run=$PWD
head -c 32 /dev/urandom | base64 >master_key
if [ "$(id -u)" = 0 ]; then chown "$user" data master_key; fi
chmod 0700 data
chmod 0400 master_key
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
NODE_ENV=production TESSERA_HOST=127.0.0.1 TESSERA_PORT="$port" TESSERA_DATA_DIR="$run/data" \
  TESSERA_MASTER_KEY_FILE="$run/master_key" TESSERA_TRUST_PROXY=127.0.0.1 TESSERA_LOG_FORMAT=json \
  "${run_as[@]}" node dist/main.js >server.log 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat server.log; fail 'the server stopped at start'; }
  sleep 0.2
done
headers=$(curl -fsS -D - -o /dev/null "http://127.0.0.1:$port/healthz") || { cat server.log; fail '/healthz'; }
grep -qi '^x-request-id: ' <<<"$headers" || fail 'no X-Request-Id on /healthz'
owner=$(ps -o user= -p "$pid" | tr -d ' ')
[ "$(id -u)" != 0 ] || [ "$owner" = "$user" ] || fail "the server runs as $owner, not $user"
[ -n "$(ls data)" ] || fail 'nothing written in the data directory'
head -1 server.log | node -e 'JSON.parse(require("fs").readFileSync(0,"utf8"))' || fail 'log lines are not JSON'
say "dist/main.js answered /healthz as $owner on port $port"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || { cat server.log; fail "exit $rc after SIGTERM"; }
say 'stopped cleanly on SIGTERM; all checks passed'
cd "$root"
