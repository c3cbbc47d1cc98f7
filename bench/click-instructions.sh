#!/usr/bin/env bash
# click-instructions.sh - instructions per recorded click (callgrind), repeatable on a
# shared machine where wall time is not (docs/benchmarks.md, "sub-ID rollup").
#
#   bash bench/click-instructions.sh BIN MODE [N]
#
# MODE: server-same  - `afftrack serve` on a demo store, N keep-alive clicks on
#                      /r/alice?sub1=a&sub2=b from 64 connections (one sub1 for all)
#       server-uniq  - the same with a different sub1 on every click (the long tail)
#       server-conv  - N conversions POSTed to /v1/conversions from 64 connections, each
#                      naming a stored demo click, "per click" = per conversion
#       server-postback - the same through GET /postback with the program's token (B2's request)
#       generate     - `afftrack generate` (the writer's code, no HTTP) over 3 days
# Each mode runs twice, with N/11 and N clicks; the difference over the 10/11 N extra
# clicks cancels start-up. Prints one line: MODE, instructions per click, both totals.
set -euo pipefail
BIN=$(readlink -f "$1")
MODE=$2
N=${3:-22000}
SMALL=$((N / 11))
TMP=$(mktemp -d /tmp/afftrack-ci.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
KEY=ci_admin_key_0123456789abcdef

total_ir() { # callgrind output file -> total instructions
    awk '/^summary:/ {print $2}' "$1"
}

load() { # port clicks uniq
    node -e '
const http = require("http");
const [port, n, uniq] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3] === "1"];
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let sent = 0, done = 0, bad = 0;
const ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";
function one() {
  if (sent >= n) return;
  const i = sent++;
  const sub1 = uniq ? `u${i}` : "a";
  http.get({ port, host: "127.0.0.1", agent, path: `/r/alice?sub1=${sub1}&sub2=b`,
    headers: { "user-agent": ua, referer: "https://blog.example.com/review" } }, (res) => {
    if (res.statusCode !== 302) bad++;
    res.resume();
    res.on("end", () => { done++; if (done === n) { agent.destroy(); if (bad) { console.error(bad + " not 302"); process.exit(1); } } else one(); });
  }).on("error", (e) => { console.error(e.message); process.exit(1); });
}
for (let k = 0; k < 64; k++) one();
' "$1" "$2" "$3"
}

convload() { # port conversions
    node -e '
const http = require("http");
const [port, n, key, mode] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3], process.argv[4]];
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const auth = { authorization: "Bearer " + key };
http.get({ port, host: "127.0.0.1", path: "/v1/clicks?limit=500", headers: auth }, (res) => {
  let body = ""; res.on("data", (d) => body += d);
  res.on("end", () => {
    const ids = JSON.parse(body).data.map((c) => c.click_id);
    if (ids.length === 0) { console.error("no stored clicks"); process.exit(1); }
    http.get({ port, host: "127.0.0.1", path: "/v1/programs/1", headers: auth }, (pr) => {
    let pbody = ""; pr.on("data", (d) => pbody += d);
    pr.on("end", () => {
    const token = JSON.parse(pbody).postback_token;
    let sent = 0, done = 0, bad = 0;
    function one() {
      if (sent >= n) return;
      const i = sent++;
      const order = `ci-${n}-${i}`, click = ids[i % ids.length];
      const req = mode === "postback"
        ? http.request({ port, host: "127.0.0.1", agent, method: "GET",
            path: `/postback?token=${token}&order_id=${order}&amount=10.00&coupon=ALICE10&click_id=${click}` }, onres)
        : http.request({ port, host: "127.0.0.1", agent, method: "POST", path: "/v1/conversions",
            headers: { ...auth, "content-type": "application/json" } }, onres);
      function onres(r) {
        if (r.statusCode !== 201) bad++;
        r.resume();
        r.on("end", () => { done++; if (done === n) { agent.destroy(); if (bad) { console.error(bad + " not 201"); process.exit(1); } } else one(); });
      }
      req.on("error", (e) => { console.error(e.message); process.exit(1); });
      req.end(mode === "postback" ? undefined
        : JSON.stringify({ program_id: 1, order_id: order, amount: "10.00", coupon: "ALICE10", click_id: click }));
    }
    for (let k = 0; k < 64; k++) one();
    });
    });
  });
});
' "$1" "$2" "$(cat "$3/admin.key")" "$4"
}

run_server() { # clicks uniq -> total instructions
    local dir=$TMP/s$1 port
    "$BIN" demo --data "$dir" >/dev/null
    port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
    AFFTRACK_BOOTSTRAP_ADMIN_KEY=$KEY valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$1" \
        "$BIN" serve --listen 127.0.0.1:"$port" --data "$dir" --log-level warn >"$TMP/out.$1" 2>"$TMP/vg.$1" &
    local pid=$!
    for _ in $(seq 1 600); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    if [ "$2" = conv ] || [ "$2" = postback ]; then convload "$port" "$1" "$dir" "$2"; else load "$port" "$1" "$2"; fi
    kill -TERM "$pid"
    wait "$pid" || true
    total_ir "$TMP/cg.$1"
}

run_generate() { # clicks -> total instructions
    local dir=$TMP/g$1
    "$BIN" generate --data "$dir" --clicks 1 --days 3 >/dev/null 2>&1 # the catalog first
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.g$1" "$BIN" generate --data "$dir" --clicks "$1" \
        --days 3 >/dev/null 2>"$TMP/vg.g$1"
    total_ir "$TMP/cg.g$1"
}

case $MODE in
server-same) a=$(run_server "$SMALL" 0); b=$(run_server "$N" 0) ;;
server-uniq) a=$(run_server "$SMALL" 1); b=$(run_server "$N" 1) ;;
server-conv) a=$(run_server "$SMALL" conv); b=$(run_server "$N" conv) ;;
server-postback) a=$(run_server "$SMALL" postback); b=$(run_server "$N" postback) ;;
generate) a=$(run_generate "$SMALL"); b=$(run_generate "$N") ;;
*) echo "unknown mode $MODE" >&2; exit 2 ;;
esac
echo "$MODE $(((b - a) / (N - SMALL))) per click (totals $a for $SMALL, $b for $N)"
