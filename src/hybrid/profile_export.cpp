#include "hybrid/profile_export.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "audiences/audiences.h"
#include "core/text.h"

namespace upsync {

std::string_view id_profile_property(ImportIdType type) {
  switch (type) {
    case ImportIdType::kEmail:
      return "WorkEmail";
    case ImportIdType::kCloudId:
      return "msOnline-ObjectId";
    case ImportIdType::kPrincipalName:
      return "SPS-UserPrincipalName";
  }
  return "SPS-UserPrincipalName";
}

namespace {

struct ExportColumn {
  std::string name;  // as the schema spells it
  bool multi_value = false;
};

Result<std::vector<ExportColumn>> columns_of(Store& store, TenantId tenant,
                                             const ExportOptions& options,
                                             std::string_view id_property) {
  if (options.properties.empty()) {
    return invalid_argument("--properties is empty: name the profile properties to export.");
  }
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store.schema(tenant));
  std::vector<ExportColumn> out;
  std::set<std::string> seen;
  for (const std::string& p : options.properties) {
    const PropertyDefinition* def = schema.find(p);
    if (!def) {
      return invalid_argument("property '" + quote_for_message(p) +
                              "' does not exist in this tenant's profile schema.");
    }
    if (!seen.insert(ascii_lower(def->name)).second) {
      return invalid_argument("property '" + def->name + "' is named twice in --properties.");
    }
    if (ascii_iequal(def->name, id_property)) {
      return invalid_argument("property '" + def->name +
                              "' is the id the online side resolves users by; it cannot "
                              "also be imported.");
    }
    // Seed 003: the import takes no multi-value property ("Can I import string based,
    // multi-value properties? No"); a file holding one would only fail online.
    if (def->multi_value && !options.multi_value_arrays) {
      return invalid_argument("property '" + def->name +
                              "' is multi-valued, and the bulk import of SharePoint Online takes "
                              "single values only (seed 003); an upsync online tenant takes "
                              "them with --multi-value-arrays.");
    }
    out.push_back({def->name, def->multi_value});
  }
  if (options.id_property.empty() ||
      std::any_of(out.begin(), out.end(), [&](const ExportColumn& c) {
        return ascii_iequal(c.name, options.id_property);
      })) {
    return invalid_argument("the file's id member '" + options.id_property +
                            "' is empty or the name of an exported property.");
  }
  return out;
}

// Appends a JSON string (quotes and escapes) to `out`.
void append_json_string(std::string& out, std::string_view s) { out += nlohmann::json(s).dump(); }

// One user object, or "" when the user has no id or no value (counted in `summary`). The id
// comes first, as in seed 003's examples, then the properties in the order asked for.
std::string user_object(const Profile& p, const std::vector<ExportColumn>& columns,
                        const ExportOptions& options, std::string_view id_property,
                        ExportSummary& summary) {
  std::string text;
  int64_t values = 0;
  for (const ExportColumn& c : columns) {
    const PropertyValues* v = p.find(c.name);
    if (!v || v->empty() || v->front().empty()) continue;
    text += ',';
    append_json_string(text, c.name);
    text += ':';
    if (c.multi_value) {
      text += '[';
      for (size_t i = 0; i < v->size(); ++i) {
        if (i) text += ',';
        append_json_string(text, (*v)[i]);
      }
      text += ']';
    } else {
      append_json_string(text, v->front());
    }
    ++values;
  }
  if (values == 0) {
    ++summary.skipped_no_value;
    return "";
  }
  const PropertyValues* id = p.find(id_property);
  if (!id || id->empty() || id->front().empty()) {
    ++summary.skipped_no_id;
    return "";
  }
  std::string head = "{";
  append_json_string(head, options.id_property);
  head += ':';
  append_json_string(head, id->front());
  summary.values_written += values;
  ++summary.users_written;
  return head + text + "}";
}

// The files of an export as they are written: the current one open, every one under a
// temporary name until commit() renames them all into place; a writer dropped before that
// removes them.
class PartWriter {
 public:
  PartWriter(std::string out_path, const ExportOptions& options)
      : out_path_(std::move(out_path)), options_(options) {}
  PartWriter(const PartWriter&) = delete;
  PartWriter& operator=(const PartWriter&) = delete;
  ~PartWriter() {
    if (committed_) return;
    out_.close();
    for (size_t n = 1; n <= files_.size(); ++n) {
      std::error_code ec;
      std::filesystem::remove(temporary(static_cast<int>(n)), ec);
    }
  }

  Status start() { return open_next(); }

  // Appends a user object holding `values` values, in the next file when this one would go
  // past a limit with it.
  Status add(const std::string& object, int64_t values) {
    ExportedFile& f = files_.back();
    const uint64_t grown = f.bytes + object.size() + 2 + kClosing;
    if (f.users > 0 &&
        (f.values + values > options_.max_values_per_file || grown > options_.max_bytes_per_file)) {
      UPSYNC_RETURN_IF_ERROR(close_current());
      UPSYNC_RETURN_IF_ERROR(open_next());
    }
    ExportedFile& cur = files_.back();
    const std::string_view sep = cur.users == 0 ? "\n" : ",\n";
    out_ << sep << object;
    cur.bytes += sep.size() + object.size();
    cur.values += values;
    ++cur.users;
    return Status::ok();
  }

  // Ends the last file and renames every file into place.
  Result<std::vector<ExportedFile>> commit() {
    UPSYNC_RETURN_IF_ERROR(close_current());
    for (size_t n = 1; n <= files_.size(); ++n) {
      std::error_code ec;
      std::filesystem::rename(temporary(static_cast<int>(n)), files_[n - 1].path, ec);
      if (ec) {
        return internal_error("renaming '" + temporary(static_cast<int>(n)) + "' to '" +
                              files_[n - 1].path + "': " + ec.message());
      }
    }
    committed_ = true;
    return files_;
  }

 private:
  static constexpr std::string_view kOpening = "{\"value\":[";
  static constexpr uint64_t kClosing = 4;  // "\n]}\n"

  std::string temporary(int n) const { return export_part_path(out_path_, n) + ".upsync-tmp"; }

  Status open_next() {
    const int n = static_cast<int>(files_.size()) + 1;
    files_.push_back({export_part_path(out_path_, n), 0, 0, kOpening.size()});
    out_.open(temporary(n), std::ios::binary | std::ios::trunc);
    if (!out_) return not_found("cannot write '" + temporary(n) + "': " + std::strerror(errno));
    out_ << kOpening;
    return Status::ok();
  }

  Status close_current() {
    ExportedFile& f = files_.back();
    const std::string_view closing = f.users == 0 ? "]}\n" : "\n]}\n";
    out_ << closing;
    f.bytes += closing.size();
    out_.flush();
    if (!out_) {
      return internal_error("writing '" + temporary(static_cast<int>(files_.size())) +
                            "' failed: " + std::strerror(errno));
    }
    out_.close();
    return Status::ok();
  }

  std::string out_path_;
  const ExportOptions& options_;
  std::ofstream out_;
  std::vector<ExportedFile> files_;  // with their final paths
  bool committed_ = false;
};

}  // namespace

std::string export_part_path(const std::string& out_path, int n) {
  if (n <= 1) return out_path;
  const std::filesystem::path p(out_path);
  return (p.parent_path() / (p.stem().string() + "-" + std::to_string(n) + p.extension().string()))
      .string();
}

Result<ExportSummary> export_profile_values(Store& store, TenantId tenant,
                                            const ExportOptions& options,
                                            const std::string& out_path) {
  ExportSummary summary;
  summary.id_profile_property = std::string(id_profile_property(options.id_type));
  UPSYNC_ASSIGN_OR_RETURN(auto columns,
                          columns_of(store, tenant, options, summary.id_profile_property));
  for (const auto& c : columns) summary.properties.push_back(c.name);

  if (options.max_values_per_file < 1 || options.max_bytes_per_file < 64) {
    return invalid_argument("an export file must be allowed at least one value and 64 bytes");
  }
  PartWriter writer(out_path, options);
  UPSYNC_RETURN_IF_ERROR(writer.start());
  std::unique_ptr<AudienceStore> audiences;
  if (options.audience_id) {
    auto opened = open_audience_store(store);
    if (!opened) return opened.status();
    audiences = std::move(*opened);
  }
  ProfileQuery query;
  query.limit = options.page_size;
  while (true) {
    auto page = store.list_profiles(tenant, query);
    if (!page) return page.status().with_context("reading profiles");
    for (const Profile& p : page->profiles) {
      ++summary.users_read;
      if (audiences) {
        auto member = audiences->is_member(tenant, *options.audience_id, p.id);
        if (!member) return member.status().with_context("reading the audience");
        if (!*member) {
          ++summary.skipped_not_in_audience;
          continue;
        }
      }
      const int64_t before = summary.values_written;
      std::string obj = user_object(p, columns, options, summary.id_profile_property, summary);
      if (obj.empty()) continue;
      UPSYNC_RETURN_IF_ERROR(writer.add(obj, summary.values_written - before));
    }
    if (!page->next_after_id) break;
    query.after_id = *page->next_after_id;
  }
  UPSYNC_ASSIGN_OR_RETURN(summary.files, writer.commit());
  for (const ExportedFile& f : summary.files) summary.bytes += f.bytes;
  return summary;
}

}  // namespace upsync
