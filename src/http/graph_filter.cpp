// Graph $filter (graph_filter.h): the parsed tree evaluated against an object, and what the
// listing asks of it (the values of an indexed equality, the properties it reads).
#include "http/graph_filter.h"

#include <algorithm>

#include "core/text.h"
#include "http/graph_filter_node.h"

namespace upsync {

namespace {

using Node = GraphFilter::Node;

bool equal(const std::optional<std::string>& value, const std::optional<std::string>& literal) {
  if (!literal) return !value;
  return value && ascii_iequal(*value, *literal);
}

bool starts_with(const std::optional<std::string>& value, const std::string& prefix) {
  return value && value->size() >= prefix.size() &&
         ascii_iequal(std::string_view(*value).substr(0, prefix.size()), prefix);
}

bool ends_with(const std::optional<std::string>& value, const std::string& suffix) {
  return value && value->size() >= suffix.size() &&
         ascii_iequal(std::string_view(*value).substr(value->size() - suffix.size()), suffix);
}

// ASCII case-blind order: the order of the texts in lower case, bytes compared unsigned, as
// std::string orders them (Node::lowered is sorted so).
bool lower_less(std::string_view a, std::string_view b) {
  auto lower = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return static_cast<unsigned char>(u >= 'A' && u <= 'Z' ? u + ('a' - 'A') : u);
  };
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = lower(a[i]);
    const unsigned char y = lower(b[i]);
    if (x != y) return x < y;
  }
  return a.size() < b.size();
}

// One element of a collection against any()'s test.
bool element_matches(const Node& test, const std::string& element) {
  switch (test.op) {
    case Node::Op::kEq:
      return ascii_iequal(element, *test.values[0]);
    case Node::Op::kStartsWith:
      return starts_with(element, *test.values[0]);
    case Node::Op::kEndsWith:
      return ends_with(element, *test.values[0]);
    default:
      return false;
  }
}

bool evaluate(const Node& n, const FilterLookup& lookup, const FilterValuesLookup& values) {
  switch (n.op) {
    case Node::Op::kAnd:
      for (const auto& o : n.operands) {
        if (!evaluate(*o, lookup, values)) return false;
      }
      return true;
    case Node::Op::kOr:
      for (const auto& o : n.operands) {
        if (evaluate(*o, lookup, values)) return true;
      }
      return false;
    case Node::Op::kNot:
      return !evaluate(*n.operands[0], lookup, values);
    case Node::Op::kNe:
      return !equal(lookup(n.property), n.values[0]);
    case Node::Op::kEndsWith:
      return ends_with(lookup(n.property), *n.values[0]);
    case Node::Op::kAny: {
      if (!values) return false;
      for (const std::string& element : values(n.property)) {
        if (element_matches(*n.operands[0], element)) return true;
      }
      return false;
    }
    case Node::Op::kEq:
      return equal(lookup(n.property), n.values[0]);
    case Node::Op::kIn: {
      auto value = lookup(n.property);
      if (!value) {
        return std::any_of(n.values.begin(), n.values.end(), [](const auto& l) { return !l; });
      }
      return std::binary_search(
          n.lowered.begin(), n.lowered.end(), std::string_view(*value),
          [](std::string_view a, std::string_view b) { return lower_less(a, b); });
    }
    case Node::Op::kStartsWith:
      return starts_with(lookup(n.property), *n.values[0]);
  }
  return false;
}

std::optional<std::vector<std::string>> equality_values_of(const Node& n,
                                                           std::string_view property) {
  switch (n.op) {
    case Node::Op::kAnd: {
      // Every operand must hold: any operand's values bound the matches; take the fewest.
      std::optional<std::vector<std::string>> best;
      for (const auto& o : n.operands) {
        auto v = equality_values_of(*o, property);
        if (v && (!best || v->size() < best->size())) best = std::move(v);
      }
      return best;
    }
    case Node::Op::kOr: {
      std::vector<std::string> all;
      for (const auto& o : n.operands) {
        auto v = equality_values_of(*o, property);
        if (!v) return std::nullopt;
        all.insert(all.end(), v->begin(), v->end());
      }
      return all;
    }
    case Node::Op::kEq:
    case Node::Op::kIn: {
      if (!ascii_iequal(n.property, property)) return std::nullopt;
      std::vector<std::string> out;
      for (const auto& v : n.values) {
        if (!v) return std::nullopt;  // null: the users without a value, which no index holds
        out.push_back(*v);
      }
      return out;
    }
    case Node::Op::kStartsWith:
    case Node::Op::kEndsWith:
    case Node::Op::kNot:
    case Node::Op::kNe:
    case Node::Op::kAny:
      return std::nullopt;
  }
  return std::nullopt;
}

void collect_properties(const Node& n, std::vector<std::string>& out) {
  if (!n.property.empty() && std::find(out.begin(), out.end(), n.property) == out.end()) {
    out.push_back(n.property);
  }
  for (const auto& o : n.operands) collect_properties(*o, out);
}

}  // namespace

GraphFilter::GraphFilter(std::unique_ptr<Node> root) : root_(std::move(root)) {}
GraphFilter::GraphFilter(GraphFilter&&) noexcept = default;
GraphFilter& GraphFilter::operator=(GraphFilter&&) noexcept = default;
GraphFilter::~GraphFilter() = default;

std::variant<GraphFilter, FilterError> GraphFilter::parse(std::string_view text,
                                                          const std::vector<FilterProperty>& props,
                                                          FilterMode mode) {
  if (trim(text).empty()) {
    return FilterError{FilterError::Kind::kSyntax, 0, "the filter is empty"};
  }
  auto parsed = parse_graph_filter_tree(text, props, mode);
  if (auto* e = std::get_if<FilterError>(&parsed)) return std::move(*e);
  return GraphFilter(std::move(std::get<std::unique_ptr<Node>>(parsed)));
}

bool GraphFilter::matches(const FilterLookup& lookup, const FilterValuesLookup& values) const {
  return evaluate(*root_, lookup, values);
}

std::optional<std::vector<std::string>> GraphFilter::equality_values(
    std::string_view property) const {
  return equality_values_of(*root_, property);
}

std::vector<std::string> GraphFilter::properties() const {
  std::vector<std::string> out;
  collect_properties(*root_, out);  // parentheses alone nest, at most kMaxFilterDepth deep
  return out;
}

}  // namespace upsync
