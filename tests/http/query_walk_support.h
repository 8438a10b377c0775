// What the no-silent-ignore walk (query_options_walk_test.cpp) builds its requests from and
// reads its answers with: the sample requests of the wildcard routes, the options walked, a
// path made from a route's regex, and the objects, keys and literals of an OData answer.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.h"

namespace upsync::testing::walk {

using json = nlohmann::json;

struct Request {
  std::string method;
  std::string path;  // under /tenants/contoso unless the route carries the tenant itself
  std::string body;
};

// Requests for the routes whose regex ends in a wildcard: each sub-resource their handler
// serves (a collection, an entity, a value, a write), so that every kind is walked.
inline const std::vector<Request>& samples() {
  static const std::string kLib = "'/sites/hr/Shared%20Documents'";
  static const std::string kFile = "'/sites/hr/Shared%20Documents/a.txt'";
  static const std::string kAdele = "%27i%3A0%23.f%7Cmembership%7Cadele%40contoso.com%27";
  static const std::vector<Request> kSamples = {
      {"GET", "/sites/hr/_api/web/siteusers", ""},
      {"GET", "/_layouts/15/upsync/upsync.js", ""},
      {"GET", "/_layouts/15/upsync/admin/index.html", ""},
      {"GET", "/sites/hr/_api/web/siteusers/getbyid(1)", ""},
      {"GET", "/sites/hr/_api/web/currentuser", ""},
      {"GET", "/sites/hr/_api/web/siteuserinfolist", ""},
      {"GET", "/sites/hr/_api/web/siteuserinfolist/items", ""},
      {"GET", "/sites/hr/_api/web/siteuserinfolist/items(1)", ""},
      {"POST", "/sites/hr/_api/web/ensureuser",
       R"({"logonName":"i:0#.f|membership|adele@contoso.com"})"},
      {"PATCH", "/sites/hr/_api/web/siteusers/getbyid(1)", R"({"IsSiteAdmin":false})"},
      {"DELETE", "/sites/hr/_api/web/siteusers/getbyid(99)", ""},
      {"GET", "/sites/hr/_api/web/GetFolderByServerRelativeUrl(" + kLib + ")", ""},
      {"GET", "/sites/hr/_api/web/GetFolderByServerRelativeUrl(" + kLib + ")/files", ""},
      {"GET", "/sites/hr/_api/web/GetFolderByServerRelativeUrl(" + kLib + ")/folders", ""},
      {"GET", "/sites/hr/_api/web/GetFileByServerRelativeUrl(" + kFile + ")", ""},
      {"GET", "/sites/hr/_api/web/GetFileByServerRelativeUrl(" + kFile + ")/$value", ""},
      {"POST",
       "/sites/hr/_api/web/GetFolderByServerRelativeUrl(" + kLib +
           ")/Files/add(url='w.txt',overwrite=true)",
       "written"},
      {"PUT", "/sites/hr/_api/web/GetFileByServerRelativeUrl(" + kFile + ")/$value", "a"},
      {"DELETE",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/w.txt')", ""},
      {"GET", "/sites/hr/_api/web/roleassignments", ""},
      {"GET", "/sites/hr/_api/web/roledefinitions", ""},
      {"GET", "/sites/hr/_api/web/roleassignments/getbyprincipalid(1)", ""},
      {"GET", "/sites/hr/_api/web/roleassignments/getbyprincipalid(1)/roledefinitionbindings", ""},
      {"GET", "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')/roleassignments", ""},
      {"GET", "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')", ""},
      {"POST", "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')/resetroleinheritance",
       ""},
      {"DELETE", "/sites/hr/_api/web/roleassignments/getbyprincipalid(99)", ""},
      {"GET", "/person.aspx", ""},
      {"GET", "/my/Person.aspx", ""},
      {"POST", "/_layouts/15/upsync/profile", R"({"AboutMe":"walked"})"},
      {"PATCH", "/admin/v1/properties/AboutMe", R"({"privacy":"Public"})"},
      {"PUT", "/admin/v1/me/privacy/AboutMe", R"({"privacy":null})"},
      {"GET", "/_api/sp.userprofiles.peoplemanager/EditProfileLink", ""},
      {"GET", "/_api/sp.userprofiles.peoplemanager/getmyproperties", ""},
      {"GET", "/_api/sp.userprofiles.peoplemanager/getpropertiesfor(@v)?@v=" + kAdele, ""},
      {"GET",
       "/_api/sp.userprofiles.peoplemanager/"
       "getuserprofilepropertyfor(accountname=@v,propertyname='Department')?@v=" +
           kAdele,
       ""},
      {"POST", "/_api/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty",
       R"({"accountName":"i:0#.f|membership|adele@contoso.com","propertyName":"AboutMe",)"
       R"("propertyValue":"walked"})"},
      {"POST",
       "/_api/SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface."
       "clientPeoplePickerSearchUser",
       R"({"queryParams":{"QueryString":"ad"}})"},
      {"POST",
       "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
       "GetImportProfilePropertyJobs",
       ""},
  };
  return kSamples;
}

// The OData query options walked, with the value each is sent with when it is not one the
// walk derives from the answer without it ($select, $filter, $orderby: see below).
inline const std::vector<std::string>& options() {
  static const std::vector<std::string> kOptions = {
      "$select",    "$filter",  "$expand",      "$orderby", "$top",        "$skip",
      "$skiptoken", "$count",   "$search",      "$format",  "$deltatoken", "$levels",
      "$apply",     "$compute", "$inlinecount", "$Select"};
  return kOptions;
}

inline std::string encode(std::string_view s) { return percent_encode(s, "-._~,/"); }

// A path the regex `pattern` matches, with each capture `([^/]+)` filled by `fill` (given the
// path so far); nullopt when the regex has a wildcard or a form this reader does not know.
inline std::optional<std::string> path_of(
    std::string_view pattern,
    const std::function<std::optional<std::string>(const std::string&)>& fill) {
  std::string p(pattern);
  if (p.starts_with("^")) p.erase(0, 1);
  if (p.ends_with("$")) p.pop_back();
  std::string out;
  // The end of the group that opens at `i` (the index of '(').
  auto group_end = [&](size_t i) {
    int depth = 0;
    for (size_t j = i; j < p.size(); ++j) {
      if (p[j] == '\\') {
        ++j;
        continue;
      }
      if (p[j] == '(') ++depth;
      if (p[j] == ')' && --depth == 0) return j;
    }
    return std::string::npos;
  };
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    bool optional = false;
    if (c == '(') {
      size_t end = group_end(i);
      if (end == std::string::npos) return std::nullopt;
      optional = end + 1 < p.size() && p[end + 1] == '?';
      std::string inner = p.substr(i + 1, end - i - 1);
      i = optional ? end + 1 : end;
      if (optional) continue;
      if (inner == "[^/]+") {
        auto value = fill(out);
        if (!value) return std::nullopt;
        out += *value;
        continue;
      }
      if (inner.starts_with("?:")) inner.erase(0, 2);
      // The first alternative at the group's top level.
      int depth = 0;
      for (size_t j = 0; j < inner.size(); ++j) {
        if (inner[j] == '\\') {
          ++j;
        } else if (inner[j] == '(') {
          ++depth;
        } else if (inner[j] == ')') {
          --depth;
        } else if (inner[j] == '|' && depth == 0) {
          inner.resize(j);
          break;
        }
      }
      auto sub = path_of(inner, [&](const std::string& so_far) { return fill(out + so_far); });
      if (!sub) return std::nullopt;
      out += *sub;
      continue;
    }
    if (c == '\\' && i + 1 < p.size()) {
      if (i + 2 < p.size() && p[i + 2] == '?') {
        i += 2;
        continue;
      }
      out.push_back(p[++i]);
      continue;
    }
    if (c == '.' || c == '[' || c == '*' || c == '+' || c == '|' || c == '{') return std::nullopt;
    if (i + 1 < p.size() && p[i + 1] == '?') {
      ++i;  // an optional character: left out
      continue;
    }
    out.push_back(c);
  }
  return out;
}

inline bool is_meta(const std::string& key) {
  return key.starts_with("odata.") || key.starts_with("@odata") || key.starts_with("__");
}

// The objects of an answer: a collection's items, or the entity itself.
inline std::vector<json> objects_of(const json& body) {
  if (body.contains("value") && body["value"].is_array()) return body["value"];
  if (body.contains("d") && body["d"].contains("results")) return body["d"]["results"];
  return {body};
}

inline bool is_collection(const json& body) {
  return (body.contains("value") && body["value"].is_array()) ||
         (body.contains("d") && body["d"].contains("results"));
}

inline std::string next_link(const json& body) {
  for (const char* k : {"@odata.nextLink", "odata.nextLink"}) {
    if (body.contains(k)) return body[k];
  }
  return "";
}

// A property present in every object, scalar: a string one preferred in this order, else the
// first of the first object.
inline std::string scalar_key(const std::vector<json>& objects) {
  auto everywhere = [&](const std::string& k) {
    bool all = !objects.empty();
    for (const auto& o : objects) {
      all = all && o.is_object() && o.contains(k) && (o[k].is_string() || o[k].is_number());
    }
    return all;
  };
  for (const char* k :
       {"userPrincipalName", "displayName", "Title", "Name", "LoginName", "Email", "AccountName"}) {
    if (everywhere(k) && objects[0][k].is_string()) return k;
  }
  if (!objects.empty() && objects[0].is_object()) {
    for (const auto& [k, v] : objects[0].items()) {
      if (!k.starts_with("odata.") && !k.starts_with("@") && !k.starts_with("__") &&
          everywhere(k)) {
        return k;
      }
    }
  }
  return "";
}

// `v` as an OData literal.
inline std::string literal(const json& v) {
  if (!v.is_string()) return v.dump();
  std::string out = "'";
  for (char c : v.get<std::string>()) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

inline std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace upsync::testing::walk
