// How directory attributes are stored: a JSON object of arrays of strings, keys sorted, empty
// arrays left out, in the bytes nlohmann::json::dump() writes. Every storage backend keeps
// them so, and compares stored rows as text (the encoding is canonical), so both the encoder
// and the decoder live here rather than in each backend.
//
//   const std::string text = encode_directory_attributes(user.attributes);
//   UPSYNC_ASSIGN_OR_RETURN(DirectoryAttributes back, decode_directory_attributes(text));
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "directory/directory_store.h"

namespace upsync {

// The canonical text of `attributes`, written without building a JSON tree.
std::string encode_directory_attributes(const DirectoryAttributes& attributes);
// Reads stored text back; text that is not such an object is DataLoss ("corrupt"). With
// `only`, the attributes not named there are checked but left out.
Result<DirectoryAttributes> decode_directory_attributes(std::string_view text,
                                                        const AttributeNames* only = nullptr);
// Whether `name` is of the fixed set stage 1 copies (store_attribute_names()).
bool in_store_attribute_set(std::string_view name);

}  // namespace upsync
