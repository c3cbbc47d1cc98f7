-- bench/click.lua - wrk script for B1 (redirect ceiling).
--
--   wrk -t1 -c64 -d10s --latency -s bench/click.lua URL -- PATH CLICK_SECS TAIL_PATH
--
-- Sends GET PATH (default /r/alice?sub1=a&sub2=b) with a browser User-Agent and Referer
-- and counts the answers by status code in response(). After CLICK_SECS seconds (0: never)
-- it switches to GET TAIL_PATH (default /healthz), which records nothing: the clicks that
-- were in flight then are all answered (and counted) before wrk stops, so "clicks stored
-- == 302s counted" can be checked exactly instead of within +-connections. The click rate
-- is then 302s / CLICK_SECS window (measured here with CLOCK_MONOTONIC), not wrk's own
-- requests/sec, which would include the tail.
--
-- done() prints one line for bench/run.sh:
--   AFB s302=N s302_cookie=N s200=N other=N window=SECONDS rps=N p50_ms=X p99_ms=X
--   errors_connect=N errors_read=N errors_write=N errors_timeout=N
-- (p50/p99 are wrk's latency percentiles over every request, the short tail included.)

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

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    local path = args[1] or "/r/alice?sub1=a&sub2=b"
    click_secs = tonumber(args[2] or "0") or 0
    local tail_path = args[3] or "/healthz"
    wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 " ..
        "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
    wrk.headers["Referer"] = "https://blog.example.com/2024/05/best-running-shoes-review"
    wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    wrk.headers["Accept-Language"] = "en-US,en;q=0.9"
    click_req = wrk.format("GET", path)
    tail_req = wrk.format("GET", tail_path)
    t0 = 0
    t_switch = 0
    s302 = 0
    s302_cookie = 0
    s200 = 0
    other = 0
end

function request()
    if t0 == 0 then
        t0 = now()
    end
    if t_switch ~= 0 then
        return tail_req
    end
    if click_secs > 0 and now() - t0 >= click_secs then
        t_switch = now()
        return tail_req
    end
    return click_req
end

function response(status, headers, body)
    if status == 302 then
        s302 = s302 + 1
        local c = headers["set-cookie"] or headers["Set-Cookie"]
        if c ~= nil then
            s302_cookie = s302_cookie + 1
        end
    elseif status == 200 then
        s200 = s200 + 1
    else
        other = other + 1
    end
end

function done(summary, latency, requests)
    local a302, acookie, a200, aother, window = 0, 0, 0, 0, 0
    for _, t in ipairs(threads) do
        a302 = a302 + t:get("s302")
        acookie = acookie + t:get("s302_cookie")
        a200 = a200 + t:get("s200")
        aother = aother + t:get("other")
        local w = 0
        local sw, st = t:get("t_switch"), t:get("t0")
        if sw ~= 0 then
            w = sw - st
        end
        if w > window then
            window = w
        end
    end
    if window == 0 then
        window = summary.duration / 1e6
    end
    local e = summary.errors
    io.write(string.format("AFB s302=%d s302_cookie=%d s200=%d other=%d window=%.3f rps=%.0f " ..
        "p50_ms=%.3f p99_ms=%.3f errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d\n",
        a302, acookie, a200, aother, window, a302 / window, latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, e.connect, e.read, e.write, e.timeout))
end
