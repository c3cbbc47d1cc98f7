#!/usr/bin/env bash
# bench/ceiling.sh - the one-core ceiling of a recorded click, measured in one run.
#
# With the server pinned to one core its event loop and its writer take turns on it, so
# a recorded click costs 1/R = 1/H + 1/W, where
#   W = rate of the recording alone, measured: `afftrack generate` runs the writer's code
#       (unique window, rollups, click insert, commit) with no HTTP;
#   H = rate of everything else (HTTP, the redirect handler, handing clicks to the writer
#       and back), derived from the measured R and W. (wrk cannot measure HEAD, which
#       would record nothing: it waits for a body a HEAD answer never has.)
# GET /healthz shows the HTTP library's own rate on the same core.
# Printed beside nginx `return 302` and afftrack's measured GET rates (commit, async),
# plus B2 at 64 connections against pgbench at 64 connections.
# Usage: bench/ceiling.sh [SECONDS] [RUNS]   (defaults 10 and 3; medians are reported)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
RUNS=${2:-3}
T=$(mktemp -d /tmp/afftrack-ceiling.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$T"; }
trap cleanup EXIT
for pkg in wrk nginx-light postgresql; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; }
done
make -s BUILD=build/release CFLAGS=-O2 build/release/afftrack
BIN=$PWD/build/release/afftrack
UA='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
REF='https://blog.example.com/2024/05/best-running-shoes-review'
URLPATH='/r/alice?sub1=a&sub2=b'
echo "loadavg at start: $(cat /proc/loadavg)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wrk_rate() { # URL [extra wrk args...] -> requests/s
  local url=$1; shift
  taskset -c 0 wrk -t1 -c64 -d"${SECS}s" -H "User-Agent: $UA" -H "Referer: $REF" "$@" "$url" |
    awk '/Requests\/sec/ {printf "%d\n", $2}'
}

# nginx return 302 with the same Set-Cookie, access_log off
NPORT=$(free_port)
mkdir -p "$T/nginx"
cat > "$T/nginx/nginx.conf" <<EOF
worker_processes 1; daemon off; pid $T/nginx/pid; error_log $T/nginx/error.log crit;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$NPORT reuseport backlog=4096;
  location /r/ { add_header Set-Cookie "afftrack_click=06gztq7ysc05hbwyrn6kd5ykhg1a59fn; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax" always;
                 return 302 "https://shop.example.com/?click_id=06gztq7ysc05hbwyrn6kd5ykhg1a59fn"; } } }
EOF
taskset -c 1 nginx -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" & PIDS+=($!)
sleep 0.5
NGINX=$(for i in $(seq "$RUNS"); do wrk_rate "http://127.0.0.1:$NPORT$URLPATH"; done | median)
kill "${PIDS[-1]}"; sleep 0.3

serve() { # MODE -> starts afftrack on a fresh demo store, sets APORT
  local dir="$T/store-$1-$RANDOM"
  "$BIN" demo --data "$dir" >/dev/null
  APORT=$(free_port)
  # velocity limits raised: all load comes from one IP (see bench/run.sh start_aff)
  taskset -c 1 "$BIN" serve --listen "127.0.0.1:$APORT" --data "$dir" --click-durability "$1" --log-level warn \
    --ip-velocity-max 1000000 --ip-link-velocity-max 1000000 --duplicate-click-max 1000000 \
    >/dev/null 2>&1 & PIDS+=($!)
  until curl -sf "http://127.0.0.1:$APORT/healthz" >/dev/null 2>&1; do sleep 0.05; done
  STORE=$dir
}
stop() { kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; }

serve commit
HEALTH=$(for i in $(seq "$RUNS"); do wrk_rate "http://127.0.0.1:$APORT/healthz"; done | median)
COMMIT=$(for i in $(seq "$RUNS"); do wrk_rate "http://127.0.0.1:$APORT$URLPATH"; done | median)
stop
serve async
ASYNC=$(for i in $(seq "$RUNS"); do wrk_rate "http://127.0.0.1:$APORT$URLPATH"; done | median)
stop

# W: the writer's code alone, one core, no conversions, same durability (synchronous=full)
W=$(for i in $(seq "$RUNS"); do
  d="$T/gen-$i"
  taskset -c 1 "$BIN" generate --data "$d" --clicks 300000 --conversion-permille 0 --affiliates 100 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print(int(j["clicks"]/j["seconds"]))'
  rm -rf "$d"
done | median)

# B2 at 64 connections: afftrack conversions vs pgbench single-row INSERT, synchronous_commit=on
serve commit
KEY=$(cat "$STORE/admin.key")
B2=$(for i in $(seq "$RUNS"); do
  taskset -c 0 wrk -t1 -c64 -d"${SECS}s" -s bench/conversion.lua "http://127.0.0.1:$APORT" -- "C$RANDOM$i" "$KEY" \
    "$(python3 -c "print($SECS - 0.5)")" | awk '/^AFB/ {for (i=1;i<=NF;i++) if ($i ~ /^rps=/) {sub("rps=","",$i); print int($i)}}'
done | median)
stop
PG=$T/pg
PGPORT=$(free_port)
mkdir -p "$PG" && chown postgres "$PG" "$T"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
su postgres -c "$PGBIN/initdb -D $PG/data -A trust -U postgres" >/dev/null
su postgres -c "taskset -c 1 $PGBIN/pg_ctl -D $PG/data -l $PG/log -w -o '-p $PGPORT -k $PG -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=100' start" >/dev/null
psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c 'CREATE SEQUENCE ord; CREATE TABLE conv(id bigserial PRIMARY KEY, program_id int NOT NULL, order_id text NOT NULL UNIQUE, amount numeric(12,2) NOT NULL, coupon text NOT NULL)'
echo "INSERT INTO conv(program_id, order_id, amount, coupon) VALUES (1, 'pg-' || :client_id || '-' || nextval('ord'), 10.00, 'ALICE10');" > "$T/insert.sql"
PGB=$(for i in $(seq "$RUNS"); do
  taskset -c 0 "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PGPORT" -U postgres -c 64 -j 1 -T "$SECS" -f "$T/insert.sql" postgres 2>/dev/null |
    awk '/^tps/ {printf "%d\n", $3}'
done | median)
su postgres -c "$PGBIN/pg_ctl -D $PG/data -m fast stop" >/dev/null

HDERIVED=$(python3 -c "print(int(1/(1/$COMMIT-1/$W)) if $COMMIT < $W else 0)")
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo
echo "one-core ceiling of a recorded click ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F), ${SECS}s x $RUNS, median)"
printf '| measure | rate/s | vs nginx |\n|---|---|---|\n'
printf '| nginx return 302 (access_log off) | %s | 1.00 |\n' "$NGINX"
printf '| h2o + afftrack routing, GET /healthz (no click work) | %s | %s |\n' "$HEALTH" "$(ratio "$HEALTH" "$NGINX")"
printf '| afftrack recording alone (generate, writer code, no HTTP) = W | %s | %s |\n' "$W" "$(ratio "$W" "$NGINX")"
printf '| everything but recording, derived H = 1/(1/R - 1/W), R = commit rate | %s | %s |\n' "$HDERIVED" "$(ratio "$HDERIVED" "$NGINX")"
printf '| afftrack GET /r/CODE, click_durability=commit | %s | %s |\n' "$COMMIT" "$(ratio "$COMMIT" "$NGINX")"
printf '| afftrack GET /r/CODE, click_durability=async | %s | %s |\n' "$ASYNC" "$(ratio "$ASYNC" "$NGINX")"
printf '| B2 conversions, 64 connections | %s | pgbench -c64 %s/s: %s |\n' "$B2" "$PGB" "$(ratio "$B2" "$PGB")"
