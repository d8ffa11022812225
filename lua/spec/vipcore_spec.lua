-- The vipcore Lua module, with busted, under each Lua the build has a module
-- for (ctest runs this file with lua5.1, luajit and lua5.4; LUA_CPATH finds
-- the module of that ABI, VIPCTL the vipctl that seeds the database).
local vipcore = require("vipcore")

local VIPCTL = assert(os.getenv("VIPCTL"), "VIPCTL must name the vipctl binary")

-- os.execute returns a number in 5.1 and true/nil in 5.2+.
local function run(cmd)
  local a, _, c = os.execute(cmd)
  if type(a) == "number" then return a == 0 end
  return a == true and (c == nil or c == 0)
end

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- The numbers below are invented (555-01xx); none is printed by a test.
local NUMBERS = {
  transfer = "+1 202 555 0101",
  dedicated = "+1 202 555 0102",
  queue = "+1 202 555 0103",
  silver = "+1 202 555 0104",
  suspended = "+1 202 555 0105",
  stranger = "+1 202 555 0199",
}

describe("vipcore Lua module (" .. _VERSION .. (jit and (", " .. jit.version) or "") .. ")", function()
  local dir, db_path, key_path
  local function vipctl(args)
    local cmd = string.format("VIPCTL_DB=%s VIPCTL_KEY_FILE=%s VIPCTL_TENANT=acme VIPCTL_ACTOR=spec %s %s >/dev/null",
                              quote(db_path), quote(key_path), quote(VIPCTL), args)
    assert(run(cmd), "vipctl " .. args:match("^%S+") .. " failed")
  end

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(run("mkdir -m 700 " .. quote(dir)))
    db_path, key_path = dir .. "/vip.db", dir .. "/vip.key"
    vipctl("init")
    vipctl("add --phone " .. quote(NUMBERS.transfer) .. " --name 'Ida Transfer' --level PLATINUM" ..
           " --rules IMMEDIATE_TRANSFER")
    vipctl("add --phone " .. quote(NUMBERS.dedicated) .. " --name 'Dana Dedicated' --level GOLD" ..
           " --rules DEDICATED_AGENT,CUSTOM_GREETING --agent agent-007 --greeting 'Welcome back'" ..
           " --department sales --max-wait 45")
    vipctl("add --phone " .. quote(NUMBERS.queue) .. " --name 'Quinn Queue' --level GOLD --rules PRIORITY_QUEUE")
    vipctl("add --phone " .. quote(NUMBERS.silver) .. " --name 'Sid Silver' --level SILVER")
    vipctl("add --phone " .. quote(NUMBERS.suspended) .. " --name 'Sue Suspended' --level DIAMOND" ..
           " --status SUSPENDED --rules IMMEDIATE_TRANSFER")
    vipctl("rules add --name 'Long wait' --max-wait 60 --type manager --email manager@example.com")
  end)

  teardown(function()
    if dir then run("rm -rf " .. quote(dir)) end
  end)

  local db, t
  before_each(function()
    db = assert(vipcore.open(db_path, key_path))
    t = assert(db:tenant("acme", "kamailio"))
  end)
  after_each(function()
    t:close()
    db:close()
  end)

  it("has a version", function()
    assert.is_string(vipcore.version)
    assert.truthy(vipcore.version:match("^%d+%.%d+%.%d+$"))
  end)

  describe("identify", function()
    it("returns a VIP's level, priority, rules as a set, agent, greeting and target wait", function()
      local who = assert(t:identify("(202) 555-0102"))
      assert.is_true(who.is_vip)
      assert.are.equal("VIP", who.match)
      assert.are.equal("GOLD", who.level)
      assert.are.same({DEDICATED_AGENT = true, CUSTOM_GREETING = true}, who.rules)
      assert.are.equal("agent-007", who.agent)
      assert.are.equal("sales", who.department)
      assert.are.equal("Welcome back", who.greeting)
      assert.are.equal(45, who.max_wait)
      assert.is_string(who.caller_id)
      assert.is_true(who.priority > 0 and who.priority <= 100)
      assert.are.equal(who.priority, t:routing_priority("GOLD", {DEDICATED_AGENT = true, CUSTOM_GREETING = true}))
    end)

    it("reads any format of the number", function()
      local a = assert(t:identify("+1 202 555 0101"))
      local b = assert(t:identify("011 1 202 555 0101"))
      assert.are.equal(a.caller_id, b.caller_id)
      assert.are.same({IMMEDIATE_TRANSFER = true}, a.rules)
      assert.are.equal("PLATINUM", a.level)
    end)

    it("leaves unset fields nil and gives a SILVER VIP no rules", function()
      local who = assert(t:identify(NUMBERS.silver))
      assert.is_true(who.is_vip)
      assert.are.equal("SILVER", who.level)
      assert.are.same({}, who.rules)
      assert.is_nil(who.agent)
      assert.is_nil(who.greeting)
    end)

    it("says a stranger is not a VIP, and why", function()
      local who = assert(t:identify(NUMBERS.stranger))
      assert.is_false(who.is_vip)
      assert.are.equal("NOT_FOUND", who.match)
      assert.are.equal(0, who.priority)
      assert.is_nil(who.caller_id)
    end)

    it("says a suspended VIP is not a VIP now", function()
      local who = assert(t:identify(NUMBERS.suspended))
      assert.is_false(who.is_vip)
      assert.are.equal("SUSPENDED", who.match)
    end)

    it("returns nil, message, code for a malformed number, without the number", function()
      local who, message, code = t:identify("not a 5550 number")
      assert.is_nil(who)
      assert.are.equal("invalid_argument", code)
      assert.is_string(message)
      assert.is_nil(message:find("5550", 1, true))
    end)

    it("sees a change vipctl commits, at the next identify", function()
      local before = assert(t:identify(NUMBERS.silver))
      vipctl("update " .. quote(before.caller_id) .. " --level GOLD --rules PRIORITY_QUEUE")
      local after = assert(t:identify(NUMBERS.silver))
      assert.are.equal("GOLD", after.level)
      assert.are.same({PRIORITY_QUEUE = true}, after.rules)
      vipctl("update " .. quote(before.caller_id) .. " --level SILVER --rules ''")
      assert.are.equal("SILVER", assert(t:identify(NUMBERS.silver)).level)
    end)
  end)

  describe("routing", function()
    it("plans a transfer to the dedicated agent when free, and a wait when busy", function()
      local who = assert(t:identify(NUMBERS.dedicated))
      local plan = assert(t:routing_plan(who, {free_agents = {"agent-001", "agent-007"}, inside_business_hours = true}))
      assert.are.equal("TRANSFER", plan.action)
      assert.are.equal("agent-007", plan.target_agent)
      assert.are.equal("Welcome back", plan.greeting)
      plan = assert(t:routing_plan(who, {free_agents = {"agent-001"}, inside_business_hours = true}))
      assert.are.equal("WAIT_FOR_AGENT", plan.action)
      assert.are.equal("agent-007", plan.target_agent)
      assert.is_true(plan.wait_seconds > 0)
    end)

    it("queues a PRIORITY_QUEUE VIP at the front, with the Asterisk and FreeSWITCH forms", function()
      local plan = assert(t:routing_plan(NUMBERS.queue, {inside_business_hours = true}))
      assert.are.equal("QUEUE", plan.action)
      assert.is_true(plan.is_vip)
      assert.is_true(plan.front_of_queue)
      assert.is_true(plan.queue_priority > 0)
      assert.is_number(plan.queue_prio)
      assert.is_number(plan.cc_base_score)
      assert.is_string(plan.reason)
      -- the same plan from the identify table as from the number
      local again = assert(t:routing_plan(assert(t:identify(NUMBERS.queue)), {inside_business_hours = true}))
      assert.are.same(plan, again)
    end)

    it("plans a closed line outside business hours", function()
      local plan = assert(t:routing_plan(NUMBERS.stranger, {inside_business_hours = false}))
      assert.are.equal("AFTER_HOURS", plan.action)
      assert.is_false(plan.is_vip)
    end)

    it("raises the dynamic priority as the caller waits", function()
      local who = assert(t:identify(NUMBERS.queue))
      local start = assert(t:dynamic_priority(who, 0))
      local late = assert(t:dynamic_priority(who, 3600))
      assert.are.equal(who.priority, start)
      assert.is_true(late > start)
      assert.is_true(late <= 100)
    end)
  end)

  describe("escalation and call history", function()
    it("triggers a rule once per call id", function()
      local who = assert(t:identify(NUMBERS.dedicated))
      local first = assert(t:escalation_check(who, 120, 2, "call-lua-1"))
      assert.is_true(first.should_escalate)
      assert.are.equal(3, first.highest_tier)
      assert.are.equal("manager", first.highest_type)
      assert.are.equal(1, #first.triggered)
      assert.are.equal("Long wait", first.triggered[1].rule_name)
      assert.is_false(first.triggered[1].already)
      assert.is_true(first.triggered[1].wait_exceeded)
      local second = assert(t:escalation_check(who.caller_id, 130, 2, "call-lua-1"))
      assert.is_true(second.triggered[1].already)
      local calm = assert(t:escalation_check(who, 10, 1))
      assert.is_false(calm.should_escalate)
      assert.are.same({}, calm.triggered)
    end)

    it("records a call once, and refuses the same call id again", function()
      local who = assert(t:identify(NUMBERS.queue))
      assert.is_true(t:record_call{call_id = "call-lua-2", caller_id = who.caller_id, rules = who.rules,
                                   wait_seconds = 12, rating = 5, quality = 92.5})
      local ok, message, code = t:record_call{call_id = "call-lua-2", caller_id = who.caller_id}
      assert.is_nil(ok)
      assert.is_string(message)
      assert.are.equal("already_exists", code)
      ok, message, code = t:record_call{call_id = "call-lua-3", caller_id = who.caller_id, rating = 9}
      assert.is_nil(ok)
      assert.are.equal("invalid_argument", code)
      assert.truthy(message:find("rating", 1, true))
    end)
  end)

  describe("failures return nil, message, code", function()
    it("a wrong key", function()
      local wrong, message, code = vipcore.open(db_path, nil, {key = string.rep("k", 32)})
      assert.is_nil(wrong)
      assert.are.equal("key", code)
      assert.is_string(message)
    end)

    it("a missing file that may not be created", function()
      local missing, message, code = vipcore.open(dir .. "/missing.db", key_path, {create = false})
      assert.is_nil(missing)
      assert.is_string(message)
      assert.is_string(code)
      assert.are_not.equal("ok", code)
    end)

    it("a bad tenant id", function()
      local bad, message, code = db:tenant("", "kamailio")
      assert.is_nil(bad)
      assert.are.equal("invalid_argument", code)
      assert.is_string(message)
    end)

    it("a role that may not do it", function()
      local auditor = assert(db:tenant("acme", "spec", "AUDITOR"))
      local ok, _, code = auditor:record_call{call_id = "call-lua-4", caller_id = "x"}
      assert.is_nil(ok)
      assert.are.equal("permission_denied", code)
      auditor:close()
    end)
  end)

  describe("misuse raises", function()
    it("wrong argument types", function()
      assert.has_error(function() t:identify({}) end)
      assert.has_error(function() t:identify() end)
      assert.has_error(function() t:routing_plan(42 == 42) end)
      assert.has_error(function() t:routing_plan(NUMBERS.queue, {waited_seconds = "long"}) end)
      assert.has_error(function() t:routing_plan(NUMBERS.queue, {free_agents = {1, 2}}) end)
      assert.has_error(function() t:dynamic_priority(NUMBERS.queue, "soon") end)
      assert.has_error(function() t:escalation_check(NUMBERS.queue, "long", 1) end)
      assert.has_error(function() t:record_call("call") end)
      assert.has_error(function() vipcore.open(42 == 42, key_path) end)
      assert.has_error(function() db.tenant(t, "acme", "x") end) -- a tenant is not a database
    end)

    it("unknown names and options", function()
      assert.has_error(function() vipcore.open(db_path, key_path, {create_if_missin = true}) end)
      assert.has_error(function() vipcore.open(db_path, key_path, {busy_timeout_ms = -1}) end)
      assert.has_error(function() vipcore.open(db_path, key_path, {key = string.rep("k", 32)}) end)
      assert.has_error(function() vipcore.open(db_path) end)
      assert.has_error(function() db:tenant("acme", "kamailio", "ROOT") end)
      assert.has_error(function() t:routing_priority("BRONZE") end)
      assert.has_error(function() t:routing_priority("GOLD", {FAST_LANE = true}) end)
      assert.has_error(function() t:routing_plan({is_vip = true, level = "GOLD", rules = {NOPE = true}}) end)
      assert.has_error(function() t:routing_plan({is_vip = true, agent = string.rep("a", 200)}) end)
      assert.has_error(function() t:record_call{call_id = "c", colour = "red"} end)
    end)

    it("with messages that name the argument and the field", function()
      local ok, err = pcall(vipcore.open, db_path, key_path, {busy_timeout_ms = -1})
      assert.is_false(ok)
      assert.matches("bad argument #3", err, 1, true)
      assert.matches("field 'busy_timeout_ms' must be an integer from 0 to 2147483647", err, 1, true)
      ok, err = pcall(vipcore.open, db_path, key_path, {create_if_missin = true})
      assert.matches("unknown field 'create_if_missin'", err, 1, true)
      ok, err = pcall(t.routing_plan, t, NUMBERS.queue, {free_agents = {"a", 7}})
      assert.matches("free_agents[2] must be a string", err, 1, true)
      ok, err = pcall(t.record_call, t, {call_id = "c", rules = {PRIORITY_QUEUE = true, FAST = true}})
      assert.matches("field 'rules': unknown rule 'FAST'", err, 1, true)
      ok, err = pcall(t.routing_plan, t, {level = 3})
      assert.matches("field 'level' must be a string, not number", err, 1, true)
      ok, err = pcall(vipcore.open_memory, nil, {key = string.rep("k", 32), cache_bytes = 0.5})
      assert.matches("field 'cache_bytes' must be an integer from 0 to", err, 1, true)
    end)

    it("a closed handle, while close stays idempotent", function()
      local other = assert(db:tenant("acme", "kamailio"))
      other:close()
      other:close()
      local ok, err = pcall(other.identify, other, NUMBERS.queue)
      assert.is_false(ok)
      assert.matches("the vipcore tenant is closed", err)
      local db2 = assert(vipcore.open(db_path, key_path))
      local t2 = assert(db2:tenant("acme", "kamailio"))
      db2:close()
      db2:close()
      assert.has_error(function() db2:tenant("acme", "kamailio") end)
      -- a tenant outlives the database handle it came from
      assert.is_true(assert(t2:identify(NUMBERS.queue)).is_vip)
      t2:close()
      assert.matches("closed", tostring(db2))
    end)
  end)

  describe("handles", function()
    it("are closed by the garbage collector", function()
      for _ = 1, 50 do
        local d = assert(vipcore.open(db_path, key_path))
        local tt = assert(d:tenant("acme", "kamailio"))
        assert(tt:identify(NUMBERS.transfer))
      end
      collectgarbage()
      collectgarbage()
    end)

    it("open an in-memory database for tests", function()
      local mem = assert(vipcore.open_memory(nil, {key = string.rep("m", 32)}))
      local mt = assert(mem:tenant("acme", "spec", "ADMIN"))
      assert.are.equal("NOT_FOUND", assert(mt:identify(NUMBERS.queue)).match)
      assert.matches("vipcore_", assert(mem:metrics_prometheus()))
      mt:close()
      mem:close()
    end)

    if _VERSION == "Lua 5.4" then
      it("close as to-be-closed variables", function()
        local chunk = assert(load([[
          local vipcore, db_path, key_path = ...
          local d <close> = assert(vipcore.open(db_path, key_path))
          return d
        ]]))
        local d = chunk(vipcore, db_path, key_path)
        assert.matches("closed", tostring(d))
      end)
    end
  end)
end)
