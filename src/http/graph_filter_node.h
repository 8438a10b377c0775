// The parsed form of a Graph $filter (http/graph_filter.h), shared by its parser
// (graph_filter_parser.cpp) and its evaluation (graph_filter.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/graph_filter.h"

namespace upsync {

struct GraphFilter::Node {
  // kNot: one operand. kAny: `property` is the collection, `operands[0]` the test of one
  // element (a comparison whose property is "").
  enum class Op { kAnd, kOr, kNot, kEq, kNe, kIn, kStartsWith, kEndsWith, kAny };
  Op op;
  // kAnd, kOr: two or more operands. "a or b or c" is one node of three, not a tree two deep,
  // so a chain's length costs no recursion here, in evaluate() or in the destructor: only
  // parentheses nest, and kMaxFilterDepth bounds them.
  std::vector<std::unique_ptr<Node>> operands;
  std::string property;                            // comparisons
  std::vector<std::optional<std::string>> values;  // literals; nullopt is null
  // kIn: the values but null, in ASCII lower case, sorted: a test is a binary search, not one
  // comparison per value (a team's hundred names).
  std::vector<std::string> lowered;
};

// Nesting deeper than this is refused rather than recursed into; the walks of a parsed filter
// may recurse as deep.
constexpr int kMaxFilterDepth = 64;

// The tree of `text`, checked against `props` in `mode`, or where and why it is refused.
std::variant<std::unique_ptr<GraphFilter::Node>, FilterError> parse_graph_filter_tree(
    std::string_view text, const std::vector<FilterProperty>& props, FilterMode mode);

}  // namespace upsync
