// The auth matrix: every route that needs a caller × every kind of caller → the expected
// status. Prints the matrix size; any success where a refusal was expected fails the test.
#include <gtest/gtest.h>
#include <httplib.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "auth/secret.h"
#include "auth/token_signer.h"
#include "core/clock.h"
#include "http/auth_matrix_routes.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::run;
using testing::Server;
using testing::TempDir;

using testing::auth_matrix_routes;
using testing::Needs;
using testing::RouteCase;

struct Caller {
  std::string name;
  std::string token;
  enum Kind { kRefused, kUser, kSharePointAdmin, kGlobalAdmin, kApp } kind;
};

int expected(const RouteCase& r, const Caller& c) {
  // A public route serves anyone without a token; a token it is given must still be valid.
  if (r.needs == Needs::kNobody)
    return c.kind == Caller::kRefused && !c.token.empty() ? 401 : r.success;
  switch (c.kind) {
    case Caller::kRefused:
      return 401;
    case Caller::kUser:
      return r.needs == Needs::kAnyone ? r.success : 403;
    case Caller::kSharePointAdmin:
      return r.needs == Needs::kGlobalAdminOrApp || r.needs == Needs::kGlobalAdmin ? 403
                                                                                   : r.success;
    case Caller::kGlobalAdmin:
      return r.success;
    case Caller::kApp:
      if (r.needs == Needs::kGlobalAdmin) return 403;
      return r.as_app ? r.as_app : r.success;
  }
  return 0;
}

// Graph's and SharePoint's rows that can run again inside a batch: reads, and the writes that
// set the same value again.
bool batchable(const RouteCase& r) {
  const bool surface = r.path.starts_with("/v1.0/") || r.path.find("/_api/") != std::string::npos;
  return surface &&
         (r.method == "GET" || r.path.find("SetSingleValueProfileProperty") != std::string::npos);
}

struct BatchedAnswer {
  int outer = 0;   // the batch's own status
  int status = 0;  // the request's, inside it
  std::string body;
};

// Sends `method path` (under /tenants/contoso) alone in a batch of its surface: Graph's JSON
// $batch, or SharePoint's multipart one with the request's absolute URL.
BatchedAnswer send_batched(httplib::Client& http, int port, const httplib::Headers& headers,
                           const std::string& method, const std::string& path,
                           const std::string& body) {
  BatchedAnswer out;
  const std::string graph = "/tenants/contoso/v1.0";
  if (path.starts_with(graph)) {
    nlohmann::json request = {{"id", "1"}, {"method", method}, {"url", path.substr(graph.size())}};
    if (!body.empty()) {
      request["body"] = nlohmann::json::parse(body);
      request["headers"] = {{"Content-Type", "application/json"}};
    }
    // A header the request needs beside its caller's goes in the part, as a client sends it.
    if (auto level = headers.find("ConsistencyLevel"); level != headers.end()) {
      request["headers"]["ConsistencyLevel"] = level->second;
    }
    auto r = http.Post(graph + "/$batch", headers, nlohmann::json{{"requests", {request}}}.dump(),
                       "application/json");
    if (!r) return out;
    out.outer = r->status;
    if (r->status != 200) return out;
    auto answer = nlohmann::json::parse(r->body)["responses"][0];
    out.status = answer["status"];
    out.body = answer.value("body", nlohmann::json()).dump();
    return out;
  }
  std::string part = "--batch_1\r\nContent-Type: application/http\r\n\r\n" + method +
                     " http://127.0.0.1:" + std::to_string(port) + path +
                     " HTTP/1.1\r\nAccept: application/json\r\n";
  if (!body.empty()) part += "Content-Type: application/json\r\n";
  std::string multipart =
      method == "GET" ? part + "\r\n\r\n--batch_1--\r\n"
                      : "--batch_1\r\nContent-Type: multipart/mixed; boundary=changeset_1\r\n\r\n" +
                            part.replace(0, 9, "--changeset_1") + "\r\n" + body +
                            "\r\n--changeset_1--\r\n--batch_1--\r\n";
  auto r = http.Post("/tenants/contoso/_api/$batch", headers, multipart,
                     "multipart/mixed; boundary=batch_1");
  if (!r) return out;
  out.outer = r->status;
  if (r->status != 200) return out;
  size_t at = r->body.find("\r\nHTTP/1.1 ");
  if (at == std::string::npos) return out;
  out.status = std::stoi(r->body.substr(at + 11, 3));
  out.body = r->body.substr(at);
  return out;
}

TEST(AuthMatrix, EveryRouteRefusesWhomItShouldAndServesTheRest) {
  TempDir dir;
  const std::string data = dir.str() + "/data";
  auto cli_json = [&](const std::string& args) {
    std::string out = dir.str() + "/out.json";
    EXPECT_EQ(
        std::system(
            (testing::binary() + " --data-dir " + data + " --json " + args + " > " + out).c_str()),
        0);
    return nlohmann::json::parse(testing::read_file(out));
  };
  for (const char* t : {"contoso", "fabrikam"}) {
    ASSERT_EQ(run({"--data-dir", data, "tenant", "create", t}), 0);
  }
  auto app = cli_json("app add -t contoso matrix");
  auto other_app = cli_json("app add -t fabrikam portal");
  for (auto [t, upn, role] : {std::tuple{"contoso", "ga@contoso.com", "global-admin"},
                              {"contoso", "spa@contoso.com", "sharepoint-admin"},
                              {"contoso", "adele@contoso.com", "user"},
                              {"contoso", "gone@contoso.com", "user"},
                              {"contoso", "demoted@contoso.com", "global-admin"},
                              {"contoso", "via@contoso.com", "global-admin"},
                              {"fabrikam", "ga@fabrikam.com", "global-admin"}}) {
    ASSERT_EQ(run({"--data-dir", data, "user", "password", "set", "-t", t, upn, "--role", role,
                   "--password", "pa55word!"}),
              0);
  }
  // Profiles of the people who follow (every person caller) and of the one they follow.
  for (const char* upn :
       {"adele@contoso.com", "ga@contoso.com", "spa@contoso.com", "followee@contoso.com"}) {
    ASSERT_EQ(run({"--data-dir", data, "profile", "create", "-t", "contoso",
                   std::string("i:0#.f|membership|") + upn}),
              0);
  }
  // A file every caller may read, and a job that ran and wrote its log ("{log}").
  const std::string shared = dir.str() + "/shared.txt";
  testing::write_file(shared, "shared");
  ASSERT_EQ(run({"--data-dir", data, "file", "put", "-t", "contoso", shared,
                 "/sites/hr/Shared Documents/shared.txt"}),
            0);
  const std::string bad = dir.str() + "/bad.json";
  testing::write_file(bad, R"({"value":[{"IdName":"ghost@contoso.com","H":"x"}]})");
  ASSERT_EQ(run({"--data-dir", data, "file", "put", "-t", "contoso", bad,
                 "/sites/hr/Shared Documents/import/bad.json"}),
            0);
  const std::string ran = cli_json(
      "import queue -t contoso --id-type Email --id-property IdName --map H=SPS-HireDate "
      "--source '/sites/hr/Shared Documents/import/bad.json'")["JobId"];
  ASSERT_EQ(run({"--data-dir", data, "import", "run-pending"}), 0);
  const std::string log_folder = "/sites/hr/Shared%20Documents/import/" + ran;
  Server srv(dir);
  ASSERT_GT(srv.port(), 0);
  httplib::Client http("127.0.0.1", srv.port());

  auto token = [&](const std::string& tenant, httplib::Params form) {
    form.emplace("scope", "https://" + tenant + ".sharepoint.com/.default");
    auto r = http.Post("/" + tenant + "/oauth2/v2.0/token", form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    return nlohmann::json::parse(r->body)["access_token"].get<std::string>();
  };
  auto person = [&](const std::string& tenant, const std::string& client, const std::string& upn) {
    return token(tenant, {{"grant_type", "password"},
                          {"client_id", client},
                          {"username", upn},
                          {"password", "pa55word!"}});
  };
  std::string cid = app["clientId"];
  std::string app_token = token("contoso", {{"grant_type", "client_credentials"},
                                            {"client_id", cid},
                                            {"client_secret", app["clientSecret"]}});
  std::string bad_signature = app_token;
  bad_signature[bad_signature.size() - 5] =
      bad_signature[bad_signature.size() - 5] == 'A' ? 'B' : 'A';
  auto signer = TokenSigner::open(data);
  ASSERT_TRUE(signer);
  std::string expired = *(*signer)->sign(
      {{"tid", "contoso"}, {"idtyp", "app"}, {"appid", cid}, {"exp", unix_now() - 60}});
  // Tokens of principals changed since (issue 15, finding 5): a person whose password was
  // removed, a global admin demoted to user, an app removed and a person's token issued
  // through it; and a genuine token re-signed for another audience (finding 8).
  std::string gone = person("contoso", cid, "gone@contoso.com");
  std::string demoted = person("contoso", cid, "demoted@contoso.com");
  auto removed_app = cli_json("app add -t contoso removed");
  std::string removed_app_token =
      token("contoso", {{"grant_type", "client_credentials"},
                        {"client_id", removed_app["clientId"]},
                        {"client_secret", removed_app["clientSecret"]}});
  std::string via_removed = person("contoso", removed_app["clientId"], "via@contoso.com");
  ASSERT_EQ(
      run({"--data-dir", data, "user", "password", "remove", "-t", "contoso", "gone@contoso.com"}),
      0);
  ASSERT_EQ(run({"--data-dir", data, "user", "password", "set", "-t", "contoso",
                 "demoted@contoso.com", "--role", "user", "--password", "pa55word!"}),
            0);
  ASSERT_EQ(run({"--data-dir", data, "app", "remove", "-t", "contoso",
                 removed_app["clientId"].get<std::string>()}),
            0);
  size_t dot1 = app_token.find('.'), dot2 = app_token.rfind('.');
  auto claims =
      nlohmann::json::parse(*base64url_decode(app_token.substr(dot1 + 1, dot2 - dot1 - 1)));
  claims["aud"] = "https://evil.example.com";
  std::string other_audience = *(*signer)->sign(claims);
  const std::vector<Caller> callers = {
      {"none", "", Caller::kRefused},
      {"badsig", bad_signature, Caller::kRefused},
      {"expired", expired, Caller::kRefused},
      {"other", person("fabrikam", other_app["clientId"], "ga@fabrikam.com"), Caller::kRefused},
      {"gone", gone, Caller::kRefused},
      {"demoted", demoted, Caller::kRefused},
      {"removedapp", removed_app_token, Caller::kRefused},
      {"viaremoved", via_removed, Caller::kRefused},
      {"audience", other_audience, Caller::kRefused},
      {"user", person("contoso", cid, "adele@contoso.com"), Caller::kUser},
      {"spa", person("contoso", cid, "spa@contoso.com"), Caller::kSharePointAdmin},
      {"ga", person("contoso", cid, "ga@contoso.com"), Caller::kGlobalAdmin},
      {"app", app_token, Caller::kApp},
  };
  // What the DELETE and run-by-id rows act on.
  std::map<std::string, std::string> app_to_remove;
  for (const auto& c : callers) {
    ASSERT_EQ(run({"--data-dir", data, "property", "add", "-t", "contoso", "Q" + c.name}), 0);
    app_to_remove[c.name] = cli_json("app add -t contoso del-" + c.name)["clientId"];
  }
  auto queued = http.Post(
      "/tenants/contoso/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
      "QueueImportProfileProperties",
      {{"Authorization", "Bearer " + app_token}, {"Accept", "application/json;odata=nometadata"}},
      R"({"idType":0,"sourceDataIdProperty":"IdName","propertyMap":{"H":"SPS-HireDate"},)"
      R"("sourceUri":"/sites/hr/Shared Documents/none.json"})",
      "application/json");
  ASSERT_TRUE(queued && queued->status == 200) << (queued ? queued->body : "");
  const std::string job_id = nlohmann::json::parse(queued->body)["value"];
  // A directory with a group, for the group routes ("{group}" is its object id).
  const std::string ldif = dir.str() + "/directory.ldif";
  testing::write_file(ldif,
                      "dn: CN=Adele,DC=contoso,DC=com\nobjectClass: user\n"
                      "objectGUID:: AAECAwQFBgcICQoLDA0ODw==\nuserPrincipalName: "
                      "adele@contoso.com\nmanager: CN=Global Admin,DC=contoso,DC=com\n\n"
                      "dn: CN=SharePoint Admin,DC=contoso,DC=com\nobjectClass: user\n"
                      "objectGUID:: ICEiIyQlJicoKSorLC0uLw==\nuserPrincipalName: "
                      "spa@contoso.com\nmanager: CN=Global Admin,DC=contoso,DC=com\n\n"
                      "dn: CN=Global Admin,DC=contoso,DC=com\nobjectClass: user\n"
                      "objectGUID:: MDEyMzQ1Njc4OTo7PD0+Pw==\nuserPrincipalName: "
                      "ga@contoso.com\nmanager: CN=SharePoint Admin,DC=contoso,DC=com\n\n"
                      "dn: CN=Sales,DC=contoso,DC=com\nobjectClass: group\ncn: Sales\n"
                      "objectGUID:: EBESExQVFhcYGRobHB0eHw==\n"
                      "member: CN=Adele,DC=contoso,DC=com\n\n");
  ASSERT_EQ(run({"--data-dir", data, "sync", "ldif", "-t", "contoso", ldif}), 0);
  const std::string group_id = cli_json("directory group list -t contoso")[0]["objectId"];

  // A certificate for the certificate rows; its SHA-1 thumbprint from the CLI's listing.
  const std::string cert_file = dir.str() + "/matrix.pem";
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir.str() +
                         "/matrix.key -out " + cert_file + " -days 5 -subj /CN=matrix 2>/dev/null")
                            .c_str()),
            0);
  const std::string cert_json = nlohmann::json(testing::read_file(cert_file)).dump();
  const std::string thumb =
      cli_json("app cert add -t contoso " +
               cli_json("app add -t contoso certs")["clientId"].get<std::string>() + " " +
               cert_file)["thumbprint"];

  // A cloud-only user and group per caller for the Graph write rows.
  std::map<std::string, std::string> user_of, group_of;
  for (const auto& c : callers) {
    user_of[c.name] =
        cli_json("directory user add -t contoso w-" + c.name + "@contoso.com")["objectId"];
    auto made = http.Post(
        "/tenants/contoso/v1.0/groups", {{"Authorization", "Bearer " + app_token}},
        nlohmann::json({{"displayName", "W " + c.name},
                        {"mailEnabled", false},
                        {"mailNickname", "w" + c.name},
                        {"securityEnabled", true},
                        {"members@odata.bind",
                         {"https://graph.microsoft.com/v1.0/directoryObjects/" + user_of[c.name]}}})
            .dump(),
        "application/json");
    ASSERT_TRUE(made && made->status == 201) << (made ? made->body : "");
    group_of[c.name] = nlohmann::json::parse(made->body)["id"];
  }

  int cells = 0, batched_cells = 0, unexpected_successes = 0;
  for (const auto& r : auth_matrix_routes()) {
    for (const auto& c : callers) {
      auto fill = [&](std::string s) {
        for (size_t at; (at = s.find("{who}")) != std::string::npos;) s.replace(at, 5, c.name);
        for (size_t at; (at = s.find("{group}")) != std::string::npos;) s.replace(at, 7, group_id);
        for (size_t at; (at = s.find("{app}")) != std::string::npos;)
          s.replace(at, 5, app_to_remove[c.name]);
        for (size_t at; (at = s.find("{job}")) != std::string::npos;) s.replace(at, 5, job_id);
        for (size_t at; (at = s.find("{log}")) != std::string::npos;) s.replace(at, 5, log_folder);
        char uid[40];
        std::snprintf(uid, sizeof uid, "00000000-0000-4000-8000-%012zu", &c - callers.data());
        for (size_t at; (at = s.find("{uid}")) != std::string::npos;) s.replace(at, 5, uid);
        std::snprintf(uid, sizeof uid, "00000000-0000-4000-9000-%012zu", &c - callers.data());
        for (size_t at; (at = s.find("{uid2}")) != std::string::npos;) s.replace(at, 6, uid);
        for (size_t at; (at = s.find("{cert}")) != std::string::npos;) s.replace(at, 6, cert_json);
        for (size_t at; (at = s.find("{user}")) != std::string::npos;)
          s.replace(at, 6, user_of[c.name]);
        for (size_t at; (at = s.find("{cgroup}")) != std::string::npos;)
          s.replace(at, 8, group_of[c.name]);
        for (size_t at; (at = s.find("{thumb}")) != std::string::npos;) s.replace(at, 7, thumb);
        return s;
      };
      std::string path = "/tenants/contoso" + fill(r.path);
      httplib::Headers headers = r.headers;
      if (!c.token.empty()) headers.emplace("Authorization", "Bearer " + c.token);
      // The photo rows send an image; the others JSON.
      const char* type = r.body.starts_with("GIF8") ? "image/gif" : "application/json";
      auto send = [&]() -> httplib::Result {
        if (r.method == "POST") return http.Post(path, headers, fill(r.body), type);
        if (r.method == "DELETE") return http.Delete(path, headers);
        if (r.method == "PUT") return http.Put(path, headers, fill(r.body), type);
        if (r.method == "PATCH") return http.Patch(path, headers, fill(r.body), "application/json");
        return http.Get(path, headers);
      };
      auto res = send();
      ASSERT_TRUE(res) << r.method << " " << path;
      int want = expected(r, c);
      ++cells;
      if (want >= 400 && res->status < 400) ++unexpected_successes;
      EXPECT_EQ(res->status, want)
          << r.method << " " << path << " as " << c.name << ": " << res->body;
      // The same request inside a batch of its surface: the batch itself needs a caller, and
      // the request in it gets what it gets alone (reads and idempotent writes only, as the
      // plain request above has already run).
      if (!batchable(r)) continue;
      auto inner = send_batched(http, srv.port(), headers, r.method, path, fill(r.body));
      ++batched_cells;
      int outer_want = c.kind == Caller::kRefused ? 401 : 200;
      EXPECT_EQ(inner.outer, outer_want)
          << "batched " << r.method << " " << path << " as " << c.name;
      if (c.kind == Caller::kRefused) {
        if (inner.outer < 400) ++unexpected_successes;
        continue;
      }
      if (want >= 400 && inner.status < 400) ++unexpected_successes;
      EXPECT_EQ(inner.status, want)
          << "batched " << r.method << " " << path << " as " << c.name << ": " << inner.body;
    }
  }
  std::cout << "auth matrix: " << auth_matrix_routes().size() << " routes x " << callers.size()
            << " callers = " << cells << " cells, and " << batched_cells << " inside a $batch; "
            << unexpected_successes << " unexpected successes\n";
  EXPECT_EQ(unexpected_successes, 0);
}

}  // namespace
}  // namespace upsync
