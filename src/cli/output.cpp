#include "cli/output.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

namespace upsync {
namespace {
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}
}  // namespace

void TextTable::print(std::ostream& out) const {
  std::vector<size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  auto line = [&](const std::vector<std::string>& row) {
    std::string s;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      s += cell;
      if (i + 1 < widths.size()) s.append(widths[i] - display_width(cell) + 2, ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << '\n';
  };
  line(header_);
  for (const auto& r : rows_) line(r);
}

void print_json(std::ostream& out, const nlohmann::json& j) { out << j.dump(2) << '\n'; }

}  // namespace upsync
