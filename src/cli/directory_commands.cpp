// upsync directory user list|add|set|disable|enable|license|unlicense|block|unblock|delete:
// edit the tenant's cloud directory by hand, as an admin would in the cloud portal. The next
// `upsync sync run` carries the changes into profiles.
// upsync directory group list|show: the groups the connectors brought, with their direct and
// transitive (nested) members; --store shows the directory store's copy (after stage 1).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"
#include "core/clock.h"
#include "core/property.h"
#include "core/property_value.h"
#include "core/text.h"
#include "directory/directory_store.h"

namespace upsync {
namespace {

struct UserArgs {
  std::string tenant;
  std::string upn;
  std::vector<std::string> sets;
  std::vector<std::string> clears;
};

nlohmann::json user_json(const DirectoryUser& u) {
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [k, v] : u.attributes) attrs[k] = v;
  return {{"objectId", u.object_id}, {"sourceAnchor", u.source_anchor}, {"attributes", attrs}};
}

Result<DirectoryUser> find_user(DirectoryStore& dir, const Tenant& t, const std::string& upn) {
  UPSYNC_ASSIGN_OR_RETURN(auto u, dir.user_by_upn(t.id, DirectoryLayer::kCloud, upn));
  if (!u || u->deleted) {
    return not_found("no user '" + upn + "' in the cloud directory of tenant '" + t.name + "'");
  }
  return *u;
}

Status check_upn(const std::string& upn) {
  PropertyDefinition email;
  email.name = "userPrincipalName";
  email.type = DataType::kEmail;
  return normalize_value(email, upn).status();
}

// Applies "--set attr=value" (repeat an attribute for several values) and "--clear attr".
Status apply_edits(DirectoryUser& u, const UserArgs& a) {
  std::map<std::string, std::vector<std::string>> sets;
  for (const std::string& s : a.sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalid_argument("--set '" + s + "': expected ATTRIBUTE=VALUE");
    }
    UPSYNC_ASSIGN_OR_RETURN(std::string name, cloud_attribute_name(s.substr(0, eq)));
    sets[name].push_back(s.substr(eq + 1));
  }
  for (auto& [name, values] : sets) {
    if (name == "userPrincipalName") {
      if (values.size() != 1) return invalid_argument("userPrincipalName takes one value");
      UPSYNC_RETURN_IF_ERROR(check_upn(values[0]));
    }
    u.attributes[name] = values;
  }
  for (const std::string& c : a.clears) {
    UPSYNC_ASSIGN_OR_RETURN(std::string name, cloud_attribute_name(c));
    if (name == "userPrincipalName") return invalid_argument("userPrincipalName cannot be cleared");
    u.attributes.erase(name);
  }
  return Status::ok();
}

struct GroupArgs {
  std::string tenant;
  std::string group;  // object id or display name
  bool store = false;
};

DirectoryLayer layer_of(const GroupArgs& a) {
  return a.store ? DirectoryLayer::kStore : DirectoryLayer::kCloud;
}

nlohmann::json group_json(const DirectoryGroup& g) {
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [k, v] : g.attributes) attrs[k] = v;
  return {{"objectId", g.object_id},
          {"sourceAnchor", g.source_anchor},
          {"attributes", attrs},
          {"members", g.members}};
}

// A group by object id, or by display name when exactly one live group has it.
Result<DirectoryGroup> find_group(DirectoryStore& dir, const Tenant& t, const GroupArgs& a) {
  UPSYNC_ASSIGN_OR_RETURN(auto by_id, dir.group(t.id, layer_of(a), a.group));
  if (by_id && !by_id->deleted) return *by_id;
  UPSYNC_ASSIGN_OR_RETURN(auto all, dir.groups(t.id, layer_of(a)));
  std::vector<DirectoryGroup> named;
  for (DirectoryGroup& g : all) {
    if (ascii_iequal(g.first("displayName"), a.group)) named.push_back(std::move(g));
  }
  if (named.size() == 1) return named[0];
  const std::string where = std::string(a.store ? "the directory store" : "the cloud directory") +
                            " of tenant '" + t.name + "'";
  if (named.empty()) return not_found("no group '" + a.group + "' in " + where);
  std::string ids;
  for (const auto& g : named) ids += (ids.empty() ? "" : ", ") + g.object_id;
  return invalid_argument(std::to_string(named.size()) + " groups are named '" + a.group + "' in " +
                          where + "; give the object id (" + ids + ")");
}

// A member as one line of `group show`: kind, name, object id.
Result<std::vector<std::string>> member_row(DirectoryStore& dir, const Tenant& t,
                                            DirectoryLayer layer, const std::string& id) {
  UPSYNC_ASSIGN_OR_RETURN(auto o, dir.object(t.id, layer, id));
  if (!o) return std::vector<std::string>{"?", "", id};
  if (o->user) return std::vector<std::string>{"user", o->user->first("userPrincipalName"), id};
  return std::vector<std::string>{"group", o->group->first("displayName"), id};
}

void add_group_commands(CLI::App& directory, CliContext& ctx) {
  CLI::App* groups = directory.add_subcommand("group", "directory groups");
  groups->require_subcommand(1);

  auto la = std::make_shared<GroupArgs>();
  CLI::App* list = groups->add_subcommand("list", "list the groups with their member counts");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->add_flag("--store", la->store, "the directory store's copy instead of the cloud's");
  list->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(la->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(auto all, dir->groups(t.id, layer_of(*la)));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const DirectoryGroup& g : all) arr.push_back(group_json(g));
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"DISPLAY NAME", "OBJECT ID", "MAIL", "SECURITY", "MEMBERS", "SOURCE"});
      for (const DirectoryGroup& g : all) {
        table.add_row({g.first("displayName"), g.object_id, g.first("mail"),
                       g.flag("securityEnabled", false) ? "yes" : "no",
                       std::to_string(g.members.size()),
                       g.source_anchor.empty() ? "cloud" : "on-premises"});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  auto sa = std::make_shared<GroupArgs>();
  CLI::App* show = groups->add_subcommand("show", "a group with its direct and transitive members");
  show->add_option("--tenant,-t", sa->tenant, "tenant name")->required();
  show->add_option("group", sa->group, "the group's object id or display name")->required();
  show->add_flag("--store", sa->store, "the directory store's copy instead of the cloud's");
  show->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(DirectoryGroup g, find_group(*dir, t, *sa));
      UPSYNC_ASSIGN_OR_RETURN(auto transitive,
                              dir->transitive_members(t.id, layer_of(*sa), g.object_id));
      std::vector<std::vector<std::string>> direct_rows, transitive_rows;
      for (const std::string& id : g.members) {
        UPSYNC_ASSIGN_OR_RETURN(auto row, member_row(*dir, t, layer_of(*sa), id));
        direct_rows.push_back(std::move(row));
      }
      for (const std::string& id : transitive) {
        UPSYNC_ASSIGN_OR_RETURN(auto row, member_row(*dir, t, layer_of(*sa), id));
        transitive_rows.push_back(std::move(row));
      }
      if (ctx.json) {
        nlohmann::json j = group_json(g);
        auto rows_json = [](const std::vector<std::vector<std::string>>& rows) {
          nlohmann::json arr = nlohmann::json::array();
          for (const auto& r : rows)
            arr.push_back({{"type", r[0]}, {"name", r[1]}, {"objectId", r[2]}});
          return arr;
        };
        j["members"] = rows_json(direct_rows);
        j["transitiveMembers"] = rows_json(transitive_rows);
        print_json(*ctx.out, j);
        return Status::ok();
      }
      *ctx.out << g.first("displayName") << " (" << g.object_id << ")\n";
      for (const char* attr : {"description", "mail", "mailNickname", "securityEnabled",
                               "mailEnabled", "distinguishedName"}) {
        if (!g.first(attr).empty()) *ctx.out << "  " << attr << ": " << g.first(attr) << "\n";
      }
      for (auto [title, rows] : {std::pair{"direct members", &direct_rows},
                                 std::pair{"transitive members", &transitive_rows}}) {
        *ctx.out << title << " (" << rows->size() << "):\n";
        TextTable table({"TYPE", "NAME", "OBJECT ID"});
        for (const auto& r : *rows) table.add_row(r);
        table.print(*ctx.out);
      }
      return Status::ok();
    };
  });
}

}  // namespace

void add_directory_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("directory", "the tenant's cloud directory");
  group->require_subcommand(1);
  add_group_commands(*group, ctx);
  CLI::App* users = group->add_subcommand("user", "cloud directory users");
  users->require_subcommand(1);

  auto list_args = std::make_shared<UserArgs>();
  CLI::App* list = users->add_subcommand("list", "list the cloud directory's users");
  list->add_option("--tenant,-t", list_args->tenant, "tenant name")->required();
  list->callback([&ctx, list_args] {
    ctx.action = [&ctx, list_args]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(list_args->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(auto all, dir->users(t.id, DirectoryLayer::kCloud));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const DirectoryUser& u : all) arr.push_back(user_json(u));
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table(
          {"USER PRINCIPAL NAME", "OBJECT ID", "ENABLED", "LICENSED", "BLOCKED", "SOURCE"});
      for (const DirectoryUser& u : all) {
        table.add_row({u.first("userPrincipalName"), u.object_id,
                       u.flag("accountEnabled", true) ? "yes" : "no",
                       u.flag("licensed", false) ? "yes" : "no",
                       u.flag("signInBlocked", false) ? "yes" : "no",
                       u.source_anchor.empty() ? "cloud" : "on-premises"});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  // add, set and the one-flag commands share one shape: find (or create) the user, change
  // its attributes, write it back.
  struct Edit {
    const char* name;
    const char* help;
    const char* flag;  // attribute set by the command, or nullptr
    const char* value;
    bool create = false;
    bool del = false;
  };
  static const Edit kEdits[] = {
      {"add", "create a cloud-only user (licensed, enabled)", nullptr, nullptr, true},
      {"set", "set or clear attributes (--set ATTR=VALUE, --clear ATTR)", nullptr, nullptr},
      {"disable", "disable the account", "accountEnabled", "false"},
      {"enable", "enable the account", "accountEnabled", "true"},
      {"license", "assign a license", "licensed", "true"},
      {"unlicense", "remove the license", "licensed", "false"},
      {"block", "block sign-in", "signInBlocked", "true"},
      {"unblock", "allow sign-in", "signInBlocked", "false"},
      {"delete", "delete the user", nullptr, nullptr, false, true},
  };
  for (const Edit& e : kEdits) {
    auto a = std::make_shared<UserArgs>();
    CLI::App* cmd = users->add_subcommand(e.name, e.help);
    cmd->add_option("--tenant,-t", a->tenant, "tenant name")->required();
    cmd->add_option("upn", a->upn, "the user's principal name")->required();
    if (e.create || std::string(e.name) == "set") {
      cmd->add_option("--set", a->sets, "ATTRIBUTE=VALUE (repeat for several values)");
    }
    if (std::string(e.name) == "set") cmd->add_option("--clear", a->clears, "ATTRIBUTE");
    const Edit* edit = &e;
    cmd->callback([&ctx, a, edit] {
      ctx.action = [&ctx, a, edit]() -> Status {
        UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(a->tenant));
        UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
        UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(*store));
        DirectoryUser u;
        if (edit->create) {
          UPSYNC_RETURN_IF_ERROR(check_upn(a->upn));
          UPSYNC_ASSIGN_OR_RETURN(auto existing,
                                  dir->user_by_upn(t.id, DirectoryLayer::kCloud, a->upn));
          if (existing && !existing->deleted) {
            return already_exists("user '" + a->upn + "' already exists in the cloud directory");
          }
          u.object_id = new_ordered_guid();
          u.attributes = {{"userPrincipalName", {a->upn}},
                          {"accountEnabled", {"true"}},
                          {"licensed", {"true"}}};
        } else {
          UPSYNC_ASSIGN_OR_RETURN(u, find_user(*dir, t, a->upn));
        }
        if (edit->del) {
          UPSYNC_RETURN_IF_ERROR(dir->remove(t.id, DirectoryLayer::kCloud, u.object_id).status());
          *ctx.out << "deleted " << a->upn << "\n";
          return Status::ok();
        }
        UPSYNC_RETURN_IF_ERROR(apply_edits(u, *a));
        if (edit->flag) u.attributes[edit->flag] = {edit->value};
        UPSYNC_ASSIGN_OR_RETURN(auto outcome, dir->put(t.id, DirectoryLayer::kCloud, u));
        const char* what = outcome == DirectoryStore::PutOutcome::kAdded     ? "added"
                           : outcome == DirectoryStore::PutOutcome::kUpdated ? "updated"
                                                                             : "unchanged";
        if (ctx.json) {
          nlohmann::json j = user_json(u);
          j["outcome"] = what;
          print_json(*ctx.out, j);
        } else {
          *ctx.out << what << " " << u.first("userPrincipalName") << " (" << u.object_id
                   << "); run 'upsync sync run' to carry it into profiles\n";
        }
        return Status::ok();
      };
    });
  }
}

}  // namespace upsync
