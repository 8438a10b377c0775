// upsync connector add|set|show|list|remove: a tenant's on-premises source for stage 0, a
// TOML document (src/sync/connector.h) that `upsync sync run` and the scheduler run.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"
#include "sync/connector.h"

namespace upsync {
namespace {

nlohmann::json connector_json(const Connector& c) {
  return {{"name", c.name},
          {"type", "ldap"},
          {"url", c.ldap.url},
          {"base", c.ldap.base},
          {"filter", c.ldap.filter},
          {"delta", delta_method_name(c.delta)},
          {"includeOus", c.include_ous},
          {"excludeOus", c.exclude_ous},
          {"flows", c.flows},
          {"toml", c.toml}};
}

}  // namespace

void add_connector_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand(
      "connector", "a tenant's on-premises directory source for the sync (TOML)");
  group->require_subcommand(1);
  struct Args {
    std::string tenant;
    std::string name;
    std::string file;
  };
  struct Opened {
    Tenant tenant;
    Store* store = nullptr;
    std::unique_ptr<ConnectorStore> connectors;
  };
  auto open = [&ctx](const std::string& tenant) -> Result<Opened> {
    Opened o;
    UPSYNC_ASSIGN_OR_RETURN(o.tenant, ctx.tenant(tenant));
    UPSYNC_ASSIGN_OR_RETURN(o.store, ctx.store());
    UPSYNC_ASSIGN_OR_RETURN(o.connectors, open_connector_store(*o.store));
    return o;
  };
  auto named = [](CLI::App* cmd, Args& a) {
    cmd->add_option("--tenant,-t", a.tenant, "tenant name")->required();
    cmd->add_option("name", a.name, "connector name, e.g. dc1")->required();
  };

  for (bool replace : {false, true}) {
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        replace ? "set" : "add",
        replace ? "replace a connector's TOML document" : "add a connector from a TOML document");
    named(cmd, *a);
    cmd->add_option("--file,-f", a->file, "the TOML document ('-' reads standard input)")
        ->required();
    cmd->callback([&ctx, a, open, replace] {
      ctx.action = [&ctx, a, open, replace]() -> Status {
        UPSYNC_ASSIGN_OR_RETURN(Opened o, open(a->tenant));
        UPSYNC_ASSIGN_OR_RETURN(std::string text, read_input_file(a->file));
        UPSYNC_ASSIGN_OR_RETURN(Connector c, parse_connector(a->name, text));
        if (replace) {
          UPSYNC_RETURN_IF_ERROR(o.connectors->replace(o.tenant.id, c));
        } else {
          UPSYNC_RETURN_IF_ERROR(add_tenant_connector(*o.store, o.tenant, c));
        }
        if (ctx.json) {
          print_json(*ctx.out, connector_json(c));
        } else {
          *ctx.out << (replace ? "replaced" : "added") << " connector " << c.name << " ("
                   << c.ldap.url << ", " << c.ldap.base << ")\n";
        }
        return Status::ok();
      };
    });
  }

  auto sa = std::make_shared<Args>();
  CLI::App* show = group->add_subcommand("show", "a connector's TOML document");
  named(show, *sa);
  show->callback([&ctx, sa, open] {
    ctx.action = [&ctx, sa, open]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Opened o, open(sa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Connector c, o.connectors->get(o.tenant.id, sa->name));
      if (ctx.json) {
        print_json(*ctx.out, connector_json(c));
      } else {
        *ctx.out << c.toml << (c.toml.ends_with('\n') ? "" : "\n");
      }
      return Status::ok();
    };
  });

  auto la = std::make_shared<Args>();
  CLI::App* list = group->add_subcommand("list", "the tenant's connectors");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->callback([&ctx, la, open] {
    ctx.action = [&ctx, la, open]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Opened o, open(la->tenant));
      UPSYNC_ASSIGN_OR_RETURN(auto all, o.connectors->list(o.tenant.id));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const Connector& c : all) arr.push_back(connector_json(c));
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"NAME", "URL", "BASE", "DELTA", "FLOWS EDITED"});
      for (const Connector& c : all) {
        table.add_row({c.name, c.ldap.url, c.ldap.base, std::string(delta_method_name(c.delta)),
                       std::to_string(c.flows.size())});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  auto ra = std::make_shared<Args>();
  CLI::App* remove = group->add_subcommand(
      "remove", "remove a connector (the users it brought stay in the cloud directory)");
  named(remove, *ra);
  remove->callback([&ctx, ra, open] {
    ctx.action = [&ctx, ra, open]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Opened o, open(ra->tenant));
      UPSYNC_ASSIGN_OR_RETURN(bool unscheduled,
                              remove_tenant_connector(*o.store, o.tenant, ra->name));
      if (!ctx.json) {
        *ctx.out << "removed connector " << ra->name << "\n";
        if (unscheduled) {
          *ctx.out << "tenant '" << o.tenant.name
                   << "' no longer syncs on a schedule: a server tenant's schedule runs its "
                      "connector\n";
        }
      }
      return Status::ok();
    };
  });
}

}  // namespace upsync
