-- GET /v1/conversations pages at random places of the N conversations bench/seed-conversations.sql
-- made (the cursor is the list's seq). Arguments: API_KEY N LIMIT.
local key, count, limit

function init(args)
    key, count, limit = args[1], tonumber(args[2]), tonumber(args[3])
    math.randomseed(os.time() + math.random(1, 1000000))
end

function request()
    local path = string.format("/v1/conversations?limit=%d&after=%d", limit, math.random(0, count - limit))
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
end

function done(summary, latency, requests)
    io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
        summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
