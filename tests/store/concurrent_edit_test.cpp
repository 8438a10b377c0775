// Edits of one object from several connections at once (several `serve` processes and an
// import worker on one database): every write reads the object (a profile's properties, a
// directory user's attributes), changes some and writes the whole back, so a write that read
// before another committed must not write over it. Each writer sets a property of its own and,
// before each write, reads that its last value is still there: a lost update shows as a writer
// finding an older value of its own, or as an older value at the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "auth/credentials.h"
#include "bulkimport/profile_writer.h"
#include "directory/directory_store.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

constexpr int kWrites = 60;

class ConcurrentEditTest : public testing::StoreTest {
 protected:
  // What one writer does on its own connection: set its property to `value`, read its value.
  struct Writer {
    std::function<Status(Store& store, const std::string& value)> write;
    std::function<Result<std::string>(Store& store)> read;
  };

  // Runs `writers` at once, writer w writing "<w>-0" ... "<w>-<kWrites-1>" and checking its
  // last value before each write; then reads each writer's value at the end.
  void race(const std::vector<std::string>& names,
            const std::function<Writer(const std::string& name)>& make) {
    testing::FirstFailure failure;
    auto fail = [&](const std::string& why) { failure.set(why); };
    std::vector<std::thread> threads;
    for (const std::string& name : names) {
      threads.emplace_back([&, name] {
        auto connected = storage_->connect();
        if (!connected) return fail(connected.status().to_string());
        std::unique_ptr<Store> store = std::move(*connected);
        Writer writer = make(name);
        for (int i = 0; i < kWrites && !failure.failed(); ++i) {
          auto now = writer.read(*store);
          if (!now) return fail(now.status().to_string());
          const std::string expected = i == 0 ? "" : name + "-" + std::to_string(i - 1);
          if (*now != expected) {
            return fail(name + " is '" + *now + "' after its write of '" + expected +
                        "': another write wrote over it");
          }
          Status s = writer.write(*store, name + "-" + std::to_string(i));
          if (!s.is_ok()) return fail(name + ": " + s.to_string());
        }
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_FALSE(failure.failed()) << failure.why();
    for (const std::string& name : names) {
      auto last = make(name).read(*store_);
      ASSERT_TRUE(last) << last.status().to_string();
      EXPECT_EQ(*last, name + "-" + std::to_string(kWrites - 1));
    }
  }
};

// The value of `name` in `p` ("" when it has none).
std::string value_of(const Profile& p, const std::string& name) {
  auto it = p.properties.find(name);
  return it == p.properties.end() || it->second.empty() ? std::string() : it->second[0];
}

TEST_P(ConcurrentEditTest, WritersOfOneProfileLoseNoneOfEachOthersChanges) {
  // Two default properties (the profile's own row), two custom ones, and two custom properties
  // written by the bulk import's batch writer (each batch's feed entries a run on PostgreSQL).
  for (const char* name : {"Edit2", "Edit3", "Edit4", "Edit5"}) {
    PropertyDefinition def;
    def.name = name;
    ASSERT_TRUE(store_->add_custom_property(tenant_.id, def));
  }
  const Profile person = make_profile("megan@contoso.com", {{"WorkEmail", {"megan@contoso.com"}}});
  const ProfileKey key{ProfileKeyKind::kId, std::to_string(person.id)};
  race({"Office", "AboutMe", "Edit2", "Edit3", "Edit4", "Edit5"}, [&](const std::string& name) {
    Writer w;
    w.read = [&, name](Store& store) -> Result<std::string> {
      UPSYNC_ASSIGN_OR_RETURN(Profile p, store.profile(tenant_.id, key));
      return value_of(p, name);
    };
    if (name != "Edit4" && name != "Edit5") {
      w.write = [&, name](Store& store, const std::string& value) {
        return store
            .update_profile(tenant_.id, person.id, std::vector<PropertyChange>{{name, {value}}})
            .status();
      };
      return w;
    }
    w.write = [&, name](Store& store, const std::string& value) {
      return store.in_transaction([&]() -> Status {
        UPSYNC_ASSIGN_OR_RETURN(auto batch, open_profile_batch_writer(store));
        UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema schema, store.schema(tenant_.id));
        UPSYNC_ASSIGN_OR_RETURN(auto outcomes,
                                batch->apply(tenant_.id, ProfileKeyKind::kEmail, schema,
                                             {ProfileUpdate{.key = "megan@contoso.com",
                                                            .values = {{name, value}},
                                                            .multi_values = {}}}));
        if (outcomes.size() != 1 || outcomes[0] != UpdateOutcome::kChanged) {
          return internal_error("the batch writer did not change " + name);
        }
        return Status::ok();
      });
    };
    return w;
  });
}

TEST_P(ConcurrentEditTest, WritersOfOneDirectoryUserLoseNoneOfEachOthersChanges) {
  auto dir = open_directory_store(*store_);
  ASSERT_TRUE(dir) << dir.status().to_string();
  DirectoryUser megan;
  megan.object_id = "5c8a1f3e-0000-4000-8000-000000000001";
  megan.attributes["userPrincipalName"] = {"megan@contoso.com"};
  ASSERT_TRUE((*dir)->add(tenant_.id, DirectoryLayer::kCloud, megan).is_ok());
  // As Graph's PATCH of a user does: read it, change attributes, put it back, in one
  // transaction.
  race({"jobTitle", "department", "officeLocation", "city"}, [&](const std::string& name) {
    Writer w;
    w.read = [&, name](Store& store) -> Result<std::string> {
      UPSYNC_ASSIGN_OR_RETURN(auto d, open_directory_store(store));
      UPSYNC_ASSIGN_OR_RETURN(auto u, d->user(tenant_.id, DirectoryLayer::kCloud, megan.object_id));
      if (!u) return not_found("megan is gone");
      return u->first(name);
    };
    w.write = [&, name](Store& store, const std::string& value) {
      return store.in_transaction([&]() -> Status {
        UPSYNC_ASSIGN_OR_RETURN(auto d, open_directory_store(store));
        UPSYNC_ASSIGN_OR_RETURN(auto u,
                                d->user(tenant_.id, DirectoryLayer::kCloud, megan.object_id));
        if (!u) return not_found("megan is gone");
        u->attributes[name] = {value};
        return d->put(tenant_.id, DirectoryLayer::kCloud, *u).status();
      });
    };
    return w;
  });
}

// A check, then a write that the check allowed (the admin API's "never demote the last global
// admin"): two writers that each see the other admin and demote themselves must not both go
// ahead, or the tenant is left with none. The tenant's turn, taken before the check, makes the
// second writer read after the first has committed.
TEST_P(ConcurrentEditTest, ACheckThenAWriteInTheTenantsTurnHoldsAgainstAnotherWriter) {
  auto creds = open_credential_store(*store_);
  ASSERT_TRUE(creds) << creds.status().to_string();
  const std::vector<std::string> admins = {"adele@contoso.com", "alex@contoso.com"};
  for (int round = 0; round < 10; ++round) {
    for (const std::string& upn : admins) {
      ASSERT_TRUE(
          (*creds)->set_password(tenant_.id, {upn, Role::kGlobalAdmin, "now"}, "hash").is_ok());
    }
    std::atomic<int> demoted{0};
    std::vector<std::thread> threads;
    testing::FirstFailure failure;
    for (const std::string& upn : admins) {
      threads.emplace_back([&, upn] {
        Status s = [&]() -> Status {
          UPSYNC_ASSIGN_OR_RETURN(auto store, storage_->connect());
          UPSYNC_ASSIGN_OR_RETURN(auto c, open_credential_store(*store));
          return store->in_transaction([&]() -> Status {
            UPSYNC_RETURN_IF_ERROR(store->take_tenant_turn(tenant_.id));
            UPSYNC_ASSIGN_OR_RETURN(auto people, c->people(tenant_.id));
            const auto global_admins = std::count_if(
                people.begin(), people.end(), [](auto& p) { return p.role == Role::kGlobalAdmin; });
            // The other writer's check comes now, if nothing makes it wait.
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (global_admins < 2) return Status::ok();
            ++demoted;
            return c->set_password(tenant_.id, {upn, Role::kUser, "now"}, "hash");
          });
        }();
        if (!s.is_ok()) failure.set(s.to_string());
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_FALSE(failure.failed()) << failure.why();
    auto people = (*creds)->people(tenant_.id);
    ASSERT_TRUE(people) << people.status().to_string();
    const auto left = std::count_if(people->begin(), people->end(),
                                    [](auto& p) { return p.role == Role::kGlobalAdmin; });
    ASSERT_EQ(left, 1) << "round " << round << ": " << demoted << " demoted";
  }
}

UPSYNC_TEST_ON_EVERY_BACKEND(ConcurrentEditTest);

}  // namespace
}  // namespace upsync
