// upsync property list|add|update|set|remove
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"
#include "core/property_json.h"

namespace upsync {
namespace {

std::string yes(bool b) { return b ? "yes" : ""; }

}  // namespace

void add_property_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("property", "list and define profile properties");
  group->require_subcommand(1);

  struct ListArgs {
    std::string tenant;
    bool custom_only = false;
  };
  auto la = std::make_shared<ListArgs>();
  CLI::App* list = group->add_subcommand("list", "list the tenant's profile properties");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->add_flag("--custom", la->custom_only, "only custom properties");
  list->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(la->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store->schema(t.id));
      nlohmann::json arr = nlohmann::json::array();
      TextTable table({"NAME", "DISPLAY NAME", "TYPE", "MULTI", "EDITABLE", "DIRECTORY", "SITES",
                       "TAXONOMY", "CUSTOM", "PRIVACY"});
      for (const PropertyDefinition* d : schema.all()) {
        if (la->custom_only && !d->custom) continue;
        const PropertyPolicy& policy = schema.policy(d->name);
        arr.push_back(property_json(*d, policy));
        table.add_row({d->name, d->display_name, std::string(data_type_name(d->type)),
                       yes(d->multi_value), yes(d->user_editable), yes(d->directory_imported),
                       yes(d->sync_to_sites), yes(d->taxonomy_bound), yes(d->custom),
                       std::string(privacy_name(policy.privacy))});
      }
      if (ctx.json) {
        print_json(*ctx.out, arr);
      } else {
        table.print(*ctx.out);
      }
      return Status::ok();
    };
  });

  struct AddArgs {
    std::string tenant;
    std::string name;
    std::string type = "string";
    std::string display_name;
    bool multi = false;
    bool user_editable = false;
    bool sync_to_sites = false;
    bool taxonomy = false;
    int max_length = 3600;
  };
  auto aa = std::make_shared<AddArgs>();
  CLI::App* add = group->add_subcommand("add", "define a custom property");
  add->add_option("--tenant,-t", aa->tenant, "tenant name")->required();
  add->add_option("name", aa->name, "property name (letters, digits, '-', '_')")->required();
  add->add_option("--type", aa->type,
                  "string, html, person, email, url, binary, integer, big-integer, float, "
                  "boolean, date, date-time, date-no-year, time-zone, unique-identifier");
  add->add_option("--display-name", aa->display_name, "display name (default: the name)");
  add->add_flag("--multi", aa->multi, "multi-valued");
  add->add_flag("--user-editable", aa->user_editable,
                "users may edit it (the bulk import then refuses it)");
  add->add_flag("--sync-to-sites", aa->sync_to_sites, "copy it to site user info lists");
  add->add_flag("--taxonomy", aa->taxonomy, "bound to a term set");
  add->add_option("--max-length", aa->max_length, "longest value in characters");
  add->callback([&ctx, aa] {
    ctx.action = [&ctx, aa]() -> Status {
      auto type = parse_data_type(aa->type);
      if (!type) {
        return invalid_argument("--type: unknown data type '" + aa->type +
                                "' (see 'upsync property add --help')");
      }
      PropertyDefinition d;
      d.name = aa->name;
      d.display_name = aa->display_name;
      d.type = *type;
      d.multi_value = aa->multi;
      d.user_editable = aa->user_editable;
      d.sync_to_sites = aa->sync_to_sites;
      d.taxonomy_bound = aa->taxonomy;
      d.max_length = aa->max_length;
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(aa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(PropertyDefinition added, store->add_custom_property(t.id, d));
      if (ctx.json) {
        print_json(*ctx.out, property_json(added));
      } else {
        *ctx.out << "added property '" << added.name << "' (" << data_type_name(added.type)
                 << (added.multi_value ? ", multi-value" : "") << ") to tenant '" << t.name
                 << "'\n";
      }
      return Status::ok();
    };
  });

  struct SetArgs {
    std::string tenant;
    std::string name;
    std::string privacy;
    std::optional<bool> user_can_override;
    std::optional<bool> show_on_profile;
    std::optional<bool> show_in_edit;
  };
  auto sa = std::make_shared<SetArgs>();
  CLI::App* set = group->add_subcommand("set", "change a property's policy (who sees it, where)");
  set->add_option("--tenant,-t", sa->tenant, "tenant name")->required();
  set->add_option("name", sa->name, "property name")->required();
  set->add_option("--privacy", sa->privacy,
                  "who besides its owner sees a value: Public (everyone), Contacts, "
                  "Organization (the owner's team), Manager, Private (only the owner)");
  set->add_option("--user-can-override", sa->user_can_override,
                  "true: the owner may choose the privacy of their value");
  set->add_option("--show-on-profile", sa->show_on_profile,
                  "false: the person page does not show it");
  set->add_option("--show-in-edit", sa->show_in_edit,
                  "false: the person page does not offer it for editing");
  set->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store->schema(t.id));
      UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* d, schema.require(sa->name));
      PropertyPolicy p = schema.policy(d->name);
      if (!sa->privacy.empty()) {
        auto privacy = parse_privacy(sa->privacy);
        if (!privacy) {
          return invalid_argument("--privacy: unknown privacy '" + sa->privacy +
                                  "' (expected Public, Contacts, Organization, Manager or "
                                  "Private)");
        }
        p.privacy = *privacy;
      }
      if (sa->user_can_override) p.user_can_override = *sa->user_can_override;
      if (sa->show_on_profile) p.show_on_profile = *sa->show_on_profile;
      if (sa->show_in_edit) p.show_in_edit = *sa->show_in_edit;
      UPSYNC_RETURN_IF_ERROR(store->set_property_policy(t.id, d->name, p));
      if (ctx.json) {
        print_json(*ctx.out, property_json(*d, p));
      } else {
        *ctx.out << "property '" << d->name << "': privacy " << privacy_name(p.privacy)
                 << (p.user_can_override ? ", the owner may override" : "")
                 << (p.show_on_profile ? "" : ", hidden on the profile page")
                 << (p.show_in_edit ? "" : ", not editable on the profile page") << "\n";
      }
      return Status::ok();
    };
  });

  struct UpdateArgs {
    std::string tenant;
    std::string name;
    std::optional<std::string> display_name, type, multi, user_editable, sync_to_sites;
    std::optional<int> max_length;
  };
  auto ua = std::make_shared<UpdateArgs>();
  CLI::App* update = group->add_subcommand(
      "update", "change a custom property's display name and flags (only those given)");
  update->add_option("--tenant,-t", ua->tenant, "tenant name")->required();
  update->add_option("name", ua->name, "property name")->required();
  update->add_option("--display-name", ua->display_name, "display name (\"\": the name)");
  update->add_option("--type", ua->type,
                     "refused unless it is the current type (values were checked as that)");
  const auto kBool = CLI::IsMember({"true", "false"});
  update->add_option("--multi", ua->multi, "true or false")->check(kBool);
  update->add_option("--user-editable", ua->user_editable, "true or false")->check(kBool);
  update->add_option("--sync-to-sites", ua->sync_to_sites, "true or false")->check(kBool);
  update->add_option("--max-length", ua->max_length, "longest value in characters");
  update->callback([&ctx, ua] {
    ctx.action = [&ctx, ua]() -> Status {
      PropertyUpdate u;
      u.display_name = ua->display_name;
      if (ua->type) {
        u.type = parse_data_type(*ua->type);
        if (!u.type) {
          return invalid_argument("--type: unknown data type '" + *ua->type +
                                  "' (see 'upsync property add --help')");
        }
      }
      auto flag = [](const std::optional<std::string>& v) -> std::optional<bool> {
        if (!v) return std::nullopt;
        return *v == "true";
      };
      u.multi_value = flag(ua->multi);
      u.user_editable = flag(ua->user_editable);
      u.sync_to_sites = flag(ua->sync_to_sites);
      u.max_length = ua->max_length;
      if (!u.display_name && !u.type && !u.multi_value && !u.user_editable && !u.sync_to_sites &&
          !u.max_length) {
        return invalid_argument(
            "nothing to change: give --display-name, --multi, --user-editable, --sync-to-sites "
            "or --max-length");
      }
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(ua->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(PropertyDefinition changed,
                              store->update_custom_property(t.id, ua->name, u));
      if (ctx.json) {
        print_json(*ctx.out, property_json(changed));
      } else {
        *ctx.out << "changed property '" << changed.name << "' of tenant '" << t.name << "'\n";
      }
      return Status::ok();
    };
  });

  struct RemoveArgs {
    std::string tenant;
    std::string name;
  };
  auto ra = std::make_shared<RemoveArgs>();
  CLI::App* remove = group->add_subcommand("remove", "remove a custom property");
  remove->add_option("--tenant,-t", ra->tenant, "tenant name")->required();
  remove->add_option("name", ra->name, "property name")->required();
  remove->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(ra->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_RETURN_IF_ERROR(store->remove_custom_property(t.id, ra->name));
      if (ctx.json) {
        print_json(*ctx.out, {{"removed", ra->name}});
      } else {
        *ctx.out << "removed property '" << ra->name << "' from tenant '" << t.name << "'\n";
      }
      return Status::ok();
    };
  });
}

}  // namespace upsync
