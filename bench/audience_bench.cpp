// Audience benchmark: a server tenant of N profiles (a 10-way management tree, 10
// departments, a directory group of N/10 members) and four audiences (a property, the group,
// reports under a second-level manager, any of the three). Prints, for each audience, the
// full compile beside its peer, one read of every profile (what any compile must at least
// do); then the sync stage after 100 changed profiles (90 departments, 10 managers moved to
// another branch) beside a full compile of all four audiences after the same changes.
//
//   audience_bench [--profiles N] [--dir D]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "audiences/audience_compiler.h"
#include "audiences/audiences.h"
#include "directory/directory_store.h"
#include "storage/open_storage.h"
#include "store/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace upsync;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string guid(int64_t n) {
  // Ids below 10^12, so the number fills the GUID's last group of 12 digits.
  char buf[64];
  std::snprintf(buf, sizeof buf, "00000000-0000-0000-0000-%012lld",
                static_cast<long long>(n % 1000000000000LL));
  return buf;
}
std::string account(int64_t i) { return "i:0#.w|farm\\user" + std::to_string(i); }

int fail(const Status& s) {
  std::cerr << "audience_bench: " << s.to_string() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 100000;
  std::string dir = "/tmp/upsync-bench-audience";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--profiles") {
      n = std::stoll(argv[i + 1]);
    } else if (a == "--dir") {
      dir = argv[i + 1];
    } else {
      std::cerr << "usage: audience_bench [--profiles N] [--dir D]\n";
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto opened = open_store({.data_dir = dir});
  if (!opened) return fail(opened.status());
  Store& s = **opened;
  auto tenant = s.create_tenant({.name = "farm", .kind = TenantKind::kServer});
  if (!tenant) return fail(tenant.status());
  const Tenant& farm = *tenant;

  // Profile i reports to (i - 1) / 10: a 10-way tree under user0.
  constexpr int64_t kBatch = 10000;
  std::vector<ProfileId> ids(n);
  for (int64_t start = 0; start < n; start += kBatch) {
    Status st = s.in_transaction([&]() -> Status {
      for (int64_t i = start; i < std::min(n, start + kBatch); ++i) {
        std::vector<PropertyChange> props = {
            {"Department", {"Dept " + std::to_string(i % 10)}},
            {"msOnline-ObjectId", {guid(i + 1)}},
        };
        if (i > 0) props.push_back({"Manager", {account((i - 1) / 10)}});
        auto p = s.create_profile(farm.id, account(i), props);
        if (!p) return p.status();
        ids[i] = p->id;
      }
      return Status::ok();
    });
    if (!st) return fail(st);
  }
  auto dir_store = open_directory_store(s);
  if (!dir_store) return fail(dir_store.status());
  DirectoryGroup g;
  g.object_id = guid(n + 1);
  g.attributes["displayName"] = {"Bench Group"};
  for (int64_t i = 0; i < n; i += 10) g.members.push_back(guid(i + 1));
  if (auto r = (*dir_store)->put_group(farm.id, DirectoryLayer::kStore, g); !r) {
    return fail(r.status());
  }
  if (auto r = (*dir_store)->resolve_transitive_members(farm.id, {g.object_id}); !r) {
    return fail(r.status());
  }
  SyncOptions full;
  full.full = true;
  if (auto r = run_audience_stage(s, farm, full); !r) return fail(r.status());

  // The peer: one read of every profile, as a compile does.
  auto t0 = Clock::now();
  ProfileQuery q;
  q.limit = 1000;
  int64_t read = 0;
  while (true) {
    auto page = s.list_profiles(farm.id, q);
    if (!page) return fail(page.status());
    read += static_cast<int64_t>(page->profiles.size());
    if (!page->next_after_id) break;
    q.after_id = *page->next_after_id;
  }
  const double scan = seconds_since(t0);
  std::printf("audiences over %lld profiles (read every profile: %.3f s, %.0f profiles/s)\n",
              static_cast<long long>(read), scan, read / scan);

  const std::pair<const char*, std::vector<std::string>> defs[] = {
      {"property", {"Department=Dept 3"}},
      {"group", {"memberOf:Bench Group"}},
      {"reports-under", {"reportsUnder:" + account(1)}},
      {"any-of-3", {"Department=Dept 3", "memberOf:Bench Group", "reportsUnder:" + account(1)}},
  };
  for (const auto& [name, rules] : defs) {
    NewAudience a{.name = name,
                  .match = rules.size() > 1 ? AudienceMatch::kAny : AudienceMatch::kAll};
    for (const std::string& r : rules) a.rules.push_back(*parse_audience_rule(r));
    t0 = Clock::now();
    auto added = add_audience(s, farm, a);
    if (!added) return fail(added.status());
    const double t = seconds_since(t0);
    std::printf("  compile %-14s %8lld members  %.3f s  (%.1fx the read)\n", name,
                static_cast<long long>(added->member_count), t, t / scan);
  }

  // 100 changes: 90 departments, and 10 second-level managers moved to another branch
  // (each takes their ~1,100 reports with them).
  Status st = s.in_transaction([&]() -> Status {
    for (int64_t i = 0; i < 90; ++i) {
      const int64_t at = 1000 + i * 97;
      auto r = s.update_profile(farm.id, ids[at % n],
                                std::vector<PropertyChange>{{"Department", {"Dept 3"}}});
      if (!r) return r.status();
    }
    for (int64_t i = 0; i < 10; ++i) {
      const int64_t at = 11 + i;  // the reports of user1
      auto r = s.update_profile(farm.id, ids[at % n],
                                std::vector<PropertyChange>{{"Manager", {account(2)}}});
      if (!r) return r.status();
    }
    return Status::ok();
  });
  if (!st) return fail(st);
  t0 = Clock::now();
  auto delta = run_audience_stage(s, farm, SyncOptions{});
  if (!delta) return fail(delta.status());
  const double d = seconds_since(t0);
  t0 = Clock::now();
  if (auto r = run_audience_stage(s, farm, full); !r) return fail(r.status());
  const double f = seconds_since(t0);
  std::printf(
      "  delta of 100 changes: %.3f s (%lld feed entries, +%lld -%lld memberships, %lld "
      "re-evaluated unchanged); full compile of the 4 audiences: %.3f s (delta/full %.2f)\n",
      d, static_cast<long long>(delta->read), static_cast<long long>(delta->added),
      static_cast<long long>(delta->deleted), static_cast<long long>(delta->unchanged), f, d / f);
  return 0;
}
