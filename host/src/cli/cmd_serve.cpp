// jobhost serve [--pipelines DIR] [--listen ADDR:PORT] [--config FILE] [--state PATH]
// The scheduler daemon (host/src/serve/): SIGHUP reloads, SIGTERM/SIGINT drain and exit.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "config/duration.hpp"
#include "exec/crash_guard.hpp"
#include "exec/host_services.hpp"
#include "serve/daemon.hpp"
#include "serve/daemon_http.hpp"
#include "serve/owner_lock.hpp"
#include "state/crash_records.hpp"
#include "state/sqlite_handle.hpp"

namespace jobhost::cli {
namespace {

const char* kHelp = R"(usage: jobhost serve [--pipelines DIR] [--listen ADDR:PORT] [--config FILE] [--state PATH]
                    [--drain-grace DURATION] [--cancel-grace DURATION] [--port-file PATH]
                    [--plugin-path DIR]...

The REST API (/api/v1, docs/serve-openapi.json), /metrics, /healthz and the status page (/)
listen on --listen (default 127.0.0.1:8080; port 0: any free port, written to --port-file).
Another address needs a bearer token: api_token_secret = "NAME" in the host config.

Schedules every pipeline file (*.toml) in DIR (default ./pipelines) from their [pipeline]
schedule, timezone, start_date, end_date, catchup, max_active_runs and [pipeline.trigger],
on the same executor and run store as `jobhost run`. Changed, added and removed files take
effect within seconds (SIGHUP: at once); a file that stops validating keeps its last valid
version. After a crash no tick runs twice and none is lost; unfinished runs resume.
Only one daemon may serve a store (exit 2 naming the other). SIGTERM or SIGINT: start
nothing new, let runs finish for --drain-grace (default 30s), then cancel them.
)";

std::chrono::milliseconds duration_option(const Args& args, const char* name, std::chrono::milliseconds fallback) {
  auto v = args.value(name);
  if (!v) return fallback;
  auto d = parse_duration(*v);
  if (!d) throw UsageError(std::string(name) + " must be a duration like 30s");
  return *d;
}

// Written atomically (tmp + rename) once the server listens, for scripts and tests.
void write_port_file(const std::string& path, uint16_t port) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::filesystem::rename(tmp, path);
}

// SIGHUP reloads, SIGTERM/SIGINT stop; a second stop signal exits at once.
class ServeSignals {
 public:
  ServeSignals() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, s);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // before any thread exists
  }
  void start(serve::Daemon& daemon) {
    thread_ = std::thread([this, &daemon] {
      timespec tick{0, 100 * 1000 * 1000};
      bool stopping = false;
      while (!done_) {
        int sig = sigtimedwait(&set_, nullptr, &tick);
        if (sig == SIGHUP) {
          spdlog::info("serve: SIGHUP: reloading pipelines");
          daemon.request_reload();
        } else if (sig == SIGINT || sig == SIGTERM) {
          if (stopping) _exit(128 + sig);
          stopping = true;
          spdlog::info("serve: {}: draining", sig == SIGINT ? "SIGINT" : "SIGTERM");
          daemon.stop();
        }
      }
    });
  }
  ~ServeSignals() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  sigset_t set_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// The API's bearer token: the secret the host config's api_token_secret names.
std::string api_token(const HostConfig& host) {
  if (!host.api_token_secret) return "";
  const std::string& name = *host.api_token_secret;
  auto* ext = static_cast<const jh_secrets_v1*>(host_services_table()->get_extension(JH_EXT_SECRETS));
  std::string value(4096, '\0');
  uint64_t len = 0;
  if (!ext || ext->get(nullptr, jh_str{name.data(), name.size()}, value.data(), value.size(), &len) != JH_OK ||
      len == 0 || len >= value.size())
    throw UsageError("api_token_secret names the secret '" + name + "', which is not defined (set JOBHOST_SECRET_" +
                     name + " or a file " + name + " in secrets_dir)");
  value.resize(static_cast<size_t>(len));
  return value;
}

serve::HttpServerOptions http_options(const Args& args, const HostConfig& host) {
  serve::HttpServerOptions http;
  try {
    auto listen = serve::parse_listen_address(args.value("--listen").value_or("127.0.0.1:8080"));
    http.address = listen.host;
    http.port = listen.port;
  } catch (const serve::ListenError& e) {
    throw UsageError(std::string("--listen: ") + e.what());
  }
  http.token = api_token(host);
  return http;
}

}  // namespace

int cmd_serve(const std::vector<std::string>& argv) {
  Args args(argv, common_options({{"--pipelines", true}, {"--listen", true}, {"--state", true},
                                  {"--drain-grace", true}, {"--cancel-grace", true},
                                  {"--port-file", true}}));
  if (args.flag("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (!args.positional().empty()) throw UsageError("serve takes no positional arguments");
  // Before the first store is opened: the HTTP threads would contend for SQLite's global
  // memory-statistics mutex on every allocation.
  state::sql::disable_memory_statistics();
  ServeSignals signals;
  HostConfig host = load_config(args);
  setup_logging(args, host);
  auto plugins = load_plugins(args, host);
  serve::DaemonOptions opt;
  opt.pipelines_dir = args.value("--pipelines").value_or("pipelines");
  opt.store_path = state_path(args, host);
  opt.max_parallel = host.max_parallel;
  opt.max_deferred = host.max_deferred;
  opt.pools = host.pools->list;
  opt.plugin_isolation = host.plugin_isolation;
  if (host.scratch_dir) opt.scratch_root = *host.scratch_dir;
  opt.drain_grace = duration_option(args, "--drain-grace", opt.drain_grace);
  opt.cancel_grace = duration_option(args, "--cancel-grace", opt.cancel_grace);
  std::error_code ec;
  if (!std::filesystem::is_directory(opt.pipelines_dir, ec))
    throw UsageError("--pipelines: no folder " + opt.pipelines_dir);
  open_store(args, host);  // creates the store and its schema before the daemon's connections
  // A job that kills the daemon (thread mode) is named on stderr and in a crash record.
  crash_guard::install(state::crash_dir_for_store(opt.store_path));
  std::unique_ptr<serve::OwnerLock> owner;
  try {
    owner = std::make_unique<serve::OwnerLock>(opt.store_path);
  } catch (const serve::StoreOwned& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kBadInput;
  }
  serve::Daemon daemon(opt, *plugins);
  std::unique_ptr<serve::DaemonHttp> http;
  try {
    http = std::make_unique<serve::DaemonHttp>(daemon, http_options(args, host));
    http->start();
  } catch (const serve::ListenError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kBadInput;
  }
  const auto listen = http_options(args, host);
  spdlog::info("serve: listening on http://{}:{}, pipelines from {}, store {}",
               listen.address.find(':') != std::string::npos ? "[" + listen.address + "]" : listen.address,
               http->port(), opt.pipelines_dir, opt.store_path);
  if (auto f = args.value("--port-file")) write_port_file(*f, http->port());
  signals.start(daemon);
  daemon.run();
  http->stop();
  spdlog::info("serve: stopped");
  return kOk;
}

}  // namespace jobhost::cli
