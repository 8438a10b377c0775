// Microsoft Graph's JSON batching: POST /v1.0/$batch, as the Graph SDK's BatchRequestContent
// sends it (graph_batch.h).
#include "http/graph_batch.h"

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <variant>
#include <vector>

#include "auth/secret.h"
#include "core/text.h"
#include "http/batch.h"

namespace upsync {

namespace {

using ojson = nlohmann::ordered_json;

constexpr size_t kMaxGraphBatchRequests = 20;
constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

// One request of the batch as its JSON gave it, checked for shape.
struct GraphBatchRequest {
  std::string id;
  std::string method;
  std::string url;
  HttpHeaders headers;
  std::optional<nlohmann::json> body;
  std::vector<size_t> depends_on;  // indexes of the requests it waits for
};

// Graph answers a malformed batch with 400 BadRequest "Invalid batch payload format."; the
// rest of the message says what and where.
Status payload_error(Call& call, const std::string& why) {
  write_graph_error(call.req, call.res, 400, "BadRequest", "Invalid batch payload format. " + why);
  return Status::ok();
}

bool is_json_media(std::string_view content_type) {
  std::string media = ascii_lower(trim(content_type.substr(0, content_type.find(';'))));
  return media == "application/json" || media.ends_with("+json");
}

// The requests, checked: an error message (and nothing run) when the shape is wrong.
std::variant<std::vector<GraphBatchRequest>, std::string> read_requests(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("requests") || !j["requests"].is_array()) {
    return std::string("The body must be an object with a 'requests' array.");
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "requests") return "The member '" + key + "' is not part of a batch request.";
  }
  const auto& list = j["requests"];
  if (list.empty()) return std::string("The 'requests' array is empty.");
  if (list.size() > kMaxGraphBatchRequests) {
    return "A batch holds at most " + std::to_string(kMaxGraphBatchRequests) + " requests, got " +
           std::to_string(list.size()) + ".";
  }
  std::vector<GraphBatchRequest> out;
  std::map<std::string, size_t> by_id;  // ids lower-cased: Graph compares them without case
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& r = list[i];
    const std::string where = "requests[" + std::to_string(i) + "]";
    if (!r.is_object()) return where + " is not an object.";
    GraphBatchRequest req;
    for (const char* field : {"id", "method", "url"}) {
      if (!r.contains(field) || !r[field].is_string() || r[field].get<std::string>().empty()) {
        return where + "." + field + " must be a non-empty string.";
      }
    }
    for (const auto& [key, value] : r.items()) {
      if (key != "id" && key != "method" && key != "url" && key != "headers" && key != "body" &&
          key != "dependsOn") {
        return where + ": the member '" + key + "' is not part of a batch request.";
      }
    }
    req.id = r["id"].get<std::string>();
    req.method = r["method"].get<std::string>();
    req.url = r["url"].get<std::string>();
    if (!by_id.emplace(ascii_lower(req.id), i).second) {
      // Graph's own message for a repeated id.
      return "Request Id " + req.id + " has to be unique in a batch.";
    }
    if (r.contains("headers")) {
      if (!r["headers"].is_object()) return where + ".headers must be an object.";
      for (const auto& [name, value] : r["headers"].items()) {
        if (!value.is_string()) return where + ".headers." + name + " must be a string.";
        req.headers.emplace(name, value.get<std::string>());
      }
    }
    if (r.contains("body")) req.body = r["body"];
    out.push_back(std::move(req));
  }
  // dependsOn, once every id is known.
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].contains("dependsOn")) continue;
    const auto& deps = list[i]["dependsOn"];
    const std::string where = "requests[" + std::to_string(i) + "].dependsOn";
    if (!deps.is_array()) return where + " must be an array of request ids.";
    for (const auto& d : deps) {
      if (!d.is_string()) return where + " must be an array of request ids.";
      auto it = by_id.find(ascii_lower(d.get<std::string>()));
      if (it == by_id.end()) {
        return where + " names '" + d.get<std::string>() + "', no request of this batch.";
      }
      if (it->second == i) return where + " names the request itself.";
      out[i].depends_on.push_back(it->second);
    }
  }
  return out;
}

// The order to run them in: each after those it depends on, else in the order given. Empty
// when the dependencies make a cycle.
std::vector<size_t> run_order(const std::vector<GraphBatchRequest>& requests) {
  std::vector<size_t> order;
  std::vector<bool> done(requests.size(), false);
  while (order.size() < requests.size()) {
    bool progressed = false;
    for (size_t i = 0; i < requests.size(); ++i) {
      if (done[i]) continue;
      bool ready = true;
      for (size_t d : requests[i].depends_on) ready = ready && done[d];
      if (!ready) continue;
      done[i] = true;
      order.push_back(i);
      progressed = true;
    }
    if (!progressed) return {};
  }
  return order;
}

HttpResponse part_error(const Call& call, int status, std::string_view code,
                        std::string_view message) {
  HttpResponse res;
  write_graph_error(call.req, res, status, code, message);
  return res;
}

// The target of a request's url ("/users/x", "users/x", "/v1.0/users/x", and the SDK's
// "/tenants/<t>/v1.0/..." under a tenant-prefixed base URL), or an error answer for it.
std::variant<std::string, HttpResponse> inner_target(const Call& call, const GraphBatchRequest& r) {
  std::string_view url = r.url;
  if (url.find("://") != std::string_view::npos || url.starts_with("//")) {
    return part_error(call, 400, "BadRequest",
                      "Invalid request URL '" + r.url +
                          "': a batch's url is relative to /v1.0/, such as /users/{id}.");
  }
  while (url.starts_with("/")) url.remove_prefix(1);
  std::string prefix = call.tenant_base != call.origin ? "/tenants/" + call.tenant.name : "";
  if (ascii_lower(url.substr(0, 8)) == "tenants/") {
    size_t slash = url.find('/', 8);
    std::string name(url.substr(8, slash == std::string_view::npos ? url.npos : slash - 8));
    prefix = "/tenants/" + name;  // checked against the batch's tenant (batch.h)
    url = slash == std::string_view::npos ? std::string_view() : url.substr(slash + 1);
  }
  if (ascii_lower(url.substr(0, 5)) == "v1.0/") {
    url.remove_prefix(5);
  } else if (ascii_lower(url.substr(0, 5)) == "beta/") {
    return part_error(call, 400, "BadRequest",
                      "Invalid request URL '" + r.url + "': upsync serves v1.0, not beta.");
  }
  return prefix + "/v1.0/" + std::string(url);
}

// The body as the inner request's bytes: JSON as JSON text, anything else base64 (Graph's
// encoding for a binary body).
std::variant<std::string, HttpResponse> inner_body(const Call& call, const GraphBatchRequest& r) {
  if (!r.body) return std::string();
  std::string type;
  for (const auto& [name, value] : r.headers) {
    if (ascii_iequal(name, "Content-Type")) type = value;
  }
  if (type.empty()) {
    return part_error(call, 400, "BadRequest",
                      "The request " + r.id + " has a body but no Content-Type header.");
  }
  if (is_json_media(type)) return r.body->dump();
  if (!r.body->is_string()) {
    return part_error(
        call, 400, "BadRequest",
        "The body of the request " + r.id + " (" + type + ") must be a base64 string.");
  }
  std::string text = r.body->get<std::string>();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!text.empty() && text.back() == '=') text.pop_back();
  auto bytes = base64url_decode(text);
  if (!bytes) {
    return part_error(
        call, 400, "BadRequest",
        "The body of the request " + r.id + " is not base64: " + bytes.status().message());
  }
  return *bytes;
}

ojson response_entry(const std::string& id, const HttpResponse& res) {
  ojson entry = {{"id", id}, {"status", res.status}};
  ojson headers = ojson::object();
  std::string type;
  for (const auto& [name, value] : res.headers) {
    headers[name] = value;
    if (ascii_iequal(name, "Content-Type")) type = value;
  }
  entry["headers"] = headers;
  if (res.body.empty()) return entry;
  if (is_json_media(type)) {
    ojson body = ojson::parse(res.body, nullptr, false);
    if (!body.is_discarded()) {
      entry["body"] = std::move(body);
      return entry;
    }
  }
  std::string b64 = base64url_encode(res.body);
  for (char& c : b64) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (b64.size() % 4 != 0) b64 += '=';
  entry["body"] = std::move(b64);
  return entry;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool succeeded(int status) { return status >= 200 && status < 300; }

Status graph_batch(Call& call) {
  if (std::string option = batch_query_option(call); !option.empty()) {
    write_graph_error(call.req, call.res, 400, "Request_UnsupportedQuery",
                      "The query option '" + option + "' does not apply to $batch.");
    return Status::ok();
  }
  auto body = json_body(call.req);
  if (!body) return payload_error(call, body.status().message());
  auto read = read_requests(*body);
  if (auto* why = std::get_if<std::string>(&read)) return payload_error(call, *why);
  auto& requests = std::get<std::vector<GraphBatchRequest>>(read);
  std::vector<size_t> order = run_order(requests);
  if (order.empty()) return payload_error(call, "The dependsOn of the requests make a cycle.");

  std::vector<HttpResponse> answers(requests.size());
  size_t budget = kMaxBatchAnswerBytes;
  for (size_t i : order) {
    const GraphBatchRequest& r = requests[i];
    std::string failed;
    for (size_t d : r.depends_on) {
      if (!succeeded(answers[d].status)) failed = requests[d].id;
    }
    if (!failed.empty()) {
      answers[i] = part_error(
          call, 424, "BadRequest",
          "Failed dependency: the request " + failed + " this request depends on did not succeed.");
      continue;
    }
    bool known = false;
    for (std::string_view m : kMethods) known = known || ascii_iequal(m, r.method);
    if (!known) {
      answers[i] = part_error(call, 400, "BadRequest",
                              "The method '" + r.method + "' of the request " + r.id +
                                  " is not one a batch runs (GET, POST, PUT, PATCH, DELETE).");
      continue;
    }
    auto target = inner_target(call, r);
    if (auto* err = std::get_if<HttpResponse>(&target)) {
      answers[i] = std::move(*err);
      continue;
    }
    auto inner = inner_body(call, r);
    if (auto* err = std::get_if<HttpResponse>(&inner)) {
      answers[i] = std::move(*err);
      continue;
    }
    answers[i] = run_inner_request(call,
                                   {upper(r.method), std::get<std::string>(target), r.headers,
                                    std::move(std::get<std::string>(inner)), r.id},
                                   Surface::kGraph, budget);
  }
  ojson responses = ojson::array();
  for (size_t i = 0; i < requests.size(); ++i) {
    responses.push_back(response_entry(requests[i].id, answers[i]));
  }
  call.res.status = 200;
  call.res.set_content(ojson{{"responses", std::move(responses)}}.dump(
                           -1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json; charset=utf-8");
  return Status::ok();
}

}  // namespace

void add_graph_batch_routes(Router& router) {
  router.add("POST", R"(^/v1\.0/\$batch$)", Surface::kGraph, Access::kSignedIn, graph_batch);
}

}  // namespace upsync
