// The bulk import's test fixture: a tenant with three profiles on a backend, and the files to
// import in a data folder of its own (bulk_import_test.cpp, multi_value_import_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "bulkimport/importer.h"
#include "store/backends.h"
#include "test_support.h"

namespace upsync {

namespace fs = std::filesystem;
using testing::TempDir;

inline const std::string kData = UPSYNC_TEST_DATA_DIR "/bulkimport/";
inline const std::string kSource = "/sites/hr/Shared Documents/import/users.json";

// A tenant with three profiles on `backend`; the files to import in the data folder dir_.
class ImportFixture : public ::testing::Test {
 protected:
  void open(const testing::Backend& backend) {
    auto storage = backend.open(dir_.path());
    ASSERT_TRUE(storage) << storage.status().to_string();
    storage_ = std::move(*storage);
    auto s = storage_->connect();
    ASSERT_TRUE(s) << s.status().to_string();
    store_ = std::move(*s);
    auto t = store_->create_tenant({.name = "contoso"});
    ASSERT_TRUE(t) << t.status().to_string();
    tenant_ = *t;
    for (std::string name : {"City", "OfficeCode"}) {
      ASSERT_TRUE(store_->add_custom_property(tenant_.id, {.name = name, .display_name = name}));
    }
    ASSERT_TRUE(store_->add_custom_property(
        tenant_.id, {.name = "Hobbies", .display_name = "Hobbies", .multi_value = true}));
    ASSERT_TRUE(store_->add_custom_property(
        tenant_.id, {.name = "Skills", .display_name = "Skills", .taxonomy_bound = true}));
    for (std::string u : {"vesaj", "bjansen", "erwin"}) {
      std::vector<PropertyChange> init{{"WorkEmail", {u + "@contoso.com"}}};
      auto p = store_->create_profile(tenant_.id, "i:0#.f|membership|" + u + "@contoso.com", init);
      ASSERT_TRUE(p) << p.status().to_string();
    }
    auto j = open_job_store(*store_);
    ASSERT_TRUE(j);
    jobs_ = std::move(*j);
    libs_ = std::make_unique<DocumentLibraries>(dir_.str());
  }

  BulkImporter importer(ImportLimits limits = {}) {
    return BulkImporter(*store_, *jobs_, *libs_, limits);
  }

  void put(const std::string& local, const std::string& url = kSource) {
    auto u = parse_file_url(url);
    ASSERT_TRUE(u);
    ASSERT_TRUE(libs_->put_file(tenant_, *u, local).is_ok());
  }

  const std::map<std::string, std::string> kMap{{"City", "City"}, {"Office", "OfficeCode"}};

  // Queues `file` of the corpus with the seed's map and runs the worker.
  ImportJob run_file(const std::string& local, ImportLimits limits = {}) {
    put(local);
    auto imp = importer(limits);
    auto id =
        imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
    EXPECT_TRUE(id) << id.status().to_string();
    auto done = imp.run_pending();
    EXPECT_TRUE(done) << done.status().to_string();
    auto job = imp.get_import_profile_property_job(tenant_, *id);
    EXPECT_TRUE(job);
    return *job;
  }

  // Queues the file at kSource with `map` (users by the e-mail in IdName), runs the worker and
  // expects the job to succeed.
  void run_expecting_success(const std::map<std::string, std::string>& map) {
    auto imp = importer();
    auto id =
        imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", map, kSource);
    ASSERT_TRUE(id) << id.status().to_string();
    ASSERT_TRUE(imp.run_pending());
    auto job = imp.get_import_profile_property_job(tenant_, *id);
    ASSERT_TRUE(job);
    EXPECT_EQ(job->state, ImportJobState::kSucceeded) << job->error_message;
  }

  // Every profile (properties, seq) and the tenant's last change-feed sequence.
  std::string snapshot() {
    std::string out;
    auto page = store_->list_profiles(tenant_.id, {.limit = 1000});
    EXPECT_TRUE(page);
    for (const Profile& p : page->profiles) {
      out += p.account_name + " seq=" + std::to_string(p.seq) + "\n";
      for (const auto& [k, vs] : p.properties) {
        for (const auto& v : vs) out += "  " + k + "=" + v + "\n";
      }
    }
    out += "last_seq=" + std::to_string(*store_->last_seq(tenant_.id));
    return out;
  }

  std::string prop(const std::string& email, const std::string& name) {
    auto p = store_->profile(tenant_.id, {ProfileKeyKind::kEmail, email});
    EXPECT_TRUE(p) << email;
    return p ? p->first(name) : "";
  }

  std::string log_of(const ImportJob& job) {
    auto src = parse_file_url(kSource);
    auto url = src->parent().child(job.job_id).child(kImportLogFileName);
    const fs::path copy = dir_.path() / "log-copy.txt";
    EXPECT_TRUE(libs_->get_file(tenant_, url, copy.string()).is_ok());
    return testing::read_file(copy);
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<JobStore> jobs_;
  std::unique_ptr<DocumentLibraries> libs_;
  Tenant tenant_;
};

// ImportFixture on each backend of the parameter; a suite derives its own name from it.
class BackendImportTest : public ImportFixture,
                          public ::testing::WithParamInterface<testing::Backend> {
 protected:
  void SetUp() override { open(GetParam()); }
};

}  // namespace upsync
