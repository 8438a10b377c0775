// The bulk import worker inside the real `upsync serve`: it runs queued jobs, counts them in
// /metrics, stays off with --no-worker, and on SIGTERM stops a running job at a checkpoint
// that the next server resumes.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>

#include "bulkimport/importer.h"
#include "http/server_process.h"
#include "sites/sites.h"
#include "storage/open_storage.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::Server;
using testing::TempDir;

const std::string kSource = "/sites/hr/Shared Documents/import/users.json";
std::string email(int i) { return "user" + std::to_string(i) + "@contoso.com"; }

class ImportWorkerTest : public ::testing::Test {
 protected:
  std::string data() const { return dir_.str() + "/data"; }

  // `users` profiles with a work email, a file giving each a City, and a queued job.
  std::string prepare(int users) {
    auto store = open_store({.data_dir = data()});
    EXPECT_TRUE(store);
    auto t = (*store)->create_tenant({.name = "contoso"});
    EXPECT_TRUE(t);
    PropertyDefinition city;
    city.name = city.display_name = "City";
    EXPECT_TRUE((*store)->add_custom_property(t->id, city));
    Status st = (*store)->in_transaction([&]() -> Status {
      for (int i = 0; i < users; ++i) {
        std::vector<PropertyChange> init{{"WorkEmail", {email(i)}}};
        auto p = (*store)->create_profile(t->id, "i:0#.f|membership|" + email(i), init);
        if (!p) return p.status();
      }
      return Status::ok();
    });
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    std::string local = dir_.str() + "/users.json";
    {
      std::ofstream f(local);
      f << "{\"value\":[";
      for (int i = 0; i < users; ++i) {
        f << (i ? "," : "") << "{\"IdName\":\"" << email(i) << "\",\"City\":\"C" << i << "\"}";
      }
      f << "]}";
    }
    DocumentLibraries libs(data());
    EXPECT_TRUE(libs.put_file(*t, *parse_file_url(kSource), local).is_ok());
    auto jobs = open_job_store(**store);
    EXPECT_TRUE(jobs);
    BulkImporter imp(**store, **jobs, libs);
    auto id = imp.queue_import_profile_properties(*t, ImportIdType::kEmail, "IdName",
                                                  {{"City", "City"}}, kSource);
    EXPECT_TRUE(id) << id.status().to_string();
    return id ? *id : "";
  }

  ImportJob job(const std::string& id) {
    auto store = open_store({.data_dir = data(), .create = false});
    EXPECT_TRUE(store);
    auto jobs = open_job_store(**store);
    auto t = (*store)->tenant("contoso");
    auto j = (*jobs)->get(t->id, id);
    EXPECT_TRUE(j) << j.status().to_string();
    return j ? *j : ImportJob{};
  }

  // Polls until `done` holds for the job (at most ~60 s).
  ImportJob wait_for(const std::string& id, const std::function<bool(const ImportJob&)>& done) {
    ImportJob j;
    for (int i = 0; i < 12000; ++i) {
      j = job(id);
      if (done(j)) return j;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "job " << id << " stayed " << import_job_state_name(j.state);
    return j;
  }

  // Waits until the job has committed its first batch, and is still running.
  void wait_until_applying(const std::string& id) {
    wait_for(id, [](const ImportJob& j) {
      return j.state == ImportJobState::kProcessing && j.records_done > 0;
    });
  }

  std::string city_of(int i) {
    auto store = open_store({.data_dir = data(), .create = false});
    auto t = (*store)->tenant("contoso");
    auto p = (*store)->profile(t->id, {ProfileKeyKind::kEmail, email(i)});
    EXPECT_TRUE(p);
    auto it = p->properties.find("City");
    return it == p->properties.end() || it->second.empty() ? "" : it->second[0];
  }

  TempDir dir_;
};

TEST_F(ImportWorkerTest, RunsQueuedJobsAndCountsThem) {
  std::string id = prepare(50);
  Server srv(dir_, {"--worker-interval", "0.05"});
  ASSERT_GT(srv.port(), 0);
  ImportJob j =
      wait_for(id, [](const ImportJob& j) { return j.state == ImportJobState::kSucceeded; });
  EXPECT_EQ(j.error, ImportJobError::kNoError);
  EXPECT_EQ(city_of(49), "C49");
  httplib::Client cli("127.0.0.1", srv.port());
  auto m = cli.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("upsync_import_jobs_total{state=\"Succeeded\",error=\"NoError\"} 1"),
            std::string::npos)
      << m->body;
  EXPECT_EQ(srv.stop(), 0);
}

TEST_F(ImportWorkerTest, NoWorkerLeavesJobsQueued) {
  std::string id = prepare(5);
  Server srv(dir_, {"--no-worker", "--worker-interval", "0.05"});
  ASSERT_GT(srv.port(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(job(id).state, ImportJobState::kQueued);
  EXPECT_EQ(srv.stop(), 0);
}

// An import long enough to be caught running (several seconds in a debug build).
constexpr int kUsers = 150000;

TEST_F(ImportWorkerTest, AnotherWriterGetsItsTurnWhileAnImportRuns) {
  std::string id = prepare(kUsers);
  Server srv(dir_, {"--worker-interval", "0.05"});
  ASSERT_GT(srv.port(), 0);
  wait_until_applying(id);
  // A profile edit from another process, between two of the import's batches.
  ASSERT_EQ(testing::run({"--data-dir", data(), "profile", "set", "-t", "contoso",
                          "i:0#.f|membership|" + email(kUsers - 1), "--set", "AboutMe=edited"}),
            0);
  ImportJob during = job(id);
  EXPECT_EQ(during.state, ImportJobState::kProcessing) << "the edit waited for the whole import";
  EXPECT_LT(during.records_done, kUsers);
  ImportJob j =
      wait_for(id, [](const ImportJob& j) { return j.state == ImportJobState::kSucceeded; });
  EXPECT_EQ(j.error, ImportJobError::kNoError);
  EXPECT_EQ(city_of(kUsers - 1), "C" + std::to_string(kUsers - 1));
  EXPECT_EQ(srv.stop(), 0);
}

TEST_F(ImportWorkerTest, SigtermStopsARunningJobAtACheckpointThatTheNextServerResumes) {
  std::string id = prepare(kUsers);
  {
    Server srv(dir_, {"--worker-interval", "0.05"});
    ASSERT_GT(srv.port(), 0);
    wait_until_applying(id);
    EXPECT_EQ(srv.stop(), 0);
    EXPECT_NE(srv.log().find("stopping on signal"), std::string::npos);
  }
  ImportJob stopped = job(id);
  ASSERT_EQ(stopped.state, ImportJobState::kProcessing) << "the job ended before SIGTERM";
  EXPECT_GT(stopped.records_done, 0);
  EXPECT_LT(stopped.records_done, kUsers);
  // Applied up to the checkpoint, nothing after it.
  EXPECT_EQ(city_of(static_cast<int>(stopped.records_done) - 1),
            "C" + std::to_string(stopped.records_done - 1));
  EXPECT_EQ(city_of(static_cast<int>(stopped.records_done)), "");

  Server again(dir_, {"--worker-interval", "0.05"});
  ImportJob j =
      wait_for(id, [](const ImportJob& j) { return j.state == ImportJobState::kSucceeded; });
  EXPECT_EQ(j.error, ImportJobError::kNoError);
  EXPECT_EQ(j.records_done, kUsers);
  EXPECT_EQ(city_of(kUsers - 1), "C" + std::to_string(kUsers - 1));
  EXPECT_EQ(again.stop(), 0);
}

}  // namespace
}  // namespace upsync
