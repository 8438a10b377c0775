// The SQLite schema, as the list of its migrations: migration i takes the database from version
// i to i + 1 (PRAGMA user_version; the first from nothing to 1). Never edit one that has
// shipped; add a new one at the end. SqliteStore::migrate runs the ones a database lacks in
// one transaction.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace upsync {

std::span<const std::string_view> sqlite_migrations();

// Migrations 1 to 18 (sqlite_first_migrations.cpp), the list's first part.
std::span<const std::string_view> sqlite_first_migrations();

// Whether migration i (from 0) changes what the people search index holds, so that the index
// is rebuilt from the stored data after it (sites/people_search.h).
bool sqlite_migration_reindexes_people(size_t i);

}  // namespace upsync
