// The PostgreSQL backend's migrations (see storage_impl.hpp).
#include <iterator>

#include "postgres/storage_impl.hpp"

namespace vipcore::postgres {

// Migrations, applied in order, each in the transaction that opens the
// storage: kMigrations[i] takes the schema from version i to version i + 1.
// Never edit a released entry; append a new one. Integers are bigint (one
// binary decoder reads them all); ids and tenant ids sort bytewise
// (COLLATE "C"), as in SQLite, whatever the database's locale.
const char* const kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE vip_schema (version bigint NOT NULL);
INSERT INTO vip_schema (version) VALUES (0);

CREATE TABLE vip_meta (
  scope text COLLATE "C" NOT NULL,
  key   text COLLATE "C" NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (scope, key)
);

CREATE TABLE vip_caller (
  tenant_id               text COLLATE "C" NOT NULL,
  id                      text COLLATE "C" NOT NULL,
  vip_level               bigint NOT NULL,
  status                  bigint NOT NULL,
  handling_rules          bigint NOT NULL,
  preferred_agent_id      text   NOT NULL,
  preferred_department_id text   NOT NULL,
  max_wait_time           bigint,
  callback_priority       bigint NOT NULL,
  tags                    text   NOT NULL,  -- JSON array
  valid_from              bigint,
  valid_until             bigint,
  created_at              bigint NOT NULL,
  updated_at              bigint NOT NULL,
  caller_name             bytea  NOT NULL,  -- sealed
  company_name            bytea,            -- sealed
  email                   bytea,            -- sealed
  account_number          bytea,            -- sealed
  account_value           bytea,            -- sealed
  notes                   bytea,            -- sealed
  custom_greeting         bytea,            -- sealed
  phones                  bytea  NOT NULL,  -- 32-byte keyed hashes, primary first
  phone_masks             text   NOT NULL,  -- masked display forms, comma-separated, same order
  integrity               bytea  NOT NULL,  -- IntegrityTag
  PRIMARY KEY (tenant_id, id)
);

-- The identify index: tenant + phone hash, unique.
CREATE TABLE vip_phone (
  tenant_id  text COLLATE "C" NOT NULL,
  phone_hash bytea NOT NULL,
  caller_id  text  NOT NULL,
  summary    bytea NOT NULL,  -- what identify needs about the caller, packed; sealed parts stay sealed
  PRIMARY KEY (tenant_id, phone_hash)
);

-- A caller's call counters, apart from vip_caller so that recording a call
-- never locks the caller's row (an administrator may be rewriting it).
CREATE TABLE vip_caller_stats (
  tenant_id          text COLLATE "C" NOT NULL,
  caller_id          text COLLATE "C" NOT NULL,
  total_calls        bigint NOT NULL,
  rated_calls        bigint NOT NULL,
  satisfaction_score double precision,
  PRIMARY KEY (tenant_id, caller_id)
);

CREATE TABLE vip_audit (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   text COLLATE "C" NOT NULL,
  at          bigint NOT NULL,
  actor_id    text   NOT NULL,
  role        bigint NOT NULL,
  action      text   NOT NULL,
  entity_type text   NOT NULL,
  entity_id   text   NOT NULL,
  fields      text   NOT NULL,  -- JSON array of field names
  outcome     text   NOT NULL
);
CREATE INDEX vip_audit_tenant_at ON vip_audit (tenant_id, at);

CREATE TABLE vip_rule (
  tenant_id          text COLLATE "C" NOT NULL,
  id                 text COLLATE "C" NOT NULL,
  name               text   NOT NULL,
  level_mask         bigint NOT NULL,  -- bit n = level n; 0 = every level
  max_wait_time      bigint,
  max_queue_position bigint,
  escalation_type    text   NOT NULL,
  tier               bigint NOT NULL,
  notify             bytea,            -- sealed notification targets
  is_active          bigint NOT NULL,
  priority           bigint NOT NULL,
  schedule           bigint NOT NULL,
  business_hours     text   NOT NULL,  -- '' = the tenant's
  created_at         bigint NOT NULL,
  updated_at         bigint NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE vip_trigger (
  tenant_id    text COLLATE "C" NOT NULL,
  call_id      text COLLATE "C" NOT NULL,
  rule_id      text COLLATE "C" NOT NULL,
  caller_id    text   NOT NULL,
  triggered_at bigint NOT NULL,
  notified_at  bigint,
  PRIMARY KEY (tenant_id, call_id, rule_id)
);
CREATE INDEX vip_trigger_tenant_time ON vip_trigger (tenant_id, triggered_at);

-- Call history: by tenant + time for reports, by caller for a caller's history.
CREATE TABLE vip_call (
  tenant_id             text COLLATE "C" NOT NULL,
  call_id               text COLLATE "C" NOT NULL,
  at                    bigint NOT NULL,
  caller_id             text COLLATE "C" NOT NULL,
  vip_level             bigint NOT NULL,  -- the level at the call
  handling_rules        bigint NOT NULL,  -- the rules applied
  wait_seconds          bigint NOT NULL,
  max_wait_time         bigint NOT NULL,  -- the caller's target at the call: the SLA
  escalation_triggered  bigint NOT NULL,
  satisfaction_rating   bigint,
  service_quality_score double precision,
  PRIMARY KEY (tenant_id, call_id)
);
CREATE INDEX vip_call_tenant_at ON vip_call (tenant_id, at);
CREATE INDEX vip_call_tenant_caller_at ON vip_call (tenant_id, caller_id, at);

-- Change generations: one counter per slot of GenerationTable (slot 1024:
-- the database's own scope), bumped by the commits that change what the
-- caches hold, announced by NOTIFY in the same transaction.
CREATE TABLE vip_generation (
  slot bigint PRIMARY KEY,
  gen  bigint NOT NULL
);
INSERT INTO vip_generation (slot, gen) SELECT s, 0 FROM generate_series(0, 1024) AS s;
)sql",
};
static_assert(std::size(kMigrations) == kPostgresSchemaVersion);

}  // namespace vipcore::postgres
