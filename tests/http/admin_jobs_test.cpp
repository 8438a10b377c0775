// The admin API's bulk import job calls (admin_jobs.h) on the real `upsync serve`: one job
// with its progress, its log lines naming the identities that did not resolve, and what is
// refused: a malformed id, another tenant's job, a user, a query option.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::run;
using testing::Server;
using testing::TempDir;

class AdminJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { make_folder(); });
    if (HasFatalFailure()) return;
    srv_ = std::make_unique<Server>(dir_);
    ASSERT_GT(srv_->port(), 0);
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", srv_->port());
  }
  void make_folder() {
    for (const char* t : {"contoso", "fabrikam"}) {
      ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", t}), 0);
    }
    for (auto [t, upn, role] : {std::tuple{"contoso", "ga@contoso.com", "global-admin"},
                                {"contoso", "adele@contoso.com", "user"},
                                {"fabrikam", "ga@fabrikam.com", "global-admin"}}) {
      ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", t, upn, "--role", role,
                     "--password", "pa55word!"}),
                0);
    }
    ASSERT_EQ(run({"--data-dir", data(), "profile", "create", "-t", "contoso",
                   "i:0#.f|membership|adele@contoso.com", "--set", "WorkEmail=adele@contoso.com"}),
              0);
    // A job that ran: one identity resolves, two do not.
    const std::string file = dir_.str() + "/hr.json";
    testing::write_file(file, R"({"value":[{"IdName":"adele@contoso.com","H":"2020-01-01"},)"
                              R"({"IdName":"ghost@contoso.com","H":"2020-01-02"},)"
                              R"({"IdName":"nobody@contoso.com","H":"2020-01-03"}]})");
    ASSERT_EQ(run({"--data-dir", data(), "file", "put", "-t", "contoso", file,
                   "/sites/hr/Shared Documents/import/hr.json"}),
              0);
    std::string out = dir_.str() + "/job.json";
    std::string cmd =
        testing::binary() + " --data-dir " + data() +
        " --json import queue -t contoso --id-type Email --id-property IdName "
        "--map H=SPS-HireDate --source '/sites/hr/Shared Documents/import/hr.json' > " +
        out;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    job_ = nlohmann::json::parse(testing::read_file(out))["JobId"];
    // Split into three ranges of one record.
    ASSERT_EQ(run({"--data-dir", data(), "import", "run-pending", "--batch", "1", "--range-records",
                   "1"}),
              0);
    for (const char* t : {"contoso", "fabrikam"}) {
      cmd = testing::binary() + " --data-dir " + data() + " --json app add -t " + t + " portal > " +
            out;
      ASSERT_EQ(std::system(cmd.c_str()), 0);
      clients_[t] = nlohmann::json::parse(testing::read_file(out))["clientId"];
    }
  }
  std::string data() const { return dir_.str() + "/data"; }

  std::string token(const std::string& upn, const std::string& tenant = "contoso") {
    auto r =
        cli_->Post("/" + tenant + "/oauth2/v2.0/token",
                   httplib::Params{{"grant_type", "password"},
                                   {"client_id", clients_[tenant]},
                                   {"username", upn},
                                   {"password", "pa55word!"},
                                   {"scope", "https://" + tenant + ".sharepoint.com/.default"}});
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    return nlohmann::json::parse(r->body)["access_token"];
  }

  std::pair<int, nlohmann::json> get(const std::string& path, const std::string& tok,
                                     const std::string& tenant = "contoso") {
    auto r = cli_->Get("/tenants/" + tenant + path, {{"Authorization", "Bearer " + tok}});
    EXPECT_TRUE(r) << path;
    if (!r) return {0, nullptr};
    return {r->status, r->body.empty() ? nlohmann::json() : nlohmann::json::parse(r->body)};
  }

  static inline testing::FolderTemplate made_;
  static inline std::string job_;
  static inline std::map<std::string, std::string> clients_;
  TempDir dir_;
  std::unique_ptr<Server> srv_;
  std::unique_ptr<httplib::Client> cli_;
};

TEST_F(AdminJobsTest, OneJobShowsItsStateAndProgress) {
  auto [st, job] = get("/admin/v1/import/jobs/" + job_, token("ga@contoso.com"));
  ASSERT_EQ(st, 200) << job;
  EXPECT_EQ(job["JobId"], job_);
  EXPECT_EQ(job["State"], "Error");
  EXPECT_EQ(job["Error"], "ImportCompleteWithError");
  EXPECT_EQ(job["recordsDone"], 3);
  EXPECT_EQ(job["LogFolderUri"], "/sites/hr/Shared Documents/import/" + job_);
  ASSERT_EQ(job["ranges"].size(), 3u) << job;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(job["ranges"][i], (nlohmann::json{{"index", i},
                                                {"firstRecord", i},
                                                {"endRecord", i + 1},
                                                {"recordsDone", 1},
                                                {"worker", nullptr}}));
  }
  // The list shows the same job the same way.
  auto [st2, list] = get("/admin/v1/import/jobs", token("ga@contoso.com"));
  ASSERT_EQ(st2, 200);
  ASSERT_EQ(list["value"].size(), 1u);
  EXPECT_EQ(list["value"][0], job);
}

TEST_F(AdminJobsTest, TheLogNamesTheIdentitiesThatDidNotResolve) {
  auto [st, log] = get("/admin/v1/import/jobs/" + job_ + "/log", token("ga@contoso.com"));
  ASSERT_EQ(st, 200) << log;
  EXPECT_EQ(log["JobId"], job_);
  std::string all;
  for (const auto& line : log["value"]) all += line.get<std::string>() + "\n";
  EXPECT_NE(all.find("IdentityNotResolvable ghost@contoso.com"), std::string::npos) << all;
  EXPECT_NE(all.find("IdentityNotResolvable nobody@contoso.com"), std::string::npos) << all;
  EXPECT_EQ(all.find("adele@contoso.com"), std::string::npos) << all;
}

TEST_F(AdminJobsTest, BadIdsOtherTenantsJobsUsersAndQueryOptionsAreRefused) {
  const std::string ga = token("ga@contoso.com");
  for (std::string bad : {"nope", "00000000-0000-0000-0000", "'%20or%201=1", "%2E%2E"}) {
    auto [st, err] = get("/admin/v1/import/jobs/" + bad, ga);
    EXPECT_EQ(st, 400) << bad << " " << err;
    EXPECT_NE(err["error"]["message"].get<std::string>().find("import job id: expected a GUID"),
              std::string::npos)
        << err;
  }
  // A path that climbs out is no route at all.
  EXPECT_EQ(get("/admin/v1/import/jobs/..%2F..%2Fetc", ga).first, 404);
  auto [st1, missing] = get("/admin/v1/import/jobs/00000000-0000-4000-8000-000000000000/log", ga);
  EXPECT_EQ(st1, 404) << missing;
  // Another tenant's admin does not see this tenant's job, nor its log.
  const std::string other = token("ga@fabrikam.com", "fabrikam");
  EXPECT_EQ(get("/admin/v1/import/jobs/" + job_, other, "fabrikam").first, 404);
  EXPECT_EQ(get("/admin/v1/import/jobs/" + job_ + "/log", other, "fabrikam").first, 404);
  // Nor does a user of this tenant.
  EXPECT_EQ(get("/admin/v1/import/jobs/" + job_ + "/log", token("adele@contoso.com")).first, 403);
  // The routes apply no OData option.
  auto [st2, err] = get("/admin/v1/import/jobs/" + job_ + "?$select=State", ga);
  EXPECT_EQ(st2, 400) << err;
  EXPECT_NE(err["error"]["message"].get<std::string>().find("'$select' is not supported"),
            std::string::npos)
      << err;
  EXPECT_EQ(get("/admin/v1/import/jobs/" + job_ + "/log?$top=1", ga).first, 400);
}

}  // namespace
}  // namespace upsync
