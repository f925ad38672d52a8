#!/usr/bin/env bash
# The demo: installs what is missing, builds, then syncs the bundled sample school (320 pupils,
# autumn term 2024) into a local sandbox LA portal and CPOMS over HTTPS and prints what was
# delivered.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/build.sh
build=${BUILD_DIR:-build}
bin="$root/$build"
demo="$bin/demo"
rm -rf "$demo" && mkdir -p "$demo"

echo "== 1. The sample school's SIMS export (generated, the same every time), and the spring term's first three daily exports"
mkdir -p "$demo/sims-drop" "$demo/daily"
"$bin/tests/sandbox/markbridge-sample-school" "$root/schedules/calendars/demo-academy-2024-25.json" \
  "$demo/sims-drop/sims-export-autumn-2024.csv" "$demo/daily"

echo "== 2. A sandbox LA portal and CPOMS on 127.0.0.1 (HTTPS, development certificates from certs/)"
"$bin/tests/sandbox/markbridge-sandbox" --cert "$bin/certs/server.pem" --key "$bin/certs/server.key" \
  --la-token demo-la-token --cpoms-key demo-cpoms-key --port-file "$demo/sandbox.port" >"$demo/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$demo/sandbox.port" ] && break; sleep 0.1; done
port=$(cat "$demo/sandbox.port")
echo "sandbox listening on https://127.0.0.1:$port"

# The demo config is docs/examples/demo.json with the sandbox's port filled in.
sed -e "s#@SANDBOX_URL@#https://127.0.0.1:$port#" -e "s#@CERTS@#$bin/certs#" \
    -e "s#@CALENDARS@#$root/schedules/calendars#" "$root/docs/examples/demo.json" >"$demo/markbridge.json"
export MB_LA_TOKEN=demo-la-token MB_CPOMS_KEY=demo-cpoms-key

echo "== 3. markbridge check"
"$bin/core/app/markbridge" check --config "$demo/markbridge.json"
echo "== 4. markbridge sync: import, evaluate the statutory rules, deliver"
"$bin/core/app/markbridge" sync --config "$demo/markbridge.json"
echo "== 4a. Three more syncs, each with the next day's export dropped in: one pupil is no longer in them"
for daily in "$demo"/daily/*.csv; do
  sleep 1  # the syncs are told apart by the second they ran in
  mv "$daily" "$demo/sims-drop/"
  "$bin/core/app/markbridge" sync --config "$demo/markbridge.json"
done
echo "== 5. markbridge status"
"$bin/core/app/markbridge" status --config "$demo/markbridge.json"
echo "== 6. What the sandbox LA portal received"
grep -E "^LA portal received" "$demo/sandbox.log" || echo "(nothing)"
echo "== 7. What the sandbox CPOMS received"
grep -oE "CPOMS received incident" "$demo/sandbox.log" | wc -l | sed 's/$/ incidents (concerns, and one per task or note)/'
grep -oE "CPOMS received action" "$demo/sandbox.log" | wc -l | sed 's/$/ actions (tasks: assignee role, due date)/'
echo "== 8. markbridge outbox: deliveries per sink"
"$bin/core/app/markbridge" outbox --config "$demo/markbridge.json" --state dead
