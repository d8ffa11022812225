/* pbx_call_handler — the VIP part of a PBX's call handler, in C.
 *
 * Copy handle_call() and what it calls into your PBX. For each incoming
 * call it does what a PBX needs from vipcore, in order:
 *
 *   1. identify the caller by number (any format the trunk presents);
 *   2. ask for a routing plan (transfer, hold for the dedicated agent, queue,
 *      or closed), given which agents are free;
 *   3. while the caller waits, poll the escalation check every few seconds;
 *      vipcore calls the notifier below when a rule triggers, once per call
 *      and rule;
 *   4. record the call when it ends, for the analytics.
 *
 * Whenever vipcore returns an error the call is routed normally: a VIP
 * lookup must never be the reason a call is dropped.
 *
 * Usage:
 *   pbx_call_handler                         a temporary database with three invented VIPs
 *   pbx_call_handler DB_FILE KEY_FILE [TENANT]   an existing database (tenant "acme" by
 *                                            default); the simulated calls are recorded in it
 *
 * Time is simulated: the handler "waits" by adding seconds, where a real PBX
 * would arm a timer. The numbers below are invented; the program prints no
 * other number, and never a key. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vipcore.h"

/* How often the PBX asks whether a waiting VIP must be escalated. A few
 * seconds is enough: rules are written in tens of seconds, and each check
 * costs about as much as an identify. */
#define POLL_SECONDS 5

/* ------------------------------------------------------- the simulated PBX */

/* One incoming call, as the PBX's call-control layer sees it. */
typedef struct simulated_call {
  const char *suffix;       /* the PBX's call id, after this run's prefix */
  const char *number;       /* as the trunk presents it: formats vary */
  int open;                 /* 1 inside business hours, 0 outside */
  int agent_free_at;        /* seconds until agent-001 is free (0: free now) */
  int queue_position;
  int rating;               /* the post-call survey, 1-5 (0: none) */
} simulated_call;

static const simulated_call kCalls[] = {
    {"1001", "011 1 234 567 8900", 1, 40, 2, 4},   /* John Doe (GOLD), in another format */
    {"1002", "+1 345 678 9012", 1, 0, 1, 5},     /* Sarah Johnson: her dedicated agent is busy */
    {"1003", "(456) 789-0123", 1, 0, 1, 5},      /* Michael Chen (DIAMOND): straight through */
    {"1004", "+1 800 555 0199", 1, 0, 3, 0},     /* not a VIP */
    {"1005", "anonymous", 1, 0, 1, 0},           /* caller id withheld */
    {"1006", "+1 (234) 567-8900", 0, 0, 1, 0},   /* John Doe again, at night */
};

/* The agents free `waited` seconds into the call. agent-007, Sarah's
 * dedicated agent, is always busy here, so her plan falls back. */
static size_t free_agents(const simulated_call *call, int waited, const char *const **agents) {
  static const char *const kAgent001[] = {"agent-001"};
  *agents = kAgent001;
  return waited >= call->agent_free_at ? 1 : 0;
}

static const char *level_name(int level) {
  static const char *const kNames[] = {"STANDARD", "SILVER", "GOLD", "PLATINUM", "DIAMOND"};
  return level >= 0 && level < 5 ? kNames[level] : "?";
}

/* ------------------------------------------------------------ the notifier */

/* vipcore calls this from the thread that runs the escalation check, after
 * the trigger is stored. Keep it quick: a real PBX hands the notice to its
 * mailer/SMS queue and returns. Returning nonzero makes the next check of
 * the same call try again. The pointers live only during the call, so copy
 * what you queue. */
static int notify_supervisors(void *user_data, const vipcore_escalation_notice *n) {
  size_t i;
  (void)user_data;
  printf("    >> escalate (%s, tier %d, rule \"%s\"): %s (%s) has waited %d s at position %d\n", n->escalation_type,
         n->tier, n->rule_name, n->caller_name, level_name(n->vip_level), n->wait_seconds, n->queue_position);
  for (i = 0; i < n->email_count; ++i) printf("       e-mail %s\n", n->emails[i]);
  for (i = 0; i < n->internal_alert_count; ++i) printf("       alert  %s\n", n->internal_alerts[i]);
  /* SMS targets are phone numbers: hand them to the gateway, keep them out of logs. */
  if (n->sms_count > 0) printf("       SMS to %zu number(s)\n", n->sms_count);
  return 0;
}

/* ------------------------------------------------------------ call handling */

static void route_normally(const char *why) { printf("  -> the regular queue (%s)\n", why); }

/* Asks vipcore how to route the VIP now. 0 on failure (already reported). */
static int plan_route(vipcore_tenant *pbx, const vipcore_identification *who, const simulated_call *call,
                      int waited, vipcore_routing_plan *plan) {
  vipcore_pbx_state state;
  vipcore_pbx_state_init(&state);
  state.free_agent_count = free_agents(call, waited, &state.free_agents);
  /* A real PBX leaves this at -1 so that the tenant's business hours (in
   * its time zone) decide; the simulation forces day and night. */
  state.inside_business_hours = call->open;
  state.waited_seconds = waited;
  if (vipcore_plan_route(plan, pbx, who, &state) == VIPCORE_OK) return 1;
  printf("  vipcore: %s\n", vipcore_last_error());
  return 0;
}

/* Holds the caller from `waited` up to `until` seconds (or until agent-001
 * is free, when `for_any_agent`), polling the escalation check. Returns the
 * seconds waited; sets *escalated when a rule triggered. */
static int hold(vipcore_tenant *pbx, const vipcore_identification *who, const simulated_call *call,
                const char *call_id, int waited, int until, int for_any_agent, int *escalated) {
  const char *const *agents;
  int priority = -1, now;
  while (waited < until && !(for_any_agent && free_agents(call, waited, &agents) > 0)) {
    vipcore_escalation *check = NULL;
    waited += POLL_SECONDS; /* a real PBX arms a timer here */
    /* With the call id, each (call, rule) pair notifies once however often
     * we poll, even across a restart of the PBX. Passing identify's answer
     * spares a lookup of the caller on every poll. */
    if (vipcore_escalation_check_caller(&check, pbx, who, waited, call->queue_position, call_id) != VIPCORE_OK) {
      printf("  vipcore: %s (the call goes on)\n", vipcore_last_error());
      continue;
    }
    if (vipcore_escalation_should_escalate(check)) *escalated = 1;
    vipcore_escalation_free(check);
    /* The priority rises towards 100 as the caller nears their target wait:
     * re-prioritize the queue entry so nobody overtakes a caller past it. */
    if (vipcore_queue_priority(&now, pbx, who, waited) == VIPCORE_OK && now != priority) {
      printf("  %3d s: queue priority %d\n", waited, now);
      priority = now;
    }
  }
  return waited;
}

/* Reports the ended call, so that analytics, SLAs and alerts see it. */
static void record_call(vipcore_tenant *pbx, const vipcore_identification *who, const simulated_call *call,
                        const char *call_id, int waited, int escalated) {
  vipcore_call_input record;
  vipcore_call_input_init(&record);
  record.call_id = call_id;
  record.caller_id = who->caller_id;
  record.vip_level_at_call = who->level; /* the level that decided the routing */
  record.handling_rules_applied = who->handling_rules;
  record.wait_seconds = waited;
  record.escalation_triggered = escalated;
  record.satisfaction_rating = call->rating;
  if (vipcore_record_call(pbx, &record) != VIPCORE_OK)
    printf("  vipcore: %s (not recorded)\n", vipcore_last_error());
  else
    printf("  call ended after %d s of waiting; recorded\n", waited);
}

/* Everything the PBX does with one incoming call. Nothing on the identify
 * path allocates: the structs live on the stack, and vipcore_identify fills
 * fixed-size buffers. */
static void handle_call(vipcore_tenant *pbx, const simulated_call *call, const char *call_id) {
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  vipcore_routing_plan plan = VIPCORE_ROUTING_PLAN_INIT;
  int waited = 0, escalated = 0, greeted = 0;

  printf("\n%s from %s\n", call_id, call->number);
  if (vipcore_identify(&who, pbx, call->number) != VIPCORE_OK) {
    printf("  vipcore: %s\n", vipcore_last_error()); /* the message never holds the number */
    route_normally("not identified");
    return;
  }
  if (!who.is_vip) {
    route_normally("not a VIP");
    return;
  }
  printf("  VIP %s (%s), routing priority %d\n", who.caller_name, level_name(who.level), who.routing_priority);

  /* Re-plan after every hold: a dedicated-agent wait falls back to any
   * free agent, then to the queue, once the caller's target wait is up. */
  while (plan_route(pbx, &who, call, waited, &plan)) {
    if (plan.greeting[0] != '\0' && !greeted) {
      printf("  play \"%s\"\n", plan.greeting);
      greeted = 1;
    }
    switch (plan.action) {
      case VIPCORE_ROUTE_TRANSFER:
        printf("  -> connect to %s (%s)\n", plan.target_agent_id, plan.reason);
        record_call(pbx, &who, call, call_id, waited, escalated);
        return;
      case VIPCORE_ROUTE_WAIT_FOR_AGENT:
        printf("  -> hold for %s, up to %d s (%s)\n", plan.target_agent_id, plan.wait_seconds, plan.reason);
        /* At least one poll, so that the loop always moves on. */
        waited = hold(pbx, &who, call, call_id, waited, waited + (plan.wait_seconds > 0 ? plan.wait_seconds : 1), 0,
                      &escalated);
        continue;
      case VIPCORE_ROUTE_QUEUE:
        /* Asterisk: Set(QUEUE_PRIO=...); FreeSWITCH: cc_base_score. */
        printf("  -> queue%s, QUEUE_PRIO=%d, cc_base_score=%d (%s)\n", plan.front_of_queue ? " at the front" : "",
               plan.asterisk_queue_prio, plan.freeswitch_base_score, plan.reason);
        waited = hold(pbx, &who, call, call_id, waited, 3600, 1, &escalated);
        printf("  -> agent-001 answers\n");
        record_call(pbx, &who, call, call_id, waited, escalated);
        return;
      default: /* VIPCORE_ROUTE_AFTER_HOURS */
        printf("  -> %s (%s)\n", plan.offer_callback ? "offer a priority callback" : "voicemail", plan.reason);
        record_call(pbx, &who, call, call_id, waited, escalated);
        return;
    }
  }
  route_normally("no routing plan"); /* plan_route reported why */
}

/* ------------------------------------------------- a standalone database */

/* The VIPs and rules a manager would have set up; invented for the demo. */
static int seed(vipcore_db *db) {
  vipcore_tenant *admin = NULL;
  vipcore_caller_input vip;
  vipcore_rule_input rule;
  static const char *const supervisors[] = {"vip-supervisors@example.com"};
  static const char *const on_call[] = {"+1 555 010 0001"};
  static const char *const wallboard[] = {"vip-wallboard"};
  int rc = vipcore_tenant_open(&admin, db, "acme", "setup", VIPCORE_ROLE_ADMIN);

  vipcore_caller_input_init(&vip);
  vip.phone_number = "+1 (234) 567-8900";
  vip.caller_name = "John Doe";
  vip.vip_level = VIPCORE_LEVEL_GOLD;
  vip.handling_rules = (1u << VIPCORE_RULE_PRIORITY_QUEUE) | (1u << VIPCORE_RULE_CUSTOM_GREETING);
  vip.custom_greeting = "Hello Mr. Doe, thank you for calling.";
  vip.max_wait_time = 30;
  if (rc == VIPCORE_OK) rc = vipcore_caller_create(NULL, admin, &vip);

  vipcore_caller_input_init(&vip);
  vip.phone_number = "+1 345 678 9012";
  vip.caller_name = "Sarah Johnson";
  vip.vip_level = VIPCORE_LEVEL_PLATINUM;
  vip.handling_rules = 1u << VIPCORE_RULE_DEDICATED_AGENT;
  vip.preferred_agent_id = "agent-007";
  vip.max_wait_time = 30;
  if (rc == VIPCORE_OK) rc = vipcore_caller_create(NULL, admin, &vip);

  vipcore_caller_input_init(&vip);
  vip.phone_number = "+1 456 789 0123";
  vip.caller_name = "Michael Chen";
  vip.vip_level = VIPCORE_LEVEL_DIAMOND;
  vip.handling_rules = (1u << VIPCORE_RULE_IMMEDIATE_TRANSFER) | (1u << VIPCORE_RULE_CUSTOM_GREETING);
  vip.custom_greeting = "Hello Mr. Chen, transferring you immediately.";
  vip.max_wait_time = 15;
  if (rc == VIPCORE_OK) rc = vipcore_caller_create(NULL, admin, &vip);

  vipcore_rule_input_init(&rule);
  rule.name = "VIP waited too long";
  rule.level_mask = (1u << VIPCORE_LEVEL_GOLD) | (1u << VIPCORE_LEVEL_PLATINUM) | (1u << VIPCORE_LEVEL_DIAMOND);
  rule.max_wait_time = 20;
  rule.escalation_type = "supervisor";
  rule.emails = supervisors;
  rule.email_count = 1;
  rule.sms_numbers = on_call;
  rule.sms_count = 1;
  rule.internal_alerts = wallboard;
  rule.internal_alert_count = 1;
  if (rc == VIPCORE_OK) rc = vipcore_rule_create(NULL, admin, &rule);

  if (rc != VIPCORE_OK) fprintf(stderr, "setting up the demo VIPs failed: %s\n", vipcore_last_error());
  vipcore_tenant_close(admin);
  return rc;
}

/* A fresh random key, kept in memory only: the temporary database dies
 * with this run. In production the key comes from a 0600 key file. */
static int random_key(uint8_t key[32]) {
  FILE *f = fopen("/dev/urandom", "rb");
  const int ok = f != NULL && fread(key, 1, 32, f) == 32;
  if (f != NULL) fclose(f);
  return ok;
}

static void remove_database(const char *dir) {
  static const char *const kFiles[] = {"vip.db",       "vip.db-wal",       "vip.db-shm",
                                       "vip.db-calls", "vip.db-calls-wal", "vip.db-calls-shm"};
  char path[256];
  size_t i;
  for (i = 0; i < sizeof kFiles / sizeof kFiles[0]; ++i) {
    snprintf(path, sizeof path, "%s/%s", dir, kFiles[i]);
    unlink(path);
  }
  rmdir(dir);
}

int main(int argc, char **argv) {
  char dir[] = "/tmp/vipcore-pbx-XXXXXX";
  char path[256], call_id[64];
  uint8_t key[32];
  const char *tenant_id = argc > 3 ? argv[3] : "acme";
  const int standalone = argc < 3;
  vipcore_open_options options;
  vipcore_db *db = NULL;
  vipcore_tenant *pbx = NULL;
  vipcore_metrics metrics;
  size_t i;
  int rc;

  /* Headers and library must match: structs are laid out by the header. */
  if (vipcore_version_number() != VIPCORE_VERSION_NUMBER)
    fprintf(stderr, "warning: built against vipcore %s, running with %s\n", VIPCORE_VERSION, vipcore_version());

  vipcore_open_options_init(&options);
  options.notifier = notify_supervisors;
  if (standalone) {
    if (mkdtemp(dir) == NULL || !random_key(key)) {
      fprintf(stderr, "cannot create a temporary database\n");
      return 1;
    }
    snprintf(path, sizeof path, "%s/vip.db", dir);
    options.key = key;
    options.key_len = sizeof key;
  } else {
    snprintf(path, sizeof path, "%s", argv[1]);
    options.key_file = argv[2];
    options.create_if_missing = 0; /* a typo in the path must not create an empty database */
  }
  rc = vipcore_open(&db, path, &options);
  memset(key, 0, sizeof key); /* vipcore keeps its own copy in guarded memory */
  if (rc == VIPCORE_OK && standalone) rc = seed(db);
  /* The PBX acts as a SYSTEM actor: identify, route, escalate, record. */
  if (rc == VIPCORE_OK) rc = vipcore_tenant_open(&pbx, db, tenant_id, "pbx-node-1", VIPCORE_ROLE_SYSTEM);
  /* Tenant handles keep the database open; the db handle is not needed any more. */
  vipcore_close(db);
  if (rc != VIPCORE_OK) {
    /* A PBX would carry on without VIP routing; this program has nothing else to do. */
    fprintf(stderr, "vipcore: %s (%s)\n", vipcore_last_error(), vipcore_strerror(rc));
    if (standalone) remove_database(dir);
    return 1;
  }

  for (i = 0; i < sizeof kCalls / sizeof kCalls[0]; ++i) {
    /* Call ids must be unique in the tenant: prefix this run's start time. */
    snprintf(call_id, sizeof call_id, "pbx-%ld-%s", (long)time(NULL), kCalls[i].suffix);
    handle_call(pbx, &kCalls[i], call_id);
  }

  metrics.struct_size = sizeof metrics;
  if (vipcore_metrics_get(&metrics, pbx) == VIPCORE_OK)
    printf("\nidentify: %llu calls, %llu VIP, %llu not VIP, %llu failed; %llu escalation checks\n",
           (unsigned long long)metrics.identify_attempted, (unsigned long long)metrics.identify_matched,
           (unsigned long long)metrics.identify_not_vip, (unsigned long long)metrics.identify_failed,
           (unsigned long long)metrics.escalation_checks);
  vipcore_tenant_close(pbx);
  if (standalone) remove_database(dir);
  return 0;
}
