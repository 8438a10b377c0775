// The no-silent-ignore walk: every route of the server's route table (add_routes, the table
// `upsync serve` dispatches on) × every OData query option, sent as a global admin to the
// real server over a seeded tenant. Each answer is either the option applied (the result
// checked against the answer without it) or a 400 in the route's surface's shape naming the
// option; an answer that is neither fails the test. Prints the table's count.
//
// The requests are found from the table itself: a route's path comes from its regex (literal
// text, the first of each alternative, optional parts left out, each capture filled with a
// real object named by the segment before it: users/<a user>, groups/<a group>, ...). Only
// routes whose regex ends in a wildcard (SharePoint's REST paths, parsed by their handlers)
// need sample requests, listed in kSamples; a route that neither way reaches fails the test by
// name.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "http/query_walk_support.h"
#include "http/router.h"
#include "http/server.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using json = nlohmann::json;
using testing::run;
using testing::Server;
using testing::TempDir;

using namespace upsync::testing::walk;

TEST(QueryOptionsWalk, EveryRouteAppliesOrRefusesEveryOption) {
  TempDir dir;
  const std::string data = dir.str() + "/data";
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data});
    std::string line;
    for (const auto& a : args) line += a + " ";
    EXPECT_EQ(run(args), 0) << line;
  };
  auto cli_json = [&](const std::string& args) {
    std::string out = dir.str() + "/out.json";
    EXPECT_EQ(
        std::system(
            (testing::binary() + " --data-dir " + data + " --json " + args + " > " + out).c_str()),
        0);
    return json::parse(testing::read_file(out));
  };
  // The seeded tenant: three people in the directory (their profiles made by the sync), two
  // groups both holding Adele, two files and two folders in a library, three site users.
  cli({"tenant", "create", "contoso"});
  auto app = cli_json("app add -t contoso walk");
  cli({"user", "password", "set", "-t", "contoso", "ga@contoso.com", "--role", "global-admin",
       "--password", "pa55word!"});
  const std::string ldif = dir.str() + "/directory.ldif";
  // An org chart the org-chart routes answer with something to compare: Megan manages Adele,
  // Adele manages the global admin (the walk's caller, "me") and Sara, the admin manages Lee
  // and Rob; each collection of reports has two to page, select and order.
  auto person = [](int n, const std::string& cn, const std::string& upn,
                   const std::string& manager) {
    static const char* kGuids[] = {
        "AAECAwQFBgcICQoLDA0ODw==", "ICEiIyQlJicoKSorLC0uLw==", "MDEyMzQ1Njc4OTo7PD0+Pw==",
        "cHFyc3R1dnd4eXp7fH1+fw==", "gIGCg4SFhoeIiYqLjI2Ojw==", "kJGSk5SVlpeYmZqbnJ2enw=="};
    return "dn: CN=" + cn + ",DC=contoso,DC=com\nobjectClass: user\nobjectGUID:: " + kGuids[n - 1] +
           "\nuserPrincipalName: " + upn + "\ndisplayName: " + cn + "\nmail: " + upn + "\n" +
           (manager.empty() ? "" : "manager: CN=" + manager + ",DC=contoso,DC=com\n") + "\n";
  };
  testing::write_file(
      ldif,
      person(1, "Adele Vance", "adele@contoso.com", "Megan Bowen") +
          person(2, "Megan Bowen", "megan@contoso.com", "") +
          person(3, "Global Admin", "ga@contoso.com", "Adele Vance") +
          person(4, "Sara Davis", "sara@contoso.com", "Adele Vance") +
          person(5, "Lee Gu", "lee@contoso.com", "Global Admin") +
          person(6, "Rob Young", "rob@contoso.com", "Global Admin") +
          "dn: CN=Sales,DC=contoso,DC=com\nobjectClass: group\ncn: Sales\n"
          "objectGUID:: EBESExQVFhcYGRobHB0eHw==\n"
          "member: CN=Adele Vance,DC=contoso,DC=com\nmember: CN=Megan Bowen,DC=contoso,DC=com\n"
          "member: CN=Global Admin,DC=contoso,DC=com\n\n"
          "dn: CN=Leads,DC=contoso,DC=com\nobjectClass: group\ncn: Leads\n"
          "objectGUID:: QEFCQ0RFRkdISUpLTE1OTw==\n"
          "member: CN=Adele Vance,DC=contoso,DC=com\nmember: CN=Global "
          "Admin,DC=contoso,DC=com\n\n");
  cli({"sync", "ldif", "-t", "contoso", ldif});
  const std::string group_id = cli_json("directory group list -t contoso")[0]["objectId"];
  for (const char* name : {"a.txt", "b.txt", "one/x.txt", "two/y.txt"}) {
    const std::string local = dir.str() + "/f.txt";
    testing::write_file(local, std::string("content of ") + name);
    cli({"file", "put", "-t", "contoso", local, std::string("/sites/hr/Shared Documents/") + name});
  }

  Server srv(dir);
  ASSERT_GT(srv.port(), 0) << srv.log();
  httplib::Client http("127.0.0.1", srv.port());
  http.set_url_encode(false);
  auto tok = http.Post("/contoso/oauth2/v2.0/token",
                       httplib::Params{{"grant_type", "password"},
                                       {"client_id", app["clientId"].get<std::string>()},
                                       {"username", "ga@contoso.com"},
                                       {"password", "pa55word!"},
                                       {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_TRUE(tok && tok->status == 200) << (tok ? tok->body : "");
  const std::string token = json::parse(tok->body)["access_token"];
  for (const char* upn : {"adele@contoso.com", "megan@contoso.com", "ga@contoso.com"}) {
    auto r = http.Post(
        "/tenants/contoso/sites/hr/_api/web/ensureuser",
        {{"Authorization", "Bearer " + token}, {"Accept", "application/json;odata=nometadata"}},
        json({{"logonName", upn}}).dump(), "application/json");
    ASSERT_TRUE(r && r->status == 200) << upn << ": " << (r ? r->body : "");
  }

  // Two of them may read the site (role assignments to walk, beside the owners').
  for (const char* id : {"1", "2"}) {
    auto r = http.Post(
        std::string("/tenants/contoso/sites/hr/_api/web/roleassignments/"
                    "addroleassignment(principalid=") +
            id + ",roledefid=1073741826)",
        {{"Authorization", "Bearer " + token}, {"Accept", "application/json;odata=nometadata"}}, "",
        "application/json");
    ASSERT_TRUE(r && r->status == 200) << id << ": " << (r ? r->body : "");
  }

  // The captures: the object a segment names.
  auto fill = [&](const std::string& so_far) -> std::optional<std::string> {
    if (so_far.empty() || so_far == "/") return "contoso";  // /{tenant}/oauth2/...
    static const std::map<std::string, std::string> kBySegment = {
        {"users", "adele@contoso.com"},
        {"properties", "AboutMe"},
        {"runs", "1"},
        {"profiles", "1"},
        {"people", "adele@contoso.com"},
        {"photos", "96X96"},
        {"Profile Pictures", "adele_40contoso_2Ecom_MThumb.jpg"},
        {"audiences", "A"}};
    std::string last = so_far.substr(so_far.rfind('/', so_far.size() - 2) + 1);
    if (last.ends_with("/")) last.pop_back();
    if (last == "groups") return group_id;
    if (last == "apps") return app["clientId"].get<std::string>();
    // Routes that take no option: any id reaches them (the refusal comes before the lookup).
    if (last == "certificates") return std::string(40, 'A');
    if (last == "members") return group_id;
    if (last == "jobs") return std::string("00000000-0000-4000-8000-000000000000");
    if (auto it = kBySegment.find(last); it != kBySegment.end()) return it->second;
    return std::nullopt;
  };

  Router router;
  add_routes(router);
  const std::vector<RouteInfo> table = router.routes();
  std::vector<std::regex> regexes;
  for (const auto& r : table) {
    regexes.emplace_back(r.pattern, std::regex::ECMAScript | std::regex::icase);
  }
  // The route dispatch gives a request: the first whose method and regex match.
  auto route_of = [&](const Request& q) -> int {
    std::string path = q.path.substr(0, q.path.find('?'));
    std::string decoded;
    for (size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '%' && i + 2 < path.size()) {
        decoded.push_back(static_cast<char>(std::stoi(path.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        decoded.push_back(path[i]);
      }
    }
    for (size_t i = 0; i < table.size(); ++i) {
      if (table[i].method == q.method && std::regex_match(decoded, regexes[i])) {
        return static_cast<int>(i);
      }
    }
    return -1;
  };

  std::map<int, std::vector<Request>> requests;
  for (size_t i = 0; i < table.size(); ++i) {
    auto path = path_of(table[i].pattern, fill);
    if (!path) continue;
    Request q{table[i].method, *path, ""};
    if (route_of(q) == static_cast<int>(i)) requests[static_cast<int>(i)].push_back(q);
  }
  for (const auto& q : samples()) {
    int i = route_of(q);
    ASSERT_GE(i, 0) << "no route serves the sample " << q.method << " " << q.path;
    requests[i].push_back(q);
  }
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_TRUE(requests.contains(static_cast<int>(i)))
        << "The walk cannot reach route " << table[i].method << " " << table[i].pattern
        << ": its regex has a wildcard or a capture the walk cannot fill; add a request to "
           "samples() or a capture to fill in "
        << __FILE__;
  }

  auto send = [&](const Request& q, const std::string& query) -> httplib::Result {
    std::string path = table[route_of(q)].tenant_in_path ? q.path : "/tenants/contoso" + q.path;
    if (!query.empty()) path += (path.find('?') == std::string::npos ? "?" : "&") + query;
    httplib::Headers h = {{"Authorization", "Bearer " + token},
                          {"Accept", "application/json;odata=nometadata"},
                          {"ConsistencyLevel", "eventual"}};
    if (q.method == "POST") return http.Post(path, h, q.body, "application/json");
    if (q.method == "PUT") return http.Put(path, h, q.body, "application/json");
    if (q.method == "PATCH") return http.Patch(path, h, q.body, "application/json");
    if (q.method == "DELETE") return http.Delete(path, h);
    return http.Get(path, h);
  };
  const std::string origin = "http://127.0.0.1:" + std::to_string(srv.port());

  int cells = 0, applied = 0, refused = 0, ignored = 0;
  for (const auto& [index, reqs] : requests) {
    const RouteInfo& route = table[index];
    for (const Request& q : reqs) {
      const std::string where = route.method + " " + q.path;
      json baseline;
      if (!route.query_options.empty()) {
        auto b = send(q, "");
        ASSERT_TRUE(b) << where;
        if (b->status != 200) {
          // Without an answer to compare with, the options cannot be checked here.
          ADD_FAILURE() << "the walk's request for a route that takes query options must "
                           "answer 200 without them (seed its object, or change the sample): "
                        << where << ": " << b->status << " " << b->body;
          continue;
        }
        baseline = json::parse(b->body, nullptr, false);
      }
      const std::vector<json> base_objects = objects_of(baseline);
      for (const std::string& option : options()) {
        ++cells;
        const bool declared = std::find(route.query_options.begin(), route.query_options.end(),
                                        option) != route.query_options.end();
        // The value: one the answer without the option can check it by.
        std::string value = "1";
        std::string key = scalar_key(base_objects);
        if (option == "$select" || option == "$Select") value = key.empty() ? "Id" : key;
        if (option == "$filter") {
          value = key.empty() ? "Id eq 1" : key + " eq " + literal(base_objects[0][key]);
        }
        if (option == "$orderby") value = (key.empty() ? "Id" : key) + " desc";
        if (option == "$expand") value = route.surface == Surface::kGraph ? "manager" : "Member";
        if (option == "$count" || option == "$inlinecount") value = "true";
        if (option == "$search") value = "\"displayName:s\"";
        // A count ($count routes answer a bare number): options that narrow it.
        if (baseline.is_number() && option == "$filter") value = "startswith(displayName,'S')";
        if (option == "$format") value = "json";
        if (option == "$skiptoken" || option == "$deltatoken") value = "bogus";
        auto r = send(q, encode(option) + "=" + encode(value));
        ASSERT_TRUE(r) << where << " " << option;
        const std::string what = where + " ?" + option + "=" + value + ": " + r->body;
        json body = json::parse(r->body, nullptr, false);
        if (r->status == 400) {
          // Refused: in the surface's shape, naming the option.
          std::string message, code;
          if (body.contains("odata.error")) {
            code = body["odata.error"]["code"];
            message = body["odata.error"]["message"]["value"];
          } else if (body.contains("error") && body["error"].is_object()) {
            code = body["error"]["code"];
            message = body["error"]["message"];
          } else if (body.contains("error")) {
            code = body["error"];
            message = body.value("error_description", "");
          }
          EXPECT_FALSE(code.empty()) << "not in the surface's error shape: " << what;
          EXPECT_NE(lower(message).find(lower(option)), std::string::npos)
              << "the refusal does not name the option: " << what;
          if (!declared) {
            EXPECT_EQ(route.surface == Surface::kSharePoint,
                      code == "-1, Microsoft.SharePoint.Client.InvalidClientQueryException")
                << what;
            if (route.surface == Surface::kGraph) {
              EXPECT_EQ(code, "Request_UnsupportedQuery") << what;
            }
          }
          ++refused;
          continue;
        }
        if (!declared || r->status != 200) {
          ++ignored;
          ADD_FAILURE() << "neither applied nor refused with 400 (" << (declared ? "" : "un")
                        << "declared): " << what;
          continue;
        }
        // Applied: the answer shows it.
        const std::vector<json> objects = objects_of(body);
        bool ok = true;
        if (baseline.is_number()) {
          // A count: the option narrows it.
          ok = (option == "$filter" || option == "$search") && body.is_number() &&
               body.get<int64_t>() > 0 && body.get<int64_t>() < baseline.get<int64_t>();
        } else if (option == "$select") {
          // Graph's delta always names the object, selected or not.
          const bool delta =
              route.surface == Surface::kGraph && q.path.find("/delta") != std::string::npos;
          for (const auto& o : objects) {
            for (const auto& [k, v] : o.items()) {
              ok = ok && (is_meta(k) || lower(k) == lower(value) || (delta && k == "id"));
            }
          }
          ok = ok && !objects.empty() && objects[0].contains(value);
        } else if (option == "$filter") {
          const json& want = base_objects[0][key];
          for (const auto& o : objects) {
            ok = ok && (want.is_string()
                            ? lower(o[key].get<std::string>()) == lower(want.get<std::string>())
                            : o[key] == want);
          }
          ok = ok && !objects.empty() && objects.size() < base_objects.size();
        } else if (option == "$orderby") {
          std::string k = key.empty() ? "Id" : key;
          for (size_t i = 1; i < objects.size(); ++i) {
            ok = ok && !(objects[i - 1][k] < objects[i][k]);
          }
          ok = ok && objects.size() == base_objects.size() && objects.size() >= 2;
        } else if (option == "$top") {
          ok = is_collection(body) && objects.size() == 1 && base_objects.size() >= 2;
        } else if (option == "$skip") {
          ok = base_objects.size() >= 2 &&
               std::vector<json>(base_objects.begin() + 1, base_objects.end()) == objects;
        } else if (option == "$count") {
          ok = body.contains("@odata.count") && body["@odata.count"] == base_objects.size();
        } else if (option == "$expand") {
          // Graph leaves the manager out of a user who has none; some object must have it.
          bool any = false;
          for (const auto& o : objects) {
            if (route.surface == Surface::kGraph && !o.contains(value)) continue;
            ok = ok && o.contains(value) && (o[value].is_object() || o[value].is_array());
            any = true;
          }
          ok = ok && any;
        } else if (option == "$search") {
          // "displayName:s": the people and groups with a word of their name starting so.
          for (const auto& o : objects) {
            std::string name = " " + lower(o.value("displayName", ""));
            ok = ok && name.find(" s") != std::string::npos;
          }
          ok = ok && !objects.empty() && objects.size() < base_objects.size();
        } else {
          ok = false;  // a token named "bogus" cannot be applied
        }
        EXPECT_TRUE(ok) << "answered 200 without applying it: " << what
                        << "\nwithout the option: " << baseline.dump();
        if (ok) {
          ++applied;
        } else {
          ++ignored;
        }
      }
      // A declared paging token is applied when it comes from the server: follow the next
      // page of $top=1 and the delta link.
      for (const char* option : {"$skiptoken", "$deltatoken"}) {
        if (std::find(route.query_options.begin(), route.query_options.end(), option) ==
            route.query_options.end()) {
          continue;
        }
        std::string link;
        json first;
        if (std::string(option) == "$deltatoken") {
          link = baseline.value("@odata.deltaLink", "");
        } else if (std::find(route.query_options.begin(), route.query_options.end(), "$top") !=
                   route.query_options.end()) {
          auto r = send(q, "$top=1");
          if (r && r->status == 200) {
            first = json::parse(r->body);
            link = next_link(first);
          }
        }
        if (link.empty() || objects_of(baseline).size() < 2) continue;  // checked as "bogus"
        ASSERT_EQ(link.rfind(origin, 0), 0u) << where << ": " << link;
        auto r =
            http.Get(link.substr(origin.size()), {{"Authorization", "Bearer " + token},
                                                  {"Accept", "application/json;odata=nometadata"}});
        ASSERT_TRUE(r) << link;
        EXPECT_EQ(r->status, 200) << link << ": " << r->body;
        json page = json::parse(r->body, nullptr, false);
        if (!first.is_null()) {
          EXPECT_NE(objects_of(page), objects_of(first))
              << "the next page repeats the first: " << link;
        }
        EXPECT_EQ(link.find(std::string(option) + "=") != std::string::npos ||
                      link.find(encode(option) + "=") != std::string::npos,
                  true)
            << link;
      }
    }
  }
  // An option given twice is refused too (a handler would read only the first).
  for (const std::string& path :
       {std::string("/tenants/contoso/v1.0/users?$top=1&$top=2"),
        std::string("/tenants/contoso/sites/hr/_api/web/"
                    "siteusers?$filter=Id%20eq%201&$filter=Id%20eq%202")}) {
    auto r = http.Get(path, {{"Authorization", "Bearer " + token},
                             {"Accept", "application/json;odata=nometadata"}});
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path << ": " << r->body;
    EXPECT_NE(r->body.find("is given more than once"), std::string::npos) << r->body;
  }
  std::cout << "query options walk: " << table.size() << " routes, " << cells / options().size()
            << " requests x " << options().size() << " options = " << cells << " cells: " << applied
            << " applied (checked), " << refused << " refused with 400, " << ignored
            << " silently ignored\n";
  EXPECT_EQ(ignored, 0);
  EXPECT_EQ(applied + refused, cells);
}

}  // namespace
}  // namespace upsync
