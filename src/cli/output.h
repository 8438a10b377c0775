// Output helpers for the CLI: aligned text tables for people, JSON for scripts.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/status.h"

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

// One line of a progress bar for a terminal (no newline), e.g.
//   [#########...........]  45%  450,000 / 1,000,000 user objects  512,300/s
// `done` is clamped to [0, total]; a total of 0 shows an empty bar at 0 %.
std::string progress_line(int64_t done, int64_t total, double per_second,
                          std::string_view unit = "user objects", int bar_width = 20);

// 1234567 → "1,234,567".
std::string group_thousands(int64_t n);

// Writes `j` indented by two, with a final newline.
void print_json(std::ostream& out, const nlohmann::json& j);

// The whole content of the file at `path` ("-": standard input); NotFound naming the path.
Result<std::string> read_input_file(const std::string& path);

}  // namespace upsync
