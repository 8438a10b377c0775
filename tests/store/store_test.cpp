// Store: tenants, schemas, typed profile writes, isolation, transactions; on every backend.
#include "store/store.h"

#include <gtest/gtest.h>

#include "store/store_fixture.h"

namespace upsync {
namespace {

using testing::StoreTest;

TEST_P(StoreTest, CreatesAndListsTenants) {
  auto fab =
      store_->create_tenant({.name = "fabrikam", .kind = TenantKind::kServer, .education = true});
  ASSERT_TRUE(fab) << fab.status().to_string();
  auto all = store_->tenants();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "contoso");
  EXPECT_EQ((*all)[1].name, "fabrikam");
  EXPECT_EQ((*all)[1].kind, TenantKind::kServer);
  EXPECT_TRUE((*all)[1].education);
}

TEST_P(StoreTest, RefusesDuplicateAndUnknownTenants) {
  auto dup = store_->create_tenant({.name = "contoso"});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "tenant 'contoso' already exists");
  auto missing = store_->tenant("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "tenant 'nope' does not exist (see 'upsync tenant list')");
  auto bad = store_->create_tenant({.name = "Bad Name"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->tenants()->size(), 1u);
  auto p = store_->create_profile(999, "i:0#.f|membership|a@b.c", {});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, CreatesProfilesWithSeed002Identity) {
  Profile p = make_profile("Bob@Contoso.com", {{"FirstName", {"Bob"}}});
  EXPECT_EQ(p.account_name, "i:0#.f|membership|Bob@Contoso.com");
  EXPECT_EQ(p.first("AccountName"), "i:0#.f|membership|Bob@Contoso.com");
  EXPECT_EQ(p.first("UserName"), "Bob@Contoso.com");
  EXPECT_EQ(p.first("SPS-UserPrincipalName"), "Bob@Contoso.com");
  EXPECT_EQ(p.first("FirstName"), "Bob");
  EXPECT_EQ(p.first("UserProfile_GUID").size(), 36u);
  EXPECT_GT(p.seq, 0);
}

TEST_P(StoreTest, FindsProfilesByEveryKey) {
  Profile p = make_profile("bob@contoso.com",
                           {{"WorkEmail", {"Bob.Smith@contoso.com"}},
                            {"msOnline-ObjectId", {"3F2504E0-4F89-11D3-9A0C-0305E82C3301"}}});
  const ProfileKey keys[] = {
      {ProfileKeyKind::kAccountName, "i:0#.f|membership|BOB@contoso.com"},
      {ProfileKeyKind::kPrincipalName, "BOB@CONTOSO.COM"},
      {ProfileKeyKind::kEmail, "bob.smith@contoso.com"},
      {ProfileKeyKind::kCloudId, "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
      {ProfileKeyKind::kId, std::to_string(p.id)},
  };
  for (const ProfileKey& k : keys) {
    auto found = store_->profile(tenant_.id, k);
    ASSERT_TRUE(found) << k.value << ": " << found.status().to_string();
    EXPECT_EQ(found->id, p.id);
  }
  auto missing = store_->profile(tenant_.id, {ProfileKeyKind::kEmail, "x@contoso.com"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().message(), "no profile with work email 'x@contoso.com'");
  auto bad_claim = store_->profile(tenant_.id, {ProfileKeyKind::kAccountName, "i:0#.q|x|y"});
  ASSERT_FALSE(bad_claim);
  EXPECT_EQ(bad_claim.status().code(), StatusCode::kInvalidArgument);

  // find_profile: the same lookups, a miss is nullopt and a bad key still an error.
  for (const ProfileKey& k : keys) {
    auto found = store_->find_profile(tenant_.id, k);
    ASSERT_TRUE(found && *found) << k.value << ": " << found.status().to_string();
    EXPECT_EQ((*found)->id, p.id);
    EXPECT_EQ((*found)->properties, p.properties);
  }
  auto none = store_->find_profile(tenant_.id, {ProfileKeyKind::kEmail, "x@contoso.com"});
  ASSERT_TRUE(none) << none.status().to_string();
  EXPECT_FALSE(*none);
  auto bad = store_->find_profile(tenant_.id, {ProfileKeyKind::kAccountName, "i:0#.q|x|y"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

// find_profiles: many account names or cloud ids in one query, each profile once, in id order;
// a key nobody has finds nothing; a bad one, another kind or too many is refused.
TEST_P(StoreTest, FindsManyProfilesByAccountNameOrCloudIdInOneQuery) {
  Profile bob = make_profile("bob@contoso.com",
                             {{"msOnline-ObjectId", {"3F2504E0-4F89-11D3-9A0C-0305E82C3301"}}});
  Profile ann = make_profile("ann@contoso.com",
                             {{"msOnline-ObjectId", {"7c9e6679-7425-40de-944b-e07fc1f90ae7"}}});
  make_profile("eve@contoso.com", {});
  auto ids = [](const Result<std::vector<Profile>>& r) {
    std::vector<ProfileId> out;
    if (r) {
      for (const Profile& p : *r) out.push_back(p.id);
    }
    return out;
  };
  const std::vector<std::string> accounts = {
      "i:0#.f|membership|ANN@contoso.com", "i:0#.f|membership|nobody@contoso.com",
      "i:0#.f|membership|bob@contoso.com", "i:0#.f|membership|ann@contoso.com"};
  auto by_account = store_->find_profiles(tenant_.id, ProfileKeyKind::kAccountName, accounts);
  ASSERT_TRUE(by_account) << by_account.status().to_string();
  EXPECT_EQ(ids(by_account), (std::vector<ProfileId>{bob.id, ann.id}));
  EXPECT_EQ(by_account->front().properties, bob.properties);
  const std::vector<std::string> clouds = {"7C9E6679-7425-40DE-944B-E07FC1F90AE7",
                                           "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "x"};
  EXPECT_EQ(ids(store_->find_profiles(tenant_.id, ProfileKeyKind::kCloudId, clouds)),
            (std::vector<ProfileId>{bob.id, ann.id}));
  EXPECT_EQ(ids(store_->find_profiles(tenant_.id, ProfileKeyKind::kCloudId, {})),
            std::vector<ProfileId>{});
  // Another tenant's keys find nothing here.
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other);
  EXPECT_EQ(ids(store_->find_profiles(other->id, ProfileKeyKind::kAccountName, accounts)),
            std::vector<ProfileId>{});

  const std::vector<std::string> bad_claim = {"i:0#.q|x|y"};
  auto bad = store_->find_profiles(tenant_.id, ProfileKeyKind::kAccountName, bad_claim);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto kind = store_->find_profiles(tenant_.id, ProfileKeyKind::kEmail, accounts);
  ASSERT_FALSE(kind);
  EXPECT_EQ(kind.status().message(),
            "profiles are read many at a time by account name or cloud id, not by " +
                std::string(profile_key_kind_name(ProfileKeyKind::kEmail)));
  const std::vector<std::string> many(Store::kMaxProfilesPerQuery + 1, "x");
  auto too_many = store_->find_profiles(tenant_.id, ProfileKeyKind::kCloudId, many);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.status().message(), "at most 5000 profiles per query, got 5001");
}

// update_read_profile() applies changes to a profile the caller read in its transaction, as
// update_profile() does by id; outside a transaction it is refused (the profile may have
// changed since it was read).
TEST_P(StoreTest, UpdatesAProfileReadInTheSameTransaction) {
  Profile p = make_profile("bob@contoso.com", {{"Office", {"Viper"}}});
  const std::vector<PropertyChange> change{{"Office", {"Cobra"}}};
  auto outside = store_->update_read_profile(tenant_.id, p, change);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.status().code(), StatusCode::kInternal);
  EXPECT_EQ(
      store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)})->first("Office"),
      "Viper");

  Profile after;
  ASSERT_TRUE(store_->in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(
        auto read, store_->find_profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)}));
    if (!read) return not_found("profile");
    UPSYNC_ASSIGN_OR_RETURN(after, store_->update_read_profile(tenant_.id, *read, change));
    // The same values again: no change, no feed entry.
    UPSYNC_ASSIGN_OR_RETURN(Profile again, store_->update_read_profile(tenant_.id, after, change));
    if (again.seq != after.seq) return internal_error("an unchanged profile took a sequence");
    return Status::ok();
  }));
  EXPECT_EQ(after.first("Office"), "Cobra");
  EXPECT_GT(after.seq, p.seq);
  auto reread = store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)});
  ASSERT_TRUE(reread);
  EXPECT_EQ(reread->first("Office"), "Cobra");
  EXPECT_EQ(reread->seq, after.seq);
  EXPECT_EQ(*store_->last_seq(tenant_.id), after.seq);
}

TEST_P(StoreTest, SetsAndClearsTypedProperties) {
  Profile p = make_profile("bob@contoso.com");
  auto u = store_->update_profile(tenant_.id, p.id,
                                  std::vector<PropertyChange>{
                                      {"SPS-HireDate", {"2021-04-01"}},
                                      {"sps-skills", {"C++", "SQL"}},
                                      {"SPS-MySiteUpgrade", {"TRUE"}},
                                  });
  ASSERT_TRUE(u) << u.status().to_string();
  EXPECT_EQ(u->first("SPS-HireDate"), "2021-04-01");
  EXPECT_EQ(*u->find("SPS-Skills"), (PropertyValues{"C++", "SQL"}));
  EXPECT_EQ(u->first("SPS-MySiteUpgrade"), "true");
  EXPECT_GT(u->seq, p.seq);

  auto cleared =
      store_->update_profile(tenant_.id, p.id, std::vector<PropertyChange>{{"SPS-Skills", {}}});
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->find("SPS-Skills"), nullptr);
  auto reread = store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)});
  ASSERT_TRUE(reread);
  EXPECT_EQ(reread->find("SPS-Skills"), nullptr);
  EXPECT_EQ(*reread->find("SPS-HireDate"), PropertyValues{"2021-04-01"});
}

TEST_P(StoreTest, BadWritesChangeNothing) {
  Profile p = make_profile("bob@contoso.com", {{"Office", {"Viper"}}});
  const int64_t seq_before = *store_->last_seq(tenant_.id);
  struct Case {
    std::vector<PropertyChange> changes;
    StatusCode code;
    const char* message;
  } cases[] = {
      // The valid first change must not survive the failing second one.
      {{{"Office", {"Beetle"}}, {"SPS-HireDate", {"yesterday"}}},
       StatusCode::kInvalidArgument,
       "property 'SPS-HireDate' expects a date (YYYY-MM-DD), got 'yesterday'"},
      {{{"NoSuchProperty", {"x"}}},
       StatusCode::kNotFound,
       "property 'NoSuchProperty' does not exist in the user profile schema of this tenant"},
      {{{"Office", {"a", "b"}}},
       StatusCode::kInvalidArgument,
       "property 'Office' takes a single value, got 2"},
      {{{"AccountName", {}}},
       StatusCode::kInvalidArgument,
       "property 'AccountName' cannot be cleared"},
  };
  for (const Case& c : cases) {
    auto r = store_->update_profile(tenant_.id, p.id, c.changes);
    ASSERT_FALSE(r) << c.message;
    EXPECT_EQ(r.status().code(), c.code);
    EXPECT_EQ(r.status().message(), c.message);
  }
  auto after = store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)});
  EXPECT_EQ(after->properties, p.properties);
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq_before);
}

TEST_P(StoreTest, RewritingTheSameValuesRecordsNoChange) {
  Profile p = make_profile("bob@contoso.com", {{"Office", {"Viper"}}});
  auto same =
      store_->update_profile(tenant_.id, p.id, std::vector<PropertyChange>{{"office", {"Viper"}}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->seq, p.seq);
  EXPECT_EQ(*store_->last_seq(tenant_.id), p.seq);
}

TEST_P(StoreTest, RefusesDuplicateIdentities) {
  make_profile("bob@contoso.com");
  auto dup = store_->create_profile(tenant_.id, "i:0#.f|membership|BOB@contoso.com", {});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  Profile eve = make_profile("eve@contoso.com");
  auto steal = store_->update_profile(
      tenant_.id, eve.id,
      std::vector<PropertyChange>{{"SPS-UserPrincipalName", {"bob@contoso.com"}}});
  ASSERT_FALSE(steal);
  EXPECT_EQ(steal.status().code(), StatusCode::kAlreadyExists);
  auto bad = store_->create_profile(tenant_.id, "bob@contoso.com", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 2);
}

// In a bulk transaction (a sync run) a failure fails it all: a profile whose key another holds
// may be refused at its create (SQLite) or at the transaction's next statement (PostgreSQL,
// which sends new profiles' rows with it), and either way nothing of the transaction stays
// and the message names the key.
TEST_P(StoreTest, ADuplicateIdentityFailsABulkTransactionWithNothingWritten) {
  make_profile("carol@contoso.com");
  const int64_t seq = *store_->last_seq(tenant_.id);
  Status s = store_->in_bulk_transaction([&]() -> Status {
    for (const char* upn : {"bob@contoso.com", "eve@contoso.com", "Bob@contoso.com"}) {
      UPSYNC_RETURN_IF_ERROR(
          store_->create_profile(tenant_.id, std::string("i:0#.f|membership|") + upn, {}).status());
    }
    return store_->set_cursor(tenant_.id, "a-stage", 7);
  });
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.to_string();
  EXPECT_NE(s.message().find("bob@contoso.com"), std::string::npos) << s.message();
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 1);
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq);
  EXPECT_EQ(*store_->cursor(tenant_.id, "a-stage"), 0);
  // The ids taken ahead are not taken again after the failure.
  Profile bob = make_profile("bob@contoso.com");
  Profile eve = make_profile("eve@contoso.com");
  EXPECT_NE(bob.id, eve.id);
}

TEST_P(StoreTest, NothingCrossesTenants) {
  auto fab = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fab);
  Profile bob = make_profile("bob@contoso.com");
  auto fab_bob = store_->create_profile(fab->id, "i:0#.f|membership|bob@contoso.com", {});
  ASSERT_TRUE(fab_bob) << "the same account may exist in another tenant";
  EXPECT_NE(fab_bob->id, bob.id);
  auto cross = store_->profile(fab->id, {ProfileKeyKind::kId, std::to_string(bob.id)});
  EXPECT_FALSE(cross);
  auto cross_write =
      store_->update_profile(fab->id, bob.id, std::vector<PropertyChange>{{"Office", {"x"}}});
  EXPECT_FALSE(cross_write);
  EXPECT_EQ(store_->delete_profile(fab->id, bob.id).code(), StatusCode::kNotFound);
  PropertyDefinition city;
  city.name = "City";
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, city));
  auto fab_write =
      store_->update_profile(fab->id, fab_bob->id, std::vector<PropertyChange>{{"City", {"x"}}});
  ASSERT_FALSE(fab_write);
  EXPECT_EQ(fab_write.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 1);
  EXPECT_EQ(*store_->count_profiles(fab->id), 1);
}

TEST_P(StoreTest, CustomPropertiesAddListRemove) {
  PropertyDefinition cost;
  cost.name = "CostCenter";
  cost.type = DataType::kInteger;
  auto added = store_->add_custom_property(tenant_.id, cost);
  ASSERT_TRUE(added) << added.status().to_string();
  EXPECT_TRUE(added->custom);
  EXPECT_EQ(added->display_name, "CostCenter");
  auto again = store_->add_custom_property(tenant_.id, cost);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().message(), "property 'CostCenter' already exists in this tenant");
  auto schema = store_->schema(tenant_.id);
  ASSERT_TRUE(schema);
  ASSERT_NE(schema->find("costcenter"), nullptr);
  EXPECT_EQ(schema->find("costcenter")->type, DataType::kInteger);

  Profile p = make_profile("bob@contoso.com", {{"CostCenter", {"0042"}}});
  EXPECT_EQ(p.first("CostCenter"), "42");
  Status in_use = store_->remove_custom_property(tenant_.id, "CostCenter");
  EXPECT_EQ(in_use.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(in_use.message(),
            "property 'CostCenter' still has values in 1 profile(s); clear them first");
  ASSERT_TRUE(
      store_->update_profile(tenant_.id, p.id, std::vector<PropertyChange>{{"CostCenter", {}}}));
  ASSERT_TRUE(store_->remove_custom_property(tenant_.id, "costcenter"));
  EXPECT_EQ(store_->schema(tenant_.id)->find("CostCenter"), nullptr);
  EXPECT_EQ(store_->remove_custom_property(tenant_.id, "CostCenter").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->remove_custom_property(tenant_.id, "WorkEmail").code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(StoreTest, ASchemaChangedByAnotherConnectionIsSeenInsideTheNextTransaction) {
  // Two connections on one database, as the server's threads have: the second caches the
  // schema, the first changes it, and the second's next write transaction must see the change.
  auto other_or = storage_->connect();
  ASSERT_TRUE(other_or) << other_or.status().to_string();
  std::unique_ptr<Store> other = std::move(*other_or);
  ASSERT_TRUE(other->schema(tenant_.id));  // cached before the change

  PropertyDefinition cost;
  cost.name = "CostCenter";
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, cost));
  Status seen = other->in_transaction([&]() -> Status {
    auto schema = other->schema(tenant_.id);
    if (!schema) return schema.status();
    return schema->find("CostCenter") ? Status::ok() : not_found("CostCenter is not seen");
  });
  EXPECT_TRUE(seen.is_ok()) << seen.to_string();

  ASSERT_TRUE(store_->remove_custom_property(tenant_.id, "CostCenter"));
  EXPECT_EQ(other->remove_custom_property(tenant_.id, "CostCenter").code(), StatusCode::kNotFound);
  EXPECT_TRUE(other->add_custom_property(tenant_.id, cost));
}

TEST_P(StoreTest, ListsWithPagingAndFilters) {
  for (int i = 0; i < 25; ++i) {
    std::vector<PropertyChange> props = {{"Office", {i % 2 ? "Viper" : "Beetle"}}};
    if (i % 5 == 0) props.push_back({"SPS-Skills", {"SQL", "C++"}});
    make_profile("user" + std::to_string(i) + "@contoso.com", props);
  }
  ProfileQuery q;
  q.limit = 10;
  int pages = 0;
  int seen = 0;
  while (true) {
    auto page = store_->list_profiles(tenant_.id, q);
    ASSERT_TRUE(page);
    seen += static_cast<int>(page->profiles.size());
    ++pages;
    if (!page->next_after_id) break;
    q.after_id = *page->next_after_id;
  }
  EXPECT_EQ(seen, 25);
  EXPECT_EQ(pages, 3);

  ProfileQuery viper;
  viper.filter_property = "office";
  viper.filter_value = "Viper";
  viper.limit = 100;
  EXPECT_EQ(store_->list_profiles(tenant_.id, viper)->profiles.size(), 12u);
  ProfileQuery skill;
  skill.filter_property = "SPS-Skills";
  skill.filter_value = "C++";
  EXPECT_EQ(store_->list_profiles(tenant_.id, skill)->profiles.size(), 5u);
  ProfileQuery unknown;
  unknown.filter_property = "Nope";
  EXPECT_EQ(store_->list_profiles(tenant_.id, unknown).status().code(), StatusCode::kNotFound);
  ProfileQuery bad_value;
  bad_value.filter_property = "SPS-HireDate";
  bad_value.filter_value = "soon";
  EXPECT_EQ(store_->list_profiles(tenant_.id, bad_value).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, FailedTransactionRollsBackEverything) {
  Status s = store_->in_transaction([&]() -> Status {
    auto p = store_->create_profile(tenant_.id, "i:0#.f|membership|a@contoso.com", {});
    if (!p) return p.status();
    return invalid_argument("stop");
  });
  EXPECT_EQ(s.message(), "stop");
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 0);
  EXPECT_EQ(*store_->last_seq(tenant_.id), 0);
}

TEST_P(StoreTest, NestedFailureRollsBackOnlyItsOwnWrites) {
  Status s = store_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(
        store_->create_profile(tenant_.id, "i:0#.f|membership|a@contoso.com", {}).status());
    // A failing inner write (bad type) is undone; the outer one stays.
    EXPECT_FALSE(store_->create_profile(tenant_.id, "i:0#.f|membership|b@contoso.com",
                                        std::vector<PropertyChange>{{"SPS-HireDate", {"x"}}}));
    return Status::ok();
  });
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 1);
}
// An org chart a level at a time: each manager's reports in id order, as the Manager filter
// of list_profiles lists them, whatever the case the manager is named in; one list per asked
// manager, in the order asked (twice when asked twice); none for an unknown one.
TEST_P(StoreTest, ReadsTheDirectReportsOfSeveralManagersInOneQuery) {
  const std::string boss = "i:0#.f|membership|boss@contoso.com";
  const std::string lead = "i:0#.f|membership|lead@contoso.com";
  make_profile("boss@contoso.com", {});
  make_profile("lead@contoso.com", {{"Manager", {boss}}});
  make_profile("ann@contoso.com", {{"Manager", {lead}}});
  make_profile("bob@contoso.com", {{"Manager", {"i:0#.f|membership|LEAD@contoso.com"}}});
  make_profile("cy@contoso.com", {{"Manager", {boss}}});
  const std::vector<std::string> asked = {"i:0#.f|membership|Boss@Contoso.com", lead,
                                          "i:0#.f|membership|nobody@contoso.com", boss};
  auto reports = store_->direct_reports(tenant_.id, asked);
  ASSERT_TRUE(reports) << reports.status().message();
  const std::vector<std::vector<std::string>> expected = {
      {lead, "i:0#.f|membership|cy@contoso.com"},
      {"i:0#.f|membership|ann@contoso.com", "i:0#.f|membership|bob@contoso.com"},
      {},
      {lead, "i:0#.f|membership|cy@contoso.com"}};
  EXPECT_EQ(*reports, expected);
  // The same as one list_profiles per manager.
  for (size_t i = 0; i < asked.size(); ++i) {
    ProfileQuery q;
    q.filter_property = "Manager";
    q.filter_value = asked[i];
    auto page = store_->list_profiles(tenant_.id, q);
    ASSERT_TRUE(page);
    std::vector<std::string> listed;
    for (const Profile& p : page->profiles) listed.push_back(p.account_name);
    EXPECT_EQ(listed, expected[i]) << asked[i];
  }
  EXPECT_TRUE(store_->direct_reports(tenant_.id, std::vector<std::string>{})->empty());
  const std::vector<std::string> too_many(Store::kMaxManagersPerQuery + 1, boss);
  EXPECT_EQ(store_->direct_reports(tenant_.id, too_many).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(store_->direct_reports(TenantId{9999}, asked));
}

UPSYNC_TEST_ON_EVERY_BACKEND(StoreTest);

}  // namespace
}  // namespace upsync
