// A real `upsync serve` for the admin API's and admin pages' tests: an online tenant
// (contoso) with a global admin, a SharePoint admin and a user, a server tenant (farm) with a
// global admin, each signing in through a registered app; calls with a bearer token.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync::testing {

class AdminFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { make_folder(); });
  }
  void make_folder() {
    ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", "contoso"}), 0);
    ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", "farm", "--kind", "server"}), 0);
    for (auto [t, upn, role] : {std::tuple{"contoso", "ga@contoso.com", "global-admin"},
                                {"contoso", "spa@contoso.com", "sharepoint-admin"},
                                {"contoso", "adele@contoso.com", "user"},
                                {"farm", "ga@farm.local", "global-admin"}}) {
      ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", t, upn, "--role", role,
                     "--password", "pa55word!"}),
                0);
    }
    std::string out = dir_.str() + "/app.json";
    for (const char* t : {"contoso", "farm"}) {
      std::string cmd =
          binary() + " --data-dir " + data() + " --json app add -t " + t + " portal > " + out;
      ASSERT_EQ(std::system(cmd.c_str()), 0);
      clients_[t] = nlohmann::json::parse(read_file(out))["clientId"];
    }
  }
  // Starts the server (after the test's own CLI setup).
  void start() {
    srv_ = std::make_unique<Server>(dir_);
    ASSERT_GT(srv_->port(), 0);
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", srv_->port());
  }
  std::string data() const { return dir_.str() + "/data"; }

  std::string token(const std::string& upn, const std::string& tenant = "contoso",
                    const std::string& password = "pa55word!") {
    auto r =
        cli_->Post("/" + tenant + "/oauth2/v2.0/token",
                   httplib::Params{{"grant_type", "password"},
                                   {"client_id", clients_[tenant]},
                                   {"username", upn},
                                   {"password", password},
                                   {"scope", "https://" + tenant + ".sharepoint.com/.default"}});
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    return r && r->status == 200 ? nlohmann::json::parse(r->body)["access_token"].get<std::string>()
                                 : "";
  }

  // method, path under /tenants/<tenant>, body → (status, parsed body or null)
  std::pair<int, nlohmann::json> call(const std::string& method, const std::string& path,
                                      const std::string& tok, const std::string& body = "",
                                      const std::string& tenant = "contoso") {
    std::string full = "/tenants/" + tenant + path;
    httplib::Headers h = {{"Authorization", "Bearer " + tok}};
    httplib::Result r = [&]() -> httplib::Result {
      if (method == "POST") return cli_->Post(full, h, body, "application/json");
      if (method == "PATCH") return cli_->Patch(full, h, body, "application/json");
      if (method == "PUT") return cli_->Put(full, h, body, "application/json");
      if (method == "DELETE") return cli_->Delete(full, h);
      return cli_->Get(full, h);
    }();
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {0, nullptr};
    nlohmann::json parsed = nlohmann::json::parse(r->body, nullptr, false);
    return {r->status, r->body.empty() || parsed.is_discarded() ? nlohmann::json() : parsed};
  }

  static inline FolderTemplate made_;
  static inline std::map<std::string, std::string> clients_;
  TempDir dir_;
  std::unique_ptr<Server> srv_;
  std::unique_ptr<httplib::Client> cli_;
};

}  // namespace upsync::testing
