-- Replays pre-signed Twilio webhooks (bench/inbound_requests.py) once each: every wrk thread
-- takes every Nth line, so no MessageSid is sent twice. Counts non-200 answers.
-- Arguments: FILE N [FIRST]: N threads in all (over every wrk process replaying FILE at once), this
-- process's first thread being number FIRST (default 0), so several wrk processes (one per node)
-- share the lines without sending one twice.
local requests, next_index, step, thread_count = {}, 1, 1, 0
local threads = {}

function setup(thread)
    thread:set("offset", thread_count)
    thread_count = thread_count + 1
    table.insert(threads, thread)
end

function init(args)
    step = tonumber(args[2])
    local first = tonumber(args[3] or "0")
    for line in io.lines(args[1]) do
        local tab = line:find("\t", 1, true)
        requests[#requests + 1] = { signature = line:sub(1, tab - 1), body = line:sub(tab + 1) }
    end
    next_index = first + offset + 1
    failures = 0
end

function request()
    local entry = requests[next_index]
    if entry == nil then
        entry = requests[1]
        exhausted = true
    end
    next_index = next_index + step
    return wrk.format("POST", "/v1/webhooks/twilio/inbound", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = entry.signature,
    }, entry.body)
end

function response(status, headers, body)
    if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
    local failed = 0
    for _, thread in ipairs(threads) do failed = failed + thread:get("failures") end
    io.write(string.format("RESULT requests=%d non200=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
        summary.requests, failed, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
