#include "core/property_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <string>

#include "core/claims.h"
#include "core/text.h"

namespace upsync {
namespace {

Status bad_value(const PropertyDefinition& def, std::string_view raw, std::string_view why) {
  std::string m = "property '" + def.name + "' expects " +
                  std::string(expected_value_form(def.type)) + ", got '" + quote_for_message(raw) +
                  "'";
  if (!why.empty()) {
    m += ": ";
    m += why;
  }
  return invalid_argument(std::move(m));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Parses exactly `n` digits at s[pos...].
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    bool leap = year == 0 || ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0);
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

// Checks month/day; year 0 stands for "any year" (date no year: February 29 is allowed).
std::string check_month_day(int year, int month, int day) {
  if (month < 1 || month > 12) return "month " + std::to_string(month) + " is out of range";
  if (day < 1 || day > days_in_month(year, month)) {
    return "day " + std::to_string(day) + " is out of range for month " + std::to_string(month);
  }
  return {};
}

std::string two(int v) {
  std::string s = std::to_string(v);
  return s.size() < 2 ? "0" + s : s;
}

Result<std::string> normalize_date(const PropertyDefinition& def, std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
      !digits(s, 8, 2, d)) {
    return bad_value(def, s, "");
  }
  if (y < 1) return bad_value(def, s, "year 0000 does not exist");
  if (auto why = check_month_day(y, m, d); !why.empty()) return bad_value(def, s, why);
  return std::string(s);
}

Result<std::string> normalize_date_time(const PropertyDefinition& def, std::string_view s) {
  int y, mo, d, h, mi, se;
  if (s.size() < 19 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se)) {
    return bad_value(def, s, "");
  }
  if (y < 1) return bad_value(def, s, "year 0000 does not exist");
  if (auto why = check_month_day(y, mo, d); !why.empty()) return bad_value(def, s, why);
  if (h > 23 || mi > 59 || se > 59) return bad_value(def, s, "time of day is out of range");
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {  // fractional seconds: accepted, not kept
    ++pos;
    size_t start = pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == start) return bad_value(def, s, "no digits after '.'");
  }
  int offset_minutes = 0;
  if (pos == s.size()) {
    return bad_value(def, s, "a time zone ('Z' or +HH:MM) is required");
  } else if (s[pos] == 'Z' && pos + 1 == s.size()) {
  } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || !digits(s, pos + 4, 2, om) || oh > 14 || om > 59) {
      return bad_value(def, s, "bad time zone offset");
    }
    offset_minutes = (oh * 60 + om) * (s[pos] == '+' ? 1 : -1);
  } else {
    return bad_value(def, s, "unexpected text after the time");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  std::time_t t = timegm(&tm) - static_cast<std::time_t>(offset_minutes) * 60;
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buf);
}

Result<std::string> normalize_date_no_year(const PropertyDefinition& def, std::string_view s) {
  static constexpr std::string_view kMonths[] = {"january",   "february", "march",    "april",
                                                 "may",       "june",     "july",     "august",
                                                 "september", "october",  "november", "december"};
  int m = 0, d = 0;
  std::string_view t = s;
  if (t.starts_with("--")) t.remove_prefix(2);  // ISO 8601 --MM-DD
  if (t.size() == 5 && digits(t, 0, 2, m) && t[2] == '-' && digits(t, 3, 2, d)) {
  } else {
    // "March 15", as SharePoint displays birthdays.
    size_t sp = t.find(' ');
    if (sp == std::string_view::npos) return bad_value(def, s, "");
    std::string month = ascii_lower(t.substr(0, sp));
    auto it = std::find(std::begin(kMonths), std::end(kMonths), month);
    std::string_view day = t.substr(sp + 1);
    if (it == std::end(kMonths) || day.empty() || day.size() > 2 ||
        !digits(day, 0, day.size(), d)) {
      return bad_value(def, s, "");
    }
    m = static_cast<int>(it - std::begin(kMonths)) + 1;
  }
  if (auto why = check_month_day(0, m, d); !why.empty()) return bad_value(def, s, why);
  return two(m) + "-" + two(d);
}

template <typename Int>
Result<std::string> normalize_integer(const PropertyDefinition& def, std::string_view s) {
  Int v{};
  std::string_view t = s;
  if (!t.empty() && t[0] == '+') t.remove_prefix(1);
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec == std::errc::result_out_of_range) {
    return bad_value(def, s, t.empty() ? "" : "out of range");
  }
  if (ec != std::errc() || end != t.data() + t.size()) return bad_value(def, s, "");
  return std::to_string(v);
}

Result<std::string> normalize_float(const PropertyDefinition& def, std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return bad_value(def, s, "");
  if (!std::isfinite(v)) return bad_value(def, s, "not a finite number");
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

Result<std::string> normalize_boolean(const PropertyDefinition& def, std::string_view s) {
  if (ascii_iequal(s, "true") || s == "1" || ascii_iequal(s, "yes")) return std::string("true");
  if (ascii_iequal(s, "false") || s == "0" || ascii_iequal(s, "no")) return std::string("false");
  return bad_value(def, s, "");
}

Result<std::string> normalize_guid(const PropertyDefinition& def, std::string_view s) {
  std::string_view t = s;
  if (t.size() == 38 && t.front() == '{' && t.back() == '}') t = t.substr(1, 36);
  if (t.size() != 36) return bad_value(def, s, "");
  for (size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : !is_hex(t[i])) {
      return bad_value(def, s, "unexpected character at position " + std::to_string(i + 1));
    }
  }
  return ascii_lower(t);
}

Result<std::string> normalize_base64(const PropertyDefinition& def, std::string_view s) {
  auto b64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/';
  };
  if (s.size() % 4 != 0) return bad_value(def, s, "length is not a multiple of 4");
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=') {
      if (i + 2 < s.size()) return bad_value(def, s, "'=' before the end");
      ++pad;
    } else if (pad > 0 || !b64(s[i])) {
      return bad_value(def, s, "unexpected character at position " + std::to_string(i + 1));
    }
  }
  return std::string(s);
}

Result<std::string> normalize_email(const PropertyDefinition& def, std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size() ||
      s.find('@', at + 1) != std::string_view::npos) {
    return bad_value(def, s, "");
  }
  std::string_view domain = s.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return bad_value(def, s, "malformed domain");
  }
  for (char c : s) {
    if (c == ' ' || c == ',' || c == ';' || c == '<' || c == '>' || c == '"' ||
        static_cast<unsigned char>(c) < 0x20) {
      return bad_value(def, s, "");
    }
  }
  return std::string(s);
}

Result<std::string> normalize_url(const PropertyDefinition& def, std::string_view s) {
  for (char c : s) {
    if (c == ' ' || static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return bad_value(def, s, "spaces and control characters must be percent-encoded");
    }
  }
  if (s.starts_with("/")) return std::string(s);  // server-relative
  size_t colon = s.find("://");
  if (colon == std::string_view::npos || colon == 0) return bad_value(def, s, "");
  for (size_t i = 0; i < colon; ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (i > 0 && (is_digit(c) || c == '+' || c == '-' || c == '.'));
    if (!ok) return bad_value(def, s, "malformed scheme");
  }
  if (colon + 3 >= s.size() || s[colon + 3] == '/') return bad_value(def, s, "no host");
  return std::string(s);
}

Result<std::string> normalize_person(const PropertyDefinition& def, std::string_view s) {
  if (looks_like_claim(s)) {
    auto claim = parse_claim(s);
    if (!claim) return bad_value(def, s, claim.status().message());
    return format_claim(*claim);
  }
  // A plain login: "bob@contoso.com" or "CONTOSO\bob".
  for (char c : s) {
    if (c == ' ' || static_cast<unsigned char>(c) < 0x20 || c == '|') {
      return bad_value(def, s, "");
    }
  }
  return std::string(s);
}

Result<std::string> normalize_text(const PropertyDefinition& def, std::string_view s) {
  if (size_t bad = invalid_utf8_offset(s); bad != std::string_view::npos) {
    return bad_value(def, s.substr(0, bad), "invalid UTF-8 at byte " + std::to_string(bad + 1));
  }
  size_t chars = 0;
  for (char c : s) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars > static_cast<size_t>(def.max_length)) {
    return bad_value(def, s.substr(0, 40),
                     std::to_string(chars) + " characters is longer than the limit of " +
                         std::to_string(def.max_length));
  }
  return std::string(s);
}

}  // namespace

std::string_view expected_value_form(DataType type) {
  switch (type) {
    case DataType::kString:
      return "a string";
    case DataType::kHtml:
      return "HTML text";
    case DataType::kPerson:
      return "a person (an account name such as i:0#.f|membership|upn)";
    case DataType::kEmail:
      return "an e-mail address";
    case DataType::kUrl:
      return "a URL (scheme://host/... or /server/relative)";
    case DataType::kBinary:
      return "binary data (base64)";
    case DataType::kInteger:
      return "an integer (32-bit)";
    case DataType::kBigInteger:
      return "a big integer (64-bit)";
    case DataType::kFloat:
      return "a number";
    case DataType::kBoolean:
      return "a boolean (true or false)";
    case DataType::kDate:
      return "a date (YYYY-MM-DD)";
    case DataType::kDateTime:
      return "a date time (YYYY-MM-DDTHH:MM:SSZ)";
    case DataType::kDateNoYear:
      return "a date no year (MM-DD or 'March 15')";
    case DataType::kTimeZone:
      return "a time zone id (integer 0-999)";
    case DataType::kUniqueIdentifier:
      return "a unique identifier (GUID)";
  }
  return "a value";
}

Result<std::string> normalize_value(const PropertyDefinition& def, std::string_view raw) {
  // Every type is text first: refuse broken UTF-8 and over-long values before anything else.
  auto text = normalize_text(def, raw);
  if (!text) return text;
  switch (def.type) {
    case DataType::kString:
    case DataType::kHtml:
      return text;
    case DataType::kPerson:
      return normalize_person(def, raw);
    case DataType::kEmail:
      return normalize_email(def, raw);
    case DataType::kUrl:
      return normalize_url(def, raw);
    case DataType::kBinary:
      return normalize_base64(def, raw);
    case DataType::kInteger:
      return normalize_integer<int32_t>(def, raw);
    case DataType::kBigInteger:
      return normalize_integer<int64_t>(def, raw);
    case DataType::kFloat:
      return normalize_float(def, raw);
    case DataType::kBoolean:
      return normalize_boolean(def, raw);
    case DataType::kDate:
      return normalize_date(def, raw);
    case DataType::kDateTime:
      return normalize_date_time(def, raw);
    case DataType::kDateNoYear:
      return normalize_date_no_year(def, raw);
    case DataType::kTimeZone: {
      auto v = normalize_integer<int32_t>(def, raw);
      if (!v) return v;
      int id = std::stoi(*v);
      if (id < 0 || id > 999) return bad_value(def, raw, "out of range");
      return v;
    }
    case DataType::kUniqueIdentifier:
      return normalize_guid(def, raw);
  }
  return internal_error("unhandled data type");
}

Result<PropertyValues> normalize_values(const PropertyDefinition& def,
                                        std::span<const std::string> raw) {
  PropertyValues out;
  if (!def.multi_value) {
    if (raw.size() > 1) {
      return invalid_argument("property '" + def.name + "' takes a single value, got " +
                              std::to_string(raw.size()));
    }
    if (raw.empty() || raw[0].empty()) return out;
    UPSYNC_ASSIGN_OR_RETURN(std::string v, normalize_value(def, raw[0]));
    out.push_back(std::move(v));
    return out;
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i].empty()) {
      return invalid_argument("property '" + def.name + "': value " + std::to_string(i + 1) +
                              " of " + std::to_string(raw.size()) + " is empty");
    }
    UPSYNC_ASSIGN_OR_RETURN(std::string v, normalize_value(def, raw[i]));
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  }
  return out;
}

}  // namespace upsync
