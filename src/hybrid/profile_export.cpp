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
    if (def->multi_value) {
      return invalid_argument("property '" + def->name +
                              "' is multi-valued, and the bulk import of the online side takes "
                              "single values only (seed 003).");
    }
    out.push_back({def->name});
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
    append_json_string(text, v->front());
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

}  // namespace

Result<ExportSummary> export_profile_values(Store& store, TenantId tenant,
                                            const ExportOptions& options,
                                            const std::string& out_path) {
  ExportSummary summary;
  summary.id_profile_property = std::string(id_profile_property(options.id_type));
  UPSYNC_ASSIGN_OR_RETURN(auto columns,
                          columns_of(store, tenant, options, summary.id_profile_property));
  for (const auto& c : columns) summary.properties.push_back(c.name);

  const std::string tmp = out_path + ".upsync-tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return not_found("cannot write '" + tmp + "': " + std::strerror(errno));
  auto fail = [&](Status st) {
    out.close();
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return st;
  };
  out << "{\"value\":[";
  std::unique_ptr<AudienceStore> audiences;
  if (options.audience_id) {
    auto opened = open_audience_store(store);
    if (!opened) return fail(opened.status());
    audiences = std::move(*opened);
  }
  ProfileQuery query;
  query.limit = options.page_size;
  bool first = true;
  while (true) {
    auto page = store.list_profiles(tenant, query);
    if (!page) return fail(page.status().with_context("reading profiles"));
    for (const Profile& p : page->profiles) {
      ++summary.users_read;
      if (audiences) {
        auto member = audiences->is_member(tenant, *options.audience_id, p.id);
        if (!member) return fail(member.status().with_context("reading the audience"));
        if (!*member) {
          ++summary.skipped_not_in_audience;
          continue;
        }
      }
      std::string obj = user_object(p, columns, options, summary.id_profile_property, summary);
      if (obj.empty()) continue;
      out << (first ? "\n" : ",\n") << obj;
      first = false;
    }
    if (!page->next_after_id) break;
    query.after_id = *page->next_after_id;
  }
  out << (first ? "]}\n" : "\n]}\n");
  out.flush();
  if (!out) return fail(internal_error("writing '" + tmp + "' failed: " + std::strerror(errno)));
  summary.bytes = static_cast<uint64_t>(out.tellp());
  out.close();
  std::error_code ec;
  std::filesystem::rename(tmp, out_path, ec);
  if (ec)
    return fail(internal_error("renaming '" + tmp + "' to '" + out_path + "': " + ec.message()));
  return summary;
}

}  // namespace upsync
