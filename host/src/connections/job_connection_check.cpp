// A connector job's `connection` against the host config's [connections.NAME].
#include <algorithm>

#include "config/pipeline_spec.hpp"
#include "config/strict_table.hpp"
#include "connections/connections.hpp"

namespace jobhost {

void check_job_connection(const JobSpec& job, const std::vector<std::string>& allowed_types,
                          const Connections& connections, Diagnostics& diags) {
  const toml::node* node = job.config.get("connection");
  if (!node) return;  // the job type's schema reports a missing required key
  auto name = node->value_exact<std::string>();
  if (!name || name->find("{{") != std::string::npos) return;  // a template: known at run time
  std::string types;
  for (auto& t : allowed_types) types += (types.empty() ? "'" : " or '") + t + "'";
  const ConnectionConfig* c = connections.find(*name);
  if (!c) {
    std::string m = "job '" + job.name + "': connection '" + *name + "' is not defined";
    m += connections.file().empty() ? " (no host config was read: pass --config jobhost.toml)"
                                    : " in the host config " + connections.file();
    auto hint = closest_match(*name, connections.names());
    if (!hint.empty()) m += " (did you mean '" + hint + "'?)";
    else m += "; add [connections." + *name + "] with type = " + types;
    diags.add(*node, m);
    return;
  }
  if (std::find(allowed_types.begin(), allowed_types.end(), c->type) == allowed_types.end())
    diags.add(*node, "job '" + job.name + "': connection '" + *name + "' is of type '" + c->type +
                         "', but " + job.uses + " needs a connection of type " + types);
}

}  // namespace jobhost
