// upsync tenant create|list
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"

namespace upsync {
namespace {

nlohmann::json tenant_json(const Tenant& t) {
  return {{"name", t.name},
          {"kind", tenant_kind_name(t.kind)},
          {"education", t.education},
          {"createdAt", t.created_at}};
}

}  // namespace

void add_tenant_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("tenant", "create and list tenants");
  group->require_subcommand(1);

  struct CreateArgs {
    std::string name;
    std::string kind = "online";
    bool education = false;
  };
  auto args = std::make_shared<CreateArgs>();
  CLI::App* create = group->add_subcommand("create", "create a tenant");
  create->add_option("name", args->name, "tenant name (a-z, 0-9, '-')")->required();
  create->add_option("--kind", args->kind, "online (SharePoint Online) or server")
      ->check(CLI::IsMember({"online", "server"}));
  create->add_flag("--education", args->education,
                   "education tenant: sync creates no profiles, first access makes a stub");
  create->callback([&ctx, args] {
    ctx.action = [&ctx, args]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store(/*create=*/true));
      UPSYNC_ASSIGN_OR_RETURN(Tenant t,
                              store->create_tenant({.name = args->name,
                                                    .kind = *parse_tenant_kind(args->kind),
                                                    .education = args->education}));
      if (ctx.json) {
        print_json(*ctx.out, tenant_json(t));
      } else {
        *ctx.out << "created tenant '" << t.name << "' (" << tenant_kind_name(t.kind)
                 << (t.education ? ", education" : "") << ")\n";
      }
      return Status::ok();
    };
  });

  CLI::App* list = group->add_subcommand("list", "list tenants");
  list->callback([&ctx] {
    ctx.action = [&ctx]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto tenants, store->tenants());
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const Tenant& t : tenants) arr.push_back(tenant_json(t));
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"NAME", "KIND", "EDUCATION", "CREATED"});
      for (const Tenant& t : tenants) {
        table.add_row({t.name, std::string(tenant_kind_name(t.kind)), t.education ? "yes" : "no",
                       t.created_at});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });
}

}  // namespace upsync
