// Graph's $filter on users: a small OData expression parser and its evaluation.
//
// The forms Microsoft Graph answers for users without "advanced queries":
//   prop eq 'text'            prop eq true|false|null
//   prop in ('a', 'b', ...)   startswith(prop, 'text')   (also spelled startsWith)
//   expr and expr             expr or expr               ( expr )
// Strings are in single quotes, a quote inside doubled ('O''Neil'). Operators, function names
// and property names are matched case-insensitively; string comparisons too (the directory
// compares user principal names, mail and names without case).
//
//   auto parsed = GraphFilter::parse("startswith(displayName,'A') and accountEnabled eq true",
//                                    properties);
//   if (auto* e = std::get_if<FilterError>(&parsed)) ... e->position, e->message
//   std::get<GraphFilter>(parsed).matches(lookup);
//
// Multi-valued properties (proxyAddresses, otherMails) are filtered through any():
//   proxyAddresses/any(x:x eq 'smtp:a@b.c')    otherMails/any(m:startswith(m,'a'))
// As an advanced query (FilterMode::kAdvanced: the request carried "ConsistencyLevel:
// eventual") Graph also answers
//   prop ne 'text'    not(expr)  (also "not expr")    endswith(prop, 'text')
//   proxyAddresses/any(x:endswith(x,'@contoso.com'))
//
// A syntax error names the 0-based character position in the filter text where it was found;
// a well-formed clause on a property that cannot be filtered, or an operator Graph serves only
// as an advanced query (ne, not, endswith) outside one, is kUnsupported.
//
// Bounded whatever the text's length: parentheses nest at most 64 deep (kSyntax past that),
// and a filter holds at most 1,000 clauses, each comparison and each value of an 'in'
// counting one (kUnsupported past that, at the first clause over). Chains of and/or are
// parsed, evaluated and freed in loops, so neither costs stack.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace upsync {

// kStrings: a collection of texts, filtered only through any().
enum class FilterType { kString, kBool, kStrings };
enum class FilterMode { kStandard, kAdvanced };

// A property that $filter may name (canonical spelling) and the type of its values.
struct FilterProperty {
  std::string name;
  FilterType type;
};

struct FilterError {
  enum class Kind { kSyntax, kUnsupported };
  Kind kind;
  size_t position;  // 0-based offset into the filter text
  std::string message;
};

// A property's value for evaluation: nullopt is null (the user has none); booleans are
// "true" or "false".
using FilterLookup = std::function<std::optional<std::string>(std::string_view property)>;
// A multi-valued property's values (empty when it has none).
using FilterValuesLookup = std::function<std::vector<std::string>(std::string_view property)>;

class GraphFilter {
 public:
  struct Node;
  static std::variant<GraphFilter, FilterError> parse(std::string_view text,
                                                      const std::vector<FilterProperty>& props,
                                                      FilterMode mode = FilterMode::kStandard);

  // `values` answers any() (a filter without any() never calls it; empty: no values).
  bool matches(const FilterLookup& lookup, const FilterValuesLookup& values = {}) const;

  // When every user the filter matches has `property` equal (case-insensitively) to one of a
  // few texts, those texts; otherwise nullopt. So "userPrincipalName eq 'a@b.c' and
  // accountEnabled eq true" gives {"a@b.c"} for userPrincipalName, and an index lookup of
  // those values, then matches() on what it finds, answers as a scan of everyone would.
  // ("x eq 'a' or x eq 'b'" gives both; an "or" with a clause on another property, or a
  // comparison with null, gives nullopt.)
  std::optional<std::vector<std::string>> equality_values(std::string_view property) const;

  // The properties the filter reads (their names as the property list spells them), each once.
  std::vector<std::string> properties() const;

  GraphFilter(GraphFilter&&) noexcept;
  GraphFilter& operator=(GraphFilter&&) noexcept;
  ~GraphFilter();

 private:
  explicit GraphFilter(std::unique_ptr<Node> root);
  std::unique_ptr<Node> root_;
};

}  // namespace upsync
