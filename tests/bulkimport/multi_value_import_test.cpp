// upsync's extension of the bulk import: multi-value properties, their values as JSON arrays,
// for a caller that asks for it (QueueImportProfileProperties' upsyncMultiValueArrays). Seed
// 003's refusal stays exact for every other caller; bad arrays abort the file or log the
// user's line as bad single values do, and change nothing else.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bulkimport/import_fixture.h"
#include "bulkimport/import_reader.h"

namespace upsync {
namespace {

class MultiValueImportTest : public ImportFixture,
                             public ::testing::WithParamInterface<testing::Backend> {
 protected:
  void SetUp() override { open(GetParam()); }

  std::vector<std::string> values(const std::string& email, const std::string& name) {
    auto p = store_->profile(tenant_.id, {ProfileKeyKind::kEmail, email});
    EXPECT_TRUE(p) << email;
    if (!p) return {};
    const PropertyValues* v = p->find(name);
    return v ? *v : std::vector<std::string>{};
  }

  // Writes `json` as the source, queues it with `map` (and the extension when `arrays`), and
  // runs the worker: the job as it ended.
  ImportJob run(const std::string& json, const std::map<std::string, std::string>& map,
                bool arrays = true) {
    testing::write_file(dir_.path() / "file.json", json);
    put((dir_.path() / "file.json").string());
    auto imp = importer();
    auto id = imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", map,
                                                  kSource, arrays);
    EXPECT_TRUE(id) << id.status().to_string();
    if (!id) return {};
    auto ran = imp.run_pending();
    EXPECT_TRUE(ran) << ran.status().to_string();
    auto job = imp.get_import_profile_property_job(tenant_, *id);
    EXPECT_TRUE(job);
    return job ? *job : ImportJob{};
  }

  const std::map<std::string, std::string> kHobbies{{"City", "City"}, {"Hobbies", "Hobbies"}};
};

TEST_P(MultiValueImportTest, TheQueueTakesMultiValuePropertiesOnlyWhenAsked) {
  put(kData + "seed003_sample.json");
  auto imp = importer();
  auto q = [&](std::map<std::string, std::string> map, bool arrays) {
    return imp.queue_import_profile_properties(tenant_, ImportIdType::kEmail, "IdName", map,
                                               kSource, arrays);
  };
  auto r = q({{"H", "Hobbies"}}, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "Property Names [Hobbies] are multi-valued.");
  // The other refusals of seed 003 stay, extension or not.
  r = q({{"H", "Hobbies"}, {"A", "AboutMe"}}, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "Property Names [AboutMe] are editable by user.");
  r = q({{"H", "Hobbies"}, {"D", "Department"}}, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "Property Names [Department] are core directory properties.");
  r = q({{"H", "Hobbies"}, {"S", "Skills"}}, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "Property Names [Skills] are taxonomy-bound.");
  EXPECT_TRUE(imp.get_import_profile_property_jobs(tenant_)->empty());

  r = q({{"H", "Hobbies"}}, true);
  ASSERT_TRUE(r) << r.status().to_string();
  auto job = jobs_->get(tenant_.id, *r);
  ASSERT_TRUE(job);
  EXPECT_TRUE(job->multi_value_arrays) << "the job keeps the caller's choice";
  EXPECT_EQ(job->state, ImportJobState::kQueued);
}

TEST_P(MultiValueImportTest, ArraysSetAllTheValuesAndAStringSetsOne) {
  auto erwin = store_->profile(tenant_.id, {ProfileKeyKind::kEmail, "erwin@contoso.com"});
  ASSERT_TRUE(erwin);
  const std::vector<PropertyChange> golf{{"Hobbies", {"Golf"}}};
  ASSERT_TRUE(store_->update_profile(tenant_.id, erwin->id, golf));
  const int64_t seq0 = *store_->last_seq(tenant_.id);
  ImportJob job = run(R"({"value":[
{"IdName":"vesaj@contoso.com","City":"Espoo","Hobbies":["Chess","Go","Chess"]},
{"IdName":"bjansen@contoso.com","Hobbies":"Tennis"},
{"IdName":"erwin@contoso.com","Hobbies":[]}
]})",
                      kHobbies);
  EXPECT_EQ(job.state, ImportJobState::kSucceeded) << job.error_message;
  EXPECT_EQ(job.error, ImportJobError::kNoError);
  // Values as the schema normalizes them (a repeated value once), in the file's order.
  EXPECT_EQ(values("vesaj@contoso.com", "Hobbies"), (std::vector<std::string>{"Chess", "Go"}));
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "Espoo");
  EXPECT_EQ(values("bjansen@contoso.com", "Hobbies"), std::vector<std::string>{"Tennis"});
  EXPECT_TRUE(values("erwin@contoso.com", "Hobbies").empty()) << "[] clears";
  // One change-feed entry per changed profile.
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq0 + 3);

  // The same file again changes nothing.
  job = run(R"({"value":[{"IdName":"vesaj@contoso.com","City":"Espoo","Hobbies":["Chess","Go"]}]})",
            kHobbies);
  EXPECT_EQ(job.state, ImportJobState::kSucceeded) << job.error_message;
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq0 + 3);
}

// An array is no identity: that user object is MissingIdentity.
TEST_P(MultiValueImportTest, AnArrayForASingleValueOrABadItemIsThatUsersLogLine) {
  ImportJob job = run(R"({"value":[
{"IdName":"vesaj@contoso.com","City":["Espoo","Helsinki"],"Hobbies":["Chess"]},
{"IdName":"bjansen@contoso.com","Hobbies":["Tennis",""]},
{"IdName":"erwin@contoso.com","City":"Turku","Hobbies":["Go"]},
{"IdName":["erwin@contoso.com"],"Hobbies":["Chess"]},
{"IdName":"nobody@contoso.com","Hobbies":["Go"]}
]})",
                      kHobbies);
  EXPECT_EQ(job.state, ImportJobState::kError);
  EXPECT_EQ(job.error, ImportJobError::kImportCompleteWithError);
  EXPECT_EQ(log_of(job),
            "InvalidValue - vesaj@contoso.com Property 'City': an array of values was given, but "
            "property 'City' takes a single value\n"
            "InvalidValue - bjansen@contoso.com Property 'Hobbies': property 'Hobbies': value 2 "
            "of 2 is empty\n"
            "MissingIdentity - The identity is missing for the user object\n"
            "IdentityNotResolvable nobody@contoso.com User identity cannot be resolved\n");
  // Nothing of a refused user object is applied; the others are.
  EXPECT_EQ(prop("vesaj@contoso.com", "City"), "");
  EXPECT_TRUE(values("vesaj@contoso.com", "Hobbies").empty());
  EXPECT_TRUE(values("bjansen@contoso.com", "Hobbies").empty());
  EXPECT_EQ(prop("erwin@contoso.com", "City"), "Turku");
  EXPECT_EQ(values("erwin@contoso.com", "Hobbies"), std::vector<std::string>{"Go"});
}

TEST_P(MultiValueImportTest, WithoutTheExtensionAnArrayIsAnInvalidDataFile) {
  const std::string before = snapshot();
  ImportJob job = run(R"({"value":[{"IdName":"vesaj@contoso.com","City":["Espoo"]}]})",
                      {{"City", "City"}}, false);
  EXPECT_EQ(job.error, ImportJobError::kInvalidDataFile);
  EXPECT_EQ(job.error_message,
            "InvalidDataFile - The value of property 'City' must be a string, not an array. Path "
            "'value[0].City', line 1, position 48.");
  EXPECT_EQ(snapshot(), before);
}

TEST_P(MultiValueImportTest, AnArrayOfWhatIsNotStringsAbortsTheFileAndChangesNothing) {
  const std::string before = snapshot();
  const std::pair<std::string, std::string> cases[] = {
      {R"({"value":[{"IdName":"vesaj@contoso.com","Hobbies":["Chess",7]}]})",
       "InvalidDataFile - An item of property 'Hobbies' must be a string, not a number. Path "
       "'value[0].Hobbies[1]', line 1, position 60."},
      {R"({"value":[{"IdName":"vesaj@contoso.com","Hobbies":[["Chess"]]}]})",
       "InvalidDataFile - An item of property 'Hobbies' must be a string, not an array. Path "
       "'value[0].Hobbies[0]', line 1, position 52."},
      {R"({"value":[{"IdName":"vesaj@contoso.com","Hobbies":[{"a":"b"}]}]})",
       "InvalidDataFile - An item of property 'Hobbies' must be a string, not an object. Path "
       "'value[0].Hobbies[0]', line 1, position 52."},
      {R"({"value":[{"IdName":"vesaj@contoso.com","Hobbies":null}]})",
       "InvalidDataFile - The value of property 'Hobbies' must be a string or an array of "
       "strings, not null. Path 'value[0].Hobbies', line 1, position 54."},
      {R"({"value":[{"IdName":"vesaj@contoso.com","Hobbies":["a"],"Hobbies":["b"]}]})",
       "InvalidDataFile - The property 'Hobbies' appears twice in the user object. Path "
       "'value[0].Hobbies', line 1, position 65."},
  };
  for (const auto& [json, message] : cases) {
    ImportJob job = run(json, kHobbies);
    EXPECT_EQ(job.error, ImportJobError::kInvalidDataFile) << json;
    EXPECT_EQ(job.error_message, message) << json;
    EXPECT_EQ(snapshot(), before) << json;
  }
}

TEST(ImportReaderArrays, TooManyItemsOrTooLongAnItemIsRefusedWithItsPath) {
  ImportReaderOptions o{.max_value_bytes = 4, .arrays = true, .max_array_items = 2};
  auto read = [&](std::string_view json) {
    return read_import_buffer(
        json, [](const ImportRecord&) { return Status::ok(); }, o);
  };
  Status st = read(R"({"value":[{"H":["a","b","c"]}]})");
  EXPECT_EQ(st.message(),
            "InvalidDataFile - The property 'H' holds more than 2 items. Path 'value[0].H[2]', "
            "line 1, position 27.");
  st = read(R"({"value":[{"H":["a","bcdef"]}]})");
  EXPECT_EQ(st.message(),
            "InvalidDataFile - An item of property 'H' is longer than 4 bytes. Path "
            "'value[0].H[1]', line 1, position 27.");
  // The reader hands arrays apart from strings, in the file's order.
  std::vector<ImportRecord> got;
  st = read_import_buffer(R"({"value":[{"I":"x","H":["a","b"],"G":[]}]})",
                          [&](const ImportRecord& r) {
                            got.push_back(r);
                            return Status::ok();
                          },
                          o);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].fields, (std::vector<std::pair<std::string, std::string>>{{"I", "x"}}));
  ASSERT_EQ(got[0].arrays.size(), 2u);
  EXPECT_EQ(got[0].arrays[0].first, "H");
  EXPECT_EQ(got[0].arrays[0].second, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(got[0].arrays[1].first, "G");
  EXPECT_TRUE(got[0].arrays[1].second.empty());
  // The quick reader leaves arrays to the exact one.
  st = quick_read_import_buffer(R"({"value":[{"H":["a"]}]})",
                                [](const ImportRecordView&) { return Status::ok(); }, o);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
}

UPSYNC_TEST_ON_EVERY_BACKEND(MultiValueImportTest);

}  // namespace
}  // namespace upsync
