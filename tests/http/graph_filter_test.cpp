#include "http/graph_filter.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>

#include "core/text.h"

namespace upsync {
namespace {

const std::vector<FilterProperty> kProps = {
    {"id", FilterType::kString},          {"userPrincipalName", FilterType::kString},
    {"displayName", FilterType::kString}, {"mail", FilterType::kString},
    {"jobTitle", FilterType::kString},    {"accountEnabled", FilterType::kBool},
};

using User = std::map<std::string, std::string>;

bool matches(std::string_view filter, const User& user) {
  auto parsed = GraphFilter::parse(filter, kProps);
  if (auto* e = std::get_if<FilterError>(&parsed)) {
    ADD_FAILURE() << "'" << filter << "' did not parse: " << e->message << " at " << e->position;
    return false;
  }
  return std::get<GraphFilter>(parsed).matches(
      [&](std::string_view p) -> std::optional<std::string> {
        auto it = user.find(std::string(p));
        if (it == user.end()) return std::nullopt;
        return it->second;
      });
}

FilterError error_of(std::string_view filter) {
  auto parsed = GraphFilter::parse(filter, kProps);
  if (auto* e = std::get_if<FilterError>(&parsed)) return *e;
  ADD_FAILURE() << "'" << filter << "' parsed but should not have";
  return {};
}

const User kAdele = {{"id", "0A1B"},
                     {"userPrincipalName", "adele@contoso.com"},
                     {"displayName", "Adele Vance"},
                     {"mail", "Adele@Contoso.com"},
                     {"accountEnabled", "true"}};
const User kOneil = {{"id", "0c2d"},
                     {"userPrincipalName", "pat@contoso.com"},
                     {"displayName", "Pat O'Neil"},
                     {"accountEnabled", "false"}};

TEST(GraphFilterTest, EachFormMatchesAndRefusesAsGraphDoes) {
  struct Case {
    const char* filter;
    bool adele;
    bool oneil;
  };
  const Case cases[] = {
      {"userPrincipalName eq 'adele@contoso.com'", true, false},
      {"userPrincipalName eq 'ADELE@contoso.com'", true, false},  // case-insensitive
      {"mail eq 'adele@contoso.com'", true, false},
      {"mail eq null", false, true},
      {"displayName eq 'Pat O''Neil'", false, true},  // a doubled quote is a quote
      {"startswith(displayName,'a')", true, false},
      {"startsWith(displayName, 'Pat O''')", false, true},
      {"startswith(displayName,'')", true, true},
      {"startswith(mail,'x')", false, false},  // null never starts with anything
      {"accountEnabled eq true", true, false},
      {"accountEnabled eq false", false, true},
      {"ACCOUNTENABLED EQ TRUE", true, false},
      {"id in ('0a1b', '0c2d')", true, true},
      {"id in ('0c2d')", false, true},
      {"id in ('ffff', '0A1B', 'eeee')", true, false},   // searched without case, any order
      {"mail in ('x@contoso.com', null)", false, true},  // null finds the users without one
      {"mail in ('ADELE@contoso.com', null)", true, true},
      {"mail in ('x@contoso.com')", false, false},
      {"userPrincipalName eq 'x' or displayName eq 'Adele Vance'", true, false},
      {"startswith(displayName,'A') and accountEnabled eq false", false, false},
      // and binds tighter than or
      {"accountEnabled eq false or startswith(displayName,'A') and mail eq 'none'", false, true},
      {"(accountEnabled eq false or startswith(displayName,'A')) and mail eq null", false, true},
      {"  ( ( id eq '0A1B' ) )  ", true, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(matches(c.filter, kAdele), c.adele) << c.filter;
    EXPECT_EQ(matches(c.filter, kOneil), c.oneil) << c.filter;
  }
}

// 'in' searches a sorted list: for random lists of texts in mixed case, with quotes, bytes
// above ASCII and prefixes of one another, a value matches exactly when one of the listed
// values equals it without ASCII case.
TEST(GraphFilterTest, InMatchesAsAComparisonWithEachValue) {
  const std::vector<std::string> pieces = {"a",        "A", "b", "Z", "z", "'",    "\xc3\xa9",
                                           "\xc3\x89", "[", "_", "0", "~", "\x7f", "\xff"};
  std::mt19937 rng(3);
  auto text = [&] {
    std::string t;
    for (size_t n = rng() % 4; n > 0; --n) t += pieces[rng() % pieces.size()];
    return t;
  };
  auto quoted = [](const std::string& t) {
    std::string q = "'";
    for (char c : t) q += c == '\'' ? std::string("''") : std::string(1, c);
    return q + "'";
  };
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> listed(1 + rng() % 6);
    std::string filter = "displayName in (";
    for (size_t i = 0; i < listed.size(); ++i) {
      listed[i] = text();
      filter += (i ? "," : "") + quoted(listed[i]);
    }
    filter += ")";
    const std::string value = rng() % 2 ? listed[rng() % listed.size()] : text();
    std::string cased = value;
    for (char& c : cased) {
      if (rng() % 2 && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    bool expected = false;
    for (const std::string& l : listed) expected = expected || ascii_iequal(l, cased);
    ASSERT_EQ(matches(filter, {{"displayName", cased}}), expected) << filter << " / " << cased;
  }
}

TEST(GraphFilterTest, BadFiltersNameTheirPosition) {
  struct Case {
    const char* filter;
    FilterError::Kind kind;
    size_t position;
    const char* message_part;
  };
  using K = FilterError::Kind;
  const Case cases[] = {
      {"", K::kSyntax, 0, "empty"},
      {"displayName eq 'Adele", K::kSyntax, 15, "no closing quote"},
      {"displayName eq", K::kSyntax, 14, "found the end of the filter"},
      {"displayName 'x'", K::kSyntax, 12, "expected 'eq' or 'in'"},
      {"displayName eq Adele", K::kSyntax, 15, "single quotes"},
      {"accountEnabled eq 'true'", K::kSyntax, 18, "boolean"},
      {"startswith(accountEnabled,'t')", K::kSyntax, 11, "boolean"},
      {"startswith(displayName 'A')", K::kSyntax, 23, "expected ','"},
      {"startswith(displayName,'A'", K::kSyntax, 26, "expected ')'"},
      {"(id eq 'a'", K::kSyntax, 10, "expected ')'"},
      {"id eq 'a' and", K::kSyntax, 13, "expected a property"},
      {"id eq 'a' xor id eq 'b'", K::kSyntax, 10, "expected 'and', 'or'"},
      {"id in 'a'", K::kSyntax, 6, "'(' after 'in'"},
      {"id in ('a' 'b')", K::kSyntax, 11, "',' or ')'"},
      {"id eq 'a' ; drop", K::kSyntax, 10, "unexpected character ';'"},
      {"frobnicate(id,'a')", K::kSyntax, 0, "unknown function"},
      {"surname eq 'x'", K::kUnsupported, 0, "property 'surname' of resource 'User'"},
      {"id eq 'a' and favouriteColour eq 'red'", K::kUnsupported, 14, "favouriteColour"},
      {"endswith(mail,'@contoso.com')", K::kUnsupported, 0, "advanced query"},
      {"displayName ne 'x'", K::kUnsupported, 12, "'ne'"},
      {"not (id eq 'a')", K::kUnsupported, 0, "'not'"},
  };
  for (const auto& c : cases) {
    FilterError e = error_of(c.filter);
    EXPECT_EQ(e.kind, c.kind) << c.filter << ": " << e.message;
    EXPECT_EQ(e.position, c.position) << c.filter << ": " << e.message;
    EXPECT_NE(e.message.find(c.message_part), std::string::npos) << c.filter << ": " << e.message;
  }
}

TEST(GraphFilterTest, DeepNestingIsRefusedNotRecursedInto) {
  std::string deep(10000, '(');
  FilterError e = error_of(deep + "id eq 'a'" + std::string(10000, ')'));
  EXPECT_EQ(e.kind, FilterError::Kind::kSyntax);
  EXPECT_EQ(e.position, 64u);
  EXPECT_NE(e.message.find("deeper than 64"), std::string::npos) << e.message;
  // 60 levels are fine.
  EXPECT_TRUE(matches(std::string(60, '(') + "id eq '0a1b'" + std::string(60, ')'), kAdele));
}

// Random token soup: every input either parses or is refused with a position inside it.
TEST(GraphFilterTest, RandomInputNeverCrashesAndErrorsPointInside) {
  const char* pieces[] = {"id",   "displayName", "accountEnabled",
                          "eq",   "in",          "and",
                          "or",   "not",         "startswith",
                          "(",    ")",           ",",
                          "'x'",  "'",           "''",
                          "true", "null",        " ",
                          "ne",   "$",           "\xff",
                          "7",    "surname"};
  std::mt19937 rng(20261123);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      text += pieces[rng() % std::size(pieces)];
      if (rng() % 2) text += ' ';
    }
    auto result = GraphFilter::parse(text, kProps);
    if (auto* e = std::get_if<FilterError>(&result)) {
      EXPECT_LE(e->position, text.size()) << text;
      EXPECT_FALSE(e->message.empty()) << text;
    } else {
      ++parsed;
      std::get<GraphFilter>(result).matches([](std::string_view) { return std::nullopt; });
    }
  }
  EXPECT_GT(parsed, 0);
}

std::optional<std::vector<std::string>> equality_values(std::string_view filter,
                                                        std::string_view property) {
  auto parsed = GraphFilter::parse(filter, kProps);
  if (auto* e = std::get_if<FilterError>(&parsed)) {
    ADD_FAILURE() << "'" << filter << "' did not parse: " << e->message;
    return std::nullopt;
  }
  return std::get<GraphFilter>(parsed).equality_values(property);
}

using Values = std::vector<std::string>;

TEST(GraphFilter, EqualityValuesNameWhatAnIndexLookupMustRead) {
  EXPECT_EQ(equality_values("userPrincipalName eq 'a@x.com'", "userPrincipalName"),
            Values{"a@x.com"});
  EXPECT_EQ(equality_values("USERPRINCIPALNAME eq 'A@x.com'", "userPrincipalName"),
            Values{"A@x.com"});
  EXPECT_EQ(equality_values("mail in ('a@x.com', 'b@x.com')", "mail"),
            (Values{"a@x.com", "b@x.com"}));
  EXPECT_EQ(equality_values("id eq '1' or id in ('2','3')", "id"), (Values{"1", "2", "3"}));
  // "and": either side bounds the matches; the fewer values win.
  EXPECT_EQ(equality_values("accountEnabled eq true and mail eq 'a@x.com'", "mail"),
            Values{"a@x.com"});
  EXPECT_EQ(equality_values("mail in ('a','b') and (mail eq 'c')", "mail"), Values{"c"});
  EXPECT_EQ(equality_values("(id eq '1' or id eq '2') and startswith(displayName,'A')", "id"),
            (Values{"1", "2"}));
  // No bound: another property, an "or" with any other clause, null, startswith.
  EXPECT_EQ(equality_values("mail eq 'a@x.com'", "userPrincipalName"), std::nullopt);
  EXPECT_EQ(equality_values("mail eq 'a' or jobTitle eq 'b'", "mail"), std::nullopt);
  EXPECT_EQ(equality_values("mail eq 'a' or startswith(mail,'b')", "mail"), std::nullopt);
  EXPECT_EQ(equality_values("mail eq null", "mail"), std::nullopt);
  EXPECT_EQ(equality_values("mail in ('a', null)", "mail"), std::nullopt);
  EXPECT_EQ(equality_values("startswith(mail,'a')", "mail"), std::nullopt);
  EXPECT_EQ(equality_values("accountEnabled eq true", "accountEnabled"), Values{"true"});
}

// For random filters and users: whenever a user matches, its value is among the equality
// values (what makes the index lookup answer as the scan does).
TEST(GraphFilter, EveryMatchHasOneOfTheEqualityValues) {
  const std::vector<std::string> values = {"a", "B", "c", "b"};
  const char* props[] = {"id", "mail", "jobTitle"};
  std::mt19937 rng(7);
  auto pick = [&](const auto& list) { return list[rng() % std::size(list)]; };
  std::function<std::string(int)> clause = [&](int depth) -> std::string {
    switch (depth > 2 ? rng() % 3 : rng() % 5) {
      case 0:
        return std::string(pick(props)) + " eq '" + pick(values) + "'";
      case 1:
        return std::string(pick(props)) + " in ('" + pick(values) + "','" + pick(values) + "')";
      case 2:
        return "startswith(" + std::string(pick(props)) + ",'" + pick(values) + "')";
      case 3:
        return "(" + clause(depth + 1) + " and " + clause(depth + 1) + ")";
      default:
        return "(" + clause(depth + 1) + " or " + clause(depth + 1) + ")";
    }
  };
  int bounded = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string filter = clause(0);
    auto parsed = GraphFilter::parse(filter, kProps);
    ASSERT_TRUE(std::holds_alternative<GraphFilter>(parsed)) << filter;
    const auto& f = std::get<GraphFilter>(parsed);
    for (const char* prop : props) {
      auto bound = f.equality_values(prop);
      if (!bound) continue;
      ++bounded;
      for (int u = 0; u < 20; ++u) {
        User user = {{"id", pick(values)}, {"mail", pick(values)}, {"jobTitle", pick(values)}};
        bool hit = f.matches([&](std::string_view p) -> std::optional<std::string> {
          return user.at(std::string(p));
        });
        if (!hit) continue;
        bool listed = false;
        for (const auto& v : *bound) listed = listed || ascii_iequal(v, user.at(prop));
        EXPECT_TRUE(listed) << filter << " matched " << prop << "=" << user.at(prop);
      }
    }
  }
  EXPECT_GT(bounded, 100);
}

// ---- Advanced queries: ne, not, endswith, any() ----

const std::vector<FilterProperty> kAdvancedProps = {
    {"mail", FilterType::kString},
    {"displayName", FilterType::kString},
    {"proxyAddresses", FilterType::kStrings},
};

struct AdvancedUser {
  std::optional<std::string> mail, display_name;
  std::vector<std::string> proxies;
};

std::variant<GraphFilter, FilterError> parse_advanced(std::string_view filter) {
  return GraphFilter::parse(filter, kAdvancedProps, FilterMode::kAdvanced);
}

bool advanced_matches(std::string_view filter, const AdvancedUser& u) {
  auto parsed = parse_advanced(filter);
  if (auto* e = std::get_if<FilterError>(&parsed)) {
    ADD_FAILURE() << "'" << filter << "' did not parse: " << e->message << " at " << e->position;
    return false;
  }
  return std::get<GraphFilter>(parsed).matches(
      [&](std::string_view p) { return p == "mail" ? u.mail : u.display_name; },
      [&](std::string_view p) {
        EXPECT_EQ(p, "proxyAddresses");
        return u.proxies;
      });
}

TEST(GraphFilterAdvanced, NeNotEndsWithAndAnyMatchAsGraph) {
  const AdvancedUser adele{
      "adele@contoso.com", "Adele Vance", {"SMTP:adele@contoso.com", "smtp:av@sales.contoso.com"}};
  const AdvancedUser nobody{std::nullopt, "Nobody", {}};
  struct Case {
    const char* filter;
    bool adele;
    bool nobody;
  };
  const Case cases[] = {
      {"mail ne 'ADELE@contoso.com'", false, true},
      {"mail ne null", true, false},
      {"endswith(mail,'@CONTOSO.com')", true, false},
      {"endsWith(displayName,'dy')", false, true},
      {"not(mail eq 'adele@contoso.com')", false, true},
      {"not startswith(displayName,'A') and not(mail ne null)", false, true},
      {"not not (mail eq 'adele@contoso.com')", true, false},
      {"proxyAddresses/any(x:x eq 'smtp:ADELE@contoso.com')", true, false},
      {"proxyAddresses/any(p: startswith(p, 'smtp:av'))", true, false},
      {"proxyAddresses/any(p:endswith(p,'sales.contoso.com'))", true, false},
      {"proxyAddresses/any(p:endswith(p,'x')) or displayName eq 'nobody'", false, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(advanced_matches(c.filter, adele), c.adele) << c.filter;
    EXPECT_EQ(advanced_matches(c.filter, nobody), c.nobody) << c.filter;
  }
}

TEST(GraphFilterAdvanced, RefusedOutsideAdvancedQueriesAndWhenMalformed) {
  using K = FilterError::Kind;
  // The standard mode takes any() with eq and startswith only.
  for (const char* f : {"mail ne 'a'", "not(mail eq 'a')", "endswith(mail,'a')",
                        "proxyAddresses/any(x:endswith(x,'a'))"}) {
    auto parsed = GraphFilter::parse(f, kAdvancedProps);
    auto* e = std::get_if<FilterError>(&parsed);
    ASSERT_NE(e, nullptr) << f;
    EXPECT_EQ(e->kind, K::kUnsupported) << f;
    EXPECT_NE(e->message.find("ConsistencyLevel: eventual"), std::string::npos) << e->message;
  }
  EXPECT_TRUE(std::holds_alternative<GraphFilter>(
      GraphFilter::parse("proxyAddresses/any(x:startswith(x,'a'))", kAdvancedProps)));
  struct Case {
    const char* filter;
    K kind;
    size_t position;
  };
  const Case cases[] = {
      {"proxyAddresses eq 'a'", K::kUnsupported, 0},
      {"proxyAddresses/all(x:x eq 'a')", K::kUnsupported, 15},
      {"mail/any(x:x eq 'a')", K::kUnsupported, 0},
      {"proxyAddresses/any(x x eq 'a')", K::kSyntax, 21},
      {"proxyAddresses/any(x:y eq 'a')", K::kSyntax, 21},
      {"proxyAddresses/any(x:x ne 'a')", K::kUnsupported, 23},
      {"proxyAddresses/any(x:contains(x,'a'))", K::kUnsupported, 21},
      {"proxyAddresses/any(x:x eq 'a'", K::kSyntax, 29},
      {"startswith(proxyAddresses,'a')", K::kSyntax, 11},
      {"not", K::kSyntax, 3},
      {"mail ne", K::kSyntax, 7},
  };
  for (const auto& c : cases) {
    auto parsed = parse_advanced(c.filter);
    auto* e = std::get_if<FilterError>(&parsed);
    ASSERT_NE(e, nullptr) << c.filter;
    EXPECT_EQ(e->kind, c.kind) << c.filter << ": " << e->message;
    EXPECT_EQ(e->position, c.position) << c.filter << ": " << e->message;
  }
  // 'not' nests like parentheses: bounded, not recursed into.
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "not ";
  auto parsed = parse_advanced(deep + "mail eq 'a'");
  auto* e = std::get_if<FilterError>(&parsed);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->message.find("deeper than 64"), std::string::npos) << e->message;
}

TEST(GraphFilterAdvanced, NegationsBoundNoIndexLookup) {
  for (const char* f : {"not(mail eq 'a')", "mail ne 'a'", "proxyAddresses/any(x:x eq 'a')"}) {
    auto parsed = parse_advanced(f);
    ASSERT_TRUE(std::holds_alternative<GraphFilter>(parsed)) << f;
    EXPECT_FALSE(std::get<GraphFilter>(parsed).equality_values("mail")) << f;
  }
  auto parsed = parse_advanced("mail eq 'a' and not(displayName eq 'b')");
  EXPECT_EQ(std::get<GraphFilter>(parsed).equality_values("mail"), std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace upsync
