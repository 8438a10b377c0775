// Claims encoding: every code of seed 001's table, round trips, and malformed claims.
#include "core/claims.h"

#include <gtest/gtest.h>

#include <set>

namespace upsync {
namespace {

struct RoundTrip {
  const char* text;
  IdentityKind kind;
  ClaimType type;
  IssuerType issuer;
  const char* original_issuer;
  const char* value;
};

// One row per code of seed 001's table ("#. is the claim type (# stands for Logon, 5 for
// e-mail, - for role, + for group, % for farm and ! for identity provider)"; "f is the issuer
// code of the token (w = windows, s = local STS, m = membership, r = role, t = trusted STS,
// p = personal, c = claim provider, f = forms)"), each round-tripping byte for byte.
const RoundTrip kSeed001[] = {
    // The seed's own example.
    {"i:0#.f|membership|m.smith@o365demo2015.onmicrosoft.com", IdentityKind::kIdentity,
     ClaimType::kLogonName, IssuerType::kForms, "membership",
     "m.smith@o365demo2015.onmicrosoft.com"},
    // Claim types.
    {"i:0#.w|contoso\\bob", IdentityKind::kIdentity, ClaimType::kLogonName, IssuerType::kWindows,
     "", "contoso\\bob"},
    {"i:05.t|adfs|bob@contoso.com", IdentityKind::kIdentity, ClaimType::kEmail,
     IssuerType::kTrustedSts, "adfs", "bob@contoso.com"},
    {"c:0-.f|rolemanager|admins", IdentityKind::kClaim, ClaimType::kRole, IssuerType::kForms,
     "rolemanager", "admins"},
    {"c:0+.w|S-1-5-21-2127521184-1604012920-1887927527-513", IdentityKind::kClaim,
     ClaimType::kGroup, IssuerType::kWindows, "", "S-1-5-21-2127521184-1604012920-1887927527-513"},
    {"c:0%.c|farm|farmid", IdentityKind::kClaim, ClaimType::kFarm, IssuerType::kClaimProvider,
     "farm", "farmid"},
    {"c:0!.s|windows", IdentityKind::kClaim, ClaimType::kIdentityProvider, IssuerType::kLocalSts,
     "", "windows"},
    // Issuer types.
    {"c:0(.s|true", IdentityKind::kClaim, ClaimType::kIsAuthenticated, IssuerType::kLocalSts, "",
     "true"},
    {"i:0#.m|aspnetsqlmembershipprovider|bob", IdentityKind::kIdentity, ClaimType::kLogonName,
     IssuerType::kMembership, "aspnetsqlmembershipprovider", "bob"},
    {"c:0-.r|aspnetsqlroleprovider|editors", IdentityKind::kClaim, ClaimType::kRole,
     IssuerType::kRole, "aspnetsqlroleprovider", "editors"},
    {"i:0#.p|personal|bob", IdentityKind::kIdentity, ClaimType::kLogonName, IssuerType::kPersonal,
     "personal", "bob"},
    {"c:0o.c|federateddirectoryclaimprovider|3f2504e0-4f89-11d3-9a0c-0305e82c3301",
     IdentityKind::kClaim, ClaimType::kObjectId, IssuerType::kClaimProvider,
     "federateddirectoryclaimprovider", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
};

TEST(ClaimsTest, ParsesAndFormatsEverySeedCode) {
  for (const RoundTrip& r : kSeed001) {
    SCOPED_TRACE(r.text);
    auto c = parse_claim(r.text);
    ASSERT_TRUE(c) << c.status().to_string();
    EXPECT_EQ(c->kind, r.kind);
    EXPECT_EQ(c->claim_type, r.type);
    EXPECT_EQ(c->value_type, ClaimValueType::kString);
    EXPECT_EQ(c->issuer, r.issuer);
    EXPECT_EQ(c->original_issuer, r.original_issuer);
    EXPECT_EQ(c->value, r.value);
    EXPECT_EQ(format_claim(*c), r.text);
  }
}

TEST(ClaimsTest, TheTablesHoldEverySeedCode) {
  std::set<char> types, issuers;
  for (const auto& row : claim_type_codes()) types.insert(row.code);
  for (const auto& row : issuer_type_codes()) issuers.insert(row.code);
  for (char c : std::string("#5-+%!")) EXPECT_TRUE(types.count(c)) << c;
  for (char c : std::string("wsmrtpcf")) EXPECT_TRUE(issuers.count(c)) << c;
  EXPECT_EQ(issuers.size(), 8u);
  // Every code of the tables parses: a round trip for each claim type and each issuer.
  for (const auto& t : claim_type_codes()) {
    for (const auto& i : issuer_type_codes()) {
      Claim c;
      c.kind = IdentityKind::kClaim;
      c.claim_type = t.value;
      c.issuer = i.value;
      c.original_issuer = issuer_has_original_issuer(i.value) ? "issuer" : "";
      c.value = (t.value == ClaimType::kLogonName && i.value == IssuerType::kWindows) ? "dom\\user"
                                                                                      : "S-1-5-32";
      auto parsed = parse_claim(format_claim(c));
      ASSERT_TRUE(parsed) << format_claim(c) << ": " << parsed.status().to_string();
      EXPECT_EQ(*parsed, c);
    }
  }
}

TEST(ClaimsTest, Builders) {
  EXPECT_EQ(format_claim(membership_user("bob@contoso.com")), "i:0#.f|membership|bob@contoso.com");
  EXPECT_EQ(format_claim(windows_user("CONTOSO\\bob")), "i:0#.w|CONTOSO\\bob");
  EXPECT_EQ(format_claim(windows_group("S-1-5-21-1-2-3-513")), "c:0+.w|S-1-5-21-1-2-3-513");
  EXPECT_TRUE(looks_like_claim("i:0#.f|membership|x"));
  EXPECT_TRUE(looks_like_claim("c:0+.w|S-1"));
  EXPECT_FALSE(looks_like_claim("bob@contoso.com"));
  EXPECT_FALSE(looks_like_claim("CONTOSO\\bob"));
}

struct Malformed {
  const char* text;
  const char* message;
};

const Malformed kMalformed[] = {
    {"",
     "malformed claim '' at position 1: expected 'i' (identity claim) or 'c' (other claim), "
     "got the end"},
    {"x",
     "malformed claim 'x' at position 1: expected 'i' (identity claim) or 'c' (other claim), "
     "got 'x'"},
    {"I:0#.f|membership|bob",
     "at position 1: expected 'i' (identity claim) or 'c' (other "
     "claim), got 'I'"},
    {"i", "at position 2: expected ':', got the end"},
    {"i;0#.f|membership|bob", "at position 2: expected ':', got ';'"},
    {"i:1#.f|membership|bob", "at position 3: expected '0' (reserved), got '1'"},
    {"i:0", "at position 4: expected a claim type, got the end"},
    {"i:0Z.f|membership|bob", "at position 4: unknown claim type 'Z' (expected one of !, \", #"},
    {"i:0#", "at position 5: expected a claim value type, got the end"},
    {"i:0#x|membership|bob", "at position 5: unknown claim value type 'x' (expected one of .)"},
    {"i:0#.", "at position 6: expected an issuer type, got the end"},
    {"i:0#.x|membership|bob",
     "at position 6: unknown issuer type 'x' (expected one of w, s, m, "
     "r, t, p, c, f)"},
    {"i:0#.f", "at position 7: expected '|' after the issuer type, got the end"},
    {"i:0#.f:membership|bob", "at position 7: expected '|' after the issuer type, got ':'"},
    {"i:0#.f|membership", "at position 18: expected '|' after the original issuer name"},
    {"i:0#.f||bob", "at position 8: expected the original issuer name, got '|'"},
    {"i:0#.f|membership|", "at position 19: expected the claim value, got the end"},
    {"i:0#.w|", "at position 8: expected the claim value, got the end"},
    {"i:0#.w|bob", "at position 8: a windows logon name must be DOMAIN\\user, got 'bob'"},
    {"i:0#.w|contoso\\", "a windows logon name must be DOMAIN\\user"},
    {"c:0+.w|admins", "at position 8: a SID must look like S-1-5-21-..., got 'admins'"},
    {"c:0+.w|S-1-5-x", "at position 14: a SID has only digits and '-' after 'S-1-', got 'x'"},
    {"i:0#.f|membership|bob\n", "at position 22: control character '\\x0A' not allowed"},
    {"i:0#.f|membership| bob",
     "at position 19: the claim value must not start or end with a "
     "space"},
    {"i:0#.f|membership|bob ",
     "at position 22: the claim value must not start or end with a "
     "space"},
    {"i:0#.f|membership|b\xC3\x28", "at position 20: invalid UTF-8"},
};

TEST(ClaimsTest, RefusesMalformedClaimsSayingWhereAndWhat) {
  for (const Malformed& m : kMalformed) {
    SCOPED_TRACE(m.text);
    auto c = parse_claim(m.text);
    ASSERT_FALSE(c) << "accepted as " << format_claim(*c);
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(m.message), std::string::npos) << c.status().message();
  }
}

TEST(ClaimsTest, NeverCrashesOnAnyPrefix) {
  const std::string full = "c:0+.w|S-1-5-21-2127521184-513";
  for (size_t n = 0; n < full.size(); ++n) {
    auto c = parse_claim(full.substr(0, n));
    if (c) {
      EXPECT_EQ(format_claim(*c), full.substr(0, n));
    }
  }
}

}  // namespace
}  // namespace upsync
