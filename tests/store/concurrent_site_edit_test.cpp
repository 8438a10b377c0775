// Checks then writes, and reads-modify-writes, of the storage interfaces whose reads do not take
// the tenant's turn themselves (site users and permissions, apps, audiences and hybrid settings),
// from several connections at once (several `serve` processes on one database). Each test races
// writers that start every round together and then checks what a single writer would have left:
// nothing lost, nothing left behind, and only the refusals a single writer gets (never a raw
// unique-index or database error).
#include <gtest/gtest.h>

#include <barrier>
#include <chrono>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audiences/audiences.h"
#include "audiences/hybrid.h"
#include "auth/credentials.h"
#include "auth/sign_in_store.h"
#include "sites/site_permissions.h"
#include "sites/site_users.h"
#include "store/store_fixture.h"
#include "sync/connector.h"
#include "sync/scheduler.h"
#include "sync/server_import.h"

namespace upsync {
namespace {

class ConcurrentSiteEditTest : public testing::StoreTest {
 public:
  // What writer `w` does in round `r`, on its own connection.
  using Step = std::function<Status(Store &store, int w, int r)>;
  // What is checked after round `r`, once every writer is done with it.
  using Check = std::function<void(int r)>;

  // Runs `writers` threads for `rounds` rounds; each round starts on every
  // thread at once.
  void race(int writers, int rounds, const Step &step, const Check &check) {
    testing::FirstFailure failure;
    std::barrier meet(writers);
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&, w] {
        auto connected = storage_->connect();
        if (!connected) failure.set(connected.status().to_string());
        for (int r = 0; r < rounds; ++r) {
          meet.arrive_and_wait();
          if (connected && !failure.failed()) {
            Status s = step(**connected, w, r);
            if (!s.is_ok())
              failure.set("writer " + std::to_string(w) + ", round " + std::to_string(r) + ": " +
                          s.to_string());
          }
          meet.arrive_and_wait();
          // Writer 0 checks the round while the others wait at the next round's
          // start.
          if (w == 0 && !failure.failed()) {
            check(r);
            if (::testing::Test::HasFailure()) failure.set("round " + std::to_string(r));
          }
        }
      });
    }
    for (std::thread &t : threads) t.join();
    ASSERT_FALSE(failure.failed()) << failure.why();
  }

  // Races a removal (writer 0) against a write that the removal makes refused
  // (writer 1) for `rounds` rounds, one or the other started 300 µs late in
  // turn so that both orders happen; `check` follows each round. Prints how
  // many writes came first and how many were refused with `refusal`.
  void race_removal_and_write(int rounds, const std::function<Status(Store &)> &remove,
                              const std::function<Status(Store &)> &write, StatusCode refusal,
                              const Check &check) {
    int write_first = 0;
    int refused = 0;
    race(
        2, rounds,
        [&](Store &store, int w, int r) -> Status {
          if ((r % 2 == 1) == (w == 0)) std::this_thread::sleep_for(std::chrono::microseconds(300));
          if (w == 0) return remove(store);
          Status s = write(store);
          if (s.code() == refusal) {
            ++refused;
            return Status::ok();
          }
          if (s.is_ok()) ++write_first;
          return s;
        },
        check);
    EXPECT_EQ(write_first + refused, rounds);
    std::cout << "written before the removal: " << write_first
              << ", after it (refused): " << refused << "\n";
  }
};

constexpr int kWriters = 4;

// Two requests ensuring one person in a site's list at once (a first access and
// an ensureuser), and others adding other people there: each answers with the
// one entry of the person, and every entry has an id of its own.
TEST_P(ConcurrentSiteEditTest, EnsuringOnePersonAtOnceGivesOneEntry) {
  constexpr int kRounds = 30;
  std::vector<Profile> people;
  for (int i = 0; i <= kWriters; ++i) {
    people.push_back(make_profile("person" + std::to_string(i) + "@contoso.com"));
  }
  // The shared person's id as each writer was answered, per round.
  std::vector<std::vector<int64_t>> shared_id(kRounds, std::vector<int64_t>(kWriters));
  auto site = [](int r) { return "sites/race" + std::to_string(r); };
  race(
      kWriters, kRounds,
      [&](Store &store, int w, int r) -> Status {
        UPSYNC_ASSIGN_OR_RETURN(auto users, open_site_user_store(store));
        // Half the writers add their own person first, so that adds of
        // different people meet too.
        const Profile &own = people[w + 1];
        if (w % 2 == 1) {
          UPSYNC_RETURN_IF_ERROR(ensure_site_user(store, *users, tenant_, site(r), own).status());
        }
        UPSYNC_ASSIGN_OR_RETURN(SiteUser u,
                                ensure_site_user(store, *users, tenant_, site(r), people[0]));
        shared_id[r][w] = u.id;
        if (w % 2 == 0) {
          UPSYNC_RETURN_IF_ERROR(ensure_site_user(store, *users, tenant_, site(r), own).status());
        }
        return Status::ok();
      },
      [&](int r) {
        auto users = open_site_user_store(*store_);
        ASSERT_TRUE(users) << users.status().to_string();
        auto list = (*users)->list(tenant_.id, site(r));
        ASSERT_TRUE(list) << list.status().to_string();
        ASSERT_EQ(list->size(), people.size());
        std::set<std::string> logins;
        std::set<int64_t> ids;
        int64_t shared = 0;
        for (const SiteUser &u : *list) {
          logins.insert(u.login_name);
          ids.insert(u.id);
          if (u.login_name == people[0].account_name) shared = u.id;
        }
        EXPECT_EQ(logins.size(), people.size());
        EXPECT_EQ(ids.size(), people.size());
        for (int w = 0; w < kWriters; ++w) EXPECT_EQ(shared_id[r][w], shared) << "writer " << w;
      });
}

// Owners of one site granting roles at once (REST addroleassignment from two
// processes): each grant reads the site's assignments and puts them back whole,
// so none may start from a state that misses another's grant.
TEST_P(ConcurrentSiteEditTest, GrantsInOneSiteAtOnceAllStay) {
  constexpr int kRounds = 25;
  auto group = [](int w, int r) {
    return group_principal("group-" + std::to_string(w) + "-" + std::to_string(r), "Team");
  };
  race(
      kWriters, kRounds,
      [&](Store &store, int w, int r) -> Status {
        UPSYNC_ASSIGN_OR_RETURN(auto perms, open_site_permission_store(store));
        return grant(store, *perms, tenant_.id, "sites/hr", "", group(w, r), SiteRole::kMember,
                     GrantMode::kAdd)
            .status();
      },
      [&](int r) {
        auto perms = open_site_permission_store(*store_);
        ASSERT_TRUE(perms) << perms.status().to_string();
        auto scope = (*perms)->scope(tenant_.id, "sites/hr", "");
        ASSERT_TRUE(scope) << scope.status().to_string();
        ASSERT_TRUE(scope->has_value());
        std::set<std::string> held;
        for (const RoleAssignment &a : (*scope)->assignments) held.insert(a.principal.key);
        EXPECT_TRUE(held.contains("everyone"));
        for (int w = 0; w < kWriters; ++w) {
          for (int done = 0; done <= r; ++done) {
            EXPECT_TRUE(held.contains(group(w, done).key)) << group(w, done).key << " was lost";
          }
        }
      });
}

// Each round, one writer removes an app while the other adds things to it one
// after another with `add` (the i-th on `store`) until the removal refuses
// them (NotFound); then `left` (on the test's store) counts what the removed
// app still has: none may outlive it.
void race_app_removal(
    ConcurrentSiteEditTest &test, Store &main, TenantId tenant, int first_id,
    const std::function<Status(Store &store, const std::string &client_id, int i)> &add,
    const std::function<Result<size_t>(Store &store, const std::string &client_id)> &left) {
  constexpr int kRounds = 30;
  auto client_id = [&](int r) { return "00000000-0000-4000-8000-" + std::to_string(first_id + r); };
  auto creds = open_credential_store(main);
  ASSERT_TRUE(creds) << creds.status().to_string();
  for (int r = 0; r < kRounds; ++r) {
    ASSERT_TRUE((*creds)->add_app(tenant, {client_id(r), "app", "now", 0}, "hash").is_ok());
  }
  test.race(
      2, kRounds,
      [&](Store &store, int w, int r) -> Status {
        if (w == 1) {
          // Once some are in.
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          UPSYNC_ASSIGN_OR_RETURN(auto c, open_credential_store(store));
          return c->remove_app(tenant, client_id(r));
        }
        // A pause between adds lets the removal in on SQLite, whose waiting
        // writer retries only now and then.
        for (int i = 0; i < 2000; ++i) {
          if (i > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
          Status added = add(store, client_id(r), i);
          if (added.code() == StatusCode::kNotFound) return Status::ok();  // removed
          UPSYNC_RETURN_IF_ERROR(added);
        }
        return internal_error("the app was never removed");
      },
      [&](int r) {
        auto n = left(main, client_id(r));
        ASSERT_TRUE(n) << n.status().to_string();
        EXPECT_EQ(*n, 0u) << "left of removed app " << client_id(r);
      });
}

// An app's removal while redirect URIs are added to it: a URI goes in before
// the removal (which takes it along) or is refused after it.
TEST_P(ConcurrentSiteEditTest, AnAppsRemovalLeavesNoRedirectUriBehind) {
  race_app_removal(
      *this, *store_, tenant_.id, 100000,
      [&](Store &store, const std::string &client_id, int i) -> Status {
        UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(store));
        return sign_ins->add_redirect_uri(tenant_.id, client_id,
                                          "https://app.example.com/" + std::to_string(i));
      },
      [&](Store &store, const std::string &client_id) -> Result<size_t> {
        UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(store));
        UPSYNC_ASSIGN_OR_RETURN(auto uris, sign_ins->redirect_uris(tenant_.id, client_id));
        return uris.size();
      });
}

// The same with certificates.
TEST_P(ConcurrentSiteEditTest, AnAppsRemovalLeavesNoCertificateBehind) {
  race_app_removal(
      *this, *store_, tenant_.id, 200000,
      [&](Store &store, const std::string &client_id, int i) -> Status {
        UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(store));
        AppCertificate cert;
        cert.client_id = client_id;
        cert.thumbprint_sha1 = "SHA1-" + client_id + "-" + std::to_string(i);
        cert.thumbprint_sha256 = "SHA256-" + client_id + "-" + std::to_string(i);
        cert.subject = "CN=app";
        cert.not_before = "2026-01-01T00:00:00Z";
        cert.not_after = "2027-01-01T00:00:00Z";
        cert.public_key_pem = "-----BEGIN PUBLIC KEY-----";
        cert.added_at = "2026-12-05T00:00:00Z";
        return creds->add_certificate(tenant_.id, cert);
      },
      [&](Store &store, const std::string &client_id) -> Result<size_t> {
        UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(store));
        UPSYNC_ASSIGN_OR_RETURN(auto certs, creds->certificates(tenant_.id, client_id));
        return certs.size();
      });
}

// First connectors added at once (two `connector add`): one is added, every
// other is refused with the one the tenant has; a tenant never has two.
TEST_P(ConcurrentSiteEditTest, FirstConnectorsAddedAtOnceLeaveOne) {
  constexpr int kRounds = 20;
  auto name = [](int w, int r) { return "dc-" + std::to_string(r) + "-" + std::to_string(w); };
  std::vector<int> added(kRounds, 0);
  std::mutex mu;
  race(
      kWriters, kRounds,
      [&](Store &store, int w, int r) -> Status {
        UPSYNC_ASSIGN_OR_RETURN(Connector c, parse_connector(name(w, r),
                                                             "url = \"ldap://dc.contoso.com\"\n"
                                                             "base = \"dc=contoso,dc=com\"\n"));
        Status s = add_tenant_connector(store, tenant_, c);
        if (s.code() == StatusCode::kAlreadyExists) {
          if (s.message().find("a tenant syncs from one directory") == std::string::npos) return s;
          return Status::ok();
        }
        UPSYNC_RETURN_IF_ERROR(s);
        std::lock_guard lock(mu);
        ++added[r];
        return Status::ok();
      },
      [&](int r) {
        EXPECT_EQ(added[r], 1) << "connectors added in round " << r;
        auto connectors = open_connector_store(*store_);
        ASSERT_TRUE(connectors) << connectors.status().to_string();
        auto all = (*connectors)->list(tenant_.id);
        ASSERT_TRUE(all) << all.status().to_string();
        ASSERT_EQ(all->size(), 1u);
        // Removed for the next round's first adds.
        ASSERT_TRUE((*connectors)->remove(tenant_.id, all->front().name));
      });
}

// A server tenant's schedule set while its last connector is removed: the
// schedule comes first and goes with the connector, or finds no connector and
// is refused (FailedPrecondition); a schedule never outlives the connector it
// runs.
TEST_P(ConcurrentSiteEditTest, AServerTenantsScheduleNeverOutlivesItsConnector) {
  constexpr int kRounds = 40;
  auto farm = store_->create_tenant({.name = "farm", .kind = TenantKind::kServer});
  ASSERT_TRUE(farm) << farm.status().to_string();
  auto connector = parse_connector("dc1",
                                   "url = \"ldap://dc.contoso.com\"\n"
                                   "base = \"dc=contoso,dc=com\"\n");
  ASSERT_TRUE(connector) << connector.status().to_string();
  ASSERT_TRUE(add_tenant_connector(*store_, *farm, *connector));
  race_removal_and_write(
      kRounds, [&](Store &store) { return remove_tenant_connector(store, *farm, "dc1").status(); },
      [&](Store &store) -> Status {
        UPSYNC_ASSIGN_OR_RETURN(auto schedules, open_schedule_store(store));
        return schedules->set(*farm, 300);
      },
      StatusCode::kFailedPrecondition,
      [&](int r) {
        auto schedules = open_schedule_store(*store_);
        ASSERT_TRUE(schedules) << schedules.status().to_string();
        auto every = (*schedules)->get(*farm);
        ASSERT_TRUE(every) << every.status().to_string();
        EXPECT_FALSE(every->has_value()) << "round " << r << ": a schedule without a connector";
        // The connector back for the next round.
        ASSERT_TRUE(add_tenant_connector(*store_, *farm, *connector));
      });
}

// A custom property's removal while a mapping to it is set: the mapping is
// removed with the property (set before) or refused (NotFound, set after); no
// mapping ever names a removed property.
TEST_P(ConcurrentSiteEditTest, AMappingNeverOutlivesItsProperty) {
  constexpr int kRounds = 40;
  auto farm = store_->create_tenant({.name = "farm", .kind = TenantKind::kServer});
  ASSERT_TRUE(farm) << farm.status().to_string();
  PropertyDefinition badge;
  badge.name = "BadgeNumber";
  ASSERT_TRUE(store_->add_custom_property(farm->id, badge));
  race_removal_and_write(
      kRounds, [&](Store &store) { return store.remove_custom_property(farm->id, "BadgeNumber"); },
      [&](Store &store) -> Status {
        UPSYNC_ASSIGN_OR_RETURN(auto mappings, open_mapping_store(store));
        return mappings->set(*farm, "BadgeNumber", "employeeNumber");
      },
      StatusCode::kNotFound,
      [&](int r) {
        auto mappings = open_mapping_store(*store_);
        ASSERT_TRUE(mappings) << mappings.status().to_string();
        auto list = (*mappings)->mappings(*farm);
        ASSERT_TRUE(list) << list.status().to_string();
        for (const AttributeMapping &m : *list) {
          EXPECT_NE(m.property, "BadgeNumber") << "round " << r << ": a removed property mapped";
        }
        // The property back, unmapped, for the next round.
        ASSERT_TRUE(store_->add_custom_property(farm->id, badge));
      });
}

// An audience's removal while the hybrid settings are set to name it: one of
// the two is refused (FailedPrecondition, NotFound); the settings never name a
// removed audience.
TEST_P(ConcurrentSiteEditTest, HybridSettingsNeverNameARemovedAudience) {
  constexpr int kRounds = 40;
  auto farm = store_->create_tenant({.name = "farm", .kind = TenantKind::kServer});
  ASSERT_TRUE(farm) << farm.status().to_string();
  auto name = [](int r) { return "Hybrid" + std::to_string(r); };
  std::vector<int64_t> ids;
  for (int r = 0; r < kRounds; ++r) {
    NewAudience audience;
    audience.name = name(r);
    audience.rules = {*parse_audience_rule("Department=Sales")};
    auto a = add_audience(*store_, *farm, audience);
    ASSERT_TRUE(a) << a.status().to_string();
    ids.push_back(a->id);
  }
  race(
      2, kRounds,
      [&](Store &store, int w, int r) -> Status {
        if (w == 0) {
          auto set = set_hybrid_settings(store, *farm, "https://contoso-my.sharepoint.com",
                                         std::string_view(name(r)));
          return set || set.status().code() == StatusCode::kNotFound ? Status::ok() : set.status();
        }
        UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(store));
        auto removed = audiences->remove(farm->id, ids[r]);
        return removed || removed.status().code() == StatusCode::kFailedPrecondition
                   ? Status::ok()
                   : removed.status();
      },
      [&](int r) {
        auto hybrid = open_hybrid_store(*store_);
        ASSERT_TRUE(hybrid) << hybrid.status().to_string();
        auto settings = (*hybrid)->get(farm->id);
        ASSERT_TRUE(settings) << settings.status().to_string();
        if (!*settings || (*settings)->audience_id != ids[r]) return;
        auto audiences = open_audience_store(*store_);
        ASSERT_TRUE(audiences) << audiences.status().to_string();
        auto named = (*audiences)->find(farm->id, std::to_string(ids[r]));
        ASSERT_TRUE(named) << named.status().to_string();
        EXPECT_TRUE(named->has_value()) << "the hybrid settings name removed audience " << name(r);
      });
}

UPSYNC_TEST_ON_EVERY_BACKEND(ConcurrentSiteEditTest);

}  // namespace
}  // namespace upsync
