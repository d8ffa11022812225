-- Every function of the vipcore Lua module, on its success and failure
-- paths (runtime failures and raised misuse errors), with handles closed
-- explicitly and left to the garbage collector. Run under valgrind by ctest
-- ("lua: nothing leaks"): the C API's results must be freed on every path.
-- Needs VIPCTL (the vipctl binary) and LUA_CPATH (the module); the numbers are invented.
local vipcore = require("vipcore")
local VIPCTL = assert(os.getenv("VIPCTL"), "VIPCTL must name the vipctl binary")
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -m 700 '" .. dir .. "'"))
local env = string.format("VIPCTL_DB='%s/vip.db' VIPCTL_KEY_FILE='%s/vip.key' VIPCTL_TENANT=acme '%s' ", dir, dir, VIPCTL)
assert(os.execute(env .. "init >/dev/null"))
assert(os.execute(env .. "add --phone '+1 202 555 0102' --name 'Dana' --level GOLD --rules DEDICATED_AGENT,PRIORITY_QUEUE" ..
                  " --agent agent-007 --greeting hello >/dev/null"))
assert(os.execute(env .. "rules add --name 'Long wait' --max-wait 60 --type manager >/dev/null"))

local db = assert(vipcore.open(dir .. "/vip.db", dir .. "/vip.key"))
local t = assert(db:tenant("acme", "leaks", "ADMIN"))
for i = 1, 3 do
  local who = assert(t:identify("202-555-0102"))
  assert(t:routing_plan(who, {free_agents = {"agent-001", "agent-007"}, inside_business_hours = true}))
  assert(t:routing_plan("202-555-0102"))
  assert(t:dynamic_priority(who, 30))
  assert(t:routing_priority("GOLD", {PRIORITY_QUEUE = true}))
  assert(t:escalation_check(who, 500, 3, "leak-" .. i))
  assert(t:escalation_check(who.caller_id, 500, 3))
  assert(t:record_call{call_id = "leak-" .. i, caller_id = who.caller_id, rules = who.rules, quality = 50})
  assert(db:metrics_prometheus())
  -- runtime failures
  assert(not t:escalation_check("no-such-id", 500, 3))
  assert(not t:identify("garbage"))
  assert(not t:routing_plan("garbage"))
  assert(not t:record_call{call_id = "leak-x", caller_id = who.caller_id, rating = 99})
  assert(not vipcore.open(dir .. "/vip.db", nil, {key = string.rep("x", 32)}))
  assert(not db:tenant("", "leaks"))
  -- misuse
  assert(not pcall(t.routing_plan, t, {rules = {NOPE = true}}))
  assert(not pcall(t.routing_plan, t, "202-555-0102", {free_agents = {1}}))
  assert(not pcall(t.escalation_check, t, {level = 1}, 1, 1))
  assert(not pcall(vipcore.open, dir .. "/vip.db", dir .. "/vip.key", {bogus = 1}))
  -- handles left to the garbage collector, and closed twice
  local d2 = assert(vipcore.open(dir .. "/vip.db", dir .. "/vip.key"))
  local t2 = assert(d2:tenant("acme", "leaks"))
  assert(t2:identify("202-555-0102"))
  local m = assert(vipcore.open_memory(nil, {key = string.rep("m", 32)}))
  m:close()
  m:close()
end
t:close()
db:close()
collectgarbage()
collectgarbage()
os.execute("rm -rf '" .. dir .. "'")
print("leak check done")
