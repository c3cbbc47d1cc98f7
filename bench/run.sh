#!/usr/bin/env bash
# bench/run.sh quick|full - afftrack's benchmark harness (docs/benchmarks.md, shared BENCH.md).
#
#   make bench-quick   # bash bench/run.sh quick: 1 run of each, 3 s runs, B3 at 10^6 (~1 min)
#   make bench         # bash bench/run.sh full:  3 runs of 10 s, medians, B3 at 10^6..10^8 (~1 h)
#
# Installs what is missing (nginx, wrk, postgresql, sqlite3, curl,
# jq and the build dependencies), builds a release binary into build/release (inside the
# git-ignored build/, separate from the everyday build/), runs B1-B4 against references
# measured in the same run, prints a table of absolute figures and ratios, checks that what
# the clients counted was stored, and rewrites this mode's results section in
# docs/benchmarks.md. Exit status: 0 when every check passed, 1 when one failed, 2 on a
# setup error.
#
# Pinning: servers (afftrack, nginx, PostgreSQL, the sqlite3 shell) on CPU 1, load
# generators (wrk, bench/pace.c, pgbench, curl) on CPU 0. Everything listens on 127.0.0.1 on free
# ports; every process started here is stopped and the temp dir removed on exit.
#
# Environment overrides (for development; the defaults are the documented method):
#   BENCH_RUNS=N          runs per measurement (quick 1, full 3); the median is reported
#   BENCH_SECS=S          seconds per load run (quick 3, full 10)
#   BENCH_ONLY="B1 B2"    run only these benchmarks (B4 figures come from B1-B3's servers)
#   BENCH_B3_SIZES="..."  click counts for B3 (quick 1000000; full 1000000 10000000 100000000)
#   BENCH_B4_LINKS=N      B4 also starts on a store with N links (quick 0 = not at all; full 1000000)
#   BENCH_B4_LINK_CLICKS=N  clicks generated into that store (default 1000; 100000000 is the
#                         issue's "10^6 links and 10^8 clicks", about an hour of generation)
#   BENCH_DOCS=0          do not touch docs/benchmarks.md
#   BENCH_CONNS=64        wrk connections for B1; BENCH_B2_CONNS=64 for B2 (pgbench uses the same)
#   BENCH_BIN=PATH        benchmark this afftrack binary instead of building build/release
set -uo pipefail

MODE=${1:-quick}
case "$MODE" in
quick | full) ;;
*)
    echo "usage: bash bench/run.sh quick|full" >&2
    exit 2
    ;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
BENCH_DIR=bench # relative: the recorded commands read as typed in the repository

if [ "$MODE" = quick ]; then
    RUNS=${BENCH_RUNS:-1}
    SECS=${BENCH_SECS:-3}
    B3_SIZES=${BENCH_B3_SIZES:-1000000}
    B4_LINKS=${BENCH_B4_LINKS:-0}
    B4_LINK_CLICKS=${BENCH_B4_LINK_CLICKS:-1000}
    DD_COUNT=500
else
    RUNS=${BENCH_RUNS:-3}
    SECS=${BENCH_SECS:-10}
    B3_SIZES=${BENCH_B3_SIZES:-1000000 10000000 100000000}
    B4_LINKS=${BENCH_B4_LINKS:-1000000}
    B4_LINK_CLICKS=${BENCH_B4_LINK_CLICKS:-1000}
    DD_COUNT=2000
fi
ONLY=${BENCH_ONLY:-B1 B2 B3 B4}
CONNS=${BENCH_CONNS:-64}
B2_CONNS=${BENCH_B2_CONNS:-64}
REPORT_REPS=5
CLICK_PATH='/r/alice?sub1=a&sub2=b'
# The clicks stop this long before wrk does; the tail goes to /healthz (see bench/click.lua).
TAIL_SECS=0.25
UA='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
REFERER='https://blog.example.com/2024/05/best-running-shoes-review'
SRV_CPU=1
GEN_CPU=0
AFF_EXTRA=() # extra serve flags for start_aff (B1 variants)
AFF_CPUS=     # CPUs for start_aff instead of SRV_CPU

want() { [[ " $ONLY " == *" $1 "* ]]; }
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 2
}

# ---- results store ------------------------------------------------------------------------
# V[key] holds space-separated values (one per run); median() reduces them.
declare -A V=()
add() { V[$1]="${V[$1]:-} $2"; }
median() {
    local vals=${V[$1]:-}
    [ -z "${vals// /}" ] && {
        echo ""
        return
    }
    tr ' ' '\n' <<<"$vals" | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.6g\n", (a[NR/2]+a[NR/2+1])/2}'
}
# Ratio a/b with 2 decimals, or "-" when either is missing or b is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { if (v == "") print "-"; else printf "%.*f\n", d, v }'; }
ms() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.2f ms\n", v * 1000 }'; } # seconds -> "x.xx ms"
size_label() { awk -v n="$1" 'BEGIN { e = int(log(n) / log(10) + 0.5); if (10 ^ e == n) printf "10^%d\n", e; else print n }'; }
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1; }

CHECKS_OK=0
CHECKS_FAIL=0
CHECK_LINES=()
check() { # check NAME OK|FAIL DETAIL
    if [ "$2" = OK ]; then
        CHECKS_OK=$((CHECKS_OK + 1))
    else
        CHECKS_FAIL=$((CHECKS_FAIL + 1))
        log "CHECK FAILED: $1: $3"
    fi
    CHECK_LINES+=("$2 $1: $3")
}
NOTES=()
note() {
    NOTES+=("$*")
    log "note: $*"
}

# Exact commands, recorded the first time each kind is run (for docs/benchmarks.md).
declare -A CMD_SEEN=()
CMDS=()
record_cmd() { # record_cmd KIND COMMAND...
    local kind=$1
    shift
    [ -n "${CMD_SEEN[$kind]:-}" ] && return
    CMD_SEEN[$kind]=1
    local q="" a
    for a in "$@"; do
        [ -n "${ADMIN_KEY:-}" ] && a=${a//$ADMIN_KEY/ADMIN_KEY}
        if [[ $a =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
            q+="$a "
        else
            local esc=${a//\'/\'\\\'\'}
            q+="'$esc' "
        fi
    done
    CMDS+=("$kind: ${q% }")
}

# ---- processes, ports, temp dir -----------------------------------------------------------
PIDS=()
AFF_DIED=0
PG_DATA=""
PG_BIN=""
TMP=""
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null
        fi
    done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    done
    if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
    fi
    [ -n "${POLICY_RC:-}" ] && rm -f "$POLICY_RC"
    [ -n "$TMP" ] && [ -d "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

forget_pid() {
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# stop_pid PID [SIGNAL]: signal a child, wait for it (10 s, then SIGKILL); sets STOP_RC to its
# exit status. (Not to be called in $(...): wait and PIDS need this shell.)
stop_pid() {
    local pid=$1 sig=${2:-TERM}
    kill -"$sig" "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid did not stop in 10 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    STOP_RC=$?
    forget_pid "$pid"
}

# A free loopback port below the ephemeral range (so client sockets never take it).
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 12000))
        if [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then
            echo "$p"
            return
        fi
    done
    die "no free port found"
}

# GET /healthz over bash's /dev/tcp (no fork, so the start-up time is measured to ~1 ms).
probe_healthz() {
    local line
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 2>/dev/null
    IFS= read -r -t 2 line <&3
    exec 3>&- 3<&-
    [[ $line == *" 200 "* ]]
}

# wait_healthz PORT PID [TIMEOUT_S]: waits (10 s by default) for a 200; prints ms since $START_T.
wait_healthz() {
    local port=$1 pid=$2 limit=$((${3:-10} * 1000000)) t0=${START_T//[.,]/} now
    while :; do
        if probe_healthz "$port"; then
            now=${EPOCHREALTIME//[.,]/}
            awk -v d="$((now - t0))" 'BEGIN { printf "%.1f\n", d / 1000 }'
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        now=${EPOCHREALTIME//[.,]/}
        ((now - t0 > limit)) && return 1
        ((now - t0 > 2000000)) && sleep 0.05 # a slow start: poll every 50 ms
    done
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# User + system CPU time of a process so far, in clock ticks (getconf CLK_TCK a second).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# ---- environment: load, packages, build ----------------------------------------------------
log "mode $MODE: $RUNS run(s) of ${SECS}s, benchmarks: $ONLY"
LOADAVG=$(cat /proc/loadavg)
NPROC=$(nproc)
LOAD1=${LOADAVG%% *}
if awk -v l="$LOAD1" 'BEGIN { exit !(l >= 0.5) }'; then
    log "WARNING: the machine is busy (loadavg $LOADAVG): absolute numbers will be noisy;"
    log "         ratios against references measured in the same run still mean something."
    ps -eo pcpu,pid,comm --sort=-pcpu 2>/dev/null | head -4 | sed 's/^/[bench]   /' >&2
    note "machine busy at start (loadavg $LOADAVG)"
fi
[ "$NPROC" -lt 2 ] && note "only $NPROC CPU: pinning server and client to different CPUs is impossible; both run on CPU 0" && SRV_CPU=0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
need_pkgs=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
compgen -G '/usr/lib/postgresql/*/bin/pgbench' >/dev/null || need_pkgs+=(postgresql) # initdb, pg_ctl, pgbench
command -v sqlite3 >/dev/null 2>&1 || need_pkgs+=(sqlite3)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
command -v jq >/dev/null 2>&1 || need_pkgs+=(jq)
command -v taskset >/dev/null 2>&1 || need_pkgs+=(util-linux)
command -v ss >/dev/null 2>&1 || need_pkgs+=(iproute2)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing ${need_pkgs[*]}"
    $SUDO apt-get update -qq || die "apt-get update failed"
    # The nginx and postgresql packages start system services on install (port 80, a cluster
    # on 5432); the benchmark runs its own. A temporary policy-rc.d (the usual container way)
    # keeps them from starting, and goes away right after.
    POLICY_RC=""
    if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" -eq 0 ]; then
        POLICY_RC=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC" && chmod 755 "$POLICY_RC"
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    rc=$?
    [ -n "$POLICY_RC" ] && rm -f "$POLICY_RC"
    [ "$rc" -eq 0 ] || die "apt-get install ${need_pkgs[*]} failed"
fi
bash scripts/deps.sh >&2 || die "scripts/deps.sh failed"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)")
PGBENCH=$PG_BIN/pgbench
[ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench)

TMP=$(mktemp -d /tmp/afftrack-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP" # the postgres user must reach its cluster dir inside

BUILD_DIR=build/release
BIN=$TMP/afftrack
if [ -n "${BENCH_BIN:-}" ]; then
    log "using BENCH_BIN=$BENCH_BIN instead of building"
    note "binary given by BENCH_BIN=$BENCH_BIN, not built here"
    cp "$BENCH_BIN" "$BIN" || die "cannot copy $BENCH_BIN"
else
    log "building the release binary (make BUILD=$BUILD_DIR CFLAGS=-O2)"
    if ! make -j"$NPROC" BUILD="$BUILD_DIR" CFLAGS=-O2 "$BUILD_DIR/afftrack" >"$TMP/build.log" 2>&1; then
        tail -30 "$TMP/build.log" >&2
        die "release build failed (src/ may be mid-edit: rerun later)"
    fi
    record_cmd build make -j"$NPROC" BUILD="$BUILD_DIR" CFLAGS=-O2 "$BUILD_DIR/afftrack"
    # Run a private copy: a `make clean` elsewhere during the run cannot pull it away.
    cp "$BUILD_DIR/afftrack" "$BIN"
fi
# The open-loop client for B1's latency (bench/pace.c).
PACE=$TMP/pace
cmd=(cc -O2 -Wall -Wextra -Werror -o "$PACE" "$BENCH_DIR/pace.c")
"${cmd[@]}" >"$TMP/pace-build.log" 2>&1 || die "building bench/pace.c failed: $(head -5 "$TMP/pace-build.log")"
record_cmd "build pace" "${cmd[@]}"
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src bench Makefile 2>/dev/null || GIT_REV="$GIT_REV+uncommitted changes"

# The demo store every afftrack run starts from (copied per run, so runs are independent).
TEMPLATE=$TMP/demo-template
"$BIN" demo --data "$TEMPLATE" >"$TMP/demo.log" 2>&1 || die "afftrack demo failed: $(tail -3 "$TMP/demo.log")"
ADMIN_KEY=$(cat "$TEMPLATE/admin.key")
BASE_JSON=$("$BIN" verify --data "$TEMPLATE") || die "afftrack verify of the demo store failed: $BASE_JSON"
BASE_CLICKS=$(jq -r .clicks <<<"$BASE_JSON")

# ---- servers ---------------------------------------------------------------------------------
# start_aff DATA_DIR DURABILITY [TIMEOUT_S]: sets AFF_PID, AFF_PORT, AFF_START_MS, AFF_RSS_START.
# AFF_EXTRA (array) adds flags; AFF_CPUS overrides the CPUs the server is pinned to.
# When the server does not answer /healthz in time (10 s by default): a failed check, the
# process stopped, status 1.
start_aff() {
    local data=$1 dur=$2 limit=${3:-10}
    AFF_PORT=$(free_port)
    # All load comes from 127.0.0.1 with one user agent: the velocity and duplicate-click
    # rules would reject it after 60 clicks. Their limits are raised so that every click
    # is still screened (the cost is measured) but none is rejected (docs/fraud.md).
    local cmd=(taskset -c "${AFF_CPUS:-$SRV_CPU}" "$BIN" serve --listen "127.0.0.1:$AFF_PORT" --data "$data" --click-durability "$dur"
        --ip-velocity-max 1000000 --ip-link-velocity-max 1000000 --duplicate-click-max 1000000 "${AFF_EXTRA[@]}")
    record_cmd "afftrack ($dur)" "${cmd[@]}"
    START_T=$EPOCHREALTIME
    "${cmd[@]}" >>"$TMP/afftrack.log" 2>&1 &
    AFF_PID=$!
    PIDS+=("$AFF_PID")
    if ! AFF_START_MS=$(wait_healthz "$AFF_PORT" "$AFF_PID" "$limit"); then
        check "afftrack starts and answers /healthz within $limit s (${data##*/})" FAIL \
            "$(tail -3 "$TMP/afftrack.log" | tr '\n' ' ')"
        stop_pid "$AFF_PID" TERM
        return 1
    fi
    AFF_RSS_START=$(rss_kb "$AFF_PID")
}
# stop_aff: SIGTERM (drains and commits), checks the exit status.
stop_aff() {
    local alive=1
    kill -0 "$AFF_PID" 2>/dev/null || alive=0
    AFF_DIED=$((1 - alive))
    stop_pid "$AFF_PID" TERM
    if [ "$alive" = 0 ]; then
        check "afftrack ($1) stays up under load" FAIL "it died during the run, exit status $STOP_RC"
    elif [ "$STOP_RC" != 0 ]; then
        check "afftrack ($1) exits 0 on SIGTERM" FAIL "exit status $STOP_RC"
    fi
    if [ "$alive" = 0 ] || [ "$STOP_RC" != 0 ]; then
        log "last lines of the afftrack log:"
        tail -5 "$TMP/afftrack.log" | sed 's/^/    /' >&2
    fi
}

# start_nginx LOG(on|off) [deferred]: sets NGX_PID, NGX_PORT, NGX_DIR, NGX_START_MS, NGX_RSS_START.
NGX_N=0
start_nginx() {
    NGX_N=$((NGX_N + 1))
    NGX_DIR=$TMP/nginx-$NGX_N
    mkdir -p "$NGX_DIR"
    NGX_PORT=$(free_port)
    local access="access_log off"
    [ "$1" = on ] && access="access_log $NGX_DIR/access.log combined buffer=64k flush=1s"
    local opts="" what="access_log $1"
    [ "${2:-}" = deferred ] && opts=" deferred" && what="$what, listen ... deferred"
    sed -e "s#@DIR@#$NGX_DIR#g" -e "s#@PORT@#$NGX_PORT#g" -e "s#@ACCESS_LOG@#$access#" -e "s#@LISTEN_OPTS@#$opts#" \
        "$BENCH_DIR/nginx.conf" >"$NGX_DIR/nginx.conf"
    local cmd=(taskset -c "$SRV_CPU" "$NGINX" -p "$NGX_DIR" -c "$NGX_DIR/nginx.conf")
    record_cmd "nginx ($what; config: bench/nginx.conf)" "${cmd[@]}"
    START_T=$EPOCHREALTIME
    "${cmd[@]}" >>"$TMP/nginx.log" 2>&1 &
    NGX_PID=$!
    PIDS+=("$NGX_PID")
    if ! NGX_START_MS=$(wait_healthz "$NGX_PORT" "$NGX_PID"); then
        cat "$NGX_DIR/error.log" "$TMP/nginx.log" >&2 2>/dev/null
        die "nginx did not start"
    fi
    NGX_RSS_START=$(nginx_rss)
}
nginx_rss() { # master + workers
    local total=0 p r
    for p in "$NGX_PID" $(pgrep -P "$NGX_PID" 2>/dev/null); do
        r=$(rss_kb "$p")
        total=$((total + ${r:-0}))
    done
    echo "$total"
}
stop_nginx() { stop_pid "$NGX_PID" QUIT; } # QUIT: graceful, flushes the access log

# ---- load generators -------------------------------------------------------------------------
# wrk_clicks PORT CONNMODE(ka|close): sets LINE to the AFB line of bench/click.lua
wrk_clicks() {
    local port=$1 mode=$2 hdr=() click_secs
    [ "$mode" = close ] && hdr=(-H 'Connection: close')
    click_secs=$(awk -v s="$SECS" -v t="$TAIL_SECS" 'BEGIN { print s - t }')
    local cmd=(taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"${SECS}s" --timeout 10s --latency "${hdr[@]}"
        -s "$BENCH_DIR/click.lua" "http://127.0.0.1:$port" -- "$CLICK_PATH" "$click_secs" /healthz)
    record_cmd "wrk B1 ($mode)" "${cmd[@]}"
    "${cmd[@]}" >"$TMP/wrk.out" 2>&1
    LINE=$(grep '^AFB ' "$TMP/wrk.out")
    if [ -z "$LINE" ]; then
        cat "$TMP/wrk.out" >&2
        LINE="AFB failed=1"
    fi
}

# pace_clicks PORT TOTAL_RPS: sets LINE to pace's key=value line (bench/pace.c): rate, n,
# p50_ms p90_ms p99_ms p999_ms max_ms, lag_p99_ms, stalls, stall_max_ms, status (302s), other,
# late, lost. pace sends at evenly spaced times and times each answer from when it was due
# (no coordinated omission); h2load --rps, used before, sent bursts of $CONNS (see pace.c).
pace_clicks() {
    local port=$1 rps=$2 warm=1
    [ "$MODE" = quick ] && warm=0.5
    local cmd=(taskset -c "$GEN_CPU" "$PACE" -c "$CONNS" -r "$rps" -d "$SECS" -w "$warm"
        -H "User-Agent: $UA" -H "Referer: $REFERER" "http://127.0.0.1:$port$CLICK_PATH")
    record_cmd "pace B1 (open loop at a fixed rate; bench/pace.c)" "${cmd[@]}"
    "${cmd[@]}" >"$TMP/pace.out" 2>&1
    LINE=$(grep '^rate=' "$TMP/pace.out" || echo "failed=1")
}

# ---- B1: redirect ceiling ----------------------------------------------------------------------
b1_one() { # b1_one TARGET CONNMODE RUN
    local target=$1 mode=$2 run=$3 line data stored s302 cookie json
    case "$target" in
    nginx | nginx_log | nginx_defer)
        local logmode=off
        [ "$target" = nginx_log ] && logmode=on
        start_nginx "$logmode" "$([ "$target" = nginx_defer ] && echo deferred)"
        add "b4.nginx.start_ms" "$NGX_START_MS"
        add "b4.nginx.rss_start" "$NGX_RSS_START"
        wrk_clicks "$NGX_PORT" "$mode"
        line=$LINE
        add "b4.nginx.rss_after" "$(nginx_rss)"
        stop_nginx
        if [ "$logmode" = on ]; then
            stored=$(grep -c '" 302 ' "$NGX_DIR/access.log" 2>/dev/null)
            s302=$(kv "$line" s302)
            [ "${stored:-0}" = "$s302" ] && check "B1 nginx access log lines == 302s ($mode, run $run)" OK "$stored" ||
                check "B1 nginx access log lines == 302s ($mode, run $run)" FAIL "log $stored, 302s $s302"
        fi
        rm -rf "$NGX_DIR"
        ;;
    commit | async | noscreen | workers2)
        data=$TMP/b1-$target-$mode-$run
        cp -a "$TEMPLATE" "$data"
        local dur=$target
        AFF_EXTRA=()
        AFF_CPUS=
        case "$target" in
        noscreen) # commit, every click-time rule off: what screening costs the click path
            dur=commit
            AFF_EXTRA=(--fraud-bot-user-agent off --fraud-empty-user-agent off --fraud-blocked-cidr off
                --fraud-blocked-country off --fraud-hosting-asn off --fraud-ip-velocity off
                --fraud-ip-link-velocity off --fraud-duplicate-click off --fraud-non-interactive off) ;;
        workers2) # commit, two event loops on both CPUs (wrk shares one of them)
            dur=commit
            AFF_EXTRA=(--workers 2)
            AFF_CPUS="$GEN_CPU,$SRV_CPU" ;;
        esac
        start_aff "$data" "$dur" || {
            rm -rf "$data"
            return
        }
        add "b4.aff.start_ms" "$AFF_START_MS"
        add "b4.aff.rss_start" "$AFF_RSS_START"
        wrk_clicks "$AFF_PORT" "$mode"
        line=$LINE
        add "b4.aff.rss_after" "$(rss_kb "$AFF_PID")"
        stop_aff "B1 $target $mode run $run"
        AFF_EXTRA=()
        AFF_CPUS=
        json=$("$BIN" verify --data "$data" 2>&1)
        stored=$(($(jq -r '.clicks // 0' <<<"$json" 2>/dev/null || echo 0) - BASE_CLICKS))
        s302=$(kv "$line" s302)
        cookie=$(kv "$line" s302_cookie)
        local name="B1 afftrack $target $mode run $run: clicks stored == 302s counted by wrk"
        if [ "$stored" = "$s302" ] && [ "$cookie" = "$s302" ]; then
            check "$name" OK "$stored"
        else
            check "$name" FAIL "stored $stored, 302s $s302 (with a click cookie: $cookie)"
        fi
        [ "$(jq -r .ok <<<"$json" 2>/dev/null)" = true ] && check "B1 afftrack $target $mode run $run: verify ok" OK "ok" ||
            check "B1 afftrack $target $mode run $run: verify ok" FAIL "$json"
        rm -rf "$data"
        ;;
    esac
    if [ -n "$(kv "$line" failed)" ]; then
        check "B1 $target $mode run $run: wrk ran" FAIL "see output above"
        return
    fi
    if [[ $target != nginx* ]] && [ "$AFF_DIED" = 1 ]; then
        note "B1 $target $mode run $run: the server died during the run; its figures are left out of the medians"
        return
    fi
    local other errs
    other=$(kv "$line" other)
    errs=$(($(kv "$line" errors_connect) + $(kv "$line" errors_read) + $(kv "$line" errors_write) + $(kv "$line" errors_timeout)))
    [ "$other" = 0 ] && [ "$errs" = 0 ] || note "B1 $target $mode run $run: $other unexpected statuses, socket errors" \
        "connect/read/write/timeout $(kv "$line" errors_connect)/$(kv "$line" errors_read)/$(kv "$line" errors_write)/$(kv "$line" errors_timeout)"
    add "b1.$mode.$target.rps" "$(kv "$line" rps)"
    add "b1.$mode.$target.p50" "$(kv "$line" p50_ms)"
    add "b1.$mode.$target.p99" "$(kv "$line" p99_ms)"
    log "B1 $mode $target run $run: $(kv "$line" rps) clicks/s, p50 $(kv "$line" p50_ms) ms, p99 $(kv "$line" p99_ms) ms"
}

b1_latency_one() { # TARGET RUN RATE
    local target=$1 run=$2 rate=$3 out data json stored
    case "$target" in
    nginx)
        start_nginx off
        pace_clicks "$NGX_PORT" "$rate"
        out=$LINE
        stop_nginx
        rm -rf "$NGX_DIR"
        ;;
    commit | async)
        data=$TMP/b1lat-$target-$run
        cp -a "$TEMPLATE" "$data"
        start_aff "$data" "$target" || {
            rm -rf "$data"
            return
        }
        pace_clicks "$AFF_PORT" "$rate"
        out=$LINE
        stop_aff "B1 latency $target run $run"
        json=$("$BIN" verify --data "$data" 2>&1)
        stored=$(($(jq -r '.clicks // 0' <<<"$json" 2>/dev/null || echo 0) - BASE_CLICKS))
        local name="B1 latency afftrack $target run $run: clicks stored == 302s counted by pace"
        if [ "$stored" = "$(kv "$out" status)" ]; then
            check "$name" OK "$stored"
        else
            check "$name" FAIL "stored $stored, 302s $(kv "$out" status)"
        fi
        rm -rf "$data"
        ;;
    esac
    if [ -n "$(kv "$out" failed)" ]; then
        check "B1 pace $target run $run ran" FAIL "$(tail -5 "$TMP/pace.out")"
        return
    fi
    if [ "$target" != nginx ] && [ "$AFF_DIED" = 1 ]; then
        note "B1 latency $target run $run: the server died during the run; its figures are left out of the medians"
        return
    fi
    [ "$(kv "$out" other)" = 0 ] && [ "$(kv "$out" lost)" = 0 ] ||
        note "B1 latency $target run $run: $(kv "$out" other) answers were not 302, $(kv "$out" lost) requests unanswered"
    local k
    for k in p50 p90 p99 p999; do
        add "b1.lat.$target.$k" "$(kv "$out" ${k}_ms)"
    done
    add "b1.lat.$target.rate" "$(kv "$out" rate)"
    add "b1.lat.$target.late" "$(kv "$out" late)"
    add "b1.lat.$target.stall_max" "$(kv "$out" stall_max_ms)"
    log "B1 latency $target run $run at $rate/s: achieved $(kv "$out" rate)/s, p50 $(kv "$out" p50_ms) ms," \
        "p90 $(kv "$out" p90_ms), p99 $(kv "$out" p99_ms), p99.9 $(kv "$out" p999_ms) ms; $(kv "$out" late) waited for a" \
        "connection; client stalls over 1 ms: $(kv "$out" stalls) (longest $(kv "$out" stall_max_ms) ms)"
}

run_b1() {
    log "B1 redirect ceiling: nginx (access_log off / buffered), afftrack commit / async; keep-alive and Connection: close"
    local run mode target
    for run in $(seq "$RUNS"); do
        for mode in ka close; do
            for target in nginx nginx_log commit async; do
                b1_one "$target" "$mode" "$run"
            done
            # keep-alive only: the cost of click screening, and two worker loops
            [ "$mode" = ka ] && for target in noscreen workers2; do
                b1_one "$target" "$mode" "$run"
            done
            # one-request connections only: nginx with TCP_DEFER_ACCEPT, as afftrack listens
            [ "$mode" = close ] && b1_one nginx_defer "$mode" "$run"
        done
    done
    HALF_RATE=$(awk -v r="$(median b1.ka.nginx.rps)" 'BEGIN { printf "%d\n", r / 2 }')
    if [ "${HALF_RATE:-0}" -le 0 ]; then
        note "B1 latency skipped: no nginx rate"
        return
    fi
    log "B1 latency at half of nginx's keep-alive maximum: $HALF_RATE requests/s (bench/pace.c, open loop, $CONNS connections)"
    for run in $(seq "$RUNS"); do
        for target in nginx commit async; do
            b1_latency_one "$target" "$run" "$HALF_RATE"
        done
    done
}

# ---- B2: durable conversions -------------------------------------------------------------------
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
PG_PORT=""
start_pg() {
    local dir=$TMP/pg
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    PG_PORT=$(free_port)
    record_cmd "postgresql initdb (as user postgres)" "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres
    as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres >"$TMP/pg-initdb.log" 2>&1 ||
        die "initdb failed: $(tail -3 "$TMP/pg-initdb.log")"
    PG_DATA=$dir/data
    local cmd=(taskset -c "$SRV_CPU" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$dir/log" -w
        -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on")
    record_cmd "postgresql (throwaway cluster, initdb -A trust)" "${cmd[@]}"
    as_pg "${cmd[@]}" start >/dev/null 2>&1 || die "pg_ctl start failed: $(tail -5 "$dir/log" 2>/dev/null)"
    local ddl="CREATE SEQUENCE ord; CREATE TABLE conv(id bigserial PRIMARY KEY, program_id int NOT NULL, order_id text NOT NULL UNIQUE, amount numeric(12,2) NOT NULL, coupon text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
    record_cmd "postgresql table" psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "$ddl"
    psql -q -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$ddl" ||
        die "creating the pgbench table failed"
    cat >"$TMP/insert.sql" <<'EOF'
INSERT INTO conv(program_id, order_id, amount, coupon) VALUES (1, 'pg-' || :client_id || '-' || nextval('ord'), 10.00, 'ALICE10');
EOF
    CMDS+=("pgbench script insert.sql: $(cat "$TMP/insert.sql")")
}
stop_pg() {
    [ -n "$PG_DATA" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
    PG_DATA=""
}
pg_rows() { psql -X -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "SELECT count(*) || ' ' || count(DISTINCT order_id) FROM conv"; }

# Conversions in the 30-day report (the demo's and the benchmark's are all in it).
report_conversions() {
    curl -s -H "Authorization: Bearer $ADMIN_KEY" "http://127.0.0.1:$AFF_PORT/v1/reports" | jq -r '.totals.conversions // empty'
}

b2_one() { # RUN
    local run=$1 out line data stored dup

    # the disk's own fsync rate
    local cmd=(dd if=/dev/zero of="$TMP/dd.bin" bs=4k count="$DD_COUNT" oflag=dsync)
    record_cmd "dd fsync rate" "${cmd[@]}"
    out=$("${cmd[@]}" 2>&1 | tail -1)
    rm -f "$TMP/dd.bin"
    local secs
    secs=$(sed -n 's/.* copied, \([0-9.e+-]*\) s.*/\1/p' <<<"$out")
    if [ -n "$secs" ]; then
        add b2.fsync "$(awk -v n="$DD_COUNT" -v s="$secs" 'BEGIN { printf "%.0f\n", n / s }')"
        log "B2 dd run $run: $DD_COUNT dsync writes in $secs s"
    else
        note "B2 dd run $run failed: $out"
    fi

    # PostgreSQL single-row INSERTs, synchronous_commit=on
    local before after
    before=$(pg_rows)
    cmd=(taskset -c "$GEN_CPU" "$PGBENCH" -n -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "$B2_CONNS" -j 1 -T "$SECS" -f "$TMP/insert.sql" postgres)
    record_cmd pgbench "${cmd[@]}"
    "${cmd[@]}" >"$TMP/pgbench.out" 2>&1
    local tps processed
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$TMP/pgbench.out" | tail -1)
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$TMP/pgbench.out")
    after=$(pg_rows)
    if [ -n "$tps" ]; then
        add b2.pg "$tps"
        local nrows=$((${after% *} - ${before% *})) ndist=$((${after#* } - ${before#* }))
        [ "$nrows" = "$processed" ] && [ "$ndist" = "$nrows" ] &&
            check "B2 pgbench run $run: rows == transactions, no duplicate order ids" OK "$nrows" ||
            check "B2 pgbench run $run: rows == transactions, no duplicate order ids" FAIL "rows $nrows, distinct $ndist, transactions $processed"
        log "B2 pgbench run $run: $tps tps"
    else
        check "B2 pgbench run $run ran" FAIL "$(tail -5 "$TMP/pgbench.out")"
    fi

    b2_aff "$run" postback
    b2_aff "$run" api
}

b2_aff() { # RUN MODE: postback (GET /postback with the program's token) or api (POST /v1/conversions)
    local run=$1 mode=$2 line data stored dup cmd
    # afftrack: each request a new order, commit durability
    data=$TMP/b2-$run-$mode
    cp -a "$TEMPLATE" "$data"
    start_aff "$data" commit || {
        rm -rf "$data"
        return
    }
    local prefix key=$ADMIN_KEY
    prefix="B2r${run}${mode:0:1}x$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
    if [ "$mode" = postback ]; then
        key=$(curl -s -H "Authorization: Bearer $ADMIN_KEY" "http://127.0.0.1:$AFF_PORT/v1/programs/1" | jq -r '.postback_token // empty')
        [ -n "$key" ] || {
            check "B2 afftrack run $run ($mode): the demo program's postback token" FAIL "GET /v1/programs/1 gave none"
            stop_aff "B2 run $run $mode"
            rm -rf "$data"
            return
        }
    fi
    local conv_secs
    conv_secs=$(awk -v s="$SECS" -v t="$TAIL_SECS" 'BEGIN { print s - t }')
    cmd=(taskset -c "$GEN_CPU" wrk -t1 -c"$B2_CONNS" -d"${SECS}s" --timeout 10s --latency -s "$BENCH_DIR/conversion.lua"
        "http://127.0.0.1:$AFF_PORT" -- "$prefix" "$([ "$mode" = postback ] && echo TOKEN || echo ADMIN_KEY)" "$conv_secs" "$TMP/click_ids.txt" "$mode")
    record_cmd "wrk B2 ($mode)" "${cmd[@]}"
    cmd[${#cmd[@]} - 4]=$key
    # Stored click ids (the demo's, all within the program's 30 cookie days) for the conversions.
    curl -s -H "Authorization: Bearer $ADMIN_KEY" "http://127.0.0.1:$AFF_PORT/v1/clicks?limit=500" |
        jq -r '.data[].click_id' >"$TMP/click_ids.txt" 2>/dev/null
    [ -s "$TMP/click_ids.txt" ] || note "B2 run $run ($mode): GET /v1/clicks gave no click ids; conversions are attributed by coupon"
    local conv_before conv_after cpu_before cpu_after
    conv_before=$(report_conversions)
    cpu_before=$(cpu_ticks "$AFF_PID")
    "${cmd[@]}" >"$TMP/wrk2.out" 2>&1
    line=$(grep '^AFB ' "$TMP/wrk2.out")
    cpu_after=$(cpu_ticks "$AFF_PID")
    conv_after=$(report_conversions)
    stop_aff "B2 run $run $mode"
    if [ -z "$line" ]; then
        check "B2 afftrack run $run ($mode): wrk ran" FAIL "$(tail -5 "$TMP/wrk2.out")"
        rm -rf "$data"
        return
    fi
    stored=$((${conv_after:-0} - ${conv_before:-0}))
    dup=$(sqlite3 -readonly "$data/afftrack.db" \
        "SELECT count(*) || ' ' || count(DISTINCT order_id) || ' ' || coalesce(sum(method = 'click_id'), 0) FROM conversion WHERE order_id LIKE '$prefix-%'" 2>&1)
    [[ $dup =~ ^[0-9]+\ [0-9]+\ [0-9]+$ ]] || {
        note "B2 run $run ($mode): the duplicate check in sqlite3 failed (schema changed?): $dup"
        dup="? ? ?"
    }
    local s201 s2xx replays other
    s201=$(kv "$line" s201)
    s2xx=$(kv "$line" s2xx)
    replays=$(kv "$line" replays)
    other=$(kv "$line" other)
    local name="B2 afftrack run $run ($mode): conversions stored == 2xx, no duplicate order ids"
    local rows=${dup%% *} rest=${dup#* }
    local distinct=${rest%% *} byclick=${rest#* }
    if [ "$stored" = "$((s201 + s2xx))" ] && [ "$rows" = "$stored" ] && [ "$distinct" = "$rows" ] && [ "$replays" = 0 ]; then
        check "$name" OK "$stored (attributed by click id: $byclick)"
    else
        check "$name" FAIL "stored $stored (rows $rows, distinct $distinct), 201s $s201, other 2xx $s2xx, replays $replays"
    fi
    [ "$other" = 0 ] || note "B2 afftrack run $run ($mode): $other non-2xx answers"
    if [ "$AFF_DIED" = 1 ]; then
        note "B2 afftrack run $run ($mode): the server died during the run; its figures are left out of the medians"
        rm -rf "$data"
        return
    fi
    add "b2.aff.$mode" "$(kv "$line" rps)"
    add "b2.aff.$mode.p50" "$(kv "$line" p50_ms)"
    add "b2.aff.$mode.p99" "$(kv "$line" p99_ms)"
    # The server's CPU time per stored conversion: what a conversion costs the core, which
    # moves far less than the rate on a shared machine whose neighbours take the CPU.
    [ "$stored" -gt 0 ] 2>/dev/null && [ -n "$cpu_before" ] && [ -n "$cpu_after" ] &&
        add "b2.aff.$mode.cpu_us" "$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v n="$stored" \
            'BEGIN { printf "%.1f", t * 1e6 / hz / n }')"
    log "B2 afftrack run $run ($mode): $(kv "$line" rps) conversions/s, p50 $(kv "$line" p50_ms) ms, p99 $(kv "$line" p99_ms) ms"
    rm -rf "$data"
}

run_b2() {
    log "B2 durable conversions: dd oflag=dsync, pgbench INSERT (synchronous_commit=on), afftrack GET /postback and POST /v1/conversions"
    start_pg
    local run
    for run in $(seq "$RUNS"); do b2_one "$run"; done
    stop_pg
}

# ---- B3: reports ---------------------------------------------------------------------------------
B3_SIZES_DONE=()
curl_time() { # URL -> "code seconds"
    taskset -c "$GEN_CPU" curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $B3_KEY" "$1"
}
sqlite_time() { # DB SQL -> seconds (real); the rows go to $TMP/sqlite.out
    printf '.timer on\n.output %s\n%s\n' "$TMP/sqlite.out" "$2" | taskset -c "$SRV_CPU" sqlite3 -readonly "$1" 2>&1 |
        sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' | tail -1
}
day_of() { date -u -d "@$(($1 / 1000))" +%F; }

# B3 grows one store: each size adds the clicks it lacks (generate appends), so 10^8 costs
# the generation of 10^8 clicks, not 1.11 * 10^8.
B3_DATA=""
B3_HAVE=0
b3_size() { # N
    local n=$1 label add_n
    label=$(size_label "$n")
    add_n=$((n - B3_HAVE))
    # disk: ~BPC bytes a click (measured on the previous size when there was one), 30% margin
    local avail need
    avail=$(df -B1 --output=avail "$TMP" | tail -1 | tr -d ' ')
    need=$(awk -v n="$add_n" -v b="${B3_BPC:-300}" 'BEGIN { printf "%.0f\n", n * b * 1.3 }')
    if [ "$avail" -lt "$need" ]; then
        note "B3 $label skipped: needs ~$((need / 1000000000)) GB more free in $TMP, $((avail / 1000000000)) GB available"
        return 1
    fi
    log "B3 $label: generating $add_n more clicks (needs ~$((need / 1000000000 + 1)) GB)"
    local cmd=("$BIN" generate --data "$B3_DATA" --clicks "$add_n")
    record_cmd "afftrack generate (appends; sizes are grown one after the other)" "${cmd[@]}"
    local t0=$EPOCHREALTIME
    if ! "${cmd[@]}" </dev/null >"$TMP/generate.log" 2>&1; then
        check "B3 $label: afftrack generate" FAIL "$(tail -3 "$TMP/generate.log")"
        return 1
    fi
    local gen_s bytes
    gen_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }')
    B3_HAVE=$n
    bytes=$(du -sb "$B3_DATA" | cut -f1)
    B3_BPC=$(awk -v b="$bytes" -v n="$n" 'BEGIN { printf "%.0f\n", b / n }')
    add "b3.$n.gen_s" "$gen_s"
    add "b3.$n.gen_n" "$add_n"
    add "b3.$n.bytes" "$bytes"
    log "B3 $label: $add_n clicks generated in $gen_s s; store $((bytes / 1000000)) MB ($B3_BPC bytes a click)"

    if [ -z "${B3_KEY:-}" ]; then
        B3_KEY=$("$BIN" init --data "$B3_DATA" 2>/dev/null | sed -n 's/.*admin API key (shown once): *//p')
        [ -n "$B3_KEY" ] || {
            check "B3 $label: afftrack init (admin key)" FAIL "no key printed"
            return 1
        }
    fi
    # The report window: the 30 days ending on the last day with data (from the rollups).
    local last_hour
    last_hour=$(sqlite3 -readonly "$B3_DATA/afftrack.db" "SELECT max(hour) FROM stats_hourly" 2>/dev/null)
    [[ $last_hour =~ ^[0-9]+$ ]] || last_hour=$(($(date +%s) / 3600))
    local to_ms=$(((last_hour / 24) * 86400000)) # start of the last day
    local from_ms=$((to_ms - 29 * 86400000))
    local day_ms=$((to_ms - 86400000)) # a full day before the last (maybe partial) one
    local from to day
    from=$(day_of "$from_ms")
    to=$(day_of "$to_ms")
    day=$(day_of "$day_ms")

    start_aff "$B3_DATA" commit 1800 || return 1
    add "b4.b3.$n.start_ms" "$AFF_START_MS"
    add "b4.b3.$n.rss_start" "$AFF_RSS_START"
    local base="http://127.0.0.1:$AFF_PORT/v1/reports"
    local u30="$base?from=$from&to=$to&group_by=day,affiliate" u1="$base?affiliate_id=1&from=$day&to=$day"
    record_cmd "B3 report 30 days (median of $REPORT_REPS)" taskset -c "$GEN_CPU" curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer KEY" "$u30"
    record_cmd "B3 report one affiliate, one day" taskset -c "$GEN_CPU" curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer KEY" "$u1"
    local r api30 api1
    api30=$(curl -s -H "Authorization: Bearer $B3_KEY" "$u30" | jq -r '.totals.clicks // empty' 2>/dev/null)
    api1=$(curl -s -H "Authorization: Bearer $B3_KEY" "$u1" | jq -r '.totals.clicks // empty' 2>/dev/null)
    for _ in $(seq "$REPORT_REPS"); do
        r=$(curl_time "$u30")
        [ "${r%% *}" = 200 ] && add "b3.$n.api30" "${r#* }" || note "B3 $label 30-day report answered ${r%% *}"
        r=$(curl_time "$u1")
        [ "${r%% *}" = 200 ] && add "b3.$n.api1" "${r#* }" || note "B3 $label one-day report answered ${r%% *}"
    done
    add "b4.b3.$n.rss_after" "$(rss_kb "$AFF_PID")"
    stop_aff "B3 $label"

    # SQLite reference: the same questions over the raw click table (no index on ts_ms).
    local end_ms=$((to_ms + 86400000 - 1))
    local q30="SELECT ts_ms / 86400000 AS day, affiliate_id, count(*) FROM click WHERE ts_ms BETWEEN $from_ms AND $end_ms GROUP BY 1, 2;"
    local q1="SELECT count(*) FROM click WHERE affiliate_id = 1 AND ts_ms BETWEEN $day_ms AND $((day_ms + 86400000 - 1));"
    record_cmd "B3 sqlite3 reference (30 days)" sh -c "printf '.timer on\n.output /dev/null\n$q30\n' | taskset -c $SRV_CPU sqlite3 -readonly DATA/afftrack.db"
    record_cmd "B3 sqlite3 reference (one affiliate, one day)" sh -c "printf '.timer on\n.output /dev/null\n$q1\n' | taskset -c $SRV_CPU sqlite3 -readonly DATA/afftrack.db"
    local reps=$REPORT_REPS
    [ "$n" -ge 100000000 ] && reps=1
    # The reports' click totals must equal the raw clicks of the same window (sqlite3's rows).
    local raw30 raw1
    for _ in $(seq "$reps"); do
        add "b3.$n.sql30" "$(sqlite_time "$B3_DATA/afftrack.db" "$q30")"
        raw30=$(awk -F'|' '{ s += $3 } END { print s + 0 }' "$TMP/sqlite.out")
        add "b3.$n.sql1" "$(sqlite_time "$B3_DATA/afftrack.db" "$q1")"
        raw1=$(awk '{ s += $1 } END { print s + 0 }' "$TMP/sqlite.out")
    done
    [ "$reps" -lt "$REPORT_REPS" ] && note "B3 $label: the sqlite3 reference ran once (a full scan of $((bytes / 1000000000)) GB)"
    local name="B3 $label: report clicks == raw clicks (30 days; one affiliate, one day)"
    if [ "$api30" = "$raw30" ] && [ "$api1" = "$raw1" ] && [ "${raw30:-0}" -gt 0 ]; then
        check "$name" OK "$api30; $api1"
    else
        check "$name" FAIL "API $api30 and $api1, raw $raw30 and $raw1 ($from..$to, $day)"
    fi
    B3_SIZES_DONE+=("$n")
    log "B3 $label: API 30d $(median "b3.$n.api30") s, 1d $(median "b3.$n.api1") s; sqlite3 30d $(median "b3.$n.sql30") s, 1d $(median "b3.$n.sql1") s"
}

run_b3() {
    if ! "$BIN" generate --help >/dev/null 2>&1; then
        note "B3 skipped: this build has no \`afftrack generate\` (the click generator); rerun when it lands"
        return
    fi
    B3_DATA=$TMP/b3
    local n
    for n in $B3_SIZES; do
        if [ "$n" -le "$B3_HAVE" ]; then
            note "B3: sizes must grow ($n after $B3_HAVE): $n skipped"
            continue
        fi
        b3_size "$n" || break
    done
    rm -rf "$B3_DATA"
}

# ---- B4: memory and start-up (the demo store) -----------------------------------------------------
run_b4_standalone() {
    # Only when B1 did not run: start each server a few times without load.
    local run data
    for run in $(seq "$RUNS"); do
        start_nginx off
        add "b4.nginx.start_ms" "$NGX_START_MS"
        add "b4.nginx.rss_start" "$NGX_RSS_START"
        stop_nginx
        rm -rf "$NGX_DIR"
        data=$TMP/b4-$run
        cp -a "$TEMPLATE" "$data"
        start_aff "$data" commit || {
            rm -rf "$data"
            continue
        }
        add "b4.aff.start_ms" "$AFF_START_MS"
        add "b4.aff.rss_start" "$AFF_RSS_START"
        stop_aff "B4 run $run"
        rm -rf "$data"
    done
}

# B4 with many links: a store with B4_LINKS links (1000 per affiliate) and a few clicks.
run_b4_links() {
    local n=$B4_LINKS data=$TMP/b4-links label
    [ "$n" -gt 0 ] || return
    label=$(size_label "$n")
    if ! "$BIN" generate --help >/dev/null 2>&1; then
        note "B4 with $label links skipped: no \`afftrack generate\`"
        return
    fi
    local per=1000 aff=$(((n + 999) / 1000))
    local cmd=(timeout 900 "$BIN" generate --data "$data" --clicks 1000 --affiliates "$aff" --links "$per")
    record_cmd "B4 store with $label links" "${cmd[@]}"
    log "B4: generating a store with $((aff * per)) links (at most 15 minutes)"
    local t0=$EPOCHREALTIME rc
    "${cmd[@]}" </dev/null >"$TMP/generate-links.log" 2>&1
    rc=$?
    local gen_s
    gen_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f\n", b - a }')
    if [ "$rc" = 124 ]; then
        note "B4 with $label links skipped: afftrack generate did not finish in 900 s"
        rm -rf "$data"
        return
    elif [ "$rc" != 0 ]; then
        check "B4: afftrack generate with $label links" FAIL "$(tail -3 "$TMP/generate-links.log")"
        rm -rf "$data"
        return
    fi
    local more=$((B4_LINK_CLICKS - 1000))
    if [ "$more" -gt 0 ]; then
        cmd=("$BIN" generate --data "$data" --clicks "$more" --days 30)
        record_cmd "B4 clicks added to the $label-link store" "${cmd[@]}"
        log "B4: adding $more clicks to the store with $label links"
        t0=$EPOCHREALTIME
        if ! "${cmd[@]}" </dev/null >>"$TMP/generate-links.log" 2>&1; then
            check "B4: afftrack generate of $more clicks with $label links" FAIL "$(tail -3 "$TMP/generate-links.log")"
            rm -rf "$data"
            return
        fi
        gen_s=$((gen_s + $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f\n", b - a }')))
    fi
    B4_LINKS_GEN_S=$gen_s
    local run
    for run in $(seq "$RUNS"); do
        start_aff "$data" commit 600 || break
        add b4.links.start_ms "$AFF_START_MS"
        add b4.links.rss_start "$AFF_RSS_START"
        stop_aff "B4 $label links run $run"
    done
    rm -rf "$data"
}

# ---- run -----------------------------------------------------------------------------------------
T_BEGIN=$EPOCHREALTIME
want B1 && run_b1
want B2 && run_b2
want B3 && run_b3
want B4 && ! want B1 && run_b4_standalone
want B4 && run_b4_links
T_TOTAL=$(awk -v a="$T_BEGIN" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f\n", b - a }')

# ---- table ---------------------------------------------------------------------------------------
ROWS=() # "benchmark|reference|afftrack|ratio|notes"
row() { ROWS+=("$1|$2|$3|$4|$5"); }
rate_row() { # BENCH REFNAME REFKEY AFFKEY NOTE
    local ref aff
    ref=$(median "$3")
    aff=$(median "$4")
    [ -z "$ref$aff" ] && return
    row "$1" "$2 $(fmt "$ref")/s" "$(fmt "$aff")/s" "$(ratio "$aff" "$ref")" "$5"
}
if want B1; then
    for mode in ka close; do
        mname="keep-alive"
        [ "$mode" = close ] && mname="Connection: close"
        for dur in commit async; do
            lat="p50/p99 ms: nginx $(median b1.$mode.nginx.p50)/$(median b1.$mode.nginx.p99), afftrack $(median b1.$mode.$dur.p50)/$(median b1.$mode.$dur.p99)"
            rate_row "B1 clicks/s $mname, $dur" "nginx (no log)" "b1.$mode.nginx.rps" "b1.$mode.$dur.rps" "$lat"
            rate_row "B1 clicks/s $mname, $dur" "nginx buffered log" "b1.$mode.nginx_log.rps" "b1.$mode.$dur.rps" \
                "nginx+log p50/p99 ms $(median b1.$mode.nginx_log.p50)/$(median b1.$mode.nginx_log.p99)"
            [ "$mode" = close ] && rate_row "B1 clicks/s $mname, $dur" "nginx deferred accept" \
                "b1.$mode.nginx_defer.rps" "b1.$mode.$dur.rps" \
                "nginx \`listen ... deferred\` (TCP_DEFER_ACCEPT, as afftrack); p50/p99 ms $(median b1.$mode.nginx_defer.p50)/$(median b1.$mode.nginx_defer.p99)"
        done
    done
    rate_row "B1 click screening cost, keep-alive commit" "screening off" b1.ka.noscreen.rps b1.ka.commit.rps \
        "every click-time fraud rule on (velocity limits raised) vs all off; 1.00 = no measurable cost"
    rate_row "B1 multi-core, keep-alive commit" "1 worker, 1 core" b1.ka.commit.rps b1.ka.workers2.rps \
        "--workers 2 on both cores; wrk shares one of them, so this is not a 2-core server against a free client"
    if [ -n "$(median b1.lat.nginx.p99)" ]; then
        for dur in commit async; do
            row "B1 p99 at ${HALF_RATE}/s (half nginx max), $dur" "nginx $(median b1.lat.nginx.p99) ms" \
                "$(median b1.lat.$dur.p99) ms" "$(ratio "$(median b1.lat.$dur.p99)" "$(median b1.lat.nginx.p99)")" \
                "open loop (bench/pace.c); p50/p90/p99.9 ms nginx $(median b1.lat.nginx.p50)/$(median b1.lat.nginx.p90)/$(median b1.lat.nginx.p999), afftrack $(median b1.lat.$dur.p50)/$(median b1.lat.$dur.p90)/$(median b1.lat.$dur.p999); achieved/s nginx $(fmt "$(median b1.lat.nginx.rate)"), afftrack $(fmt "$(median b1.lat.$dur.rate)"); lower is better"
        done
    fi
fi
if want B2; then
    rate_row "B2 durable conversions/s, GET /postback" "pgbench INSERT" b2.pg b2.aff.postback \
        "$B2_CONNS connections each; afftrack p50/p99 ms $(median b2.aff.postback.p50)/$(median b2.aff.postback.p99); server CPU $(median b2.aff.postback.cpu_us) us a conversion"
    rate_row "B2 durable conversions/s, GET /postback" "disk fsync (dd dsync)" b2.fsync b2.aff.postback "ratio = conversions per fsync the disk can do"
    rate_row "B2 durable conversions/s, POST /v1/conversions" "pgbench INSERT" b2.pg b2.aff.api \
        "JSON body, admin key; afftrack p50/p99 ms $(median b2.aff.api.p50)/$(median b2.aff.api.p99); server CPU $(median b2.aff.api.cpu_us) us a conversion"
fi
if want B3; then
    for n in "${B3_SIZES_DONE[@]}"; do
        label=$(size_label "$n")
        gen="$(median b3.$n.gen_n) clicks generated in $(median b3.$n.gen_s) s; store $(($(median b3.$n.bytes) / 1000000)) MB"
        row "B3 report 30d by day,affiliate @ $label clicks" "sqlite3 GROUP BY $(ms "$(median b3.$n.sql30)")" "$(ms "$(median b3.$n.api30)")" \
            "$(ratio "$(median b3.$n.api30)" "$(median b3.$n.sql30)")" "lower is better; $gen"
        row "B3 report 1 affiliate, 1 day @ $label clicks" "sqlite3 count $(ms "$(median b3.$n.sql1)")" "$(ms "$(median b3.$n.api1)")" \
            "$(ratio "$(median b3.$n.api1)" "$(median b3.$n.sql1)")" "lower is better"
    done
fi
if want B4 || want B1; then
    a=$(median b4.aff.start_ms)
    g=$(median b4.nginx.start_ms)
    [ -n "$a" ] && row "B4 exec to first /healthz 200 (demo store)" "nginx ${g:--} ms" "$a ms" "$(ratio "$a" "$g")" "lower is better"
    a=$(median b4.aff.rss_start)
    g=$(median b4.nginx.rss_start)
    [ -n "$a" ] && row "B4 RSS after start (demo store)" "nginx ${g:--} kB" "$a kB" "$(ratio "$a" "$g")" "VmRSS; nginx = master + worker"
    a=$(median b4.aff.rss_after)
    g=$(median b4.nginx.rss_after)
    [ -n "$a" ] && row "B4 RSS after a B1 run" "nginx ${g:--} kB" "$a kB" "$(ratio "$a" "$g")" "median over the B1 runs"
    a=$(median b4.links.start_ms)
    [ -n "$a" ] && row "B4 start / RSS with $(size_label "$B4_LINKS") links, $(size_label "$B4_LINK_CLICKS") clicks" "-" "$a ms / $(median b4.links.rss_start) kB" "-" \
        "store generated in ${B4_LINKS_GEN_S}s"
    for n in "${B3_SIZES_DONE[@]}"; do
        label=$(size_label "$n")
        row "B4 start / RSS with $label generated clicks" "-" "$(median b4.b3.$n.start_ms) ms / $(median b4.b3.$n.rss_start) kB" "-" \
            "RSS after the B3 reports $(median b4.b3.$n.rss_after) kB"
    done
fi

print_table() {
    local w1=0 w2=0 w3=0 w4=0 r a b c d e
    for r in "benchmark|reference|afftrack|ratio|notes" "${ROWS[@]}"; do
        IFS='|' read -r a b c d e <<<"$r"
        ((${#a} > w1)) && w1=${#a}
        ((${#b} > w2)) && w2=${#b}
        ((${#c} > w3)) && w3=${#c}
        ((${#d} > w4)) && w4=${#d}
    done
    for r in "benchmark|reference|afftrack|ratio|notes" "${ROWS[@]}"; do
        IFS='|' read -r a b c d e <<<"$r"
        printf "%-${w1}s | %${w2}s | %${w3}s | %${w4}s | %s\n" "$a" "$b" "$c" "$d" "$e"
    done
}

echo
echo "afftrack benchmarks ($MODE, $RUNS run(s) of ${SECS}s, median) - $(date -u '+%Y-%m-%d %H:%M UTC'), rev $GIT_REV"
echo "ratio = afftrack / reference (rates: higher is better; times and memory: lower is better)"
echo
print_table
echo
echo "checks: $CHECKS_OK passed, $CHECKS_FAIL failed"
for l in "${CHECK_LINES[@]}"; do echo "  $l"; done
for n in "${NOTES[@]}"; do echo "note: $n"; done
echo "total time: ${T_TOTAL}s"

# ---- docs/benchmarks.md --------------------------------------------------------------------------
write_docs() {
    local doc=docs/benchmarks.md begin="<!-- bench:$MODE:begin -->" end="<!-- bench:$MODE:end -->"
    local cpu
    cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
    [ -n "$cpu" ] || cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
    local sec=$TMP/section.md
    {
        echo "$begin"
        echo "### Latest \`make bench$([ "$MODE" = quick ] && echo -quick)\` ($MODE): $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo
        echo "* Machine: $NPROC CPUs, $cpu, $(awk '/MemTotal/ { printf "%.0f GiB\n", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
        echo "* loadavg at start: $LOADAVG"
        echo "* afftrack rev $GIT_REV; $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'),"
        echo "  bench/pace.c, PostgreSQL $("$PG_BIN/postgres" --version 2>/dev/null | awk '{print $3}'), sqlite3 $(sqlite3 --version | awk '{print $1}')"
        echo "* $RUNS run(s) of ${SECS}s per figure, median; benchmarks $ONLY; B3 sizes $B3_SIZES; B4 links $B4_LINKS; total ${T_TOTAL}s"
        echo
        echo "| benchmark | reference | afftrack | ratio | notes |"
        echo "|---|---:|---:|---:|---|"
        local r a b c d e
        for r in "${ROWS[@]}"; do
            IFS='|' read -r a b c d e <<<"$r"
            echo "| $a | $b | $c | $d | $e |"
        done
        echo
        echo "Checks: $CHECKS_OK passed, $CHECKS_FAIL failed."
        for r in "${CHECK_LINES[@]}"; do [[ $r == FAIL* ]] && echo "* $r"; done
        for r in "${NOTES[@]}"; do echo "* note: $r"; done
        echo
        echo "<details><summary>Exact commands of this run</summary>"
        echo
        echo '```'
        for r in "${CMDS[@]}"; do echo "$r"; done
        echo '```'
        echo
        echo "</details>"
        echo "$end"
    } >"$sec"
    if [ ! -f "$doc" ]; then
        die "$doc is missing (it holds the method; bench/run.sh only rewrites its results sections)"
    fi
    if grep -qF "$begin" "$doc"; then
        awk -v b="$begin" -v e="$end" -v f="$sec" '
            $0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
            $0 == e { skip = 0; next }
            !skip { print }' "$doc" >"$TMP/doc.md"
    else
        { cat "$doc"; echo; cat "$sec"; } >"$TMP/doc.md"
    fi
    cp "$TMP/doc.md" "$doc"
    log "results written to $doc"
}
[ "${BENCH_DOCS:-1}" = 1 ] && write_docs

[ "$CHECKS_FAIL" -eq 0 ] || exit 1
exit 0
