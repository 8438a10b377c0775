// Reading a whole file, for the small files upsync takes as input: a password file, a TLS
// certificate or key, a document given to the CLI.
#pragma once

#include <string>

#include "core/status.h"

namespace upsync {

// The bytes of the file at `path`; NotFound ("cannot read '<path>'") when it cannot be opened.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace upsync
