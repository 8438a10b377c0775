// PgStore::update_custom_property (as sqlite_property_update.cpp): a custom property's
// definition changes only where the values stored in profile_custom still pass it, and those
// values follow a change of form.
#include "core/text.h"
#include "store/postgres/pg_store.h"
#include "store/profile_codec.h"

namespace upsync {

Result<int64_t> PgStore::aggregate_custom_values(TenantId tenant, std::string_view name,
                                                 std::string_view aggregate) {
  // Each stored value as one row `v`: an array's elements, or a single value as one row.
  return db_->query_int(
      "SELECT " + std::string(aggregate) +
          " FROM profile_custom c JOIN profiles p ON p.id = c.id CROSS JOIN LATERAL "
          "jsonb_array_elements_text(CASE jsonb_typeof(c.props::jsonb -> $2) WHEN 'array' THEN "
          "c.props::jsonb -> $2 ELSE jsonb_build_array(c.props::jsonb -> $2) END) v(value) "
          "WHERE p.tenant_id = $1 AND jsonb_exists(c.props::jsonb, $2)",
      {tenant, name});
}

Status PgStore::check_property_update(TenantId tenant, const PropertyDefinition& now,
                                      const PropertyDefinition& next) {
  return upsync::check_property_update(
      now, next,
      {.profiles_with_several_values =
           [&] {
             return aggregate_custom_values(tenant, now.name,
                                            "count(DISTINCT c.id) FILTER (WHERE jsonb_typeof("
                                            "c.props::jsonb -> $2) = 'array' AND "
                                            "jsonb_array_length(c.props::jsonb -> $2) > 1)");
           },
       .longest_value =
           [&] {
             return aggregate_custom_values(tenant, now.name, "COALESCE(MAX(length(v.value)), 0)");
           }});
}

Result<PropertyDefinition> PgStore::update_custom_property(TenantId tenant, std::string_view name,
                                                           const PropertyUpdate& update) {
  PropertyDefinition next;
  Status s = in_transaction([&]() -> Status {
    // Locks the tenant's schema: a concurrent write of a value waits for this change, and
    // every connection reads the new definition after it.
    UPSYNC_RETURN_IF_ERROR(bump_schema_generation(tenant));
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

    UPSYNC_RETURN_IF_ERROR(
        db_->run(
               "UPDATE custom_properties SET display_name = $3, multi_value = $4, "
               "user_editable = $5, sync_to_sites = $6, max_length = $7 "
               "WHERE tenant_id = $1 AND name_key = $2",
               {tenant, ascii_lower(now.name), next.display_name, int64_t{next.multi_value},
                int64_t{next.user_editable}, int64_t{next.sync_to_sites}, int64_t{next.max_length}})
            .status());

    if (now.multi_value != next.multi_value) {
      // The packed form follows the flag (profile_codec.h). The documents are re-encoded here
      // rather than by jsonb, which would reorder their keys and space them: the bulk import
      // patches documents in encode_properties's form in place.
      std::vector<PropertyDefinition> custom = schema->custom();
      for (PropertyDefinition& c : custom) {
        if (c.name == now.name) c = next;
      }
      const ProfileSchema after(std::move(custom), schema->policies());
      UPSYNC_ASSIGN_OR_RETURN(
          PgResult rows,
          db_->query("SELECT c.id, c.props FROM profile_custom c JOIN profiles p ON p.id = c.id "
                     "WHERE p.tenant_id = $1 AND jsonb_typeof(c.props::jsonb -> $2) = $3",
                     {tenant, now.name, next.multi_value ? "string" : "array"}));
      for (int i = 0; i < rows.rows(); ++i) {
        auto props = decode_properties(rows.text(i, 1));
        if (!props) {
          return props.status().with_context("profile #" + std::string(rows.text(i, 0)) +
                                             "'s custom properties");
        }
        UPSYNC_RETURN_IF_ERROR(
            db_->run("UPDATE profile_custom SET props = $2 WHERE id = $1",
                     {rows.int64(i, 0), encode_properties(*props, after, PropertyPart::kCustom)})
                .status());
      }
    }
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", now.name, ChangeOp::kUpsert).status();
  });
  if (!s) return s;
  return next;
}

}  // namespace upsync
