#include "directory/ldif.h"

#include <cctype>

#include "core/text.h"

namespace upsync {

std::vector<std::string> LdifRecord::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const LdifAttribute& a : attributes) {
    if (ascii_iequal(a.name, name)) out.push_back(a.value);
  }
  return out;
}

std::string LdifRecord::first(std::string_view name) const {
  for (const LdifAttribute& a : attributes) {
    if (ascii_iequal(a.name, name)) return a.value;
  }
  return {};
}

namespace {

int b64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// One logical line (folded lines joined) and the physical line it starts on.
struct LogicalLine {
  int line;
  std::string text;
};

Status line_error(int line, const std::string& what) {
  return invalid_argument("LDIF line " + std::to_string(line) + ": " + what);
}

// "name: value", "name:: base64", "name:< url" → name and decoded value.
Status split_attribute(const LogicalLine& l, std::string& name, std::string& value) {
  size_t colon = l.text.find(':');
  if (colon == std::string::npos || colon == 0) {
    return line_error(l.line,
                      "expected 'attribute: value', got '" + quote_for_message(l.text) + "'");
  }
  name = l.text.substr(0, colon);
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == ';' || c == '.';
    if (!ok) {
      return line_error(l.line, "invalid attribute name '" + quote_for_message(name) + "'");
    }
  }
  std::string_view rest = std::string_view(l.text).substr(colon + 1);
  if (!rest.empty() && rest[0] == ':') {
    auto decoded = base64_decode(trim(rest.substr(1)));
    if (!decoded) {
      return line_error(l.line, "attribute '" + name + "': " + decoded.status().message());
    }
    value = *decoded;
  } else if (!rest.empty() && rest[0] == '<') {
    return line_error(
        l.line, "attribute '" + name + "': URL values (':<') are not supported in a sync source");
  } else {
    while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    value = std::string(rest);
    if (size_t bad = invalid_utf8_offset(value); bad != std::string::npos) {
      return line_error(l.line, "attribute '" + name + "': invalid UTF-8 at byte " +
                                    std::to_string(bad + 1) + " of the value (use '::' base64)");
    }
  }
  return Status::ok();
}

Status parse_record(const std::vector<LogicalLine>& lines, LdifRecord& r) {
  std::string name, value;
  UPSYNC_RETURN_IF_ERROR(split_attribute(lines[0], name, value));
  if (!ascii_iequal(name, "dn")) {
    return line_error(lines[0].line, "a record must start with 'dn:', got '" + name + "'");
  }
  r.line = lines[0].line;
  r.dn = value;
  size_t i = 1;
  if (i < lines.size()) {
    UPSYNC_RETURN_IF_ERROR(split_attribute(lines[i], name, value));
    if (ascii_iequal(name, "control")) {
      return line_error(lines[i].line, "LDIF controls are not supported");
    }
    if (ascii_iequal(name, "changetype")) {
      const std::string v = ascii_lower(value);
      if (v == "add")
        r.change = LdifChange::kAdd;
      else if (v == "delete")
        r.change = LdifChange::kDelete;
      else if (v == "modify")
        r.change = LdifChange::kModify;
      else if (v == "modrdn" || v == "moddn")
        r.change = LdifChange::kModRdn;
      else {
        return line_error(lines[i].line, "unknown changetype '" + quote_for_message(value) +
                                             "' (expected add, delete, modify, modrdn, moddn)");
      }
      ++i;
    }
  }
  switch (r.change) {
    case LdifChange::kContent:
    case LdifChange::kAdd:
      for (; i < lines.size(); ++i) {
        UPSYNC_RETURN_IF_ERROR(split_attribute(lines[i], name, value));
        r.attributes.push_back({name, value});
      }
      return Status::ok();
    case LdifChange::kDelete:
      if (i < lines.size()) {
        return line_error(lines[i].line, "a delete record takes no attributes");
      }
      return Status::ok();
    case LdifChange::kModRdn:
      for (; i < lines.size(); ++i) {
        UPSYNC_RETURN_IF_ERROR(split_attribute(lines[i], name, value));
        if (ascii_iequal(name, "newrdn"))
          r.new_rdn = value;
        else if (ascii_iequal(name, "deleteoldrdn")) {
          if (value != "0" && value != "1") {
            return line_error(lines[i].line, "deleteoldrdn must be 0 or 1");
          }
          r.delete_old_rdn = value == "1";
        } else if (ascii_iequal(name, "newsuperior"))
          r.new_superior = value;
        else
          return line_error(lines[i].line, "unexpected '" + name + "' in a modrdn record");
      }
      if (r.new_rdn.empty()) return line_error(r.line, "a modrdn record needs 'newrdn:'");
      return Status::ok();
    case LdifChange::kModify:
      while (i < lines.size()) {
        UPSYNC_RETURN_IF_ERROR(split_attribute(lines[i], name, value));
        LdifModification m;
        if (ascii_iequal(name, "add"))
          m.op = LdifModification::Op::kAdd;
        else if (ascii_iequal(name, "delete"))
          m.op = LdifModification::Op::kDelete;
        else if (ascii_iequal(name, "replace"))
          m.op = LdifModification::Op::kReplace;
        else {
          return line_error(lines[i].line, "expected 'add:', 'delete:' or 'replace:', got '" +
                                               quote_for_message(name) + "'");
        }
        m.attribute = value;
        const int op_line = lines[i].line;
        ++i;
        bool closed = false;
        for (; i < lines.size(); ++i) {
          if (lines[i].text == "-") {
            closed = true;
            ++i;
            break;
          }
          UPSYNC_RETURN_IF_ERROR(split_attribute(lines[i], name, value));
          if (!ascii_iequal(name, m.attribute)) {
            return line_error(
                lines[i].line,
                "value of '" + name + "' inside the modification of '" + m.attribute + "'");
          }
          m.values.push_back(value);
        }
        if (!closed) {
          return line_error(op_line, "modification of '" + m.attribute + "' is not closed by '-'");
        }
        r.modifications.push_back(std::move(m));
      }
      return Status::ok();
  }
  return Status::ok();
}

}  // namespace

Result<std::string> base64_decode(std::string_view text) {
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      ++pad;
      continue;
    }
    int d = b64_digit(c);
    if (d < 0 || pad > 0) {
      return invalid_argument("invalid base64 character '" +
                              quote_for_message(std::string_view(&text[i], 1)) + "' at position " +
                              std::to_string(i + 1));
    }
    buf = (buf << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  if ((text.size() - pad) % 4 == 1 || pad > 2) return invalid_argument("truncated base64 value");
  return out;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  while (i + 2 < bytes.size()) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kDigits[(v >> 18) & 63];
    out += kDigits[(v >> 12) & 63];
    out += kDigits[(v >> 6) & 63];
    out += kDigits[v & 63];
    i += 3;
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kDigits[(v >> 18) & 63];
    out += kDigits[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kDigits[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Status check_dn(std::string_view dn) {
  if (trim(dn).empty()) return invalid_argument("the DN is empty");
  // Split on unescaped ',' and '+' (a backslash escapes the next character).
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i < dn.size(); ++i) {
    if (dn[i] == '\\') {
      ++i;
    } else if (dn[i] == ',' || dn[i] == '+') {
      parts.push_back(dn.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(dn.substr(start));
  for (size_t n = 0; n < parts.size(); ++n) {
    const std::string_view rdn = trim(parts[n]);
    const std::string where = "RDN " + std::to_string(n + 1) + " '" + quote_for_message(rdn) + "'";
    const size_t eq = rdn.find('=');
    if (eq == std::string_view::npos) return invalid_argument(where + " has no '='");
    const std::string_view type = trim(rdn.substr(0, eq));
    if (type.empty()) return invalid_argument(where + " has no attribute type");
    const bool oid = std::isdigit(static_cast<unsigned char>(type[0]));
    for (char c : type) {
      const bool ok = oid ? (std::isdigit(static_cast<unsigned char>(c)) || c == '.')
                          : (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
      if (!ok) return invalid_argument(where + " has an invalid attribute type");
    }
    if (!oid && !std::isalpha(static_cast<unsigned char>(type[0]))) {
      return invalid_argument(where + " has an invalid attribute type");
    }
  }
  return Status::ok();
}

Result<std::vector<LdifRecord>> parse_ldif(std::string_view text) {
  std::vector<LdifRecord> records;
  std::vector<LogicalLine> current;
  int line_no = 0;
  bool version_allowed = true;
  auto flush = [&]() -> Status {
    if (current.empty()) return Status::ok();
    if (version_allowed && current.size() == 1 && current[0].text.starts_with("version:")) {
      std::string v(trim(std::string_view(current[0].text).substr(8)));
      if (v != "1") return line_error(current[0].line, "unsupported LDIF version '" + v + "'");
      current.clear();
      version_allowed = false;
      return Status::ok();
    }
    // "version: 1" may also head the first record without a blank line after it.
    if (version_allowed && current[0].text.starts_with("version:")) {
      std::string v(trim(std::string_view(current[0].text).substr(8)));
      if (v != "1") return line_error(current[0].line, "unsupported LDIF version '" + v + "'");
      current.erase(current.begin());
    }
    version_allowed = false;
    LdifRecord r;
    UPSYNC_RETURN_IF_ERROR(parse_record(current, r));
    records.push_back(std::move(r));
    current.clear();
    return Status::ok();
  };
  size_t pos = 0;
  if (text.starts_with("\xEF\xBB\xBF")) pos = 3;  // a UTF-8 byte order mark
  bool in_comment = false;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    ++line_no;
    const bool last = end >= text.size();
    pos = end + 1;
    if (!raw.empty() && raw[0] == ' ') {  // a folded continuation
      if (in_comment) continue;
      if (current.empty()) {
        return line_error(line_no, "a continuation line (starting with a space) follows nothing");
      }
      current.back().text.append(raw.substr(1));
    } else if (!raw.empty() && raw[0] == '#') {
      in_comment = true;
    } else if (trim(raw).empty()) {
      in_comment = false;
      UPSYNC_RETURN_IF_ERROR(flush());
    } else {
      in_comment = false;
      current.push_back({line_no, std::string(raw)});
    }
    if (last) break;
  }
  UPSYNC_RETURN_IF_ERROR(flush());
  return records;
}

}  // namespace upsync
