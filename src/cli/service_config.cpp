#include "cli/service_config.h"

#include <toml++/toml.h>

#include <set>

#include "core/files.h"

namespace upsync {

namespace {

std::string where(std::string_view file, const toml::source_region& src) {
  return std::string(file) + ": line " + std::to_string(src.begin.line) + ", column " +
         std::to_string(src.begin.column);
}

// Reads the keys of one table, refusing any key it was not asked for.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string_view file, std::string prefix)
      : t_(t), file_(file), prefix_(std::move(prefix)) {}

  Status string(std::string_view key, std::optional<std::string>& out) {
    return read(key, [&](const toml::node& n) -> Status {
      if (!n.is_string()) return wrong(n, key, "a string");
      out = *n.value<std::string>();
      return Status::ok();
    });
  }
  Status integer(std::string_view key, int64_t lo, int64_t hi, std::optional<int64_t>& out) {
    return read(key, [&](const toml::node& n) -> Status {
      if (!n.is_integer()) return wrong(n, key, "an integer");
      int64_t v = *n.value<int64_t>();
      if (v < lo || v > hi) {
        return error(n, key, "must be from " + std::to_string(lo) + " to " + std::to_string(hi));
      }
      out = v;
      return Status::ok();
    });
  }
  Status seconds(std::string_view key, std::optional<double>& out) {
    return read(key, [&](const toml::node& n) -> Status {
      if (!n.is_number()) return wrong(n, key, "a number of seconds");
      double v = *n.value<double>();
      if (!(v >= 0.05 && v <= 3600)) return error(n, key, "must be from 0.05 to 3600 seconds");
      out = v;
      return Status::ok();
    });
  }
  Status boolean(std::string_view key, std::optional<bool>& out) {
    return read(key, [&](const toml::node& n) -> Status {
      if (!n.is_boolean()) return wrong(n, key, "true or false");
      out = *n.value<bool>();
      return Status::ok();
    });
  }
  Status strings(std::string_view key, std::optional<std::vector<std::string>>& out) {
    return read(key, [&](const toml::node& n) -> Status {
      const toml::array* a = n.as_array();
      if (!a) return wrong(n, key, "a list of strings");
      std::vector<std::string> v;
      for (const toml::node& item : *a) {
        if (!item.is_string()) return wrong(item, key, "a list of strings");
        v.push_back(*item.value<std::string>());
      }
      out = std::move(v);
      return Status::ok();
    });
  }
  // A sub-table `key`, or nullptr when absent.
  Result<const toml::table*> table(std::string_view key) {
    known_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (!n) return static_cast<const toml::table*>(nullptr);
    if (!n->is_table()) return wrong(*n, key, "a table ([" + std::string(key) + "])");
    return n->as_table();
  }
  // Refuses the keys no reader asked for.
  Status no_other_keys(std::string_view known_list) {
    for (const auto& [key, node] : t_) {
      if (!known_.contains(std::string(key.str()))) {
        return invalid_argument(where(file_, key.source()) + ": unknown key '" + prefix_ +
                                std::string(key.str()) + "' (known: " + std::string(known_list) +
                                ")");
      }
    }
    return Status::ok();
  }

 private:
  template <typename F>
  Status read(std::string_view key, F&& f) {
    known_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    return n ? f(*n) : Status::ok();
  }
  Status error(const toml::node& n, std::string_view key, const std::string& what) {
    return invalid_argument(where(file_, n.source()) + ": '" + prefix_ + std::string(key) + "' " +
                            what);
  }
  Status wrong(const toml::node& n, std::string_view key, const std::string& expected) {
    return error(n, key, "must be " + expected);
  }
  const toml::table& t_;
  std::string_view file_;
  std::string prefix_;
  std::set<std::string> known_;
};

}  // namespace

Result<ServiceConfig> parse_service_config(std::string_view text, std::string_view file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return invalid_argument(where(file, e.source()) + ": " + std::string(e.description()));
  }
  ServiceConfig c;
  TableReader top(root, file, "");
  UPSYNC_RETURN_IF_ERROR(top.string("data_dir", c.data_dir));
  UPSYNC_RETURN_IF_ERROR(top.string("database", c.database));
  UPSYNC_ASSIGN_OR_RETURN(const toml::table* serve, top.table("serve"));
  UPSYNC_ASSIGN_OR_RETURN(const toml::table* worker, top.table("worker"));
  UPSYNC_RETURN_IF_ERROR(top.no_other_keys("data_dir, database, [serve], [worker]"));
  if (serve) {
    TableReader r(*serve, file, "serve.");
    UPSYNC_RETURN_IF_ERROR(r.string("listen", c.serve.listen));
    UPSYNC_RETURN_IF_ERROR(r.string("tls_cert", c.serve.tls_cert));
    UPSYNC_RETURN_IF_ERROR(r.string("tls_key", c.serve.tls_key));
    UPSYNC_RETURN_IF_ERROR(r.integer("threads", 0, 256, c.serve.threads));
    UPSYNC_RETURN_IF_ERROR(r.strings("public_hosts", c.serve.public_hosts));
    UPSYNC_RETURN_IF_ERROR(r.boolean("worker", c.serve.worker));
    UPSYNC_RETURN_IF_ERROR(r.seconds("worker_interval", c.serve.worker_interval));
    UPSYNC_RETURN_IF_ERROR(r.no_other_keys(
        "listen, tls_cert, tls_key, threads, public_hosts, worker, worker_interval"));
  }
  if (worker) {
    TableReader r(*worker, file, "worker.");
    UPSYNC_RETURN_IF_ERROR(r.seconds("interval", c.worker.interval));
    UPSYNC_RETURN_IF_ERROR(r.string("scheduler", c.worker.scheduler));
    UPSYNC_RETURN_IF_ERROR(r.no_other_keys("interval, scheduler"));
  }
  return c;
}

Result<ServiceConfig> load_service_config(const std::string& path) {
  UPSYNC_ASSIGN_OR_RETURN(std::string text, read_whole_file(path));
  return parse_service_config(text, path);
}

}  // namespace upsync
