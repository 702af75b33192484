#include "prefect_api.hpp"

#include <cctype>

namespace jobhost::connectors::prefect {
namespace {

bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

std::string_view strip_slashes(std::string_view text) {
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return text;
}

// "https://api.prefect.cloud/api/accounts/A/workspaces/W" -> the UI's
// "https://app.prefect.cloud/account/A/workspace/W"; nullopt for other URLs.
std::optional<std::string> cloud_ui(std::string_view api) {
  const std::string_view marker = "/api/accounts/";
  const size_t at = api.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view rest = api.substr(at + marker.size());  // A/workspaces/W
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(slash, 12) != "/workspaces/") return std::nullopt;
  std::string host(api.substr(0, at));
  if (const size_t p = host.find("://api."); p != std::string::npos) host.replace(p + 3, 4, "app.");
  return host + "/account/" + std::string(rest.substr(0, slash)) + "/workspace/" +
         std::string(rest.substr(slash + 12));
}

}  // namespace

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !hex(text[i])) return false;
  }
  return true;
}

std::optional<DeploymentRef> parse_deployment(std::string_view text) {
  DeploymentRef ref;
  if (is_uuid(text)) {
    ref.id = std::string(text);
    return ref;
  }
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string_view::npos)
    return std::nullopt;
  ref.flow = std::string(text.substr(0, slash));
  ref.name = std::string(text.substr(slash + 1));
  return ref;
}

std::string ui_base(std::string_view api_url, std::string_view ui_url) {
  if (!ui_url.empty()) return std::string(strip_slashes(ui_url));
  const std::string_view api = strip_slashes(api_url);
  if (auto cloud = cloud_ui(api)) return *cloud;
  if (api.size() >= 4 && api.substr(api.size() - 4) == "/api") return std::string(api.substr(0, api.size() - 4));
  return std::string(api);
}

std::string flow_run_url(std::string_view ui_base, std::string_view flow_run_id) {
  return std::string(ui_base) + "/runs/flow-run/" + std::string(flow_run_id);
}

RemoteStatus flow_run_status(const boost::json::object& flow_run) {
  RemoteStatus status;
  const auto* state = flow_run.if_contains("state");
  const boost::json::object empty;
  const boost::json::object& s = state && state->is_object() ? state->get_object() : empty;
  status.state = string_field(s, "type");
  if (status.state.empty()) status.state = string_field(flow_run, "state_type");
  const std::string name = string_field(s, "name");
  const std::string message = string_field(s, "message");
  using Phase = RemoteStatus::Phase;
  if (status.state == "COMPLETED") {
    status.phase = Phase::kSucceeded;
  } else if (status.state == "FAILED" || status.state == "CRASHED") {
    status.phase = Phase::kFailed;
  } else if (status.state == "CANCELLED") {
    status.phase = Phase::kCancelled;
  } else {
    status.phase = Phase::kRunning;  // SCHEDULED, PENDING, RUNNING, PAUSED, CANCELLING, newer
  }
  if (status.phase == Phase::kFailed || status.phase == Phase::kCancelled) {
    status.message = message.empty() ? "state " + (name.empty() ? status.state : name) : message;
    status.details.push_back("flow run " + string_field(flow_run, "name") + " ended in state " +
                             (name.empty() ? status.state : name + " (" + status.state + ")") +
                             (message.empty() ? "" : ": " + message));
  }
  status.outputs["flow_run_id"] = string_field(flow_run, "id");
  if (auto run_name = string_field(flow_run, "name"); !run_name.empty()) status.outputs["flow_run_name"] = run_name;
  if (!name.empty()) status.outputs["state_name"] = name;
  return status;
}

}  // namespace jobhost::connectors::prefect
