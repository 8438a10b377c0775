// A real `upsync serve` for the Graph users, delta and groups tests (graph_test.cpp,
// graph_delta_test.cpp, graph_group_test.cpp): users edited with the CLI, read over HTTP with
// app and user tokens from the token endpoint.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "auth/secret.h"
#include "directory/ldif.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync::testing {

using json = nlohmann::json;

class GraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { make_folder(); });
  }
  void make_folder() {
    for (const char* t : {"contoso", "fabrikam"}) {
      ASSERT_EQ(cli({"tenant", "create", t}), 0);
      auto app = json::parse(
          run_output({"--data-dir", data(), "--json", "app", "add", "--tenant", t, "graph-test"}));
      apps_[t] = {app["clientId"], app["clientSecret"]};
    }
  }

  std::string data() const { return dir_.str() + "/data"; }
  int cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data()});
    return run(args);
  }
  // Adds a cloud user with "attr=value" pairs; returns its object id.
  std::string add_user(const std::string& tenant, const std::string& upn,
                       const std::vector<std::string>& sets = {}) {
    std::vector<std::string> args = {"--data-dir", data(),     "--json", "directory", "user",
                                     "add",        "--tenant", tenant,   upn};
    for (const auto& s : sets) {
      args.push_back("--set");
      args.push_back(s);
    }
    std::string out = run_output(args);
    EXPECT_FALSE(out.empty()) << "directory user add " << upn;
    return out.empty() ? "" : json::parse(out)["objectId"].get<std::string>();
  }
  void set_user(const std::string& upn, const std::string& set) {
    ASSERT_EQ(cli({"directory", "user", "set", "--tenant", "contoso", upn, "--set", set}), 0);
  }

  void start() {
    server_ = std::make_unique<Server>(dir_);
    ASSERT_GT(server_->port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    app_token_ = token("contoso", {{"grant_type", "client_credentials"}});
  }

  std::string token(const std::string& tenant, httplib::Params form) {
    form.emplace("client_id", apps_[tenant].first);
    if (form.find("password") == form.end()) form.emplace("client_secret", apps_[tenant].second);
    form.emplace("scope", "https://graph.microsoft.com/.default");
    auto r = http_->Post(("/" + tenant + "/oauth2/v2.0/token").c_str(), form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r && r->status == 200 ? json::parse(r->body)["access_token"].get<std::string>() : "";
  }

  httplib::Result get(const std::string& path, const std::string& token,
                      httplib::Headers headers = {}) {
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return http_->Get(path.c_str(), headers);
  }
  // GET that must answer 200 with JSON.
  json get_json(const std::string& path, httplib::Headers headers = {}) {
    auto r = get(path, app_token_, std::move(headers));
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  // The path and query of an absolute link on this server (checked to be one).
  std::string local(const std::string& link) {
    std::string origin = "http://127.0.0.1:" + std::to_string(server_->port());
    EXPECT_EQ(link.rfind(origin + "/tenants/contoso/v1.0/", 0), 0u) << link;
    return link.substr(origin.size());
  }
  // A GET that must fail: checks Graph's error shape and returns the error object.
  json error_of(const std::string& path, int status, const std::string& token = "",
                httplib::Headers headers = {}) {
    auto r = get(path, token.empty() ? app_token_ : token, std::move(headers));
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    json j = json::parse(r->body, nullptr, false);
    EXPECT_TRUE(j.contains("error")) << r->body;
    if (!j.contains("error")) return json();
    EXPECT_TRUE(j["error"]["innerError"].contains("request-id")) << r->body;
    EXPECT_TRUE(j["error"]["innerError"].contains("date")) << r->body;
    return j["error"];
  }

  // Every user of a listing, following @odata.nextLink; counts the pages.
  std::vector<json> all_pages(std::string path, int* pages = nullptr) {
    std::vector<json> out;
    for (int n = 1; n < 100; ++n) {
      json page = get_json(path);
      for (auto& u : page["value"]) out.push_back(u);
      if (pages) *pages = n;
      if (!page.contains("@odata.nextLink")) break;
      path = local(page["@odata.nextLink"]);
    }
    return out;
  }

  TempDir dir_;
  static inline upsync::testing::FolderTemplate made_;
  static inline std::map<std::string, std::pair<std::string, std::string>> apps_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_;
  std::string app_token_;
};

// The keys of a JSON object; the userPrincipalNames of a list's users, sorted.
inline std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (auto& [k, v] : j.items()) out.insert(k);
  return out;
}

inline std::vector<std::string> upns(const json& value) {
  std::vector<std::string> out;
  for (const auto& u : value) out.push_back(u["userPrincipalName"]);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace upsync::testing
