// upsync mapping list|set|reset: a server tenant's directory attribute → profile property
// mappings (seed 001's table as defaults; src/sync/server_import.h).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"
#include "sync/server_import.h"

namespace upsync {

void add_mapping_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand(
      "mapping", "a server tenant's directory attribute -> profile property mappings");
  group->require_subcommand(1);
  struct Args {
    std::string tenant;
    std::vector<std::string> pairs;
    std::string property;
  };
  auto open =
      [&ctx](
          const std::string& tenant) -> Result<std::pair<Tenant, std::unique_ptr<MappingStore>>> {
    UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(tenant));
    UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
    UPSYNC_ASSIGN_OR_RETURN(auto m, open_mapping_store(*store));
    return std::make_pair(std::move(t), std::move(m));
  };

  auto la = std::make_shared<Args>();
  CLI::App* list = group->add_subcommand("list", "the mappings in effect");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->callback([&ctx, la, open] {
    ctx.action = [&ctx, la, open]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tm, open(la->tenant));
      UPSYNC_ASSIGN_OR_RETURN(auto rows, tm.second->mappings(tm.first));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& r : rows) {
          arr.push_back(
              {{"property", r.property}, {"attribute", r.attribute}, {"edited", r.overridden}});
        }
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"PROPERTY", "ATTRIBUTE", "EDITED"});
      for (const auto& r : rows) {
        table.add_row({r.property, r.attribute, r.overridden ? "yes" : ""});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  auto sa = std::make_shared<Args>();
  CLI::App* set = group->add_subcommand(
      "set", "map PROPERTY=attribute (PROPERTY= unmaps it); seed 001's table is the default");
  set->add_option("--tenant,-t", sa->tenant, "tenant name")->required();
  set->add_option("mapping", sa->pairs, "PROPERTY=attribute, e.g. Department=departmentNumber")
      ->required();
  set->callback([&ctx, sa, open] {
    ctx.action = [&ctx, sa, open]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tm, open(sa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      return store->in_transaction([&]() -> Status {
        for (const std::string& p : sa->pairs) {
          size_t eq = p.find('=');
          if (eq == std::string::npos || eq == 0) {
            return invalid_argument("'" + p + "': expected PROPERTY=attribute");
          }
          UPSYNC_RETURN_IF_ERROR(tm.second->set(tm.first, p.substr(0, eq), p.substr(eq + 1)));
          if (!ctx.json) *ctx.out << "mapped " << p << "\n";
        }
        return Status::ok();
      });
    };
  });

  auto ra = std::make_shared<Args>();
  CLI::App* reset = group->add_subcommand("reset", "back to seed 001's default mapping");
  reset->add_option("--tenant,-t", ra->tenant, "tenant name")->required();
  reset->add_option("property", ra->property, "one property (default: all)");
  reset->callback([&ctx, ra, open] {
    ctx.action = [&ctx, ra, open]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tm, open(ra->tenant));
      UPSYNC_RETURN_IF_ERROR(tm.second->reset(tm.first, ra->property));
      if (!ctx.json)
        *ctx.out << "reset " << (ra->property.empty() ? "all mappings" : ra->property) << "\n";
      return Status::ok();
    };
  });
}

}  // namespace upsync
