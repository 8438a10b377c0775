#include "bulkimport/import_reader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "bulkimport/quick_reader.h"

namespace upsync {
namespace {

// A RapidJSON input stream over a file read in chunks, or over bytes in memory, that knows
// the line and the position (in characters) of what it has consumed. Taking a character
// only moves a pointer: lines and positions are counted when asked for, or before a chunk is
// replaced, over the bytes taken since the last count.
class TrackingStream {
 public:
  using Ch = char;

  TrackingStream(std::FILE* file) : file_(file), buf_(new char[kChunk + 1]) { fill(); }
  TrackingStream(std::string_view data) : data_(data) {
    cur_ = mark_ = chunk_ = data_.data();
    end_ = cur_ + data_.size();
    if (cur_ == end_) eof_ = true;
  }

  void skip_bom() {
    if (end_ - cur_ >= 3 && std::memcmp(cur_, "\xEF\xBB\xBF", 3) == 0) {
      cur_ += 3;
      mark_ = cur_;  // the mark is not a character
      if (cur_ == end_) fill();
    }
  }

  Ch Peek() const { return cur_ < end_ ? *cur_ : '\0'; }
  Ch Take() {
    if (cur_ >= end_) return '\0';
    char c = *cur_++;
    if (cur_ == end_) fill();
    return c;
  }
  size_t Tell() const { return base_ + static_cast<size_t>(cur_ - chunk_); }
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  size_t PutEnd(Ch*) { return 0; }

  bool at_end() const { return cur_ >= end_ && eof_; }
  int64_t line() const {
    count();
    return line_;
  }
  int64_t column() const {
    count();
    return column_;
  }
  bool read_failed() const { return read_error_ != 0; }
  int read_error() const { return read_error_; }

 private:
  static constexpr size_t kChunk = 256 * 1024;

  // Counts lines and characters (UTF-8 lead bytes) taken since the last count.
  void count() const {
    for (const char* p = mark_; p < cur_; ++p) {
      const char c = *p;
      if (c == '\n') {
        ++line_;
        column_ = 0;
      } else {
        column_ += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }
    }
    mark_ = cur_;
  }

  void fill() {
    if (!file_) {
      eof_ = true;
      return;
    }
    count();
    base_ += static_cast<size_t>(end_ - chunk_);
    size_t n = std::fread(buf_.get(), 1, kChunk, file_);
    if (n == 0) {
      if (std::ferror(file_)) read_error_ = errno ? errno : EIO;
      eof_ = true;
      cur_ = end_ = chunk_ = mark_ = buf_.get();
      return;
    }
    cur_ = chunk_ = mark_ = buf_.get();
    end_ = cur_ + n;
  }

  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buf_;
  std::string_view data_;
  const char* cur_ = nullptr;
  const char* end_ = nullptr;
  const char* chunk_ = nullptr;  // the start of the chunk in hand
  size_t base_ = 0;              // bytes of the file before the chunk in hand
  bool eof_ = false;
  int read_error_ = 0;
  mutable const char* mark_ = nullptr;  // counted up to here
  mutable int64_t line_ = 1;
  mutable int64_t column_ = 0;
};

bool plain_identifier(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '@')) {
      return false;
    }
  }
  return true;
}

std::string path_join(std::string base, std::string_view key) {
  if (plain_identifier(key)) {
    return base.empty() ? std::string(key) : base + "." + std::string(key);
  }
  return base + "['" + std::string(key) + "']";
}

// SAX handler: the expected shape, the current JSON path, and one user object at a time.
class Handler {
 public:
  Handler(TrackingStream& is, const ImportRecordSink& sink, const ImportReaderOptions& o)
      : is_(is), sink_(sink), options_(o) {}

  bool Null() { return scalar("null"); }
  bool Bool(bool) { return scalar("a boolean"); }
  bool Int(int) { return scalar("a number"); }
  bool Uint(unsigned) { return scalar("a number"); }
  bool Int64(int64_t) { return scalar("a number"); }
  bool Uint64(uint64_t) { return scalar("a number"); }
  bool Double(double) { return scalar("a number"); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return scalar("a number"); }

  bool String(const char* s, rapidjson::SizeType len, bool) {
    if (level_ == 4) {
      if (len > options_.max_value_bytes) {
        return fail("An item of property '" + key_ + "' is longer than " +
                    std::to_string(options_.max_value_bytes) + " bytes");
      }
      if (items_.size() == options_.max_array_items) {
        return fail("The property '" + key_ + "' holds more than " +
                    std::to_string(options_.max_array_items) + " items");
      }
      items_.emplace_back(s, len);
      return true;
    }
    if (level_ != 3) return scalar("a string");
    if (len > options_.max_value_bytes) {
      return fail("The value of property '" + key_ + "' is longer than " +
                  std::to_string(options_.max_value_bytes) + " bytes");
    }
    record_.fields.emplace_back(key_, std::string(s, len));
    has_key_ = false;
    return true;
  }

  bool StartObject() {
    switch (level_) {
      case 0:
        level_ = 1;
        return true;
      case 1:
        return fail_here("The property 'value' must be an array of user objects, not an object");
      case 2:
        level_ = 3;
        record_.index = index_;
        record_.fields.clear();
        record_.arrays.clear();
        record_.line = is_.line();
        record_.position = is_.column() + 1;
        has_key_ = false;
        return true;
      default:
        return fail_here(value_must_be() + ", not an object");
    }
  }

  bool Key(const char* s, rapidjson::SizeType len, bool) {
    std::string_view k(s, len);
    if (level_ == 1) {
      root_key_ = std::string(k);
      has_key_ = true;
      if (k != "value") {
        return fail("Unexpected property '" + root_key_ +
                    "' in the root object; the file must hold only 'value'");
      }
      if (seen_value_) return fail("The property 'value' appears twice");
      seen_value_ = true;
      return true;
    }
    const auto same = [&](const auto& field) { return field.first == k; };
    if (std::any_of(record_.fields.begin(), record_.fields.end(), same) ||
        std::any_of(record_.arrays.begin(), record_.arrays.end(), same)) {
      key_ = std::string(k);
      has_key_ = true;
      return fail("The property '" + key_ + "' appears twice in the user object");
    }
    key_ = std::string(k);
    has_key_ = true;
    return true;
  }

  bool EndObject(rapidjson::SizeType) {
    if (level_ == 3) {
      level_ = 2;
      has_key_ = false;
      ++index_;
      record_.end_offset = static_cast<int64_t>(is_.Tell());
      Status st = sink_(record_);
      if (!st.is_ok()) {
        sink_status_ = std::move(st);
        return false;
      }
      return true;
    }
    // level 1: the root object ends.
    if (!seen_value_) {
      return fail("The root object has no 'value' array of user objects");
    }
    level_ = 0;
    done_ = true;
    return true;
  }

  bool StartArray() {
    switch (level_) {
      case 0:
        return fail_here(
            "The file must be a JSON object with a 'value' array of user objects, not an array");
      case 1:
        level_ = 2;
        has_key_ = false;
        return true;
      case 2:
        return fail_here("A user object must be a JSON object, not an array");
      case 3:
        if (!options_.arrays) return fail_here(value_must_be() + ", not an array");
        level_ = 4;
        items_.clear();
        return true;
      default:
        return fail_here(value_must_be() + ", not an array");
    }
  }

  bool EndArray(rapidjson::SizeType) {
    if (level_ == 4) {
      record_.arrays.emplace_back(key_, std::move(items_));
      items_ = {};
      level_ = 3;
      has_key_ = false;
      return true;
    }
    level_ = 1;
    return true;
  }

  // The path Newtonsoft's reader would name at this point.
  std::string path() const {
    switch (level_) {
      case 1:
        return has_key_ ? path_join("", root_key_) : "";
      case 2:
        return "value";
      case 3: {
        std::string p = "value[" + std::to_string(index_) + "]";
        return has_key_ ? path_join(p, key_) : p;
      }
      case 4:
        return path_join("value[" + std::to_string(index_) + "]", key_) + "[" +
               std::to_string(items_.size()) + "]";
      default:
        return "";
    }
  }

  const std::string& failure() const { return failure_; }
  Status& sink_status() { return sink_status_; }
  bool done() const { return done_; }

 private:
  bool scalar(std::string_view what) {
    switch (level_) {
      case 0:
        return fail("The file must be a JSON object with a 'value' array of user objects, not " +
                    std::string(what));
      case 1:
        return fail("The property 'value' must be an array of user objects, not " +
                    std::string(what));
      case 2:
        return fail("A user object must be a JSON object, not " + std::string(what));
      default:
        return fail(value_must_be() + ", not " + std::string(what));
    }
  }
  // What a value (or, in an array, an item) must be.
  std::string value_must_be() const {
    if (level_ == 4) return "An item of property '" + key_ + "' must be a string";
    return "The value of property '" + key_ +
           (options_.arrays ? "' must be a string or an array of strings" : "' must be a string");
  }
  // A problem with the token just read.
  bool fail(std::string message, int64_t ahead = 0) {
    failure_ = "InvalidDataFile - " + message + ". Path '" + path() + "', line " +
               std::to_string(is_.line()) + ", position " + std::to_string(is_.column() + ahead) +
               ".";
    return false;
  }
  // A problem with the bracket about to be read (start events come before it is taken).
  bool fail_here(std::string message) { return fail(std::move(message), 1); }

  TrackingStream& is_;
  const ImportRecordSink& sink_;
  const ImportReaderOptions& options_;
  // 0 outside, 1 root object, 2 'value' array, 3 a user object, 4 an array value (arrays)
  int level_ = 0;
  std::vector<std::string> items_;  // of the array value being read
  bool seen_value_ = false;
  bool done_ = false;
  std::string root_key_;
  std::string key_;
  bool has_key_ = false;
  int64_t index_ = 0;
  ImportRecord record_;
  std::string failure_;
  Status sink_status_;
};

std::string char_text(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string(1, c);
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", u);
  return buf;
}

// What is wrong, in the words of Newtonsoft.Json where SharePoint's log uses them.
std::string syntax_problem(rapidjson::ParseErrorCode code, const TrackingStream& is) {
  using namespace rapidjson;
  if (code == kParseErrorDocumentEmpty) {
    return is.Tell() == 0 ? "The data file is empty" : "Unexpected end when reading JSON";
  }
  if (is.at_end() && code != kParseErrorDocumentRootNotSingular) {
    return "Unexpected end when reading JSON";
  }
  char c = is.Peek();
  switch (code) {
    case kParseErrorDocumentRootNotSingular:
      return "Additional text encountered after finished reading JSON content: " + char_text(c);
    case kParseErrorValueInvalid:
      return "Unexpected character encountered while parsing value: " + char_text(c);
    case kParseErrorObjectMissName:
      return "Invalid property identifier character: " + char_text(c);
    case kParseErrorObjectMissColon:
      return "Invalid character after parsing property name. Expected ':' but got: " + char_text(c);
    case kParseErrorObjectMissCommaOrCurlyBracket:
      if (c == ']') return "JsonToken EndArray is not valid for closing JsonType Object";
      return "After parsing a value an unexpected character was encountered: " + char_text(c);
    case kParseErrorArrayMissCommaOrSquareBracket:
      if (c == '}') return "JsonToken EndObject is not valid for closing JsonType Array";
      return "After parsing a value an unexpected character was encountered: " + char_text(c);
    case kParseErrorStringUnicodeEscapeInvalidHex:
    case kParseErrorStringUnicodeSurrogateInvalid:
    case kParseErrorStringEscapeInvalid:
      return "Bad JSON escape sequence";
    case kParseErrorStringMissQuotationMark:
      return "Unterminated string. Expected delimiter: \"";
    case kParseErrorStringInvalidEncoding:
      return "Invalid UTF-8 byte sequence in string";
    case kParseErrorNumberTooBig:
    case kParseErrorNumberMissFraction:
    case kParseErrorNumberMissExponent:
      return "Invalid number";
    default:
      return rapidjson::GetParseError_En(code);
  }
}

Status parse(TrackingStream& is, const ImportRecordSink& sink, const ImportReaderOptions& options) {
  is.skip_bom();
  Handler handler(is, sink, options);
  rapidjson::Reader reader;
  constexpr unsigned kFlags =
      rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
  rapidjson::ParseResult r = reader.Parse<kFlags>(is, handler);
  if (is.read_failed()) {
    return internal_error(std::string("reading the data file failed: ") +
                          std::strerror(is.read_error()));
  }
  if (!r.IsError()) return Status::ok();
  if (r.Code() == rapidjson::kParseErrorTermination) {
    if (!handler.sink_status().is_ok()) return handler.sink_status();
    return invalid_argument(handler.failure());
  }
  // Newtonsoft's position counts the offending character.
  int64_t position = is.column() + (is.at_end() || is.Peek() == '\n' ? 0 : 1);
  if (r.Offset() < is.Tell()) {
    position = is.column() - static_cast<int64_t>(is.Tell() - r.Offset()) + 1;
  }
  return invalid_argument("DataFileNotJson - " + syntax_problem(r.Code(), is) + ". Path '" +
                          handler.path() + "', line " + std::to_string(is.line()) + ", position " +
                          std::to_string(position) + ".");
}

}  // namespace

Status read_import_file(const std::string& path, const ImportRecordSink& sink,
                        const ImportReaderOptions& options) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return not_found("cannot open data file '" + path + "': " + std::strerror(errno));
  Status st;
  {
    TrackingStream is(f);
    st = parse(is, sink, options);
  }
  std::fclose(f);
  return st;
}

Status read_import_buffer(std::string_view data, const ImportRecordSink& sink,
                          const ImportReaderOptions& options) {
  TrackingStream is(data);
  return parse(is, sink, options);
}

Status quick_read_import_file(const std::string& path, const ImportRecordViewSink& sink,
                              const ImportReaderOptions& options) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return not_found("cannot open data file '" + path + "': " + std::strerror(errno));
  Status st = quick_read(f, {}, sink, options);
  std::fclose(f);
  return st;
}

namespace {

// A stdio stream over a duplicate of `fd`, rewound to the file's start.
Result<std::FILE*> stream_of(int fd) {
  int copy = ::dup(fd);
  if (copy < 0) return internal_error(std::string("dup: ") + std::strerror(errno));
  std::FILE* f = ::fdopen(copy, "rb");
  if (!f) {
    ::close(copy);
    return internal_error(std::string("fdopen: ") + std::strerror(errno));
  }
  if (std::fseek(f, 0, SEEK_SET) != 0) {
    std::fclose(f);
    return internal_error(std::string("seeking the data file: ") + std::strerror(errno));
  }
  return f;
}

}  // namespace

Status quick_read_import_fd(int fd, const ImportRecordViewSink& sink,
                            const ImportReaderOptions& options) {
  UPSYNC_ASSIGN_OR_RETURN(std::FILE * f, stream_of(fd));
  Status st = quick_read(f, {}, sink, options);
  std::fclose(f);
  return st;
}

Status quick_read_import_fd_from(int fd, QuickChunkStart from,
                                 std::span<const QuickChunkStart> later,
                                 const ImportRecordViewSink& sink,
                                 const ImportReaderOptions& options) {
  UPSYNC_ASSIGN_OR_RETURN(std::FILE * f, stream_of(fd));
  Status st;
  if (::fseeko(f, from.offset, SEEK_SET) != 0) {
    st = internal_error(std::string("seeking the data file: ") + std::strerror(errno));
  } else {
    st = quick_read_from(f, from, later, sink, options);
  }
  std::fclose(f);
  return st;
}

Status read_import_fd(int fd, const ImportRecordSink& sink, const ImportReaderOptions& options) {
  UPSYNC_ASSIGN_OR_RETURN(std::FILE * f, stream_of(fd));
  Status st;
  {
    TrackingStream is(f);
    st = parse(is, sink, options);
  }
  std::fclose(f);
  return st;
}

Status quick_read_import_buffer(std::string_view data, const ImportRecordViewSink& sink,
                                const ImportReaderOptions& options) {
  return quick_read(nullptr, data, sink, options);
}

}  // namespace upsync
