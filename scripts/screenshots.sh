#!/usr/bin/env bash
# Screenshots of the main pages over the demo company, as the README shows
# them. Needs a built binary (cargo build --release), Debian's chromium and
# chromium-driver (scripts/chromium.sh), curl and jq.
#
#   scripts/screenshots.sh [OUT_DIR]        # default docs/screenshots
set -euo pipefail

out=${1:-docs/screenshots}
baton=${BATON:-target/release/baton}
port=${PORT:-7979}
driver_port=${DRIVER_PORT:-9616}
base="http://127.0.0.1:$port"
driver="http://127.0.0.1:$driver_port"

data=$(mktemp -d)
cleanup() {
    kill "${server:-}" "${chromedriver:-}" 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT

mkdir -p "$out"
"$baton" --data-dir "$data" demo >/dev/null
"$baton" --data-dir "$data" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
"${CHROMEDRIVER:-chromedriver}" --port="$driver_port" >/dev/null 2>&1 &
chromedriver=$!
for _ in $(seq 50); do
    curl -sf "$base/healthz" >/dev/null && curl -sf "$driver/status" >/dev/null && break
    sleep 0.2
done

session=$(curl -sf -X POST "$driver/session" -H 'content-type: application/json' -d '{
  "capabilities": {"alwaysMatch": {"goog:chromeOptions": {
    "binary": "'"${CHROMIUM:-/usr/bin/chromium}"'",
    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--window-size=1280,1000", "--hide-scrollbars"]}}}}' | jq -r .value.sessionId)

# One WebDriver command: METHOD PATH [JSON].
webdriver() {
    curl -sf -X "$1" "$driver/session/$session$2" -H 'content-type: application/json' \
        ${3:+-d "$3"}
}
element() {
    webdriver POST /element '{"using": "css selector", "value": "'"$1"'"}' | jq -r '.value | to_entries[0].value'
}
visit() {
    webdriver POST /url '{"url": "'"$base$1"'"}' >/dev/null
}
shoot() {
    visit "$2"
    webdriver GET /screenshot | jq -r .value | base64 -d > "$out/$1.png"
    echo "$out/$1.png  ← $2"
}

# Signs in as EMAIL, signing out whoever was signed in.
sign_in() {
    webdriver DELETE /cookie >/dev/null
    visit /sign-in
    webdriver POST "/element/$(element '#email')/value" '{"text": "'"$1"'"}' >/dev/null
    webdriver POST "/element/$(element '#password')/value" '{"text": "demo-password"}' >/dev/null
    webdriver POST "/element/$(element 'main form button')/click" '{}' >/dev/null
}
sign_in owner@demo.baton.example

# A processed inquiry and its lead, found through the API.
token=$("$baton" --data-dir "$data" token add --email owner@demo.baton.example --name screenshots | tail -n 1)
inquiry=$(curl -sf -H "authorization: Bearer $token" "$base/api/v1/inquiries?status=processed&limit=50" |
    jq -r '[.items[] | select(.lead_id != null)][-1]')
shoot dashboard /dashboard
shoot opportunities-board /opportunities/board
shoot accounts "/accounts?sort=revenue_won&dir=desc"
shoot inquiry "/inquiries/$(jq -r .id <<<"$inquiry")"
shoot lead "/leads/$(jq -r .lead_id <<<"$inquiry")"
shoot queues /queues
shoot moderation /moderation
shoot charter /charter
shoot forecast-accuracy /reports/forecast-accuracy
shoot activity-vs-revenue /reports/activity
campaign=$(curl -sf -H "authorization: Bearer $token" "$base/api/v1/campaigns?limit=1" | jq -r '.items[0].id')
shoot campaign "/campaigns/$campaign"
# My work as a qualifier, whose queue has work waiting.
sign_in qualifier1@demo.baton.example
shoot work /work
webdriver DELETE "" >/dev/null
