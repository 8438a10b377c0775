// libFuzzer target for the bulk import file reader (src/bulkimport/import_reader.cpp).
// Every input must end in ok or a clear error, never a crash, a leak or undefined behaviour;
// an error's message names a line and a position.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulkimport/import_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t records = 0;
  upsync::ImportReaderOptions options;
  options.max_value_bytes = 4096;
  upsync::Status st = upsync::read_import_buffer(
      input,
      [&](const upsync::ImportRecord& r) {
        if (r.index != static_cast<int64_t>(records)) std::abort();  // records come in order
        ++records;
        return upsync::Status::ok();
      },
      options);
  if (!st.is_ok() && st.message().find(", line ") == std::string::npos) std::abort();
  return 0;
}
