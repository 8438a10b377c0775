#include "core/claims.h"

#include <array>
#include <cstdio>

#include "core/text.h"

namespace upsync {
namespace {

// Sources of each table: see claims.h.
constexpr auto kClaimTypes = std::to_array<ClaimCode<ClaimType>>({
    {'!', ClaimType::kIdentityProvider, "identity provider"},
    {'"', ClaimType::kUserIdentifier, "user identifier"},
    {'#', ClaimType::kLogonName, "logon name"},
    {'$', ClaimType::kDistributionList, "distribution list"},
    {'%', ClaimType::kFarmId, "farm ID"},
    {'&', ClaimType::kProcessIdentitySid, "process identity SID"},
    {'\'', ClaimType::kProcessIdentityLogonName, "process identity logon name"},
    {'(', ClaimType::kIsAuthenticated, "is authenticated"},
    {')', ClaimType::kPrimarySid, "primary SID"},
    {'*', ClaimType::kPrimaryGroupSid, "primary group SID"},
    {'+', ClaimType::kGroupSid, "group SID"},
    {'-', ClaimType::kRole, "role"},
    {'.', ClaimType::kAnonymous, "anonymous"},
    {'/', ClaimType::kAuthentication, "authentication"},
    {'0', ClaimType::kAuthorizationDecision, "authorization decision"},
    {'1', ClaimType::kCountry, "country"},
    {'2', ClaimType::kDateOfBirth, "date of birth"},
    {'3', ClaimType::kDenyOnlySid, "deny-only SID"},
    {'4', ClaimType::kDns, "DNS name"},
    {'5', ClaimType::kEmail, "e-mail"},
    {'6', ClaimType::kGender, "gender"},
    {'7', ClaimType::kGivenName, "given name"},
    {'8', ClaimType::kHash, "hash"},
    {'9', ClaimType::kHomePhone, "home phone"},
    {'<', ClaimType::kLocality, "locality"},
    {'=', ClaimType::kMobilePhone, "mobile phone"},
    {'>', ClaimType::kName, "name"},
    {'?', ClaimType::kNameIdentifier, "name identifier"},
    {'@', ClaimType::kOtherPhone, "other phone"},
    {'[', ClaimType::kPostalCode, "postal code"},
    {'\\', ClaimType::kPpid, "private personal identifier"},
    {']', ClaimType::kRsa, "RSA key"},
    {'^', ClaimType::kSid, "SID"},
    {'_', ClaimType::kSpn, "SPN"},
    {'`', ClaimType::kStateOrProvince, "state or province"},
    {'a', ClaimType::kStreetAddress, "street address"},
    {'b', ClaimType::kSurname, "surname"},
    {'c', ClaimType::kSystem, "system"},
    {'d', ClaimType::kThumbprint, "thumbprint"},
    {'e', ClaimType::kUpn, "UPN"},
    {'f', ClaimType::kUri, "URI"},
    {'g', ClaimType::kWebpage, "web page"},
    {'o', ClaimType::kDirectoryGroup, "Microsoft 365 group"},
    {'t', ClaimType::kTenantGroup, "tenant security group"},
});

// Named after the XML Schema / XML Signature types they stand for.
constexpr auto kValueTypes = std::to_array<ClaimCode<ClaimValueType>>({
    {'!', ClaimValueType::kBase64Binary, "base64Binary"},
    {'"', ClaimValueType::kBoolean, "boolean"},
    {'#', ClaimValueType::kDate, "date"},
    {'$', ClaimValueType::kDateTime, "dateTime"},
    {'%', ClaimValueType::kDaytimeDuration, "dayTimeDuration"},
    {'&', ClaimValueType::kDouble, "double"},
    {'\'', ClaimValueType::kDsaKeyValue, "DSAKeyValue"},
    {'(', ClaimValueType::kHexBinary, "hexBinary"},
    {')', ClaimValueType::kInteger, "integer"},
    {'*', ClaimValueType::kKeyInfo, "KeyInfo"},
    {'+', ClaimValueType::kRfc822Name, "rfc822Name"},
    {'-', ClaimValueType::kRsaKeyValue, "RSAKeyValue"},
    {'.', ClaimValueType::kString, "string"},
    {'/', ClaimValueType::kTime, "time"},
    {'0', ClaimValueType::kX500Name, "x500Name"},
    {'1', ClaimValueType::kYearMonthDuration, "yearMonthDuration"},
});

// Seed 001's order, which error messages list.
constexpr auto kIssuers = std::to_array<ClaimCode<IssuerType>>({
    {'w', IssuerType::kWindows, "windows"},
    {'s', IssuerType::kLocalSts, "local STS"},
    {'m', IssuerType::kMembership, "membership"},
    {'r', IssuerType::kRole, "role"},
    {'t', IssuerType::kTrustedSts, "trusted STS"},
    {'p', IssuerType::kPersonal, "personal"},
    {'c', IssuerType::kClaimProvider, "claim provider"},
    {'f', IssuerType::kForms, "forms"},
});

// The fixed prefix "i:0#.f|" is this long; the original issuer or the value starts after it.
constexpr size_t kPrefixSize = 7;

template <typename E>
const ClaimCode<E>* row_for_code(std::span<const ClaimCode<E>> table, char c) {
  for (const auto& row : table) {
    if (row.code == c) return &row;
  }
  return nullptr;
}

template <typename E>
const ClaimCode<E>* row_for_value(std::span<const ClaimCode<E>> table, E v) {
  for (const auto& row : table) {
    if (row.value == v) return &row;
  }
  return nullptr;
}

// An enumerator outside the table (only reachable through a cast) formats as NUL, which
// parse_claim() refuses, rather than as some other claim's code.
template <typename E>
char code_of(std::span<const ClaimCode<E>> table, E v) {
  const auto* row = row_for_value(table, v);
  return row ? row->code : '\0';
}

template <typename E>
std::string_view name_of(std::span<const ClaimCode<E>> table, E v) {
  const auto* row = row_for_value(table, v);
  return row ? row->name : std::string_view("unknown");
}

template <typename E>
std::string code_list(std::span<const ClaimCode<E>> table) {
  std::string s;
  for (const auto& row : table) {
    if (!s.empty()) s += ", ";
    s += row.code;
  }
  return s;
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The length of the valid UTF-8 sequence starting at s[i], or 0 when there is none.
size_t utf8_length_at(std::string_view s, size_t i) {
  auto lead = static_cast<unsigned char>(s[i]);
  size_t n = lead < 0x80           ? 1
             : (lead >> 5) == 0x6  ? 2
             : (lead >> 4) == 0xE  ? 3
             : (lead >> 3) == 0x1E ? 4
                                   : 0;
  if (n == 0 || i + n > s.size()) return 0;
  if (invalid_utf8_offset(s.substr(i, n)) != std::string_view::npos) return 0;
  return n;
}

std::string hex_escape(char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(c));
  return buf;
}

// `s` for a message: control characters and bytes outside valid UTF-8 escaped as \xNN, so
// the message itself stays printable UTF-8; cut at a character boundary after 80 bytes.
std::string quote(std::string_view s) {
  constexpr size_t kMax = 80;
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (out.size() >= kMax) return out + "...";
    size_t n = utf8_length_at(s, i);
    if (n == 0 || is_control(s[i])) {
      out += hex_escape(s[i]);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// "'x'" for the character at byte `offset`, or "the end".
std::string describe(std::string_view text, size_t offset) {
  if (offset >= text.size()) return "the end";
  size_t n = utf8_length_at(text, offset);
  return "'" + quote(text.substr(offset, n == 0 ? 1 : n)) + "'";
}

// The 1-based character position of byte `offset`: people count characters, not bytes.
size_t char_position(std::string_view text, size_t offset) {
  size_t pos = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++pos;
  }
  return pos + (offset > text.size() ? offset - text.size() : 0);
}

Status refuse(std::string_view text, size_t offset, std::string_view what) {
  return invalid_argument("malformed claim '" + quote(text) + "' at position " +
                          std::to_string(char_position(text, offset)) + ": " + std::string(what));
}

// The claim types whose value is a security identifier by definition.
bool holds_sid(ClaimType t) {
  switch (t) {
    case ClaimType::kGroupSid:
    case ClaimType::kPrimarySid:
    case ClaimType::kPrimaryGroupSid:
    case ClaimType::kDenyOnlySid:
    case ClaimType::kSid:
    case ClaimType::kProcessIdentitySid:
      return true;
    default:
      return false;
  }
}

// DOMAIN\user: what Windows authentication puts into a logon name claim.
Status check_windows_logon(std::string_view text, size_t value_at) {
  std::string_view v = text.substr(value_at);
  size_t slash = v.find('\\');
  if (slash == std::string_view::npos) {
    return refuse(text, value_at,
                  "a windows logon name must be DOMAIN\\user, got '" + quote(v) + "'");
  }
  if (slash == 0) {
    return refuse(text, value_at,
                  "expected the domain before '\\' (a windows logon name is DOMAIN\\user)");
  }
  if (slash + 1 == v.size()) {
    return refuse(text, value_at + slash + 1, "expected the user name after '\\', got the end");
  }
  if (size_t second = v.find('\\', slash + 1); second != std::string_view::npos) {
    return refuse(text, value_at + second,
                  "a windows logon name has one '\\' (DOMAIN\\user), got a second one");
  }
  return Status::ok();
}

// S-1-<authority>[-<subauthority>...]. SharePoint writes windows group SIDs in lower case
// too (c:0+.w|s-1-5-21-...), so both cases of the 'S' are accepted and kept.
Status check_sid(std::string_view text, size_t value_at, ClaimType type) {
  std::string_view v = text.substr(value_at);
  if (!v.starts_with("S-1-") && !v.starts_with("s-1-")) {
    return refuse(text, value_at,
                  "a " + std::string(claim_type_name(type)) +
                      " must look like S-1-5-21-..., got '" + quote(v) + "'");
  }
  for (size_t i = 4;; ++i) {
    size_t start = i;
    while (i < v.size() && is_digit(v[i])) ++i;
    if (i == start) {
      return refuse(text, value_at + i,
                    "expected a number in the SID, got " + describe(text, value_at + i));
    }
    if (i == v.size()) return Status::ok();
    if (v[i] != '-') {
      return refuse(text, value_at + i,
                    "expected a digit or '-' in the SID, got " + describe(text, value_at + i));
    }
  }
}

}  // namespace

std::span<const ClaimCode<ClaimType>> claim_type_codes() { return kClaimTypes; }
std::span<const ClaimCode<ClaimValueType>> claim_value_type_codes() { return kValueTypes; }
std::span<const ClaimCode<IssuerType>> issuer_type_codes() { return kIssuers; }

std::string_view identity_kind_name(IdentityKind kind) {
  return kind == IdentityKind::kIdentity ? "identity claim" : "other claim";
}
std::string_view claim_type_name(ClaimType type) { return name_of(claim_type_codes(), type); }
std::string_view claim_value_type_name(ClaimValueType type) {
  return name_of(claim_value_type_codes(), type);
}
std::string_view issuer_type_name(IssuerType issuer) {
  return name_of(issuer_type_codes(), issuer);
}

bool issuer_has_original_issuer(IssuerType issuer) {
  return issuer != IssuerType::kWindows && issuer != IssuerType::kLocalSts;
}

bool looks_like_claim(std::string_view text) {
  if (text.size() < 2 || text[1] != ':') return false;
  char c = text[0];
  return c == 'i' || c == 'c' || c == 'I' || c == 'C';
}

Result<Claim> parse_claim(std::string_view text) {
  Claim c;

  if (text.empty() || (text[0] != 'i' && text[0] != 'c')) {
    std::string what =
        "expected 'i' (identity claim) or 'c' (other claim), got " + describe(text, 0);
    if (!text.empty() && (text[0] == 'I' || text[0] == 'C')) what += " (claims are lower case)";
    return refuse(text, 0, what);
  }
  c.kind = text[0] == 'i' ? IdentityKind::kIdentity : IdentityKind::kClaim;
  if (text.size() < 2 || text[1] != ':') {
    return refuse(text, 1, "expected ':', got " + describe(text, 1));
  }
  if (text.size() < 3 || text[2] != '0') {
    return refuse(text, 2, "expected '0' (reserved), got " + describe(text, 2));
  }

  if (text.size() < 4) return refuse(text, 3, "expected a claim type, got the end");
  const auto* type = row_for_code(claim_type_codes(), text[3]);
  if (!type) {
    // Non-ASCII codes are the ones a farm assigns to custom claim types (U+01F5 and up).
    std::string custom = static_cast<unsigned char>(text[3]) >= 0x80
                             ? "a custom claim type, whose encoding differs from farm to farm; "
                             : "";
    return refuse(text, 3,
                  "unknown claim type " + describe(text, 3) + " (" + custom + "expected one of " +
                      code_list(claim_type_codes()) + ")");
  }
  c.claim_type = type->value;

  if (text.size() < 5) return refuse(text, 4, "expected a claim value type, got the end");
  const auto* value_type = row_for_code(claim_value_type_codes(), text[4]);
  if (!value_type) {
    return refuse(text, 4,
                  "unknown claim value type " + describe(text, 4) + " (expected one of " +
                      code_list(claim_value_type_codes()) + ")");
  }
  c.value_type = value_type->value;

  if (text.size() < 6) return refuse(text, 5, "expected an issuer type, got the end");
  const auto* issuer = row_for_code(issuer_type_codes(), text[5]);
  if (!issuer) {
    return refuse(text, 5,
                  "unknown issuer type " + describe(text, 5) + " (expected one of " +
                      code_list(issuer_type_codes()) + ")");
  }
  c.issuer = issuer->value;

  if (text.size() < kPrefixSize || text[6] != '|') {
    return refuse(text, 6, "expected '|' after the issuer type, got " + describe(text, 6));
  }

  // The prefix is ASCII; checking the rest now keeps every later position exact.
  if (size_t bad = invalid_utf8_offset(text); bad != std::string_view::npos) {
    return refuse(text, bad, "invalid UTF-8");
  }
  for (size_t i = kPrefixSize; i < text.size(); ++i) {
    if (is_control(text[i])) {
      return refuse(text, i, "control character " + describe(text, i) + " is not allowed");
    }
  }

  size_t value_at = kPrefixSize;
  if (issuer_has_original_issuer(c.issuer)) {
    if (text.size() == kPrefixSize) {
      return refuse(text, kPrefixSize, "expected the original issuer name, got the end");
    }
    size_t bar = text.find('|', kPrefixSize);
    if (bar == kPrefixSize) {
      return refuse(text, kPrefixSize, "expected the original issuer name, got '|'");
    }
    if (bar == std::string_view::npos) {
      return refuse(text, text.size(),
                    "expected '|' and the claim value after the original issuer name, got the "
                    "end (" +
                        std::string(issuer->name) + " claims are <original issuer>|<value>)");
    }
    std::string_view original = text.substr(kPrefixSize, bar - kPrefixSize);
    if (original.front() == ' ') {
      return refuse(text, kPrefixSize, "the original issuer name must not start with a space");
    }
    if (original.back() == ' ') {
      return refuse(text, bar - 1, "the original issuer name must not end with a space");
    }
    c.original_issuer = std::string(original);
    value_at = bar + 1;
  }

  std::string_view value = text.substr(value_at);
  if (value.empty()) return refuse(text, value_at, "expected the claim value, got the end");
  if (value.front() == ' ') {
    return refuse(text, value_at, "the claim value must not start with a space");
  }
  if (value.back() == ' ') {
    return refuse(text, text.size() - 1, "the claim value must not end with a space");
  }
  if (c.claim_type == ClaimType::kLogonName && c.issuer == IssuerType::kWindows) {
    UPSYNC_RETURN_IF_ERROR(check_windows_logon(text, value_at));
  }
  if (holds_sid(c.claim_type)) UPSYNC_RETURN_IF_ERROR(check_sid(text, value_at, c.claim_type));
  c.value = std::string(value);
  return c;
}

std::string format_claim(const Claim& claim) {
  std::string s;
  s += claim.kind == IdentityKind::kIdentity ? 'i' : 'c';
  s += ":0";
  s += code_of(claim_type_codes(), claim.claim_type);
  s += code_of(claim_value_type_codes(), claim.value_type);
  s += code_of(issuer_type_codes(), claim.issuer);
  s += '|';
  if (issuer_has_original_issuer(claim.issuer)) {
    s += claim.original_issuer;
    s += '|';
  }
  s += claim.value;
  return s;
}

Status validate_claim(const Claim& claim) {
  std::string text = format_claim(claim);
  if (!issuer_has_original_issuer(claim.issuer) && !claim.original_issuer.empty()) {
    return invalid_argument(
        "malformed claim '" + quote(text) + "': " + std::string(issuer_type_name(claim.issuer)) +
        " claims carry no original issuer name, got '" + quote(claim.original_issuer) + "'");
  }
  // parse_claim() would split such a name at its '|' and read back a different claim.
  if (issuer_has_original_issuer(claim.issuer)) {
    if (size_t bar = claim.original_issuer.find('|'); bar != std::string::npos) {
      return refuse(text, kPrefixSize + bar, "the original issuer name must not contain '|'");
    }
  }
  return parse_claim(text).status();
}

Claim membership_user(std::string_view upn) {
  Claim c;
  c.original_issuer = "membership";
  c.value = std::string(upn);
  return c;
}

Claim windows_user(std::string_view domain_user) {
  Claim c;
  c.issuer = IssuerType::kWindows;
  c.value = std::string(domain_user);
  return c;
}

Claim windows_group(std::string_view sid) {
  Claim c;
  c.kind = IdentityKind::kClaim;
  c.claim_type = ClaimType::kGroupSid;
  c.issuer = IssuerType::kWindows;
  c.value = std::string(sid);
  return c;
}

}  // namespace upsync
