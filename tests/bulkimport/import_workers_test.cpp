// Bulk import workers sharing jobs (seed 003's jobs run by several processes): a worker whose
// checkpoint moved or whose lease was lost writes nothing more, a checkpoint read waits for
// another worker's, and a Processing job is offered to others only once its lease expired.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "bulkimport/import_fixture.h"
#include "bulkimport/importer.h"
#include "core/lease.h"
#include "store/backends.h"

namespace upsync {
namespace {

// On every backend (its JobStore, LeaseStore and ProfileBatchWriter).
class ImportWorkersTest : public BackendImportTest {};

TEST_P(ImportWorkersTest, AWorkerWhoseCheckpointMovedStopsWithoutWriting) {
  put(kData + "seed003_sample.json");
  auto imp = importer({.batch_records = 1});
  auto id =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  ASSERT_TRUE(id);
  // After the first batch, another worker moves the checkpoint past the second record.
  bool moved = false;
  auto done = imp.run_pending([&](const ImportJob& j, const ImportProgress& p) {
    if (p.records_done == 1 && !moved) {
      moved = true;
      ImportJob other = j;
      other.records_done = 2;
      ASSERT_TRUE(jobs_->update(other).is_ok());
    }
  });
  ASSERT_TRUE(done) << done.status().to_string();
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Helsinki");
  EXPECT_EQ(prop("bjansen@contoso.com", "City"), "") << "this worker stopped before record 2";
  ImportJob job = *imp.get_import_profile_property_job(tenant_, *id);
  EXPECT_EQ(job.state, ImportJobState::kProcessing) << "left to the other worker";
  EXPECT_EQ(job.records_done, 2);
  // The next run resumes from the other worker's checkpoint.
  ASSERT_TRUE(imp.run_pending());
  job = *imp.get_import_profile_property_job(tenant_, *id);
  EXPECT_EQ(job.error, ImportJobError::kImportCompleteWithError);
  EXPECT_EQ(prop("erwin@contoso.com", "City"), "Stockholm");
}

// A checkpoint reads the job and writes only if its records_done is unchanged: a second
// worker's transaction must wait for the first one's and read its checkpoint, or both would
// apply the same batch.
TEST_P(ImportWorkersTest, ACheckpointReadWaitsForAnotherWorkersCheckpoint) {
  put(kData + "seed003_sample.json");
  auto imp = importer();
  auto id =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  ASSERT_TRUE(id);
  auto other_store = storage_->connect();
  ASSERT_TRUE(other_store) << other_store.status().to_string();
  auto other_jobs = open_job_store(**other_store);
  ASSERT_TRUE(other_jobs);

  std::promise<void> read_by_first;
  int64_t seen_by_second = -1;
  std::thread second([&] {
    read_by_first.get_future().wait();
    Status st = (*other_store)->in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(ImportJob j, (*other_jobs)->get(tenant_.id, *id));
      seen_by_second = j.records_done;
      return Status::ok();
    });
    EXPECT_TRUE(st.is_ok()) << st.to_string();
  });
  Status st = store_->in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(ImportJob j, jobs_->get(tenant_.id, *id));
    EXPECT_EQ(j.records_done, 0);
    read_by_first.set_value();
    // The second worker reads meanwhile, unless its transaction waits for this one.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    j.records_done = 1;
    return jobs_->update(j);
  });
  second.join();
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_EQ(seen_by_second, 1) << "the second worker read the checkpoint the first one replaced";
}

// A worker frozen past its lease's expiry, whose job another worker took over, commits
// nothing more: its next checkpoint finds the lease lost in its own transaction. The job shows
// its new worker, is not offered to others while that worker holds it, and ends with every
// record applied once.
TEST_P(ImportWorkersTest, AWorkerThatLostItsLeaseAppliesNothingMore) {
  using namespace std::chrono_literals;
  put(kData + "seed003_sample.json");
  auto imp = importer({.batch_records = 1, .lease_ttl = 200ms});
  imp.set_lease_holder("host:1/worker-a");
  auto id =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  ASSERT_TRUE(id);
  auto other_store = storage_->connect();
  ASSERT_TRUE(other_store) << other_store.status().to_string();
  auto other_leases = (*other_store)->lease_store();
  ASSERT_TRUE(other_leases);

  bool taken = false;
  auto done = imp.run_pending([&](const ImportJob& j, const ImportProgress& p) {
    if (p.records_done != 1 || taken) return;
    taken = true;
    // While it runs, the job shows this worker and its heartbeat.
    auto running = jobs_->get(tenant_.id, j.job_id);
    ASSERT_TRUE(running && running->lease);
    EXPECT_EQ(running->lease->holder, "host:1/worker-a");
    EXPECT_FALSE(running->lease->expired);
    std::this_thread::sleep_for(300ms);  // frozen past the expiry
    auto claimed = (*other_leases)->claim(import_lease_name(j.job_id), "host:2/worker-b", 60s);
    ASSERT_TRUE(claimed) << claimed.status().to_string();
  });
  ASSERT_TRUE(done) << done.status().to_string();
  ASSERT_TRUE(taken);
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Helsinki");
  EXPECT_EQ(prop("bjansen@contoso.com", "City"), "") << "worker-a went on after losing its lease";
  ImportJob job = *jobs_->get(tenant_.id, *id);
  EXPECT_EQ(job.state, ImportJobState::kProcessing);
  EXPECT_EQ(job.records_done, 1);
  ASSERT_TRUE(job.lease);
  EXPECT_EQ(job.lease->holder, "host:2/worker-b");
  EXPECT_FALSE(job.lease->expired);
  EXPECT_GE(job.lease->heartbeat_at_ms, job.lease->acquired_at_ms);

  // worker-b holds it: no other worker is offered the job, nor can run it.
  EXPECT_TRUE(jobs_->runnable()->empty());
  auto third = importer();
  EXPECT_TRUE(third.run_pending()->empty());
  auto refused = third.run_job(job);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("held by host:2/worker-b since"), std::string::npos)
      << refused.status().message();

  // worker-b resumes at the checkpoint and ends the job; its lease goes with it.
  auto b = importer();
  b.set_lease_holder("host:2/worker-b");
  auto ended = b.run_job(job);
  ASSERT_TRUE(ended) << ended.status().to_string();
  EXPECT_EQ(ended->error, ImportJobError::kImportCompleteWithError);
  EXPECT_EQ(prop("bjansen@contoso.com", "City"), "Brussels");
  EXPECT_EQ(prop("erwin@contoso.com", "City"), "Stockholm");
  EXPECT_FALSE(jobs_->get(tenant_.id, *id)->lease);
  // Each record once: the log of the interrupted job is the log of a clean run.
  const std::string log = log_of(*ended);
  ImportJob clean = run_file(kData + "seed003_sample.json");
  EXPECT_EQ(log, log_of(clean));
}

// A job left Processing (its worker killed) is offered again only once its lease expired.
TEST_P(ImportWorkersTest, AProcessingJobIsRunnableOnlyOnceItsLeaseExpired) {
  using namespace std::chrono_literals;
  put(kData + "seed003_sample.json");
  auto imp = importer();
  auto id =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  ASSERT_TRUE(id);
  ImportJob job = *jobs_->get(tenant_.id, *id);
  EXPECT_FALSE(job.lease);
  ASSERT_EQ(jobs_->runnable()->size(), 1u);  // Queued
  auto leases = store_->lease_store();
  ASSERT_TRUE(leases);
  auto held = (*leases)->claim(import_lease_name(*id), "host:9/killed", 200ms);
  ASSERT_TRUE(held);
  job.state = ImportJobState::kProcessing;
  ASSERT_TRUE(jobs_->update(job).is_ok());
  EXPECT_TRUE(jobs_->runnable()->empty());
  auto listed = jobs_->list(tenant_.id);
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE((*listed)[0].lease);
  EXPECT_EQ((*listed)[0].lease->holder, "host:9/killed");
  EXPECT_EQ((*listed)[0].lease->heartbeat_at_ms, held->heartbeat_at_ms);
  std::this_thread::sleep_for(300ms);
  auto runnable = jobs_->runnable();
  ASSERT_EQ(runnable->size(), 1u);
  EXPECT_TRUE((*runnable)[0].lease->expired);
  // Another tenant's list never shows it.
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other);
  EXPECT_TRUE(jobs_->list(other->id)->empty());
  auto ran = imp.run_pending();
  ASSERT_TRUE(ran) << ran.status().to_string();
  ASSERT_EQ(ran->size(), 1u);
  EXPECT_EQ((*ran)[0].error, ImportJobError::kImportCompleteWithError);
}

UPSYNC_TEST_ON_EVERY_BACKEND(ImportWorkersTest);

}  // namespace
}  // namespace upsync
