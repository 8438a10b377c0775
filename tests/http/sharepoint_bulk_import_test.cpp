// The bulk import API over REST (Office365Tenant's QueueImportProfileProperties and its job
// calls, seed 003) through the real `upsync serve`: who may queue, seed 003's messages for bad
// requests, jobs' ends and logs. The server: sharepoint_fixture.h.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "http/sharepoint_fixture.h"

namespace upsync::testing {
namespace {

// ---- Office365Tenant ---------------------------------------------------------------------------

class BulkImportRestTest : public SharePointTest {
 protected:
  static void SetUpTestSuite() {
    SharePointTest::SetUpTestSuite();
    auto r = post(folder_path(kLib + "/import") +
                      "/files/AddUsingPath(decodedurl='users.json',"
                      "Overwrite=true)",
                  app(), R"({"value":[{"IdName":"adele@contoso.com","City":"Bergen"}]})");
    ASSERT_EQ(r->status, 200) << r->body;
  }
  static httplib::Result call(const std::string& method, const std::string& token, const json& body,
                              const std::string& accept = kMinimal) {
    return post(kTenantApi + "/" + method, token, body.is_null() ? "" : body.dump(), accept);
  }
  static json queue_body(const json& map) {
    return {{"idType", 0},
            {"sourceDataIdProperty", "IdName"},
            {"propertyMap", map},
            {"sourceUri", kLib + "/import/users.json"}};
  }
};

TEST_F(BulkImportRestTest, QueueAcceptsTheThreePropertyMapEncodings) {
  std::string t = app();
  std::string origin = "http://127.0.0.1:" + std::to_string(server_->port());
  std::vector<json> maps = {
      {{"City", "City"}},
      json::array({{{"Key", "City"}, {"Value", "City"}, {"ValueType", "Edm.String"}}}),
      {{"__metadata", {{"type", "Collection(SP.KeyValue)"}}},
       {"results", json::array({{{"Key", "City"}, {"Value", "City"}}})}},
  };
  for (const json& map : maps) {
    json body = queue_body(map);
    // Absolute on this server (with its tenant prefix) works like server-relative.
    body["sourceUri"] = origin + "/tenants/contoso" + kLib + "/import/users.json";
    body["idType"] = "Email";
    auto r = call("QueueImportProfileProperties", t, body);
    ASSERT_EQ(r->status, 200) << map.dump() << " → " << r->body;
    json j = json::parse(r->body);
    EXPECT_TRUE(j["odata.metadata"].get<std::string>().ends_with("$metadata#Edm.Guid"));
    std::string id = j["value"];
    EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f-]{36}"))) << id;

    r = call("GetImportProfilePropertyJob", t, {{"jobId", id}});
    ASSERT_EQ(r->status, 200) << r->body;
    j = json::parse(r->body);
    EXPECT_EQ(j["odata.type"],
              "Microsoft.Online.SharePoint.TenantManagement.ImportProfilePropertiesJobInfo");
    EXPECT_EQ(j["JobId"], id);
    EXPECT_EQ(j["State"], 3);  // Queued
    EXPECT_EQ(j["Error"], 0);
    EXPECT_TRUE(j["ErrorMessage"].is_null());
    EXPECT_TRUE(j["LogFolderUri"].is_null());
    EXPECT_EQ(j["SourceUri"],
              origin + "/tenants/contoso/sites/hr/Shared%20Documents/import/users.json");
  }
  auto r = call("GetImportProfilePropertyJobs", t, nullptr, kVerbose);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_GE(json::parse(r->body)["d"]["results"].size(), 3u);
  EXPECT_EQ(json::parse(r->body)["d"]["results"][0]["__metadata"]["type"],
            "Microsoft.Online.SharePoint.TenantManagement.ImportProfilePropertiesJobInfo");
}

TEST_F(BulkImportRestTest, OnlyAGlobalAdminOrAnAppQueues) {
  std::string before = jobs();
  auto r = call("QueueImportProfileProperties", sam(), queue_body({{"City", "City"}}));
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(error_message(r).find("requires a global admin or app-only access"), std::string::npos)
      << r->body;
  EXPECT_NE(error_message(r).find("a SharePoint admin is not sufficient"), std::string::npos);
  r = call("QueueImportProfileProperties", adele(), queue_body({{"City", "City"}}));
  EXPECT_EQ(r->status, 403);
  r = call("QueueImportProfileProperties", "", queue_body({{"City", "City"}}));
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(jobs(), before);
  // A user may not read jobs either; a SharePoint admin may.
  EXPECT_EQ(call("GetImportProfilePropertyJobs", adele(), nullptr)->status, 403);
  EXPECT_EQ(call("GetImportProfilePropertyJobs", sam(), nullptr)->status, 200);
  r = call("QueueImportProfileProperties", megan(), queue_body({{"City", "City"}}));
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(BulkImportRestTest, BadQueueRequestsAre400WithSeed003sMessagesAndQueueNothing) {
  std::string t = app();
  std::string before = jobs();
  auto with = [](json body, const std::string& key, const json& value) {
    if (value.is_null()) {
      body.erase(key);
    } else {
      body[key] = value;
    }
    return body.dump();
  };
  json ok = queue_body({{"City", "City"}});
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {with(ok, "propertyMap", {{"About", "AboutMe"}}),
       "Property Names [AboutMe] are editable by user."},
      {with(ok, "propertyMap", {{"T", "Title"}}), "Property Names [Title] are core directory"},
      {with(ok, "propertyMap", {{"X", "NoSuchProperty"}}), "[NoSuchProperty] do not exist"},
      {with(ok, "propertyMap", json::object()), "The property map is empty"},
      {with(ok, "propertyMap", json::array({{{"Key", "City"}}})), "propertyMap[0]"},
      {with(ok, "propertyMap", 5), "propertyMap must be"},
      {with(ok, "idType", 7), "idType 7 is not one of 0 (Email), 1 (CloudId), 2 (PrincipalName)"},
      {with(ok, "idType", "Phone"), "idType 'Phone'"},
      {with(ok, "idType", nullptr), "'idType'"},
      {with(ok, "sourceUri", nullptr), "'sourceUri'"},
      {with(ok, "sourceUri", "relative/path.json"), "neither server-relative"},
      {with(ok, "sourceDataIdProperty", ""), "sourceDataIdProperty is empty"},
      {R"({"idType":0, "sourceDataIdProperty":)", "line 1, column"},
      {with(ok, "multiValue", true),
       "The parameter multiValue does not exist in method QueueImportProfileProperties."},
      // upsync's extension takes a boolean, and lifts only the multi-value refusal.
      {with(ok, "upsyncMultiValueArrays", "yes"),
       "The parameter upsyncMultiValueArrays must be true or false, got string."},
      {with(json::parse(with(ok, "upsyncMultiValueArrays", true)), "propertyMap",
            {{"About", "AboutMe"}}),
       "Property Names [AboutMe] are editable by user."},
  };
  for (const Case& c : cases) {
    auto r = post(kTenantApi + "/QueueImportProfileProperties", t, c.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.body << " → " << r->body;
    EXPECT_NE(error_message(r).find(c.message), std::string::npos) << c.body << " → " << r->body;
  }
  EXPECT_EQ(jobs(), before);
  // GET is not how PnPjs calls it.
  EXPECT_EQ(get(kTenantApi + "/GetImportProfilePropertyJobs", t)->status, 405);
  // Jobs: bad GUIDs and unknown ids.
  auto r = call("GetImportProfilePropertyJob", t, {{"jobId", "not-a-guid"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_message(r).find("is not a GUID"), std::string::npos);
  r = call("GetImportProfilePropertyJob", t, {{"jobId", "00000000-0000-0000-0000-000000000000"}});
  EXPECT_EQ(r->status, 404);
  r = call("GetImportProfilePropertyJob", t, json::object());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(call("NoSuchMethod", t, nullptr)->status, 501);
  EXPECT_EQ(jobs(), before);
}

TEST_F(BulkImportRestTest, AFileOfAnotherTenantOrMissingEndsTheJobWithItsError) {
  std::string t = app();
  json body = queue_body({{"City", "City"}});
  body["sourceUri"] = "https://fabrikam.sharepoint.com" + kLib + "/import/users.json";
  auto r = call("QueueImportProfileProperties", t, body);
  ASSERT_EQ(r->status, 200) << r->body;
  json job = json::parse(
      call("GetImportProfilePropertyJob", t, {{"jobId", json::parse(r->body)["value"]}})->body);
  EXPECT_EQ(job["State"], 5);
  EXPECT_EQ(job["Error"], 21);  // DataFileNotInTenant
  body["sourceUri"] = "/tenants/fabrikam" + kLib + "/import/users.json";
  r = call("QueueImportProfileProperties", t, body);
  ASSERT_EQ(r->status, 200) << r->body;
  job = json::parse(
      call("GetImportProfilePropertyJob", t, {{"jobId", json::parse(r->body)["value"]}})->body);
  EXPECT_EQ(job["Error"], 21);
  body["sourceUri"] = kLib + "/import/missing.json";
  r = call("QueueImportProfileProperties", t, body);
  job = json::parse(
      call("GetImportProfilePropertyJob", t, {{"jobId", json::parse(r->body)["value"]}})->body);
  EXPECT_EQ(job["Error"], 20);  // DataFileNotExist
}

TEST_F(BulkImportRestTest, DeleteRemovesOnlyJobsThatHaveNotStarted) {
  std::string t = app();
  auto r = call("QueueImportProfileProperties", t, queue_body({{"City", "City"}}));
  ASSERT_EQ(r->status, 200) << r->body;
  std::string id = json::parse(r->body)["value"];
  // A SharePoint admin may not delete; nothing changes.
  EXPECT_EQ(call("DeleteImportProfilePropertiesJob", sam(), {{"jobId", id}})->status, 403);
  EXPECT_EQ(call("GetImportProfilePropertyJob", t, {{"jobId", id}})->status, 200);
  r = call("DeleteImportProfilePropertiesJob", t, {{"jobId", id}}, kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), json({{"value", true}}));
  EXPECT_EQ(call("GetImportProfilePropertyJob", t, {{"jobId", id}})->status, 404);
  EXPECT_EQ(call("DeleteImportProfilePropertiesJob", t, {{"jobId", id}})->status, 404);

  // A job that ran cannot be deleted.
  r = call("QueueImportProfileProperties", t, queue_body({{"City", "City"}}));
  id = json::parse(r->body)["value"];
  ASSERT_EQ(run({"--data-dir", data_, "import", "run-pending"}), 0);
  r = call("GetImportProfilePropertyJob", t, {{"jobId", id}});
  EXPECT_EQ(json::parse(r->body)["State"], 4) << r->body;  // Succeeded
  EXPECT_NE(profile(kAdele).find("Bergen"), std::string::npos);
  r = call("DeleteImportProfilePropertiesJob", t, {{"jobId", id}});
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(error_message(r).find("only jobs that have not started can be deleted"),
            std::string::npos);
}

TEST_F(BulkImportRestTest, AFailedImportsLogFolderIsServedByTheFileEndpoints) {
  std::string t = app();
  auto r = post(folder_path(kLib + "/import") +
                    "/files/AddUsingPath(decodedurl='bad.json',"
                    "Overwrite=true)",
                t, R"({"value":[{"IdName":"ghost@contoso.com","City":"Nowhere"}]})");
  ASSERT_EQ(r->status, 200);
  json body = queue_body({{"City", "City"}});
  body["sourceUri"] = kLib + "/import/bad.json";
  r = call("QueueImportProfileProperties", t, body);
  std::string id = json::parse(r->body)["value"];
  ASSERT_EQ(run({"--data-dir", data_, "import", "run-pending"}), 0);
  json job = json::parse(call("GetImportProfilePropertyJob", t, {{"jobId", id}}, kNoMeta)->body);
  EXPECT_EQ(job["State"], 5);
  EXPECT_EQ(job["Error"], 30);  // ImportCompleteWithError
  std::string base = "http://127.0.0.1:" + std::to_string(server_->port()) + "/tenants/contoso";
  std::string folder = "/sites/hr/Shared%20Documents/import/" + id;
  EXPECT_EQ(job["LogFolderUri"], base + folder);
  EXPECT_EQ(job["LogFileUri"], base + folder);
  r = get(folder_path(kLib + "/import/" + id) + "/files", t, kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json files = json::parse(r->body)["value"];
  ASSERT_EQ(files.size(), 1u);
  r = get(file_path(files[0]["ServerRelativeUrl"]) + "/$value", t);
  EXPECT_EQ(r->body, "IdentityNotResolvable ghost@contoso.com User identity cannot be resolved\n");
}

}  // namespace
}  // namespace upsync::testing
