#include "store/postgres/pg_database_copy.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "core/child_process.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"

namespace upsync {

namespace {

constexpr std::string_view kVersionTable = "upsync_schema_version";

// How pg_dump and pg_restore reach the database: libpq's connection string of every parameter
// of the URL but its password, which goes in PGPASSWORD.
struct ToolConnection {
  std::string conninfo;
  std::vector<std::pair<std::string, std::string>> env;
};

Result<ToolConnection> tool_connection(const std::string& url, const std::string& where) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (!options) {
    std::string message = error ? error : "out of memory";
    PQfreemem(error);
    return invalid_argument("the database URL '" + where + "' cannot be read: " + message);
  }
  ToolConnection out;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    if (std::string_view(o->keyword) == "password") {
      out.env.emplace_back("PGPASSWORD", o->val);
      continue;
    }
    out.conninfo += std::string(out.conninfo.empty() ? "" : " ") + o->keyword + "='";
    for (const char* c = o->val; *c; ++c) {
      if (*c == '\'' || *c == '\\') out.conninfo += '\\';
      out.conninfo += *c;
    }
    out.conninfo += '\'';
  }
  PQconninfoFree(options);
  return out;
}

// A name as a pg_dump pattern that matches only itself.
std::string literal_pattern(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string quoted_identifier(std::string_view name) { return literal_pattern(name); }

// One entry of `pg_restore --list`: "<id>; <oid> <oid> <kind words> <schema> <name> <owner>".
struct TocEntry {
  std::string line;
  std::string kind;               // "TABLE", "TABLE DATA", "SCHEMA", "COMMENT", ...
  std::vector<std::string> rest;  // the words after the kind
};

std::vector<TocEntry> parse_toc(const std::string& text) {
  static const std::set<std::string_view> kTwoWordKinds = {"TABLE DATA", "SEQUENCE SET",
                                                           "FK CONSTRAINT", "SEQUENCE OWNED"};
  std::vector<TocEntry> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == ';') continue;
    std::vector<std::string> words;
    size_t at = 0;
    while (at < line.size()) {
      size_t sp = line.find(' ', at);
      if (sp == std::string::npos) sp = line.size();
      if (sp > at) words.push_back(line.substr(at, sp - at));
      at = sp + 1;
    }
    if (words.size() < 4) continue;
    TocEntry e;
    e.line = line;
    size_t k = 3;
    e.kind = words[k];
    if (k + 1 < words.size() && kTwoWordKinds.contains(words[k] + " " + words[k + 1])) {
      e.kind += " " + words[++k];
    }
    e.rest.assign(words.begin() + static_cast<long>(k) + 1, words.end());
    out.push_back(std::move(e));
  }
  return out;
}

// The table of contents of the dump `copy` (`pg_restore --list`, which fails on a damaged one).
Result<std::vector<TocEntry>> read_dump_toc(const std::string& copy) {
  UPSYNC_ASSIGN_OR_RETURN(ChildProcess list,
                          ChildProcess::start({.program = "pg_restore",
                                               .args = {"--list", copy},
                                               .env = {},
                                               .stdin_fd = ChildProcess::kNull,
                                               .stdout_fd = ChildProcess::kPipe}));
  std::string text;
  UPSYNC_RETURN_IF_ERROR(list.read_output([&](std::string_view piece) { text += piece; }));
  return parse_toc(text);
}

// A field of COPY's text format, unescaped; nullopt for \N.
std::optional<std::string> copy_field(std::string_view f) {
  if (f == "\\N") return std::nullopt;
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '\\' || i + 1 == f.size()) {
      out += f[i];
      continue;
    }
    const char c = f[++i];
    switch (c) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      default:
        out += c;
        break;
    }
  }
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

using CopyRow = std::map<std::string, std::optional<std::string>>;

// The text of `column` in a kept row; "" when it is absent or NULL.
std::string text_of(const CopyRow& row, const std::string& column) {
  auto it = row.find(column);
  return it != row.end() && it->second ? *it->second : std::string();
}

// A number of a kept row; -1 for an empty or malformed one (never a real position).
int64_t as_int(const std::string& v) {
  try {
    return std::stoll(v);
  } catch (...) {
    return -1;
  }
}

// Reads `pg_restore --data-only` output: each table's COPY block counted row by row, and the
// rows of the tables the facts come from kept.
class DumpScanner {
 public:
  void add(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const char c = data[i];
      if (c == '\n') {
        end_line();
        continue;
      }
      // Only the start of a row of a table whose rows are not read: enough to see "\.".
      if (!in_copy_ || keep_rows_ || line_.size() < 4) line_ += c;
    }
  }
  Status finish() {
    if (!line_.empty()) end_line();
    if (in_copy_) return data_loss("the dump ends inside the data of table " + table_);
    return Status::ok();
  }
  std::map<std::string, int64_t> rows;
  // table → its rows, each column by name (for tenants, feed_cursors, the version table).
  std::map<std::string, std::vector<CopyRow>> kept;

 private:
  void end_line() {
    if (!in_copy_) {
      if (line_.starts_with("COPY ")) start_copy(line_);
    } else if (line_ == "\\.") {
      in_copy_ = false;
    } else {
      ++rows[table_];
      if (keep_rows_) {
        auto fields = split_tabs(line_);
        CopyRow row;
        for (size_t i = 0; i < columns_.size() && i < fields.size(); ++i) {
          row[columns_[i]] = copy_field(fields[i]);
        }
        kept[table_].push_back(std::move(row));
      }
    }
    line_.clear();
  }
  // "COPY schema.table (a, b, c) FROM stdin;"
  void start_copy(std::string_view header) {
    header.remove_prefix(5);
    const size_t paren = header.find(" (");
    std::string_view qualified = header.substr(0, paren);
    const size_t dot = qualified.rfind('.');
    std::string name(dot == std::string_view::npos ? qualified : qualified.substr(dot + 1));
    if (name.size() >= 2 && name.front() == '"') name = name.substr(1, name.size() - 2);
    table_ = name;
    columns_.clear();
    if (paren != std::string_view::npos) {
      std::string_view cols = header.substr(paren + 2);
      cols = cols.substr(0, cols.find(')'));
      size_t at = 0;
      while (at <= cols.size()) {
        size_t comma = cols.find(", ", at);
        if (comma == std::string_view::npos) comma = cols.size();
        columns_.emplace_back(cols.substr(at, comma - at));
        at = comma + 2;
      }
    }
    rows[table_] += 0;
    keep_rows_ = table_ == "tenants" || table_ == "feed_cursors" || table_ == kVersionTable;
    in_copy_ = true;
  }

  std::string line_;
  bool in_copy_ = false;
  bool keep_rows_ = false;
  std::string table_;
  std::vector<std::string> columns_;
};

// The facts of the live database, read in the transaction (snapshot) `db` is in.
Result<DatabaseFacts> live_facts(PgDb& db) {
  DatabaseFacts facts;
  facts.backend = "postgresql";
  UPSYNC_ASSIGN_OR_RETURN(facts.schema_version,
                          db.query_int("SELECT version FROM upsync_schema_version"));
  UPSYNC_ASSIGN_OR_RETURN(PgResult tables,
                          db.query("SELECT tablename FROM pg_tables WHERE schemaname = "
                                   "current_schema() ORDER BY tablename"));
  for (int i = 0; i < tables.rows(); ++i) {
    const std::string t(tables.text(i, 0));
    UPSYNC_ASSIGN_OR_RETURN(facts.table_rows[t],
                            db.query_int("SELECT count(*) FROM " + quoted_identifier(t)));
  }
  UPSYNC_ASSIGN_OR_RETURN(PgResult seqs, db.query("SELECT name, last_seq FROM tenants"));
  for (int i = 0; i < seqs.rows(); ++i) {
    facts.feed_positions[std::string(seqs.text(i, 0))] = seqs.int64(i, 1);
  }
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult cursors,
      db.query("SELECT t.name, c.name, c.seq FROM feed_cursors c JOIN tenants t ON t.id = "
               "c.tenant_id"));
  for (int i = 0; i < cursors.rows(); ++i) {
    facts.feed_positions[std::string(cursors.text(i, 0)) + "/" + std::string(cursors.text(i, 1))] =
        cursors.int64(i, 2);
  }
  return facts;
}

Status newer_refused(const std::string& what, int64_t version) {
  if (version <= pg_schema_version()) return Status::ok();
  return data_loss(what + " has schema version " + std::to_string(version) +
                   ", newer than this upsync understands (" + std::to_string(pg_schema_version()) +
                   ")");
}

}  // namespace

int64_t PgDatabaseCopy::schema_version() const { return pg_schema_version(); }

Result<DatabaseFacts> PgDatabaseCopy::copy_to(const std::string& dest) {
  UPSYNC_ASSIGN_OR_RETURN(ToolConnection tool, tool_connection(url_, where_));
  UPSYNC_ASSIGN_OR_RETURN(std::unique_ptr<PgDb> db, PgDb::connect(url_, where_));
  UniqueFd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out.valid()) {
    if (errno == EEXIST) return already_exists("'" + dest + "' exists; it is not overwritten");
    return unavailable("cannot create '" + dest + "': " + std::strerror(errno));
  }
  auto body = [&]() -> Result<DatabaseFacts> {
    UPSYNC_RETURN_IF_ERROR(db->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    UPSYNC_ASSIGN_OR_RETURN(PgResult snap,
                            db->query("SELECT pg_export_snapshot(), current_schema()"));
    const std::string snapshot(snap.text(0, 0));
    const std::string schema(snap.text(0, 1));
    UPSYNC_ASSIGN_OR_RETURN(DatabaseFacts facts, live_facts(*db));
    UPSYNC_RETURN_IF_ERROR(newer_refused(where_, facts.schema_version));
    ChildProcess::Spec spec{
        .program = "pg_dump",
        .args = {"--format=custom", "--no-owner", "--no-privileges", "--snapshot=" + snapshot,
                 "--schema=" + literal_pattern(schema), "--dbname=" + tool.conninfo},
        .env = tool.env,
        .stdin_fd = ChildProcess::kNull,
        .stdout_fd = out.get()};
    UPSYNC_ASSIGN_OR_RETURN(ChildProcess dump, ChildProcess::start(spec));
    UPSYNC_RETURN_IF_ERROR(dump.wait());
    if (::fsync(out.get()) != 0)
      return unavailable("writing '" + dest + "': " + std::strerror(errno));
    UPSYNC_RETURN_IF_ERROR(db->exec("COMMIT"));
    return facts;
  };
  Result<DatabaseFacts> facts = body();
  if (!facts) {
    if (db->healthy()) (void)db->exec("ROLLBACK");
    ::unlink(dest.c_str());
  }
  return facts;
}

Result<DatabaseFacts> PgDatabaseCopy::check_copy(const std::string& copy) {
  UPSYNC_ASSIGN_OR_RETURN(std::vector<TocEntry> toc, read_dump_toc(copy));
  std::vector<std::string> tables;
  for (const TocEntry& e : toc) {
    if (e.kind == "TABLE" && e.rest.size() >= 2) tables.push_back(e.rest[1]);
  }
  if (std::find(tables.begin(), tables.end(), kVersionTable) == tables.end()) {
    return data_loss("the database copy holds no upsync schema (no table " +
                     std::string(kVersionTable) + ")");
  }
  ChildProcess::Spec spec{.program = "pg_restore",
                          .args = {"--data-only", "--file=-", copy},
                          .env = {},
                          .stdin_fd = ChildProcess::kNull,
                          .stdout_fd = ChildProcess::kPipe};
  UPSYNC_ASSIGN_OR_RETURN(ChildProcess restore, ChildProcess::start(spec));
  DumpScanner scan;
  UPSYNC_RETURN_IF_ERROR(
      restore.read_output([&](std::string_view piece) { scan.add(piece.data(), piece.size()); }));
  UPSYNC_RETURN_IF_ERROR(scan.finish());

  DatabaseFacts facts;
  facts.backend = "postgresql";
  for (const std::string& t : tables) facts.table_rows[t] = scan.rows[t];
  const auto& versions = scan.kept[std::string(kVersionTable)];
  if (versions.size() != 1 || as_int(text_of(versions[0], "version")) < 1) {
    return data_loss("the database copy's " + std::string(kVersionTable) +
                     " does not hold one valid version");
  }
  facts.schema_version = as_int(text_of(versions[0], "version"));
  UPSYNC_RETURN_IF_ERROR(newer_refused("the database copy", facts.schema_version));
  std::map<std::string, std::string> tenant_names;
  for (const CopyRow& row : scan.kept["tenants"]) {
    const std::string name = text_of(row, "name");
    tenant_names[text_of(row, "id")] = name;
    facts.feed_positions[name] = as_int(text_of(row, "last_seq"));
  }
  for (const CopyRow& row : scan.kept["feed_cursors"]) {
    auto tenant = tenant_names.find(text_of(row, "tenant_id"));
    if (tenant == tenant_names.end()) continue;  // a cursor of no tenant: not a position
    facts.feed_positions[tenant->second + "/" + text_of(row, "name")] = as_int(text_of(row, "seq"));
  }
  return facts;
}

Status PgDatabaseCopy::install(const std::string& copy) {
  UPSYNC_ASSIGN_OR_RETURN(ToolConnection tool, tool_connection(url_, where_));
  UPSYNC_ASSIGN_OR_RETURN(std::unique_ptr<PgDb> db, PgDb::connect(url_, where_));
  UPSYNC_ASSIGN_OR_RETURN(std::vector<TocEntry> toc, read_dump_toc(copy));
  std::string dump_schema;
  std::set<std::string> dump_tables;
  for (const TocEntry& e : toc) {
    if (e.kind != "TABLE" || e.rest.size() < 2) continue;
    dump_schema = e.rest[0];
    dump_tables.insert(e.rest[1]);
  }
  UPSYNC_ASSIGN_OR_RETURN(PgResult here, db->query("SELECT current_schema()"));
  if (here.is_null(0, 0)) {
    return failed_precondition(where_ + " has no current schema to restore into (search_path)");
  }
  const std::string schema(here.text(0, 0));
  if (dump_schema != schema) {
    return failed_precondition("the backup holds the schema '" + dump_schema + "', and " + where_ +
                               " restores into '" + schema +
                               "': set the URL's search_path to the backup's schema");
  }
  // Only an empty schema is restored into: upsync's tables without rows (what `restore`
  // created when it opened the target) are dropped; a table holding rows, or one that is not
  // among the dump's (someone else's), is refused and left alone.
  UPSYNC_RETURN_IF_ERROR(db->in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult tables,
        db->query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"));
    std::string drop;
    for (int i = 0; i < tables.rows(); ++i) {
      const std::string t(tables.text(i, 0));
      if (!dump_tables.contains(t)) {
        return failed_precondition(where_ + " holds the table " + t +
                                   ", which is not upsync's: a restore goes into an empty "
                                   "database only");
      }
      UPSYNC_ASSIGN_OR_RETURN(int64_t rows, db->query_int("SELECT count(*) FROM (SELECT 1 FROM " +
                                                          quoted_identifier(t) + " LIMIT 1) x"));
      if (rows > 0 && t != kVersionTable) {
        return failed_precondition(where_ + " is not empty (table " + t +
                                   " holds rows): a restore goes into an empty database only");
      }
      drop += (drop.empty() ? "" : ", ") + quoted_identifier(t);
    }
    if (drop.empty()) return Status::ok();
    return db->exec("DROP TABLE " + drop + " CASCADE");
  }));
  // Every entry of the dump but its schema's own (the target has the schema already).
  const std::string list_path = copy + ".list";
  {
    std::string list;
    for (const TocEntry& e : toc) {
      const bool schema_entry = e.kind == "SCHEMA" || ((e.kind == "COMMENT" || e.kind == "ACL") &&
                                                       e.rest.size() >= 3 && e.rest[1] == "SCHEMA");
      if (!schema_entry) list += e.line + "\n";
    }
    UniqueFd f(::open(list_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!f.valid() ||
        ::write(f.get(), list.data(), list.size()) != static_cast<ssize_t>(list.size())) {
      ::unlink(list_path.c_str());
      return unavailable("cannot write '" + list_path + "': " + std::strerror(errno));
    }
  }
  Status s = [&]() -> Status {
    ChildProcess::Spec spec{
        .program = "pg_restore",
        .args = {"--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
                 "--use-list=" + list_path, "--dbname=" + tool.conninfo, copy},
        .env = tool.env,
        .stdin_fd = ChildProcess::kNull,
        .stdout_fd = ChildProcess::kNull};
    UPSYNC_ASSIGN_OR_RETURN(ChildProcess restore, ChildProcess::start(spec));
    return restore.wait();
  }();
  ::unlink(list_path.c_str());
  UPSYNC_RETURN_IF_ERROR(s);
  UPSYNC_RETURN_IF_ERROR(db->exec("ANALYZE"));
  ::unlink(copy.c_str());
  return Status::ok();
}

}  // namespace upsync
