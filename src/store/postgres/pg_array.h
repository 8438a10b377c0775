// PostgreSQL array literals for parameters: a list of values sent as one text parameter and
// read with $n::text[] (or ::bigint[]) by unnest() or = ANY(), so that a statement handles a
// whole batch in one round trip.
//
//   db.run("DELETE FROM t WHERE id = ANY($1::bigint[])", {pg_text_array(ids)});
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace upsync {

// Appends `text` to an array literal as one element: quoted, with '"' and '\' escaped.
inline void pg_array_append(std::string& out, std::string_view text) {
  const size_t at = out.size();
  out.resize(at + 2 * text.size() + 2);  // the most it can take
  char* w = out.data() + at;
  *w++ = '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') *w++ = '\\';
    *w++ = c;
  }
  *w++ = '"';
  out.resize(static_cast<size_t>(w - out.data()));
}

namespace pg_array_detail {
inline const std::string* value(const std::string& v) { return &v; }
inline const std::string* value(const std::optional<std::string>& v) { return v ? &*v : nullptr; }

template <typename Values>
std::string array_of(const Values& values) {
  size_t size = 2;
  for (const auto& v : values) {
    const std::string* text = value(v);
    size += (text ? 2 * text->size() : 4) + 3;
  }
  std::string out;
  out.reserve(size);
  out += '{';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    const std::string* text = value(values[i]);
    if (text) {
      pg_array_append(out, *text);
    } else {
      out += "NULL";
    }
  }
  out += '}';
  return out;
}
}  // namespace pg_array_detail

// {"a","b\"c",NULL}: each element quoted, with '"' and '\' escaped (so any text); a
// std::nullopt element is NULL.
inline std::string pg_text_array(const std::vector<std::string>& values) {
  return pg_array_detail::array_of(values);
}
inline std::string pg_text_array(const std::vector<std::optional<std::string>>& values) {
  return pg_array_detail::array_of(values);
}

}  // namespace upsync
