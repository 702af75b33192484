#include "connections/connections.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <mutex>
#include <sstream>

#include "config/duration.hpp"
#include "config/strict_table.hpp"

namespace jobhost {
namespace {

namespace json = boost::json;

// Keys that would hold a credential itself; each has a *_secret form.
const std::vector<std::string> kCredentialKeys = {"password", "token", "api_key", "client_secret",
                                                  "secret", "access_token", "private_key"};

bool valid_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

bool valid_secret_name(std::string_view s) {
  return !s.empty() && s.find("..") == std::string_view::npos &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
         });
}

json::value to_json(const toml::node& node) {
  if (auto* t = node.as_table()) {
    json::object o;
    for (auto& [k, v] : *t) o[std::string(k.str())] = to_json(v);
    return o;
  }
  if (auto* a = node.as_array()) {
    json::array arr;
    for (auto& v : *a) arr.push_back(to_json(v));
    return arr;
  }
  if (auto v = node.value_exact<std::string>()) return json::value(*v);
  if (auto v = node.value_exact<int64_t>()) return json::value(*v);
  if (auto v = node.value_exact<double>()) return json::value(*v);
  if (auto v = node.value_exact<bool>()) return json::value(*v);
  std::ostringstream text;  // dates and times as TOML writes them (RFC 3339)
  if (auto* d = node.as_date()) text << *d;
  else if (auto* tm = node.as_time()) text << *tm;
  else if (auto* dt = node.as_date_time()) text << *dt;
  return json::value(text.str());
}

bool is_loopback_http(std::string_view url) {
  for (std::string_view host : {"http://127.", "http://localhost", "http://[::1]"})
    if (url.substr(0, host.size()) == host) return true;
  return false;
}

// The rules every connection follows, whatever its type.
void check_common_keys(const std::string& name, const toml::table& t, Diagnostics& diags) {
  const std::string who = "connection '" + name + "': ";
  for (auto& [key, value] : t) {
    const std::string k(key.str());
    if (std::find(kCredentialKeys.begin(), kCredentialKeys.end(), k) != kCredentialKeys.end()) {
      // Never echo the value: it is (or looks like) a credential.
      diags.add(value, who + "'" + k + "' holds a literal credential; connections name their "
                "secrets instead: write " + k + "_secret = \"SECRET_NAME\" and define the secret "
                "as the environment variable JOBHOST_SECRET_SECRET_NAME or a file SECRET_NAME in "
                "secrets_dir");
    } else if (k.size() > 7 && k.compare(k.size() - 7, 7, "_secret") == 0) {
      auto v = value.value_exact<std::string>();
      if (!v || !valid_secret_name(*v))
        diags.add(value, who + "'" + k + "' must name a secret (letters, digits, '_', '-', '.'), "
                  "not hold its value");
    }
  }
  if (auto* url = t.get("url")) {
    auto v = url->value_exact<std::string>();
    if (!v || (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0))
      diags.add(*url, who + "'url' must be a string starting with http:// or https://");
  }
  if (auto* timeout = t.get("timeout")) {
    bool ok = timeout->is_number();
    if (auto s = timeout->value_exact<std::string>()) ok = parse_duration(*s).has_value();
    if (!ok) diags.add(*timeout, who + "'timeout' must be a duration like \"30s\"");
  }
  if (auto* v = t.get("insecure_skip_verify"); v && !v->is_boolean())
    diags.add(*v, who + "'insecure_skip_verify' must be true or false");
  if (auto* v = t.get("ca_file"); v && !v->is_string())
    diags.add(*v, who + "'ca_file' must be the path of a PEM file");
}

ConnectionConfig read_one(const std::string& name, const toml::table& t, const std::string& base,
                          Diagnostics& diags) {
  ConnectionConfig c;
  c.name = name;
  c.line = static_cast<int>(t.source().begin.line);
  c.column = static_cast<int>(t.source().begin.column);
  if (!valid_name(name))
    diags.add(t, "connection name '" + name + "' may hold only letters, digits, '_' and '-'");
  auto type = t.get("type");
  if (!type || !type->is_string())
    diags.add(t, "connection '" + name + "': missing 'type' (e.g. type = \"airflow\")");
  else
    c.type = *type->value<std::string>();
  check_common_keys(name, t, diags);
  auto table = std::make_shared<toml::table>(t);
  table->erase("type");
  json::object o = to_json(*table).as_object();
  if (auto* ca = o.if_contains("ca_file"); ca && ca->is_string()) {
    std::filesystem::path p(std::string(ca->as_string()));
    if (p.is_relative() && !base.empty()) *ca = (std::filesystem::path(base) / p).string();
  }
  for (auto& [k, v] : o)
    if (k.ends_with("_secret") && v.is_string()) c.secret_names.emplace_back(v.as_string());
  o["name"] = name;
  o["type"] = c.type;
  c.json = json::serialize(o);
  c.table = std::move(table);
  return c;
}

std::shared_ptr<const Connections>& current() {
  static std::shared_ptr<const Connections> connections = std::make_shared<Connections>();
  return connections;
}
std::mutex& current_mutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

const ConnectionConfig* Connections::find(std::string_view name) const {
  for (auto& c : list_)
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<std::string> Connections::names() const {
  std::vector<std::string> out;
  for (auto& c : list_) out.push_back(c.name);
  return out;
}

Connections read_connections(const toml::table& connections, const std::string& file,
                             const std::string& base, Diagnostics& diags) {
  std::vector<ConnectionConfig> list;
  for (auto& [key, value] : connections) {
    const std::string name(key.str());
    if (auto* t = value.as_table())
      list.push_back(read_one(name, *t, base, diags));
    else
      diags.add(value, "connections." + name + " must be a table: [connections." + name + "]");
  }
  return Connections(file, std::move(list));
}

void set_host_connections(std::shared_ptr<const Connections> connections) {
  std::lock_guard lock(current_mutex());
  current() = connections ? std::move(connections) : std::make_shared<Connections>();
}

std::shared_ptr<const Connections> host_connections() {
  std::lock_guard lock(current_mutex());
  return current();
}

std::vector<std::string> connection_warnings(const Connections& connections) {
  std::vector<std::string> out;
  for (auto& c : connections.all()) {
    auto* url = c.table->get("url");
    auto v = url ? url->value_exact<std::string>() : std::nullopt;
    if (v && v->rfind("http://", 0) == 0 && !is_loopback_http(*v))
      out.push_back(connections.file() + ":" + std::to_string(c.line) + ": connection '" + c.name +
                    "' uses plain http:// to a remote host: credentials and data travel "
                    "unencrypted (use https://)");
  }
  return out;
}

}  // namespace jobhost
