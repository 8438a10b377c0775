// PostgreSQL array literals for parameters: a list of values sent as one text parameter and
// read with $n::text[] (or ::bigint[]) by unnest() or = ANY(), so that a statement handles a
// whole batch in one round trip.
//
//   db.run("DELETE FROM t WHERE id = ANY($1::bigint[])", {pg_text_array(ids)});
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <vector>

namespace upsync {

namespace pg_array_detail {
inline const std::string* value(const std::string& v) { return &v; }
inline const std::string* value(const std::optional<std::string>& v) { return v ? &*v : nullptr; }
}  // namespace pg_array_detail

// {"a","b\"c",NULL}: each element quoted, with '"' and '\' escaped (so any text); a
// std::nullopt element is NULL.
template <typename Text>
requires std::same_as<Text, std::string> || std::same_as<Text, std::optional<std::string>>
    std::string pg_text_array(const std::vector<Text>& values) {
  size_t size = 2;
  for (const Text& v : values) {
    const std::string* text = pg_array_detail::value(v);
    size += (text ? text->size() : 4) + 3;
  }
  std::string out;
  out.reserve(size);
  out += '{';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    const std::string* text = pg_array_detail::value(values[i]);
    if (!text) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace upsync
