// The quick reader of a bulk import file (import_reader.h's quick_read_import_*): user objects
// parsed by simdjson a chunk at a time, without the exact reader's positions; anything it is
// not sure of is left to the exact reader (import_reader.cpp).
#pragma once

#include <cstdio>
#include <span>
#include <string_view>

#include "bulkimport/import_reader.h"

namespace upsync {

// Reads `file` (from where it stands) or, when `file` is null, `data`.
Status quick_read(std::FILE* file, std::string_view data, const ImportRecordViewSink& sink,
                  const ImportReaderOptions& options);
// Reads `file`, which stands at from.offset, as quick_read_import_fd_from (import_reader.h).
Status quick_read_from(std::FILE* file, QuickChunkStart from,
                       std::span<const QuickChunkStart> later, const ImportRecordViewSink& sink,
                       const ImportReaderOptions& options);

}  // namespace upsync
