// Graph $filter: long and/or chains and deep parentheses are bounded by the parser itself, not
// by the HTTP request-line cap in front of it. Parsed directly (no server), as a fuzzer would.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "http/graph_filter.h"

namespace upsync {
namespace {

const std::vector<FilterProperty> kProps = {{"id", FilterType::kString},
                                            {"accountEnabled", FilterType::kBool}};

std::optional<std::string> user_b(std::string_view property) {
  if (property == "id") return std::string("b");
  return std::string("true");
}

// n clauses "id eq 'a'" joined by `op`, the last one "id eq 'b'".
std::string chain(int n, std::string_view op) {
  std::string text;
  for (int i = 0; i + 1 < n; ++i) {
    text += "id eq 'a' ";
    text += op;
    text += ' ';
  }
  return text + "id eq 'b'";
}

// Parses `text`; when it parses, evaluates it too (what a request does next), so a filter
// that is accepted but cannot be evaluated fails here rather than in a server thread.
std::variant<GraphFilter, FilterError> parse_and_run(const std::string& text, bool* matched) {
  auto parsed = GraphFilter::parse(text, kProps);
  if (auto* f = std::get_if<GraphFilter>(&parsed)) {
    *matched = f->matches(user_b);
    f->equality_values("id");
  }
  return parsed;
}

TEST(GraphFilterDepthTest, HundredThousandOrClausesAreRefusedNotRecursedInto) {
  for (std::string_view op : {"or", "and", "OR"}) {
    std::string text = chain(100000, op);
    bool matched = false;
    auto parsed = parse_and_run(text, &matched);
    ASSERT_TRUE(std::holds_alternative<FilterError>(parsed)) << op << ": accepted";
    const auto& e = std::get<FilterError>(parsed);
    EXPECT_EQ(e.kind, FilterError::Kind::kUnsupported) << e.message;
    EXPECT_NE(e.message.find("more than 1000 clauses"), std::string::npos) << e.message;
    EXPECT_LE(e.position, text.size());
    // The refusal points at the first clause over the limit.
    EXPECT_EQ(text.substr(e.position, 2), "id") << e.position;
  }
}

TEST(GraphFilterDepthTest, AnInListCountsEachValueAsAClause) {
  std::string text = "id in (";
  for (int i = 0; i < 100000; ++i) text += "'a',";
  text += "'b')";
  bool matched = false;
  auto parsed = parse_and_run(text, &matched);
  ASSERT_TRUE(std::holds_alternative<FilterError>(parsed)) << "accepted";
  EXPECT_NE(std::get<FilterError>(parsed).message.find("more than 1000 clauses"),
            std::string::npos);
}

TEST(GraphFilterDepthTest, ChainsUpToTheLimitParseAndEvaluate) {
  for (std::string_view op : {"or", "and"}) {
    bool matched = false;
    auto parsed = parse_and_run(chain(1000, op), &matched);
    ASSERT_TRUE(std::holds_alternative<GraphFilter>(parsed))
        << op << ": " << std::get<FilterError>(parsed).message;
    EXPECT_EQ(matched, op == "or") << op;  // only the last clause holds
  }
  // Mixed: a or b and c ... : "and" binds tighter.
  std::string mixed;
  for (int i = 0; i < 499; ++i) mixed += "id eq 'a' and accountEnabled eq true or ";
  mixed += "id eq 'b' and accountEnabled eq true";
  bool matched = false;
  auto parsed = parse_and_run(mixed, &matched);
  ASSERT_TRUE(std::holds_alternative<GraphFilter>(parsed));
  EXPECT_TRUE(matched);
}

TEST(GraphFilterDepthTest, DeepParenthesesAreRefusedAtTheirDepth) {
  // A million opening brackets: refused at the 65th, never recursed into.
  std::string text(1000000, '(');
  text += "id eq 'b'" + std::string(1000000, ')');
  bool matched = false;
  auto parsed = parse_and_run(text, &matched);
  ASSERT_TRUE(std::holds_alternative<FilterError>(parsed));
  EXPECT_EQ(std::get<FilterError>(parsed).position, 64u);
  EXPECT_NE(std::get<FilterError>(parsed).message.find("deeper than 64"), std::string::npos);

  // 60 levels, each an "or" of a clause and the next level: evaluates to the innermost.
  std::string nested;
  for (int i = 0; i < 60; ++i) nested += "(id eq 'a' or accountEnabled eq false or ";
  nested += "id eq 'b'" + std::string(60, ')');
  parsed = parse_and_run(nested, &matched);
  ASSERT_TRUE(std::holds_alternative<GraphFilter>(parsed)) << std::get<FilterError>(parsed).message;
  EXPECT_TRUE(matched);
}

}  // namespace
}  // namespace upsync
