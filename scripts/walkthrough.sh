#!/usr/bin/env bash
# The README's walk through the seed-001 token lifecycle, with curl:
# register → login → me → refresh → logout → me (401).
# Usage: scripts/walkthrough.sh [base-url]   (default http://127.0.0.1:8080)
set -euo pipefail
BASE=${1:-http://127.0.0.1:8080}
API=$BASE/api/public/auth
USER=walker$RANDOM
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=process.argv[1].split(".").reduce((o,k)=>o?.[k],JSON.parse(s));console.log(v??"")})' "$1"; }
step() { printf '%-10s %s\n' "$1" "$2"; }
for _ in $(seq 60); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.5; done

code=$(curl -s -o /tmp/tessera-walk.json -w '%{http_code}' -X POST "$API/register" -H 'content-type: application/json' \
  -d "{\"username\":\"$USER\",\"email\":\"$USER@example.com\",\"password\":\"correct horse battery\"}")
step register "$code"; [ "$code" = 201 ]

curl -s -X POST "$API/login" -H 'content-type: application/json' \
  -d "{\"username\":\"$USER\",\"password\":\"correct horse battery\"}" > /tmp/tessera-walk.json
ACCESS=$(json data.access_token < /tmp/tessera-walk.json); REFRESH=$(json data.refresh_token < /tmp/tessera-walk.json)
step login "$( [ -n "$ACCESS" ] && echo 200 || echo FAIL)"; [ -n "$ACCESS" ]

code=$(curl -s -o /tmp/tessera-walk.json -w '%{http_code}' "$API/me" -H "authorization: Bearer $ACCESS")
step me "$code $(json data.username < /tmp/tessera-walk.json)"; [ "$code" = 200 ]

curl -s -X POST "$API/refresh" -H 'content-type: application/json' -d "{\"refresh_token\":\"$REFRESH\"}" > /tmp/tessera-walk.json
ACCESS=$(json data.access_token < /tmp/tessera-walk.json)
step refresh "$( [ -n "$ACCESS" ] && echo 200 || echo FAIL)"; [ -n "$ACCESS" ]

code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/logout" -H "authorization: Bearer $ACCESS")
step logout "$code"; [ "$code" = 200 ]

code=$(curl -s -o /tmp/tessera-walk.json -w '%{http_code}' "$API/me" -H "authorization: Bearer $ACCESS")
step me "$code $(json error < /tmp/tessera-walk.json)"; [ "$code" = 401 ]
echo "walk ok"
