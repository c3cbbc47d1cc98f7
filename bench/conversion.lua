-- bench/conversion.lua - wrk script for B2 (durable conversions).
--
--   wrk -t1 -c64 -d10s --latency -s bench/conversion.lua URL -- PREFIX KEY CONV_SECS [CLICK_ID_FILE] [MODE]
--
-- MODE "postback" (what B2 measures: the server-to-server postback endpoint): GET
-- /postback?token=KEY&order_id=...&amount=10.00&coupon=ALICE10[&click_id=...], KEY being
-- the program's postback token. MODE "api" (default): POST /v1/conversions with the JSON
-- body {"program_id":1, "order_id", "amount":"10.00", "coupon":"ALICE10"[, "click_id"]}
-- as the admin, KEY being the admin key. Each request is a new order
-- (PREFIX-THREAD-COUNTER; run.sh makes PREFIX random per run). With
-- CLICK_ID_FILE (one stored click id a line) each conversion also names one of those
-- clicks, round robin, so attribution goes through the click-id lookup (BENCH.md: "against
-- existing click ids"); without it the coupon attributes it.
-- After CONV_SECS seconds it switches to GET /healthz (records nothing), so every
-- conversion in flight is answered before wrk stops and "stored == 2xx" holds exactly;
-- the rate is 201s / CONV_SECS window.
--
-- done() prints one line for bench/run.sh:
--   AFB s201=N s200=N s2xx=N other=N window=SECONDS rps=N p50_ms=X p99_ms=X errors_...=N
-- s200 counts answers to /healthz and idempotent replays (there should be none: a replay
-- would mean a duplicate order id); s201 are new conversions.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } afb_timespec;
int clock_gettime(int clk, afb_timespec *ts);
]]
local ts = ffi.new("afb_timespec")
local function now()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}
local next_id = 0

function setup(thread)
    next_id = next_id + 1
    thread:set("tid", next_id)
    table.insert(threads, thread)
end

function init(args)
    prefix = args[1] or "B2"
    local key = args[2] or ""
    conv_secs = tonumber(args[3] or "0") or 0
    clicks = {}
    if args[4] ~= nil and args[4] ~= "" then
        for line in io.lines(args[4]) do
            if #line > 0 then
                table.insert(clicks, line)
            end
        end
    end
    mode = args[5] or "api"
    if mode == "postback" then
        token = key
    else
        wrk.headers["Authorization"] = "Bearer " .. key
        wrk.headers["Content-Type"] = "application/json"
    end
    tail_req = wrk.format("GET", "/healthz")
    counter = 0
    replays = 0
    t0 = 0
    t_switch = 0
    s201 = 0
    s200 = 0
    s2xx = 0
    other = 0
end

function request()
    if t0 == 0 then
        t0 = now()
    end
    if t_switch ~= 0 then
        return tail_req
    end
    if conv_secs > 0 and now() - t0 >= conv_secs then
        t_switch = now()
        return tail_req
    end
    counter = counter + 1
    if mode == "postback" then
        local click = ""
        if #clicks > 0 then
            click = "&click_id=" .. clicks[(counter % #clicks) + 1]
        end
        return wrk.format("GET", string.format("/postback?token=%s&order_id=%s-%d-%d&amount=10.00&coupon=ALICE10%s",
            token, prefix, tid, counter, click))
    end
    local click = ""
    if #clicks > 0 then
        click = string.format(',"click_id":"%s"', clicks[(counter % #clicks) + 1])
    end
    local body = string.format(
        '{"program_id":1,"order_id":"%s-%d-%d","amount":"10.00","coupon":"ALICE10"%s}',
        prefix, tid, counter, click)
    return wrk.format("POST", "/v1/conversions", nil, body)
end

function response(status, headers, body)
    if status == 201 then
        s201 = s201 + 1
    elseif status == 200 then
        s200 = s200 + 1
        if headers["Idempotent-Replayed"] or headers["idempotent-replayed"] then
            replays = replays + 1
        end
    elseif status >= 200 and status < 300 then
        s2xx = s2xx + 1
    else
        other = other + 1
        if other <= 3 then
            io.stderr:write("conversion.lua: status " .. status .. ": " .. body .. "\n")
        end
    end
end

function done(summary, latency, requests)
    local a201, a200, a2xx, aother, areplay, sent, window = 0, 0, 0, 0, 0, 0, 0
    for _, t in ipairs(threads) do
        a201 = a201 + t:get("s201")
        a200 = a200 + t:get("s200")
        a2xx = a2xx + t:get("s2xx")
        aother = aother + t:get("other")
        areplay = areplay + t:get("replays")
        sent = sent + t:get("counter")
        local sw, st = t:get("t_switch"), t:get("t0")
        if sw ~= 0 and sw - st > window then
            window = sw - st
        end
    end
    if window == 0 then
        window = summary.duration / 1e6
    end
    local e = summary.errors
    io.write(string.format("AFB s201=%d s200=%d s2xx=%d other=%d replays=%d sent=%d window=%.3f rps=%.0f " ..
        "p50_ms=%.3f p99_ms=%.3f errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d\n",
        a201, a200, a2xx, aother, areplay, sent, window, a201 / window, latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, e.connect, e.read, e.write, e.timeout))
end
