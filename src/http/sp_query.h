// The OData v3 query options SharePoint applies to its collections and entities: $select,
// $filter, $orderby, $top, $skip and $skiptoken, over the neutral JSON items the handlers
// build (odata.h), each typed by a schema of its entity type.
//
//   $select   comma-separated property names (or *); an unknown one is SharePoint's
//             "The property 'X' does not exist on type 'SP.User'. ..."; "A/B" (a property
//             of an expanded entity) is refused, upsync expands nothing there.
//   $filter   eq ne lt gt le ge, and or not, parentheses, startswith(Field,'x') and
//             substringof('x',Field); literals 'text' ('' for a quote), integers, true/false,
//             null and datetime'2026-01-02T03:04:05Z'; each comparison typed by its field
//             (text compared without case, as SharePoint's collation does). Parsed once into a
//             tree, evaluated per item. Errors name the position (0-based) in the text.
//   $orderby  Field [asc|desc], several keys, comma-separated.
//   $top      1..5000 (SharePoint's list view threshold is the upper bound of a page).
//   $skip     collections that are not list items; list items page with
//   $skiptoken  "Paged=TRUE&p_ID=N": the items whose ID is greater than N (in ID order).
//
// The unit knows nothing of HTTP beyond the parameter map, so that a fuzzer links it alone.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "http/http_message.h"

namespace upsync {

// kObject: a complex value (SP.UserIdInfo), selected but neither compared nor ordered by.
enum class SpType { kString, kInt, kBool, kDateTime, kObject };

struct SpField {
  std::string name;  // as SharePoint spells it ("LoginName")
  SpType type;
};

// An entity type: its name ("SP.User") and the properties $select, $filter and $orderby name.
struct SpSchema {
  std::string type_name;
  std::vector<SpField> fields;
  // The property a list item's $skiptoken pages on ("Id"); empty: $skiptoken is not served.
  std::string paging_field;

  // The field named `name` (compared without case, as SharePoint does), else nullptr.
  const SpField* find(std::string_view name) const;
};

// $select: the properties to keep, spelled as the schema spells them; empty for "all".
Result<std::vector<std::string>> sp_parse_select(std::string_view text, const SpSchema& schema);
// `item` with only the `select`ed properties (all of them when `select` is empty).
nlohmann::json sp_project(nlohmann::json item, const std::vector<std::string>& select);

struct SpFilterNode;
// A parsed $filter: a tree, evaluated on each item.
class SpFilter {
 public:
  static Result<SpFilter> parse(std::string_view text, const SpSchema& schema);
  bool matches(const nlohmann::json& item) const;

  SpFilter(SpFilter&&) noexcept;
  SpFilter& operator=(SpFilter&&) noexcept;
  ~SpFilter();

 private:
  explicit SpFilter(std::unique_ptr<SpFilterNode> root);
  std::unique_ptr<SpFilterNode> root_;
};

struct SpOrderKey {
  std::string field;  // as the schema spells it
  SpType type;
  bool descending = false;
};
Result<std::vector<SpOrderKey>> sp_parse_orderby(std::string_view text, const SpSchema& schema);

// The query options of one request, parsed and checked against the schema.
struct SpQuery {
  std::vector<std::string> select;
  std::optional<SpFilter> filter;
  std::vector<SpOrderKey> orderby;
  std::optional<int64_t> top;
  int64_t skip = 0;
  std::optional<int64_t> after_id;  // $skiptoken's p_ID
};
// Reads $select, $filter, $orderby, $top, $skip and $skiptoken from `params`; an option the
// schema cannot serve ($skiptoken without a paging field, $skip with one: SharePoint pages
// list items by token only) is InvalidArgument naming it.
Result<SpQuery> sp_parse_query(const HttpParams& params, const SpSchema& schema);

// One page of a collection after the query.
struct SpPage {
  std::vector<nlohmann::json> items;
  // The $skiptoken of the next page ("Paged=TRUE&p_ID=7") when $top cut a list items
  // collection short; empty otherwise.
  std::string next_skiptoken;
};
// Filters, orders, pages and projects `items` (each an object with the schema's fields).
SpPage sp_apply(const SpQuery& query, const SpSchema& schema, std::vector<nlohmann::json> items);

}  // namespace upsync
