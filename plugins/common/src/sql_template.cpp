#include "jobhost_common/sql_template.hpp"

namespace jobhost::common {
namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

size_t line_of(std::string_view text, size_t pos) {
  size_t line = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}
}  // namespace

std::string expand_template(std::string_view text, const Context& ctx, std::string_view source) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (;;) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    size_t close = text.find("}}", open + 2);
    auto where = std::string(source) + ":" + std::to_string(line_of(text, open));
    if (close == std::string_view::npos) throw FatalError(where + ": unclosed '{{'");
    std::string_view name = trim(text.substr(open + 2, close - open - 2));
    if (name == "run.logical_date") {
      out.append(ctx.logical_date());
    } else if (name == "run.id") {
      out.append(ctx.run_id());
    } else if (name == "job.name") {
      out.append(ctx.job_name());
    } else if (name.substr(0, 7) == "params." && name.size() > 7) {
      auto value = ctx.input("@params", name.substr(7));
      if (!value) throw FatalError(where + ": unknown parameter '" + std::string(name.substr(7)) + "' in {{ " +
                                   std::string(name) + " }}");
      out.append(*value);
    } else {
      throw FatalError(where + ": unknown template variable '" + std::string(name) +
                       "' (known: run.logical_date, run.id, job.name, params.<name>)");
    }
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace jobhost::common
