#include "core/claims.h"

#include <array>

#include "core/text.h"

namespace upsync {
namespace {

constexpr std::array<ClaimCode<ClaimType>, 19> kClaimTypes = {{
    {'!', ClaimType::kIdentityProvider, "identity provider"},
    {'"', ClaimType::kUserIdentifier, "user identifier"},
    {'#', ClaimType::kLogonName, "logon name"},
    {'$', ClaimType::kDistributionList, "distribution list"},
    {'%', ClaimType::kFarm, "farm"},
    {'&', ClaimType::kProcessIdentitySid, "process identity SID"},
    {'\'', ClaimType::kProcessIdentityLogonName, "process identity logon name"},
    {'(', ClaimType::kIsAuthenticated, "is authenticated"},
    {')', ClaimType::kPrimarySid, "primary SID"},
    {'*', ClaimType::kPrimaryGroupSid, "primary group SID"},
    {'+', ClaimType::kGroup, "group SID"},
    {'-', ClaimType::kRole, "role"},
    {'5', ClaimType::kEmail, "e-mail"},
    {'e', ClaimType::kUpn, "UPN"},
    {'>', ClaimType::kName, "name"},
    {'?', ClaimType::kNameIdentifier, "name identifier"},
    {'^', ClaimType::kSid, "SID"},
    {'o', ClaimType::kObjectId, "object id"},
    {'t', ClaimType::kTenant, "tenant"},
}};

constexpr std::array<ClaimCode<ClaimValueType>, 1> kValueTypes = {{
    {'.', ClaimValueType::kString, "string"},
}};

constexpr std::array<ClaimCode<IssuerType>, 8> kIssuers = {{
    {'w', IssuerType::kWindows, "windows"},
    {'s', IssuerType::kLocalSts, "local STS"},
    {'m', IssuerType::kMembership, "membership"},
    {'r', IssuerType::kRole, "role"},
    {'t', IssuerType::kTrustedSts, "trusted STS"},
    {'p', IssuerType::kPersonal, "personal"},
    {'c', IssuerType::kClaimProvider, "claim provider"},
    {'f', IssuerType::kForms, "forms"},
}};

template <typename E, size_t N>
const ClaimCode<E>* by_code(const std::array<ClaimCode<E>, N>& table, char c) {
  for (const auto& row : table) {
    if (row.code == c) return &row;
  }
  return nullptr;
}

template <typename E, size_t N>
char code_of(const std::array<ClaimCode<E>, N>& table, E v) {
  for (const auto& row : table) {
    if (row.value == v) return row.code;
  }
  return '?';
}

template <typename E, size_t N>
std::string code_list(const std::array<ClaimCode<E>, N>& table) {
  std::string s;
  for (const auto& row : table) {
    if (!s.empty()) s += ", ";
    s += row.code;
  }
  return s;
}

std::string describe(char c) {
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return quote_for_message({&c, 1});
  return std::string(1, c);
}

}  // namespace

std::span<const ClaimCode<ClaimType>> claim_type_codes() { return kClaimTypes; }
std::span<const ClaimCode<ClaimValueType>> claim_value_type_codes() { return kValueTypes; }
std::span<const ClaimCode<IssuerType>> issuer_type_codes() { return kIssuers; }

bool issuer_has_original_issuer(IssuerType issuer) {
  return issuer != IssuerType::kWindows && issuer != IssuerType::kLocalSts;
}

bool looks_like_claim(std::string_view text) {
  return text.size() >= 2 && (text[0] == 'i' || text[0] == 'c') && text[1] == ':';
}

Result<Claim> parse_claim(std::string_view text) {
  auto fail = [&](size_t pos, const std::string& what) -> Status {
    return invalid_argument("malformed claim '" + quote_for_message(text) + "' at position " +
                            std::to_string(pos + 1) + ": " + what);
  };
  // Reads the character at `pos`, or fails with "expected ..., got the end".
  auto at = [&](size_t pos) -> int { return pos < text.size() ? text[pos] : -1; };
  auto got = [&](size_t pos) {
    return pos < text.size() ? "'" + describe(text[pos]) + "'" : std::string("the end");
  };

  Claim c;
  if (at(0) == 'i') {
    c.kind = IdentityKind::kIdentity;
  } else if (at(0) == 'c') {
    c.kind = IdentityKind::kClaim;
  } else {
    return fail(0, "expected 'i' (identity claim) or 'c' (other claim), got " + got(0));
  }
  if (at(1) != ':') return fail(1, "expected ':', got " + got(1));
  if (at(2) != '0') return fail(2, "expected '0' (reserved), got " + got(2));
  if (at(3) < 0) return fail(3, "expected a claim type, got the end");
  const auto* type = by_code(kClaimTypes, text[3]);
  if (!type) {
    return fail(
        3, "unknown claim type " + got(3) + " (expected one of " + code_list(kClaimTypes) + ")");
  }
  c.claim_type = type->value;
  if (at(4) < 0) return fail(4, "expected a claim value type, got the end");
  const auto* value_type = by_code(kValueTypes, text[4]);
  if (!value_type) {
    return fail(4, "unknown claim value type " + got(4) + " (expected one of " +
                       code_list(kValueTypes) + ")");
  }
  c.value_type = value_type->value;
  if (at(5) < 0) return fail(5, "expected an issuer type, got the end");
  const auto* issuer = by_code(kIssuers, text[5]);
  if (!issuer) {
    return fail(5,
                "unknown issuer type " + got(5) + " (expected one of " + code_list(kIssuers) + ")");
  }
  c.issuer = issuer->value;
  if (at(6) != '|') return fail(6, "expected '|' after the issuer type, got " + got(6));

  size_t pos = 7;
  if (issuer_has_original_issuer(c.issuer)) {
    size_t bar = text.find('|', pos);
    if (bar == std::string_view::npos) {
      return fail(text.size(), "expected '|' after the original issuer name ('" +
                                   std::string(issuer->name) + "' claims are " +
                                   "<original issuer>|<value>), got the end");
    }
    if (bar == pos) return fail(pos, "expected the original issuer name, got '|'");
    c.original_issuer = std::string(text.substr(pos, bar - pos));
    pos = bar + 1;
  }
  if (pos >= text.size()) return fail(pos, "expected the claim value, got the end");
  for (size_t i = 0; i < text.size(); ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == 0x7F) return fail(i, "control character " + got(i) + " not allowed");
    if (text[i] == ' ' && (i + 1 == text.size() || i == pos)) {
      return fail(i, "the claim value must not start or end with a space");
    }
  }
  if (size_t bad = invalid_utf8_offset(text); bad != std::string_view::npos) {
    return fail(bad, "invalid UTF-8");
  }
  c.value = std::string(text.substr(pos));

  // Values whose form the claim type fixes.
  if (c.claim_type == ClaimType::kLogonName && c.issuer == IssuerType::kWindows) {
    size_t slash = c.value.find('\\');
    if (slash == std::string::npos || slash == 0 || slash + 1 == c.value.size()) {
      return fail(pos, "a windows logon name must be DOMAIN\\user, got '" +
                           quote_for_message(c.value) + "'");
    }
  }
  if ((c.claim_type == ClaimType::kGroup || c.claim_type == ClaimType::kPrimarySid ||
       c.claim_type == ClaimType::kPrimaryGroupSid) &&
      c.issuer == IssuerType::kWindows) {
    if (!c.value.starts_with("S-1-") || c.value.size() < 5) {
      return fail(pos,
                  "a SID must look like S-1-5-21-..., got '" + quote_for_message(c.value) + "'");
    }
    for (size_t i = 4; i < c.value.size(); ++i) {
      char ch = c.value[i];
      if (!((ch >= '0' && ch <= '9') || ch == '-')) {
        return fail(pos + i,
                    "a SID has only digits and '-' after 'S-1-', got '" + describe(ch) + "'");
      }
    }
  }
  return c;
}

std::string format_claim(const Claim& c) {
  std::string s;
  s += c.kind == IdentityKind::kIdentity ? 'i' : 'c';
  s += ":0";
  s += code_of(kClaimTypes, c.claim_type);
  s += code_of(kValueTypes, c.value_type);
  s += code_of(kIssuers, c.issuer);
  s += '|';
  if (issuer_has_original_issuer(c.issuer)) {
    s += c.original_issuer;
    s += '|';
  }
  s += c.value;
  return s;
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
  c.claim_type = ClaimType::kGroup;
  c.issuer = IssuerType::kWindows;
  c.value = std::string(sid);
  return c;
}

}  // namespace upsync
