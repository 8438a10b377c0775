// Bulk import (seed 003): states, errors and messages word for word, the seed's sample file,
// and the bad-input corpus of tests/data/bulkimport, each leaving everything else unchanged.
#include <gtest/gtest.h>

#include <filesystem>

#include "bulkimport/import_fixture.h"
#include "bulkimport/import_reader.h"
#include "bulkimport/importer.h"
#include "store/backends.h"
#include "test_support.h"

namespace upsync {
namespace {

// The import on every backend (its JobStore and ProfileBatchWriter).
class BulkImportTest : public BackendImportTest {};

TEST(BulkImportNames, StatesAndErrorsHaveTheSeedNamesAndWireIntegers) {
  const std::pair<ImportJobState, const char*> states[] = {
      {ImportJobState::kUnknown, "Unknown"},       {ImportJobState::kSubmitted, "Submitted"},
      {ImportJobState::kProcessing, "Processing"}, {ImportJobState::kQueued, "Queued"},
      {ImportJobState::kSucceeded, "Succeeded"},   {ImportJobState::kError, "Error"}};
  int i = 0;
  for (auto [s, n] : states) {
    EXPECT_EQ(static_cast<int>(s), i++);
    EXPECT_EQ(import_job_state_name(s), n);
    EXPECT_EQ(parse_import_job_state(n), s);
  }
  const std::tuple<ImportJobError, const char*, int> errors[] = {
      {ImportJobError::kNoError, "NoError", 0},
      {ImportJobError::kInternalError, "InternalError", 1},
      {ImportJobError::kDataFileNotExist, "DataFileNotExist", 20},
      {ImportJobError::kDataFileNotInTenant, "DataFileNotInTenant", 21},
      {ImportJobError::kDataFileTooBig, "DataFileTooBig", 22},
      {ImportJobError::kInvalidDataFile, "InvalidDataFile", 23},
      {ImportJobError::kImportCompleteWithError, "ImportCompleteWithError", 30}};
  for (auto [e, n, wire] : errors) {
    EXPECT_EQ(static_cast<int>(e), wire);
    EXPECT_EQ(import_job_error_name(e), n);
    EXPECT_EQ(parse_import_job_error(n), e);
  }
  EXPECT_EQ(profile_key_kind_for(*parse_import_id_type("Email")), ProfileKeyKind::kEmail);
  EXPECT_EQ(profile_key_kind_for(*parse_import_id_type("CloudId")), ProfileKeyKind::kCloudId);
  EXPECT_EQ(profile_key_kind_for(*parse_import_id_type("PrincipalName")),
            ProfileKeyKind::kPrincipalName);
  EXPECT_FALSE(parse_import_id_type("ObjectId"));
}

TEST_P(BulkImportTest, TheSeedSampleFileImportsAsIs) {
  const std::string before_unrelated = prop("vesaj@contoso.com", "AccountName");
  const int64_t seq0 = *store_->last_seq(tenant_.id);
  ImportJob job = run_file(kData + "seed003_sample.json");
  EXPECT_EQ(job.state, ImportJobState::kError);
  EXPECT_EQ(job.error, ImportJobError::kImportCompleteWithError);
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Helsinki");
  EXPECT_EQ(prop("vesaj@contoso.com", "OfficeCode"), "Viper");
  EXPECT_EQ(prop("bjansen@contoso.com", "City"), "Brussels");
  EXPECT_EQ(prop("bjansen@contoso.com", "OfficeCode"), "Beetle");
  EXPECT_EQ(prop("erwin@contoso.com", "City"), "Stockholm");
  EXPECT_EQ(prop("erwin@contoso.com", "OfficeCode"), "Elite");
  EXPECT_EQ(prop("vesaj@contoso.com", "AccountName"), before_unrelated);
  EXPECT_EQ(log_of(job),
            "IdentityNotResolvable unknowperson@contoso.com User identity cannot be resolved\n");
  EXPECT_EQ(job.log_folder_uri, "/sites/hr/Shared Documents/import/" + job.job_id);
  // The change feed records each changed profile once.
  auto changes = store_->changes_after(tenant_.id, kProfilesFeed, seq0, 100);
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->size(), 3u);
}

TEST_P(BulkImportTest, ACleanFileSucceedsWithNoLog) {
  TempDir tmp;
  testing::write_file(tmp.path() / "ok.json",
                      R"({"value":[{"IdName":"vesaj@contoso.com","City":"Helsinki"}]})");
  ImportJob job = run_file((tmp.path() / "ok.json").string());
  EXPECT_EQ(job.state, ImportJobState::kSucceeded);
  EXPECT_EQ(job.error, ImportJobError::kNoError);
  EXPECT_EQ(job.error_message, "");
  EXPECT_EQ(job.log_folder_uri, "");
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Helsinki");
  // Importing the same values again records no change.
  const int64_t seq = *store_->last_seq(tenant_.id);
  run_file((tmp.path() / "ok.json").string());
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq);
}

// A well-formed file that the quick reader leaves to the exact reader (a value holding "},{"
// where the quick reader cuts its first chunk) is checked and applied by the exact reader.
TEST_P(BulkImportTest, AFileTheQuickReaderLeavesToTheExactReaderImportsAsWell) {
  // The quick reader's first cut looks at the file's first 1,310,720 bytes (five reads of
  // 256 KiB): the brace of "},{b" is placed just before that, the next user object after it.
  const std::string filler = R"({"IdName":"erwin@contoso.com","City":"Stockholm"})";
  const std::string head = R"({"IdName":"vesaj@contoso.com","City":")";
  std::string file = "{\"value\":[";
  while (file.size() + filler.size() + 1 < 1310720 - 200) file += filler + ",";
  const size_t k = 1310720 - 3 - file.size() - head.size() - 2;
  const std::string special = std::string(k, 'x') + "},{b";
  file += head + special + "\"}";
  file += "," + filler + R"(,{"IdName":"bjansen@contoso.com","City":"Brussels"}]})";
  ASSERT_EQ(file.find("},{b"), 1310720u - 5);
  ASSERT_FALSE(
      quick_read_import_buffer(file, [](const ImportRecordView&) { return Status::ok(); }).is_ok());

  TempDir tmp;
  testing::write_file(tmp.path() / "cut.json", file);
  ImportJob job = run_file((tmp.path() / "cut.json").string());
  EXPECT_EQ(job.state, ImportJobState::kSucceeded) << job.error_message;
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), special);
  EXPECT_EQ(prop("erwin@contoso.com", "City"), "Stockholm");
  EXPECT_EQ(prop("bjansen@contoso.com", "City"), "Brussels");
}

// Two profiles may share an e-mail: the import, like every lookup by e-mail, changes the
// first by id, also when the store's index lists the other first (here the first profile took
// the shared e-mail last, so its row was written after the second's).
TEST_P(BulkImportTest, AnEmailSharedByTwoProfilesNamesTheFirstById) {
  auto first =
      store_->create_profile(tenant_.id, "i:0#.f|membership|first@contoso.com",
                             std::vector<PropertyChange>{{"WorkEmail", {"old@contoso.com"}}});
  ASSERT_TRUE(first) << first.status().to_string();
  auto second =
      store_->create_profile(tenant_.id, "i:0#.f|membership|second@contoso.com",
                             std::vector<PropertyChange>{{"WorkEmail", {"team@contoso.com"}}});
  ASSERT_TRUE(second) << second.status().to_string();
  ASSERT_LT(first->id, second->id);
  ASSERT_TRUE(store_->update_profile(
      tenant_.id, first->id, std::vector<PropertyChange>{{"WorkEmail", {"Team@contoso.com"}}}));
  TempDir tmp;
  testing::write_file(tmp.path() / "team.json",
                      R"({"value":[{"IdName":"TEAM@contoso.com","City":"Oslo"},)"
                      R"({"IdName":"vesaj@contoso.com","City":"Turku"}]})");
  put((tmp.path() / "team.json").string());
  run_expecting_success(kMap);
  auto a = store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(first->id)});
  auto b = store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(second->id)});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->first("City"), "Oslo");
  EXPECT_EQ(b->first("City"), "");
  EXPECT_EQ(prop("team@contoso.com", "City"), "Oslo");
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Turku");
}

// A map may name a default property of the catalog that is not editable by users (e.g.
// SPS-HireDate): it lives in the profile's own row, custom properties beside it; both are set
// with one change-feed entry per changed profile, and importing them again changes nothing.
TEST_P(BulkImportTest, DefaultAndCustomTargetsAreBothSet) {
  TempDir tmp;
  testing::write_file(tmp.path() / "ok.json",
                      R"({"value":[{"IdName":"vesaj@contoso.com","City":"Helsinki",)"
                      R"("Hired":"2015-06-01"},{"IdName":"erwin@contoso.com","City":"Espoo"}]})");
  put((tmp.path() / "ok.json").string());
  const std::map<std::string, std::string> map{{"City", "City"}, {"Hired", "SPS-HireDate"}};
  auto run = [&] { run_expecting_success(map); };
  const int64_t before = *store_->last_seq(tenant_.id);
  run();
  const std::string hired = prop("vesaj@contoso.com", "SPS-HireDate");
  EXPECT_FALSE(hired.empty());
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Helsinki");
  EXPECT_EQ(prop("erwin@contoso.com", "City"), "Espoo");
  EXPECT_EQ(*store_->last_seq(tenant_.id), before + 2);
  auto changes = store_->changes_after(tenant_.id, kProfilesFeed, before, 10);
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->size(), 2u);
  const std::string snap = snapshot();
  run();
  EXPECT_EQ(snapshot(), snap);
  EXPECT_EQ(prop("vesaj@contoso.com", "SPS-HireDate"), hired);
}

// One batch where a profile has custom properties already (bjansen) and others have none,
// one of them twice, before and after a default property (which the store writes itself,
// after what the batch has written so far), then the same file with other values: every
// value lands, each change once in the feed, nothing written twice.
TEST_P(BulkImportTest, ABatchMixesProfilesWithAndWithoutCustomValues) {
  auto bjansen = store_->profile(tenant_.id, {ProfileKeyKind::kEmail, "bjansen@contoso.com"});
  ASSERT_TRUE(bjansen);
  ASSERT_TRUE(store_->update_profile(tenant_.id, bjansen->id,
                                     std::vector<PropertyChange>{{"OfficeCode", {"B1"}}}));
  TempDir tmp;
  const std::map<std::string, std::string> map{
      {"City", "City"}, {"Office", "OfficeCode"}, {"Hired", "SPS-HireDate"}};
  auto run = [&](const std::string& first, const std::string& second) {
    testing::write_file(tmp.path() / "mixed.json",
                        R"({"value":[{"IdName":"vesaj@contoso.com","City":")" + first +
                            R"("},{"IdName":"bjansen@contoso.com","City":")" + first +
                            R"("},{"IdName":"erwin@contoso.com","Hired":"2015-06-01"},)" +
                            R"({"IdName":"vesaj@contoso.com","Office":")" + second +
                            R"("},{"IdName":"erwin@contoso.com","City":")" + second + R"("}]})");
    put((tmp.path() / "mixed.json").string());
    run_expecting_success(map);
  };
  int64_t before = *store_->last_seq(tenant_.id);
  run("Helsinki", "V2");
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Helsinki");
  EXPECT_EQ(prop("vesaj@contoso.com", "OfficeCode"), "V2");
  EXPECT_EQ(prop("bjansen@contoso.com", "City"), "Helsinki");
  EXPECT_EQ(prop("bjansen@contoso.com", "OfficeCode"), "B1");
  EXPECT_EQ(prop("erwin@contoso.com", "City"), "V2");
  EXPECT_FALSE(prop("erwin@contoso.com", "SPS-HireDate").empty());
  EXPECT_EQ(*store_->last_seq(tenant_.id), before + 5) << "a feed entry for each record";

  before = *store_->last_seq(tenant_.id);
  run("Espoo", "V3");
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Espoo");
  EXPECT_EQ(prop("vesaj@contoso.com", "OfficeCode"), "V3");
  EXPECT_EQ(prop("bjansen@contoso.com", "City"), "Espoo");
  EXPECT_EQ(prop("erwin@contoso.com", "City"), "V3");
  EXPECT_EQ(*store_->last_seq(tenant_.id), before + 4) << "the hire date is unchanged";
}

TEST_P(BulkImportTest, QueueTimeChecksRefuseWithTheSeedMessages) {
  put(kData + "seed003_sample.json");
  auto imp = importer();
  auto q = [&](std::map<std::string, std::string> map) {
    return imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", map,
                                               kSource);
  };
  auto r = q({{"City", "City"}, {"Office", "AboutMe"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "Property Names [AboutMe] are editable by user.");
  r = q({{"City", "NoSuchProperty"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "Property Names [NoSuchProperty] do not exist.");
  r = q({{"City", "City"}, {"Office", "Department"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "Property Names [Department] are core directory properties.");
  r = q({{"City", "Hobbies"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "Property Names [Hobbies] are multi-valued.");
  r = q({{"City", "Skills"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "Property Names [Skills] are taxonomy-bound.");
  auto jobs = imp.get_import_profile_property_jobs(tenant_);
  ASSERT_TRUE(jobs);
  EXPECT_TRUE(jobs->empty()) << "a refused call records no job";
}

TEST_P(BulkImportTest, OnlyOnlineTenantsImport) {
  auto server = store_->create_tenant({.name = "onprem", .kind = TenantKind::kServer});
  ASSERT_TRUE(server);
  auto r = importer().queue_import_profile_properties(*server, ImportIdType::kEmail, "IdName", kMap,
                                                      kSource);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(BulkImportTest, SourceFileChecksEndTheJobWithTheirErrors) {
  put(kData + "seed003_sample.json");
  auto imp = importer({.max_file_bytes = 100});
  auto queue = [&](const std::string& url) {
    auto id =
        imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, url);
    EXPECT_TRUE(id) << id.status().to_string();
    return *imp.get_import_profile_property_job(tenant_, *id);
  };
  ImportJob other = queue("https://fabrikam.sharepoint.com" + kSource);
  EXPECT_EQ(other.state, ImportJobState::kError);
  EXPECT_EQ(other.error, ImportJobError::kDataFileNotInTenant);
  EXPECT_EQ(other.error_message, "The data source file did not belong to the same tenant");
  ImportJob missing = queue("/sites/hr/Shared Documents/import/nope.json");
  EXPECT_EQ(missing.error, ImportJobError::kDataFileNotExist);
  EXPECT_EQ(missing.error_message, "The data source file could not be found");
  ImportJob big = queue("https://contoso.sharepoint.com" + kSource);
  EXPECT_EQ(big.error, ImportJobError::kDataFileTooBig);
  EXPECT_EQ(big.error_message.rfind("The size of the data file was too big", 0), 0u);
  auto ran = imp.run_pending();
  ASSERT_TRUE(ran);
  EXPECT_TRUE(ran->empty()) << "jobs in Error are not run";
}

TEST_P(BulkImportTest, StatesGoSubmittedQueuedProcessingSucceeded) {
  put(kData + "seed003_sample.json");
  auto imp = importer({.batch_records = 1});
  auto id =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  ASSERT_TRUE(id);
  EXPECT_EQ(imp.get_import_profile_property_job(tenant_, *id)->state, ImportJobState::kQueued);
  std::vector<ImportJobState> seen;
  std::vector<int64_t> checked, applied;
  auto done = imp.run_pending([&](const ImportJob& j, const ImportProgress& p) {
    seen.push_back(imp.get_import_profile_property_job(tenant_, j.job_id)->state);
    if (p.checking) {
      EXPECT_TRUE(applied.empty()) << "the whole file is checked before anything is applied";
      checked.push_back(p.bytes_checked);
      EXPECT_EQ(p.bytes_total, 422);  // the sample file's size
    } else {
      applied.push_back(p.records_done);
    }
  });
  ASSERT_TRUE(done);
  // The check reports after each batch (of one user object here) and at the file's end.
  ASSERT_EQ(checked.size(), 5u);
  EXPECT_TRUE(std::is_sorted(checked.begin(), checked.end()));
  EXPECT_GT(checked.front(), 0);
  EXPECT_LT(checked[3], 422);
  EXPECT_EQ(checked.back(), 422);
  EXPECT_EQ(applied, (std::vector<int64_t>{1, 2, 3, 4}));
  for (auto s : seen) EXPECT_EQ(s, ImportJobState::kProcessing);
  // Submitted is the state of a job recorded before its file is checked.
  ImportJob j;
  j.job_id = "11111111-2222-3333-4444-555555555555";
  j.tenant = tenant_.id;
  j.state = ImportJobState::kSubmitted;
  j.source_uri = kSource;
  ASSERT_TRUE(jobs_->create(j).is_ok());
  EXPECT_EQ(jobs_->get(tenant_.id, j.job_id)->state, ImportJobState::kSubmitted);
  EXPECT_FALSE(jobs_->get(tenant_.id, "00000000-0000-0000-0000-000000000000"));
}

TEST_P(BulkImportTest, OnlyJobsThatHaveNotStartedCanBeRemoved) {
  put(kData + "seed003_sample.json");
  auto imp = importer();
  auto queued =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  auto ran =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  ASSERT_TRUE(queued && ran);
  // Run only the second: the first stays Queued.
  auto job = jobs_->get(tenant_.id, *ran);
  ASSERT_TRUE(job);
  ASSERT_TRUE(imp.run_job(*job));
  ASSERT_EQ(jobs_->get(tenant_.id, *ran)->state, ImportJobState::kError);  // unknown user

  Status started = jobs_->remove_unstarted(tenant_.id, *ran);
  EXPECT_EQ(started.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(started.message().find("has already ended (state Error)"), std::string::npos)
      << started.message();
  EXPECT_TRUE(jobs_->get(tenant_.id, *ran));
  EXPECT_FALSE(jobs_->log_lines(*ran)->empty());

  // Another tenant cannot remove it; an unknown id is NotFound.
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other);
  EXPECT_EQ(jobs_->remove_unstarted(other->id, *queued).code(), StatusCode::kNotFound);
  EXPECT_EQ(jobs_->remove_unstarted(tenant_.id, "00000000-0000-0000-0000-000000000000").code(),
            StatusCode::kNotFound);

  std::string upper = *queued;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_TRUE(jobs_->remove_unstarted(tenant_.id, upper).is_ok());
  EXPECT_EQ(jobs_->get(tenant_.id, *queued).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(jobs_->list(tenant_.id)->size(), 1u);
  EXPECT_TRUE(imp.run_pending()->empty());  // nothing left to run
}

TEST_P(BulkImportTest, AJobDeletedAfterAWorkerListedItIsNotRun) {
  put(kData + "seed003_sample.json");
  auto imp = importer();
  auto id =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  ASSERT_TRUE(id);
  auto listed = jobs_->runnable();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  std::string before = snapshot();
  ASSERT_TRUE(jobs_->remove_unstarted(tenant_.id, *id).is_ok());
  auto ran = imp.run_job((*listed)[0]);
  EXPECT_EQ(ran.status().code(), StatusCode::kNotFound) << ran.status().to_string();
  EXPECT_EQ(snapshot(), before);
  EXPECT_TRUE(jobs_->list(tenant_.id)->empty());
}

TEST_P(BulkImportTest, AFileRemovedAfterQueueingIsDataFileNotExist) {
  put(kData + "seed003_sample.json");
  auto imp = importer();
  auto id =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  ASSERT_TRUE(id);
  ASSERT_TRUE(libs_->remove(tenant_, *parse_file_url(kSource)).is_ok());
  const std::string before = snapshot();
  ASSERT_TRUE(imp.run_pending());
  ImportJob job = *imp.get_import_profile_property_job(tenant_, *id);
  EXPECT_EQ(job.state, ImportJobState::kError);
  EXPECT_EQ(job.error, ImportJobError::kDataFileNotExist);
  EXPECT_EQ(snapshot(), before);
}

TEST_P(BulkImportTest, ASourceReplacedByASymbolicLinkIsNotFollowed) {
  put(kData + "seed003_sample.json");
  auto imp = importer();
  auto id =
      imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", kMap, kSource);
  ASSERT_TRUE(id);
  // The file becomes a link to a file outside the library: the worker reads no link.
  const fs::path local =
      dir_.path() / "files" / tenant_.name / "sites/hr/Shared Documents/import/users.json";
  ASSERT_TRUE(fs::exists(local));
  fs::remove(local);
  fs::create_symlink("/etc/passwd", local);
  const std::string before = snapshot();
  ASSERT_TRUE(imp.run_pending());
  ImportJob job = *imp.get_import_profile_property_job(tenant_, *id);
  EXPECT_EQ(job.state, ImportJobState::kError);
  EXPECT_EQ(job.error, ImportJobError::kDataFileNotExist) << job.error_message;
  EXPECT_EQ(job.error_message.find("root:"), std::string::npos) << job.error_message;
  EXPECT_EQ(snapshot(), before);
}

TEST_P(BulkImportTest, AnUnmappedPropertyAbortsTheWholeFile) {
  const std::string before = snapshot();
  ImportJob job = run_file(kData + "unmapped_property.json");
  EXPECT_EQ(job.state, ImportJobState::kError);
  EXPECT_EQ(job.error, ImportJobError::kInvalidDataFile);
  const std::string line =
      "InvalidProperty - bjansen@contoso.com Property 'AboutMe' is not mapped to any property "
      "in the user profile application.";
  EXPECT_EQ(job.error_message, line);
  EXPECT_EQ(log_of(job), line + "\n");
  EXPECT_EQ(snapshot(), before) << "vesaj, before the bad record, is not applied either";
}

TEST_P(BulkImportTest, MissingIdentityIsLoggedAndTheImportGoesOn) {
  ImportJob job = run_file(kData + "missing_identity.json");
  EXPECT_EQ(job.state, ImportJobState::kError);
  EXPECT_EQ(job.error, ImportJobError::kImportCompleteWithError);
  EXPECT_EQ(log_of(job), "MissingIdentity - The identity is missing for the user object\n");
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Helsinki");
  EXPECT_EQ(prop("erwin@contoso.com", "City"), "Stockholm");
}

TEST_P(BulkImportTest, TheSeedDataFileNotJsonExample) {
  const std::string before = snapshot();
  ImportJob job = run_file(kData + "seed003_not_json.json");
  EXPECT_EQ(job.error, ImportJobError::kInvalidDataFile);
  EXPECT_EQ(job.error_message,
            "DataFileNotJson - JsonToken EndObject is not valid for closing JsonType Array. "
            "Path 'value', line 8, position 10.");
  EXPECT_EQ(log_of(job), job.error_message + "\n");
  EXPECT_EQ(snapshot(), before);
}

TEST_P(BulkImportTest, MoreThanThePropertyLimitIsRefused) {
  const std::string before = snapshot();
  ImportJob job = run_file(kData + "seed003_sample.json", {.max_properties = 7});
  EXPECT_EQ(job.error, ImportJobError::kInvalidDataFile);
  EXPECT_EQ(job.error_message,
            "DataFileTooManyProperties - The data file holds more than 7 properties, the limit "
            "of one import. Path 'value[3]', line 18, position 5.");
  EXPECT_EQ(snapshot(), before);
}

struct Bad {
  const char* file;
  const char* message;
};

// The reader's refusals, on one backend.
class BadInputTest : public ImportFixture, public ::testing::WithParamInterface<Bad> {
 protected:
  void SetUp() override { open(testing::sqlite_backend()); }
};

TEST_P(BadInputTest, EndsInvalidDataFileAndChangesNothing) {
  const std::string before = snapshot();
  ImportJob job = run_file(kData + GetParam().file);
  EXPECT_EQ(job.state, ImportJobState::kError);
  EXPECT_EQ(job.error, ImportJobError::kInvalidDataFile);
  EXPECT_EQ(job.error_message, GetParam().message);
  EXPECT_EQ(log_of(job), std::string(GetParam().message) + "\n");
  EXPECT_EQ(snapshot(), before);
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, BadInputTest,
    ::testing::Values(
        Bad{"truncated.json",
            "DataFileNotJson - Unexpected end when reading JSON. Path 'value[0].City', line 5, "
            "position 18."},
        Bad{"top_level_array.json",
            "InvalidDataFile - The file must be a JSON object with a 'value' array of user "
            "objects, not an array. Path '', line 1, position 1."},
        Bad{"non_string_value.json",
            "InvalidDataFile - The value of property 'City' must be a string, not a number. Path "
            "'value[0].City', line 2, position 44."},
        Bad{"duplicate_key.json",
            "InvalidDataFile - The property 'City' appears twice in the user object. Path "
            "'value[0].City', line 2, position 60."},
        Bad{"invalid_utf8.json",
            "DataFileNotJson - Invalid UTF-8 byte sequence in string. Path 'value[0].City', "
            "line 2, position 48."},
        Bad{"empty.json", "DataFileNotJson - The data file is empty. Path '', line 1, position 0."},
        Bad{"trailing_text.json",
            "DataFileNotJson - Additional text encountered after finished reading JSON content: "
            "{. Path '', line 4, position 1."},
        Bad{"value_not_array.json",
            "InvalidDataFile - The property 'value' must be an array of user objects, not an "
            "object. Path 'value', line 1, position 11."}),
    [](const auto& info) {
      std::string n = info.param.file;
      n = n.substr(0, n.find('.'));
      std::erase(n, '_');
      return n;
    });

TEST_P(BulkImportTest, AByteOrderMarkIsSkipped) {
  ImportJob job = run_file(kData + "bom.json");
  EXPECT_EQ(job.state, ImportJobState::kSucceeded) << job.error_message;
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Helsinki");
}

TEST_P(BulkImportTest, AnEmptyValueArraySucceedsAndChangesNothing) {
  const std::string before = snapshot();
  ImportJob job = run_file(kData + "empty_value.json");
  EXPECT_EQ(job.state, ImportJobState::kSucceeded);
  EXPECT_EQ(job.error, ImportJobError::kNoError);
  EXPECT_EQ(snapshot(), before);
}

TEST_P(BulkImportTest, AHugeStringIsRefused) {
  TempDir tmp;
  testing::write_file(
      tmp.path() / "huge.json",
      R"({"value":[{"IdName":"vesaj@contoso.com","City":")" + std::string(2 << 20, 'x') + "\"}]}");
  const std::string before = snapshot();
  ImportJob job = run_file((tmp.path() / "huge.json").string());
  EXPECT_EQ(job.error, ImportJobError::kInvalidDataFile);
  EXPECT_EQ(job.error_message,
            "InvalidDataFile - The value of property 'City' is longer than 1048576 bytes. Path "
            "'value[0].City', line 1, position 2097201.");
  EXPECT_EQ(snapshot(), before);
}

TEST_P(BulkImportTest, AValueTheSchemaRefusesIsLoggedForItsUser) {
  ASSERT_TRUE(store_->add_custom_property(
      tenant_.id, {.name = "Short", .display_name = "Short", .max_length = 3}));
  TempDir tmp;
  testing::write_file(tmp.path() / "v.json",
                      R"({"value":[{"IdName":"vesaj@contoso.com","S":"toolong"},)"
                      R"({"IdName":"erwin@contoso.com","S":"ok"}]})");
  put((tmp.path() / "v.json").string());
  auto imp = importer();
  auto id = imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName",
                                                {{"S", "Short"}}, kSource);
  ASSERT_TRUE(id) << id.status().to_string();
  ASSERT_TRUE(imp.run_pending());
  ImportJob job = *imp.get_import_profile_property_job(tenant_, *id);
  EXPECT_EQ(job.error, ImportJobError::kImportCompleteWithError);
  EXPECT_EQ(log_of(job).rfind("InvalidValue - vesaj@contoso.com Property 'S': ", 0), 0u);
  EXPECT_EQ(prop("vesaj@contoso.com", "Short"), "");
  EXPECT_EQ(prop("erwin@contoso.com", "Short"), "ok");
}

UPSYNC_TEST_ON_EVERY_BACKEND(BulkImportTest);

}  // namespace
}  // namespace upsync
