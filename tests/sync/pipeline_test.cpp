// The sync pipeline end to end on a real SQLite store: LDIF → cloud directory → directory
// store → profiles, with seed 002's and seed 003's mappings and rules.
#include "sync/pipeline.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "core/claims.h"
#include "sites/site_users.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

using testing::StoreTest;

// 16 bytes of objectGUID, base64 for LDIF.
std::string guid_b64(int n) {
  std::string bytes(16, '\0');
  bytes[0] = static_cast<char>(n);
  bytes[15] = static_cast<char>(0x5A);
  return base64_encode(bytes);
}

std::string ad_user(int n, const std::string& upn, const std::string& extra) {
  return "dn: CN=User " + std::to_string(n) +
         ",OU=Staff,DC=contoso,DC=com\n"
         "objectClass: top\nobjectClass: person\nobjectClass: user\n"
         "objectGUID:: " +
         guid_b64(n) +
         "\n"
         "userPrincipalName: " +
         upn +
         "\n"
         "userAccountControl: 512\n" +
         extra + "\n";
}

class SyncTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto d = open_directory_store(*store_);
    ASSERT_TRUE(d);
    directory_ = std::move(*d);
  }
  std::unique_ptr<DirectoryStore> directory_;  // the directory layers of store_
  // The cloud directory's user with `upn` (an empty one, and a failure, when there is none).
  DirectoryUser cloud_user(const std::string& upn) {
    auto u = directory_->user_by_upn(tenant_.id, DirectoryLayer::kCloud, upn);
    EXPECT_TRUE(u && *u) << upn;
    return (u && *u) ? **u : DirectoryUser{};
  }
  Result<SyncReport> sync(const std::string& ldif, SyncOptions o = {}) {
    auto records = parse_ldif(ldif);
    if (!records) return records.status();
    return run_sync(*store_, tenant_, &records.value(), o);
  }
  Profile by_upn(const std::string& upn) {
    auto p = store_->profile(tenant_.id, {ProfileKeyKind::kPrincipalName, upn});
    EXPECT_TRUE(p) << upn << ": " << p.status().to_string();
    return p ? *p : Profile{};
  }
  bool has_profile(const std::string& upn) {
    return store_->profile(tenant_.id, {ProfileKeyKind::kPrincipalName, upn}).has_value();
  }
  Result<SyncReport> sync_stages() { return run_sync(*store_, tenant_, nullptr, {}); }
  const StageReport& stage(const SyncReport& r, const std::string& name) {
    for (const StageReport& s : r.stages) {
      if (s.stage == name) return s;
    }
    ADD_FAILURE() << "no stage " << name;
    return r.stages.front();
  }

  const std::string kDirectory =
      ad_user(1, "megan@contoso.com",
              "givenName: Megan\nsn: Bowen\ndisplayName: Megan Bowen\ntitle: CEO\n"
              "department: Executive\ntelephoneNumber: (123) 456-7890\n"
              "physicalDeliveryOfficeName: Redmond\nmail: megan@contoso.com\n"
              "proxyAddresses: smtp:megan.old@contoso.com\n"
              "proxyAddresses: SMTP:megan.bowen@contoso.com\n"
              "proxyAddresses: SIP:megan@contoso.com\n"
              "preferredLanguage: en-US\nwWWHomePage: https://contoso.com/megan\n"
              "msExchHideFromAddressList: TRUE\n") +
      ad_user(2, "vesa@contoso.com",
              "givenName: Vesa\nsn: Juvonen\ntitle: PM\n"
              "manager: CN=User 1,OU=Staff,DC=contoso,DC=com\n") +
      ad_user(3, "bert@contoso.com",
              "givenName: Bert\nmail: bert@contoso.com\n"
              "manager: CN=User 2,OU=Staff,DC=contoso,DC=com\n") +
      // Disabled on premises: userAccountControl 514 has bit 0x2.
      "dn: CN=Gone,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nobjectGUID:: " + guid_b64(4) +
      "\nuserPrincipalName: gone@contoso.com\nuserAccountControl: 514\n\n" +
      // An OpenLDAP inetOrgPerson: entryUUID anchor, mail as the sign-in name.
      "dn: uid=erwin,ou=people,dc=contoso,dc=com\nobjectClass: inetOrgPerson\n"
      "entryUUID: 6A1F3C52-1111-4C3B-9D7E-0123456789AB\ncn: Erwin van Hunen\nsn: van Hunen\n"
      "mail: erwin@contoso.com\n\n" +
      // A group: not a user, no profile.
      "dn: CN=Admins,OU=Groups,DC=contoso,DC=com\nobjectClass: group\ncn: Admins\n"
      "objectGUID:: " +
      guid_b64(90) + "\nmember: CN=User 1,OU=Staff,DC=contoso,DC=com\n\n";
};

// One row per mapping of seed 002's table and seed 003's FAQ table that a user carries.
TEST(SyncMappingTest, EveryMappingRowOfSeeds002And003) {
  DirectoryUser u;
  u.object_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  u.attributes = {
      {"userPrincipalName", {"gherrera@contoso.com"}},
      {"displayName", {"Gabriel Herrera"}},
      {"givenName", {"Gabriel"}},
      {"surname", {"Herrera"}},
      {"telephoneNumber", {"(123) 456-7890"}},
      {"proxyAddresses",
       {"smtp:old@contoso.com", "SMTP:gherrera@contoso.com", "SIP:gherrera@contoso.com"}},
      {"physicalDeliveryOfficeName", {"Building 4"}},
      {"jobTitle", {"Engineer"}},
      {"department", {"Research"}},
      {"wWWHomePage", {"https://contoso.com/g"}},
      {"preferredLanguage", {"es-ES"}},
      {"msExchHideFromAddressList", {"true"}},
      {"objectSid", {"AQUAAAAAAAUVAAAA"}},
      {"objectGuidBytes", {"4AQlP4lP0xGaDAMF6CwzAQ=="}},
      {"distinguishedName", {"CN=Gabriel,DC=contoso,DC=com"}},
      {"msExchRecipientTypeDetails", {"1"}},
  };
  struct Row {
    const char* directory_attribute;
    const char* property;
    const char* value;
  } rows[] = {
      {"UserPrincipalName", "UserName", "gherrera@contoso.com"},
      {"UserPrincipalName", "SPS-UserPrincipalName", "gherrera@contoso.com"},
      {"msonline-UserPrincipalName", "SPS-ClaimID", "gherrera@contoso.com"},
      {"DisplayName", "PreferredName", "Gabriel Herrera"},
      {"GivenName", "FirstName", "Gabriel"},
      {"sn", "LastName", "Herrera"},
      {"telephoneNumber", "WorkPhone", "(123) 456-7890"},
      {"proxyAddresses (SMTP:)", "WorkEmail", "gherrera@contoso.com"},
      {"proxyAddresses (SIP:)", "SPS-SipAddress", "gherrera@contoso.com"},
      {"PhysicalDeliveryOfficeName", "Office", "Building 4"},
      {"Title", "Title", "Engineer"},
      {"Title", "SPS-JobTitle", "Engineer"},
      {"Department", "Department", "Research"},
      {"Department", "SPS-Department", "Research"},
      {"WWWHomePage", "PublicSiteRedirect", "https://contoso.com/g"},
      {"PreferredLanguage", "SPS-MUILanguages", "es-ES"},
      {"msExchHideFromAddressList", "SPS-HideFromAddressLists", "true"},
      {"Manager", "Manager", "i:0#.f|membership|boss@contoso.com"},
      {"ObjectSid", "SPS-SavedSID", "AQUAAAAAAAUVAAAA"},
      {"ObjectGuid", "ADGuid", "4AQlP4lP0xGaDAMF6CwzAQ=="},
      {"DistinguishedName", "SPS-DistinguishedName", "CN=Gabriel,DC=contoso,DC=com"},
      {"msOnline-ObjectId", "msOnline-ObjectId", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
      {"msExchRecipientTypeDetails", "SPS-RecipientTypeDetails", "1"},
  };
  auto props = profile_properties_for(u, "i:0#.f|membership|boss@contoso.com");
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(r.directory_attribute) + " -> " + r.property);
    auto it = std::find_if(props.begin(), props.end(),
                           [&](const PropertyChange& c) { return c.name == r.property; });
    ASSERT_NE(it, props.end());
    ASSERT_EQ(it->values.size(), 1u);
    EXPECT_EQ(it->values[0], r.value);
  }
}

TEST(SyncMappingTest, MailStandsInWithoutAPrimaryProxyAddress) {
  DirectoryUser u;
  u.attributes = {{"mail", {"a@contoso.com"}}, {"proxyAddresses", {"smtp:b@contoso.com"}}};
  auto props = profile_properties_for(u, "");
  auto email = std::find_if(props.begin(), props.end(),
                            [](const PropertyChange& c) { return c.name == "WorkEmail"; });
  ASSERT_NE(email, props.end());
  EXPECT_EQ(email->values, std::vector<std::string>{"a@contoso.com"});
}

// Graph's user fields from an Active Directory user, as Azure AD Connect flows them.
TEST(SyncMappingTest, GraphUserFieldsFlowFromActiveDirectory) {
  std::string extra =
      "sAMAccountName: adele\nmobile: +1 555 0101\nl: Redmond\nco: United States\n"
      "company: Contoso Ltd\nemployeeID: E-42\notherMailbox: adele@home.example\n"
      "otherMailbox: av@home.example\nextensionAttribute1: one\nextensionAttribute15: fifteen\n";
  auto records = parse_ldif(ad_user(1, "adele@contoso.com", extra));
  ASSERT_TRUE(records) << records.status().to_string();
  auto u = cloud_user_from_entry(records->front());
  ASSERT_TRUE(u) << u.status().to_string();
  using V = std::vector<std::string>;
  const std::map<std::string, V> expected = {
      {"mobile", {"+1 555 0101"}},
      {"city", {"Redmond"}},
      {"country", {"United States"}},
      {"companyName", {"Contoso Ltd"}},
      {"employeeId", {"E-42"}},
      {"otherMails", {"adele@home.example", "av@home.example"}},
      {"onPremisesSamAccountName", {"adele"}},
      {"onPremisesUserPrincipalName", {"adele@contoso.com"}},
      {"onPremisesDomainName", {"contoso.com"}},
      {"extensionAttribute1", {"one"}},
      {"extensionAttribute15", {"fifteen"}},
  };
  for (const auto& [name, values] : expected) {
    auto it = u->attributes.find(name);
    ASSERT_NE(it, u->attributes.end()) << name;
    EXPECT_EQ(it->second, values) << name;
  }
  EXPECT_FALSE(u->attributes.contains("extensionAttribute2"));
  EXPECT_FALSE(u->attributes.contains("onPremisesLastSyncDateTime"))
      << "stamped when written, not when read";
}

TEST(SyncMappingTest, SkipRulesOfSeed002) {
  DirectoryUser u;
  u.attributes = {{"userPrincipalName", {"a@b.c"}}, {"licensed", {"true"}}};
  EXPECT_FALSE(skip_reason(u));
  u.attributes["accountEnabled"] = {"false"};
  EXPECT_EQ(skip_reason(u), "account disabled");
  u.attributes["accountEnabled"] = {"true"};
  u.attributes["signInBlocked"] = {"true"};
  EXPECT_EQ(skip_reason(u), "sign-in blocked");
  u.attributes["signInBlocked"] = {"false"};
  u.attributes["licensed"] = {"false"};
  EXPECT_EQ(skip_reason(u), "no license");
}

TEST_P(SyncTest, FullSyncCreatesProfilesThroughEveryStage) {
  auto r = sync(kDirectory);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").added, 5);
  EXPECT_EQ(stage(*r, "cloud-to-store").added, 5);
  EXPECT_EQ(stage(*r, "store-to-profiles").added, 4);
  EXPECT_EQ(stage(*r, "store-to-profiles").skipped.at("account disabled"), 1);
  EXPECT_FALSE(has_profile("gone@contoso.com"));

  Profile megan = by_upn("megan@contoso.com");
  EXPECT_EQ(megan.account_name, "i:0#.f|membership|megan@contoso.com");
  EXPECT_EQ(megan.first("WorkEmail"), "megan.bowen@contoso.com") << "the upper-case SMTP: one";
  EXPECT_EQ(megan.first("SPS-SipAddress"), "megan@contoso.com");
  EXPECT_EQ(megan.first("SPS-JobTitle"), "CEO");
  EXPECT_EQ(megan.first("SPS-HideFromAddressLists"), "true");
  EXPECT_EQ(megan.first("msOnline-ObjectId").size(), 36u);
  // The manager chain: Bert → Vesa → Megan.
  EXPECT_EQ(by_upn("bert@contoso.com").first("Manager"), "i:0#.f|membership|vesa@contoso.com");
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Manager"), "i:0#.f|membership|megan@contoso.com");
  EXPECT_EQ(megan.first("Manager"), "");
  // The inetOrgPerson preset.
  Profile erwin = by_upn("erwin@contoso.com");
  EXPECT_EQ(erwin.first("PreferredName"), "Erwin van Hunen");
  EXPECT_EQ(erwin.first("WorkEmail"), "erwin@contoso.com");
}

TEST_P(SyncTest, DeltaReadsOnlyTheChangesAndOverwritesAdminEdits) {
  ASSERT_TRUE(sync(kDirectory));
  // Nothing changed on premises: nothing to read in stages 1 and 2.
  auto again = sync(kDirectory);
  ASSERT_TRUE(again);
  EXPECT_EQ(stage(*again, "cloud-to-store").read, 0);
  EXPECT_EQ(stage(*again, "store-to-profiles").read, 0);

  std::string changed = kDirectory;
  changed.replace(changed.find("title: PM"), 9, "title: Principal PM");
  auto delta = sync(changed);
  ASSERT_TRUE(delta) << delta.status().to_string();
  EXPECT_EQ(stage(*delta, "cloud-to-store").read, 1);
  EXPECT_EQ(stage(*delta, "store-to-profiles").read, 1);
  EXPECT_EQ(stage(*delta, "store-to-profiles").updated, 1);
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Title"), "Principal PM");

  // An admin edit of a synced property is overwritten by the next full sync (seed 002 FAQ).
  Profile vesa = by_upn("vesa@contoso.com");
  ASSERT_TRUE(store_->update_profile(tenant_.id, vesa.id,
                                     std::vector<PropertyChange>{{"Title", {"Intern"}}}));
  SyncOptions full;
  full.full = true;
  auto r = run_sync(*store_, tenant_, nullptr, full);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Title"), "Principal PM");
}

TEST_P(SyncTest, DeletionsFollowTheExportWithinTheThreshold) {
  ASSERT_TRUE(sync(kDirectory));
  std::string without_bert = kDirectory;
  size_t b = without_bert.find("dn: CN=User 3");
  size_t e = without_bert.find("\n\n", b);
  without_bert.erase(b, e - b + 2);

  SyncOptions strict;
  strict.deletion_threshold = 0;
  const int64_t seq = *store_->last_seq(tenant_.id);
  auto refused = sync(without_bert, strict);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().message(),
            "this run would delete 1 users, more than the deletion threshold of 0; if that is "
            "intended, rerun with --deletion-threshold 1");
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq) << "nothing written";
  EXPECT_TRUE(has_profile("bert@contoso.com"));

  auto r = sync(without_bert);
  ASSERT_TRUE(r);
  EXPECT_EQ(stage(*r, "store-to-profiles").deleted, 1);
  EXPECT_FALSE(has_profile("bert@contoso.com"));
}

// Deltas (SourceRead with complete = false), as the LDAP connector hands them over.
TEST_P(SyncTest, ADeltaAppliesItsEntriesAndDeletionsAndLeavesTheRestAlone) {
  const std::string kErwin = "6a1f3c52-1111-4c3b-9d7e-0123456789ab";
  ASSERT_TRUE(sync(kDirectory));
  // Vesa changed (her entry is all a delta carries; her manager is resolved by DN); Erwin
  // left, by entryUUID; Megan and Bert are not mentioned and stay.
  auto vesa = parse_ldif(ad_user(2, "vesa@contoso.com",
                                 "givenName: Vesa\nsn: Juvonen\ntitle: Director\n"
                                 "manager: CN=User 1,OU=Staff,DC=contoso,DC=com\n"));
  ASSERT_TRUE(vesa);
  SourceRead delta;
  delta.complete = false;
  delta.entries = *vesa;
  delta.deleted_anchors = {kErwin, "00000000-0000-4000-8000-000000000000"};
  delta.state_name = "ldap test";
  delta.state_after = "syncrepl:cookie-1";
  auto r = run_source_sync(*store_, tenant_, delta, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").read, 1);
  EXPECT_EQ(stage(*r, "connect").updated, 1);
  EXPECT_EQ(stage(*r, "connect").deleted, 1);
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Title"), "Director");
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Manager"), "i:0#.f|membership|megan@contoso.com");
  EXPECT_TRUE(has_profile("megan@contoso.com"));
  EXPECT_TRUE(has_profile("bert@contoso.com"));
  EXPECT_FALSE(has_profile("erwin@contoso.com"));
  EXPECT_EQ(*store_->source_state(tenant_.id, "ldap test"), "syncrepl:cookie-1");

  // The position moved on since this read began (another run): nothing is written.
  delta.state_before = "syncrepl:cookie-0";
  delta.state_after = "syncrepl:cookie-2";
  const int64_t seq = *store_->last_seq(tenant_.id);
  auto raced = run_source_sync(*store_, tenant_, delta, {});
  ASSERT_FALSE(raced);
  EXPECT_NE(raced.status().message().find("another sync of ldap test finished"), std::string::npos)
      << raced.status().message();
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq);
  EXPECT_EQ(*store_->source_state(tenant_.id, "ldap test"), "syncrepl:cookie-1");
}

// A streamed read (SourceRead::stream, as the LDAP connector hands its entries over while
// stage 0 runs) ends as the same entries read first do; a read that starts again forgets
// what it handed over before.
TEST_P(SyncTest, AStreamedReadEndsAsTheSameEntriesReadFirst) {
  auto records = parse_ldif(kDirectory);
  ASSERT_TRUE(records);
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other) << other.status().to_string();
  SourceRead first;
  first.entries = *records;
  auto expected = run_source_sync(*store_, *other, first, {});
  ASSERT_TRUE(expected) << expected.status().to_string();

  auto stale = parse_ldif(ad_user(7, "stale@contoso.com", ""));
  ASSERT_TRUE(stale);
  SourceRead streamed;
  streamed.state_name = "ldap test";
  streamed.stream = [&](EntrySink& sink, SourceRead& read) -> Status {
    // A refused cookie: what came before the restart is not part of the read.
    sink.add(LdifRecord((*stale)[0]));
    sink.restart();
    for (const LdifRecord& e : *records) sink.add(LdifRecord(e));
    read.state_after = "syncrepl:cookie-1";
    return Status::ok();
  };
  auto r = run_source_sync(*store_, tenant_, streamed, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->source_entries, expected->source_entries);
  ASSERT_EQ(r->stages.size(), expected->stages.size());
  for (size_t i = 0; i < r->stages.size(); ++i) {
    const StageReport &got = r->stages[i], &want = expected->stages[i];
    EXPECT_EQ(got.stage, want.stage);
    EXPECT_EQ(got.read, want.read) << got.stage;
    EXPECT_EQ(got.added, want.added) << got.stage;
    EXPECT_EQ(got.updated, want.updated) << got.stage;
    EXPECT_EQ(got.deleted, want.deleted) << got.stage;
    EXPECT_EQ(got.unchanged, want.unchanged) << got.stage;
    EXPECT_EQ(got.skipped, want.skipped) << got.stage;
    EXPECT_EQ(got.changes, want.changes) << got.stage;
    EXPECT_EQ(got.groups.read, want.groups.read) << got.stage;
    EXPECT_EQ(got.groups.added, want.groups.added) << got.stage;
  }
  EXPECT_FALSE(has_profile("stale@contoso.com"));
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Manager"), "i:0#.f|membership|megan@contoso.com");
  EXPECT_EQ(*store_->source_state(tenant_.id, "ldap test"), "syncrepl:cookie-1");

  // A streamed delta: what the read learns at its end (the deletions) is applied too.
  SourceRead delta;
  delta.complete = false;
  delta.stream = [&](EntrySink& sink, SourceRead& read) -> Status {
    sink.add(LdifRecord((*records)[1]));
    read.deleted_anchors = {"6a1f3c52-1111-4c3b-9d7e-0123456789ab"};
    return Status::ok();
  };
  auto d = run_source_sync(*store_, tenant_, delta, {});
  ASSERT_TRUE(d) << d.status().to_string();
  EXPECT_EQ(d->source_entries, 1);
  EXPECT_EQ(stage(*d, "connect").read, 1);
  EXPECT_EQ(stage(*d, "connect").unchanged, 1);
  EXPECT_EQ(stage(*d, "connect").deleted, 1);
  EXPECT_FALSE(has_profile("erwin@contoso.com"));
  EXPECT_TRUE(has_profile("megan@contoso.com"));
}

// A complete streamed read writes its users as it goes. A group that still names a renamed
// user by the DN the cloud directory knew it by (a directory without referential
// integrity) keeps that member, as when the users are written after the groups' members
// are resolved; and a user whose manager comes later in the read gets that manager.
TEST_P(SyncTest, AStreamedCompleteReadResolvesMembersByTheDnsTheCloudDirectoryKnew) {
  ASSERT_TRUE(sync(kDirectory));
  const std::string megan_id = cloud_user("megan@contoso.com").object_id;
  ASSERT_FALSE(megan_id.empty());
  // User 1 (Megan) is renamed and comes last; Vesa's manager names her new DN, the group
  // still her old one.
  const std::string old_dn = "CN=User 1,OU=Staff,DC=contoso,DC=com";
  const std::string new_dn = "CN=Megan Bowen,OU=Staff,DC=contoso,DC=com";
  auto records = parse_ldif(kDirectory);
  ASSERT_TRUE(records);
  std::vector<LdifRecord> entries;
  LdifRecord megan_entry;
  for (LdifRecord& e : *records) {
    if (e.dn == old_dn) {
      megan_entry = e;
      megan_entry.dn = new_dn;
      continue;
    }
    for (LdifAttribute& a : e.attributes) {
      if (a.name == "manager" && a.value == old_dn) a.value = new_dn;
    }
    entries.push_back(e);
  }
  entries.push_back(megan_entry);
  SourceRead streamed;
  streamed.stream = [&](EntrySink& sink, SourceRead&) -> Status {
    for (const LdifRecord& e : entries) sink.add(LdifRecord(e));
    return Status::ok();
  };
  auto r = run_source_sync(*store_, tenant_, streamed, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").skipped.count("group member outside the synced scope"), 0u);
  auto admins = directory_->group_by_anchor(tenant_.id, DirectoryLayer::kCloud, guid_b64(90));
  ASSERT_TRUE(admins && *admins);
  EXPECT_EQ((**admins).members, std::vector<std::string>{megan_id});
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Manager"), "i:0#.f|membership|megan@contoso.com");
  EXPECT_EQ(by_upn("megan@contoso.com").first("SPS-DistinguishedName"), new_dn);
}

// A streamed read that fails fails the run with its own error, even after an entry stage 0
// refused, and nothing is written: as when the read ran to its end before stage 0.
TEST_P(SyncTest, AStreamedReadThatFailsWritesNothing) {
  ASSERT_TRUE(sync(kDirectory));
  const int64_t seq = *store_->last_seq(tenant_.id);
  auto good = parse_ldif(ad_user(8, "new@contoso.com", ""));
  ASSERT_TRUE(good);
  LdifRecord anchorless;
  anchorless.dn = "CN=NoAnchor,OU=Staff,DC=contoso,DC=com";
  anchorless.attributes = {{"objectClass", "user"}, {"userPrincipalName", "no@contoso.com"}};
  for (bool refused_first : {false, true}) {
    SourceRead broken;
    broken.stream = [&](EntrySink& sink, SourceRead&) -> Status {
      if (refused_first) sink.add(LdifRecord(anchorless));
      for (int i = 0; i < 600; ++i) sink.add(LdifRecord((*good)[0]));  // several batches
      return unavailable("the server went away after 601 entries");
    };
    auto r = run_source_sync(*store_, tenant_, broken, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().message(), "the server went away after 601 entries");
    // A run of a later stage alone still reads its source first, and fails with it.
    SyncOptions later;
    later.only_stage = 1;
    auto alone = run_source_sync(*store_, tenant_, broken, later);
    ASSERT_FALSE(alone);
    EXPECT_EQ(alone.status().message(), "the server went away after 601 entries");
  }
  // The read ends well: the refused entry is the error, named as stage 0 names it.
  SourceRead refused;
  refused.stream = [&](EntrySink& sink, SourceRead&) -> Status {
    sink.add(LdifRecord((*good)[0]));
    sink.add(LdifRecord(anchorless));
    return Status::ok();
  };
  auto r = run_source_sync(*store_, tenant_, refused, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("entry CN=NoAnchor,OU=Staff,DC=contoso,DC=com: no source "
                                      "anchor"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq);
  EXPECT_FALSE(has_profile("new@contoso.com"));
}

TEST_P(SyncTest, APresentPhaseDeletesOnlyEntryUuidUsersItDoesNotName) {
  ASSERT_TRUE(sync(kDirectory));
  // A present phase that names nothing: every user anchored on an entryUUID is gone, but
  // users anchored on objectGUID cannot be named by one and stay for a complete read.
  SourceRead delta;
  delta.complete = false;
  delta.present_anchors.emplace();
  auto r = run_source_sync(*store_, tenant_, delta, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").deleted, 1);
  EXPECT_FALSE(has_profile("erwin@contoso.com"));
  EXPECT_TRUE(has_profile("megan@contoso.com"));
}

TEST_P(SyncTest, ADeletedManagerLeavesTheirReportsWithoutOne) {
  ASSERT_TRUE(sync(kDirectory));
  ASSERT_EQ(by_upn("bert@contoso.com").first("Manager"), "i:0#.f|membership|vesa@contoso.com");
  SourceRead delta;
  delta.complete = false;
  delta.deleted_anchors = {guid_b64(2)};
  auto r = run_source_sync(*store_, tenant_, delta, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").deleted, 1);
  EXPECT_EQ(stage(*r, "connect").updated, 1) << "Bert loses his manager";
  EXPECT_FALSE(has_profile("vesa@contoso.com"));
  EXPECT_EQ(by_upn("bert@contoso.com").first("Manager"), "");
}

// Reopens the database with SQLite itself.
class SqliteSyncTest : public SyncTest {};
UPSYNC_TEST_ON_SQLITE(SqliteSyncTest);

// A database synced before migration 8: the migration fills the DN and manager keys, so the
// first delta after the upgrade resolves managers and clears reports like any other.
TEST_P(SqliteSyncTest, MigrationEightIndexesUsersSyncedBeforeIt) {
  ASSERT_TRUE(sync(kDirectory));
  store_.reset();
  const std::string db = (dir_.path() / "upsync.db").string();
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(raw,
                                "DROP INDEX directory_users_by_dn; "
                                "DROP INDEX directory_users_by_manager; "
                                "DROP INDEX directory_users_by_mail; "
                                "ALTER TABLE directory_users DROP COLUMN mail_key; "
                                "ALTER TABLE directory_users DROP COLUMN dn_key; "
                                "ALTER TABLE directory_users DROP COLUMN manager_key; "
                                "DROP TABLE source_states; DROP INDEX profiles_by_manager; "
                                "DROP TABLE site_users; DROP TABLE connectors; "
                                "ALTER TABLE profiles DROP COLUMN manager_key; "
                                "DROP TABLE directory_groups; "
                                "DROP TABLE directory_group_members; "
                                "DROP TABLE directory_transitive_members; "
                                "DROP TABLE profile_custom; "
                                "ALTER TABLE import_jobs DROP COLUMN source_size; "
                                "ALTER TABLE import_jobs DROP COLUMN source_modified_ns; "
                                "ALTER TABLE import_jobs DROP COLUMN source_sha256; "
                                "DROP TABLE token_generations; "
                                "DROP TABLE site_permission_scopes; "
                                "DROP TABLE site_role_assignments; DROP TABLE site_principals; "
                                "DROP TABLE app_certificates; "
                                "DROP TABLE people_search_entries; "
                                "DROP TABLE people_search_tokens; DROP TABLE follows; "
                                "DROP TABLE app_redirect_uris; DROP TABLE authorization_codes; "
                                "DROP TABLE browser_sessions; "
                                "DROP TABLE directory_member_changes; "
                                "DROP TABLE refresh_tokens; "
                                "DROP TABLE property_policies; "
                                "DROP TABLE audiences; DROP TABLE audience_members; "
                                "DROP TABLE hybrid_settings; DROP TABLE leases; "
                                "DROP TABLE privacy_choices; "
                                "ALTER TABLE import_jobs DROP COLUMN multi_value_arrays; "
                                "PRAGMA user_version = 7;",
                                nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(raw);
  }
  auto reopened = SqliteStore::open(db, /*create=*/false);
  ASSERT_TRUE(reopened) << reopened.status().to_string();
  store_ = std::move(*reopened);

  // Bert now reports to Megan (found by DN); Vesa leaves, and had no other reports.
  auto bert = parse_ldif(ad_user(3, "bert@contoso.com",
                                 "givenName: Bert\nmail: bert@contoso.com\n"
                                 "manager: CN=User 1,OU=Staff,DC=contoso,DC=com\n"));
  ASSERT_TRUE(bert);
  SourceRead delta;
  delta.complete = false;
  delta.entries = *bert;
  auto r = run_source_sync(*store_, tenant_, delta, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(by_upn("bert@contoso.com").first("Manager"), "i:0#.f|membership|megan@contoso.com");
  // Megan leaves: Vesa (synced before the migration) and Bert lose their manager.
  SourceRead gone;
  gone.complete = false;
  gone.deleted_anchors = {guid_b64(1)};
  r = run_source_sync(*store_, tenant_, gone, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").updated, 2);
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Manager"), "");
  EXPECT_EQ(by_upn("bert@contoso.com").first("Manager"), "");
}

TEST_P(SyncTest, BlockedAndUnlicensedUsersAreNotProcessed) {
  ASSERT_TRUE(sync(kDirectory));
  DirectoryUser m = cloud_user("megan@contoso.com");
  ASSERT_FALSE(m.object_id.empty());
  m.attributes["signInBlocked"] = {"true"};
  m.attributes["jobTitle"] = {"Chair"};
  ASSERT_TRUE(directory_->put(tenant_.id, DirectoryLayer::kCloud, m));
  auto r = run_sync(*store_, tenant_, nullptr, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(stage(*r, "store-to-profiles").skipped.at("sign-in blocked"), 1);
  EXPECT_EQ(by_upn("megan@contoso.com").first("Title"), "CEO") << "not processed";
}

TEST_P(SyncTest, EducationTenantsGetAStubOnFirstAccessThenSyncFillsIt) {
  auto edu = store_->create_tenant({.name = "school", .education = true});
  ASSERT_TRUE(edu);
  tenant_ = *edu;
  auto first = sync(kDirectory);
  ASSERT_TRUE(first);
  EXPECT_EQ(stage(*first, "store-to-profiles").added, 0);
  EXPECT_EQ(stage(*first, "store-to-profiles")
                .skipped.at("education tenant: profile is created on first access"),
            4);
  // First access: a stub profile with just the account name.
  ASSERT_TRUE(store_->create_profile(tenant_.id, "i:0#.f|membership|vesa@contoso.com", {}));
  SyncOptions full;
  full.full = true;
  ASSERT_TRUE(run_sync(*store_, tenant_, nullptr, full));
  EXPECT_EQ(by_upn("vesa@contoso.com").first("LastName"), "Juvonen");
}

// Seed 002: "The stub profile will be updated with all remaining data as part of the sync
// process": the next delta run fills a stub made at first access, though the run before
// skipped its user and moved its cursor past them; a stub whose user sync does not process
// (blocked, or not in the directory) stays as it is.
TEST_P(SyncTest, EducationStubsAreFilledByTheNextDeltaRun) {
  auto edu = store_->create_tenant({.name = "school", .education = true});
  ASSERT_TRUE(edu);
  tenant_ = *edu;
  const std::string blocked =
      "dn: CN=Blocked,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nobjectGUID:: " + guid_b64(5) +
      "\nuserPrincipalName: blocked@contoso.com\nuserAccountControl: 514\n\n";
  ASSERT_TRUE(sync(kDirectory + blocked));
  // First access, as sp_own_profile() makes it: the account name, the UPN, the display name.
  auto stub = [&](const std::string& upn) {
    const std::vector<PropertyChange> first_access = {
        {"UserName", {upn}}, {"SPS-UserPrincipalName", {upn}}, {"PreferredName", {"Signed In"}}};
    ASSERT_TRUE(store_->create_profile(tenant_.id, "i:0#.f|membership|" + upn, first_access));
  };
  stub("vesa@contoso.com");
  stub("blocked@contoso.com");
  stub("stranger@contoso.com");

  auto delta = sync_stages();
  ASSERT_TRUE(delta) << delta.status().to_string();
  const StageReport& profiles = stage(*delta, "store-to-profiles");
  EXPECT_EQ(profiles.updated, 1);
  EXPECT_EQ(profiles.added, 0);
  Profile vesa = by_upn("vesa@contoso.com");
  EXPECT_EQ(vesa.first("LastName"), "Juvonen");
  EXPECT_EQ(vesa.first("Title"), "PM");
  EXPECT_EQ(vesa.first("Manager"), "i:0#.f|membership|megan@contoso.com");
  EXPECT_FALSE(vesa.first("msOnline-ObjectId").empty());
  EXPECT_EQ(by_upn("blocked@contoso.com").first("LastName"), "") << "not processed";
  EXPECT_EQ(by_upn("stranger@contoso.com").first("msOnline-ObjectId"), "");
  EXPECT_FALSE(has_profile("megan@contoso.com")) << "no stub, no profile";

  // Each stub is looked at once: the next run has nothing to do.
  auto quiet = sync_stages();
  ASSERT_TRUE(quiet);
  EXPECT_EQ(stage(*quiet, "store-to-profiles").updated, 0);
  EXPECT_EQ(stage(*quiet, "store-to-profiles").unchanged, 0);

  // A later directory change of the filled user reaches its profile as for anyone.
  std::string promoted = kDirectory;
  promoted.replace(promoted.find("title: PM"), 9, "title: Lead");
  ASSERT_TRUE(sync(promoted + blocked));
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Title"), "Lead");
}

TEST_P(SyncTest, DryRunWritesNothing) {
  const int64_t seq = *store_->last_seq(tenant_.id);
  SyncOptions dry;
  dry.dry_run = true;
  auto r = sync(kDirectory, dry);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "store-to-profiles").added, 4);
  EXPECT_FALSE(stage(*r, "store-to-profiles").changes.empty());
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq);
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 0);
}

TEST_P(SyncTest, AnUpdatedProfilesLineNamesEachChangeBeforeAndAfter) {
  ASSERT_TRUE(sync(kDirectory));
  std::string changed = kDirectory;
  changed.replace(changed.find("title: PM"), 9, "title: Principal PM");
  SyncOptions dry;
  dry.dry_run = true;
  auto r = sync(changed, dry);
  ASSERT_TRUE(r) << r.status().to_string();
  const auto& lines = stage(*r, "store-to-profiles").changes;
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "~ i:0#.f|membership|vesa@contoso.com (SPS-JobTitle: PM \u2192 Principal PM, Title: PM "
            "\u2192 Principal PM)");
}

TEST_P(SyncTest, BadEntriesAreRefusedWithTheirLineAndNothingChanges) {
  ASSERT_TRUE(sync(kDirectory));
  const int64_t seq = *store_->last_seq(tenant_.id);
  auto no_anchor = sync(kDirectory +
                        "dn: CN=X,DC=contoso,DC=com\nobjectClass: user\n"
                        "userPrincipalName: x@contoso.com\n");
  ASSERT_FALSE(no_anchor);
  EXPECT_NE(no_anchor.status().message().find("(CN=X,DC=contoso,DC=com): no source anchor"),
            std::string::npos)
      << no_anchor.status().message();
  EXPECT_NE(no_anchor.status().message().find("LDIF line "), std::string::npos);
  auto short_guid = sync("dn: CN=Y\nobjectClass: user\nobjectGUID:: AAEC\n");
  ASSERT_FALSE(short_guid);
  EXPECT_NE(short_guid.status().message().find("LDIF line 1 (CN=Y): objectGUID must be 16 bytes"),
            std::string::npos);
  // Two entries with one anchor (an export that names an object twice), users or groups.
  const std::string twice =
      "dn: uid=a,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\ncn: A\nsn: A\n"
      "mail: a@example.com\nentryUUID: 11111111-2222-3333-4444-555555555555\n\n"
      "dn: cn=g,ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\ncn: g\n"
      "member: uid=a,ou=people,dc=example,dc=com\n"
      "entryUUID: 11111111-2222-3333-4444-555555555555\n";
  auto dup = sync(twice);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.status().message(),
            "LDIF line 8 (cn=g,ou=groups,dc=example,dc=com): source anchor "
            "'11111111-2222-3333-4444-555555555555' is the anchor of an earlier entry too");
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq);
}

// ---- Stage 3: profiles → site user information lists (seed 002's step 4) ---------------------

class SiteSyncTest : public SyncTest {
 protected:
  void SetUp() override {
    SyncTest::SetUp();
    auto s = open_site_user_store(*store_);
    ASSERT_TRUE(s) << s.status().to_string();
    sites_ = std::move(*s);
  }
  SiteUser ensure(const std::string& site, const std::string& upn) {
    auto u = ensure_site_user(*store_, *sites_, tenant_, site, by_upn(upn));
    EXPECT_TRUE(u) << u.status().to_string();
    return u ? *u : SiteUser{};
  }
  SiteUser in_site(const std::string& site, const std::string& upn) {
    auto u = sites_->by_login(tenant_.id, site, "i:0#.f|membership|" + upn);
    EXPECT_TRUE(u && *u) << upn << " in " << site;
    return u && *u ? **u : SiteUser{};
  }
  std::unique_ptr<SiteUserStore> sites_;
};

TEST_P(SiteSyncTest, EnsuringAUserCopiesTheSyncToSitesPropertiesOnly) {
  ASSERT_TRUE(sync(kDirectory));
  SiteUser megan = ensure("/sites/HR", "megan@contoso.com");
  EXPECT_EQ(megan.site, "sites/hr");
  EXPECT_EQ(megan.id, 1);
  EXPECT_EQ(megan.login_name, "i:0#.f|membership|megan@contoso.com");
  // The Yes rows of seed 002.
  EXPECT_EQ(megan.first("PreferredName"), "Megan Bowen");
  EXPECT_EQ(megan.first("FirstName"), "Megan");
  EXPECT_EQ(megan.first("LastName"), "Bowen");
  EXPECT_EQ(megan.first("WorkPhone"), "(123) 456-7890");
  EXPECT_EQ(megan.first("WorkEmail"), "megan.bowen@contoso.com");
  EXPECT_EQ(megan.first("SPS-SipAddress"), "megan@contoso.com");
  EXPECT_EQ(megan.first("Office"), "Redmond");
  EXPECT_EQ(megan.first("Title"), "CEO");
  EXPECT_EQ(megan.first("SPS-JobTitle"), "CEO");
  EXPECT_EQ(megan.first("Department"), "Executive");
  EXPECT_EQ(megan.first("SPS-MUILanguages"), "en-US");
  EXPECT_EQ(megan.first("UserName"), "megan@contoso.com");
  // The No rows stay out: WWWHomePage (public site redirect), msExchHideFromAddressList.
  EXPECT_EQ(megan.properties.count("SPS-HideFromAddressLists"), 0u);
  for (const auto& [name, values] : megan.properties) {
    EXPECT_NE(values.front(), "https://contoso.com/megan") << name;
  }
  // Ids count per site collection; ensuring again keeps the id.
  EXPECT_EQ(ensure("/sites/hr", "vesa@contoso.com").id, 2);
  EXPECT_EQ(ensure("/teams/x", "vesa@contoso.com").id, 1);
  EXPECT_EQ(ensure("sites/hr/", "megan@contoso.com").id, 1);
  EXPECT_EQ(sites_->list(tenant_.id, "sites/hr")->size(), 2u);
}

TEST_P(SiteSyncTest, Stage3CopiesChangedProfilesIntoEverySiteThatHoldsThem) {
  ASSERT_TRUE(sync(kDirectory));
  ensure("/sites/hr", "vesa@contoso.com");
  ensure("/teams/x", "vesa@contoso.com");
  ensure("/sites/hr", "megan@contoso.com");
  const std::string megan_updated = in_site("sites/hr", "megan@contoso.com").updated_at;

  std::string changed = kDirectory;
  changed.replace(changed.find("title: PM"), 9, "title: Principal PM");
  auto delta = sync(changed);
  ASSERT_TRUE(delta) << delta.status().to_string();
  const StageReport& s3 = stage(*delta, "profiles-to-sites");
  EXPECT_EQ(s3.read, 1) << "only the changed profile is read";
  EXPECT_EQ(s3.updated, 2) << "Vesa's entries in both site collections";
  EXPECT_EQ(in_site("sites/hr", "vesa@contoso.com").first("Title"), "Principal PM");
  EXPECT_EQ(in_site("teams/x", "vesa@contoso.com").first("Title"), "Principal PM");
  EXPECT_EQ(in_site("sites/hr", "megan@contoso.com").updated_at, megan_updated);

  // Nothing changed: stage 3 reads nothing.
  auto idle = sync(changed);
  ASSERT_TRUE(idle);
  EXPECT_EQ(stage(*idle, "profiles-to-sites").read, 0);
}

TEST_P(SiteSyncTest, AdminEditsAndCustomSyncToSitesPropertiesReachTheSitesAtTheNextRun) {
  PropertyDefinition cost;
  cost.name = "CostCenter";
  cost.display_name = "Cost center";
  cost.type = DataType::kString;
  cost.sync_to_sites = true;
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, cost));
  PropertyDefinition secret = cost;
  secret.name = "Badge";
  secret.sync_to_sites = false;
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, secret));
  ASSERT_TRUE(sync(kDirectory));
  ensure("/sites/hr", "bert@contoso.com");

  Profile bert = by_upn("bert@contoso.com");
  ASSERT_TRUE(store_->update_profile(
      tenant_.id, bert.id,
      std::vector<PropertyChange>{{"CostCenter", {"4711"}}, {"Badge", {"B-17"}}}));
  EXPECT_EQ(in_site("sites/hr", "bert@contoso.com").first("CostCenter"), "")
      << "sites get the change from stage 3, not at once";
  auto r = run_sync(*store_, tenant_, nullptr, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "profiles-to-sites").updated, 1);
  SiteUser copy = in_site("sites/hr", "bert@contoso.com");
  EXPECT_EQ(copy.first("CostCenter"), "4711");
  EXPECT_EQ(copy.properties.count("Badge"), 0u) << "not flagged sync to sites";
}

TEST_P(SiteSyncTest, ADeletedProfileStaysInTheSitesListAsInSharePoint) {
  ASSERT_TRUE(sync(kDirectory));
  ensure("/sites/hr", "bert@contoso.com");
  std::string without_bert = kDirectory;
  const size_t at = without_bert.find("dn: CN=User 3,");
  without_bert.erase(at, without_bert.find("\n\n", at) + 2 - at);
  auto r = sync(without_bert);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "store-to-profiles").deleted, 1);
  EXPECT_FALSE(has_profile("bert@contoso.com"));
  EXPECT_EQ(in_site("sites/hr", "bert@contoso.com").first("FirstName"), "Bert");
  EXPECT_EQ(stage(*r, "profiles-to-sites").updated, 0);
}

TEST_P(SiteSyncTest, DryRunAndFullRunOfStage3) {
  ASSERT_TRUE(sync(kDirectory));
  ensure("/sites/hr", "vesa@contoso.com");
  std::string changed = kDirectory;
  changed.replace(changed.find("title: PM"), 9, "title: Principal PM");
  SyncOptions dry;
  dry.dry_run = true;
  auto d = sync(changed, dry);
  ASSERT_TRUE(d) << d.status().to_string();
  EXPECT_EQ(stage(*d, "profiles-to-sites").updated, 1);
  ASSERT_EQ(stage(*d, "profiles-to-sites").changes.size(), 1u);
  EXPECT_EQ(stage(*d, "profiles-to-sites").changes[0],
            "~ /sites/hr i:0#.f|membership|vesa@contoso.com");
  EXPECT_EQ(in_site("sites/hr", "vesa@contoso.com").first("Title"), "PM") << "dry: nothing written";

  ASSERT_TRUE(sync(changed));
  SyncOptions full;
  full.full = true;
  auto f = run_sync(*store_, tenant_, nullptr, full);
  ASSERT_TRUE(f) << f.status().to_string();
  EXPECT_GE(stage(*f, "profiles-to-sites").read, *store_->count_profiles(tenant_.id))
      << "a full run re-reads the whole profile feed";
  EXPECT_EQ(stage(*f, "profiles-to-sites").updated, 0) << "and ends where the delta run did";
  EXPECT_EQ(in_site("sites/hr", "vesa@contoso.com").first("Title"), "Principal PM");
}

TEST(SiteCollectionKeyTest, NamesTheRootSitesAndTeamsAndRefusesTheRest) {
  EXPECT_EQ(*site_collection_key(""), "");
  EXPECT_EQ(*site_collection_key("/"), "");
  EXPECT_EQ(*site_collection_key("/sites/HR"), "sites/hr");
  EXPECT_EQ(*site_collection_key("/teams/X/Shared Documents/a.json"), "teams/x");
  for (const char* bad : {"/hr", "/personal/bob", "/sites/", "/sites/..", "/sites/a\\b"}) {
    auto k = site_collection_key(bad);
    ASSERT_FALSE(k) << bad;
    EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(k.status().message().find(bad), std::string::npos) << k.status().message();
  }
}

// ---- Groups ----

std::string ad_group(int n, const std::string& name, const std::vector<std::string>& members,
                     const std::string& extra = "") {
  std::string e = "dn: CN=" + name +
                  ",OU=Groups,DC=contoso,DC=com\nobjectClass: top\n"
                  "objectClass: group\ncn: " +
                  name + "\nobjectGUID:: " + guid_b64(100 + n) + "\ngroupType: -2147483646\n" +
                  extra;
  for (const std::string& m : members) e += "member: " + m + "\n";
  return e + "\n";
}

std::string user_dn(int n) {
  return "CN=User " + std::to_string(n) + ",OU=Staff,DC=contoso,DC=com";
}
std::string group_dn(const std::string& name) {
  return "CN=" + name + ",OU=Groups,DC=contoso,DC=com";
}

class GroupSyncTest : public SyncTest {
 protected:
  std::string users() {
    return ad_user(1, "one@contoso.com", "") + ad_user(2, "two@contoso.com", "") +
           ad_user(3, "three@contoso.com", "") + ad_user(4, "four@contoso.com", "");
  }
  // A holds user 1 and B; B holds user 2 and C; C holds user 3 and A: a cycle.
  std::string groups() {
    return ad_group(1, "A", {user_dn(1), group_dn("B")},
                    "mail: a@contoso.com\ndescription: first\n") +
           ad_group(2, "B", {user_dn(2), group_dn("C")}) +
           ad_group(3, "C", {user_dn(3), group_dn("A")});
  }
  DirectoryGroup group(const std::string& name, DirectoryLayer layer = DirectoryLayer::kCloud) {
    auto all = directory_->groups(tenant_.id, layer);
    EXPECT_TRUE(all) << all.status().to_string();
    for (const auto& g : *all) {
      if (g.first("displayName") == name) return g;
    }
    ADD_FAILURE() << "no group " << name;
    return {};
  }
  std::string id_of(const std::string& upn) { return cloud_user(upn).object_id; }
  // Names (UPNs and group names) of the ids, sorted.
  std::vector<std::string> names(const std::vector<std::string>& ids,
                                 DirectoryLayer layer = DirectoryLayer::kCloud) {
    std::vector<std::string> out;
    for (const auto& id : ids) {
      auto o = directory_->object(tenant_.id, layer, id);
      EXPECT_TRUE(o && *o) << id;
      if (!o || !*o) continue;
      out.push_back((*o)->user ? (*o)->user->first("userPrincipalName")
                               : (*o)->group->first("displayName"));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> transitive(const std::string& name,
                                      DirectoryLayer layer = DirectoryLayer::kCloud) {
    auto t = directory_->transitive_members(tenant_.id, layer, group(name, layer).object_id);
    EXPECT_TRUE(t) << t.status().to_string();
    return t ? names(*t, layer) : std::vector<std::string>{};
  }
  std::vector<std::string> direct(const std::string& name,
                                  DirectoryLayer layer = DirectoryLayer::kCloud) {
    return names(group(name, layer).members, layer);
  }
  Result<SyncReport> delta(const std::string& ldif) {
    auto records = parse_ldif(ldif);
    if (!records) return records.status();
    SourceRead source;
    source.entries = std::move(*records);
    source.complete = false;
    return run_source_sync(*store_, tenant_, source, {});
  }
  using V = std::vector<std::string>;
};

TEST_P(GroupSyncTest, NestedGroupsWithACycleResolveInBothLayers) {
  auto r = sync(users() + groups());
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.read, 3);
  EXPECT_EQ(stage(*r, "connect").groups.added, 3);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.added, 3);
  EXPECT_EQ(stage(*r, "connect").added, 4) << "users are counted apart from groups";

  DirectoryGroup a = group("A");
  EXPECT_EQ(a.object_id.size(), 36u);
  EXPECT_EQ(a.source_anchor, guid_b64(101));
  EXPECT_EQ(a.first("mail"), "a@contoso.com");
  EXPECT_EQ(a.first("mailNickname"), "a");
  EXPECT_EQ(a.first("description"), "first");
  EXPECT_TRUE(a.flag("securityEnabled", false)) << "groupType -2147483646 has bit 0x80000000";
  EXPECT_TRUE(a.flag("mailEnabled", false));
  EXPECT_FALSE(group("B").flag("mailEnabled", true));

  EXPECT_EQ(direct("A"), (V{"B", "one@contoso.com"}));
  // Through B and C and back to A: every member once, A not its own member.
  const V all = {"B", "C", "one@contoso.com", "three@contoso.com", "two@contoso.com"};
  EXPECT_EQ(transitive("A"), all);
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore), all) << "stage 1 resolved the nesting";
  EXPECT_EQ(transitive("B", DirectoryLayer::kStore),
            (V{"A", "C", "one@contoso.com", "three@contoso.com", "two@contoso.com"}));
  auto of = directory_->member_of(tenant_.id, DirectoryLayer::kCloud, id_of("two@contoso.com"));
  ASSERT_TRUE(of);
  ASSERT_EQ(of->size(), 1u);
  EXPECT_EQ((*of)[0].first("displayName"), "B");

  // The same export again changes nothing; --full ends in the same state.
  r = sync(users() + groups());
  ASSERT_TRUE(r);
  EXPECT_EQ(stage(*r, "connect").groups.unchanged, 3);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.read, 0) << "nothing changed in the feed";
  SyncOptions full;
  full.full = true;
  r = sync(users() + groups(), full);
  ASSERT_TRUE(r);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.read, 3);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.unchanged, 3);
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore), all);
}

TEST_P(GroupSyncTest, ARenamedOrMovedMemberStaysAMember) {
  ASSERT_TRUE(sync(users() + groups()));
  const std::string a_id = group("A").object_id;
  // User 1 renamed and moved; the directory updates the group's member value (AD does,
  // OpenLDAP with refint): same anchor, same object id, the group does not change.
  std::string renamed = users();
  const std::string moved = "CN=Uno,OU=Moved,DC=contoso,DC=com";
  renamed.replace(renamed.find(user_dn(1)), user_dn(1).size(), moved);
  auto r =
      sync(renamed +
           ad_group(1, "A", {moved, group_dn("B")}, "mail: a@contoso.com\ndescription: first\n") +
           ad_group(2, "B", {user_dn(2), group_dn("C")}) +
           ad_group(3, "C", {user_dn(3), group_dn("A")}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").updated, 1) << "the user's DN changed";
  EXPECT_EQ(stage(*r, "connect").groups.unchanged, 3);
  EXPECT_EQ(group("A").object_id, a_id);
  EXPECT_EQ(direct("A"), (V{"B", "one@contoso.com"}));

  // A delta that names only the user renamed again leaves its groups as they are.
  r = delta(ad_user(1, "one@contoso.com", "")
                .replace(0, 4 + user_dn(1).size(), "dn: CN=Eins,OU=Staff,DC=contoso,DC=com"));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.read, 0);
  EXPECT_EQ(direct("A"), (V{"B", "one@contoso.com"}));
  EXPECT_EQ(direct("A", DirectoryLayer::kStore), (V{"B", "one@contoso.com"}));

  // A directory without referential integrity: the user is renamed once more, the group
  // still names it by the DN it had; the same object, still in the export, stays a member.
  std::string again = users();
  again.replace(again.find(user_dn(1)), user_dn(1).size(), "CN=Una,OU=Staff,DC=contoso,DC=com");
  r = sync(again +
           ad_group(1, "A", {"CN=Eins,OU=Staff,DC=contoso,DC=com", group_dn("B")},
                    "mail: a@contoso.com\ndescription: first\n") +
           ad_group(2, "B", {user_dn(2), group_dn("C")}) +
           ad_group(3, "C", {user_dn(3), group_dn("A")}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.unchanged, 3);
  EXPECT_EQ(stage(*r, "connect").skipped.count("group member outside the synced scope"), 0u);
  EXPECT_EQ(direct("A"), (V{"B", "one@contoso.com"}));
}

TEST_P(GroupSyncTest, MembersOutsideTheScopeAreLeftOutAndCounted) {
  auto r = sync(users() + ad_group(1, "A",
                                   {user_dn(1), "CN=Elsewhere,OU=Other,DC=fabrikam,DC=com",
                                    "CN=Printer,OU=Devices,DC=contoso,DC=com"}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").skipped.at("group member outside the synced scope"), 2);
  EXPECT_EQ(direct("A"), (V{"one@contoso.com"}));
}

TEST_P(GroupSyncTest, AMemberUserMovedOutOfScopeOrDeletedLeavesItsGroups) {
  ASSERT_TRUE(sync(users() + groups()));
  // User 2 is gone from the export (deleted, or moved out of the synced OU); B still names
  // the old DN (a directory without referential integrity): it is out of scope now.
  std::string without_two = ad_user(1, "one@contoso.com", "") +
                            ad_user(3, "three@contoso.com", "") +
                            ad_user(4, "four@contoso.com", "");
  auto r = sync(without_two + groups());
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").deleted, 1);
  EXPECT_EQ(stage(*r, "connect").skipped.at("group member outside the synced scope"), 1);
  EXPECT_EQ(direct("B"), (V{"C"}));
  EXPECT_EQ(direct("B", DirectoryLayer::kStore), (V{"C"}));
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore),
            (V{"B", "C", "one@contoso.com", "three@contoso.com"}));

  // A user deleted by a delta (deleted anchor) leaves its groups, which record the change.
  SourceRead source;
  source.complete = false;
  source.deleted_anchors = {guid_b64(3)};
  r = run_source_sync(*store_, tenant_, source, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").deleted, 1);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.read, 1) << "C lost a member";
  EXPECT_EQ(direct("C"), (V{"A"}));
  EXPECT_EQ(direct("C", DirectoryLayer::kStore), (V{"A"}));
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore), (V{"B", "C", "one@contoso.com"}));

  // A user deleted by hand in the cloud directory leaves its groups too.
  ASSERT_TRUE(directory_->remove(tenant_.id, DirectoryLayer::kCloud, id_of("one@contoso.com")));
  EXPECT_EQ(direct("A"), (V{"B"}));
  ASSERT_TRUE(sync_stages());
  EXPECT_EQ(transitive("C", DirectoryLayer::kStore), (V{"A", "B"}));
}

TEST_P(GroupSyncTest, RemovedMembersAndDeletedGroupsAreReflected) {
  ASSERT_TRUE(sync(users() + groups()));
  // B drops C (a removed member); C is deleted on premises.
  auto r = sync(
      users() +
      ad_group(1, "A", {user_dn(1), group_dn("B")}, "mail: a@contoso.com\ndescription: first\n") +
      ad_group(2, "B", {user_dn(2), user_dn(4)}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.deleted, 1);
  EXPECT_EQ(stage(*r, "connect").groups.updated, 1);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.deleted, 1);
  auto c = directory_->group_by_anchor(tenant_.id, DirectoryLayer::kStore, guid_b64(103));
  ASSERT_TRUE(c && *c);
  EXPECT_TRUE((*c)->deleted) << "kept as a tombstone";
  EXPECT_EQ(direct("B", DirectoryLayer::kStore), (V{"four@contoso.com", "two@contoso.com"}));
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore),
            (V{"B", "four@contoso.com", "one@contoso.com", "two@contoso.com"}));
  auto changes = store_->changes_after(tenant_.id, kCloudGroupsFeed, 0, 100);
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->back().op, ChangeOp::kDelete);
}

TEST_P(GroupSyncTest, ADeltaReadsOnlyTheChangedGroups) {
  ASSERT_TRUE(sync(users() + groups()));
  auto r = delta(ad_group(2, "B", {user_dn(2), user_dn(4), group_dn("C")}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.read, 1);
  EXPECT_EQ(stage(*r, "connect").groups.updated, 1);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.read, 1) << "only B's change is in the feed";
  EXPECT_EQ(stage(*r, "cloud-to-store").read, 0);
  EXPECT_EQ(direct("B"), (V{"C", "four@contoso.com", "two@contoso.com"}))
      << "members named by DN resolve to users synced before";
  EXPECT_EQ(
      transitive("C", DirectoryLayer::kStore),
      (V{"A", "B", "four@contoso.com", "one@contoso.com", "three@contoso.com", "two@contoso.com"}));
  // A full run from the same export ends in the same state.
  SyncOptions full;
  full.full = true;
  ASSERT_TRUE(run_sync(*store_, tenant_, nullptr, full));
  EXPECT_EQ(
      transitive("C", DirectoryLayer::kStore),
      (V{"A", "B", "four@contoso.com", "one@contoso.com", "three@contoso.com", "two@contoso.com"}));
}

TEST_P(GroupSyncTest, TheDeletionThresholdCountsGroupsAndDryRunsShowThem) {
  ASSERT_TRUE(sync(users() + groups()));
  SyncOptions o;
  o.deletion_threshold = 1;
  auto r = sync(users(), o);  // all three groups gone
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("would delete 0 users and 3 groups"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(directory_->groups(tenant_.id, DirectoryLayer::kCloud)->size(), 3u);

  o.deletion_threshold = 500;
  o.dry_run = true;
  r = sync(users() + ad_group(4, "D", {user_dn(4)}) + groups(), o);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.added, 1);
  const auto& changes = stage(*r, "connect").changes;
  EXPECT_NE(std::find(changes.begin(), changes.end(), "+ group D"), changes.end());
  EXPECT_EQ(directory_->groups(tenant_.id, DirectoryLayer::kCloud)->size(), 3u)
      << "dry: nothing written";
}

TEST_P(GroupSyncTest, MalformedGroupEntriesAreRefusedWithTheirLineAndChangeNothing) {
  struct Case {
    std::string ldif;
    std::string message;
  } cases[] = {
      {ad_group(1, "A", {"not a dn"}),
       "member value 'not a dn' is not a distinguished name: RDN 1 'not a dn' has no '='"},
      {ad_group(1, "A", {"CN=x,=Staff"}), "RDN 2 '=Staff' has no attribute type"},
      {"dn: cn=g,ou=groups,dc=contoso,dc=com\nobjectClass: groupOfNames\ncn: g\n"
       "member: uid=a,dc=contoso,dc=com\n\n",
       "no source anchor"},
      {"dn: CN=A,OU=Groups,DC=contoso,DC=com\nobjectClass: group\nobjectGUID:: " + guid_b64(101) +
           "\ngroupType: lots\n\n",
       "groupType 'lots' is not a 32-bit number"},
      {"dn: CN=A,OU=Groups,DC=contoso,DC=com\nobjectClass: group\nobjectGUID:: " + guid_b64(101) +
           "\ngroupType: 4294967296\n\n",
       "groupType '4294967296' is not a 32-bit number"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ldif);
    auto r = sync(users() + c.ldif);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("LDIF line 33 ("), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
    EXPECT_TRUE(directory_->users(tenant_.id, DirectoryLayer::kCloud)->empty());
    EXPECT_TRUE(directory_->groups(tenant_.id, DirectoryLayer::kCloud)->empty());
  }
}

TEST_P(GroupSyncTest, OpenLdapGroupsOfUniqueNamesAnchorOnEntryUuid) {
  auto r = sync(
      "dn: uid=ann,ou=people,dc=contoso,dc=com\nobjectClass: inetOrgPerson\n"
      "entryUUID: 11111111-2222-3333-4444-555555555555\ncn: Ann\nsn: A\nmail: ann@contoso.com\n\n"
      "dn: cn=team,ou=groups,dc=contoso,dc=com\nobjectClass: groupOfUniqueNames\ncn: team\n"
      "entryUUID: 66666666-7777-8888-9999-AAAAAAAAAAAA\n"
      "uniqueMember: uid=ann,ou=people,dc=contoso,dc=com#'0101'B\n\n");
  ASSERT_TRUE(r) << r.status().to_string();
  DirectoryGroup team = group("team");
  EXPECT_EQ(team.source_anchor, "66666666-7777-8888-9999-aaaaaaaaaaaa");
  EXPECT_EQ(team.first("mailNickname"), "team");
  EXPECT_TRUE(team.flag("securityEnabled", false));
  EXPECT_EQ(direct("team"), (V{"ann@contoso.com"}));
}

// ---- A connector's OU scope and attribute flows (SyncOptions) -------------------------------

TEST_P(SyncTest, OuScopeKeepsOnlyEntriesInsideIncludedAndOutsideExcludedOus) {
  SyncOptions staff;
  staff.include_ous = {"ou=staff,DC=contoso,DC=com"};
  staff.exclude_ous = {"CN=User 3,OU=Staff,DC=contoso,DC=com"};
  auto r = sync(kDirectory, staff);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_TRUE(has_profile("megan@contoso.com"));
  EXPECT_TRUE(has_profile("vesa@contoso.com"));
  EXPECT_FALSE(has_profile("bert@contoso.com")) << "excluded";
  EXPECT_FALSE(has_profile("erwin@contoso.com")) << "not in an included OU";

  // The scope narrows: a complete read deletes who left it.
  SyncOptions narrower = staff;
  narrower.exclude_ous.push_back("CN=User 2,OU=Staff,DC=contoso,DC=com");
  r = sync(kDirectory, narrower);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").deleted, 1);
  EXPECT_FALSE(has_profile("vesa@contoso.com"));

  // In a delta, an entry that comes back out of scope moved out of it: deleted.
  SourceRead delta;
  delta.complete = false;
  auto megan = parse_ldif(kDirectory.substr(0, kDirectory.find("\n\n") + 2));
  ASSERT_TRUE(megan);
  delta.entries = *megan;
  SyncOptions excluded;
  excluded.exclude_ous = {"OU=Staff,DC=contoso,DC=com"};
  r = run_source_sync(*store_, tenant_, delta, excluded);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").deleted, 1);
  EXPECT_FALSE(has_profile("megan@contoso.com"));
}

TEST_P(SyncTest, AttributeFlowsReplaceThePresetsOneAttributeAtATime) {
  SyncOptions o;
  o.attribute_flows = {{"jobTitle", "description"}, {"telephoneNumber", ""}};
  std::string dir = kDirectory;
  dir.replace(dir.find("title: CEO\n"), 11, "title: CEO\ndescription: Chief Executive\n");
  auto r = sync(dir, o);
  ASSERT_TRUE(r) << r.status().to_string();
  Profile megan = by_upn("megan@contoso.com");
  EXPECT_EQ(megan.first("Title"), "Chief Executive");
  EXPECT_EQ(megan.first("WorkPhone"), "") << "flows from nothing";
  EXPECT_EQ(megan.first("Office"), "Redmond") << "other flows keep the preset";
  EXPECT_EQ(by_upn("vesa@contoso.com").first("Title"), "") << "Vesa has no description";
}

UPSYNC_TEST_ON_EVERY_BACKEND(SyncTest);
UPSYNC_TEST_ON_EVERY_BACKEND(SiteSyncTest);
UPSYNC_TEST_ON_EVERY_BACKEND(GroupSyncTest);

}  // namespace
}  // namespace upsync
