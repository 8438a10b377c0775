// A large bulk import job split into ranges that several workers apply side by side
// (bulkimport/importer.h, ImportRange in bulkimport/job.h): the ranges' store on every
// backend, workers sharing a job, a range held by another worker left to it, a stopped worker's
// range resumed from its checkpoint; each record applied once, the log in the file's order.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bulkimport/import_fixture.h"
#include "bulkimport/importer.h"
#include "core/lease.h"
#include "store/backends.h"

namespace upsync {
namespace {

TEST(SplitIntoRanges, ConsecutiveRangesOfAboutTheSizeAskedOnlyForTwoOrMore) {
  EXPECT_TRUE(split_into_ranges(0, 10).empty());
  EXPECT_TRUE(split_into_ranges(19, 10).empty()) << "less than two ranges' worth";
  EXPECT_TRUE(split_into_ranges(1000, 0).empty()) << "0: never split";
  auto two = split_into_ranges(25, 10);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].first, 0);
  EXPECT_EQ(two[0].end, 12);
  EXPECT_EQ(two[1].first, 12);
  EXPECT_EQ(two[1].end, 25);
  for (const ImportRange& r : two) EXPECT_EQ(r.done, r.first);
  auto many = split_into_ranges(1000000, 10);
  ASSERT_EQ(many.size(), 64u) << "at most 64";
  EXPECT_EQ(many.back().end, 1000000);
  for (size_t i = 1; i < many.size(); ++i) {
    EXPECT_EQ(many[i].first, many[i - 1].end);
    EXPECT_EQ(many[i].index, static_cast<int>(i));
  }
}

// Records: kUsers profiles user0..user{kUsers-1}, every 7th record a user nobody has, one
// record without an identity.
constexpr int kRecords = 61;
constexpr int kUsers = 60;

class ImportRangesTest : public BackendImportTest {
 protected:
  void SetUp() override {
    BackendImportTest::SetUp();
    for (int i = 0; i < kUsers; ++i) {
      const std::string email = "user" + std::to_string(i) + "@contoso.com";
      std::vector<PropertyChange> init{{"WorkEmail", {email}}};
      ASSERT_TRUE(store_->create_profile(tenant_.id, "i:0#.f|membership|" + email, init));
    }
    // The file, and the log a run must write (in the file's order).
    std::string json = "{\"value\":[\n";
    for (int i = 0; i < kRecords; ++i) {
      if (i > 0) json += ",\n";
      if (i == 30) {
        json += R"({"City":"Nowhere"})";
        expected_log_ += "MissingIdentity - The identity is missing for the user object\n";
        continue;
      }
      const std::string id =
          (i % 7 == 3 ? "ghost" : "user") + std::to_string(i % kUsers) + "@contoso.com";
      json += R"({"IdName":")" + id + R"(","City":"City )" + std::to_string(i) +
              R"(","Office":"O)" + std::to_string(i) + "\"}";
      if (i % 7 == 3) {
        expected_log_ += "IdentityNotResolvable " + id + " User identity cannot be resolved\n";
      } else {
        ++applied_;
        expected_city_[id] = "City " + std::to_string(i);  // a later record wins
      }
    }
    json += "\n]}\n";
    const fs::path file = dir_.path() / "ranges.json";
    std::ofstream(file) << json;
    put(file.string());
    start_seq_ = *store_->last_seq(tenant_.id);
  }

  // A second worker: its own connection, job store and importer.
  struct Worker {
    std::unique_ptr<Store> store;
    std::unique_ptr<JobStore> jobs;
  };
  Worker second_worker() {
    auto s = storage_->connect();
    EXPECT_TRUE(s) << s.status().to_string();
    auto j = open_job_store(**s);
    EXPECT_TRUE(j);
    return {std::move(*s), std::move(*j)};
  }

  std::string queue(BulkImporter& imp) {
    auto id =
        imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
    EXPECT_TRUE(id) << id.status().to_string();
    return id ? *id : "";
  }

  // The job ended with every record applied once: values, one profile-feed entry per applied
  // record, the count, the ranges finished and free, the log in the file's order.
  void expect_applied_once(const std::string& id) {
    ImportJob job = *jobs_->get(tenant_.id, id);
    EXPECT_EQ(job.state, ImportJobState::kError);
    EXPECT_EQ(job.error, ImportJobError::kImportCompleteWithError);
    EXPECT_EQ(job.records_done, kRecords);
    for (const auto& [email, city] : expected_city_) EXPECT_EQ(prop(email, "City"), city);
    auto changes = store_->count_changes_after(tenant_.id, kProfilesFeed, start_seq_);
    ASSERT_TRUE(changes);
    EXPECT_EQ(*changes, applied_) << "a record applied twice, or lost";
    auto ranges = jobs_->ranges(id);
    ASSERT_TRUE(ranges);
    EXPECT_EQ(ranges->size(), 6u);
    for (const ImportRange& r : *ranges) {
      EXPECT_TRUE(r.finished()) << "range " << r.index;
      EXPECT_FALSE(r.lease) << "range " << r.index << " still leased";
    }
    EXPECT_FALSE(job.lease);
    EXPECT_EQ(log_of(job), expected_log_);
  }

  const ImportLimits kSplit{.batch_records = 3, .range_records = 10};
  int applied_ = 0;  // the records that name a user
  std::map<std::string, std::string> expected_city_;
  std::string expected_log_;
  int64_t start_seq_ = 0;
};

TEST_P(ImportRangesTest, TheRangesStoreChecksEachCheckpointAndKeepsTheLogInRecordOrder) {
  auto imp = importer();
  const std::string id = queue(imp);
  EXPECT_TRUE(jobs_->ranges(id)->empty());
  auto ranges = split_into_ranges(40, 10);
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(*jobs_->create_ranges(id, ranges), true);
  EXPECT_EQ(*jobs_->create_ranges(id, split_into_ranges(40, 20)), false) << "split once";
  ASSERT_EQ(jobs_->ranges(id)->size(), 4u);

  ImportJob job = *jobs_->get(tenant_.id, id);
  job.state = ImportJobState::kProcessing;
  ASSERT_TRUE(jobs_->update(job).is_ok());
  auto advance = [&](int index, int64_t from, int64_t to) {
    bool moved = false;
    Status st = store_->in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(moved, jobs_->advance_range(id, index, from, to));
      // What a worker does when the checkpoint moved under it: nothing commits.
      return moved ? Status::ok() : failed_precondition("moved");
    });
    EXPECT_EQ(st.is_ok(), moved);
    return moved;
  };
  EXPECT_TRUE(advance(1, 10, 13));
  EXPECT_FALSE(advance(1, 10, 16)) << "another worker moved it to 13";
  EXPECT_TRUE(advance(1, 13, 20));
  EXPECT_TRUE(advance(3, 30, 32));
  EXPECT_EQ(jobs_->get(tenant_.id, id)->records_done, 12);
  auto now = jobs_->ranges(id);
  EXPECT_EQ((*now)[1].done, 20);
  EXPECT_TRUE((*now)[1].finished());
  EXPECT_EQ((*now)[3].done, 32);
  EXPECT_EQ((*now)[0].done, 0);

  // A range whose worker holds its lease shows it.
  auto leases = store_->lease_store();
  ASSERT_TRUE(leases);
  ASSERT_TRUE((*leases)->claim(import_range_lease_name(id, 2), "host:7/worker", kLeaseTtl));
  now = jobs_->ranges(id);
  ASSERT_TRUE((*now)[2].lease);
  EXPECT_EQ((*now)[2].lease->holder, "host:7/worker");
  EXPECT_FALSE((*now)[0].lease);

  // A job that ended takes no more checkpoints.
  job.state = ImportJobState::kError;
  ASSERT_TRUE(jobs_->update(job).is_ok());
  EXPECT_FALSE(advance(3, 32, 35));
  EXPECT_EQ(jobs_->ranges(id)->at(3).done, 32);

  // Lines come back by record, then in the order written.
  ASSERT_TRUE(jobs_->add_log_line(id, "record 5", 5).is_ok());
  ASSERT_TRUE(jobs_->add_log_line(id, "record 2, first", 2).is_ok());
  ASSERT_TRUE(jobs_->add_log_line(id, "the file", -1).is_ok());
  ASSERT_TRUE(jobs_->add_log_line(id, "record 2, second", 2).is_ok());
  EXPECT_EQ(*jobs_->log_lines(id), (std::vector<std::string>{"the file", "record 2, first",
                                                             "record 2, second", "record 5"}));
}

// The first worker splits the job and applies a range; while it is at it, a second worker
// applies every other range; the first ends the job.
TEST_P(ImportRangesTest, TwoWorkersShareTheRangesOfOneJobAndApplyEachRecordOnce) {
  auto first = importer(kSplit);
  first.set_lease_holder("host:1/worker-a");
  const std::string id = queue(first);
  Worker w = second_worker();
  BulkImporter second(*w.store, *w.jobs, *libs_, kSplit);
  second.set_lease_holder("host:2/worker-b");
  bool joined = false;
  std::vector<ImportJob> seen_by_second;
  auto done = first.run_pending([&](const ImportJob&, const ImportProgress& p) {
    if (joined || p.checking) return;
    joined = true;
    // worker-a holds range 0, which the status shows.
    auto ranges = jobs_->ranges(id);
    ASSERT_TRUE(ranges);
    ASSERT_EQ(ranges->size(), 6u);
    ASSERT_TRUE((*ranges)[0].lease);
    EXPECT_EQ((*ranges)[0].lease->holder, "host:1/worker-a");
    EXPECT_FALSE((*ranges)[1].lease);
    // The job is offered to other workers meanwhile (its own lease is free).
    EXPECT_EQ(w.jobs->runnable()->size(), 1u);
    auto ran = second.run_pending();
    ASSERT_TRUE(ran) << ran.status().to_string();
    seen_by_second = *ran;
  });
  ASSERT_TRUE(done) << done.status().to_string();
  ASSERT_TRUE(joined);
  ASSERT_EQ(seen_by_second.size(), 1u);
  EXPECT_EQ(seen_by_second[0].state, ImportJobState::kProcessing)
      << "range 0 was still worker-a's: worker-a ends the job";
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].error, ImportJobError::kImportCompleteWithError);
  expect_applied_once(id);
}

// A range another worker holds is left to it: the job waits for it, and the next worker after
// its release ends the job.
TEST_P(ImportRangesTest, ARangeAnotherWorkerHoldsIsLeftToIt) {
  auto imp = importer(kSplit);
  const std::string id = queue(imp);
  auto leases = store_->lease_store();
  ASSERT_TRUE(leases);
  const std::string held = import_range_lease_name(id, 2);
  ASSERT_TRUE((*leases)->claim(held, "host:9/other", kLeaseTtl));
  auto done = imp.run_pending();
  ASSERT_TRUE(done) << done.status().to_string();
  ImportJob job = *jobs_->get(tenant_.id, id);
  EXPECT_EQ(job.state, ImportJobState::kProcessing);
  auto ranges = *jobs_->ranges(id);
  for (const ImportRange& r : ranges) EXPECT_EQ(r.finished(), r.index != 2) << r.index;
  EXPECT_EQ(job.records_done, kRecords - (ranges[2].end - ranges[2].first));
  // Nothing for another worker to apply: refused with the reason, nothing read.
  auto other = importer(kSplit);
  auto refused = other.run_job(job);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("every range left is being applied by another"),
            std::string::npos)
      << refused.status().message();
  ASSERT_TRUE((*leases)->release(held, "host:9/other").is_ok());
  auto ended = other.run_pending();
  ASSERT_TRUE(ended) << ended.status().to_string();
  expect_applied_once(id);
}

// A worker asked to stop leaves its range at its last checkpoint and free; the next worker
// resumes it there.
TEST_P(ImportRangesTest, AStoppedWorkersRangeIsResumedFromItsCheckpoint) {
  auto imp = importer(kSplit);
  const std::string id = queue(imp);
  std::atomic<bool> stop{false};
  imp.set_stop_flag(&stop);
  int batches = 0;
  auto done = imp.run_pending([&](const ImportJob&, const ImportProgress& p) {
    if (!p.checking && ++batches == 5) stop = true;  // in the second range, after one batch
  });
  ASSERT_TRUE(done) << done.status().to_string();
  ImportJob job = *jobs_->get(tenant_.id, id);
  EXPECT_EQ(job.state, ImportJobState::kProcessing);
  auto ranges = *jobs_->ranges(id);
  EXPECT_TRUE(ranges[0].finished());
  EXPECT_EQ(ranges[1].done, ranges[1].first + 3);
  EXPECT_FALSE(ranges[1].lease) << "released when the worker stopped";
  EXPECT_EQ(job.records_done, (ranges[0].end - ranges[0].first) + 3);
  auto next = importer(kSplit);
  auto ended = next.run_pending();
  ASSERT_TRUE(ended) << ended.status().to_string();
  expect_applied_once(id);
}

// A small job is never split; a job resumed whole (its checkpoint past the start: a worker
// before ranges existed, or one with splitting off) stays whole.
TEST_P(ImportRangesTest, ASmallJobOrOneResumedWholeIsAppliedWhole) {
  auto small = importer({.batch_records = 3, .range_records = 40});
  const std::string id = queue(small);
  ASSERT_TRUE(small.run_pending());
  EXPECT_TRUE(jobs_->ranges(id)->empty());
  EXPECT_EQ(jobs_->get(tenant_.id, id)->records_done, kRecords);

  auto whole = importer({.batch_records = 3, .range_records = 0});
  const std::string resumed = queue(whole);
  std::atomic<bool> stop{false};
  whole.set_stop_flag(&stop);
  ASSERT_TRUE(whole.run_pending([&](const ImportJob&, const ImportProgress& p) {
    if (!p.checking) stop = true;
  }));
  EXPECT_EQ(jobs_->get(tenant_.id, resumed)->records_done, 3);
  auto split = importer(kSplit);
  ASSERT_TRUE(split.run_pending());
  EXPECT_TRUE(jobs_->ranges(resumed)->empty());
  EXPECT_EQ(jobs_->get(tenant_.id, resumed)->records_done, kRecords);
  EXPECT_EQ(jobs_->get(tenant_.id, resumed)->error, ImportJobError::kImportCompleteWithError);
}

UPSYNC_TEST_ON_EVERY_BACKEND(ImportRangesTest);

}  // namespace
}  // namespace upsync
