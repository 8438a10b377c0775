// PostgreSQL array literals for parameters: a list of values sent as one text parameter and
// read with $n::text[] (or ::bigint[]) by unnest() or = ANY(), so that a statement handles a
// whole batch in one round trip.
//
//   db.run("DELETE FROM t WHERE id = ANY($1::bigint[])", {pg_text_array(ids)});
#pragma once

#include <string>
#include <vector>

namespace upsync {

// {"a","b\"c"}: each element quoted, with '"' and '\' escaped (so any text, NULL aside).
inline std::string pg_text_array(const std::vector<std::string>& values) {
  size_t size = 2;
  for (const std::string& v : values) size += v.size() + 3;
  std::string out;
  out.reserve(size);
  out += '{';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace upsync
