// upsync profile create|get|set|list
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"
#include "core/claims.h"

namespace upsync {
namespace {

nlohmann::json profile_json(const Profile& p, const ProfileSchema& schema) {
  nlohmann::json props = nlohmann::json::object();
  for (const auto& [name, values] : p.properties) {
    const PropertyDefinition* d = schema.find(name);
    if (d && d->multi_value) {
      props[name] = values;
    } else {
      props[name] = values.empty() ? std::string() : values[0];
    }
  }
  return {{"id", p.id},
          {"accountName", p.account_name},
          {"properties", props},
          {"seq", p.seq},
          {"updatedAt", p.updated_at}};
}

void print_profile(std::ostream& out, const Profile& p, const ProfileSchema& schema) {
  out << p.account_name << "  (id " << p.id << ", change " << p.seq << ", updated " << p.updated_at
      << ")\n";
  TextTable table({"PROPERTY", "VALUE", ""});
  // In schema order, like the profile page; "synced" marks what directory sync overwrites.
  for (const PropertyDefinition* d : schema.all()) {
    const PropertyValues* v = p.find(d->name);
    if (!v) continue;
    std::string joined;
    for (const std::string& s : *v) joined += (joined.empty() ? "" : "; ") + s;
    table.add_row({d->name, joined, d->directory_imported ? "synced" : ""});
  }
  table.print(out);
}

// "Name=value" → a change; repeated names collect several values (multi-value properties).
// "Name=" clears Name, whatever its kind, as --clear does: SharePoint clears a property set
// to an empty value (SetSingleValueProfileProperty with "", SetMultiValuedProfileProperty
// with []).
Status parse_assignments(const std::vector<std::string>& sets,
                         const std::vector<std::string>& clears,
                         std::vector<PropertyChange>& changes) {
  for (const std::string& s : sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalid_argument("--set '" + s + "': expected PROPERTY=VALUE");
    }
    std::string name = s.substr(0, eq);
    auto it = std::find_if(changes.begin(), changes.end(), [&](const PropertyChange& c) {
      return property_name_equal(c.name, name);
    });
    if (it == changes.end()) {
      changes.push_back({name, {s.substr(eq + 1)}});
    } else {
      it->values.push_back(s.substr(eq + 1));
    }
  }
  for (PropertyChange& c : changes) {
    if (std::find(c.values.begin(), c.values.end(), "") == c.values.end()) continue;
    if (c.values.size() > 1) {
      return invalid_argument("--set '" + c.name +
                              "=': an empty value clears the property, and cannot be given "
                              "with other values of it");
    }
    c.values.clear();
  }
  for (const std::string& c : clears) {
    for (const PropertyChange& existing : changes) {
      if (property_name_equal(existing.name, c)) {
        return invalid_argument("property '" + c + "' is both set and cleared");
      }
    }
    changes.push_back({c, {}});
  }
  return Status::ok();
}

const std::vector<std::string> kKeyKinds = {"auto", "account", "upn", "email", "cloud-id", "id"};

}  // namespace

Result<Profile> find_profile(Store& store, TenantId tenant, const std::string& key,
                             const std::string& by) {
  if (by == "account") return store.profile(tenant, {ProfileKeyKind::kAccountName, key});
  if (by == "upn") return store.profile(tenant, {ProfileKeyKind::kPrincipalName, key});
  if (by == "email") return store.profile(tenant, {ProfileKeyKind::kEmail, key});
  if (by == "cloud-id") return store.profile(tenant, {ProfileKeyKind::kCloudId, key});
  if (by == "id") return store.profile(tenant, {ProfileKeyKind::kId, key});
  if (looks_like_claim(key)) return store.profile(tenant, {ProfileKeyKind::kAccountName, key});
  PropertyDefinition guid;
  guid.type = DataType::kUniqueIdentifier;
  if (normalize_value(guid, key)) return store.profile(tenant, {ProfileKeyKind::kCloudId, key});
  auto by_upn = store.profile(tenant, {ProfileKeyKind::kPrincipalName, key});
  if (by_upn || by_upn.status().code() != StatusCode::kNotFound) return by_upn;
  auto by_mail = store.profile(tenant, {ProfileKeyKind::kEmail, key});
  if (by_mail || by_mail.status().code() != StatusCode::kNotFound) return by_mail;
  return not_found("no profile with account name, UPN or work email '" + key + "'");
}

void add_profile_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("profile", "create, read, change and list user profiles");
  group->require_subcommand(1);

  struct Args {
    std::string tenant;
    std::string key;
    std::string by = "auto";
    std::vector<std::string> sets;
    std::vector<std::string> clears;
    std::optional<std::string> filter;
    int top = 100;
    int64_t after = 0;
    bool all = false;
  };

  auto ca = std::make_shared<Args>();
  CLI::App* create = group->add_subcommand("create", "create a profile");
  create->add_option("--tenant,-t", ca->tenant, "tenant name")->required();
  create
      ->add_option("account", ca->key,
                   "claims account name, e.g. 'i:0#.f|membership|bob@contoso.com'")
      ->required();
  create->add_option("--set", ca->sets, "PROPERTY=VALUE (repeat a name for multi-values)");
  create->callback([&ctx, ca] {
    ctx.action = [&ctx, ca]() -> Status {
      std::vector<PropertyChange> changes;
      UPSYNC_RETURN_IF_ERROR(parse_assignments(ca->sets, {}, changes));
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(ca->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(Profile p, store->create_profile(t.id, ca->key, changes));
      UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store->schema(t.id));
      if (ctx.json) {
        print_json(*ctx.out, profile_json(p, schema));
      } else {
        *ctx.out << "created profile " << p.id << " for " << p.account_name << "\n";
      }
      return Status::ok();
    };
  });

  auto ga = std::make_shared<Args>();
  CLI::App* get = group->add_subcommand("get", "show one profile");
  get->add_option("--tenant,-t", ga->tenant, "tenant name")->required();
  get->add_option("key", ga->key, "account name, UPN, work email, cloud id (or --by)")->required();
  get->add_option("--by", ga->by, "how to read KEY")->check(CLI::IsMember(kKeyKinds));
  get->callback([&ctx, ga] {
    ctx.action = [&ctx, ga]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(ga->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(Profile p, find_profile(*store, t.id, ga->key, ga->by));
      UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store->schema(t.id));
      if (ctx.json) {
        print_json(*ctx.out, profile_json(p, schema));
      } else {
        print_profile(*ctx.out, p, schema);
      }
      return Status::ok();
    };
  });

  auto sa = std::make_shared<Args>();
  CLI::App* set = group->add_subcommand("set", "set or clear properties of a profile");
  set->add_option("--tenant,-t", sa->tenant, "tenant name")->required();
  set->add_option("key", sa->key, "account name, UPN, work email, cloud id (or --by)")->required();
  set->add_option("--by", sa->by, "how to read KEY")->check(CLI::IsMember(kKeyKinds));
  set->add_option("--set", sa->sets, "PROPERTY=VALUE (repeat a name for multi-values)");
  set->add_option("--clear", sa->clears, "PROPERTY to clear");
  set->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      std::vector<PropertyChange> changes;
      UPSYNC_RETURN_IF_ERROR(parse_assignments(sa->sets, sa->clears, changes));
      if (changes.empty()) return invalid_argument("nothing to change: give --set or --clear");
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(Profile p, find_profile(*store, t.id, sa->key, sa->by));
      UPSYNC_ASSIGN_OR_RETURN(Profile updated, store->update_profile(t.id, p.id, changes));
      UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store->schema(t.id));
      if (ctx.json) {
        print_json(*ctx.out, profile_json(updated, schema));
      } else if (updated.seq == p.seq) {
        // Say which clears found nothing to clear, rather than that "values were set".
        std::string empty;
        size_t clears = 0;
        for (const PropertyChange& c : changes) {
          if (!c.values.empty() || p.find(c.name)) continue;
          empty += (empty.empty() ? "" : ", ") + c.name;
          ++clears;
        }
        *ctx.out << "profile " << p.id << " unchanged";
        if (empty.empty()) {
          *ctx.out << " (the values were already set)\n";
        } else {
          *ctx.out << ": " << empty << (clears > 1 ? " had no values" : " had no value")
                   << (clears < changes.size() ? "; the other values were already set" : "")
                   << "\n";
        }
      } else {
        *ctx.out << "updated profile " << p.id << " (change " << updated.seq << ")\n";
      }
      return Status::ok();
    };
  });

  auto la = std::make_shared<Args>();
  CLI::App* list = group->add_subcommand("list", "list profiles, a page at a time");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->add_option("--filter", la->filter, "PROPERTY=VALUE: only profiles with that value");
  list->add_option("--top", la->top, "page size (1-10000)");
  list->add_option("--after", la->after, "start after this profile id (from the last page)");
  list->add_flag("--all", la->all, "every page");
  list->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      ProfileQuery q;
      q.limit = la->top;
      q.after_id = la->after;
      if (la->filter) {
        size_t eq = la->filter->find('=');
        if (eq == std::string::npos || eq == 0) {
          return invalid_argument("--filter '" + *la->filter + "': expected PROPERTY=VALUE");
        }
        q.filter_property = la->filter->substr(0, eq);
        q.filter_value = la->filter->substr(eq + 1);
      }
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(la->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store->schema(t.id));
      nlohmann::json arr = nlohmann::json::array();
      TextTable table({"ID", "ACCOUNT NAME", "NAME", "WORK EMAIL", "JOB TITLE"});
      std::optional<ProfileId> next;
      while (true) {
        UPSYNC_ASSIGN_OR_RETURN(ProfilePage page, store->list_profiles(t.id, q));
        for (const Profile& p : page.profiles) {
          arr.push_back(profile_json(p, schema));
          table.add_row({std::to_string(p.id), p.account_name, p.first("PreferredName"),
                         p.first("WorkEmail"), p.first("Title")});
        }
        next = page.next_after_id;
        if (!la->all || !next) break;
        q.after_id = *next;
      }
      if (ctx.json) {
        nlohmann::json page = {{"value", arr}};
        if (next) page["nextAfter"] = *next;
        print_json(*ctx.out, page);
      } else {
        table.print(*ctx.out);
        if (next) *ctx.out << "(more: --after " << *next << ")\n";
      }
      return Status::ok();
    };
  });
}

}  // namespace upsync
