// PostgreSQL arrays for parameters: a list of values sent as one parameter and read with
// $n::text[] or $n::bigint[] by unnest() or = ANY(), so that a statement handles a whole batch
// in one round trip. They go in the binary form of a one-dimensional array (what the server's
// array_recv reads: a header, then each element's length and bytes, big-endian), which spares
// the server parsing a text literal: array_in took a tenth of a bulk import's server time.
//
//   db.run("DELETE FROM t WHERE id = ANY($1::bigint[])", {pg_bigint_array(ids)});
//   db.query("SELECT ... WHERE key = ANY($2::text[])", {tenant, pg_text_array(keys)});
//
// The element type must be the one the statement casts to: a text array for $n::bigint[] is
// refused by the server ("binary data has array element type 25 (text) instead of expected 20
// (bigint)").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/pg_db.h"

namespace upsync {

// Builds one array's binary form, element by element.
class PgArrayBuilder {
 public:
  // The element types' OIDs (pg_type), as array_recv checks them.
  static constexpr uint32_t kBigint = 20;
  static constexpr uint32_t kText = 25;

  // `bytes` is room to reserve for the elements' bytes.
  PgArrayBuilder(uint32_t element_type, size_t bytes = 0) : type_(element_type) {
    out_.reserve(kHeader + bytes);
    out_.resize(kHeader);  // written by take(), once the count is known
  }
  void add(std::string_view text) {  // kText: UTF-8, checked by the server
    put32(static_cast<uint32_t>(text.size()));
    out_.append(text);
    ++count_;
  }
  void add(int64_t v) {  // kBigint
    put32(8);
    put32(static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
    put32(static_cast<uint32_t>(v));
    ++count_;
  }
  uint32_t size() const { return count_; }  // the elements added so far
  void add_null() {
    put32(0xFFFFFFFFu);  // length -1
    nulls_ = true;
    ++count_;
  }
  PgParam take() && {
    std::string header;
    if (count_ == 0) {  // no dimension: the empty array, as the server sends it
      put32_at(header, 0);
      put32_at(header, 0);
      put32_at(header, type_);
      return PgParam::binary(std::move(header));
    }
    put32_at(header, 1);               // dimensions
    put32_at(header, nulls_ ? 1 : 0);  // has NULLs
    put32_at(header, type_);           // element type
    put32_at(header, count_);          // length of the dimension
    put32_at(header, 1);               // its lower bound
    out_.replace(0, kHeader, header);
    return PgParam::binary(std::move(out_));
  }

 private:
  static constexpr size_t kHeader = 20;
  static void put32_at(std::string& s, uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
    s.append(b, 4);
  }
  void put32(uint32_t v) { put32_at(out_, v); }

  std::string out_;
  uint32_t type_;
  uint32_t count_ = 0;
  bool nulls_ = false;
};

namespace pg_array_detail {
inline const std::string* value(const std::string& v) { return &v; }
inline const std::string* value(const std::optional<std::string>& v) { return v ? &*v : nullptr; }

template <typename Values>
PgParam text_array(const Values& values) {
  size_t bytes = 0;
  for (const auto& v : values) bytes += 4 + (value(v) ? value(v)->size() : 0);
  PgArrayBuilder array(PgArrayBuilder::kText, bytes);
  for (const auto& v : values) {
    if (const std::string* text = value(v)) {
      array.add(std::string_view(*text));
    } else {
      array.add_null();
    }
  }
  return std::move(array).take();
}
}  // namespace pg_array_detail

// A text[] of `values` (any text; std::nullopt elements are NULL).
inline PgParam pg_text_array(std::span<const std::string> values) {
  return pg_array_detail::text_array(values);
}
inline PgParam pg_text_array(const std::vector<std::optional<std::string>>& values) {
  return pg_array_detail::text_array(values);
}

// A bigint[] of `values`.
inline PgParam pg_bigint_array(const std::vector<int64_t>& values) {
  PgArrayBuilder array(PgArrayBuilder::kBigint, 12 * values.size());
  for (const int64_t v : values) array.add(v);
  return std::move(array).take();
}

// Appends `text` to an array's text literal ({"a","b"}) as one element: quoted, with '"' and
// '\' escaped. For the columns of a deferred insert whose type has no binary form here.
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

}  // namespace upsync
