// upsync file put|get|ls|rm: the tenant's document libraries (src/sites).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"
#include "core/text.h"
#include "sites/sites.h"

namespace upsync {
namespace {

// URLs are printed as the commands take them ('%', '?' and '#' escaped), so that a printed
// URL can be given back.
nlohmann::json file_json(const FileInfo& f) {
  return {{"url", escape_file_path(f.url)},
          {"folder", f.folder},
          {"size", f.size},
          {"modifiedAt", f.modified_at}};
}

struct FileArgs {
  std::string tenant;
  std::string url;
  std::string local;
};

// The tenant and the URL (through the door of sites/library_path.h: decoded once, every
// separator, dot segment and encoding trick refused), refusing another tenant's host.
Result<std::pair<Tenant, FileUrl>> resolve(CliContext& ctx, const FileArgs& a) {
  UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(a.tenant));
  UPSYNC_ASSIGN_OR_RETURN(FileUrl url, parse_file_url(a.url));
  if (!url_in_tenant(url, t)) {
    return invalid_argument("'" + quote_for_message(a.url) + "' is not in tenant '" + t.name +
                            "' (its host is " + tenant_host(t) + ")");
  }
  return std::make_pair(t, url);
}

// Writes the file's content to `out` (standard output for `file get URL -`).
Status copy_to(const OpenedFile& f, std::ostream& out) {
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(f.fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal_error("reading '" + f.info.url + "': " + std::strerror(errno));
    if (n == 0) break;
    out.write(buf, n);
  }
  out.flush();
  if (!out) return unavailable("writing '" + f.info.url + "' to standard output failed");
  return Status::ok();
}

}  // namespace

void add_file_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("file", "files in the tenant's document libraries");
  group->require_subcommand(1);

  auto pa = std::make_shared<FileArgs>();
  CLI::App* put = group->add_subcommand("put", "upload a local file");
  put->add_option("--tenant,-t", pa->tenant, "tenant name")->required();
  put->add_option("local", pa->local, "local file")->required();
  put->add_option("url", pa->url, "e.g. '/sites/hr/Shared Documents/import/users.json'")
      ->required();
  put->callback([&ctx, pa] {
    ctx.action = [&ctx, pa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tu, resolve(ctx, *pa));
      DocumentLibraries libs(ctx.data_dir);
      UPSYNC_RETURN_IF_ERROR(libs.put_file(tu.first, tu.second, pa->local));
      UPSYNC_ASSIGN_OR_RETURN(FileInfo f, libs.stat(tu.first, tu.second));
      if (ctx.json) {
        print_json(*ctx.out, file_json(f));
      } else {
        *ctx.out << "stored " << escape_file_path(f.url) << " (" << f.size << " bytes)\n";
      }
      return Status::ok();
    };
  });

  auto ga = std::make_shared<FileArgs>();
  CLI::App* get = group->add_subcommand("get", "download a file");
  get->add_option("--tenant,-t", ga->tenant, "tenant name")->required();
  get->add_option("url", ga->url, "file URL")->required();
  get->add_option("local", ga->local, "local destination ('-': standard output)")->required();
  get->callback([&ctx, ga] {
    ctx.action = [&ctx, ga]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tu, resolve(ctx, *ga));
      DocumentLibraries libs(ctx.data_dir);
      if (ga->local != "-") return libs.get_file(tu.first, tu.second, ga->local);
      UPSYNC_ASSIGN_OR_RETURN(OpenedFile f, libs.open_file(tu.first, tu.second));
      return copy_to(f, *ctx.out);
    };
  });

  auto la = std::make_shared<FileArgs>();
  CLI::App* ls = group->add_subcommand("ls", "list a folder or library");
  ls->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  ls->add_option("url", la->url, "folder URL")->required();
  ls->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tu, resolve(ctx, *la));
      DocumentLibraries libs(ctx.data_dir);
      UPSYNC_ASSIGN_OR_RETURN(auto files, libs.list(tu.first, tu.second));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& f : files) arr.push_back(file_json(f));
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"URL", "TYPE", "SIZE", "MODIFIED"});
      for (const auto& f : files) {
        table.add_row({escape_file_path(f.url), f.folder ? "folder" : "file",
                       std::to_string(f.size), f.modified_at});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  auto ra = std::make_shared<FileArgs>();
  CLI::App* rm = group->add_subcommand("rm", "delete a file or folder");
  rm->add_option("--tenant,-t", ra->tenant, "tenant name")->required();
  rm->add_option("url", ra->url, "file or folder URL")->required();
  rm->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tu, resolve(ctx, *ra));
      DocumentLibraries libs(ctx.data_dir);
      UPSYNC_RETURN_IF_ERROR(libs.remove(tu.first, tu.second));
      if (!ctx.json) *ctx.out << "removed " << tu.second.escaped() << "\n";
      return Status::ok();
    };
  });
}

}  // namespace upsync
