// write_backup / restore_backup: a round trip, and a corpus of hostile and damaged archives,
// each refused with its reason and leaving nothing behind.
#include "backup/backup_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "sites/sites.h"
#include "storage/open_storage.h"
#include "test_support.h"

namespace upsync {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

struct Entry {
  std::string name;
  std::string data;
  unsigned type = AE_IFREG;
  std::string link;  // a symlink's target, or a hard link's
  bool hard = false;
};

std::vector<Entry> read_entries(const std::string& path) {
  std::vector<Entry> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 1 << 16), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Entry x{archive_entry_pathname(e), std::string(archive_entry_size(e), '\0')};
    if (!x.data.empty()) archive_read_data(a, x.data.data(), x.data.size());
    out.push_back(std::move(x));
  }
  archive_read_free(a);
  return out;
}

void write_entries(const std::string& path, const std::vector<Entry>& entries) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const Entry& x : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, x.name.c_str());
    archive_entry_set_filetype(e, x.type);
    archive_entry_set_perm(e, 0600);
    if (x.hard) archive_entry_set_hardlink(e, x.link.c_str());
    if (x.type == AE_IFLNK) archive_entry_set_symlink(e, x.link.c_str());
    archive_entry_set_size(e, x.type == AE_IFREG && !x.hard ? x.data.size() : 0);
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (x.type == AE_IFREG && !x.hard) archive_write_data(a, x.data.data(), x.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// The file under the archive's entries, with `edit` applied to its JSON.
void edit_json(std::vector<Entry>& entries, std::string_view name,
               const std::function<void(nlohmann::json&)>& edit) {
  for (Entry& e : entries) {
    if (e.name != name) continue;
    auto j = nlohmann::json::parse(e.data);
    edit(j);
    e.data = j.dump();
  }
}

Entry& entry(std::vector<Entry>& entries, std::string_view name) {
  for (Entry& e : entries) {
    if (e.name == name) return e;
  }
  ADD_FAILURE() << "no entry " << name;
  return entries.front();
}

const std::string kFile = "files/contoso/sites/hr/Shared Documents/import/users.json";

class BackupArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_store({.data_dir = data()});
    ASSERT_TRUE(store);
    auto t = (*store)->create_tenant({.name = "contoso"});
    ASSERT_TRUE(t);
    std::vector<PropertyChange> init{{"FirstName", {"Bob"}}};
    ASSERT_TRUE((*store)->create_profile(t->id, "i:0#.f|membership|bob@contoso.com", init));
    ASSERT_TRUE((*store)->set_cursor(t->id, "stage1", 1).is_ok());
    DocumentLibraries libs(data());
    auto url = parse_decoded_file_url("/sites/hr/Shared Documents/import/users.json");
    ASSERT_TRUE(libs.put_text(*t, *url, R"({"value":[]})").is_ok());
    // A link in a library is never followed nor stored.
    fs::create_symlink("/etc/passwd", fs::path(data()) / "files/contoso/sites/hr/passwd");
    auto report = backup(archive());
    ASSERT_TRUE(report) << report.status().to_string();
    EXPECT_EQ(report->skipped_links, 1u);
  }

  Result<BackupReport> backup(const std::string& to) {
    auto storage = open_storage({.data_dir = data(), .create = false});
    if (!storage) return storage.status();
    UPSYNC_ASSIGN_OR_RETURN(auto copier, (*storage)->database_copy());
    return write_backup(*copier, "sqlite", data(), to);
  }

  Result<RestoreReport> restore(const std::string& from, const std::string& to) {
    auto storage = open_storage({.data_dir = to});
    if (!storage) return storage.status();
    UPSYNC_ASSIGN_OR_RETURN(auto copier, (*storage)->database_copy());
    return restore_backup(from, *copier, "sqlite", to);
  }

  // Nothing of a refused restore may remain: neither the target nor a temporary folder.
  void expect_nothing_left(const std::string& target) {
    EXPECT_FALSE(fs::exists(target)) << target;
    for (const auto& e : fs::directory_iterator(dir_.path())) {
      EXPECT_EQ(e.path().filename().string().find(".restore-"), std::string::npos) << e.path();
    }
  }

  std::string data() const { return dir_.str() + "/data"; }
  std::string archive() const { return dir_.str() + "/backup.tar"; }
  TempDir dir_;
};

TEST_F(BackupArchiveTest, RestoresTheDataFolderWithPrivateModes) {
  const std::string to = dir_.str() + "/restored";
  auto r = restore(archive(), to);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->files, 1u);
  EXPECT_EQ(read_file(fs::path(to) / kFile), R"({"value":[]})");
  EXPECT_FALSE(fs::exists(fs::path(to) / "files/contoso/sites/hr/passwd"));
  struct stat st {};
  ASSERT_EQ(stat((fs::path(to) / kFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((fs::path(to) / "files/contoso").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat((fs::path(to) / "upsync.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto store = open_store({.data_dir = to, .create = false});
  ASSERT_TRUE(store) << store.status().to_string();
  auto t = (*store)->tenant("contoso");
  ASSERT_TRUE(t);
  auto bob =
      (*store)->profile(t->id, {ProfileKeyKind::kAccountName, "i:0#.f|membership|bob@contoso.com"});
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->first("FirstName"), "Bob");
  EXPECT_EQ(*(*store)->cursor(t->id, "stage1"), 1);
  EXPECT_EQ(r->manifest.database.feed_positions.at("contoso"), *(*store)->last_seq(t->id));
  EXPECT_EQ(r->manifest.database.feed_positions.at("contoso/stage1"), 1);
  EXPECT_EQ(r->manifest.database.table_rows.at("profiles"), 1);
}

TEST_F(BackupArchiveTest, RestoresIntoAnEmptyFolderButNotIntoOneWithAnything) {
  const std::string empty = dir_.str() + "/empty";
  fs::create_directory(empty);
  EXPECT_TRUE(restore(archive(), empty));
  auto again = restore(archive(), empty);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("is not empty"), std::string::npos);
  EXPECT_EQ(read_file(fs::path(empty) / kFile), R"({"value":[]})");
}

// --db: the database goes to its own file, the files to the folder; a database already there
// is never overwritten, and the refused restore leaves no folder behind.
TEST_F(BackupArchiveTest, RestoresTheDatabaseWhereDbNamesIt) {
  const std::string db = dir_.str() + "/db/upsync-restored.db";
  const std::string to = dir_.str() + "/restored";
  auto restore_to_db = [&]() -> Result<RestoreReport> {
    auto storage = open_storage({.url = "sqlite:" + db, .data_dir = to});
    if (!storage) return storage.status();
    UPSYNC_ASSIGN_OR_RETURN(auto copier, (*storage)->database_copy());
    return restore_backup(archive(), *copier, "sqlite", to);
  };
  auto r = restore_to_db();
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_TRUE(fs::exists(db));
  EXPECT_FALSE(fs::exists(fs::path(to) / "upsync.db"));
  EXPECT_EQ(read_file(fs::path(to) / kFile), R"({"value":[]})");
  auto store = open_storage({.url = "sqlite:" + db, .data_dir = to, .create = false});
  ASSERT_TRUE(store);
  auto conn = (*store)->connect();
  ASSERT_TRUE(conn) << conn.status().to_string();
  EXPECT_TRUE((*conn)->tenant("contoso"));

  fs::remove_all(to);
  auto again = restore_to_db();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("a restore does not overwrite a database"),
            std::string::npos)
      << again.status().message();
  expect_nothing_left(to);
}

TEST_F(BackupArchiveTest, NeverOverwritesAnArchiveNorWritesIntoTheDataFolder) {
  auto again = backup(archive());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  for (const std::string& inside :
       {data() + "/b.tar", data() + "/files/contoso/b.tar", data() + "/files/../keys/b.tar"}) {
    auto in = backup(inside);
    ASSERT_FALSE(in) << inside;
    EXPECT_NE(in.status().message().find("is inside the data folder"), std::string::npos);
    EXPECT_FALSE(fs::exists(inside + ".partial"));
  }
  EXPECT_TRUE(backup(dir_.str() + "/data-other.tar"));  // a sibling whose name starts alike
}

// Each damaged or hostile archive: how it is made from a good one, and what the refusal says.
struct Hostile {
  const char* name;
  std::function<void(std::vector<Entry>&)> edit;
  const char* message;
};

TEST_F(BackupArchiveTest, RefusesHostileAndDamagedArchivesLeavingNothing) {
  const std::vector<Entry> good = read_entries(archive());
  ASSERT_EQ(good.size(), 4u);
  auto insert_before_manifest = [](std::vector<Entry>& e, Entry x) {
    e.insert(e.end() - 1, std::move(x));
  };
  const std::vector<Hostile> table = {
      {"parent escape",
       [&](auto& e) {
         insert_before_manifest(e, {"../escape", "x"});
       },
       "not under files/"},
      {"absolute path",
       [&](auto& e) {
         insert_before_manifest(e, {"/etc/cron.d/x", "x"});
       },
       "not under files/"},
      {"dot-dot inside",
       [&](auto& e) {
         insert_before_manifest(e, {"files/contoso/../../upsync.db", "x"});
       },
       "'..' name"},
      {"symlink",
       [&](auto& e) {
         insert_before_manifest(e, {"files/contoso/l", "", AE_IFLNK, "/etc/passwd"});
       },
       "not a regular file"},
      {"hard link",
       [&](auto& e) {
         insert_before_manifest(e, {"files/contoso/h", "", AE_IFREG, "/etc/passwd", true});
       },
       "not a regular file"},
      {"folder entry",
       [&](auto& e) {
         insert_before_manifest(e, {"files/contoso/d", "", AE_IFDIR});
       },
       "not a regular file"},
      {"control character",
       [&](auto& e) {
         insert_before_manifest(e, {"files/contoso/a\x1b[2Jb", "x"});
       },
       "control character"},
      {"extra file",
       [&](auto& e) {
         insert_before_manifest(e, {"files/contoso/extra", "x"});
       },
       "the manifest lists 1 files, the archive holds 2"},
      {"duplicate file", [&](auto& e) { insert_before_manifest(e, entry(e, kFile)); }, "twice"},
      {"missing file", [&](auto& e) { e.erase(e.begin() + 2); },
       "the manifest lists 1 files, the archive holds 0"},
      {"renamed file", [&](auto& e) { entry(e, kFile).name = "files/contoso/other.json"; },
       "is not in the archive"},
      {"changed file", [&](auto& e) { entry(e, kFile).data[3] ^= 1; }, "checksum of"},
      {"changed database", [&](auto& e) { entry(e, "database").data[5000] ^= 1; },
       "database's checksum"},
      {"no manifest", [&](auto& e) { e.pop_back(); }, "manifest is missing"},
      {"entry after manifest",
       [&](auto& e) {
         e.push_back({"files/contoso/late", "x"});
       },
       "follows the manifest"},
      {"header not first", [&](auto& e) { std::swap(e[0], e[1]); }, "not an upsync backup"},
      {"newer upsync",
       [&](auto& e) {
         edit_json(e, "upsync-backup.json", [](auto& j) { j["upsync_version"] = "99.0.0"; });
       },
       "newer than this one"},
      {"newer schema",
       [&](auto& e) {
         edit_json(e, "upsync-backup.json", [](auto& j) { j["schema_version"] = 9999; });
       },
       "schema version 9999"},
      {"newer format",
       [&](auto& e) { edit_json(e, "upsync-backup.json", [](auto& j) { j["format"] = 2; }); },
       "format 2"},
      {"other backend",
       [&](auto& e) {
         edit_json(e, "upsync-backup.json", [](auto& j) { j["backend"] = "postgresql"; });
       },
       "the target is sqlite"},
      {"header not JSON", [&](auto& e) { e[0].data = "{"; }, "not a JSON object"},
      {"manifest row count",
       [&](auto& e) {
         edit_json(e, "manifest.json", [](auto& j) { j["database"]["tables"]["profiles"] = 2; });
       },
       "table profiles: the manifest counts 2 rows, the restored database 1"},
      {"manifest feed position",
       [&](auto& e) {
         edit_json(e, "manifest.json",
                   [](auto& j) { j["database"]["feed_positions"]["contoso"] = 99; });
       },
       "change-feed positions differ"},
      {"manifest checksum type",
       [&](auto& e) {
         edit_json(e, "manifest.json", [](auto& j) { j["files"][0]["sha256"] = 1; });
       },
       "'sha256' has the wrong type"},
  };
  for (const Hostile& h : table) {
    SCOPED_TRACE(h.name);
    std::vector<Entry> entries = good;
    h.edit(entries);
    const std::string bad = dir_.str() + "/bad.tar";
    fs::remove(bad);
    write_entries(bad, entries);
    const std::string to = dir_.str() + "/target";
    auto r = restore(bad, to);
    ASSERT_FALSE(r);
    EXPECT_NE(r.status().message().find(h.message), std::string::npos) << r.status().message();
    expect_nothing_left(to);
  }
}

// A tar header's size field rewritten to 8 GiB (with its checksum), the content unchanged.
TEST_F(BackupArchiveTest, RefusesAnEntryLargerThanTheArchive) {
  std::string bytes = read_file(archive());
  size_t at = bytes.find(kFile.substr(0, 90));
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(at % 512, 0u);
  std::memcpy(&bytes[at + 124], "77777777777", 12);
  std::memset(&bytes[at + 148], ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(bytes[at + i]);
  char field[8];
  std::snprintf(field, sizeof field, "%06o", sum);
  std::memcpy(&bytes[at + 148], field, 7);
  const std::string bad = dir_.str() + "/huge.tar";
  write_file(bad, bytes);
  auto r = restore(bad, dir_.str() + "/target");
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("larger than the archive"), std::string::npos)
      << r.status().message();
  expect_nothing_left(dir_.str() + "/target");
}

TEST_F(BackupArchiveTest, RefusesTruncatedArchivesAtAnyLength) {
  const std::string bytes = read_file(archive());
  // Cuts in the header, the database, before the manifest's tar header and inside the
  // manifest. (The zero blocks after the last entry carry nothing: cutting them loses no data.)
  const size_t manifest_header = bytes.rfind("manifest.json");
  const size_t manifest_body = bytes.find("\"feed_positions\"");
  ASSERT_NE(manifest_header, std::string::npos);
  ASSERT_NE(manifest_body, std::string::npos);
  for (size_t cut : {size_t{100}, size_t{512}, size_t{2048}, bytes.size() / 2,
                     manifest_header - manifest_header % 512, manifest_body}) {
    SCOPED_TRACE(cut);
    const std::string bad = dir_.str() + "/cut.tar";
    write_file(bad, bytes.substr(0, cut));
    auto r = restore(bad, dir_.str() + "/target");
    EXPECT_FALSE(r);
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().message();
    expect_nothing_left(dir_.str() + "/target");
  }
}

TEST_F(BackupArchiveTest, ADatabaseThatFailsTheIntegrityCheckIsRefused) {
  std::vector<Entry> entries = read_entries(archive());
  Entry& db = entry(entries, "database");
  // Scribble over a page in the middle of the file, and give the manifest the new checksum,
  // as a backup of an already damaged database would hold it.
  for (size_t i = 16384; i < 16384 + 4096 && i < db.data.size(); ++i) db.data[i] = '\x5a';
  const std::string scratch = dir_.str() + "/scratch.db";
  write_file(scratch, db.data);
  std::string cmd = "sha256sum '" + scratch + "' > '" + scratch + ".sum'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string sum = read_file(scratch + ".sum").substr(0, 64);
  edit_json(entries, "manifest.json", [&](auto& j) { j["database"]["sha256"] = sum; });
  const std::string bad = dir_.str() + "/corrupt.tar";
  write_entries(bad, entries);
  auto r = restore(bad, dir_.str() + "/target");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().message();
  expect_nothing_left(dir_.str() + "/target");
}

}  // namespace
}  // namespace upsync
