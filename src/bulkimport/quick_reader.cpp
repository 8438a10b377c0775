#include "bulkimport/quick_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace upsync {
namespace {

// The quick reader (see the header). The file is read in pieces into `buf_`, whose first
// byte is kept free for the '[' that makes the user objects in hand a JSON array. Once it
// holds a chunk's worth, the chunk is cut after the last "}," before a '{' and parsed by
// simdjson, in place (the comma becomes the ']'); the bytes after the cut move to the front.
//
// Where the cut falls does not matter for what is accepted: a chunk is accepted only when
// it parses on its own as a non-empty array of user objects, and chunks that do, joined by
// the commas they were cut at, make a valid array of the same user objects. A cut inside a
// string (a value holding "},{") only makes the chunks fail to parse, and the file go to the
// exact reader.
//
// A read from a chunk start of an earlier read (replay()) cuts where that read cut, so that
// its chunks are the same bytes, parsed the same way: cutting anywhere else could split a
// value holding "},{" that the earlier read never split.
class QuickReader {
 public:
  QuickReader(std::FILE* file, std::string_view data, const ImportRecordViewSink& sink,
              const ImportReaderOptions& options)
      : file_(file),
        data_(data),
        sink_(sink),
        options_(options),
        chunk_(std::max<size_t>(options.quick_chunk_bytes, 4)),
        read_(std::max<size_t>(chunk_ / 4, 1)) {}

  Status replay(QuickChunkStart from, std::span<const QuickChunkStart> later) {
    buf_.assign(1, '[');
    base_ = from.offset;
    index_ = from.index;
    for (const QuickChunkStart& next : later) {
      // The comma before `next`, at next.offset - 1 of the file, is buf_[next.offset - base_].
      if (next.offset <= base_ || next.index <= index_) return unsure();
      const size_t cut = static_cast<size_t>(next.offset - base_);
      if (!at_least(cut + 1) || buf_[cut] != ',') return read_failed_ ? read_error() : unsure();
      buf_[cut] = ']';
      UPSYNC_RETURN_IF_ERROR(parse_chunk(cut + 1, next.offset));
      if (index_ != next.index) return unsure();
      consume(cut + 1);
    }
    while (!eof_) read_more();
    return finish();
  }

  Status run() {
    buf_.assign(1, '[');
    size_t p = 1;
    (void)at_least(p + 3);
    if (buf_.size() >= p + 3 && std::memcmp(buf_.data() + p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    if (!skip_ws(p) || !take(p, "{") || !skip_ws(p) || !take(p, "\"value\"") || !skip_ws(p) ||
        !take(p, ":") || !skip_ws(p) || !take(p, "[")) {
      return unsure();
    }
    consume(p);
    for (;;) {
      while (!eof_ && buf_.size() < chunk_) read_more();
      if (eof_) break;
      const size_t cut = find_cut();
      if (cut == 0) {
        read_more();  // a user object longer than the chunk: read on
        continue;
      }
      buf_[cut] = ']';
      UPSYNC_RETURN_IF_ERROR(parse_chunk(cut + 1, base_ + static_cast<int64_t>(cut)));
      consume(cut + 1);
      searched_ = 0;
    }
    return finish();
  }

 private:
  static Status unsure() {
    return unavailable("the quick reader leaves this file to the exact reader");
  }
  Status read_error() const {
    return internal_error(std::string("reading the data file failed: ") +
                          std::strerror(read_error_));
  }

  // The last chunk, read to the end: the user objects left, then "] }" and white space.
  Status finish() {
    if (read_failed_) return read_error();
    size_t end = buf_.size();
    if (!untake(end, '}') || !untake(end, ']')) return unsure();
    size_t first = 1;
    skip_ws(first);
    if (first == end && index_ == 0) return Status::ok();  // {"value": []}
    buf_[end] = ']';
    return parse_chunk(end + 1, base_ + static_cast<int64_t>(end));
  }

  // Appends the next piece of the input to buf_; sets eof_ at its end.
  void read_more() {
    const size_t had = buf_.size();
    const size_t want = file_ ? read_ : std::min(read_, data_.size());
    buf_.resize(had + want + simdjson::SIMDJSON_PADDING);
    size_t got = 0;
    if (file_) {
      got = std::fread(buf_.data() + had, 1, want, file_);
      if (got == 0 && std::ferror(file_)) {
        read_failed_ = true;
        read_error_ = errno ? errno : EIO;
      }
    } else {
      got = want;
      if (got) std::memcpy(buf_.data() + had, data_.data(), got);
      data_.remove_prefix(got);
    }
    buf_.resize(had + got);
    if (got == 0) eof_ = true;
  }
  bool at_least(size_t n) {
    while (buf_.size() < n && !eof_) read_more();
    return buf_.size() >= n;
  }
  // Drops buf_[1, n): those bytes are done with.
  void consume(size_t n) {
    buf_.erase(1, n - 1);
    base_ += static_cast<int64_t>(n - 1);
  }

  static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  bool skip_ws(size_t& p) {
    while (at_least(p + 1) && is_ws(buf_[p])) ++p;
    return true;
  }
  bool take(size_t& p, std::string_view lit) {
    if (!at_least(p + lit.size()) || std::string_view(buf_).substr(p, lit.size()) != lit)
      return false;
    p += lit.size();
    return true;
  }
  // Takes `c` and the white space after it from the end of buf_[1, end).
  bool untake(size_t& end, char c) {
    while (end > 1 && is_ws(buf_[end - 1])) --end;
    if (end <= 1 || buf_[end - 1] != c) return false;
    --end;
    return true;
  }

  // The index of the last comma in buf_ that has a '}' before it and a '{' after it (white
  // space aside), or 0. Only braces past the last fruitless search are looked at, so that a
  // user object longer than many reads is not searched over and over.
  size_t find_cut() {
    const char* begin = buf_.data() + 1;
    const char* from = buf_.data() + std::max<size_t>(searched_, 1);
    const char* q = buf_.data() + buf_.size();
    searched_ = buf_.size();
    while (q > from) {
      const void* brace = memrchr(from, '{', static_cast<size_t>(q - from));
      if (!brace) return 0;
      q = static_cast<const char*>(brace);
      const char* c = q;
      while (c > begin && is_ws(c[-1])) --c;
      if (c == begin || c[-1] != ',') continue;
      const char* comma = c - 1;
      const char* b = comma;
      while (b > begin && is_ws(b[-1])) --b;
      if (b > begin && b[-1] == '}') return static_cast<size_t>(comma - buf_.data());
    }
    return 0;
  }

  // Parses buf_[0, len) as a non-empty array of user objects and hands each to the sink.
  Status parse_chunk(size_t len, int64_t end_offset) {
    simdjson::dom::element doc;
    if (parser_.parse(buf_.data(), len, false).get(doc)) return unsure();
    simdjson::dom::array users;
    if (doc.get_array().get(users)) return unsure();
    ImportRecordView record;
    record.end_offset = end_offset;
    const int64_t first = index_;
    for (simdjson::dom::element user : users) {
      simdjson::dom::object fields;
      if (user.get_object().get(fields)) return unsure();
      fields_.clear();
      for (simdjson::dom::key_value_pair field : fields) {
        std::string_view value;
        if (field.value.get_string().get(value)) return unsure();
        if (value.size() > options_.max_value_bytes) return unsure();
        for (const ImportFieldView& f : fields_) {
          if (f.name == field.key) return unsure();
        }
        fields_.push_back({field.key, value});
      }
      record.index = index_++;
      record.fields = fields_;
      UPSYNC_RETURN_IF_ERROR(sink_(record));
    }
    return index_ > first ? Status::ok() : unsure();
  }

  std::FILE* file_;
  std::string_view data_;  // what is left of the input in memory
  const ImportRecordViewSink& sink_;
  const ImportReaderOptions& options_;
  const size_t chunk_;   // bytes parsed at a time, about
  const size_t read_;    // bytes read at a time
  std::string buf_;      // '[' and the input from base_ on, with room for simdjson's padding
  int64_t base_ = 0;     // bytes of the input before buf_[1]
  size_t searched_ = 0;  // find_cut found no cut with a '{' before this index
  bool eof_ = false;
  bool read_failed_ = false;
  int read_error_ = 0;
  int64_t index_ = 0;
  simdjson::dom::parser parser_;
  std::vector<ImportFieldView> fields_;
};

}  // namespace

Status quick_read(std::FILE* file, std::string_view data, const ImportRecordViewSink& sink,
                  const ImportReaderOptions& options) {
  return QuickReader(file, data, sink, options).run();
}

Status quick_read_from(std::FILE* file, QuickChunkStart from,
                       std::span<const QuickChunkStart> later, const ImportRecordViewSink& sink,
                       const ImportReaderOptions& options) {
  return QuickReader(file, {}, sink, options).replay(from, later);
}

}  // namespace upsync
