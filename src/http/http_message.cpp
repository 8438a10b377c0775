#include "http/http_message.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace upsync {

namespace {

unsigned char lower(char c) {
  return static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
}

template <typename Map>
std::string first_value(const Map& map, std::string_view key) {
  auto it = map.find(key);
  return it == map.end() ? std::string() : it->second;
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return lower(x) < lower(y); });
}

bool HttpRequest::has_header(std::string_view name) const { return headers.contains(name); }

std::string HttpRequest::get_header_value(std::string_view name) const {
  return first_value(headers, name);
}

bool HttpRequest::has_param(std::string_view name) const { return params.contains(name); }

std::string HttpRequest::get_param_value(std::string_view name) const {
  return first_value(params, name);
}

void HttpResponse::set_header(std::string_view name, std::string value) {
  auto [first, last] = headers.equal_range(name);
  headers.erase(first, last);
  headers.emplace(std::string(name), std::move(value));
}

void HttpResponse::set_content(std::string content, std::string_view content_type) {
  body = std::move(content);
  reader = nullptr;
  reader_length = 0;
  set_header("Content-Type", std::string(content_type));
}

void HttpResponse::set_content_provider(uint64_t length, std::string_view content_type,
                                        ContentReader r) {
  body.clear();
  reader = std::move(r);
  reader_length = length;
  set_header("Content-Type", std::string(content_type));
}

std::string url_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hex_digit(s[i + 1]);
      int lo = hex_digit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

void parse_query(std::string_view query, HttpParams& params) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view key = pair.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      params.emplace(url_decode(key, true), url_decode(value, true));
    }
    start = end + 1;
  }
}

}  // namespace upsync
