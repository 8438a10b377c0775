// The parser of Graph $filter (graph_filter.h): tokens, then a recursive descent that checks
// each property and literal against the properties the caller allows.
#include <algorithm>
#include <cctype>

#include "core/text.h"
#include "http/graph_filter_node.h"

namespace upsync {

namespace {

using Node = GraphFilter::Node;

// More comparisons than this (each value of an 'in' counting as one) are refused: every user a
// request scans is evaluated against all of them.
constexpr int kMaxClauses = 1000;

struct Token {
  enum class Kind { kIdent, kString, kOpen, kClose, kComma, kColon, kEnd };
  Kind kind;
  size_t pos;
  std::string text;  // the identifier, or the string literal's value (quotes undone)
};

// The error of a parse: kept as a value and passed up (no exceptions across this unit).
class Parser {
 public:
  Parser(std::string_view text, const std::vector<FilterProperty>& props, FilterMode mode)
      : text_(text), props_(props), mode_(mode) {}

  std::variant<std::unique_ptr<Node>, FilterError> run() {
    if (!tokenize()) return *error_;
    auto root = parse_or(0);
    if (error_) return *error_;
    if (peek().kind != Token::Kind::kEnd) {
      fail(peek().pos, "expected 'and', 'or' or the end of the filter, found " + describe(peek()));
      return *error_;
    }
    return root;
  }

 private:
  bool tokenize() {
    tokens_.reserve(text_.size() / 4 + 2);
    size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++i;
      } else if (c == '(') {
        tokens_.push_back({Token::Kind::kOpen, i++, "("});
      } else if (c == ')') {
        tokens_.push_back({Token::Kind::kClose, i++, ")"});
      } else if (c == ',') {
        tokens_.push_back({Token::Kind::kComma, i++, ","});
      } else if (c == ':') {
        tokens_.push_back({Token::Kind::kColon, i++, ":"});
      } else if (c == '\'') {
        size_t start = i++;
        std::string value;
        bool closed = false;
        // The text up to each quote goes in at once; a doubled quote is one quote.
        while (i < text_.size()) {
          const size_t quote = text_.find('\'', i);
          if (quote == std::string_view::npos) {
            i = text_.size();
            break;
          }
          value.append(text_.substr(i, quote - i));
          i = quote + 1;
          if (i < text_.size() && text_[i] == '\'') {
            value += '\'';
            ++i;
            continue;
          }
          closed = true;
          break;
        }
        if (!closed) {
          fail(start, "the string that starts here has no closing quote");
          return false;
        }
        tokens_.push_back({Token::Kind::kString, start, std::move(value)});
      } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '-' ||
                 c == '.' || c == '/') {
        size_t start = i;
        while (i < text_.size()) {
          char d = text_[i];
          if (!(std::isalnum(static_cast<unsigned char>(d)) || d == '_' || d == '$' || d == '-' ||
                d == '.' || d == '/')) {
            break;
          }
          ++i;
        }
        tokens_.push_back(
            {Token::Kind::kIdent, start, std::string(text_.substr(start, i - start))});
      } else {
        fail(i, "unexpected character '" + std::string(1, c) + "'");
        return false;
      }
    }
    tokens_.push_back({Token::Kind::kEnd, text_.size(), ""});
    return true;
  }

  const Token& peek(size_t ahead = 0) const {
    size_t i = std::min(next_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& take() {
    const Token& t = tokens_[next_];
    if (next_ + 1 < tokens_.size()) ++next_;
    return t;
  }
  bool is_word(const Token& t, std::string_view word) const {
    return t.kind == Token::Kind::kIdent && ascii_iequal(t.text, word);
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::kEnd:
        return "the end of the filter";
      case Token::Kind::kString:
        return "'" + quote_for_message(t.text, 40) + "'";
      default:
        return "'" + quote_for_message(t.text, 40) + "'";
    }
  }

  std::unique_ptr<Node> fail(size_t pos, std::string message,
                             FilterError::Kind kind = FilterError::Kind::kSyntax) {
    if (!error_) error_ = FilterError{kind, pos, std::move(message)};
    return nullptr;
  }

  std::unique_ptr<Node> parse_or(int depth) {
    return parse_chain(Node::Op::kOr, "or", depth, &Parser::parse_and);
  }

  std::unique_ptr<Node> parse_and(int depth) {
    return parse_chain(Node::Op::kAnd, "and", depth, &Parser::parse_primary);
  }

  // operand (word operand)...: one node with every operand, collected in a loop.
  std::unique_ptr<Node> parse_chain(Node::Op op, std::string_view word, int depth,
                                    std::unique_ptr<Node> (Parser::*operand)(int)) {
    auto first = (this->*operand)(depth);
    if (error_) return nullptr;
    if (!is_word(peek(), word)) return first;
    auto n = std::make_unique<Node>();
    n->op = op;
    n->operands.push_back(std::move(first));
    while (is_word(peek(), word)) {
      take();
      auto next = (this->*operand)(depth);
      if (error_) return nullptr;
      n->operands.push_back(std::move(next));
    }
    return n;
  }

  // Counts one clause at `pos`; false (with the error set) past kMaxClauses.
  bool count_clause(size_t pos) {
    if (++clauses_ <= kMaxClauses) return true;
    fail(pos,
         "the filter has more than " + std::to_string(kMaxClauses) +
             " clauses (each comparison and each value of 'in' counts); split it into several "
             "requests",
         FilterError::Kind::kUnsupported);
    return false;
  }

  bool expect(Token::Kind kind, std::string_view what) {
    if (peek().kind == kind) {
      take();
      return true;
    }
    fail(peek().pos, "expected " + std::string(what) + ", found " + describe(peek()));
    return false;
  }

  std::unique_ptr<Node> parse_primary(int depth) {
    if (depth >= kMaxFilterDepth) {
      return fail(peek().pos, "the filter nests parentheses deeper than " +
                                  std::to_string(kMaxFilterDepth) + " levels");
    }
    const Token& t = peek();
    if (t.kind == Token::Kind::kOpen) {
      take();
      auto inner = parse_or(depth + 1);
      if (error_) return nullptr;
      if (!expect(Token::Kind::kClose, "')'")) return nullptr;
      return inner;
    }
    if (t.kind != Token::Kind::kIdent) {
      return fail(t.pos, "expected a property, startswith(...) or '(', found " + describe(t));
    }
    if (is_word(t, "not")) {
      if (mode_ != FilterMode::kAdvanced) {
        return fail(t.pos, advanced_only("'not'"), FilterError::Kind::kUnsupported);
      }
      take();
      auto n = std::make_unique<Node>();
      n->op = Node::Op::kNot;
      auto operand = parse_primary(depth + 1);
      if (error_) return nullptr;
      n->operands.push_back(std::move(operand));
      return n;
    }
    if (peek(1).kind == Token::Kind::kOpen) {
      const size_t slash = t.text.find('/');
      if (slash != std::string::npos) return parse_any(depth);
      return parse_function(depth);
    }
    return parse_comparison();
  }

  static std::string advanced_only(std::string_view what) {
    return std::string(what) +
           " is served by Microsoft Graph only as an advanced query: send the request header "
           "'ConsistencyLevel: eventual' (with $count=true)";
  }

  // collection/any(x: x eq 'v' | startswith(x,'v') | endswith(x,'v'))
  std::unique_ptr<Node> parse_any(int depth) {
    const Token name = take();
    const size_t slash = name.text.find('/');
    const std::string prop_name = name.text.substr(0, slash);
    const std::string lambda = name.text.substr(slash + 1);
    if (!ascii_iequal(lambda, "any")) {
      return fail(
          name.pos + slash + 1,
          "only any() is supported on a collection, not '" + quote_for_message(lambda, 40) + "'",
          FilterError::Kind::kUnsupported);
    }
    const FilterProperty* prop = nullptr;
    for (const auto& p : props_) {
      if (ascii_iequal(p.name, prop_name)) prop = &p;
    }
    if (!prop || prop->type != FilterType::kStrings) {
      return fail(name.pos,
                  "Unsupported or invalid query filter clause specified for property '" +
                      quote_for_message(prop_name, 40) + "' of resource 'User'.",
                  FilterError::Kind::kUnsupported);
    }
    if (!count_clause(name.pos)) return nullptr;
    take();  // '('
    if (peek().kind != Token::Kind::kIdent || peek().text.find('/') != std::string::npos) {
      return fail(peek().pos,
                  "expected a range variable (as in any(x:x eq 'v')), found " + describe(peek()));
    }
    const std::string var = take().text;
    if (!expect(Token::Kind::kColon, "':' after the range variable")) return nullptr;
    auto test = std::make_unique<Node>();
    const Token& t = peek();
    if (peek(1).kind == Token::Kind::kOpen && t.kind == Token::Kind::kIdent) {
      const Token fn = take();
      const bool starts = ascii_iequal(fn.text, "startswith");
      const bool ends = ascii_iequal(fn.text, "endswith");
      if (!starts && !ends) {
        return fail(
            fn.pos,
            "any() takes eq, startswith or endswith, not '" + quote_for_message(fn.text, 40) + "'",
            FilterError::Kind::kUnsupported);
      }
      if (ends && mode_ != FilterMode::kAdvanced) {
        return fail(fn.pos, advanced_only("endswith"), FilterError::Kind::kUnsupported);
      }
      take();  // '('
      if (!is_word(peek(), var)) {
        return fail(peek().pos,
                    "expected the range variable '" + var + "', found " + describe(peek()));
      }
      take();
      if (!expect(Token::Kind::kComma, "','")) return nullptr;
      if (peek().kind != Token::Kind::kString) {
        return fail(peek().pos, "expected a string in single quotes, found " + describe(peek()));
      }
      test->op = starts ? Node::Op::kStartsWith : Node::Op::kEndsWith;
      test->values.push_back(take().text);
      if (!expect(Token::Kind::kClose, "')'")) return nullptr;
    } else {
      if (!is_word(t, var)) {
        return fail(t.pos, "expected the range variable '" + var + "', found " + describe(t));
      }
      take();
      if (!is_word(peek(), "eq")) {
        return fail(peek().pos, "any() takes eq, startswith or endswith, found " + describe(peek()),
                    FilterError::Kind::kUnsupported);
      }
      take();
      if (peek().kind != Token::Kind::kString) {
        return fail(peek().pos, "expected a string in single quotes, found " + describe(peek()));
      }
      test->op = Node::Op::kEq;
      test->values.push_back(take().text);
    }
    if (!expect(Token::Kind::kClose, "')'")) return nullptr;
    (void)depth;
    auto n = std::make_unique<Node>();
    n->op = Node::Op::kAny;
    n->property = prop->name;
    n->operands.push_back(std::move(test));
    return n;
  }

  std::unique_ptr<Node> parse_function(int /*depth*/) {
    const Token name = take();
    const bool ends = ascii_iequal(name.text, "endswith");
    if (ends && mode_ != FilterMode::kAdvanced) {
      return fail(name.pos, advanced_only("the function 'endswith'"),
                  FilterError::Kind::kUnsupported);
    }
    if (!ascii_iequal(name.text, "startswith") && !ends) {
      static constexpr std::string_view kKnown[] = {"contains", "any",    "all",       "tolower",
                                                    "toupper",  "length", "substring", "indexof",
                                                    "concat",   "trim",   "has"};
      for (auto k : kKnown) {
        if (ascii_iequal(name.text, k)) {
          return fail(name.pos,
                      "the function '" + name.text +
                          "' is not supported on users here (startswith is); Microsoft Graph "
                          "serves it only as an advanced query",
                      FilterError::Kind::kUnsupported);
        }
      }
      return fail(name.pos, "unknown function '" + quote_for_message(name.text, 40) + "'");
    }
    take();  // '('
    const FilterProperty* prop = property(peek());
    if (!prop) return nullptr;
    if (!count_clause(peek().pos)) return nullptr;
    size_t prop_pos = take().pos;
    if (prop->type != FilterType::kString) {
      return fail(prop_pos, name.text + " needs a text property; '" + prop->name + "' is " +
                                (prop->type == FilterType::kBool ? "boolean" : "a collection"));
    }
    if (!expect(Token::Kind::kComma, "','")) return nullptr;
    if (peek().kind != Token::Kind::kString) {
      return fail(peek().pos,
                  name.text + " needs a string in single quotes, found " + describe(peek()));
    }
    auto n = std::make_unique<Node>();
    n->op = ends ? Node::Op::kEndsWith : Node::Op::kStartsWith;
    n->property = prop->name;
    n->values.push_back(take().text);
    if (!expect(Token::Kind::kClose, "')'")) return nullptr;
    return n;
  }

  // The property a token names, or nullptr with the error set.
  const FilterProperty* property(const Token& t) {
    if (t.kind != Token::Kind::kIdent) {
      fail(t.pos, "expected a property name, found " + describe(t));
      return nullptr;
    }
    for (const auto& p : props_) {
      if (ascii_iequal(p.name, t.text)) return &p;
    }
    fail(t.pos,
         "Unsupported or invalid query filter clause specified for property '" +
             quote_for_message(t.text, 40) + "' of resource 'User'.",
         FilterError::Kind::kUnsupported);
    return nullptr;
  }

  std::unique_ptr<Node> parse_comparison() {
    const FilterProperty* prop = property(peek());
    if (!prop) return nullptr;
    if (!count_clause(peek().pos)) return nullptr;
    const size_t prop_pos = take().pos;
    if (prop->type == FilterType::kStrings) {
      return fail(prop_pos,
                  "'" + prop->name + "' holds several values: filter it with " + prop->name +
                      "/any(x:x eq '...')",
                  FilterError::Kind::kUnsupported);
    }
    const Token op = take();
    auto n = std::make_unique<Node>();
    n->property = prop->name;
    if (is_word(op, "ne") && mode_ == FilterMode::kAdvanced) {
      n->op = Node::Op::kNe;
      auto v = literal(*prop);
      if (error_) return nullptr;
      n->values.push_back(std::move(*v));
      return n;
    }
    if (is_word(op, "eq")) {
      n->op = Node::Op::kEq;
      auto v = literal(*prop);
      if (error_) return nullptr;
      n->values.push_back(std::move(*v));
      return n;
    }
    if (is_word(op, "in")) {
      n->op = Node::Op::kIn;
      if (!expect(Token::Kind::kOpen, "'(' after 'in'")) return nullptr;
      while (true) {
        // The comparison counted the first value.
        if (!n->values.empty() && !count_clause(peek().pos)) return nullptr;
        auto v = literal(*prop);
        if (error_) return nullptr;
        n->values.push_back(std::move(*v));
        if (peek().kind == Token::Kind::kComma) {
          take();
          continue;
        }
        if (!expect(Token::Kind::kClose, "',' or ')'")) return nullptr;
        for (const auto& value : n->values) {
          if (value) n->lowered.push_back(ascii_lower(*value));
        }
        std::sort(n->lowered.begin(), n->lowered.end());
        return n;
      }
    }
    if (is_word(op, "ne")) {
      return fail(op.pos, advanced_only("the operator 'ne'"), FilterError::Kind::kUnsupported);
    }
    for (std::string_view other : {"gt", "ge", "lt", "le", "has"}) {
      if (is_word(op, other)) {
        return fail(op.pos,
                    "the operator '" + op.text +
                        "' is not supported on users here (eq, ne, in, startswith and endswith "
                        "are)",
                    FilterError::Kind::kUnsupported);
      }
    }
    return fail(op.pos, "expected 'eq' or 'in' after '" + prop->name + "', found " + describe(op));
  }

  // A literal of the property's type: nullopt inside the optional is null.
  std::optional<std::optional<std::string>> literal(const FilterProperty& prop) {
    const Token& t = peek();
    if (is_word(t, "null")) {
      take();
      return std::optional<std::string>();
    }
    if (prop.type == FilterType::kBool) {
      if (is_word(t, "true") || is_word(t, "false")) {
        take();
        return std::optional<std::string>(ascii_lower(t.text));
      }
      fail(t.pos,
           "'" + prop.name + "' is boolean: compare it with true or false, found " + describe(t));
      return std::nullopt;
    }
    if (t.kind == Token::Kind::kString) {
      // Taken for good: a parse looks back at no token it has passed.
      std::string value = std::move(tokens_[next_].text);
      take();
      return std::optional<std::string>(std::move(value));
    }
    fail(t.pos, "'" + prop.name + "' is text: compare it with a string in single quotes, found " +
                    describe(t));
    return std::nullopt;
  }

  std::string_view text_;
  const std::vector<FilterProperty>& props_;
  FilterMode mode_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  int clauses_ = 0;
  std::optional<FilterError> error_;
};

}  // namespace

std::variant<std::unique_ptr<GraphFilter::Node>, FilterError> parse_graph_filter_tree(
    std::string_view text, const std::vector<FilterProperty>& props, FilterMode mode) {
  return Parser(text, props, mode).run();
}

}  // namespace upsync
