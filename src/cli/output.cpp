#include "cli/output.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "core/files.h"

namespace upsync {
namespace {
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}
}  // namespace

std::string group_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  if (n < 0) out.insert(out.begin(), '-');
  return out;
}

std::string progress_line(int64_t done, int64_t total, double per_second, std::string_view unit,
                          int bar_width) {
  done = std::clamp<int64_t>(done, 0, std::max<int64_t>(total, 0));
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
  const size_t width = static_cast<size_t>(std::max(bar_width, 1));
  const size_t filled = std::min(width, static_cast<size_t>(fraction * static_cast<double>(width)));
  std::string line = "[";
  line.append(filled, '#');
  line.append(width - filled, '.');
  line += "] ";
  const std::string percent = std::to_string(static_cast<int>(fraction * 100));
  line.append(3 - std::min<size_t>(3, percent.size()), ' ');
  line += percent;
  line += "%  ";
  line += group_thousands(done) + " / " + group_thousands(total) + " ";
  line += unit;
  line += "  ";
  line += group_thousands(static_cast<int64_t>(per_second)) + "/s";
  return line;
}

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

Result<std::string> read_input_file(const std::string& path) {
  std::ostringstream s;
  if (path == "-") {
    s << std::cin.rdbuf();
    return s.str();
  }
  return read_whole_file(path);
}

}  // namespace upsync
