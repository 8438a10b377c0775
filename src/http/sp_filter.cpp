// SharePoint's $filter (sp_query.h): a recursive-descent parser into a tree, evaluated per
// item; and the typed values both compare.
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <memory>

#include "core/text.h"
#include "http/sp_query.h"
#include "http/sp_value.h"

namespace upsync {

namespace {

constexpr int kMaxDepth = 64;  // of parentheses and not: a bound on the parser's stack

bool is_digits(std::string_view s, size_t n) {
  if (s.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

std::string_view sp_edm_name(SpType t) {
  switch (t) {
    case SpType::kString:
      return "Edm.String";
    case SpType::kInt:
      return "Edm.Int32";
    case SpType::kBool:
      return "Edm.Boolean";
    case SpType::kDateTime:
      return "Edm.DateTime";
    case SpType::kObject:
      return "a complex type";
  }
  return "Edm.String";
}

Status sp_no_such_property(std::string_view name, const SpSchema& schema) {
  return invalid_argument("The property '" + quote_for_message(name, 80) +
                          "' does not exist on type '" + schema.type_name +
                          "'. Make sure to only use property names that are defined by the type.");
}

std::optional<int64_t> sp_parse_int64(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// ISO 8601 as SharePoint writes and reads it: 2026-01-02[THH:MM[:SS[.fff]]][Z|+hh:mm], as
// seconds since 1970 UTC (a time without a zone is UTC).
std::optional<int64_t> sp_parse_datetime(std::string_view s) {
  if (!is_digits(s, 4) || s.size() < 10 || s[4] != '-' || !is_digits(s.substr(5), 2) ||
      s[7] != '-' || !is_digits(s.substr(8), 2)) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = std::atoi(std::string(s.substr(0, 4)).c_str()) - 1900;
  tm.tm_mon = std::atoi(std::string(s.substr(5, 2)).c_str()) - 1;
  tm.tm_mday = std::atoi(std::string(s.substr(8, 2)).c_str());
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31) return std::nullopt;
  std::string_view rest = s.substr(10);
  int64_t offset = 0;
  if (!rest.empty()) {
    if (rest[0] != 'T' && rest[0] != ' ') return std::nullopt;
    rest.remove_prefix(1);
    if (!is_digits(rest, 2) || rest.size() < 5 || rest[2] != ':' || !is_digits(rest.substr(3), 2)) {
      return std::nullopt;
    }
    tm.tm_hour = std::atoi(std::string(rest.substr(0, 2)).c_str());
    tm.tm_min = std::atoi(std::string(rest.substr(3, 2)).c_str());
    rest.remove_prefix(5);
    if (!rest.empty() && rest[0] == ':') {
      if (!is_digits(rest.substr(1), 2)) return std::nullopt;
      tm.tm_sec = std::atoi(std::string(rest.substr(1, 2)).c_str());
      rest.remove_prefix(3);
      if (!rest.empty() && rest[0] == '.') {
        rest.remove_prefix(1);
        while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0]))) {
          rest.remove_prefix(1);
        }
      }
    }
    if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) return std::nullopt;
    if (rest == "Z") {
      rest = {};
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') &&
               is_digits(rest.substr(1), 2) && rest[3] == ':' && is_digits(rest.substr(4), 2)) {
      offset = (std::atoi(std::string(rest.substr(1, 2)).c_str()) * 60 +
                std::atoi(std::string(rest.substr(4, 2)).c_str())) *
               60 * (rest[0] == '+' ? 1 : -1);
      rest = {};
    }
    if (!rest.empty()) return std::nullopt;
  }
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

// ---- Values ---------------------------------------------------------------------------------

SpValue sp_item_value(const nlohmann::json& item, const SpField& f) {
  SpValue v;
  auto it = item.find(f.name);
  if (it == item.end() || it->is_null()) return v;
  switch (f.type) {
    case SpType::kString:
      if (it->is_string()) {
        v.text = ascii_lower(it->get<std::string>());
      } else {
        v.text = ascii_lower(it->dump());
      }
      v.null = false;
      return v;
    case SpType::kInt:
      if (it->is_number_integer()) {
        v.number = it->get<int64_t>();
        v.null = false;
      } else if (it->is_string()) {
        if (auto n = sp_parse_int64(it->get<std::string>())) {
          v.number = *n;
          v.null = false;
        }
      }
      return v;
    case SpType::kBool:
      if (it->is_boolean()) {
        v.number = it->get<bool>() ? 1 : 0;
        v.null = false;
      }
      return v;
    case SpType::kDateTime:
      if (it->is_string()) {
        if (auto t = sp_parse_datetime(it->get<std::string>())) {
          v.number = *t;
          v.null = false;
        }
      }
      return v;
    case SpType::kObject:
      return v;
  }
  return v;
}

// <0, 0, >0; both sides non-null.
int sp_compare(const SpValue& a, const SpValue& b, SpType t) {
  if (t == SpType::kString) return a.text.compare(b.text);
  return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
}

// ---- The filter's tree ----------------------------------------------------------------------

enum class SpOp { kEq, kNe, kLt, kGt, kLe, kGe, kAnd, kOr, kNot, kStartsWith, kSubstringOf };

struct SpFilterNode {
  SpOp op;
  const SpField* field = nullptr;  // comparisons and functions
  SpValue literal;
  std::unique_ptr<SpFilterNode> left, right;  // and/or; not uses left

  bool eval(const nlohmann::json& item) const {
    switch (op) {
      case SpOp::kAnd:
        return left->eval(item) && right->eval(item);
      case SpOp::kOr:
        return left->eval(item) || right->eval(item);
      case SpOp::kNot:
        return !left->eval(item);
      default:
        break;
    }
    SpValue v = sp_item_value(item, *field);
    if (op == SpOp::kStartsWith) return !v.null && v.text.starts_with(literal.text);
    if (op == SpOp::kSubstringOf) return !v.null && v.text.find(literal.text) != std::string::npos;
    if (v.null || literal.null) {
      // OData: null equals null only; an order comparison with null is false.
      bool both = v.null && literal.null;
      if (op == SpOp::kEq) return both;
      if (op == SpOp::kNe) return !both;
      return false;
    }
    int c = sp_compare(v, literal, field->type);
    switch (op) {
      case SpOp::kEq:
        return c == 0;
      case SpOp::kNe:
        return c != 0;
      case SpOp::kLt:
        return c < 0;
      case SpOp::kGt:
        return c > 0;
      case SpOp::kLe:
        return c <= 0;
      case SpOp::kGe:
        return c >= 0;
      default:
        return false;
    }
  }
};

namespace {

enum class Tok { kEnd, kName, kString, kNumber, kDateTime, kOpen, kClose, kComma, kBad };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // names as written, literals decoded
  size_t pos = 0;
};

class FilterParser {
 public:
  FilterParser(std::string_view text, const SpSchema& schema) : text_(text), schema_(schema) {}

  Result<std::unique_ptr<SpFilterNode>> parse() {
    UPSYNC_RETURN_IF_ERROR(next());
    UPSYNC_ASSIGN_OR_RETURN(auto root, parse_or(0));
    if (tok_.kind != Tok::kEnd) return error(tok_.pos, "unexpected '" + tok_.text + "'");
    return root;
  }

 private:
  Status error(size_t pos, const std::string& what) const {
    return invalid_argument("The $filter '" + quote_for_message(text_, 200) +
                            "' is not valid at position " + std::to_string(pos) + ": " + what +
                            ".");
  }

  Status next() {
    size_t i = pos_;
    while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t')) ++i;
    tok_ = Token{};
    tok_.pos = i;
    if (i >= text_.size()) {
      pos_ = i;
      return Status::ok();
    }
    char c = text_[i];
    if (c == '(' || c == ')' || c == ',') {
      tok_.kind = c == '(' ? Tok::kOpen : (c == ')' ? Tok::kClose : Tok::kComma);
      tok_.text = std::string(1, c);
      pos_ = i + 1;
      return Status::ok();
    }
    if (c == '\'') return read_string(i + 1, Tok::kString);
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      size_t j = i + 1;
      while (j < text_.size() && std::isdigit(static_cast<unsigned char>(text_[j]))) ++j;
      tok_.kind = Tok::kNumber;
      tok_.text = std::string(text_.substr(i, j - i));
      pos_ = j;
      return Status::ok();
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i + 1;
      while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) ||
                                  text_[j] == '_' || text_[j] == '/' || text_[j] == '.')) {
        ++j;
      }
      std::string name(text_.substr(i, j - i));
      if (ascii_iequal(name, "datetime") && j < text_.size() && text_[j] == '\'') {
        tok_.pos = i;
        return read_string(j + 1, Tok::kDateTime);
      }
      tok_.kind = Tok::kName;
      tok_.text = std::move(name);
      pos_ = j;
      return Status::ok();
    }
    return error(i, "unexpected character '" + quote_for_message(text_.substr(i, 1), 4) + "'");
  }

  // A quoted literal from `i` (after the opening quote); '' is a quote.
  Status read_string(size_t i, Tok kind) {
    size_t start = tok_.pos;
    std::string out;
    while (true) {
      if (i >= text_.size()) return error(start, "a literal is not closed with '");
      if (text_[i] == '\'') {
        if (i + 1 < text_.size() && text_[i + 1] == '\'') {
          out.push_back('\'');
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      out.push_back(text_[i++]);
    }
    tok_.kind = kind;
    tok_.text = std::move(out);
    pos_ = i;
    return Status::ok();
  }

  bool keyword(std::string_view k) const {
    return tok_.kind == Tok::kName && ascii_iequal(tok_.text, k);
  }

  Status expect(Tok kind, std::string_view what) {
    if (tok_.kind != kind) {
      return error(tok_.pos,
                   "expected " + std::string(what) +
                       (tok_.kind == Tok::kEnd ? " at the end" : ", not '" + tok_.text + "'"));
    }
    return next();
  }

  std::unique_ptr<SpFilterNode> join(SpOp op, std::unique_ptr<SpFilterNode> l,
                                     std::unique_ptr<SpFilterNode> r) {
    auto n = std::make_unique<SpFilterNode>();
    n->op = op;
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }

  Result<std::unique_ptr<SpFilterNode>> parse_or(int depth) {
    UPSYNC_ASSIGN_OR_RETURN(auto left, parse_and(depth));
    while (keyword("or")) {
      UPSYNC_RETURN_IF_ERROR(next());
      UPSYNC_ASSIGN_OR_RETURN(auto right, parse_and(depth));
      left = join(SpOp::kOr, std::move(left), std::move(right));
    }
    return left;
  }

  Result<std::unique_ptr<SpFilterNode>> parse_and(int depth) {
    UPSYNC_ASSIGN_OR_RETURN(auto left, parse_unary(depth));
    while (keyword("and")) {
      UPSYNC_RETURN_IF_ERROR(next());
      UPSYNC_ASSIGN_OR_RETURN(auto right, parse_unary(depth));
      left = join(SpOp::kAnd, std::move(left), std::move(right));
    }
    return left;
  }

  Result<std::unique_ptr<SpFilterNode>> parse_unary(int depth) {
    if (depth > kMaxDepth) return error(tok_.pos, "nested too deeply");
    if (keyword("not")) {
      UPSYNC_RETURN_IF_ERROR(next());
      UPSYNC_ASSIGN_OR_RETURN(auto inner, parse_unary(depth + 1));
      return join(SpOp::kNot, std::move(inner), nullptr);
    }
    if (tok_.kind == Tok::kOpen) {
      UPSYNC_RETURN_IF_ERROR(next());
      UPSYNC_ASSIGN_OR_RETURN(auto inner, parse_or(depth + 1));
      UPSYNC_RETURN_IF_ERROR(expect(Tok::kClose, "')'"));
      return inner;
    }
    if (keyword("startswith") || keyword("substringof")) return parse_function();
    return parse_comparison();
  }

  Result<const SpField*> field() {
    if (tok_.kind != Tok::kName) {
      return error(tok_.pos, tok_.kind == Tok::kEnd
                                 ? "expected a property name at the end"
                                 : "expected a property name, not '" + tok_.text + "'");
    }
    if (tok_.text.find('/') != std::string::npos) {
      return error(tok_.pos, "'" + quote_for_message(tok_.text, 80) +
                                 "' names a property of another entity, and upsync expands "
                                 "none here");
    }
    const SpField* f = schema_.find(tok_.text);
    if (!f) return sp_no_such_property(tok_.text, schema_);
    if (f->type == SpType::kObject) {
      return error(tok_.pos, "'" + f->name + "' is of a complex type and cannot be compared");
    }
    UPSYNC_RETURN_IF_ERROR(next());
    return f;
  }

  // startswith(Field,'x') and substringof('x',Field), optionally "eq true" / "eq false".
  Result<std::unique_ptr<SpFilterNode>> parse_function() {
    bool starts = keyword("startswith");
    std::string name = tok_.text;
    UPSYNC_RETURN_IF_ERROR(next());
    UPSYNC_RETURN_IF_ERROR(expect(Tok::kOpen, "'(' after " + name));
    auto node = std::make_unique<SpFilterNode>();
    node->op = starts ? SpOp::kStartsWith : SpOp::kSubstringOf;
    auto text_arg = [&]() -> Status {
      if (tok_.kind != Tok::kString) return error(tok_.pos, name + " takes a text literal");
      node->literal.null = false;
      node->literal.text = ascii_lower(tok_.text);
      return next();
    };
    size_t field_pos = 0;
    if (starts) {
      field_pos = tok_.pos;
      UPSYNC_ASSIGN_OR_RETURN(node->field, field());
      UPSYNC_RETURN_IF_ERROR(expect(Tok::kComma, "','"));
      UPSYNC_RETURN_IF_ERROR(text_arg());
    } else {
      UPSYNC_RETURN_IF_ERROR(text_arg());
      UPSYNC_RETURN_IF_ERROR(expect(Tok::kComma, "','"));
      field_pos = tok_.pos;
      UPSYNC_ASSIGN_OR_RETURN(node->field, field());
    }
    if (node->field->type != SpType::kString) {
      return error(field_pos, name + " needs a text property; '" + node->field->name + "' is " +
                                  std::string(sp_edm_name(node->field->type)));
    }
    UPSYNC_RETURN_IF_ERROR(expect(Tok::kClose, "')'"));
    if (keyword("eq") || keyword("ne")) {
      bool negate = keyword("ne");
      UPSYNC_RETURN_IF_ERROR(next());
      if (!keyword("true") && !keyword("false")) {
        return error(tok_.pos, name + "(...) compares with true or false only");
      }
      negate = negate != keyword("false");
      UPSYNC_RETURN_IF_ERROR(next());
      if (negate) return join(SpOp::kNot, std::move(node), nullptr);
    }
    return node;
  }

  Result<std::unique_ptr<SpFilterNode>> parse_comparison() {
    UPSYNC_ASSIGN_OR_RETURN(const SpField* f, field());
    static const std::pair<std::string_view, SpOp> kOps[] = {{"eq", SpOp::kEq}, {"ne", SpOp::kNe},
                                                             {"lt", SpOp::kLt}, {"gt", SpOp::kGt},
                                                             {"le", SpOp::kLe}, {"ge", SpOp::kGe}};
    auto node = std::make_unique<SpFilterNode>();
    node->field = f;
    bool found = false;
    for (const auto& [word, op] : kOps) {
      if (keyword(word)) {
        node->op = op;
        found = true;
      }
    }
    if (!found) {
      return error(tok_.pos,
                   tok_.kind == Tok::kEnd
                       ? "expected an operator (eq, ne, lt, gt, le, ge) at the end"
                       : "expected an operator (eq, ne, lt, gt, le, ge), not '" + tok_.text + "'");
    }
    std::string op_word = tok_.text;
    UPSYNC_RETURN_IF_ERROR(next());
    UPSYNC_ASSIGN_OR_RETURN(node->literal, literal(*f, op_word));
    return node;
  }

  // The literal after a comparison with `f`, read as f's type.
  Result<SpValue> literal(const SpField& f, const std::string& op_word) {
    SpValue v;
    const Token t = tok_;
    if (t.kind == Tok::kName && ascii_iequal(t.text, "null")) {
      UPSYNC_RETURN_IF_ERROR(next());
      if (!ascii_iequal(op_word, "eq") && !ascii_iequal(op_word, "ne")) {
        return error(t.pos, "null compares with eq and ne only");
      }
      return v;
    }
    auto mismatch = [&](std::string_view found) {
      return error(t.pos, "'" + f.name + "' is " + std::string(sp_edm_name(f.type)) +
                              " and cannot be compared with " + std::string(found));
    };
    v.null = false;
    switch (f.type) {
      case SpType::kString:
        if (t.kind != Tok::kString) return mismatch("'" + t.text + "' (quote text: 'x')");
        v.text = ascii_lower(t.text);
        break;
      case SpType::kInt: {
        if (t.kind != Tok::kNumber) return mismatch("'" + t.text + "' (an integer is unquoted)");
        auto n = sp_parse_int64(t.text);
        if (!n) return error(t.pos, "'" + t.text + "' is not an integer");
        v.number = *n;
        break;
      }
      case SpType::kBool:
        if (t.kind == Tok::kName &&
            (ascii_iequal(t.text, "true") || ascii_iequal(t.text, "false"))) {
          v.number = ascii_iequal(t.text, "true") ? 1 : 0;
        } else if (t.kind == Tok::kNumber && (t.text == "0" || t.text == "1")) {
          v.number = t.text == "1" ? 1 : 0;  // SharePoint stores booleans as bits
        } else {
          return mismatch("'" + t.text + "' (use true or false)");
        }
        break;
      case SpType::kObject:
        return mismatch("anything");
      case SpType::kDateTime: {
        if (t.kind != Tok::kDateTime) {
          return mismatch("'" + t.text + "' (write datetime'2026-01-31T00:00:00Z')");
        }
        auto when = sp_parse_datetime(t.text);
        if (!when)
          return error(t.pos, "datetime'" + quote_for_message(t.text, 40) +
                                  "' is not an ISO 8601 date and time");
        v.number = *when;
        break;
      }
    }
    UPSYNC_RETURN_IF_ERROR(next());
    return v;
  }

  std::string_view text_;
  const SpSchema& schema_;
  size_t pos_ = 0;
  Token tok_;
};

// The property names of a comma-separated list, trimmed; `what` names the option.
}  // namespace

SpFilter::SpFilter(std::unique_ptr<SpFilterNode> root) : root_(std::move(root)) {}
SpFilter::SpFilter(SpFilter&&) noexcept = default;
SpFilter& SpFilter::operator=(SpFilter&&) noexcept = default;
SpFilter::~SpFilter() = default;

Result<SpFilter> SpFilter::parse(std::string_view text, const SpSchema& schema) {
  FilterParser p(text, schema);
  UPSYNC_ASSIGN_OR_RETURN(auto root, p.parse());
  return SpFilter(std::move(root));
}

bool SpFilter::matches(const nlohmann::json& item) const { return root_->eval(item); }

}  // namespace upsync
