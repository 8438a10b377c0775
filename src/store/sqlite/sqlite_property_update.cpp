// SqliteStore::update_custom_property: a custom property's definition changes only where the
// values stored in profile_custom still pass it, and those values follow a change of form.
#include "core/text.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {

namespace {

// The JSON path of a property in a packed document (names are letters, digits, '-', '_').
std::string json_path(std::string_view name) { return "$.\"" + std::string(name) + "\""; }

}  // namespace

Result<int64_t> SqliteStore::count_custom_values(TenantId tenant, std::string_view name,
                                                 std::string_view condition) {
  // json_each walks an array's elements, or a single value as one row: both forms at once.
  UPSYNC_ASSIGN_OR_RETURN(auto* q,
                          db_->prepare("SELECT " + std::string(condition) +
                                       " FROM profile_custom c JOIN profiles p ON p.id = c.id, "
                                       "json_each(c.props, ?2) j WHERE p.tenant_id = ?1"));
  q->bind(1, tenant);
  q->bind(2, json_path(name));
  UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
  int64_t n = row ? q->column_int(0) : 0;
  q->reset();
  return n;
}

Status SqliteStore::check_property_update(TenantId tenant, const PropertyDefinition& now,
                                          const PropertyDefinition& next) {
  return upsync::check_property_update(
      now, next,
      {.profiles_with_several_values =
           [&] {
             return count_custom_values(tenant, now.name,
                                        "count(DISTINCT c.id) FILTER (WHERE j.type IS NOT NULL "
                                        "AND json_array_length(c.props, ?2) > 1)");
           },
       .longest_value =
           [&] {
             return count_custom_values(tenant, now.name, "COALESCE(MAX(length(j.value)), 0)");
           }});
}

Result<PropertyDefinition> SqliteStore::update_custom_property(TenantId tenant,
                                                               std::string_view name,
                                                               const PropertyUpdate& update) {
  PropertyDefinition next;
  Status s = in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    const PropertyDefinition* d = schema->find(name);
    if (!d) {
      return not_found("property '" + quote_for_message(name) + "' does not exist in this tenant");
    }
    if (!d->custom) {
      return failed_precondition("property '" + d->name +
                                 "' is a default property of the catalog and cannot be changed");
    }
    const PropertyDefinition now = *d;
    next = now;
    if (update.display_name) {
      next.display_name = update.display_name->empty() ? now.name : *update.display_name;
    }
    if (update.type) next.type = *update.type;
    if (update.multi_value) next.multi_value = *update.multi_value;
    if (update.user_editable) next.user_editable = *update.user_editable;
    if (update.sync_to_sites) next.sync_to_sites = *update.sync_to_sites;
    if (update.max_length) next.max_length = *update.max_length;
    UPSYNC_RETURN_IF_ERROR(check_property_update(tenant, now, next));

    UPSYNC_ASSIGN_OR_RETURN(
        auto* up, db_->prepare("UPDATE custom_properties SET display_name = ?3, multi_value = ?4, "
                               "user_editable = ?5, sync_to_sites = ?6, max_length = ?7 "
                               "WHERE tenant_id = ?1 AND name_key = ?2"));
    up->bind(1, tenant);
    up->bind(2, ascii_lower(now.name));
    up->bind(3, next.display_name);
    up->bind(4, int64_t{next.multi_value});
    up->bind(5, int64_t{next.user_editable});
    up->bind(6, int64_t{next.sync_to_sites});
    up->bind(7, int64_t{next.max_length});
    UPSYNC_RETURN_IF_ERROR(up->run());

    if (now.multi_value != next.multi_value) {
      // The packed form follows the flag (profile_codec.h): json_set keeps the key's place,
      // so the documents stay in encode_properties's form.
      const char* sql = next.multi_value
                            ? "UPDATE profile_custom SET props = json_set(props, ?2, "
                              "json_array(json_extract(props, ?2))) WHERE json_type(props, ?2) = "
                              "'text' AND id IN (SELECT id FROM profiles WHERE tenant_id = ?1)"
                            : "UPDATE profile_custom SET props = json_set(props, ?2, "
                              "json_extract(props, ?2 || '[0]')) WHERE json_type(props, ?2) = "
                              "'array' AND id IN (SELECT id FROM profiles WHERE tenant_id = ?1)";
      UPSYNC_ASSIGN_OR_RETURN(auto* form, db_->prepare(sql));
      form->bind(1, tenant);
      form->bind(2, json_path(now.name));
      UPSYNC_RETURN_IF_ERROR(form->run());
    }
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", now.name, ChangeOp::kUpsert).status();
  });
  if (!s) return s;
  return next;
}

}  // namespace upsync
