// Every sync run, succeeded or refused, lands in the tenant's run history with its report.
#include "sync/run_history.h"

#include <gtest/gtest.h>

#include "store/store_fixture.h"

namespace upsync {
namespace {

using testing::StoreTest;

std::string user(int n, const std::string& upn) {
  std::string guid(16, '\0');
  guid[0] = static_cast<char>(n & 0xff);
  guid[1] = static_cast<char>(n >> 8);
  return "dn: CN=U" + std::to_string(n) +
         ",DC=contoso,DC=com\nobjectClass: user\nobjectGUID:: " + base64_encode(guid) +
         "\nuserPrincipalName: " + upn + "\nuserAccountControl: 512\n\n";
}

class RunHistoryTest : public StoreTest {
 protected:
  SyncRun sync(const std::string& ldif, SyncOptions o = {}) {
    auto records = parse_ldif(ldif);
    EXPECT_TRUE(records);
    auto run = run_and_record(*store_, tenant_, &records.value(), o, "cli", "ldif");
    EXPECT_TRUE(run) << run.status().to_string();
    return run ? *run : SyncRun{};
  }
};

TEST_P(RunHistoryTest, RecordsSucceededDryAndRefusedRunsNewestFirst) {
  SyncRun first = sync(user(1, "a@contoso.com") + user(2, "b@contoso.com"));
  EXPECT_TRUE(first.succeeded);
  SyncOptions dry;
  dry.dry_run = true;
  SyncRun second = sync(user(1, "a@contoso.com"), dry);
  EXPECT_TRUE(second.succeeded);
  SyncOptions strict;
  strict.deletion_threshold = 0;
  SyncRun refused = sync(user(1, "a@contoso.com"), strict);
  EXPECT_FALSE(refused.succeeded);
  EXPECT_NE(refused.error.find("more than the deletion threshold of 0"), std::string::npos)
      << refused.error;

  auto runs_store = open_sync_run_store(*store_);
  ASSERT_TRUE(runs_store);
  auto runs = (*runs_store)->list(tenant_.id, 10);
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].id, refused.id);
  EXPECT_FALSE((*runs)[0].succeeded);
  EXPECT_EQ((*runs)[0].error, refused.error);
  EXPECT_TRUE((*runs)[1].dry_run);
  const SyncRun& back = (*runs)[2];
  EXPECT_EQ(back.trigger, "cli");
  EXPECT_EQ(back.source, "ldif");
  ASSERT_EQ(back.report.stages.size(), first.report.stages.size());
  for (size_t i = 0; i < back.report.stages.size(); ++i) {
    EXPECT_EQ(back.report.stages[i].stage, first.report.stages[i].stage);
    EXPECT_EQ(back.report.stages[i].added, first.report.stages[i].added);
  }
  EXPECT_EQ(back.report.stages[0].added, 2);  // stage 0: two users into the cloud directory

  // The refused run changed nothing: both users are still there.
  EXPECT_TRUE(store_->profile(tenant_.id, {ProfileKeyKind::kPrincipalName, "b@contoso.com"}));

  auto one = (*runs_store)->get(tenant_.id, first.id);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->started_at, first.started_at);
  EXPECT_EQ(sync_run_json(*one)["status"], "succeeded");
  EXPECT_EQ(sync_run_json(refused)["error"], refused.error);
}

TEST_P(RunHistoryTest, RunsOfOneTenantAreNotAnothers) {
  SyncRun run = sync(user(1, "a@contoso.com"));
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other);
  auto runs_store = open_sync_run_store(*store_);
  EXPECT_EQ((*runs_store)->get(other->id, run.id).status().code(), StatusCode::kNotFound);
  auto runs = (*runs_store)->list(other->id, 10);
  ASSERT_TRUE(runs);
  EXPECT_TRUE(runs->empty());
}

TEST_P(RunHistoryTest, GroupCountsAreKeptAndOlderReportsWithoutThemStillRead) {
  std::string guid(16, '\0');
  guid[0] = 77;
  sync(user(1, "a@contoso.com") + "dn: CN=G,DC=contoso,DC=com\nobjectClass: group\nobjectGUID:: " +
       base64_encode(guid) + "\nmember: CN=U1,DC=contoso,DC=com\n\n");
  auto runs_store = open_sync_run_store(*store_);
  ASSERT_TRUE(runs_store);
  auto runs = (*runs_store)->list(tenant_.id, 1);
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 1u);
  const SyncReport& r = (*runs)[0].report;
  EXPECT_EQ(r.stages[0].groups.added, 1);
  EXPECT_EQ(r.stages[1].groups.added, 1);
  EXPECT_EQ(sync_run_json((*runs)[0])["stages"][0]["groups"]["added"], 1);

  nlohmann::json old = sync_report_json(r);
  for (auto& st : old["stages"]) {
    st.erase("groups");
    st.erase("seconds");
  }
  auto read = sync_report_from_json(old);
  ASSERT_TRUE(read) << read.status().to_string();
  EXPECT_EQ(read->stages[0].groups.added, 0);
  EXPECT_EQ(read->stages[0].added, 1);
  EXPECT_EQ(read->stages[0].seconds, 0);
}

// The history keeps the first kHistoryChangeLines change lines of each stage and counts the
// rest; the run's own report has them all.
TEST_P(RunHistoryTest, TheHistoryKeepsTheFirstChangeLinesOfEachStageAndCountsTheRest) {
  const int n = static_cast<int>(kHistoryChangeLines) + 250;
  std::string ldif;
  for (int i = 1; i <= n; ++i) ldif += user(i, "u" + std::to_string(i) + "@contoso.com");
  SyncRun run = sync(ldif);
  ASSERT_TRUE(run.succeeded) << run.error;
  ASSERT_EQ(run.report.stages[0].changes.size(), static_cast<size_t>(n));
  EXPECT_EQ(run.report.stages[0].changes_omitted, 0);
  EXPECT_FALSE(sync_run_json(run)["stages"][0].contains("changesOmitted"));

  auto runs_store = open_sync_run_store(*store_);
  ASSERT_TRUE(runs_store);
  auto back = (*runs_store)->get(tenant_.id, run.id);
  ASSERT_TRUE(back) << back.status().to_string();
  for (size_t i = 0; i < 3; ++i) {
    const StageReport& st = back->report.stages[i];
    SCOPED_TRACE(st.stage);
    EXPECT_EQ(st.added, n);
    ASSERT_EQ(st.changes.size(), kHistoryChangeLines);
    EXPECT_EQ(st.changes_omitted, 250);
    EXPECT_EQ(st.changes.front(), run.report.stages[i].changes.front());
    EXPECT_EQ(st.changes.back(), run.report.stages[i].changes[kHistoryChangeLines - 1]);
    EXPECT_EQ(sync_run_json(*back)["stages"][i]["changesOmitted"], 250);
  }
  // Stage 3 changed nothing (no site lists): nothing to leave out.
  EXPECT_EQ(back->report.stages[3].changes_omitted, 0);
  // Read back and stored again, the count stays the count of the run.
  auto again = sync_report_from_json(sync_report_json(back->report, 10));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->stages[0].changes.size(), 10u);
  EXPECT_EQ(again->stages[0].changes_omitted, n - 10);
}

TEST_P(RunHistoryTest, EachStageKeepsItsDuration) {
  SyncRun run = sync(user(1, "a@contoso.com"));
  ASSERT_EQ(run.report.stages.size(), 4u);
  double sum = 0;
  for (const StageReport& st : run.report.stages) {
    EXPECT_GE(st.seconds, 0) << st.stage;
    sum += st.seconds;
  }
  EXPECT_LE(sum, run.seconds + 0.004);  // the stages run inside the run (rounding per stage)
  auto runs_store = open_sync_run_store(*store_);
  ASSERT_TRUE(runs_store);
  auto back = (*runs_store)->get(tenant_.id, run.id);
  ASSERT_TRUE(back);
  for (size_t i = 0; i < run.report.stages.size(); ++i) {
    EXPECT_EQ(back->report.stages[i].seconds, run.report.stages[i].seconds);
    EXPECT_EQ(sync_run_json(*back)["stages"][i]["seconds"], run.report.stages[i].seconds);
  }
}

// Finding 8 of issue 15: a run killed after its data committed, before it came back to write
// its history, left no entry. The entry commits with the data: another connection that sees
// the run's profiles sees its entry too, at the moment a process killed there would leave.
TEST_P(RunHistoryTest, TheEntryCommitsWithTheRunsData) {
  auto records = parse_ldif(user(1, "a@contoso.com") + user(2, "b@contoso.com"));
  ASSERT_TRUE(records);
  bool looked = false;
  auto run = record_run(
      *store_, tenant_, {}, "cli", "ldif", [&](const SyncOptions& options) -> Result<SyncReport> {
        auto report = run_sync(*store_, tenant_, &records.value(), options);
        // The run's transaction has committed: from here on only record_run's own writes are left.
        auto other = storage_->connect();
        EXPECT_TRUE(other) << other.status().to_string();
        if (!other) return report;
        looked = true;
        EXPECT_TRUE(
            (*other)->profile(tenant_.id, {ProfileKeyKind::kPrincipalName, "b@contoso.com"}))
            << "the data committed";
        auto runs_store = open_sync_run_store(**other);
        EXPECT_TRUE(runs_store);
        auto runs = (*runs_store)->list(tenant_.id, 10);
        EXPECT_TRUE(runs) << runs.status().to_string();
        EXPECT_EQ(runs->size(), 1u) << "no history entry for a run whose data committed";
        if (runs->size() == 1) {
          const SyncRun& entry = runs->front();
          EXPECT_TRUE(entry.succeeded);
          EXPECT_EQ(entry.trigger, "cli");
          EXPECT_EQ(entry.source, "ldif");
          EXPECT_FALSE(entry.finished_at.empty());
          EXPECT_EQ(entry.report.stages.size(), 4u);
          if (entry.report.stages.size() == 4u) {
            EXPECT_EQ(entry.report.stages[2].added, 2);
          }
        }
        return report;
      });
  ASSERT_TRUE(looked);
  ASSERT_TRUE(run) << run.status().to_string();
  EXPECT_TRUE(run->succeeded);
  // The entry the run came back to complete is the one written with its data, not a second.
  auto runs_store = open_sync_run_store(*store_);
  ASSERT_TRUE(runs_store);
  auto runs = (*runs_store)->list(tenant_.id, 10);
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().id, run->id);
  EXPECT_EQ(runs->front().report.stages.size(), 4u);
}

// A run that rolls back (refused, or dry) writes its entry after the rollback, and only one.
TEST_P(RunHistoryTest, ARolledBackRunHasOneEntry) {
  sync(user(1, "a@contoso.com") + user(2, "b@contoso.com"));
  SyncOptions strict;
  strict.deletion_threshold = 0;
  SyncRun refused = sync(user(1, "a@contoso.com"), strict);
  EXPECT_FALSE(refused.succeeded);
  SyncOptions dry;
  dry.dry_run = true;
  SyncRun dry_run = sync(user(1, "a@contoso.com"), dry);
  EXPECT_TRUE(dry_run.succeeded);
  auto runs_store = open_sync_run_store(*store_);
  ASSERT_TRUE(runs_store);
  auto runs = (*runs_store)->list(tenant_.id, 10);
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].id, dry_run.id);
  EXPECT_TRUE((*runs)[0].dry_run);
  EXPECT_EQ((*runs)[1].id, refused.id);
  EXPECT_FALSE((*runs)[1].succeeded);
  EXPECT_TRUE(store_->profile(tenant_.id, {ProfileKeyKind::kPrincipalName, "b@contoso.com"}));
}

// One sync per tenant at a time across processes: while another run holds the tenant's lease
// (here from another connection, as another process would), a run is refused with
// FailedPrecondition naming the holder and since when, and records nothing.
TEST_P(RunHistoryTest, ASecondRunOfATenantIsRefusedWhileTheFirstHoldsItsLease) {
  auto other = storage_->connect();
  ASSERT_TRUE(other) << other.status().to_string();
  auto leases = (*other)->lease_store();
  ASSERT_TRUE(leases);
  auto first = (*leases)->claim(sync_lease_name("contoso"), "host:7/api-sync-1", kSyncLeaseTtl);
  ASSERT_TRUE(first) << first.status().to_string();
  auto running = running_sync(*store_, tenant_);
  ASSERT_TRUE(running);
  ASSERT_TRUE(*running);
  EXPECT_EQ((*running)->holder, "host:7/api-sync-1");

  auto records = parse_ldif(user(1, "a@contoso.com"));
  ASSERT_TRUE(records);
  auto refused = run_and_record(*store_, tenant_, &records.value(), {}, "cli", "ldif");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(
                "tenant 'contoso' is being synced by another run, which must end first: "
                "'sync:contoso' is held by host:7/api-sync-1 since " +
                lease_time_iso(first->acquired_at_ms)),
            std::string::npos)
      << refused.status().message();
  EXPECT_FALSE(store_->profile(tenant_.id, {ProfileKeyKind::kPrincipalName, "a@contoso.com"}));
  EXPECT_TRUE((*open_sync_run_store(*store_))->list(tenant_.id, 10)->empty());

  // Another tenant's sync is not held up.
  auto fabrikam = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fabrikam);
  auto theirs = run_and_record(*store_, *fabrikam, &records.value(), {}, "cli", "ldif");
  ASSERT_TRUE(theirs) << theirs.status().to_string();
  EXPECT_TRUE(theirs->succeeded);

  // Once the first run ends, the next one runs, and leaves no lease behind.
  ASSERT_TRUE((*leases)->release(sync_lease_name("contoso"), "host:7/api-sync-1").is_ok());
  SyncRun run = sync(user(1, "a@contoso.com"));
  EXPECT_TRUE(run.succeeded);
  EXPECT_FALSE(*running_sync(*store_, tenant_));
  EXPECT_FALSE(*(*leases)->get(sync_lease_name("contoso")));
}

// A run whose lease was lost before its commit (it ran past the expiry and another run
// claimed the tenant) commits nothing.
TEST_P(RunHistoryTest, ARunThatLostItsLeaseCommitsNothing) {
  auto other = storage_->connect();
  ASSERT_TRUE(other) << other.status().to_string();
  auto leases = (*other)->lease_store();
  ASSERT_TRUE(leases);
  SyncOptions o;
  bool stolen = false;
  auto records = parse_ldif(user(1, "a@contoso.com"));
  ASSERT_TRUE(records);
  auto run = record_run(*store_, tenant_, o, "cli", "ldif", [&](const SyncOptions& opts) {
    // Mid-run, the lease passes to another run (as after its expiry): the commit must find
    // it lost.
    auto held = (*leases)->get(sync_lease_name("contoso"));
    EXPECT_TRUE(held && *held);
    EXPECT_TRUE((*leases)->release(sync_lease_name("contoso"), (**held).holder).is_ok());
    auto thief = (*leases)->claim(sync_lease_name("contoso"), "host:8/other-run", kSyncLeaseTtl);
    EXPECT_TRUE(thief) << thief.status().to_string();
    stolen = true;
    return sync_tenant(*store_, tenant_, &records.value(), opts);
  });
  ASSERT_TRUE(stolen);
  ASSERT_TRUE(run) << run.status().to_string();
  EXPECT_FALSE(run->succeeded);
  EXPECT_NE(run->error.find("expired before it could commit"), std::string::npos) << run->error;
  EXPECT_FALSE(store_->profile(tenant_.id, {ProfileKeyKind::kPrincipalName, "a@contoso.com"}));
  // The other run's lease is untouched.
  EXPECT_EQ((**(*leases)->get(sync_lease_name("contoso"))).holder, "host:8/other-run");
}

UPSYNC_TEST_ON_EVERY_BACKEND(RunHistoryTest);

}  // namespace
}  // namespace upsync
