-- Agent API requests spread over every stored conversation (the N that bench/seed-conversations.sql
-- made), each to a random one. Arguments: API_KEY N MODE, where MODE is
--   read:  GET /v1/conversations/{id}/messages?limit=50
--   reply: POST /v1/conversations/{id}/messages (an agent's reply, stored and shown in the widget)
local key, count, mode

function init(args)
    key, count, mode = args[1], tonumber(args[2]), args[3] or "read"
    math.randomseed(os.time() + math.random(1, 1000000))
end

function request()
    local path = string.format("/v1/conversations/conv_%032x/messages", math.random(0, count - 1))
    if mode == "reply" then
        return wrk.format("POST", path, { ["Authorization"] = "Bearer " .. key,
            ["Content-Type"] = "application/json" }, '{"body":"It left the warehouse today.","author":"agent"}')
    end
    return wrk.format("GET", path .. "?limit=50", { ["Authorization"] = "Bearer " .. key })
end

function done(summary, latency, requests)
    io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
        summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
