// Issue 15, findings 5, 6 and two of 8, against the real `upsync serve`: a change to a person
// or an app (password removed or changed, role changed, app removed) revokes the tokens
// already issued within the server's bound; only global admins manage apps; credentials in a
// token request's query string are refused and no query-string secret reaches the access log;
// a token for another audience is refused; a spoofed Host header does not reach the issuer or
// the discovery document.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "auth/secret.h"
#include "auth/token_signer.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using nlohmann::json;
using testing::run;
using testing::Server;
using testing::TempDir;

// The bound the README promises for a change to reach every request thread.
constexpr auto kRevocationBound = std::chrono::seconds(2);

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { make_folder(); });
  }
  void make_folder() {
    for (const char* t : {"contoso", "fabrikam"}) {
      ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", t}), 0);
    }
    app_ = cli_json("app add -t contoso hr-sync");
    for (auto [upn, role] : {std::pair{"ga@contoso.com", "global-admin"},
                             {"spa@contoso.com", "sharepoint-admin"},
                             {"adele@contoso.com", "user"}}) {
      set_password(upn, role, "pa55word!");
    }
  }
  std::string data() const { return dir_.str() + "/data"; }
  json cli_json(const std::string& args) {
    std::string out = dir_.str() + "/out.json";
    EXPECT_EQ(
        std::system((testing::binary() + " --data-dir " + data() + " --json " + args + " > " + out)
                        .c_str()),
        0)
        << args;
    return json::parse(testing::read_file(out));
  }
  void set_password(const std::string& upn, const std::string& role, const std::string& pw) {
    ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", "contoso", upn, "--role",
                   role, "--password", pw}),
              0);
  }
  void start(std::vector<std::string> extra = {}) {
    server_ = std::make_unique<Server>(dir_, std::move(extra));
    ASSERT_GT(server_->port(), 0) << server_->log();
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  httplib::Result token_request(const httplib::Params& form, const std::string& tenant = "contoso",
                                const std::string& query = "") {
    return http_->Post(("/" + tenant + "/oauth2/v2.0/token" + query).c_str(), form);
  }
  std::string token(httplib::Params form, const std::string& scope) {
    form.emplace("scope", scope);
    auto r = token_request(form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    if (!r || r->status != 200) return "";
    return json::parse(r->body)["access_token"];
  }
  std::string app_token(const json& app,
                        const std::string& scope = "https://contoso.sharepoint.com/.default") {
    return token({{"grant_type", "client_credentials"},
                  {"client_id", app["clientId"].get<std::string>()},
                  {"client_secret", app["clientSecret"].get<std::string>()}},
                 scope);
  }
  std::string user_token(const std::string& upn, const std::string& pw = "pa55word!",
                         const json* through = nullptr,
                         const std::string& scope = "https://contoso.sharepoint.com/.default") {
    const json& app = through ? *through : app_;
    return token({{"grant_type", "password"},
                  {"client_id", app["clientId"].get<std::string>()},
                  {"username", upn},
                  {"password", pw}},
                 scope);
  }
  int status(const std::string& method, const std::string& path, const std::string& token,
             std::string* body = nullptr, const std::string& payload = "") {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    auto r = method == "POST" ? http_->Post(path.c_str(), h, payload, "application/json")
                              : http_->Get(path.c_str(), h);
    if (!r) return -1;
    if (body) *body = r->body;
    return r->status;
  }
  // Polls `path` with `token` until it answers 401; returns how long that took after `since`,
  // or nullopt when it still answered something else after three times the bound.
  std::optional<std::chrono::milliseconds> time_to_refusal(
      const std::string& path, const std::string& token,
      std::chrono::steady_clock::time_point since, int* last = nullptr) {
    auto deadline = since + 3 * kRevocationBound;
    int st = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      st = status("GET", path, token);
      if (st == 401) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - since);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (last) *last = st;
    return std::nullopt;
  }
  // Expects `token` refused within the bound: the first refusal is printed, and from `since`
  // plus the bound on, every request thread refuses it on each surface, with that surface's
  // error. (The client opens a connection per request, so requests land on several of the
  // server's threads, each with its own cache.)
  void expect_revoked(const std::string& what, const std::string& token,
                      std::chrono::steady_clock::time_point since) {
    int last = 0;
    auto took = time_to_refusal("/tenants/contoso/admin/v1/me", token, since, &last);
    ASSERT_TRUE(took)
        << what << ": the token still answers " << last << " after "
        << std::chrono::duration_cast<std::chrono::seconds>(3 * kRevocationBound).count() << " s";
    std::cout << what << ": first refused " << took->count() << " ms after the change\n";
    EXPECT_LE(*took, kRevocationBound + std::chrono::milliseconds(500)) << what;
    std::this_thread::sleep_until(since + kRevocationBound + std::chrono::milliseconds(100));
    for (int i = 0; i < 8; ++i) {
      std::string body;
      EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", token, &body), 401)
          << what << ": " << body;
      EXPECT_EQ(status("GET", "/tenants/contoso/v1.0/users", token, &body), 401) << what;
      EXPECT_EQ(json::parse(body)["error"]["code"], "InvalidAuthenticationToken") << body;
      EXPECT_EQ(status("GET", "/tenants/contoso/_api/web", token, &body), 401) << what;
      EXPECT_EQ(json::parse(body)["odata.error"]["code"],
                "-2147024891, System.UnauthorizedAccessException")
          << body;
    }
  }
  std::string warm(const std::string& token) {
    // Used on every thread's cache the server may have: a handful of requests.
    std::string body;
    for (int i = 0; i < 8; ++i)
      EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", token, &body), 200) << body;
    return body;
  }

  TempDir dir_;
  static inline testing::FolderTemplate made_;
  static inline json app_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_;
};

json claims_of(const std::string& jwt) {
  size_t a = jwt.find('.'), b = jwt.rfind('.');
  auto payload = base64url_decode(jwt.substr(a + 1, b - a - 1));
  return payload ? json::parse(*payload) : json();
}

// ---- Finding 5: revocation -------------------------------------------------------------------

TEST_F(SecurityTest, RemovingAPasswordRevokesThePersonsTokens) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string t = user_token("adele@contoso.com");
  warm(t);
  auto changed = std::chrono::steady_clock::now();
  ASSERT_EQ(run({"--data-dir", data(), "user", "password", "remove", "-t", "contoso",
                 "adele@contoso.com"}),
            0);
  expect_revoked("password removed", t, changed);
  // Set again (same role, same password): the old token stays refused.
  set_password("adele@contoso.com", "user", "pa55word!");
  std::this_thread::sleep_for(kRevocationBound + std::chrono::milliseconds(200));
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", t), 401);
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", user_token("adele@contoso.com")), 200);
}

TEST_F(SecurityTest, ARoleChangeRevokesTheTokensOfTheOldRole) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string t = user_token("ga@contoso.com");
  EXPECT_EQ(json::parse(warm(t))["role"], "global-admin");
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/apps", t), 200);
  auto changed = std::chrono::steady_clock::now();
  set_password("ga@contoso.com", "user", "pa55word!");
  expect_revoked("global admin demoted to user", t, changed);
  // A new token carries the new role.
  std::string now_user = user_token("ga@contoso.com");
  std::string body;
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", now_user, &body), 200);
  EXPECT_EQ(json::parse(body)["role"], "user");
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/apps", now_user), 403);
}

TEST_F(SecurityTest, APasswordChangeRevokesTheTokensOfTheOldPassword) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string t = user_token("spa@contoso.com");
  warm(t);
  auto changed = std::chrono::steady_clock::now();
  set_password("spa@contoso.com", "sharepoint-admin", "n3w-pa55word!");
  expect_revoked("password changed", t, changed);
}

TEST_F(SecurityTest, RemovingAnAppRevokesItsTokensAndThePeoplesIssuedThroughIt) {
  json portal = cli_json("app add -t contoso portal");
  ASSERT_NO_FATAL_FAILURE(start());
  std::string app_t = app_token(portal);
  std::string user_t = user_token("adele@contoso.com", "pa55word!", &portal);
  std::string other_t = user_token("adele@contoso.com");  // through hr-sync
  warm(app_t);
  warm(user_t);
  auto changed = std::chrono::steady_clock::now();
  ASSERT_EQ(run({"--data-dir", data(), "app", "remove", "-t", "contoso",
                 portal["clientId"].get<std::string>()}),
            0);
  expect_revoked("app removed: its own token", app_t, changed);
  expect_revoked("app removed: a person's token issued through it", user_t, changed);
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", other_t), 200)
      << "a token issued through another app stays valid";
}

TEST_F(SecurityTest, ATokenFromBeforeTheGenerationClaimOrWithAnOldOneIsRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string t = user_token("adele@contoso.com");
  json c = claims_of(t);
  ASSERT_TRUE(c.contains("gen")) << "tokens carry the principal's token generation: " << c.dump();
  auto signer = TokenSigner::open(data());
  ASSERT_TRUE(signer);
  json older = c;
  older["gen"] = c["gen"].get<int64_t>() - 1;
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", *(*signer)->sign(older)), 401);
  json none = c;
  none.erase("gen");
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", *(*signer)->sign(none)), 401);
  // The role is the store's, not the token's: a token that claims more is refused, or answered
  // with the stored role.
  json claims_more = c;
  claims_more["wids"] = {"62e90394-69f5-4237-9190-012177145e10"};
  std::string body;
  int st = status("GET", "/tenants/contoso/admin/v1/me", *(*signer)->sign(claims_more), &body);
  if (st == 200) {
    EXPECT_EQ(json::parse(body)["role"], "user") << body;
  }
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/apps", *(*signer)->sign(claims_more)), 403);
}

// ---- Finding 5: only global admins manage apps -----------------------------------------------

TEST_F(SecurityTest, OnlyGlobalAdminsRegisterListAndRemoveApps) {
  json victim = cli_json("app add -t contoso victim");
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string apps = "/tenants/contoso/admin/v1/apps";
  std::string body;
  for (auto [who, t] : {std::pair{"app", app_token(app_)},
                        {"spa", user_token("spa@contoso.com")},
                        {"user", user_token("adele@contoso.com")}}) {
    EXPECT_EQ(status("POST", apps, t, &body, R"({"name":"made-by-an-app"})"), 403)
        << who << ": " << body;
    EXPECT_EQ(status("GET", apps, t, &body), 403) << who << ": " << body;
    auto r = http_->Delete((apps + "/" + victim["clientId"].get<std::string>()).c_str(),
                           {{"Authorization", "Bearer " + t}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << who << ": " << r->body;
  }
  EXPECT_EQ(cli_json("app list -t contoso").size(), 2u) << "no app was made or removed";
  // A global admin may; the app stays when that admin's password is removed later (apps belong
  // to the tenant, not to whoever registered them).
  std::string ga = user_token("ga@contoso.com");
  ASSERT_EQ(status("POST", apps, ga, &body, R"({"name":"by-ga"})"), 201) << body;
  json made = json::parse(body);
  ASSERT_EQ(
      run({"--data-dir", data(), "user", "password", "remove", "-t", "contoso", "ga@contoso.com"}),
      0);
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", app_token(made)), 200);
}

// ---- Finding 6: secrets only in POST bodies, never in the log -------------------------------

TEST_F(SecurityTest, CredentialsInTheTokenRequestsQueryStringAreRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string cid = app_["clientId"];
  const std::string secret = app_["clientSecret"];
  struct Case {
    std::string query;
    httplib::Params form;
  };
  std::vector<Case> cases = {
      {"?client_secret=" + secret,
       {{"grant_type", "client_credentials"},
        {"client_id", cid},
        {"scope", "https://contoso.sharepoint.com/.default"}}},
      {"?password=pa55word!",
       {{"grant_type", "password"},
        {"client_id", cid},
        {"username", "adele@contoso.com"},
        {"scope", "https://contoso.sharepoint.com/.default"}}},
      // Also with the same secret in the body, and with the name in other case or encoded.
      {"?Client_Secret=" + secret,
       {{"grant_type", "client_credentials"},
        {"client_id", cid},
        {"client_secret", secret},
        {"scope", "https://contoso.sharepoint.com/.default"}}},
      {"?%70assword=pa55word!",
       {{"grant_type", "password"},
        {"client_id", cid},
        {"username", "adele@contoso.com"},
        {"password", "pa55word!"},
        {"scope", "https://contoso.sharepoint.com/.default"}}},
  };
  for (const auto& c : cases) {
    auto r = token_request(c.form, "contoso", c.query);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.query << ": " << r->body;
    json j = json::parse(r->body);
    EXPECT_EQ(j["error"], "invalid_request") << r->body;
    EXPECT_EQ(j["error_codes"][0], 900144) << r->body;
    EXPECT_FALSE(j.contains("access_token")) << c.query;
  }
}

TEST_F(SecurityTest, TheAccessLogNeverPrintsQueryStringSecrets) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string secret = app_["clientSecret"];
  std::string t = app_token(app_);
  const std::vector<std::string> targets = {
      "/contoso/oauth2/v2.0/token?client_secret=" + secret + "&x=1",
      "/contoso/oauth2/v2.0/token?password=Sekr1t-pw-1&PASSWORD=Sekr1t-pw-2",
      "/tenants/contoso/v1.0/users?access_token=" + t,
      "/tenants/contoso/v1.0/users?%61ccess_token=" + t.substr(0, 40) + "&$top=1",
      "/tenants/contoso/v1.0/users?refresh_token=Sekr1t-rt&code=Sekr1t-code&id_token=Sekr1t-id",
      "/tenants/contoso/v1.0/users?client_assertion=Sekr1t-ca&code_verifier=Sekr1t-cv"
      "&assertion=Sekr1t-as&Client%5FSecret=Sekr1t-cs2",
  };
  for (const auto& target : targets) {
    if (target.find("/token") != std::string::npos) {
      http_->Post(target.c_str(), httplib::Params{{"grant_type", "client_credentials"}});
    } else {
      http_->Get(target.c_str());
    }
  }
  ASSERT_EQ(server_->stop(), 0);
  std::string log = server_->log();
  for (const std::string& secret_text :
       std::vector<std::string>{secret, t.substr(0, 40), std::string("Sekr1t")}) {
    EXPECT_EQ(log.find(secret_text), std::string::npos)
        << "the access log prints '" << secret_text << "':\n"
        << log;
  }
  EXPECT_NE(log.find("client_secret=REDACTED"), std::string::npos) << log;
  EXPECT_NE(log.find("&x=1"), std::string::npos) << "other parameters stay: " << log;
  EXPECT_NE(log.find("$top=1"), std::string::npos) << log;
}

// ---- Finding 8: aud ---------------------------------------------------------------------------

TEST_F(SecurityTest, ATokenForAnotherAudienceIsNeitherIssuedNorAccepted) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string origin = "http://127.0.0.1:" + std::to_string(server_->port());
  // The token endpoint refuses another resource as Azure AD does.
  for (const std::string& scope :
       std::vector<std::string>{"https://evil.example.com/.default",
                                "https://fabrikam.sharepoint.com/.default", "api://x/.default"}) {
    auto r = token_request({{"grant_type", "client_credentials"},
                            {"client_id", app_["clientId"].get<std::string>()},
                            {"client_secret", app_["clientSecret"].get<std::string>()},
                            {"scope", scope}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << scope << ": " << r->body;
    json j = json::parse(r->body);
    EXPECT_EQ(j["error"], "invalid_resource") << r->body;
    EXPECT_EQ(j["error_codes"][0], 500011) << r->body;
  }
  // Real clients' resources still work: SharePoint's hosts, Graph, the server's own origin.
  for (const std::string& scope :
       std::vector<std::string>{"https://contoso.sharepoint.com/.default",
                                "https://contoso-admin.sharepoint.com/.default",
                                "https://graph.microsoft.com/.default", origin + "/.default"}) {
    std::string t = app_token(app_, scope);
    EXPECT_EQ(status("GET", "/tenants/contoso/v1.0/users", t), 200) << scope;
  }
  std::string delegated = user_token("adele@contoso.com", "pa55word!", nullptr, "User.Read");
  EXPECT_EQ(claims_of(delegated)["aud"], "https://graph.microsoft.com");
  EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", delegated), 200);
  // A token minted for another audience anyway (signed with the server's key, all else
  // genuine) is refused by every surface.
  auto signer = TokenSigner::open(data());
  ASSERT_TRUE(signer);
  for (const std::string& aud :
       std::vector<std::string>{"https://evil.example.com", "https://fabrikam.sharepoint.com",
                                "https://contoso.sharepoint.com.evil.example.com", ""}) {
    json c = claims_of(app_token(app_));
    c["aud"] = aud;
    std::string forged = *(*signer)->sign(c);
    std::string body;
    EXPECT_EQ(status("GET", "/tenants/contoso/admin/v1/me", forged, &body), 401) << aud << body;
    EXPECT_EQ(status("GET", "/tenants/contoso/v1.0/users", forged, &body), 401) << aud << body;
    EXPECT_EQ(status("GET", "/tenants/contoso/_api/web", forged, &body), 401) << aud << body;
  }
}

// ---- Finding 8: the Host header ---------------------------------------------------------------

// What a client sees of the token service when it sends `host`: the discovery document and
// a token request.
struct HostAnswer {
  int discovery_status = 0;
  std::string discovery;
  int token_status = 0;
  std::string token_body;
};

HostAnswer ask_as(httplib::Client& http, const json& app, const std::string& host) {
  HostAnswer a;
  auto r = http.Get("/contoso/v2.0/.well-known/openid-configuration", {{"Host", host}});
  if (r) {
    a.discovery_status = r->status;
    a.discovery = r->body;
  }
  auto t = http.Post("/contoso/oauth2/v2.0/token", {{"Host", host}},
                     httplib::Params{{"grant_type", "client_credentials"},
                                     {"client_id", app["clientId"].get<std::string>()},
                                     {"client_secret", app["clientSecret"].get<std::string>()},
                                     {"scope", "https://contoso.sharepoint.com/.default"}});
  if (t) {
    a.token_status = t->status;
    a.token_body = t->body;
  }
  return a;
}

TEST_F(SecurityTest, ASpoofedHostReachesNeitherTheIssuerNorTheDiscoveryDocument) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string port = std::to_string(server_->port());
  for (const std::string& host : std::vector<std::string>{
           "evil.example.net", "evil.example.net:" + port, "127.0.0.1:1", "127.0.0.2:" + port,
           "127.0.0.1:" + port + "@evil.example.net", "contoso.evil.example.net"}) {
    HostAnswer a = ask_as(*http_, app_, host);
    EXPECT_EQ(a.discovery_status, 400) << host << ": " << a.discovery;
    EXPECT_EQ(a.discovery.find("evil.example.net/"), std::string::npos) << a.discovery;
    EXPECT_EQ(a.token_status, 400) << host << ": " << a.token_body;
    EXPECT_EQ(a.token_body.find("access_token"), std::string::npos) << host;
  }
  // The listen address (and its loopback alias) are the server's own.
  for (const std::string& host :
       std::vector<std::string>{"127.0.0.1:" + port, "localhost:" + port}) {
    HostAnswer a = ask_as(*http_, app_, host);
    ASSERT_EQ(a.discovery_status, 200) << host << ": " << a.discovery;
    const std::string issuer = "http://" + host + "/contoso/v2.0";
    EXPECT_EQ(json::parse(a.discovery)["issuer"], issuer);
    ASSERT_EQ(a.token_status, 200) << a.token_body;
    EXPECT_EQ(claims_of(json::parse(a.token_body)["access_token"])["iss"], issuer);
  }
}

TEST_F(SecurityTest, APublicHostAndItsTenantSubdomainsAreTheOnlyOthersServed) {
  ASSERT_NO_FATAL_FAILURE(
      start({"--public-host", "example.com", "--public-host", "https://sp.example.org:8443"}));
  for (const std::string& host :
       std::vector<std::string>{"evil.example.net", "example.com.evil.net", "evilexample.com",
                                "contoso.example.com:1", "sp.example.org", "example.org:8443"}) {
    HostAnswer a = ask_as(*http_, app_, host);
    EXPECT_EQ(a.discovery_status, 400) << host << ": " << a.discovery;
    EXPECT_EQ(a.token_status, 400) << host << ": " << a.token_body;
  }
  struct Good {
    std::string host, issuer;
  };
  for (const auto& g : std::vector<Good>{
           {"example.com", "http://example.com/contoso/v2.0"},
           {"Contoso.Example.com", "http://contoso.example.com/contoso/v2.0"},
           {"example.com:80", "http://example.com/contoso/v2.0"},
           {"sp.example.org:8443", "https://sp.example.org:8443/contoso/v2.0"},
           {"contoso.sp.example.org:8443", "https://contoso.sp.example.org:8443/contoso/v2.0"}}) {
    HostAnswer a = ask_as(*http_, app_, g.host);
    ASSERT_EQ(a.discovery_status, 200) << g.host << ": " << a.discovery;
    json d = json::parse(a.discovery);
    EXPECT_EQ(d["issuer"], g.issuer) << g.host;
    EXPECT_EQ(d["token_endpoint"], g.issuer.substr(0, g.issuer.size() - 5) + "/oauth2/v2.0/token");
    ASSERT_EQ(a.token_status, 200) << a.token_body;
    EXPECT_EQ(claims_of(json::parse(a.token_body)["access_token"])["iss"], g.issuer);
  }
  // Tenant by host name still addresses the tenant.
  std::string t = app_token(app_);
  auto me = http_->Get("/admin/v1/me",
                       {{"Host", "contoso.example.com"}, {"Authorization", "Bearer " + t}});
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200) << me->body;
  EXPECT_EQ(json::parse(me->body)["tenant"], "contoso");
  auto other = http_->Get("/admin/v1/me",
                          {{"Host", "fabrikam.example.com"}, {"Authorization", "Bearer " + t}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 401) << other->body;
}

}  // namespace
}  // namespace upsync
