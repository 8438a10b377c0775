// libFuzzer target for the bulk import file readers (src/bulkimport/import_reader.cpp).
// Every input must end in ok or a clear error, never a crash, a leak or undefined behaviour;
// an error's message names a line and a position. The quick reader is checked against the
// exact one: when it accepts a file, the exact reader accepts it too, with the same records,
// with chunks small enough that most inputs are cut several times. The exact reader with the
// multi-value extension (arrays) accepts every file it accepts without, with the same records
// and no arrays, and gives the items of any array it reads in order.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulkimport/import_reader.h"

namespace {
using Fields = std::vector<std::pair<std::string, std::string>>;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  upsync::ImportReaderOptions options;
  options.max_value_bytes = 4096;
  std::vector<Fields> exact;
  upsync::Status st = upsync::read_import_buffer(
      input,
      [&](const upsync::ImportRecord& r) {
        if (r.index != static_cast<int64_t>(exact.size())) std::abort();  // records in order
        exact.push_back(r.fields);
        return upsync::Status::ok();
      },
      options);
  if (!st.is_ok() && st.message().find(", line ") == std::string::npos) std::abort();

  std::vector<Fields> quick;
  options.quick_chunk_bytes = 96;  // many chunks, cut in many places
  upsync::Status q = upsync::quick_read_import_buffer(
      input,
      [&](const upsync::ImportRecordView& r) {
        if (r.index != static_cast<int64_t>(quick.size())) std::abort();
        Fields fields;
        for (const auto& f : r.fields) fields.emplace_back(f.name, f.value);
        quick.push_back(std::move(fields));
        return upsync::Status::ok();
      },
      options);
  if (q.is_ok() && (!st.is_ok() || quick != exact)) std::abort();

  std::vector<Fields> with_arrays;
  bool any_array = false;
  options.arrays = true;
  options.max_array_items = 8;
  upsync::Status a = upsync::read_import_buffer(
      input,
      [&](const upsync::ImportRecord& r) {
        if (r.index != static_cast<int64_t>(with_arrays.size())) std::abort();
        for (const auto& [name, items] : r.arrays) {
          if (items.size() > options.max_array_items) std::abort();
          for (const auto& item : items) {
            if (item.size() > options.max_value_bytes) std::abort();
          }
          any_array = true;
        }
        with_arrays.push_back(r.fields);
        return upsync::Status::ok();
      },
      options);
  if (!a.is_ok() && a.message().find(", line ") == std::string::npos) std::abort();
  if (st.is_ok() && (!a.is_ok() || any_array || with_arrays != exact)) std::abort();
  return 0;
}
