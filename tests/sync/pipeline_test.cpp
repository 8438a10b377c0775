// The sync pipeline end to end on every storage backend: LDIF → cloud directory → directory
// store → profiles, with seed 002's and seed 003's mappings and rules (stage 3 and groups:
// site_sync_test.cpp, group_sync_test.cpp).
#include "sync/pipeline.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "core/claims.h"
#include "sites/site_users.h"
#include "store/sqlite/sqlite_store.h"
#include "sync/sync_fixture.h"

namespace upsync {
namespace {

using testing::ad_user;
using testing::guid_b64;
using testing::SyncTest;

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
                                "DROP TABLE import_job_ranges; "
                                "ALTER TABLE import_job_log DROP COLUMN record; "
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

}  // namespace
}  // namespace upsync
