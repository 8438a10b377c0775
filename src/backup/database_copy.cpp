#include "backup/database_copy.h"

namespace upsync {

// The default for a backend that has no copies of its database: refused, naming it.
Result<std::unique_ptr<DatabaseCopy>> Storage::database_copy() {
  return failed_precondition("backup and restore are not available for the " +
                             std::string(backend()) + " backend (" + where() + ")");
}

}  // namespace upsync
