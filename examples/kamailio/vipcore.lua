-- vipcore.lua: the VIP routing of kamailio.cfg, for Kamailio's app_lua.
--
-- kamailio.cfg calls vipcore_route() for each new INVITE, after setting
-- $var(vipcore_db), $var(vipcore_key_file), $var(vipcore_tenant),
-- $var(vipcore_agent_target), $var(vipcore_agent_domain) and
-- $var(vipcore_queue_target). It identifies the caller (the user of
-- P-Asserted-Identity, else of From), and for a VIP:
--   - adds X-VIP-Level and X-VIP-Priority, and X-VIP-Greeting and X-VIP-Agent
--     when the caller has a custom greeting or a preferred agent;
--   - DEDICATED_AGENT (with a preferred agent): to sip:<agent id>@<agent domain>;
--     otherwise IMMEDIATE_TRANSFER: to the agent target; any other VIP: to the
--     priority queue target.
-- A non-VIP call is left untouched. Nothing here can fail a call: every
-- vipcore failure (and any Lua error) is logged, and the call is routed as a
-- non-VIP one. Logs never carry the caller's number or name.
--
-- app_lua gives each Kamailio worker process its own Lua state, so the
-- handle below is one per worker: opened at its first call, kept for the
-- life of the process (vipcore sees every change committed by any process,
-- vipctl included, at the next identify).

local have_vipcore, vipcore = pcall(require, "vipcore")

local ACTOR = "kamailio"   -- who this PBX is, in vipcore's audit trail
local RETRY_SECONDS = 10   -- after a failed open, how long to route without vipcore

local handle = nil         -- this worker's vipcore tenant
local retry_at = 0

local function log_err(message) KSR.err("vipcore: " .. message .. "\n") end
local function log_info(message) KSR.info("vipcore: " .. message .. "\n") end

-- This worker's tenant handle, opened on first use; nil while vipcore cannot be used.
local function tenant()
  if handle then return handle end
  if not have_vipcore then
    if retry_at == 0 then log_err("the vipcore Lua module cannot be loaded: " .. tostring(vipcore)) end
    retry_at = 1
    return nil
  end
  if os.time() < retry_at then return nil end
  local db, message, code = vipcore.open(KSR.pv.get("$var(vipcore_db)"), KSR.pv.get("$var(vipcore_key_file)"),
                                         {create = false})
  if not db then
    retry_at = os.time() + RETRY_SECONDS
    log_err("cannot open the database (" .. code .. "): " .. message .. "; calls are routed without vipcore")
    return nil
  end
  local t
  t, message, code = db:tenant(KSR.pv.get("$var(vipcore_tenant)"), ACTOR, "SYSTEM")
  db:close() -- the tenant keeps the database open
  if not t then
    retry_at = os.time() + RETRY_SECONDS
    log_err("cannot open the tenant (" .. code .. "): " .. message .. "; calls are routed without vipcore")
    return nil
  end
  handle = t
  return handle
end

-- The user part of a sip:, sips: or tel: URI.
local function uri_user(uri)
  if not uri then return nil end
  return uri:match("^%s*<?%s*sips?:([^@;>]+)@") or uri:match("^%s*<?%s*tel:([^;>]+)")
end

-- A header value: one line, printable, bounded.
local function header_value(text)
  return (text:gsub("[%c]", " "):sub(1, 256))
end

-- An agent id as the user part of a SIP URI.
local function uri_escape(text)
  return (text:gsub("[^%w%-_%.!~%*'%(%)]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function route()
  local t = tenant()
  if not t then return end
  local number = uri_user(KSR.pv.get("$ai")) or KSR.pv.get("$fU")
  if not number or number == "" then return end
  local who, message, code = t:identify(number)
  if not who then
    if code == "invalid_argument" then
      log_info("the caller id of call " .. KSR.pv.get("$ci") .. " is not a phone number; routed as a non-VIP")
    else
      log_err("identify failed (" .. code .. "): " .. message .. "; call " .. KSR.pv.get("$ci") ..
              " routed as a non-VIP")
    end
    return
  end
  if not who.is_vip then return end

  KSR.hdr.append("X-VIP-Level: " .. who.level .. "\r\n")
  KSR.hdr.append("X-VIP-Priority: " .. tostring(who.priority) .. "\r\n")
  if who.greeting then KSR.hdr.append("X-VIP-Greeting: " .. header_value(who.greeting) .. "\r\n") end
  if who.agent then KSR.hdr.append("X-VIP-Agent: " .. header_value(who.agent) .. "\r\n") end

  local target
  if who.rules.DEDICATED_AGENT and who.agent then
    target = "sip:" .. uri_escape(who.agent) .. "@" .. KSR.pv.get("$var(vipcore_agent_domain)")
  elseif who.rules.IMMEDIATE_TRANSFER then
    target = KSR.pv.get("$var(vipcore_agent_target)")
  else
    target = KSR.pv.get("$var(vipcore_queue_target)")
  end
  KSR.pv.sets("$ru", target)
  KSR.pv.sets("$du", target)
end

-- Called by kamailio.cfg: lua_run("vipcore_route"). Always succeeds.
function vipcore_route()
  local ok, err = pcall(route)
  if not ok then log_err("routing script error, call routed as a non-VIP: " .. tostring(err)) end
  return 1
end
