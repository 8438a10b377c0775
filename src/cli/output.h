// Output helpers for the CLI: aligned text tables for people, JSON for scripts.
#pragma once

#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace upsync {

// A text table: a header row, then rows, columns padded to the widest cell (UTF-8 aware).
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Writes `j` indented by two, with a final newline.
void print_json(std::ostream& out, const nlohmann::json& j);

}  // namespace upsync
