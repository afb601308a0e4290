-- Agent API reads spread over every stored conversation: GET /v1/conversations/{id}/messages for a
-- random conversation of the N that bench/seed-conversations.sql made. Arguments: API_KEY N.
local key, count

function init(args)
    key, count = args[1], tonumber(args[2])
    math.randomseed(os.time() + math.random(1, 1000000))
end

function request()
    local id = string.format("conv_%032x", math.random(0, count - 1))
    return wrk.format("GET", "/v1/conversations/" .. id .. "/messages?limit=50",
        { ["Authorization"] = "Bearer " .. key })
end

function response(status, headers, body)
    if status ~= 200 then failures = (failures or 0) + 1 end
end

function done(summary, latency, requests)
    io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
        summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
