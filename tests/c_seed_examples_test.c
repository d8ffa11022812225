/* The examples of the VIP API vipcore was modelled on, taken as written,
 * through the C API (compiled as C99 with -Wstrict-prototypes -pedantic
 * -Werror). tests/test_seed_examples.cpp does the same in C++.
 *
 * Run with the name of one example (create, configurations, update,
 * identify, escalation, list, bulk-import, analytics); each is a test of its
 * own. Each runs in a fresh in-memory database, on tenants set to number
 * validation e164: the
 * examples' placeholder numbers ("+1234567890": nine national digits) are
 * not possible North American numbers.
 *
 * Each HTTP request becomes the C call SPEC.md maps it to: a JSON body the
 * vipcore_caller_input of the same field names, a query string the call's
 * arguments, and {vip_id} the id vipcore gave the caller. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vipcore.h"

static int failures = 0;

#define CHECK(cond)                                                                \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
      ++failures;                                                                  \
    }                                                                              \
  } while (0)
#define CHECK_INT(actual, expected) check_int((long long)(actual), (long long)(expected), #actual, __LINE__)
#define CHECK_STR(actual, expected) check_str((actual), (expected), #actual, __LINE__)
#define CHECK_OK(call) check_ok((call), #call, __LINE__)

static void check_int(long long actual, long long expected, const char *what, int line) {
  if (actual == expected) return;
  fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, line, what, actual, expected);
  ++failures;
}

static void check_str(const char *actual, const char *expected, const char *what, int line) {
  if (actual != NULL && strcmp(actual, expected) == 0) return;
  fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, line, what, actual ? actual : "(null)",
          expected);
  ++failures;
}

/* Returns whether the call succeeded, so that a test stops before using what it did not get. */
static int check_ok(int rc, const char *what, int line) {
  if (rc == VIPCORE_OK) return 1;
  fprintf(stderr, "%s:%d: %s returned %d: %s (field \"%s\")\n", __FILE__, line, what, rc, vipcore_last_error(),
          vipcore_last_error_field());
  ++failures;
  return 0;
}

#define RULE(r) (1u << (r))

/* ------------------------------------------------------------ fixture */

static const uint8_t kKey[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4,
                                 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8};

static struct {
  vipcore_db *db;
  vipcore_tenant *admin, *pbx;
} fx;

/* A fresh database whose tenant "acme" takes the examples' numbers. */
static int open_fixture(void) {
  vipcore_open_options o;
  vipcore_settings s;
  vipcore_open_options_init(&o);
  o.key = kKey;
  o.key_len = sizeof kKey;
  if (!CHECK_OK(vipcore_open_memory(&fx.db, &o))) return 0;
  if (!CHECK_OK(vipcore_tenant_open(&fx.admin, fx.db, "acme", "alice", VIPCORE_ROLE_ADMIN))) return 0;
  if (!CHECK_OK(vipcore_tenant_open(&fx.pbx, fx.db, "acme", "pbx-1", VIPCORE_ROLE_SYSTEM))) return 0;
  vipcore_settings_init(&s);
  if (!CHECK_OK(vipcore_settings_get(&s, fx.admin))) return 0;
  s.number_validation = VIPCORE_NUMBER_VALIDATION_E164;
  if (!CHECK_OK(vipcore_settings_set(fx.admin, &s))) return 0;
  vipcore_settings_init(&s);
  CHECK_OK(vipcore_settings_get(&s, fx.admin));
  CHECK_INT(s.number_validation, VIPCORE_NUMBER_VALIDATION_E164);
  return 1;
}

static void close_fixture(void) {
  vipcore_tenant_close(fx.pbx);
  vipcore_tenant_close(fx.admin);
  vipcore_close(fx.db);
}

/* POST /api/v1/vip/ — the request body of "Create VIP Caller". */
static vipcore_caller_input create_body(void) {
  static const char *const tags[] = {"premium", "enterprise"};
  vipcore_caller_input in;
  vipcore_caller_input_init(&in);
  in.phone_number = "+1234567890";
  in.caller_name = "John Doe";
  in.company_name = "Acme Corp";
  in.vip_level = VIPCORE_LEVEL_GOLD;
  in.status = VIPCORE_STATUS_ACTIVE;
  in.handling_rules = RULE(VIPCORE_RULE_PRIORITY_QUEUE) | RULE(VIPCORE_RULE_CUSTOM_GREETING);
  in.custom_greeting = "Hello Mr. Doe, thank you for calling.";
  in.max_wait_time = 30;
  in.callback_priority = 1;
  in.email = "john.doe@acme.com";
  in.account_number = "ACC123456";
  in.has_account_value = 1;
  in.account_value = 50000.0;
  in.notes = "High-value customer";
  in.tags = tags;
  in.tag_count = 2;
  return in;
}

/* "Basic VIP Setup": the Gold VIP the identify example's response shows. */
static vipcore_caller_input basic_setup(void) {
  vipcore_caller_input in;
  vipcore_caller_input_init(&in);
  in.phone_number = "+1234567890";
  in.caller_name = "John Doe";
  in.vip_level = VIPCORE_LEVEL_GOLD;
  in.handling_rules = RULE(VIPCORE_RULE_PRIORITY_QUEUE);
  in.max_wait_time = 60;
  return in;
}

/* Creates a caller; its id goes to `id` ("" on failure). */
static void create(const vipcore_caller_input *in, char id[VIPCORE_ID_SIZE]) {
  vipcore_caller *c = NULL;
  id[0] = '\0';
  if (!CHECK_OK(vipcore_caller_create(&c, fx.admin, in))) return;
  strncpy(id, vipcore_caller_id(c), VIPCORE_ID_SIZE - 1);
  id[VIPCORE_ID_SIZE - 1] = '\0';
  vipcore_caller_free(c);
}

/* A PBX asks about a number (the only call of vipcore_identify here). */
static vipcore_identification identify_in(vipcore_tenant *pbx, const char *number) {
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  CHECK_OK(vipcore_identify(&who, pbx, number));
  return who;
}

static vipcore_identification identify(const char *number) { return identify_in(fx.pbx, number); }

/* ------------------------------------------------------------ examples */

/* The three "Configuration Examples", each created in a tenant of its own
 * (they share one number) and identified. */
static void example_configurations(void) {
  static const char *const tenants[3] = {"basic", "premium", "diamond"};
  static const int priorities[3] = {85, 80, 100};
  vipcore_caller_input in[3];
  size_t i;
  in[0] = basic_setup();
  vipcore_caller_input_init(&in[1]);
  in[1].phone_number = "+1234567890";
  in[1].caller_name = "Sarah Johnson";
  in[1].vip_level = VIPCORE_LEVEL_PLATINUM;
  in[1].handling_rules = RULE(VIPCORE_RULE_DEDICATED_AGENT) | RULE(VIPCORE_RULE_CUSTOM_GREETING);
  in[1].preferred_agent_id = "agent-uuid";
  in[1].custom_greeting = "Good day Ms. Johnson, connecting you to your account manager.";
  in[1].max_wait_time = 30;
  vipcore_caller_input_init(&in[2]);
  in[2].phone_number = "+1234567890";
  in[2].caller_name = "Michael Chen";
  in[2].vip_level = VIPCORE_LEVEL_DIAMOND;
  in[2].handling_rules = RULE(VIPCORE_RULE_IMMEDIATE_TRANSFER) | RULE(VIPCORE_RULE_CUSTOM_GREETING);
  in[2].custom_greeting = "Hello Mr. Chen, transferring you immediately.";
  in[2].max_wait_time = 15;
  in[2].has_account_value = 1;
  in[2].account_value = 500000.0;

  for (i = 0; i < 3; ++i) {
    vipcore_tenant *admin = NULL, *pbx = NULL;
    vipcore_settings s;
    vipcore_caller *c = NULL;
    vipcore_identification who;
    if (!CHECK_OK(vipcore_tenant_open(&admin, fx.db, tenants[i], "alice", VIPCORE_ROLE_ADMIN))) return;
    CHECK_OK(vipcore_tenant_open(&pbx, fx.db, tenants[i], "pbx-1", VIPCORE_ROLE_SYSTEM));
    vipcore_settings_init(&s);
    CHECK_OK(vipcore_settings_get(&s, admin));
    s.number_validation = VIPCORE_NUMBER_VALIDATION_E164;
    CHECK_OK(vipcore_settings_set(admin, &s));
    if (CHECK_OK(vipcore_caller_create(&c, admin, &in[i]))) {
      CHECK_INT(vipcore_caller_level(c), in[i].vip_level);
      CHECK_INT(vipcore_caller_handling_rules(c), in[i].handling_rules);
      CHECK_INT(vipcore_caller_max_wait_time(c), in[i].max_wait_time);
      CHECK_STR(vipcore_caller_preferred_agent(c), in[i].preferred_agent_id ? in[i].preferred_agent_id : "");
      CHECK_STR(vipcore_caller_greeting(c), in[i].custom_greeting ? in[i].custom_greeting : "");
      vipcore_caller_free(c);
    }
    who = identify_in(pbx, "+1234567890");
    CHECK_INT(who.is_vip, 1);
    CHECK_STR(who.caller_name, in[i].caller_name);
    CHECK_INT(who.routing_priority, priorities[i]);
    vipcore_tenant_close(pbx);
    vipcore_tenant_close(admin);
  }
}

/* POST /api/v1/vip/ with the example's body: every field reads back. */
static void example_create(void) {
  const vipcore_caller_input in = create_body();
  vipcore_caller *c = NULL;
  vipcore_identification who;
  double value = 0;
  char id[VIPCORE_ID_SIZE];
  create(&in, id);
  if (!CHECK_OK(vipcore_caller_get(&c, fx.admin, id))) return;
  CHECK_INT(strlen(vipcore_caller_id(c)), 36);
  CHECK_STR(vipcore_caller_name(c), "John Doe");
  CHECK_STR(vipcore_caller_company(c), "Acme Corp");
  CHECK_INT(vipcore_caller_level(c), VIPCORE_LEVEL_GOLD);
  CHECK_INT(vipcore_caller_status(c), VIPCORE_STATUS_ACTIVE);
  CHECK_INT(vipcore_caller_handling_rules(c), RULE(VIPCORE_RULE_PRIORITY_QUEUE) | RULE(VIPCORE_RULE_CUSTOM_GREETING));
  CHECK_STR(vipcore_caller_greeting(c), "Hello Mr. Doe, thank you for calling.");
  CHECK_INT(vipcore_caller_max_wait_time(c), 30);
  CHECK_INT(vipcore_caller_callback_priority(c), 1);
  CHECK_STR(vipcore_caller_email(c), "john.doe@acme.com");
  CHECK_STR(vipcore_caller_account_number(c), "ACC123456");
  CHECK_INT(vipcore_caller_account_value(c, &value), 1);
  CHECK(value == 50000.0);
  CHECK_STR(vipcore_caller_notes(c), "High-value customer");
  CHECK_INT(vipcore_caller_tag_count(c), 2);
  CHECK_STR(vipcore_caller_tag(c, 0), "premium");
  CHECK_STR(vipcore_caller_tag(c, 1), "enterprise");
  CHECK_INT(vipcore_caller_phone_count(c), 1);
  CHECK_STR(vipcore_caller_phone_masked(c, 0), "******7890"); /* the number itself is not stored */
  vipcore_caller_free(c);

  who = identify("+1234567890");
  CHECK_INT(who.is_vip, 1);
  CHECK_STR(who.caller_id, id);
  CHECK_INT(who.routing_priority, 85); /* GOLD with PRIORITY_QUEUE */
}

/* PUT /api/v1/vip/{vip_id} with {"vip_level": "PLATINUM", "notes": "Upgraded
 * to Platinum level", "handling_rules": ["IMMEDIATE_TRANSFER", "DEDICATED_AGENT"]}:
 * the fields bits name exactly the body's fields. */
static void example_update(void) {
  const vipcore_caller_input in = create_body();
  vipcore_caller_input put;
  vipcore_caller *c = NULL;
  vipcore_identification who;
  char id[VIPCORE_ID_SIZE];
  create(&in, id);
  vipcore_caller_input_init(&put);
  put.fields = VIPCORE_FIELD_VIP_LEVEL | VIPCORE_FIELD_NOTES | VIPCORE_FIELD_HANDLING_RULES;
  put.vip_level = VIPCORE_LEVEL_PLATINUM;
  put.notes = "Upgraded to Platinum level";
  put.handling_rules = RULE(VIPCORE_RULE_IMMEDIATE_TRANSFER) | RULE(VIPCORE_RULE_DEDICATED_AGENT);
  if (!CHECK_OK(vipcore_caller_update(&c, fx.admin, id, &put))) return;
  CHECK_INT(vipcore_caller_level(c), VIPCORE_LEVEL_PLATINUM);
  CHECK_STR(vipcore_caller_notes(c), "Upgraded to Platinum level");
  CHECK_INT(vipcore_caller_handling_rules(c), put.handling_rules);
  /* Fields the body does not name stay as they were. */
  CHECK_STR(vipcore_caller_company(c), "Acme Corp");
  CHECK_STR(vipcore_caller_greeting(c), "Hello Mr. Doe, thank you for calling.");
  CHECK_INT(vipcore_caller_max_wait_time(c), 30);
  CHECK_STR(vipcore_caller_preferred_agent(c), "");
  vipcore_caller_free(c);

  who = identify("+1234567890");
  CHECK_INT(who.is_vip, 1);
  CHECK_INT(who.level, VIPCORE_LEVEL_PLATINUM);
  CHECK_INT(who.handling_rules, put.handling_rules);
  CHECK_INT(who.routing_priority, 100); /* PLATINUM 80 + IMMEDIATE_TRANSFER 20 */
}

/* POST /api/v1/vip/identify?phone_number=+1234567890 against the Basic VIP
 * Setup's John Doe; the response's fields, as the example shows them. (The
 * query's '+' is the number's own: a form decoder would read it as a space.) */
static void example_identify(void) {
  const vipcore_caller_input in = basic_setup();
  vipcore_identification who;
  char id[VIPCORE_ID_SIZE];
  create(&in, id);
  who = identify("+1234567890");
  CHECK_INT(who.is_vip, 1);
  CHECK_STR(who.caller_id, id);
  CHECK_STR(who.caller_name, "John Doe");
  CHECK_INT(who.level, VIPCORE_LEVEL_GOLD);
  CHECK_INT(who.handling_rules, RULE(VIPCORE_RULE_PRIORITY_QUEUE));
  CHECK_INT(who.routing_priority, 85);
  who = identify("+1234567899");
  CHECK_INT(who.is_vip, 0);
  CHECK_INT(who.routing_priority, 0);
}

/* POST /api/v1/vip/{vip_id}/escalation-check?wait_time=120&queue_position=3.
 * The response's rule is "VIP Wait Time Rule", type manager, notifying
 * manager@company.com; its limit is not given: 60 s (a GOLD caller's default
 * target) is one a 120 s wait exceeds. The C result names the triggered rule
 * and the highest type; the e-mails are the named rule's. */
static void example_escalation(void) {
  static const char *const emails[] = {"manager@company.com"};
  const vipcore_caller_input in = create_body();
  vipcore_rule_input r;
  vipcore_rule *rule = NULL, *triggered = NULL;
  vipcore_escalation *e = NULL;
  char id[VIPCORE_ID_SIZE];
  create(&in, id);
  vipcore_rule_input_init(&r);
  r.name = "VIP Wait Time Rule";
  r.max_wait_time = 60;
  r.escalation_type = "manager";
  r.emails = emails;
  r.email_count = 1;
  if (!CHECK_OK(vipcore_rule_create(&rule, fx.admin, &r))) return;

  if (CHECK_OK(vipcore_escalation_check(&e, fx.pbx, id, 120, 3, NULL))) {
    CHECK_INT(vipcore_escalation_should_escalate(e), 1);
    CHECK_INT(vipcore_escalation_triggered_count(e), 1);
    CHECK_STR(vipcore_escalation_triggered_rule_id(e, 0), vipcore_rule_id(rule));
    CHECK_STR(vipcore_escalation_triggered_rule_name(e, 0), "VIP Wait Time Rule");
    CHECK_STR(vipcore_escalation_highest_type(e), "manager");
    if (CHECK_OK(vipcore_rule_get(&triggered, fx.admin, vipcore_escalation_triggered_rule_id(e, 0)))) {
      CHECK_STR(vipcore_rule_escalation_type(triggered), "manager");
      CHECK_INT(vipcore_rule_email_count(triggered), 1);
      CHECK_STR(vipcore_rule_email(triggered, 0), "manager@company.com");
      vipcore_rule_free(triggered);
    }
    vipcore_escalation_free(e);
  }
  /* Under the rule's limit nothing escalates. */
  e = NULL;
  if (CHECK_OK(vipcore_escalation_check(&e, fx.pbx, id, 60, 3, NULL))) {
    CHECK_INT(vipcore_escalation_should_escalate(e), 0);
    vipcore_escalation_free(e);
  }
  vipcore_rule_free(rule);
}

/* GET /api/v1/vip/?skip=0&limit=100&vip_level=GOLD&status=ACTIVE&search=John */
static void example_list(void) {
  const vipcore_caller_input john = create_body();
  vipcore_caller_input other;
  vipcore_list_query q;
  vipcore_caller_list *list = NULL;
  char id[VIPCORE_ID_SIZE], ignored[VIPCORE_ID_SIZE];
  create(&john, id);
  other = basic_setup(); /* "Johnson" holds "John", but PLATINUM */
  other.phone_number = "+1234567891";
  other.caller_name = "Sarah Johnson";
  other.vip_level = VIPCORE_LEVEL_PLATINUM;
  create(&other, ignored);
  other = basic_setup(); /* GOLD and "John", but SUSPENDED */
  other.phone_number = "+1234567892";
  other.caller_name = "Johnny Walker";
  other.status = VIPCORE_STATUS_SUSPENDED;
  create(&other, ignored);
  other = basic_setup(); /* GOLD and ACTIVE, but not "John" */
  other.phone_number = "+1234567893";
  other.caller_name = "Jane Smith";
  create(&other, ignored);

  vipcore_list_query_init(&q);
  q.skip = 0;
  q.limit = 100;
  q.vip_level = VIPCORE_LEVEL_GOLD;
  q.status = VIPCORE_STATUS_ACTIVE;
  q.search = "John";
  if (!CHECK_OK(vipcore_caller_list_get(&list, fx.admin, &q))) return;
  CHECK_INT(vipcore_caller_list_count(list), 1);
  if (vipcore_caller_list_count(list) == 1) {
    CHECK_STR(vipcore_caller_id(vipcore_caller_list_at(list, 0)), id);
    CHECK_STR(vipcore_caller_name(vipcore_caller_list_at(list, 0)), "John Doe");
  }
  vipcore_caller_list_free(list);
}

/* POST /api/v1/vip/bulk-import: the body's "vip_callers" as two rows. */
static void example_bulk_import(void) {
  vipcore_caller_input rows[2];
  vipcore_import_options o;
  vipcore_import_report *report = NULL;
  vipcore_identification who;
  vipcore_caller_input_init(&rows[0]);
  rows[0].phone_number = "+1234567890";
  rows[0].caller_name = "John Doe";
  rows[0].vip_level = VIPCORE_LEVEL_GOLD;
  vipcore_caller_input_init(&rows[1]);
  rows[1].phone_number = "+1234567891";
  rows[1].caller_name = "Jane Smith";
  rows[1].vip_level = VIPCORE_LEVEL_PLATINUM;
  vipcore_import_options_init(&o);
  CHECK_OK(vipcore_import(&report, fx.admin, rows, 2, &o));
  if (report != NULL) {
    CHECK_INT(vipcore_import_report_created(report), 2);
    CHECK_INT(vipcore_import_report_failed(report), 0);
    CHECK_INT(vipcore_import_report_committed(report), 1);
    if (vipcore_import_report_error_count(report) > 0)
      fprintf(stderr, "row %u: %s\n", (unsigned)vipcore_import_report_error_row(report, 0),
              vipcore_import_report_error_message(report, 0));
    vipcore_import_report_free(report);
  }
  who = identify("+1234567890");
  CHECK_INT(who.is_vip, 1);
  CHECK_STR(who.caller_name, "John Doe");
  CHECK_INT(who.level, VIPCORE_LEVEL_GOLD);
  who = identify("+1234567891");
  CHECK_INT(who.is_vip, 1);
  CHECK_STR(who.caller_name, "Jane Smith");
  CHECK_INT(who.level, VIPCORE_LEVEL_PLATINUM);
}

static void record(const char *caller_id, const char *call_id, const char *at, int wait) {
  vipcore_call_input call;
  vipcore_call_input_init(&call);
  call.caller_id = caller_id;
  call.call_id = call_id;
  call.wait_seconds = wait;
  CHECK_OK(vipcore_parse_time(&call.at_ms, at));
  CHECK_OK(vipcore_record_call(fx.pbx, &call));
}

/* GET /api/v1/vip/{vip_id}/analytics?start_date=2024-01-01&end_date=2024-01-31
 * and GET /api/v1/vip/analytics/overview with the same dates: all of January,
 * in the tenant's time zone (UTC). */
static void example_analytics(void) {
  const vipcore_caller_input john = create_body();
  vipcore_caller_input jane;
  vipcore_caller_analytics one;
  vipcore_overview all;
  int64_t start = 0, end = 0;
  char john_id[VIPCORE_ID_SIZE], jane_id[VIPCORE_ID_SIZE];
  create(&john, john_id);
  vipcore_caller_input_init(&jane);
  jane.phone_number = "+1234567891";
  jane.caller_name = "Jane Smith";
  jane.vip_level = VIPCORE_LEVEL_PLATINUM;
  create(&jane, jane_id);
  record(john_id, "first", "2024-01-01T00:00:00Z", 10);
  record(john_id, "last", "2024-01-31T23:59:59Z", 50); /* 31 January is in the range */
  record(jane_id, "jane", "2024-01-15T12:00:00Z", 20);
  record(john_id, "december", "2023-12-31T23:59:59Z", 5);
  record(john_id, "february", "2024-02-01T00:00:00Z", 5);

  if (!CHECK_OK(vipcore_date_range(&start, &end, fx.admin, "2024-01-01", "2024-01-31"))) return;
  memset(&one, 0, sizeof one);
  one.struct_size = sizeof one;
  if (CHECK_OK(vipcore_caller_analytics_get(&one, fx.admin, john_id, start, end))) {
    CHECK_INT(one.stats.calls, 2);
    CHECK_INT(one.stats.wait_max, 50);
    CHECK(one.stats.wait_average == 30.0);
    CHECK_INT(one.stats.sla_met, 1); /* 50 s against John's 30 s target */
  }
  memset(&all, 0, sizeof all);
  all.struct_size = sizeof all;
  if (CHECK_OK(vipcore_overview_get(&all, fx.admin, start, end))) {
    CHECK_INT(all.all.calls, 3);
    CHECK_INT(all.by_level[VIPCORE_LEVEL_GOLD].calls, 2);
    CHECK_INT(all.by_level[VIPCORE_LEVEL_PLATINUM].calls, 1);
    CHECK_INT(all.total_callers, 2);
  }
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    void (*run)(void);
  } examples[] = {{"create", example_create},     {"configurations", example_configurations},
                  {"update", example_update},     {"identify", example_identify},
                  {"escalation", example_escalation}, {"list", example_list},
                  {"bulk-import", example_bulk_import}, {"analytics", example_analytics}};
  size_t i;
  if (argc != 2) {
    fprintf(stderr, "usage: %s EXAMPLE\n", argv[0]);
    return 2;
  }
  for (i = 0; i < sizeof examples / sizeof examples[0]; ++i) {
    if (strcmp(argv[1], examples[i].name) != 0) continue;
    if (open_fixture()) examples[i].run();
    close_fixture();
    if (failures == 0) printf("seed example %s: ok\n", argv[1]);
    return failures == 0 ? 0 : 1;
  }
  fprintf(stderr, "no example named %s\n", argv[1]);
  return 2;
}
