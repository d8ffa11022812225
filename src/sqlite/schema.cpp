// The SQLite backend's migrations (see schema.hpp).
#include "sqlite/schema.hpp"

#include <iterator>

namespace vipcore::sqlite {

// Migrations, applied in order: kMigrations[i] takes the schema from version
// i to version i + 1. Never edit a released entry; append a new one.
const char* const kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE vip_meta (
  scope TEXT NOT NULL,
  key   TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE TABLE vip_caller (
  tenant_id               TEXT    NOT NULL,
  id                      TEXT    NOT NULL,
  vip_level               INTEGER NOT NULL,
  status                  INTEGER NOT NULL,
  handling_rules          INTEGER NOT NULL,
  preferred_agent_id      TEXT    NOT NULL,
  preferred_department_id TEXT    NOT NULL,
  max_wait_time           INTEGER,
  callback_priority       INTEGER NOT NULL,
  tags                    TEXT    NOT NULL,
  total_calls             INTEGER NOT NULL,
  satisfaction_score      REAL,
  valid_from              INTEGER,
  valid_until             INTEGER,
  created_at              INTEGER NOT NULL,
  updated_at              INTEGER NOT NULL,
  caller_name             BLOB    NOT NULL,  -- sealed
  company_name            BLOB,              -- sealed
  email                   BLOB,              -- sealed
  account_number          BLOB,              -- sealed
  account_value           BLOB,              -- sealed
  notes                   BLOB,              -- sealed
  custom_greeting         BLOB,              -- sealed
  phones                  BLOB    NOT NULL,  -- 32-byte keyed hashes, primary first
  phone_masks             TEXT    NOT NULL,  -- masked display forms, comma-separated, same order
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE vip_phone (
  tenant_id  TEXT NOT NULL,
  phone_hash BLOB NOT NULL,
  caller_id  TEXT NOT NULL,
  summary    BLOB NOT NULL,  -- what identify needs about the caller, packed (encode_summary); sealed parts stay sealed
  PRIMARY KEY (tenant_id, phone_hash)
) WITHOUT ROWID;

CREATE TABLE vip_audit (
  seq         INTEGER PRIMARY KEY,
  tenant_id   TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  actor_id    TEXT    NOT NULL,
  role        INTEGER NOT NULL,
  action      TEXT    NOT NULL,
  entity_type TEXT    NOT NULL,
  entity_id   TEXT    NOT NULL,
  fields      TEXT    NOT NULL,  -- JSON array of field names
  outcome     TEXT    NOT NULL
);
CREATE INDEX vip_audit_tenant_at ON vip_audit (tenant_id, at);
)sql",
    // 1 -> 2: escalation rules and the triggers that make them fire once per call
    R"sql(
CREATE TABLE vip_rule (
  tenant_id          TEXT    NOT NULL,
  id                 TEXT    NOT NULL,
  name               TEXT    NOT NULL,
  level_mask         INTEGER NOT NULL,  -- bit n = level n; 0 = every level
  max_wait_time      INTEGER,
  max_queue_position INTEGER,
  escalation_type    TEXT    NOT NULL,
  tier               INTEGER NOT NULL,
  notify             BLOB,              -- sealed notification targets
  is_active          INTEGER NOT NULL,
  priority           INTEGER NOT NULL,
  schedule           INTEGER NOT NULL,
  business_hours     TEXT    NOT NULL,  -- '' = the tenant's
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE vip_trigger (
  tenant_id    TEXT    NOT NULL,
  call_id      TEXT    NOT NULL,
  rule_id      TEXT    NOT NULL,
  caller_id    TEXT    NOT NULL,
  triggered_at INTEGER NOT NULL,
  notified_at  INTEGER,
  PRIMARY KEY (tenant_id, call_id, rule_id)
) WITHOUT ROWID;
CREATE INDEX vip_trigger_tenant_time ON vip_trigger (tenant_id, triggered_at);
)sql",
    // 2 -> 3: call history, clustered by time so that reports over a date range read it in order
    R"sql(
ALTER TABLE vip_caller ADD COLUMN rated_calls INTEGER NOT NULL DEFAULT 0;

CREATE TABLE vip_call (
  tenant_id             TEXT    NOT NULL,
  at                    INTEGER NOT NULL,
  call_id               TEXT    NOT NULL,
  caller_id             TEXT    NOT NULL,
  vip_level             INTEGER NOT NULL,  -- the level at the call
  handling_rules        INTEGER NOT NULL,  -- the rules applied
  wait_seconds          INTEGER NOT NULL,
  max_wait_time         INTEGER NOT NULL,  -- the caller's target at the call: the SLA
  escalation_triggered  INTEGER NOT NULL,
  satisfaction_rating   INTEGER,
  service_quality_score REAL,
  PRIMARY KEY (tenant_id, at, call_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX vip_call_tenant_call ON vip_call (tenant_id, call_id);
CREATE INDEX vip_call_tenant_caller_at ON vip_call (tenant_id, caller_id, at);
)sql",
    // 3 -> 4: callers carry an integrity tag (tagged at the next Database::open when there are callers);
    // call history, triggers and call counters move to the activity file (copied there by
    // adopt_activity() before this runs). vip_caller's total_calls, satisfaction_score and
    // rated_calls are still written but no longer read.
    R"sql(
ALTER TABLE vip_caller ADD COLUMN integrity BLOB;  -- IntegrityTag; NULL until tagged
INSERT INTO vip_meta (scope, key, value) SELECT '', 'integrity.pending', '1' WHERE EXISTS (SELECT 1 FROM vip_caller);
DROP TABLE IF EXISTS vip_call;
DROP TABLE IF EXISTS vip_trigger;
)sql",
};
static_assert(std::size(kMigrations) == kSqliteSchemaVersion);

const char* const kActivityMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE vip_call (
  tenant_id             TEXT    NOT NULL,
  at                    INTEGER NOT NULL,
  call_id               TEXT    NOT NULL,
  caller_id             TEXT    NOT NULL,
  vip_level             INTEGER NOT NULL,  -- the level at the call
  handling_rules        INTEGER NOT NULL,  -- the rules applied
  wait_seconds          INTEGER NOT NULL,
  max_wait_time         INTEGER NOT NULL,  -- the caller's target at the call: the SLA
  escalation_triggered  INTEGER NOT NULL,
  satisfaction_rating   INTEGER,
  service_quality_score REAL,
  PRIMARY KEY (tenant_id, at, call_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX vip_call_tenant_call ON vip_call (tenant_id, call_id);
CREATE INDEX vip_call_tenant_caller_at ON vip_call (tenant_id, caller_id, at);

CREATE TABLE vip_trigger (
  tenant_id    TEXT    NOT NULL,
  call_id      TEXT    NOT NULL,
  rule_id      TEXT    NOT NULL,
  caller_id    TEXT    NOT NULL,
  triggered_at INTEGER NOT NULL,
  notified_at  INTEGER,
  PRIMARY KEY (tenant_id, call_id, rule_id)
) WITHOUT ROWID;
CREATE INDEX vip_trigger_tenant_time ON vip_trigger (tenant_id, triggered_at);

-- A caller's call counters (CallerRecord::total_calls, rated_calls, satisfaction_score).
CREATE TABLE vip_caller_stats (
  tenant_id          TEXT    NOT NULL,
  caller_id          TEXT    NOT NULL,
  total_calls        INTEGER NOT NULL,
  rated_calls        INTEGER NOT NULL,
  satisfaction_score REAL,
  PRIMARY KEY (tenant_id, caller_id)
) WITHOUT ROWID;
)sql",
};
static_assert(std::size(kActivityMigrations) == kActivitySchemaVersion);

}  // namespace vipcore::sqlite
