// Claims encoding: every code of the tables, round trips, and malformed claims.
#include "core/claims.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace upsync {
namespace {

// ---------------------------------------------------------------------------------------
// The tables.

TEST(ClaimsTest, ClaimTypeTableHasOneRowPerEnumeratorAndUniqueCodes) {
  std::set<char> codes;
  std::set<std::string_view> names;
  int i = 0;
  for (const auto& row : claim_type_codes()) {
    SCOPED_TRACE(std::string(1, row.code));
    // Rows are in enumerator order, so every enumerator has exactly one row.
    EXPECT_EQ(static_cast<int>(row.value), i++);
    EXPECT_TRUE(codes.insert(row.code).second);
    EXPECT_TRUE(names.insert(row.name).second);
    EXPECT_FALSE(row.name.empty());
    EXPECT_GT(row.code, ' ');
    EXPECT_LT(row.code, 0x7F);
    EXPECT_NE(row.code, '|');
    EXPECT_EQ(claim_type_name(row.value), row.name);
  }
  EXPECT_EQ(i, static_cast<int>(ClaimType::kTenantGroup) + 1);
  // Microsoft's '!'..'g' table (42 codes) and SharePoint Online's 'o' and 't'.
  EXPECT_EQ(codes.size(), 44u);
}

TEST(ClaimsTest, ClaimTypeTableHoldsEverySeedCode) {
  // Seed 001: "# stands for Logon, 5 for e-mail, - for role, + for group, % for farm and !
  // for identity provider".
  const std::vector<std::pair<char, ClaimType>> seed = {
      {'#', ClaimType::kLogonName}, {'5', ClaimType::kEmail},  {'-', ClaimType::kRole},
      {'+', ClaimType::kGroupSid},  {'%', ClaimType::kFarmId}, {'!', ClaimType::kIdentityProvider},
  };
  for (const auto& [code, type] : seed) {
    SCOPED_TRACE(std::string(1, code));
    bool found = false;
    for (const auto& row : claim_type_codes()) {
      if (row.code == code) {
        found = true;
        EXPECT_EQ(row.value, type);
      }
    }
    EXPECT_TRUE(found);
  }
}

TEST(ClaimsTest, ValueTypeTableHasOneRowPerEnumerator) {
  std::set<char> codes;
  int i = 0;
  for (const auto& row : claim_value_type_codes()) {
    EXPECT_EQ(static_cast<int>(row.value), i++);
    EXPECT_TRUE(codes.insert(row.code).second) << row.code;
    EXPECT_EQ(claim_value_type_name(row.value), row.name);
  }
  EXPECT_EQ(i, static_cast<int>(ClaimValueType::kYearMonthDuration) + 1);
  EXPECT_EQ(codes, std::set<char>({'!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', '-', '.',
                                   '/', '0', '1'}));
  EXPECT_EQ(claim_value_type_name(ClaimValueType::kString), "string");
}

TEST(ClaimsTest, IssuerTableIsSeed001s) {
  // Seed 001: "w = windows, s = local STS, m = membership, r = role, t = trusted STS,
  // p = personal, c = claim provider, f = forms".
  const std::vector<std::pair<char, std::string_view>> seed = {
      {'w', "windows"},     {'s', "local STS"}, {'m', "membership"},     {'r', "role"},
      {'t', "trusted STS"}, {'p', "personal"},  {'c', "claim provider"}, {'f', "forms"},
  };
  auto table = issuer_type_codes();
  ASSERT_EQ(table.size(), seed.size());
  for (size_t i = 0; i < seed.size(); ++i) {
    EXPECT_EQ(table[i].code, seed[i].first);
    EXPECT_EQ(table[i].name, seed[i].second);
    EXPECT_EQ(issuer_type_name(table[i].value), seed[i].second);
    EXPECT_EQ(issuer_has_original_issuer(table[i].value),
              seed[i].first != 'w' && seed[i].first != 's');
  }
}

TEST(ClaimsTest, Names) {
  EXPECT_EQ(identity_kind_name(IdentityKind::kIdentity), "identity claim");
  EXPECT_EQ(identity_kind_name(IdentityKind::kClaim), "other claim");
  EXPECT_EQ(claim_type_name(ClaimType::kLogonName), "logon name");
  EXPECT_EQ(claim_type_name(ClaimType::kGroupSid), "group SID");
  EXPECT_EQ(issuer_type_name(IssuerType::kForms), "forms");
}

// Every claim type with every issuer, and every value type, parse and format back.
TEST(ClaimsTest, EveryCodeOfTheTablesRoundTrips) {
  for (const auto& t : claim_type_codes()) {
    for (const auto& i : issuer_type_codes()) {
      Claim c;
      c.kind = IdentityKind::kClaim;
      c.claim_type = t.value;
      c.issuer = i.value;
      c.original_issuer = issuer_has_original_issuer(i.value) ? "provider" : "";
      // A SID satisfies every claim type but a windows logon name.
      c.value = t.value == ClaimType::kLogonName && i.value == IssuerType::kWindows
                    ? "contoso\\bob"
                    : "S-1-5-32-544";
      std::string text = format_claim(c);
      SCOPED_TRACE(text);
      EXPECT_EQ(text.substr(0, 7), std::string("c:0") + t.code + "." + i.code + "|");
      auto parsed = parse_claim(text);
      ASSERT_TRUE(parsed) << parsed.status().to_string();
      EXPECT_EQ(*parsed, c);
      EXPECT_TRUE(validate_claim(c).is_ok());
    }
  }
  for (const auto& v : claim_value_type_codes()) {
    std::string text = std::string("i:0#") + v.code + "f|membership|bob@contoso.com";
    SCOPED_TRACE(text);
    auto parsed = parse_claim(text);
    ASSERT_TRUE(parsed) << parsed.status().to_string();
    EXPECT_EQ(parsed->value_type, v.value);
    EXPECT_EQ(format_claim(*parsed), text);
  }
}

// ---------------------------------------------------------------------------------------
// Known claims, one row per code of seed 001's table at least.

struct Known {
  const char* text;
  IdentityKind kind;
  ClaimType type;
  IssuerType issuer;
  const char* original_issuer;
  const char* value;
};

const Known kKnown[] = {
    // Seed 001's own example (#, f).
    {"i:0#.f|membership|m.smith@o365demo2015.onmicrosoft.com", IdentityKind::kIdentity,
     ClaimType::kLogonName, IssuerType::kForms, "membership",
     "m.smith@o365demo2015.onmicrosoft.com"},
    // TechNet wiki "claims encoding" examples: windows user (#, w), all authenticated windows
    // users (!, s), SAML user (5, t), forms user, an AD group with a lower-case SID (+, w).
    {"i:0#.w|contoso\\chris", IdentityKind::kIdentity, ClaimType::kLogonName, IssuerType::kWindows,
     "", "contoso\\chris"},
    {"c:0!.s|windows", IdentityKind::kClaim, ClaimType::kIdentityProvider, IssuerType::kLocalSts,
     "", "windows"},
    {"i:05.t|adfs|chris@contoso.com", IdentityKind::kIdentity, ClaimType::kEmail,
     IssuerType::kTrustedSts, "adfs", "chris@contoso.com"},
    {"i:0#.f|mymembershipprovider|chris", IdentityKind::kIdentity, ClaimType::kLogonName,
     IssuerType::kForms, "mymembershipprovider", "chris"},
    {"c:0+.w|s-1-2-34-1234567890-1234567890-1234567890-1234", IdentityKind::kClaim,
     ClaimType::kGroupSid, IssuerType::kWindows, "",
     "s-1-2-34-1234567890-1234567890-1234567890-1234"},
    {"c:0+.w|S-1-5-21-2127521184-1604012920-1887927527-513", IdentityKind::kClaim,
     ClaimType::kGroupSid, IssuerType::kWindows, "",
     "S-1-5-21-2127521184-1604012920-1887927527-513"},
    // "Everyone" (all authenticated users).
    {"c:0(.s|true", IdentityKind::kClaim, ClaimType::kIsAuthenticated, IssuerType::kLocalSts, "",
     "true"},
    // SharePoint Online's "Everyone except external users" (-, f), a Microsoft 365 group and
    // its owners (o, c), a directory security group (t, c).
    {"c:0-.f|rolemanager|spo-grid-all-users/046d11d6-08e0-4d20-a743-562836cdcab5",
     IdentityKind::kClaim, ClaimType::kRole, IssuerType::kForms, "rolemanager",
     "spo-grid-all-users/046d11d6-08e0-4d20-a743-562836cdcab5"},
    {"c:0o.c|federateddirectoryclaimprovider|27ae47f1-48f1-46f3-980b-d3c1470e398d",
     IdentityKind::kClaim, ClaimType::kDirectoryGroup, IssuerType::kClaimProvider,
     "federateddirectoryclaimprovider", "27ae47f1-48f1-46f3-980b-d3c1470e398d"},
    {"c:0o.c|federateddirectoryclaimprovider|27ae47f1-48f1-46f3-980b-d3c1470e398d_o",
     IdentityKind::kClaim, ClaimType::kDirectoryGroup, IssuerType::kClaimProvider,
     "federateddirectoryclaimprovider", "27ae47f1-48f1-46f3-980b-d3c1470e398d_o"},
    {"c:0t.c|tenant|169fcebc-209a-44a3-ba31-a3e4a1fc3ed9", IdentityKind::kClaim,
     ClaimType::kTenantGroup, IssuerType::kClaimProvider, "tenant",
     "169fcebc-209a-44a3-ba31-a3e4a1fc3ed9"},
    // Constructed, for the codes no published example covers: farm ID (%), and the
    // membership (m), role (r) and personal (p) issuers.
    {"c:0%.s|3f2504e0-4f89-11d3-9a0c-0305e82c3301", IdentityKind::kClaim, ClaimType::kFarmId,
     IssuerType::kLocalSts, "", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
    {"i:0#.m|aspnetsqlmembershipprovider|bob", IdentityKind::kIdentity, ClaimType::kLogonName,
     IssuerType::kMembership, "aspnetsqlmembershipprovider", "bob"},
    {"c:0-.r|aspnetsqlroleprovider|editors", IdentityKind::kClaim, ClaimType::kRole,
     IssuerType::kRole, "aspnetsqlroleprovider", "editors"},
    {"i:0#.p|personal|bob", IdentityKind::kIdentity, ClaimType::kLogonName, IssuerType::kPersonal,
     "personal", "bob"},
    // Non-ASCII values; a '|' inside a value belongs to the value.
    {"i:0#.f|membership|jürgen@contoso.com", IdentityKind::kIdentity, ClaimType::kLogonName,
     IssuerType::kForms, "membership", "jürgen@contoso.com"},
    {"i:0#.w|CONTOSO\\jürgen", IdentityKind::kIdentity, ClaimType::kLogonName, IssuerType::kWindows,
     "", "CONTOSO\\jürgen"},
    {"i:0#.f|membership|a|b", IdentityKind::kIdentity, ClaimType::kLogonName, IssuerType::kForms,
     "membership", "a|b"},
};

TEST(ClaimsTest, ParsesKnownClaimsAndFormatsThemByteForByte) {
  for (const Known& k : kKnown) {
    SCOPED_TRACE(k.text);
    auto c = parse_claim(k.text);
    ASSERT_TRUE(c) << c.status().to_string();
    EXPECT_EQ(c->kind, k.kind);
    EXPECT_EQ(c->claim_type, k.type);
    EXPECT_EQ(c->value_type, ClaimValueType::kString);
    EXPECT_EQ(c->issuer, k.issuer);
    EXPECT_EQ(c->original_issuer, k.original_issuer);
    EXPECT_EQ(c->value, k.value);
    EXPECT_EQ(format_claim(*c), k.text);
    EXPECT_TRUE(validate_claim(*c).is_ok());
    EXPECT_TRUE(looks_like_claim(k.text));
  }
}

TEST(ClaimsTest, KnownClaimsCoverEverySeedCode) {
  std::set<char> types, issuers;
  for (const Known& k : kKnown) {
    types.insert(k.text[3]);
    issuers.insert(k.text[5]);
  }
  for (char c : std::string("#5-+%!")) EXPECT_TRUE(types.count(c)) << c;
  for (char c : std::string("wsmrtpcf")) EXPECT_TRUE(issuers.count(c)) << c;
}

// ---------------------------------------------------------------------------------------
// Malformed claims: each names the 1-based character position and what was expected.

struct Malformed {
  std::string text;
  int position;
  const char* message;  // what follows "at position N: "
};

const std::vector<Malformed>& malformed() {
  static const std::vector<Malformed> rows = {
      // Position 1: the kind, case-sensitive, no leading space.
      {"", 1, "expected 'i' (identity claim) or 'c' (other claim), got the end"},
      {"x", 1, "expected 'i' (identity claim) or 'c' (other claim), got 'x'"},
      {"bob@contoso.com", 1, "expected 'i' (identity claim) or 'c' (other claim), got 'b'"},
      {"I:0#.f|membership|bob@contoso.com", 1,
       "expected 'i' (identity claim) or 'c' (other claim), got 'I' (claims are lower case)"},
      {"C:0+.w|S-1-5-32-544", 1,
       "expected 'i' (identity claim) or 'c' (other claim), got 'C' (claims are lower case)"},
      {" i:0#.f|membership|bob@contoso.com", 1,
       "expected 'i' (identity claim) or 'c' (other claim), got ' '"},
      // Positions 2 and 3: ':' and the reserved '0'.
      {"i", 2, "expected ':', got the end"},
      {"i;0#.f|membership|bob", 2, "expected ':', got ';'"},
      {"i:", 3, "expected '0' (reserved), got the end"},
      {"i:1#.f|membership|bob", 3, "expected '0' (reserved), got '1'"},
      // Position 4: the claim type. 'h' has a single source and is left out; 'ǵ' is the first
      // code a farm gives a custom claim type (TechNet's "custom ADFS claim provider" example).
      {"i:0", 4, "expected a claim type, got the end"},
      {"i:0Z.f|membership|bob", 4, "unknown claim type 'Z' (expected one of !, \", #, $, %, &, '"},
      {"i:0h.f|membership|bob", 4, "unknown claim type 'h' (expected one of"},
      {"i:0ǵ.t|custom-adfs|First.Last", 4,
       "unknown claim type 'ǵ' (a custom claim type, whose encoding differs from farm to farm; "
       "expected one of"},
      {"i:0\n.f|membership|bob", 4, "unknown claim type '\\x0A'"},
      // Position 5: the value type.
      {"i:0#", 5, "expected a claim value type, got the end"},
      {"i:0#x|membership|bob", 5,
       "unknown claim value type 'x' (expected one of !, \", #, $, %, &, ', (, ), *, +, -, ., /, "
       "0, 1)"},
      // Position 6: the issuer type.
      {"i:0#.", 6, "expected an issuer type, got the end"},
      {"i:0#.F|membership|bob", 6,
       "unknown issuer type 'F' (expected one of w, s, m, r, t, p, c, f)"},
      // Position 7: the '|' after the prefix. Seed 002 shows the account name with markdown's
      // escaped bars, which is not a claim.
      {"i:0#.f", 7, "expected '|' after the issuer type, got the end"},
      {"i:0#.f:membership|bob", 7, "expected '|' after the issuer type, got ':'"},
      {"i:0#.f<|>membership<|>gherrera@contoso.com", 7,
       "expected '|' after the issuer type, got '<'"},
      // The original issuer.
      {"i:0#.f|", 8, "expected the original issuer name, got the end"},
      {"i:0#.f||bob", 8, "expected the original issuer name, got '|'"},
      {"i:0#.f|bob@contoso.com", 23,
       "expected '|' and the claim value after the original issuer name, got the end (forms "
       "claims are <original issuer>|<value>)"},
      {"i:0#.f| membership|bob", 8, "the original issuer name must not start with a space"},
      {"i:0#.f|membership |bob", 18, "the original issuer name must not end with a space"},
      // The value: present, no surrounding spaces, no control characters, valid UTF-8.
      {"i:0#.f|membership|", 19, "expected the claim value, got the end"},
      {"i:0#.w|", 8, "expected the claim value, got the end"},
      {"c:0!.s|", 8, "expected the claim value, got the end"},
      {"i:0#.f|membership| bob@contoso.com", 19, "the claim value must not start with a space"},
      {"i:0#.f|membership|bob@contoso.com ", 34, "the claim value must not end with a space"},
      {"i:0#.w|contoso\\bob ", 19, "the claim value must not end with a space"},
      {"i:0#.f|membership|bob\n", 22, "control character '\\x0A' is not allowed"},
      {"i:0#.f|membership|bob\r\n", 22, "control character '\\x0D' is not allowed"},
      {"i:0#.f|membership|b\tob", 20, "control character '\\x09' is not allowed"},
      {std::string("i:0#.f|membership|b\0b", 21), 20, "control character '\\x00' is not allowed"},
      {"i:0#.f|membership|b\x7F", 20, "control character '\\x7F' is not allowed"},
      {"i:0#.f|mem\x01ship|bob", 11, "control character '\\x01' is not allowed"},
      {"i:0#.f|membership|b\xC3\x28", 20, "invalid UTF-8"},
      {"i:0#.f|membership|\xFF", 19, "invalid UTF-8"},
      // Positions count characters: 'ü' is two bytes but one position.
      {"i:0#.f|membership|jürgen@contoso.com ", 37, "the claim value must not end with a space"},
      // A windows logon name is DOMAIN\user.
      {"i:0#.w|bob", 8, "a windows logon name must be DOMAIN\\user, got 'bob'"},
      {"i:0#.w|bob@contoso.com", 8, "a windows logon name must be DOMAIN\\user"},
      {"i:0#.w|\\bob", 8, "expected the domain before '\\' (a windows logon name is DOMAIN\\user)"},
      {"i:0#.w|contoso\\", 16, "expected the user name after '\\', got the end"},
      {"i:0#.w|contoso\\bob\\x", 19,
       "a windows logon name has one '\\' (DOMAIN\\user), got a second one"},
      // A SID-typed value is S-1-<n>[-<n>...], whatever the issuer.
      {"c:0+.w|admins", 8, "a group SID must look like S-1-5-21-..., got 'admins'"},
      {"c:0+.t|adfs|editors", 13, "a group SID must look like S-1-5-21-..., got 'editors'"},
      {"c:0).w|S-2-5-21", 8, "a primary SID must look like S-1-5-21-..., got 'S-2-5-21'"},
      {"c:0+.w|S-1-", 12, "expected a number in the SID, got the end"},
      {"c:0+.w|S-1-5-x", 14, "expected a number in the SID, got 'x'"},
      {"c:0+.w|S-1-5-21-", 17, "expected a number in the SID, got the end"},
      {"c:0+.w|S-1-5--1", 14, "expected a number in the SID, got '-'"},
      {"c:0+.w|S-1-5x", 13, "expected a digit or '-' in the SID, got 'x'"},
  };
  return rows;
}

TEST(ClaimsTest, RefusesMalformedClaimsSayingWhereAndWhat) {
  for (const Malformed& m : malformed()) {
    SCOPED_TRACE(m.text);
    auto c = parse_claim(m.text);
    ASSERT_FALSE(c) << "accepted as " << format_claim(*c);
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    const std::string& msg = c.status().message();
    EXPECT_EQ(msg.rfind("malformed claim '", 0), 0u) << msg;
    std::string expected = "at position " + std::to_string(m.position) + ": " + m.message;
    EXPECT_NE(msg.find(expected), std::string::npos) << msg << "\nexpected: " << expected;
  }
}

TEST(ClaimsTest, WholeMessageForAnUnknownIssuer) {
  auto c = parse_claim("i:0#.x|membership|a");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.status().message(),
            "malformed claim 'i:0#.x|membership|a' at position 6: unknown issuer type 'x' "
            "(expected one of w, s, m, r, t, p, c, f)");
}

TEST(ClaimsTest, MessagesQuoteTheInputPrintably) {
  auto c = parse_claim("i:0#.f|membership|b\xC3\x28\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.status().message(),
            "malformed claim 'i:0#.f|membership|b\\xC3(\\x0A' at position 20: invalid UTF-8");
  auto long_claim = parse_claim("i:0#.w|" + std::string(200, 'x'));
  ASSERT_FALSE(long_claim);
  EXPECT_NE(long_claim.status().message().find("...' at position 8: a windows logon name"),
            std::string::npos)
      << long_claim.status().message();
}

// ---------------------------------------------------------------------------------------
// Builders, validate_claim, looks_like_claim.

TEST(ClaimsTest, Builders) {
  EXPECT_EQ(format_claim(membership_user("bob@contoso.com")), "i:0#.f|membership|bob@contoso.com");
  EXPECT_EQ(format_claim(windows_user("CONTOSO\\bob")), "i:0#.w|CONTOSO\\bob");
  EXPECT_EQ(format_claim(windows_group("S-1-5-21-1-2-3-513")), "c:0+.w|S-1-5-21-1-2-3-513");
  EXPECT_TRUE(validate_claim(membership_user("bob@contoso.com")).is_ok());
  EXPECT_TRUE(validate_claim(windows_user("CONTOSO\\bob")).is_ok());
  EXPECT_TRUE(validate_claim(windows_group("S-1-5-21-1-2-3-513")).is_ok());
  EXPECT_EQ(*parse_claim("i:0#.f|membership|bob@contoso.com"), membership_user("bob@contoso.com"));
}

TEST(ClaimsTest, ValidateClaimRefusesWhatFormatCannotCarry) {
  Status empty = validate_claim(membership_user(""));
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.message().find("at position 19: expected the claim value, got the end"),
            std::string::npos)
      << empty.message();

  Status no_domain = validate_claim(windows_user("bob"));
  EXPECT_NE(no_domain.message().find("at position 8: a windows logon name must be DOMAIN\\user"),
            std::string::npos)
      << no_domain.message();

  Status not_a_sid = validate_claim(windows_group("Domain Admins"));
  EXPECT_NE(not_a_sid.message().find("at position 8: a group SID must look like"),
            std::string::npos)
      << not_a_sid.message();

  Claim bar_in_issuer = membership_user("bob");
  bar_in_issuer.original_issuer = "member|ship";
  Status bar = validate_claim(bar_in_issuer);
  EXPECT_EQ(bar.message(),
            "malformed claim 'i:0#.f|member|ship|bob' at position 14: the original issuer name "
            "must not contain '|'");

  Claim windows_with_issuer = windows_user("CONTOSO\\bob");
  windows_with_issuer.original_issuer = "ad";
  Status extra = validate_claim(windows_with_issuer);
  EXPECT_EQ(extra.message(),
            "malformed claim 'i:0#.w|CONTOSO\\bob': windows claims carry no original issuer "
            "name, got 'ad'");
}

TEST(ClaimsTest, LooksLikeClaim) {
  EXPECT_TRUE(looks_like_claim("i:0#.f|membership|x"));
  EXPECT_TRUE(looks_like_claim("c:0+.w|S-1"));
  // Meant as claims, so that parse_claim() can say what is wrong with them.
  EXPECT_TRUE(looks_like_claim("I:0#.f|membership|x"));
  EXPECT_TRUE(looks_like_claim("i:"));
  EXPECT_FALSE(looks_like_claim(""));
  EXPECT_FALSE(looks_like_claim("i"));
  EXPECT_FALSE(looks_like_claim(" i:0#.f|membership|x"));
  EXPECT_FALSE(looks_like_claim("bob@contoso.com"));
  EXPECT_FALSE(looks_like_claim("CONTOSO\\bob"));
  EXPECT_FALSE(looks_like_claim("x:0#.f|membership|x"));
}

// ---------------------------------------------------------------------------------------
// No input crashes the parser, and whatever it accepts formats back to the same bytes.

void expect_sane(const std::string& text) {
  auto c = parse_claim(text);
  if (c) {
    EXPECT_EQ(format_claim(*c), text);
    EXPECT_TRUE(validate_claim(*c).is_ok()) << text;
  } else {
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(c.status().message().rfind("malformed claim '", 0), 0u);
    EXPECT_NE(c.status().message().find("' at position "), std::string::npos);
  }
}

TEST(ClaimsTest, NeverCrashesOnPrefixesOrSingleByteChanges) {
  static const char kBytes[] = "\0\x01\x7F\x80\xC3\xFF |\\:.-0iIcSs";
  const std::string bytes(kBytes, sizeof kBytes - 1);
  for (const Known& k : kKnown) {
    const std::string full = k.text;
    for (size_t n = 0; n <= full.size(); ++n) expect_sane(full.substr(0, n));
    for (size_t i = 0; i < full.size(); ++i) {
      for (char b : bytes) {
        std::string changed = full;
        changed[i] = b;
        expect_sane(changed);
        expect_sane(full.substr(0, i) + b + full.substr(i));  // inserted
      }
      expect_sane(full.substr(0, i) + full.substr(i + 1));  // deleted
    }
  }
}

TEST(ClaimsTest, NeverCrashesOnRandomInput) {
  std::mt19937 rng(20240601);
  const std::string alphabet = "ic:0#5-+%!(.wsmrtpcf|\\S1 a\xC3\xBC";
  std::uniform_int_distribution<size_t> length(0, 24);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> any_byte(0, 255);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    size_t n = length(rng);
    for (size_t i = 0; i < n; ++i) {
      text += round % 4 == 0 ? static_cast<char>(any_byte(rng)) : alphabet[pick(rng)];
    }
    expect_sane(text);
  }
}

}  // namespace
}  // namespace upsync
