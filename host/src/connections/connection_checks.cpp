// Connections against the connection types the loaded plugins declare.
#include "config/config_schema.hpp"
#include "config/strict_table.hpp"
#include "connections/connections.hpp"
#include "plugins/plugin_registry.hpp"

namespace jobhost {

void check_connections(const Connections& connections, const PluginRegistry& plugins) {
  Diagnostics diags(connections.file());
  for (auto& c : connections.all()) {
    const ConnectionTypeRef* type = plugins.find_connection_type(c.type);
    if (!type || !type->schema) continue;  // unknown types are reported where a job uses them
    // `type` is the host's key, not the type's: read_connections left it out of the table.
    type->schema->check_as(*c.table, "connection '" + c.name + "' (type " + c.type + ")", c.line,
                           c.column, diags);
  }
  diags.sort_by_position();
  diags.throw_if_any();
}

}  // namespace jobhost
