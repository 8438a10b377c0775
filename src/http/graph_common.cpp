// Graph's shared pieces (graph_common.h): its errors and JSON answers, query options, paging
// tokens.
#include "http/graph_common.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "auth/secret.h"
#include "core/text.h"
#include "http/graph_user.h"

namespace upsync {
namespace graph {

constexpr std::string_view kGraphJson =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8";

// Writes a Graph error with an explicit code; the handler then returns ok (the answer is
// written).
Status graph_error(Call& call, int http_status, std::string_view code, std::string_view message) {
  write_graph_error(call.req, call.res, http_status, code, message);
  return Status::ok();
}

void write_graph_json(Call& call, const ojson& body) {
  write_graph_text(call, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void write_graph_text(Call& call, std::string body) {
  call.res.status = 200;
  call.res.set_content(std::move(body), std::string(kGraphJson));
}

std::optional<std::string> param(const Call& call, const char* name) {
  if (!call.req.has_param(name)) return std::nullopt;
  return call.req.get_param_value(name);
}

// Percent-encodes a query parameter value for the links we hand out.
std::string encode_query_value(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == '(' ||
        c == ')') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool eventual(const Call& call) {
  return ascii_iequal(call.req.get_header_value("ConsistencyLevel"), "eventual");
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::string context_url(const Call& call, const std::vector<std::string>& select, bool selected) {
  std::string url = call.tenant_base + "/v1.0/$metadata#users";
  if (selected) url += "(" + join(select) + ")";
  return url;
}

Result<Selection> selection(const Call& call) {
  auto raw = param(call, "$select");
  if (!raw) return Selection{default_user_select(), false};
  UPSYNC_ASSIGN_OR_RETURN(auto props, parse_user_select(*raw));
  return Selection{std::move(props), true};
}

std::optional<std::string> unsupported_option(const Call& call,
                                              std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (call.req.has_param(n)) return std::string(n);
  }
  return std::nullopt;
}

// Opaque paging and delta tokens: base64url(JSON), checked field by field when read back.
std::string encode_token(const nlohmann::json& j) { return base64url_encode(j.dump()); }

// Decodes `text` as a token of `kind` issued for the call's tenant.
std::variant<nlohmann::json, TokenProblem> decode_token(const Call& call, std::string_view name,
                                                        std::string_view text,
                                                        std::string_view kind) {
  auto bad = [&](const std::string& why) {
    return TokenProblem{
        400, "Request_BadRequest",
        "The " + std::string(name) + " is not valid: " + why + ". Start again without it."};
  };
  if (text.empty()) return bad("it is empty");
  auto bytes = base64url_decode(text);
  if (!bytes) return bad(bytes.status().message());
  nlohmann::json j = nlohmann::json::parse(*bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("it does not decode to a token of upsync");
  if (j.value("k", "") != kind) {
    return bad("it is not a token of this kind (expected " + std::string(kind) + ")");
  }
  if (!j.contains("t") || !j["t"].is_string() || !j.contains("ti") ||
      !j["ti"].is_number_integer()) {
    return bad("it names no tenant");
  }
  if (j["t"].get<std::string>() != call.tenant.name) {
    return TokenProblem{400, "Request_BadRequest",
                        "The " + std::string(name) + " was issued for another tenant, not '" +
                            call.tenant.name + "'."};
  }
  if (j["ti"].get<int64_t>() != call.tenant.id) {
    return TokenProblem{410, "syncStateNotFound",
                        "The " + std::string(name) +
                            " was issued for an earlier tenant of this name; start a new round."};
  }
  return j;
}

bool is_int(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() && j[key].get<int64_t>() >= 0;
}
bool is_string(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string();
}

Result<int> parse_int(std::string_view text, int lo, int hi) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi) {
    return invalid_argument("not a number from " + std::to_string(lo) + " to " +
                            std::to_string(hi));
  }
  return v;
}

}  // namespace graph
}  // namespace upsync
