-- wrk script: etcd puts through the gRPC gateway, over keys bench0..bench<n-1>.
--   wrk -t1 -c16 -d10s -s etcd_put.lua http://LEADER -- NKEYS
-- Answers without a revision in their header are counted and printed at the end.
local counter = 0
failed = 0
local threads = {}
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function b64(s)
    local out = {}
    for i = 1, #s, 3 do
        local a, b, c = s:byte(i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        local chars = 4 - (b and 0 or 1) - (c and 0 or 1)
        for k = 1, 4 do
            local v = math.floor(n / 2 ^ (6 * (4 - k))) % 64
            out[#out + 1] = k <= chars and alphabet:sub(v + 1, v + 1) or "="
        end
    end
    return table.concat(out)
end

function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

function init(args)
    nkeys = tonumber(args[1] or "64")
    keys = {}
    for i = 0, nkeys - 1 do
        keys[i] = b64("bench" .. i)
    end
end

function request()
    counter = counter + 1
    local key = keys[(counter + id * 7919) % nkeys]
    local body = '{"key":"' .. key .. '","value":"' .. b64("d" .. id .. "n" .. counter) .. '"}'
    return wrk.format("POST", "/v3/kv/put", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
    if status ~= 200 or not string.find(body, '"revision"', 1, true) then
        failed = failed + 1
    end
end

function done(summary, latency, requests)
    local total = 0
    for _, t in ipairs(threads) do
        total = total + t:get("failed")
    end
    io.write(string.format("non-success answers: %d\n", total))
end
