// Graph directory objects (users, groups) as upsync serves them: one table of properties per
// resource type says where each Graph property's value comes from in the cloud directory,
// and gives the type's default $select, its $select parsing, its $filter properties and its
// JSON. graph_user.h and graph_group.h hold the two tables.
//
//   const GraphObjectType& t = group_type();
//   auto select = t.parse_select("id,displayName");   // or Graph's "Could not find ..." error
//   nlohmann::ordered_json j = t.json(view_of(group), *select);
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "directory/directory_store.h"
#include "http/graph_filter.h"
#include "http/json_writer.h"

namespace upsync {

// What a Graph property reads of a directory object.
struct GraphObjectView {
  const std::string& object_id;
  const std::string& source_anchor;
  const DirectoryAttributes& attributes;
};
GraphObjectView view_of(const DirectoryUser& user);
GraphObjectView view_of(const DirectoryGroup& group);

// kExtensionAttributes: Graph's onPremisesExtensionAttributes, an object of the attributes
// extensionAttribute1..15.
enum class GraphValueKind { kString, kStrings, kBool, kExtensionAttributes };

// Where a value comes from: a cloud directory attribute, or one of the derived values.
enum class GraphSource {
  kAttribute,    // `attribute` ("" for a property the directory does not hold: null / [])
  kId,           // the object id
  kAnchor,       // the source anchor (onPremisesImmutableId)
  kSyncEnabled,  // true when the object came from on premises, else null
  kSid,          // objectSid as S-1-5-...
  kNull,         // always null / [] (Graph properties upsync does not hold)
};

struct GraphProperty {
  std::string_view name;
  GraphValueKind kind;
  GraphSource source;
  std::string_view attribute;  // kAttribute only
  bool filterable;
  bool missing_flag = false;  // a kBool attribute's value when the object has none
};

class GraphObjectType {
 public:
  // `properties` in Graph's order; the first `default_count` are the default $select.
  GraphObjectType(std::string_view type_name, std::span<const GraphProperty> properties,
                  size_t default_count);

  std::string_view type_name() const { return type_name_; }  // "microsoft.graph.user"
  const std::vector<std::string>& default_select() const { return default_select_; }
  std::span<const GraphProperty> properties() const { return properties_; }
  // A comma-separated $select: canonical names in the order given, without repeats. An
  // unknown name is InvalidArgument "Could not find a property named 'x' on type '...'.".
  Result<std::vector<std::string>> parse_select(std::string_view select) const;
  const std::vector<FilterProperty>& filter_properties() const { return filter_properties_; }
  // The object's value of a property as $filter compares it (booleans "true"/"false").
  std::optional<std::string> filter_value(const GraphObjectView& o, std::string_view name) const;
  // A multi-valued property's values, as $filter's any() sees them (empty when none).
  std::vector<std::string> filter_values(const GraphObjectView& o, std::string_view name) const;
  // The object with exactly the properties of `select` (canonical names).
  nlohmann::ordered_json json(const GraphObjectView& o,
                              const std::vector<std::string>& select) const;
  // The properties of `select` (canonical names), looked up once for writing many objects.
  std::vector<const GraphProperty*> resolve(const std::vector<std::string>& select) const;
  // The object as json() makes it for the same properties, written straight into `w`; those
  // named in `blank` are written as an unset value (null, or [] for a collection), as a
  // caller who may not see them is answered.
  void write(const GraphObjectView& o, std::span<const GraphProperty* const> properties,
             std::span<const std::string_view> blank, JsonWriter& w) const;
  // The directory attributes that json(), filter_value() and filter_values() read for
  // `properties`, sorted, each once; nullopt when one of them is not the type's.
  std::optional<AttributeNames> attributes_read(std::span<const std::string> properties) const;

 private:
  const GraphProperty* find(std::string_view name) const;

  std::string type_name_;
  std::span<const GraphProperty> properties_;
  std::vector<std::string> default_select_;
  std::vector<FilterProperty> filter_properties_;
};

}  // namespace upsync
