#include "http/sp_query.h"

#include <algorithm>

#include "core/text.h"
#include "http/sp_value.h"

namespace upsync {

namespace {

constexpr int64_t kMaxTop = 5000;  // SharePoint's list view threshold

std::vector<std::pair<std::string, size_t>> split_list(std::string_view text) {
  std::vector<std::pair<std::string, size_t>> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    out.emplace_back(std::string(trim(text.substr(start, comma - start))), start);
    start = comma + 1;
  }
  return out;
}

std::optional<std::string> param(const HttpParams& params, std::string_view name) {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

}  // namespace

const SpField* SpSchema::find(std::string_view name) const {
  for (const auto& f : fields) {
    if (ascii_iequal(f.name, name)) return &f;
  }
  return nullptr;
}

Result<std::vector<std::string>> sp_parse_select(std::string_view text, const SpSchema& schema) {
  std::vector<std::string> out;
  for (const auto& [name, pos] : split_list(text)) {
    if (name == "*") return std::vector<std::string>{};
    if (name.empty()) {
      return invalid_argument("The $select '" + quote_for_message(text, 200) +
                              "' has an empty property name at position " + std::to_string(pos) +
                              ".");
    }
    if (name.find('/') != std::string::npos) {
      return invalid_argument("The $select names '" + quote_for_message(name, 80) +
                              "', a property of another entity; upsync expands none on " +
                              schema.type_name + ".");
    }
    const SpField* f = schema.find(name);
    if (!f) return sp_no_such_property(name, schema);
    if (std::find(out.begin(), out.end(), f->name) == out.end()) out.push_back(f->name);
  }
  return out;
}

nlohmann::json sp_project(nlohmann::json item, const std::vector<std::string>& select) {
  if (select.empty() || !item.is_object()) return item;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& name : select) {
    auto it = item.find(name);
    out[name] = it == item.end() ? nlohmann::json(nullptr) : std::move(*it);
  }
  return out;
}

Result<std::vector<SpOrderKey>> sp_parse_orderby(std::string_view text, const SpSchema& schema) {
  std::vector<SpOrderKey> out;
  for (const auto& [key, pos] : split_list(text)) {
    std::string_view k = key;
    size_t space = k.find(' ');
    std::string_view name = k.substr(0, space);
    std::string_view dir = space == std::string_view::npos ? "" : trim(k.substr(space + 1));
    if (name.empty()) {
      return invalid_argument("The $orderby '" + quote_for_message(text, 200) +
                              "' has an empty key at position " + std::to_string(pos) + ".");
    }
    const SpField* f = schema.find(name);
    if (!f) return sp_no_such_property(name, schema);
    if (f->type == SpType::kObject) {
      return invalid_argument("The $orderby cannot order by '" + f->name +
                              "', which is of a complex type.");
    }
    if (!dir.empty() && !ascii_iequal(dir, "asc") && !ascii_iequal(dir, "desc")) {
      return invalid_argument("The $orderby '" + quote_for_message(text, 200) +
                              "' is not valid at position " + std::to_string(pos + space + 1) +
                              ": expected asc or desc after '" + f->name + "', not '" +
                              quote_for_message(dir, 40) + "'.");
    }
    out.push_back({f->name, f->type, ascii_iequal(dir, "desc")});
  }
  return out;
}

Result<SpQuery> sp_parse_query(const HttpParams& params, const SpSchema& schema) {
  SpQuery q;
  if (auto s = param(params, "$select")) {
    UPSYNC_ASSIGN_OR_RETURN(q.select, sp_parse_select(*s, schema));
  }
  if (auto f = param(params, "$filter")) {
    UPSYNC_ASSIGN_OR_RETURN(auto filter, SpFilter::parse(*f, schema));
    q.filter = std::move(filter);
  }
  if (auto o = param(params, "$orderby")) {
    UPSYNC_ASSIGN_OR_RETURN(q.orderby, sp_parse_orderby(*o, schema));
  }
  if (auto t = param(params, "$top")) {
    auto n = sp_parse_int64(trim(*t));
    if (!n || *n < 0 || *n > kMaxTop) {
      return invalid_argument("The $top '" + quote_for_message(*t, 40) +
                              "' is not valid: give an integer from 0 to " +
                              std::to_string(kMaxTop) + ".");
    }
    q.top = *n;
  }
  if (auto s = param(params, "$skip")) {
    if (!schema.paging_field.empty()) {
      return invalid_argument(
          "$skip is not supported on list items: page them with the $skiptoken of each "
          "page's __next link (Paged=TRUE&p_ID=<last ID>).");
    }
    auto n = sp_parse_int64(trim(*s));
    if (!n || *n < 0) {
      return invalid_argument("The $skip '" + quote_for_message(*s, 40) +
                              "' is not valid: give an integer of 0 or more.");
    }
    q.skip = *n;
  }
  if (auto token = param(params, "$skiptoken")) {
    if (schema.paging_field.empty()) {
      return invalid_argument("$skiptoken pages list items; " + schema.type_name +
                              " is paged with $top and $skip.");
    }
    if (!q.orderby.empty() &&
        !(q.orderby.size() == 1 && ascii_iequal(q.orderby[0].field, schema.paging_field) &&
          !q.orderby[0].descending)) {
      return invalid_argument("$skiptoken pages list items in " + schema.paging_field +
                              " order only; leave $orderby out or order by " + schema.paging_field +
                              ".");
    }
    bool paged = false;
    std::string_view rest = *token;
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view kv = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      size_t eq = kv.find('=');
      std::string_view k = kv.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
      if (ascii_iequal(k, "Paged") && ascii_iequal(v, "TRUE")) {
        paged = true;
      } else if (ascii_iequal(k, "p_ID")) {
        auto n = sp_parse_int64(v);
        if (!n || *n < 0) {
          return invalid_argument("The $skiptoken's p_ID '" + quote_for_message(v, 40) +
                                  "' is not an item ID.");
        }
        q.after_id = *n;
      } else {
        return invalid_argument("The $skiptoken '" + quote_for_message(*token, 100) + "' has '" +
                                quote_for_message(kv, 40) +
                                "', which upsync does not page by; it takes "
                                "Paged=TRUE&p_ID=<last ID>.");
      }
    }
    if (!paged || !q.after_id) {
      return invalid_argument("The $skiptoken '" + quote_for_message(*token, 100) +
                              "' is not valid: it takes Paged=TRUE&p_ID=<last ID>, as each "
                              "page's __next link gives it.");
    }
  }
  return q;
}

SpPage sp_apply(const SpQuery& query, const SpSchema& schema, std::vector<nlohmann::json> items) {
  const SpField* paging = schema.paging_field.empty() ? nullptr : schema.find(schema.paging_field);
  std::vector<nlohmann::json> kept;
  for (auto& item : items) {
    if (query.filter && !query.filter->matches(item)) continue;
    if (query.after_id && paging) {
      SpValue id = sp_item_value(item, *paging);
      if (id.null || id.number <= *query.after_id) continue;
    }
    kept.push_back(std::move(item));
  }
  std::vector<SpOrderKey> keys = query.orderby;
  if (keys.empty() && paging) keys.push_back({paging->name, paging->type, false});
  if (!keys.empty()) {
    std::vector<const SpField*> fields;
    for (const auto& k : keys) fields.push_back(schema.find(k.field));
    std::stable_sort(kept.begin(), kept.end(),
                     [&](const nlohmann::json& a, const nlohmann::json& b) {
                       for (size_t i = 0; i < keys.size(); ++i) {
                         SpValue va = sp_item_value(a, *fields[i]);
                         SpValue vb = sp_item_value(b, *fields[i]);
                         // Nulls first in ascending order, as SQL Server (SharePoint's store) sorts
                         // them.
                         int c = va.null || vb.null ? (va.null ? 0 : 1) - (vb.null ? 0 : 1)
                                                    : sp_compare(va, vb, keys[i].type);
                         if (c != 0) return keys[i].descending ? c > 0 : c < 0;
                       }
                       return false;
                     });
  }
  SpPage page;
  size_t begin = std::min<size_t>(kept.size(), static_cast<size_t>(query.skip));
  size_t end = kept.size();
  if (query.top) end = std::min(end, begin + static_cast<size_t>(*query.top));
  const bool id_order = query.orderby.empty() ||
                        (query.orderby.size() == 1 && paging &&
                         query.orderby[0].field == paging->name && !query.orderby[0].descending);
  if (paging && id_order && end < kept.size() && end > begin) {
    SpValue last = sp_item_value(kept[end - 1], *paging);
    if (!last.null) page.next_skiptoken = "Paged=TRUE&p_ID=" + std::to_string(last.number);
  }
  for (size_t i = begin; i < end; ++i) {
    page.items.push_back(sp_project(std::move(kept[i]), query.select));
  }
  return page;
}

}  // namespace upsync