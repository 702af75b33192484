#include "cli/json_log_format.hpp"

#include <spdlog/pattern_formatter.h>

#include "util/json_escape.hpp"

namespace jobhost::cli {
namespace {

// %* in the pattern: the message as the inside of a JSON string.
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    util::append_json_escaped(dest, std::string_view(msg.payload.data(), msg.payload.size()));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> json_lines_formatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<JsonEscapedMessage>('*').set_pattern(
      R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
  return f;
}

}  // namespace jobhost::cli
