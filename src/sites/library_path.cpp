#include "sites/library_path.h"

#include <cstdio>
#include <optional>

#include "core/text.h"

namespace upsync {
namespace {

// A problem of checked text: where (a byte offset into it) and what.
struct Problem {
  size_t offset;
  std::string what;
};

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", c);
  return buf;
}

std::string code_point_name(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", cp);
  return buf;
}

std::string separator_name(uint32_t cp) {
  return cp == '.' ? "'.'" : cp == '/' ? "'/'" : cp == '\\' ? "'\\'" : code_point_name(cp);
}

// Characters that NFKC turns into '.', '/' or '\' (or a run of dots): a client or file
// system that normalizes would see a separator or a dot segment where the door saw a name.
std::optional<uint32_t> compatibility_separator(uint32_t cp) {
  switch (cp) {
    case 0xFF0E:  // FULLWIDTH FULL STOP
    case 0xFE52:  // SMALL FULL STOP
    case 0x2024:  // ONE DOT LEADER
    case 0x2025:  // TWO DOT LEADER
      return '.';
    case 0xFF0F:  // FULLWIDTH SOLIDUS
      return '/';
    case 0xFF3C:  // FULLWIDTH REVERSE SOLIDUS
    case 0xFE68:  // SMALL REVERSE SOLIDUS
      return '\\';
    default:
      return std::nullopt;
  }
}

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The sequence at s[i] when it is an overlong form (C0/C1 xx, E0 80-9F xx, F0 80-8F xx xx):
// the code point it spells.
std::optional<uint32_t> overlong_value(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char lead = b(0);
  if ((lead == 0xC0 || lead == 0xC1) && i + 1 < s.size() && continuation(b(1))) {
    return ((lead & 0x1Fu) << 6) | (b(1) & 0x3Fu);
  }
  if (lead == 0xE0 && i + 2 < s.size() && b(1) >= 0x80 && b(1) <= 0x9F && continuation(b(2))) {
    return ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
  }
  if (lead == 0xF0 && i + 3 < s.size() && b(1) >= 0x80 && b(1) <= 0x8F && continuation(b(2)) &&
      continuation(b(3))) {
    return ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
  }
  return std::nullopt;
}

// Decodes the UTF-8 sequence at s[i] strictly (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF): its length, or 0 when it is not valid.
size_t utf8_sequence(std::string_view s, size_t i, uint32_t& cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char lead = b(0);
  if (lead < 0x80) {
    cp = lead;
    return 1;
  }
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    cp = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    cp = lead & 0x0Fu;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;  // U+D800..U+DFFF are surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    cp = lead & 0x07u;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 1; k < len; ++k) {
    if (!continuation(b(k))) return 0;
    cp = (cp << 6) | (b(k) & 0x3Fu);
  }
  return len;
}

// Character-level problems of decoded text ('/' is left to the caller): backslashes, control
// characters, invalid UTF-8, compatibility forms of separators.
std::optional<Problem> character_problem(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') return Problem{i, "a backslash"};
    if (c < 0x20 || c == 0x7F) {
      return Problem{i, "a control character (" + hex_byte(c) + (c == 0 ? ", NUL)" : ")")};
    }
    uint32_t cp = 0;
    size_t len = utf8_sequence(s, i, cp);
    if (len == 0) {
      if (auto v = overlong_value(s, i)) {
        return Problem{i, "an overlong UTF-8 form of " + separator_name(*v) + " (invalid UTF-8)"};
      }
      return Problem{i, "invalid UTF-8 (byte " + hex_byte(c) + ")"};
    }
    if (cp >= 0x80 && cp <= 0x9F) {
      return Problem{i, "a control character (" + code_point_name(cp) + ")"};
    }
    if (auto sep = compatibility_separator(cp)) {
      return Problem{i, "a full-width or compatibility form of " + separator_name(*sep) + " (" +
                            code_point_name(cp) + ")"};
    }
    i += len;
  }
  return std::nullopt;
}

// Problems of one name as a whole (its characters checked already).
std::optional<Problem> name_problem(std::string_view name) {
  if (name.empty()) return Problem{0, "an empty segment ('//')"};
  if (name.find_first_not_of('.') == std::string_view::npos) {
    return Problem{0, "a dot segment '" + std::string(name) + "'"};
  }
  if (name.size() > kMaxLibraryNameBytes) {
    return Problem{0, "the name is " + std::to_string(name.size()) + " bytes, longer than " +
                          std::to_string(kMaxLibraryNameBytes) + " bytes,"};
  }
  if (name.size() >= kLibraryTempSuffix.size() &&
      ascii_iequal(name.substr(name.size() - kLibraryTempSuffix.size()), kLibraryTempSuffix)) {
    return Problem{0, "the name '" + std::string(name) + "' ends in " +
                          std::string(kLibraryTempSuffix) +
                          ", which is reserved for files being written,"};
  }
  for (size_t i = 0; i + 2 < name.size(); ++i) {
    if (name[i] == '%' && hex_digit(name[i + 1]) >= 0 && hex_digit(name[i + 2]) >= 0) {
      return Problem{i, "an escape ('" + std::string(name.substr(i, 3)) +
                            "') left after decoding (the URL was encoded twice)"};
    }
  }
  return std::nullopt;
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += !continuation(static_cast<unsigned char>(c));
  return n;
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-';
}

}  // namespace

bool valid_url_host(std::string_view host) {
  size_t colon = host.find(':');
  std::string_view name = host.substr(0, colon);
  if (name.empty() || name.front() == '.' || name.front() == '-') return false;
  for (char c : name) {
    if (!host_char(c)) return false;
  }
  if (colon == std::string_view::npos) return true;
  std::string_view port = host.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

namespace {

class UrlParser {
 public:
  UrlParser(std::string_view url, bool encoded) : url_(url), encoded_(encoded) {}

  Result<FileUrl> parse() {
    FileUrl out;
    size_t start = 0;
    for (std::string_view scheme : {"https://", "http://"}) {
      if (!ascii_iequal(url_.substr(0, scheme.size()), scheme)) continue;
      size_t slash = url_.find('/', scheme.size());
      std::string_view host = url_.substr(scheme.size(), slash - scheme.size());
      if (!valid_url_host(host)) {
        return refuse(scheme.size(), "the host '" + quote_for_message(host) +
                                         "' is not a host name (letters, digits, '.', '-' and "
                                         "a port)");
      }
      out.host = ascii_lower(host);
      start = slash == std::string_view::npos ? url_.size() : slash;
      break;
    }
    if (start >= url_.size() || url_[start] != '/') {
      return invalid_argument("URL '" + quote_for_message(url_) +
                              "' is neither server-relative (/sites/...) nor absolute "
                              "(https://...)");
    }
    UPSYNC_RETURN_IF_ERROR(decode(start));
    if (auto p = character_problem(text_)) return refuse_at(p->offset, p->what);
    UPSYNC_RETURN_IF_ERROR(split());
    if (code_points(text_) > kMaxLibraryPathChars) {
      return invalid_argument("URL '" + quote_for_message(url_) + "': the decoded path has " +
                              std::to_string(code_points(text_)) + " characters, more than " +
                              std::to_string(kMaxLibraryPathChars));
    }
    if (segments_.size() < 3 || (segments_[0].text != "sites" && segments_[0].text != "teams")) {
      return invalid_argument("URL '" + quote_for_message(url_) +
                              "' does not name a document library: expected "
                              "/sites/<site>/<library>/...");
    }
    out.site = "sites/" + segments_[1].text;
    if (segments_[0].text == "teams") out.site = "teams/" + segments_[1].text;
    out.library = segments_[2].text;
    for (size_t i = 3; i < segments_.size(); ++i) {
      if (!out.path.empty()) out.path += "/";
      out.path += segments_[i].text;
    }
    return out;
  }

 private:
  struct Segment {
    std::string text;
    size_t offset;  // into text_
  };

  Status refuse(size_t url_offset, const std::string& what) const {
    return invalid_argument("URL '" + quote_for_message(url_) + "': " + what + " at position " +
                            std::to_string(url_offset + 1));
  }
  // A problem at a byte of the decoded text, placed where that byte was in the URL.
  Status refuse_at(size_t text_offset, const std::string& what) const {
    return refuse(origin_[std::min(text_offset, origin_.size() - 1)], what);
  }

  // The path from url_[start], decoded once; each byte remembers where it came from.
  Status decode(size_t start) {
    for (size_t i = start; i < url_.size(); ++i) {
      char c = url_[i];
      if (encoded_ && c == '%') {
        int hi = i + 1 < url_.size() ? hex_digit(url_[i + 1]) : -1;
        int lo = i + 2 < url_.size() ? hex_digit(url_[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          return refuse(i, "a bad escape '" + quote_for_message(url_.substr(i, 3)) + "'");
        }
        char d = static_cast<char>(hi * 16 + lo);
        if (d == '/') return refuse(i, "an encoded '/' (%2F)");
        text_.push_back(d);
        origin_.push_back(i);
        i += 2;
        continue;
      }
      if (encoded_ && (c == '?' || c == '#')) {
        return refuse(i, std::string("a bare '") + c + "' (a file URL has no " +
                             (c == '?' ? "query" : "fragment") + "; write " +
                             (c == '?' ? "%3F" : "%23") + " for it in a name)");
      }
      text_.push_back(c);
      origin_.push_back(i);
    }
    return Status::ok();
  }

  // text_ ("/a/b/c", one trailing '/' allowed) into checked segments.
  Status split() {
    size_t pos = 1;
    while (pos <= text_.size()) {
      size_t next = text_.find('/', pos);
      if (next == std::string::npos) next = text_.size();
      std::string_view seg = std::string_view(text_).substr(pos, next - pos);
      if (seg.empty() && next == text_.size() && !segments_.empty()) break;  // trailing '/'
      if (auto p = name_problem(seg)) {
        // An empty segment is pointed at by its second '/'.
        return refuse_at(seg.empty() ? next : pos + p->offset, p->what);
      }
      segments_.push_back({std::string(seg), pos});
      pos = next + 1;
    }
    if (!text_.empty() && text_.back() == '/') text_.pop_back();
    return Status::ok();
  }

  std::string_view url_;
  bool encoded_;
  std::string text_;            // the decoded path
  std::vector<size_t> origin_;  // for each byte of text_, its offset in url_
  std::vector<Segment> segments_;
};

}  // namespace

std::string escape_file_path(std::string_view decoded) {
  std::string out;
  out.reserve(decoded.size());
  for (char c : decoded) {
    if (c == '%') {
      out += "%25";
    } else if (c == '?') {
      out += "%3F";
    } else if (c == '#') {
      out += "%23";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FileUrl::server_relative() const {
  std::string s = "/" + site + "/" + library;
  if (!path.empty()) s += "/" + path;
  return s;
}

std::string FileUrl::escaped() const { return escape_file_path(server_relative()); }

std::vector<std::string> FileUrl::segments() const {
  std::vector<std::string> out;
  auto add = [&](std::string_view s) {
    size_t pos = 0;
    while (true) {
      size_t slash = s.find('/', pos);
      out.emplace_back(s.substr(pos, slash - pos));
      if (slash == std::string_view::npos) break;
      pos = slash + 1;
    }
  };
  add(site);
  out.push_back(library);
  if (!path.empty()) add(path);
  return out;
}

FileUrl FileUrl::parent() const {
  FileUrl p = *this;
  auto slash = path.rfind('/');
  p.path = slash == std::string::npos ? "" : path.substr(0, slash);
  return p;
}

FileUrl FileUrl::child(std::string_view name) const {
  FileUrl c = *this;
  c.path = path.empty() ? std::string(name) : path + "/" + std::string(name);
  return c;
}

Result<FileUrl> parse_file_url(std::string_view url) { return UrlParser(url, true).parse(); }

Result<FileUrl> parse_decoded_file_url(std::string_view url) {
  return UrlParser(url, false).parse();
}

Status check_library_name(std::string_view name) {
  std::optional<Problem> p;
  if (size_t slash = name.find('/'); slash != std::string_view::npos) {
    p = Problem{slash, "a '/'"};
  } else {
    p = character_problem(name);
    if (!p) p = name_problem(name);
  }
  if (!p) return Status::ok();
  return invalid_argument("name '" + quote_for_message(name) + "': " + p->what + " at position " +
                          std::to_string(p->offset + 1));
}

}  // namespace upsync
