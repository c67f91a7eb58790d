-- wrk script for bench/serve-load: POST {"instances": [...]} to :predict, INSTANCES instances of 784 values each
-- (three decimals, as a 28x28 image's pixels / 255). Environment: INSTANCES (default 1).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = tonumber(os.getenv("INSTANCES") or "1")
local list = {}
for i = 1, n do
    local vals = {}
    for k = 1, 784 do vals[k] = string.format("%.3f", ((i * 31 + k * 7) % 256) / 255) end
    list[i] = "[" .. table.concat(vals, ",") .. "]"
end
wrk.body = '{"instances": [' .. table.concat(list, ",") .. ']}'

-- SHOW_ERRORS=1 prints the first non-200 answers. Off by default: a Lua response() callback makes wrk hand every
-- response to Lua, which costs the load generator (on the same 2 cores as the server) about a third of its
-- throughput; wrk still counts non-2xx answers, which serve-load reports and fails on.
if os.getenv("SHOW_ERRORS") == "1" then
    local failed = 0
    response = function(status, headers, body)
        if status ~= 200 then
            failed = failed + 1
            if failed <= 3 then io.stderr:write("serve-load: HTTP " .. status .. ": " .. body .. "\n") end
        end
    end
end
