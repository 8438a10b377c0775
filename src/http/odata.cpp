#include "http/odata.h"

#include "core/text.h"
#include "http/router.h"

namespace upsync {

namespace {

constexpr std::string_view kTypeKey = "__type";

// Neutral form → verbose: "__type" becomes "__metadata":{"type":...}; arrays become
// {"results":[...]}.
nlohmann::json to_verbose(nlohmann::json j) {
  if (j.is_array()) {
    nlohmann::json items = nlohmann::json::array();
    for (auto& item : j) items.push_back(to_verbose(std::move(item)));
    return {{"results", std::move(items)}};
  }
  if (!j.is_object()) return j;
  nlohmann::json out = nlohmann::json::object();
  for (auto& [k, v] : j.items()) {
    if (k == kTypeKey) {
      out["__metadata"] = {{"type", v}};
    } else {
      out[k] = to_verbose(std::move(v));
    }
  }
  return out;
}

// Neutral form → JSON light: drop the "__type" hints.
nlohmann::json to_light(nlohmann::json j) {
  if (j.is_array()) {
    for (auto& item : j) item = to_light(std::move(item));
    return j;
  }
  if (!j.is_object()) return j;
  j.erase(std::string(kTypeKey));
  for (auto& [k, v] : j.items()) v = to_light(std::move(v));
  return j;
}

Result<std::string> percent_decode_segment(std::string_view s, size_t offset) {
  size_t bad = 0;
  auto out = percent_decode(s, &bad);
  if (!out) {
    return invalid_argument("The request path has a bad percent-escape at position " +
                            std::to_string(offset + bad + 1) + ".");
  }
  return *out;
}

// Splits `s` on `sep` outside '...' literals. `offset` places `s` in the path for messages.
// In a raw (still encoded) path, %27 is a quote too: some clients encode quotes.
Result<std::vector<std::string_view>> split_outside_quotes(std::string_view s, char sep,
                                                           size_t offset, bool raw = false) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  size_t start = 0, quote_at = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const size_t at = i;
    bool quote = s[i] == '\'';
    if (raw && s[i] == '%' && s.substr(i, 3) == "%27") {
      quote = true;
      i += 2;
    }
    if (quote) {
      if (!quoted) quote_at = at;
      quoted = !quoted;  // a doubled '' toggles twice: still inside the literal
    } else if (s[i] == sep && !quoted) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (quoted) {
    return invalid_argument("The request path has a quoted literal that is not closed, starting " +
                            std::string("at position ") + std::to_string(offset + quote_at + 1) +
                            ".");
  }
  parts.push_back(s.substr(start));
  return parts;
}

Result<ODataSegment> parse_segment(std::string_view text, size_t offset) {
  ODataSegment seg;
  size_t open = text.find('(');
  if (open == std::string_view::npos) {
    seg.name = std::string(text);
    return seg;
  }
  if (text.back() != ')') {
    return invalid_argument("The request path segment '" + quote_for_message(text) +
                            "' at position " + std::to_string(offset + 1) +
                            " opens '(' but does not end with ')'.");
  }
  seg.name = std::string(text.substr(0, open));
  seg.call = true;
  std::string_view inner = text.substr(open + 1, text.size() - open - 2);
  if (trim(inner).empty()) return seg;
  UPSYNC_ASSIGN_OR_RETURN(auto args, split_outside_quotes(inner, ',', offset + open + 1));
  for (std::string_view a : args) {
    a = trim(a);
    size_t quote = a.find('\'');
    size_t eq = a.find('=');
    if (eq != std::string_view::npos && (quote == std::string_view::npos || eq < quote)) {
      seg.args.emplace_back(std::string(trim(a.substr(0, eq))),
                            std::string(trim(a.substr(eq + 1))));
    } else {
      seg.args.emplace_back("", std::string(a));
    }
  }
  return seg;
}

// '...' → its text with '' undone.
Result<std::string> unquote(std::string_view lit, std::string_view what) {
  if (lit.empty() || lit.front() != '\'') return std::string(lit);  // unquoted: as it is
  if (lit.size() < 2 || lit.back() != '\'') {
    return invalid_argument("The value of " + std::string(what) + " (" + quote_for_message(lit) +
                            ") opens a quote that is not closed.");
  }
  std::string out;
  std::string_view body = lit.substr(1, lit.size() - 2);
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\'') {
      if (i + 1 < body.size() && body[i + 1] == '\'') {
        out.push_back('\'');
        ++i;
        continue;
      }
      return invalid_argument("The value of " + std::string(what) + " (" + quote_for_message(lit) +
                              ") has a single quote at position " + std::to_string(i + 2) +
                              "; write a quote inside a literal as ''.");
    }
    out.push_back(body[i]);
  }
  return out;
}

}  // namespace

std::string_view odata_content_type(ODataMode mode) {
  switch (mode) {
    case ODataMode::kVerbose:
      return "application/json;odata=verbose;charset=utf-8";
    case ODataMode::kNoMetadata:
      return "application/json;odata=nometadata;charset=utf-8";
    case ODataMode::kMinimalMetadata:
      break;
  }
  return "application/json;odata=minimalmetadata;streaming=true;charset=utf-8";
}

ODataMode odata_mode(const HttpRequest& req) {
  std::string accept = ascii_lower(req.get_header_value("Accept"));
  if (accept.find("odata=verbose") != std::string::npos) return ODataMode::kVerbose;
  if (accept.find("odata=nometadata") != std::string::npos) return ODataMode::kNoMetadata;
  return ODataMode::kMinimalMetadata;
}

nlohmann::json odata_entity_body(ODataMode mode, const ODataEntity& e, nlohmann::json neutral) {
  switch (mode) {
    case ODataMode::kVerbose: {
      nlohmann::json d = to_verbose(std::move(neutral));
      nlohmann::json meta = {{"type", e.type}};
      if (!e.edit_link.empty()) {
        meta["id"] = e.service_root + e.edit_link;
        meta["uri"] = e.service_root + e.edit_link;
      }
      d["__metadata"] = std::move(meta);
      return {{"d", std::move(d)}};
    }
    case ODataMode::kNoMetadata:
      return to_light(std::move(neutral));
    case ODataMode::kMinimalMetadata:
      break;
  }
  nlohmann::json j = to_light(std::move(neutral));
  j["odata.metadata"] = e.service_root + "$metadata#" + e.type + "/@Element";
  j["odata.type"] = e.type;
  if (!e.edit_link.empty()) {
    j["odata.id"] = e.service_root + e.edit_link;
    j["odata.editLink"] = e.edit_link;
  }
  return j;
}

nlohmann::json odata_collection_body(ODataMode mode, const ODataEntity& e,
                                     std::vector<nlohmann::json> items,
                                     std::string_view next_link) {
  nlohmann::json out = nlohmann::json::array();
  nlohmann::json body;
  switch (mode) {
    case ODataMode::kVerbose: {
      for (auto& item : items) {
        nlohmann::json v = to_verbose(std::move(item));
        v["__metadata"] = {{"type", e.type}};
        out.push_back(std::move(v));
      }
      nlohmann::json d = {{"results", std::move(out)}};
      if (!next_link.empty()) d["__next"] = std::string(next_link);
      return {{"d", std::move(d)}};
    }
    case ODataMode::kNoMetadata:
      for (auto& item : items) out.push_back(to_light(std::move(item)));
      body = {{"value", std::move(out)}};
      break;
    case ODataMode::kMinimalMetadata:
      for (auto& item : items) {
        nlohmann::json v = to_light(std::move(item));
        v["odata.type"] = e.type;
        out.push_back(std::move(v));
      }
      body = {{"odata.metadata", e.service_root + "$metadata#Collection(" + e.type + ")"},
              {"value", std::move(out)}};
      break;
  }
  if (!next_link.empty()) body["odata.nextLink"] = std::string(next_link);
  return body;
}

nlohmann::json odata_value_body(ODataMode mode, std::string_view service_root,
                                std::string_view method, std::string_view edm_type,
                                nlohmann::json value) {
  switch (mode) {
    case ODataMode::kVerbose:
      return {{"d", {{std::string(method), std::move(value)}}}};
    case ODataMode::kNoMetadata:
      return {{"value", std::move(value)}};
    case ODataMode::kMinimalMetadata:
      break;
  }
  return {{"odata.metadata", std::string(service_root) + "$metadata#" + std::string(edm_type)},
          {"value", std::move(value)}};
}

void write_odata_entity(const HttpRequest& req, HttpResponse& res, const ODataEntity& e,
                        nlohmann::json neutral) {
  ODataMode mode = odata_mode(req);
  write_json(res, 200, odata_entity_body(mode, e, std::move(neutral)), odata_content_type(mode));
}

void write_odata_collection(const HttpRequest& req, HttpResponse& res, const ODataEntity& e,
                            std::vector<nlohmann::json> items, std::string_view next_link) {
  ODataMode mode = odata_mode(req);
  write_json(res, 200, odata_collection_body(mode, e, std::move(items), next_link),
             odata_content_type(mode));
}

void write_odata_value(const HttpRequest& req, HttpResponse& res, std::string_view service_root,
                       std::string_view method, std::string_view edm_type, nlohmann::json value) {
  ODataMode mode = odata_mode(req);
  write_json(res, 200, odata_value_body(mode, service_root, method, edm_type, std::move(value)),
             odata_content_type(mode));
}

void write_odata_null(HttpResponse& res) {
  write_json(res, 200, {{"odata.null", true}}, odata_content_type(ODataMode::kMinimalMetadata));
}

const std::string* ODataSegment::arg(std::string_view arg_name, size_t position) const {
  for (const auto& [n, v] : args) {
    if (!n.empty() && ascii_iequal(n, arg_name)) return &v;
  }
  size_t i = 0;
  for (const auto& [n, v] : args) {
    if (!n.empty()) continue;
    if (i++ == position) return &v;
  }
  return nullptr;
}

Result<std::vector<ODataSegment>> parse_odata_path(std::string_view raw) {
  std::vector<ODataSegment> out;
  UPSYNC_ASSIGN_OR_RETURN(auto parts, split_outside_quotes(raw, '/', 0, true));
  size_t offset = 0;
  for (std::string_view p : parts) {
    if (!p.empty()) {
      UPSYNC_ASSIGN_OR_RETURN(std::string text, percent_decode_segment(p, offset));
      UPSYNC_ASSIGN_OR_RETURN(ODataSegment seg, parse_segment(text, offset));
      out.push_back(std::move(seg));
    }
    offset += p.size() + 1;
  }
  return out;
}

Result<std::string> odata_string(const HttpRequest& req, std::string_view literal,
                                 std::string_view what) {
  literal = trim(literal);
  if (!literal.empty() && literal.front() == '@') {
    std::string alias(literal);
    if (!req.has_param(alias)) {
      return invalid_argument("The parameter alias " + alias + " used for " + std::string(what) +
                              " has no value in the query string (send ?" + alias + "='...').");
    }
    std::string value = req.get_param_value(alias);
    return unquote(trim(value), what);
  }
  return unquote(literal, what);
}

Result<bool> odata_bool(const HttpRequest& req, std::string_view literal, std::string_view what) {
  UPSYNC_ASSIGN_OR_RETURN(std::string text, odata_string(req, literal, what));
  if (ascii_iequal(text, "true")) return true;
  if (ascii_iequal(text, "false")) return false;
  return invalid_argument("The value of " + std::string(what) + " must be true or false, got '" +
                          quote_for_message(text) + "'.");
}

}  // namespace upsync
