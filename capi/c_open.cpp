// vipcore.h, "database, tenant": opening databases and tenant scopes, with
// the integrator's notifier and clock behind the C++ interfaces.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

// Calls the integrator's C callback for each escalation notice.
class CNotifier final : public vipcore::Notifier {
 public:
  CNotifier(vipcore_notify_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}

  vipcore::Status notify(const vipcore::EscalationNotice& n) override {
    const auto pointers = [](const std::vector<std::string>& v) {
      std::vector<const char*> out;
      for (const std::string& s : v) out.push_back(s.c_str());
      return out;
    };
    const std::vector<const char*> emails = pointers(n.rule.notify.emails);
    const std::vector<const char*> sms = pointers(n.rule.notify.sms_numbers);
    const std::vector<const char*> alerts = pointers(n.rule.notify.internal_alerts);
    vipcore_escalation_notice c{};
    c.struct_size = sizeof c;
    c.tenant_id = n.tenant_id.c_str();
    c.call_id = n.call_id.c_str();
    c.rule_id = n.rule.rule_id.c_str();
    c.rule_name = n.rule.rule_name.c_str();
    c.escalation_type = n.rule.escalation_type.c_str();
    c.tier = n.rule.tier;
    c.emails = emails.data();
    c.email_count = emails.size();
    c.sms_numbers = sms.data();
    c.sms_count = sms.size();
    c.internal_alerts = alerts.data();
    c.internal_alert_count = alerts.size();
    c.caller_id = n.caller.id.c_str();
    c.caller_name = n.caller.caller_name.c_str();
    c.vip_level = static_cast<int>(n.caller.vip_level);
    c.wait_seconds = n.wait_seconds;
    c.queue_position = n.queue_position;
    c.at_ms = vipcore::to_unix_ms(n.at);
    const int rc = fn_(user_data_, &c);
    if (rc == 0) return vipcore::ok_status();
    return vipcore::Status::notifier_error("the notifier callback returned " + std::to_string(rc));
  }

 private:
  vipcore_notify_fn fn_;
  void* user_data_;
};

// Reads the integrator's C clock.
class CClock final : public vipcore::Clock {
 public:
  CClock(vipcore_now_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}
  vipcore::Timestamp now() const noexcept override { return vipcore::from_unix_ms(fn_(user_data_)); }

 private:
  vipcore_now_fn fn_;
  void* user_data_;
};

// The checks of vipcore_open's and vipcore_open_memory's options.
Arg options_arg(const vipcore_open_options* options) noexcept {
  if (options == nullptr) return {false, "options", "is NULL (a key is required)"};
  const Arg a = input(options, VIPCORE_V1_SIZE(vipcore_open_options, notifier_user_data), "options");
  if (!a.ok) return a;
  return {(options->key_file != nullptr) != (options->key != nullptr), "options",
          "give exactly one of key_file and key"};
}

// What vipcore_open and vipcore_open_memory share: the database options.
vipcore::Options options_of(const vipcore_open_options& in) {
  vipcore::Options o;
  if (in.default_region != nullptr) o.default_region = in.default_region;
  o.sqlite.busy_timeout_ms = in.busy_timeout_ms;
  o.sqlite.create_if_missing = in.create_if_missing != 0;
  if (in.notifier != nullptr) o.notifier = std::make_shared<CNotifier>(in.notifier, in.notifier_user_data);
  if (fits(&in, &in.clock_user_data) && in.clock != nullptr)
    o.clock = std::make_shared<CClock>(in.clock, in.clock_user_data);
  if (fits(&in, &in.read_only)) o.sqlite.read_only = in.read_only != 0;
  if (fits(&in, &in.file_mode)) o.sqlite.file_mode = in.file_mode;
  if (fits(&in, &in.cache_bytes))
    o.cache_bytes = static_cast<std::size_t>(std::min<std::uint64_t>(in.cache_bytes, SIZE_MAX));
  if (fits(&in, &in.cache_decrypted)) o.cache_decrypted = in.cache_decrypted != 0;
  return o;
}

// Opens the database `open(key, options)` gives, into *out.
template <typename Open>
Status open_into(vipcore_db** out, const vipcore_open_options& options, Open&& open) {
  auto key = key_of(options.key_file, options.key, options.key_len, "options");
  if (!key.ok()) return key.status();
  return give(out, open(*key, options_of(options)));
}

}  // namespace

extern "C" {

void vipcore_open_options_init(vipcore_open_options* options) {
  if (options == nullptr) return;
  *options = vipcore_open_options{};
  options->struct_size = sizeof(vipcore_open_options);
  options->busy_timeout_ms = vipcore::SqliteOptions().busy_timeout_ms;
  options->create_if_missing = 1;
  options->file_mode = vipcore::SqliteOptions().file_mode;
  options->cache_bytes = vipcore::Options().cache_bytes;
  options->cache_decrypted = vipcore::Options().cache_decrypted ? 1 : 0;
}

int vipcore_open(vipcore_db** out, const char* path, const vipcore_open_options* options) {
  return api_call({optional_output(out), given(path, "path"), given(out, "out"), options_arg(options)},
                  [&]() -> Status {
                    return open_into(out, *options, [&](const vipcore::MasterKey& key, const vipcore::Options& o) {
                      return vipcore::Database::open(path, key, o);
                    });
                  });
}

int vipcore_open_memory(vipcore_db** out, const vipcore_open_options* options) {
  return api_call({output(out), options_arg(options)}, [&]() -> Status {
    return open_into(out, *options, [](const vipcore::MasterKey& key, const vipcore::Options& o) {
      return vipcore::Database::open(vipcore::new_memory_storage(), key, o);
    });
  });
}

void vipcore_close(vipcore_db* db) { delete db; }

int vipcore_tenant_open(vipcore_tenant** out, vipcore_db* db, const char* tenant_id, const char* actor_id, int role) {
  return api_call({output(out), given(db, "db"), given(tenant_id, "tenant_id"), given(actor_id, "actor_id"),
                   role_arg(role)},
                  [&]() -> Status {
                    return give(out, db->db.tenant(tenant_id, {actor_id, static_cast<vipcore::Role>(role)}));
                  });
}

void vipcore_tenant_close(vipcore_tenant* tenant) { delete tenant; }

}  // extern "C"
