// Directory attributes as stored (directory/directory_codec.h).
#include "directory/directory_codec.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/text.h"

namespace upsync {

// Stage 1 copies the cloud directory's fixed attribute set (not configurable, seed 002).
bool in_store_attribute_set(std::string_view name) {
  const auto& names = store_attribute_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

namespace {

// Appends `text` as a JSON string the way nlohmann::json::dump() writes it: as it is when no
// byte needs escaping (the common case), else through nlohmann itself, which escapes control
// characters and refuses text that is not UTF-8.
void append_json_string(std::string& out, std::string_view text) {
  if (!json_plain(text)) {
    out += nlohmann::json(std::string(text)).dump();
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace

// The attributes as a JSON object of arrays of strings, keys sorted, empty arrays left out:
// the bytes nlohmann::json::dump() gives (stored rows are compared as text), written without
// building its tree.
std::string encode_directory_attributes(const DirectoryAttributes& a) {
  std::string out;
  out.reserve(512);
  out += '{';
  for (const auto& [k, v] : a) {
    if (v.empty()) continue;
    if (out.size() > 1) out += ',';
    append_json_string(out, k);
    out += ":[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, v[i]);
    }
    out += ']';
  }
  out += '}';
  return out;
}

namespace {

// rapidjson's SAX events of one stored attribute object, straight into a DirectoryAttributes:
// no document tree in between, each name and value copied once from the (in situ) text.
class AttributesReader : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, AttributesReader> {
 public:
  AttributesReader(DirectoryAttributes& out, const AttributeNames* only) : out_(out), only_(only) {}

  bool StartObject() { return depth_ == 0 ? (depth_ = 1, true) : not_strings(); }
  bool Key(const char* name, rapidjson::SizeType length, bool) {
    name_.assign(name, length);
    if (only_ && !std::binary_search(only_->begin(), only_->end(), name_)) {
      values_ = nullptr;  // read past
      return true;
    }
    // Keys are written sorted: the hint at the end makes each insertion constant time.
    values_ = &out_.emplace_hint(out_.end(), name_, std::vector<std::string>())->second;
    values_->clear();
    return true;
  }
  bool StartArray() { return depth_ == 1 ? (depth_ = 2, true) : not_strings(); }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (depth_ != 2) return not_strings();
    if (values_) values_->emplace_back(text, length);
    return true;
  }
  bool EndArray(rapidjson::SizeType) { return depth_ = 1, true; }
  bool EndObject(rapidjson::SizeType) { return depth_ = 0, true; }
  // Any other value (a number, a nested object, null, ...).
  bool Default() { return not_strings(); }

  // Why the reader stopped, when it was this handler that stopped it.
  const std::string& error() const { return error_; }

 private:
  bool not_strings() {
    error_ = depth_ == 0 ? "stored directory attributes are not a JSON object"
                         : "stored directory attribute '" + name_ + "' is not an array of strings";
    return false;
  }

  DirectoryAttributes& out_;
  const AttributeNames* only_;
  int depth_ = 0;  // 0 outside, 1 in the object, 2 in an attribute's array
  std::string name_;
  std::vector<std::string>* values_ = nullptr;
  std::string error_;
};

}  // namespace

// Read with rapidjson's SAX reader (written with nlohmann::json, whose bytes stored rows compare
// against): every user a stage or a request reads is decoded, and reading events in situ into
// the map is several times faster than building a tree first (nlohmann's or rapidjson's).
Result<DirectoryAttributes> decode_directory_attributes(std::string_view text,
                                                        const AttributeNames* only) {
  std::string buffer(text);  // in situ parsing writes into its text
  rapidjson::InsituStringStream in(buffer.data());
  DirectoryAttributes a;
  AttributesReader handler(a, only);
  rapidjson::Reader reader;
  const rapidjson::ParseResult result = reader.Parse<rapidjson::kParseInsituFlag>(in, handler);
  if (!handler.error().empty()) return data_loss(handler.error());
  if (result.IsError()) {
    return data_loss(std::string("stored directory attributes are corrupt: ") +
                     rapidjson::GetParseError_En(result.Code()) + " at offset " +
                     std::to_string(result.Offset()));
  }
  // The in situ reader stops at a NUL byte: one inside the text is as corrupt as any.
  if (in.Tell() != text.size()) {
    return data_loss("stored directory attributes are corrupt: a NUL byte at offset " +
                     std::to_string(in.Tell()));
  }
  return a;
}

}  // namespace upsync
