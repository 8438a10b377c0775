// Graph's JSON $batch (src/http/graph_batch.h) and SharePoint's multipart _api/$batch
// (src/http/sharepoint_batch.h) on the real `upsync serve`: each request answered with its own
// status as if sent alone (permissions, tenant, Host), dependsOn and 424, changesets applied
// one by one, every malformed batch refused with what and where, and the access log showing
// the inner requests without secrets.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using json = nlohmann::json;
using upsync::testing::run;
using upsync::testing::run_output;
using upsync::testing::Server;
using upsync::testing::TempDir;

const std::string kAdele = "i:0#.f|membership|adele@contoso.com";
const std::string kMegan = "i:0#.f|membership|megan@contoso.com";

class BatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    data_ = dir_->str() + "/data";
    auto cli = [](std::vector<std::string> args) {
      args.insert(args.begin(), {"--data-dir", data_});
      ASSERT_EQ(run(args), 0) << args[2] << " " << args[3];
    };
    cli({"tenant", "create", "contoso"});
    cli({"tenant", "create", "fabrikam"});
    app_ = json::parse(
        run_output({"--data-dir", data_, "--json", "app", "add", "--tenant", "contoso", "b"}));
    cli({"user", "password", "set", "--tenant", "contoso", "adele@contoso.com", "--password",
         "pw-adele"});
    cli({"profile", "create", "--tenant", "contoso", kMegan, "--set", "PreferredName=Megan"});
    cli({"profile", "create", "--tenant", "contoso", kAdele, "--set", "PreferredName=Adele"});
    cli({"directory", "user", "add", "--tenant", "contoso", "adele@contoso.com", "--set",
         "displayName=Adele Vance"});
    cli({"directory", "user", "add", "--tenant", "contoso", "megan@contoso.com", "--set",
         "displayName=Megan Bowen"});
    const std::string file = dir_->str() + "/note.txt";
    testing::write_file(file, "a note\nof two lines");
    cli({"file", "put", "--tenant", "contoso", file, "/sites/hr/Shared Documents/note.txt"});
    server_ = new Server(*dir_, {"--no-worker"});
    ASSERT_GT(server_->port(), 0) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    return c;
  }
  static std::string origin() { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  static std::string token(httplib::Params form) {
    form.emplace("scope", "https://graph.microsoft.com/.default");
    auto r = client().Post("/contoso/oauth2/v2.0/token", form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    return r ? json::parse(r->body).value("access_token", "") : "";
  }
  static std::string app() {
    return token({{"grant_type", "client_credentials"},
                  {"client_id", app_["clientId"].get<std::string>()},
                  {"client_secret", app_["clientSecret"].get<std::string>()}});
  }
  static std::string adele() {
    return token({{"grant_type", "password"},
                  {"client_id", app_["clientId"].get<std::string>()},
                  {"username", "adele@contoso.com"},
                  {"password", "pw-adele"}});
  }

  static httplib::Result graph_batch(const std::string& token, const std::string& body,
                                     const std::string& path = "/tenants/contoso/v1.0/$batch") {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return client().Post(path, h, body, "application/json");
  }
  // The responses by id, after checking the batch itself answered 200.
  static std::map<std::string, json> responses(const httplib::Result& r) {
    std::map<std::string, json> out;
    EXPECT_TRUE(r);
    if (!r) return out;
    EXPECT_EQ(r->status, 200) << r->body;
    json j = json::parse(r->body);
    for (const auto& e : j["responses"]) out[e["id"]] = e;
    return out;
  }

  struct Part {
    int status;
    std::string headers;
    std::string body;
  };
  static httplib::Result sp_batch(const std::string& token, const std::string& body,
                                  const std::string& boundary = "batch_77") {
    httplib::Headers h = {{"Authorization", "Bearer " + token}};
    return client().Post("/tenants/contoso/sites/hr/_api/$batch", h, body,
                         "multipart/mixed; boundary=" + boundary);
  }
  // SharePoint's answer, part by part.
  static std::vector<Part> parts(const httplib::Result& r) {
    std::vector<Part> out;
    EXPECT_TRUE(r);
    if (!r) return out;
    EXPECT_EQ(r->status, 200) << r->body;
    std::smatch m;
    std::string type = r->get_header_value("Content-Type");
    EXPECT_TRUE(std::regex_match(type, m,
                                 std::regex("multipart/mixed; boundary=(batchresponse_"
                                            "[0-9a-f-]{36})")))
        << type;
    const std::string delimiter = "--" + m[1].str();
    EXPECT_TRUE(r->body.ends_with(delimiter + "--\r\n"));
    size_t at = r->body.find(delimiter + "\r\n");
    while (at != std::string::npos) {
      size_t start = at + delimiter.size() + 2;
      size_t next = r->body.find("\r\n" + delimiter, start);
      std::string part = r->body.substr(start, next - start);
      size_t http = part.find("\r\n\r\nHTTP/1.1 ");
      size_t head_end = part.find("\r\n\r\n", http + 4);
      Part p;
      p.status = std::stoi(part.substr(http + 13, 3));
      p.headers = part.substr(http + 4, head_end - http - 4);
      p.body = part.substr(head_end + 4);
      out.push_back(p);
      at = r->body.find(delimiter + "\r\n", next);
    }
    return out;
  }
  static std::string read_part(const std::string& method, const std::string& path,
                               const std::string& accept = "application/json;odata=nometadata") {
    return "--batch_77\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
           "\r\n" +
           method + " " + path + " HTTP/1.1\r\nAccept: " + accept + "\r\n\r\n";
  }
  static std::string write_part(const std::string& method, const std::string& url,
                                const std::string& body) {
    return "--changeset_9\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: "
           "binary\r\n\r\n" +
           method + " " + url +
           " HTTP/1.1\r\nAccept: application/json;odata=nometadata\r\nContent-Type: "
           "application/json;charset=utf-8\r\n\r\n" +
           body + "\r\n\r\n";
  }
  static std::string about_me(const std::string& account, const std::string& value) {
    return json{{"accountName", account}, {"propertyName", "AboutMe"}, {"propertyValue", value}}
        .dump();
  }
  static std::string stored_about_me(const std::string& account) {
    json p = json::parse(run_output(
        {"--data-dir", data_, "--json", "profile", "get", "--tenant", "contoso", account}));
    const json& v = p["properties"]["AboutMe"];
    return v.is_string() ? v.get<std::string>() : "";
  }

  // The server's log once it holds `text` (lines are written every 200 ms).
  static std::string logged(const std::string& text) {
    std::string log = server_->log();
    for (int i = 0; i < 100 && log.find(text) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      log = server_->log();
    }
    return log;
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string data_;
  static inline Server* server_ = nullptr;
  static inline json app_;
};

TEST_F(BatchTest, GraphAnswersEachRequestWithItsOwnStatus) {
  auto r = responses(graph_batch(app(), R"j({"requests":[
      {"id":"1","method":"GET","url":"/users/adele@contoso.com?$select=displayName"},
      {"id":"2","method":"GET","url":"/users/nobody@contoso.com"},
      {"id":"3","method":"GET","url":"/me"},
      {"id":"4","method":"get","url":"users?$filter=startswith(displayName,'Megan')",
       "headers":{"ConsistencyLevel":"eventual"}}]})j"));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r["1"]["status"], 200);
  EXPECT_EQ(r["1"]["body"]["displayName"], "Adele Vance");
  EXPECT_NE(r["1"]["headers"]["Content-Type"].get<std::string>().find("application/json"),
            std::string::npos);
  EXPECT_EQ(r["2"]["status"], 404);
  EXPECT_EQ(r["2"]["body"]["error"]["code"], "Request_ResourceNotFound");
  EXPECT_EQ(r["3"]["status"], 400);  // an app has no /me, as alone
  EXPECT_EQ(r["4"]["status"], 200);
  ASSERT_EQ(r["4"]["body"]["value"].size(), 1u);
  EXPECT_EQ(r["4"]["body"]["value"][0]["displayName"], "Megan Bowen");
}

TEST_F(BatchTest, GraphTakesTheUrlFormsClientsSendAndRefusesTheRest) {
  auto r = responses(graph_batch(adele(), R"({"requests":[
      {"id":"a","method":"GET","url":"users/megan@contoso.com"},
      {"id":"b","method":"GET","url":"/v1.0/users/megan@contoso.com"},
      {"id":"c","method":"GET","url":"/tenants/contoso/v1.0/me"},
      {"id":"d","method":"GET","url":"/tenants/fabrikam/v1.0/users"},
      {"id":"e","method":"GET","url":"https://graph.microsoft.com/v1.0/me"},
      {"id":"f","method":"GET","url":"/beta/me"},
      {"id":"g","method":"POST","url":"/$batch","headers":{"Content-Type":"application/json"},
       "body":{"requests":[{"id":"1","method":"GET","url":"/me"}]}},
      {"id":"h","method":"TRACE","url":"/me"},
      {"id":"i","method":"PATCH","url":"/me","body":{"city":"Oslo"}}]})"));
  EXPECT_EQ(r["a"]["status"], 200);
  EXPECT_EQ(r["b"]["status"], 200);
  EXPECT_EQ(r["c"]["status"], 200);
  EXPECT_EQ(r["c"]["body"]["userPrincipalName"], "adele@contoso.com");
  for (const char* id : {"d", "e", "f", "g", "h", "i"}) {
    EXPECT_EQ(r[id]["status"], 400) << id << ": " << r[id].dump();
  }
  EXPECT_NE(r["d"]["body"]["error"]["message"].get<std::string>().find("outside the tenant"),
            std::string::npos);
  EXPECT_NE(r["g"]["body"]["error"]["message"].get<std::string>().find("cannot hold another"),
            std::string::npos);
  EXPECT_NE(r["i"]["body"]["error"]["message"].get<std::string>().find("no Content-Type"),
            std::string::npos);
}

TEST_F(BatchTest, GraphRunsDependenciesFirstAndFailsTheirDependentsWith424) {
  auto r = responses(graph_batch(app(), R"({"requests":[
      {"id":"1","method":"GET","url":"/users/nobody@contoso.com"},
      {"id":"2","method":"GET","url":"/users/adele@contoso.com","dependsOn":["1"]},
      {"id":"3","method":"GET","url":"/users/adele@contoso.com","dependsOn":["2"]},
      {"id":"dep-4","method":"GET","url":"/users/megan@contoso.com","dependsOn":["dep-5"]},
      {"id":"dep-5","method":"GET","url":"/users/adele@contoso.com"}]})"));
  EXPECT_EQ(r["1"]["status"], 404);
  EXPECT_EQ(r["2"]["status"], 424);
  EXPECT_EQ(r["3"]["status"], 424);
  EXPECT_EQ(r["dep-4"]["status"], 200);
  EXPECT_EQ(r["dep-5"]["status"], 200);
  // dep-5 ran before dep-4, which named it: the access log has them in that order.
  std::string log = logged("\"batchPart\":\"dep-4\"");
  size_t five = log.find("\"batchPart\":\"dep-5\"");
  size_t four = log.find("\"batchPart\":\"dep-4\"");
  ASSERT_NE(five, std::string::npos);
  EXPECT_LT(five, four);
}

struct BadGraphBatch {
  const char* name;
  std::string body;
  const char* message;
};

TEST_F(BatchTest, GraphRefusesAMalformedBatchWholeWithWhatAndWhere) {
  std::string many = R"({"requests":[)";
  for (int i = 0; i < 21; ++i) {
    many +=
        (i ? "," : "") + json{{"id", std::to_string(i)}, {"method", "GET"}, {"url", "/me"}}.dump();
  }
  many += "]}";
  const std::vector<BadGraphBatch> cases = {
      {"NotJson", "{", "invalid JSON"},
      {"NotAnObject", "[]", "'requests' array"},
      {"NoRequests", R"({"value":[]})", "'requests' array"},
      {"Empty", R"({"requests":[]})", "is empty"},
      {"TooMany", many, "at most 20 requests, got 21"},
      {"NotAnObjectRequest", R"({"requests":[1]})", "requests[0] is not an object"},
      {"NoId", R"({"requests":[{"method":"GET","url":"/me"}]})", "requests[0].id must be"},
      {"NumericId", R"({"requests":[{"id":1,"method":"GET","url":"/me"}]})", "requests[0].id"},
      {"NoUrl", R"({"requests":[{"id":"1","method":"GET"}]})", "requests[0].url"},
      {"UnknownMember", R"({"requests":[{"id":"1","method":"GET","url":"/me","x":1}]})",
       "the member 'x'"},
      {"DuplicateId",
       R"({"requests":[{"id":"a","method":"GET","url":"/me"},{"id":"A","method":"GET","url":"/me"}]})",
       "Request Id A has to be unique in a batch."},
      {"UnknownDependency",
       R"({"requests":[{"id":"1","method":"GET","url":"/me","dependsOn":["9"]}]})",
       "names '9', no request of this batch"},
      {"SelfDependency",
       R"({"requests":[{"id":"1","method":"GET","url":"/me","dependsOn":["1"]}]})",
       "names the request itself"},
      {"Cycle",
       R"({"requests":[{"id":"1","method":"GET","url":"/me","dependsOn":["2"]},)"
       R"({"id":"2","method":"GET","url":"/me","dependsOn":["1"]}]})",
       "make a cycle"},
      {"HeaderNotString",
       R"({"requests":[{"id":"1","method":"GET","url":"/me","headers":{"Prefer":1}}]})",
       "headers.Prefer must be a string"},
  };
  for (const auto& c : cases) {
    auto r = graph_batch(app(), c.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.name << ": " << r->body;
    json e = json::parse(r->body)["error"];
    EXPECT_EQ(e["code"], "BadRequest") << c.name;
    std::string message = e["message"];
    EXPECT_TRUE(message.starts_with("Invalid batch payload format. ")) << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << c.name << ": " << message;
  }
}

TEST_F(BatchTest, GraphBatchNeedsATokenAndTakesNoQueryOptionOrSmuggledHeaders) {
  auto none = graph_batch("", R"({"requests":[{"id":"1","method":"GET","url":"/me"}]})");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto option = graph_batch(app(), R"({"requests":[{"id":"1","method":"GET","url":"/users"}]})",
                            "/tenants/contoso/v1.0/$batch?$top=1");
  ASSERT_TRUE(option);
  EXPECT_EQ(option->status, 400);
  EXPECT_EQ(json::parse(option->body)["error"]["code"], "Request_UnsupportedQuery");
  // A part may not bring its own caller or Host; the batch's token applies to every part.
  auto r = responses(graph_batch(
      adele(), json{{"requests",
                     json::array({json{{"id", "1"},
                                       {"method", "GET"},
                                       {"url", "/me"},
                                       {"headers", {{"Authorization", "Bearer " + app()}}}},
                                  json{{"id", "2"},
                                       {"method", "GET"},
                                       {"url", "/me"},
                                       {"headers", {{"Host", "evil.com"}}}},
                                  json{{"id", "3"},
                                       {"method", "GET"},
                                       {"url", "/me"},
                                       {"headers", {{"Prefer", "x\r\nAuthorization: Bearer y"}}}},
                                  json{{"id", "4"}, {"method", "GET"}, {"url", "/me"}}})}}
                   .dump()));
  for (const char* id : {"1", "2", "3"}) EXPECT_EQ(r[id]["status"], 400) << r[id].dump();
  EXPECT_EQ(r["4"]["status"], 200);
  EXPECT_EQ(r["4"]["body"]["userPrincipalName"], "adele@contoso.com");
}

TEST_F(BatchTest, TheAccessLogShowsTheInnerRequestsWithoutSecrets) {
  std::string t = app();
  auto r = responses(graph_batch(t, R"({"requests":[
      {"id":"logged-1","method":"GET","url":"/users/megan@contoso.com?password=hunter2"}]})"));
  ASSERT_EQ(r.size(), 1u);
  std::string log = logged("logged-1");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(\{[^\n]*"batchPart":"logged-1"[^\n]*\})")))
      << log;
  json line = json::parse(m[0].str());
  EXPECT_EQ(line["method"], "GET");
  EXPECT_EQ(line["status"], r["logged-1"]["status"]);
  EXPECT_EQ(line["target"], "/tenants/contoso/v1.0/users/megan@contoso.com?password=REDACTED");
  EXPECT_EQ(log.find("hunter2"), std::string::npos);
  EXPECT_EQ(log.find(t.substr(t.rfind('.') + 1)), std::string::npos);  // no token signature
}

TEST_F(BatchTest, SharePointAnswersEachPartAndAppliesAChangesetOneByOne) {
  const std::string api = origin() + "/tenants/contoso/sites/hr/_api";
  const std::string set = api + "/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty";
  std::string body =
      read_part("GET", api + "/SP.UserProfiles.PeopleManager/getpropertiesfor(@v)?@v=" +
                           "'i%3A0%23.f%7Cmembership%7Cmegan%40contoso.com'") +
      "--batch_77\r\nContent-Type: multipart/mixed; boundary=\"changeset_9\"\r\n\r\n" +
      write_part("POST", set, about_me(kAdele, "from a batch")) +
      write_part("POST", set, about_me(kMegan, "not hers to set")) +
      write_part("POST", set, about_me(kAdele, "and again")) + "--changeset_9--\r\n\r\n" +
      read_part("GET", api + "/SP.UserProfiles.PeopleManager/GetMyProperties",
                "application/json;odata=verbose") +
      read_part("GET", api +
                           "/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/"
                           "note.txt')/$value") +
      "--batch_77--\r\n";
  auto p = parts(sp_batch(adele(), body));
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].status, 200);
  EXPECT_EQ(json::parse(p[0].body)["DisplayName"], "Megan");
  EXPECT_NE(p[0].headers.find("Content-Type: application/json;odata=nometadata"), std::string::npos)
      << p[0].headers;
  EXPECT_EQ(p[1].status, 200);
  EXPECT_EQ(p[2].status, 403);  // a user sets only their own properties, as alone
  EXPECT_NE(json::parse(p[2].body)["odata.error"]["code"].get<std::string>().find(
                "UnauthorizedAccessException"),
            std::string::npos);
  EXPECT_EQ(p[3].status, 200);  // not rolled back, nor stopped, by the failure before it
  EXPECT_EQ(p[4].status, 200);
  EXPECT_EQ(json::parse(p[4].body)["d"]["AccountName"], kAdele);
  EXPECT_EQ(p[5].status, 200);
  EXPECT_EQ(p[5].body, "a note\nof two lines");
  EXPECT_EQ(stored_about_me(kAdele), "and again");
  EXPECT_EQ(stored_about_me(kMegan), "");
}

TEST_F(BatchTest, SharePointRefusesPartsOutsideThisServerTenantOrApi) {
  const std::string web = "/tenants/contoso/sites/hr/_api/web";
  std::string body = read_part("GET", origin() + web) + read_part("GET", web) +
                     read_part("GET", "https://contoso.sharepoint.com/_api/web") +
                     read_part("GET", "http://127.0.0.2:" + std::to_string(server_->port()) + web) +
                     read_part("GET", origin() + "/tenants/fabrikam/_api/web") +
                     read_part("GET", origin() + "/_api/web") +
                     read_part("GET", origin() + "/tenants/contoso/admin/v1/tenant") +
                     read_part("POST", origin() + "/tenants/contoso/_api/$batch") +
                     "--batch_77\r\nContent-Type: multipart/mixed; boundary=changeset_9\r\n\r\n" +
                     "--changeset_9\r\nContent-Type: application/http\r\n\r\nGET " + origin() +
                     web + " HTTP/1.1\r\n\r\n\r\n--changeset_9--\r\n" +
                     "--batch_77\r\nContent-Type: application/http\r\n\r\nGET " + origin() + web +
                     " HTTP/1.1\r\nAuthorization: Bearer " + app() + "\r\n\r\n\r\n" +
                     "--batch_77--\r\n";
  auto p = parts(sp_batch(adele(), body));
  ASSERT_EQ(p.size(), 10u);
  EXPECT_EQ(p[0].status, 200);
  EXPECT_EQ(p[1].status, 200);  // a path is on this server
  for (size_t i = 2; i < p.size(); ++i) {
    EXPECT_EQ(p[i].status, 400) << i << ": " << p[i].body;
    EXPECT_TRUE(json::parse(p[i].body).contains("odata.error")) << p[i].body;
  }
}

TEST_F(BatchTest, SharePointRefusesABodyItCannotReadNamingTheLine) {
  struct Case {
    std::string content_type, body, message;
  };
  std::string many;
  for (int i = 0; i < 101; ++i) many += read_part("GET", "/tenants/contoso/_api/web");
  const std::vector<Case> cases = {
      {"multipart/mixed", "--batch_77--\r\n", "has no boundary"},
      {"application/json", "{}", "must be multipart/mixed"},
      {"multipart/mixed; boundary=batch_77", read_part("GET", "/tenants/contoso/_api/web"),
       "no closing delimiter --batch_77--"},
      {"multipart/mixed; boundary=batch_77", many + "--batch_77--\r\n",
       "line 702: a batch holds at most 100 requests"},
  };
  for (const auto& c : cases) {
    auto r = client().Post("/tenants/contoso/_api/$batch", {{"Authorization", "Bearer " + app()}},
                           c.body, c.content_type);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    std::string message = json::parse(r->body)["odata.error"]["message"]["value"];
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
  }
  auto option = client().Post("/tenants/contoso/_api/$batch?$select=x",
                              {{"Authorization", "Bearer " + app()}}, "--batch_77--\r\n",
                              "multipart/mixed; boundary=batch_77");
  ASSERT_TRUE(option);
  EXPECT_EQ(option->status, 400);
  auto none = client().Post("/tenants/contoso/_api/$batch", "--batch_77--\r\n",
                            "multipart/mixed; boundary=batch_77");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
}

// The body of a batch is bound as any request's (--max-body, serve_test.cpp); its answers
// together by kMaxBatchAnswerBytes.
TEST_F(BatchTest, ABatchsAnswersAreBoundByTheirTotal) {
  // Answers of 9 MB each: the second would take the batch past 16 MB, so it is refused alone.
  const std::string file = dir_->str() + "/big.txt";
  testing::write_file(file, std::string(9 * 1024 * 1024, 'b'));
  ASSERT_EQ(run({"--data-dir", data_, "file", "put", "--tenant", "contoso", file,
                 "/sites/hr/Shared Documents/big.txt"}),
            0);
  const std::string value = origin() +
                            "/tenants/contoso/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/"
                            "hr/Shared%20Documents/big.txt')/$value";
  auto p = parts(sp_batch(app(), read_part("GET", value) + read_part("GET", value) +
                                     read_part("GET", origin() + "/tenants/contoso/_api/web") +
                                     "--batch_77--\r\n"));
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].status, 200);
  EXPECT_EQ(p[0].body.size(), 9u * 1024 * 1024);
  EXPECT_EQ(p[1].status, 413);
  EXPECT_NE(p[1].body.find("would exceed 16 MB"), std::string::npos) << p[1].body;
  EXPECT_EQ(p[2].status, 200);
}

}  // namespace
}  // namespace upsync
