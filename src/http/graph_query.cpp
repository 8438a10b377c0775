#include "http/graph_query.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace upsync {

namespace {

enum class CharClass { kSeparator, kLower, kUpper, kDigit, kOther };

CharClass class_of(unsigned char c) {
  if (c >= 0x80) return CharClass::kOther;  // UTF-8 bytes: part of a word
  if (std::islower(c)) return CharClass::kLower;
  if (std::isupper(c)) return CharClass::kUpper;
  if (std::isdigit(c)) return CharClass::kDigit;
  return CharClass::kSeparator;
}

bool is_letter(CharClass k) {
  return k == CharClass::kLower || k == CharClass::kUpper || k == CharClass::kOther;
}

QueryRefusal syntax_error(char c, size_t pos, std::string_view text) {
  return {"BadRequest", "Syntax error: character '" + std::string(1, c) +
                            "' is not valid at position " + std::to_string(pos) + " in '" +
                            quote_for_message(text, 200) + "'."};
}

// The properties a clause may name: displayName and description tokenized, any other text
// property Graph filters on as startswith.
std::optional<GraphSearch::Clause> clause_for(const GraphObjectType& type, std::string_view name) {
  auto canonical = type.parse_select(name);
  if (!canonical || canonical->size() != 1) return std::nullopt;
  GraphSearch::Clause c;
  c.property = canonical->front();
  if (c.property == "displayName" || c.property == "description") {
    c.tokenized = true;
    return c;
  }
  for (const FilterProperty& p : type.filter_properties()) {
    if (p.name == c.property && p.type == FilterType::kString) return c;
  }
  return std::nullopt;
}

bool starts_with_token(const std::vector<std::string>& tokens, std::string_view prefix) {
  for (const std::string& t : tokens) {
    if (t.size() >= prefix.size() && std::string_view(t).substr(0, prefix.size()) == prefix) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> search_tokens(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  CharClass prev = CharClass::kSeparator;
  for (unsigned char c : text) {
    const CharClass k = class_of(c);
    const bool breaks =
        k == CharClass::kSeparator || (prev == CharClass::kLower && k == CharClass::kUpper) ||
        (is_letter(prev) && k == CharClass::kDigit) || (prev == CharClass::kDigit && is_letter(k));
    if (breaks && !current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
    if (k != CharClass::kSeparator) current += static_cast<char>(std::tolower(c));
    prev = k;
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

std::variant<GraphSearch, QueryRefusal> GraphSearch::parse(std::string_view text,
                                                           const GraphObjectType& type) {
  GraphSearch out;
  out.any_of_.emplace_back();
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < text.size() && text[i] == ' ') ++i;
  };
  skip_spaces();
  if (i == text.size()) {
    return QueryRefusal{"Request_UnsupportedQuery",
                        "$search is empty: send one or more "
                        "clauses such as \"displayName:text\"."};
  }
  while (true) {
    skip_spaces();
    if (i >= text.size() || text[i] != '"') {
      // Graph reads an unquoted clause as an expression: the first character that cannot be
      // part of a name is the error.
      while (i < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
        ++i;
      }
      if (i < text.size()) return syntax_error(text[i], i, text);
      return QueryRefusal{"Request_UnsupportedQuery",
                          "$search on directory objects takes clauses \"property:text\" in "
                          "double quotes, not '" +
                              quote_for_message(text, 200) + "'."};
    }
    const size_t open = i++;
    const size_t close = text.find('"', i);
    if (close == std::string_view::npos) {
      return QueryRefusal{"BadRequest", "Syntax error: the quoted clause at position " +
                                            std::to_string(open) + " has no closing quote in '" +
                                            quote_for_message(text, 200) + "'."};
    }
    const std::string_view body = text.substr(i, close - i);
    i = close + 1;
    const size_t colon = body.find(':');
    if (colon == std::string_view::npos) {
      return QueryRefusal{
          "Request_UnsupportedQuery",
          "The $search clause \"" + quote_for_message(body, 80) +
              "\" names no property: write \"displayName:" + quote_for_message(body, 80) + "\"."};
    }
    const std::string_view name = trim(body.substr(0, colon));
    const std::string_view term = trim(body.substr(colon + 1));
    auto clause = clause_for(type, name);
    if (!clause) {
      return QueryRefusal{"Request_UnsupportedQuery",
                          "Unsupported property '" + quote_for_message(name, 60) +
                              "' in $search on '" + std::string(type.type_name()) +
                              "': search displayName, description or a text property Graph "
                              "filters on."};
    }
    if (clause->tokenized) {
      clause->tokens = search_tokens(term);
    } else if (!term.empty()) {
      clause->tokens = {ascii_lower(term)};
    }
    if (clause->tokens.empty()) {
      return QueryRefusal{
          "Request_UnsupportedQuery",
          "The $search clause \"" + quote_for_message(body, 80) + "\" has nothing to search for."};
    }
    out.any_of_.back().push_back(std::move(*clause));
    skip_spaces();
    if (i == text.size()) break;
    const size_t word_end = std::min(text.find(' ', i), text.size());
    const std::string_view word = text.substr(i, word_end - i);
    if (ascii_iequal(word, "OR")) {
      out.any_of_.emplace_back();
    } else if (!ascii_iequal(word, "AND")) {
      return syntax_error(text[i], i, text);
    }
    i = word_end;
  }
  return out;
}

bool GraphSearch::matches(const GraphObjectType& type, const GraphObjectView& o) const {
  for (const auto& all : any_of_) {
    bool ok = true;
    for (const Clause& c : all) {
      auto value = type.filter_value(o, c.property);
      if (!value) {
        ok = false;
      } else if (c.tokenized) {
        const auto tokens = search_tokens(*value);
        for (const std::string& t : c.tokens) ok = ok && starts_with_token(tokens, t);
      } else {
        ok = value->size() >= c.tokens[0].size() &&
             ascii_iequal(std::string_view(*value).substr(0, c.tokens[0].size()), c.tokens[0]);
      }
      if (!ok) break;
    }
    if (ok) return true;
  }
  return false;
}

std::variant<GraphOrder, QueryRefusal> parse_orderby(std::string_view text,
                                                     const GraphObjectType& type,
                                                     std::string_view resource) {
  const std::string_view t = trim(text);
  if (t.find(',') != std::string_view::npos) {
    return QueryRefusal{
        "Request_UnsupportedQuery",
        "Sorting on more than one property is not supported: '" + quote_for_message(t, 100) + "'."};
  }
  const size_t space = t.find(' ');
  const std::string_view name = t.substr(0, space);
  std::string_view direction = space == std::string_view::npos ? "" : trim(t.substr(space));
  GraphOrder out;
  if (ascii_iequal(direction, "desc")) {
    out.descending = true;
  } else if (!direction.empty() && !ascii_iequal(direction, "asc")) {
    return QueryRefusal{"BadRequest", "Syntax error: '" + quote_for_message(direction, 40) +
                                          "' in $orderby is neither asc nor desc."};
  }
  static constexpr std::string_view kSortable[] = {"displayName", "userPrincipalName", "mail"};
  for (std::string_view s : kSortable) {
    if (!ascii_iequal(name, s)) continue;
    auto canonical = type.parse_select(s);
    if (canonical) {
      out.property = std::string(s);
      return out;
    }
  }
  return QueryRefusal{"Request_UnsupportedQuery", "Unsupported sort property '" +
                                                      quote_for_message(name, 60) + "' for '" +
                                                      std::string(resource) + "'."};
}

std::optional<std::string> order_key(const GraphOrder& order, const GraphObjectType& type,
                                     const GraphObjectView& o) {
  auto v = type.filter_value(o, order.property);
  if (!v) return std::nullopt;
  return ascii_lower(*v);
}

}  // namespace upsync
