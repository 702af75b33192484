#include "cli/job_type_json.hpp"

#include <boost/json/parse.hpp>

#include "config/config_schema.hpp"

namespace jobhost::cli {
namespace {

boost::json::value schema_value(const std::shared_ptr<const ConfigSchema>& schema) {
  if (!schema) return nullptr;
  boost::system::error_code ec;
  auto v = boost::json::parse(schema->json(), ec);  // parsed once already at load: valid
  return ec ? boost::json::value(nullptr) : v;
}

}  // namespace

boost::json::object job_type_json(const JobTypeRef& t) {
  return {{"name", t.qualified_name},
          {"summary", t.summary},
          {"version", t.version},
          {"config_example", t.config_example},
          {"doc", t.doc},
          {"deferrable", t.can_defer},
          {"cancellable", t.can_cancel},
          {"reattach", t.can_reattach},
          {"config_schema", schema_value(t.config_schema)},
          {"outputs_schema", schema_value(t.outputs_schema)}};
}

}  // namespace jobhost::cli
