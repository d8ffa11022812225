// Fuzz harness: opening a damaged database file. A valid vipcore database
// with a few callers is made once; each input is a list of damages applied
// to a copy of it before it is opened and read:
//   byte 0..3   the length to truncate the file to (little endian; 0xffffffff: none)
//   then        5-byte records: a 32-bit offset (modulo the file's size) and
//               the byte to write there.
// Properties: never crashes or hangs; every failure is a Status; an open
// database answers identify, get, list and the audit trail without
// crashing, whatever they say.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "vipcore/vipcore.hpp"

namespace {

namespace fs = std::filesystem;

struct Template {
  fs::path dir;
  std::string bytes;  // the valid database file
  vipcore::MasterKey key = *vipcore::MasterKey::for_testing("fuzz");
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const Template& make_template() {
  static const Template t = [] {
    Template tpl;
    std::string pattern = (fs::temp_directory_path() / "vipcore-fuzz-db-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    tpl.dir = pattern;
    const std::string path = (tpl.dir / "template.db").string();
    {
      vipcore::Options o;
      o.sqlite.durable_commits = false;
      auto db = vipcore::Database::open(path, tpl.key, o);
      if (!db.ok()) std::abort();
      auto admin = db->tenant("acme", vipcore::Actor{"fuzzer", vipcore::Role::admin});
      for (int i = 0; i < 3; ++i) {
        vipcore::NewCaller c;
        c.phone_number = "+1 555 010 000" + std::to_string(i);
        c.caller_name = "Caller " + std::to_string(i);
        c.custom_greeting = "Hello";
        if (!admin->create(c).ok()) std::abort();
      }
    }  // closed: the WAL is checkpointed into the file
    tpl.bytes = read_all(path);
    std::atexit([] { std::error_code ec; fs::remove_all(make_template().dir, ec); });
    return tpl;
  }();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Template& tpl = make_template();
  std::string file = tpl.bytes;
  if (size >= 4) {
    const std::uint32_t keep = static_cast<std::uint32_t>(data[0]) | static_cast<std::uint32_t>(data[1]) << 8 |
                               static_cast<std::uint32_t>(data[2]) << 16 | static_cast<std::uint32_t>(data[3]) << 24;
    if (keep != 0xffffffffu && !file.empty()) file.resize(keep % (file.size() + 1));
    for (std::size_t i = 4; i + 5 <= size && !file.empty(); i += 5) {
      const std::uint32_t at = static_cast<std::uint32_t>(data[i]) | static_cast<std::uint32_t>(data[i + 1]) << 8 |
                               static_cast<std::uint32_t>(data[i + 2]) << 16 |
                               static_cast<std::uint32_t>(data[i + 3]) << 24;
      file[at % file.size()] = static_cast<char>(data[i + 4]);
    }
  }
  const fs::path path = tpl.dir / "damaged.db";
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix, ec);
  {
    std::ofstream out(path, std::ios::binary);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
  }
  vipcore::Options o;
  o.sqlite.durable_commits = false;
  o.sqlite.create_if_missing = false;
  o.sqlite.busy_timeout_ms = 0;
  auto db = vipcore::Database::open(path.string(), tpl.key, o);
  if (!db.ok()) return 0;
  auto pbx = db->tenant("acme", vipcore::Actor{"pbx", vipcore::Role::system});
  auto admin = db->tenant("acme", vipcore::Actor{"fuzzer", vipcore::Role::admin});
  if (pbx.ok()) {
    vipcore::Identification who;
    (void)pbx->identify("+1 555 010 0001", &who);
  }
  if (admin.ok()) {
    std::vector<std::string> damaged;
    auto page = admin->list(vipcore::ListQuery{}, &damaged);
    if (page.ok())
      for (const vipcore::VipCaller& c : *page) (void)admin->get(c.id);
    (void)admin->audit(vipcore::AuditQuery{});
    (void)admin->settings();
  }
  return 0;
}
