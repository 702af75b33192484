#include "isolation/worker_main.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "exec/attempt.hpp"
#include "exec/host_services.hpp"
#include "isolation/frame_channel.hpp"
#include "isolation/protocol.hpp"
#include "isolation/worker_limits.hpp"
#include "plugins/plugin_registry.hpp"

namespace jobhost::isolation {

namespace {

// The host's side of the socket, seen from the worker: attempts to run, the cancel flag, and
// answers to asks. A reader thread takes every frame as it comes, so a cancel reaches the
// attempt while its entry runs.
class HostLink {
 public:
  explicit HostLink(int fd) : channel_(fd) {}

  void start() {
    reader_ = std::thread([this] { read_loop(); });
    reader_.detach();  // ends with the process
  }
  FrameChannel& channel() { return channel_; }
  std::atomic<bool>& cancel() { return cancel_; }

  // The next attempt; the process ends when the host closes the socket.
  std::string next_attempt() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !attempts_.empty(); });
    std::string a = std::move(attempts_.front());
    attempts_.pop_front();
    return a;
  }

  // Sends an ask and waits for its reply (asks come from the job's thread, one at a time).
  std::string ask(uint8_t kind, std::string_view payload) {
    std::lock_guard one_at_a_time(ask_mu_);
    {
      std::lock_guard lock(mu_);
      reply_.reset();
    }
    if (!channel_.send(kind, payload)) _exit(0);  // the host is gone
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return reply_.has_value(); });
    return std::move(*reply_);
  }

 private:
  void read_loop() {
    Frame f;
    for (;;) {
      if (channel_.receive(f, std::chrono::milliseconds(-1)) != FrameChannel::Read::frame) _exit(0);
      std::lock_guard lock(mu_);
      if (f.kind == kAttempt) {
        cancel_ = false;
        attempts_.push_back(std::move(f.payload));
      } else if (f.kind == kCancel) {
        cancel_ = true;
      } else if (f.kind == kReply) {
        reply_ = std::move(f.payload);
      }
      cv_.notify_all();
    }
  }

  FrameChannel channel_;
  std::thread reader_;
  std::mutex mu_, ask_mu_;
  std::condition_variable cv_;
  std::deque<std::string> attempts_;
  std::optional<std::string> reply_;
  std::atomic<bool> cancel_{false};
};

// "1<text>" found, "0" not.
std::optional<std::string> found(const std::string& reply) {
  if (reply.empty() || reply[0] != '1') return std::nullopt;
  return reply.substr(1);
}

AttemptReply run_one(HostLink& link, const PluginRegistry& plugins, const AttemptRequest& req) {
  AttemptReply reply;
  const JobTypeRef* type = plugins.find(req.job_type);
  if (!type) {
    reply.result.status = JH_STATUS_FATAL;
    reply.result.error = "the worker process did not find job type '" + req.job_type + "'";
    return reply;
  }
  toml::table config;
  try {
    config = toml::parse(req.config_toml);
  } catch (const toml::parse_error& e) {
    reply.result.status = JH_STATUS_FATAL;
    reply.result.error = std::string("the worker process could not read the job's config: ") + std::string(e.description());
    return reply;
  }
  // Upstream names are asked for once per attempt and kept: the returned view must stay valid.
  std::deque<std::string> upstream_names;
  AttemptInput in;
  in.run_id = req.run_id;
  in.pipeline = req.pipeline;
  in.job_name = req.job_name;
  in.logical_date = req.logical_date;
  in.scratch_dir = req.scratch_dir;
  in.attempt = req.attempt;
  in.max_attempts = req.max_attempts;
  in.deadline_unix_ms = req.deadline_unix_ms;
  in.config = &config;
  in.cancel = &link.cancel();
  static const std::atomic<bool> kNever{false};
  in.cancel_all = &kNever;
  in.idempotency_key = req.idempotency_key;
  in.poll_count = req.poll_count;
  in.reattached = req.reattached;
  in.started_unix_ms = req.started_unix_ms;
  in.log = [&link](jh_log_level level, std::string_view text) {
    std::string payload(4, '\0');
    std::memcpy(payload.data(), &level, 4);
    payload.append(text);
    link.channel().send(kLog, payload);
  };
  in.inputs = [&link](std::string_view job, std::string_view key) {
    std::string q(job);
    q.push_back('\0');
    q.append(key);
    return found(link.ask(kAskInput, q));
  };
  in.input_keys = [&link](std::string_view job) -> std::optional<std::vector<std::string>> {
    auto keys = found(link.ask(kAskInputKeys, job));
    if (!keys) return std::nullopt;
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < keys->size()) {
      size_t end = keys->find('\0', pos);
      if (end == std::string::npos) end = keys->size();
      out.push_back(keys->substr(pos, end - pos));
      pos = end + 1;
    }
    return out;
  };
  in.upstreams = [&link, &upstream_names](uint64_t index) -> std::optional<std::string_view> {
    auto name = found(link.ask(kAskUpstream, std::to_string(index)));
    if (!name) return std::nullopt;
    return std::string_view(upstream_names.emplace_back(std::move(*name)));
  };

  AttemptScope scope(req.limits, link.channel().fd());
  switch (req.entry) {
    case EntryPoint::run: reply.result = run_attempt(*type, in); break;
    case EntryPoint::poll: reply.result = poll_attempt(*type, in, req.handle); break;
    case EntryPoint::cancel: reply.result = cancel_attempt(*type, in, req.handle); break;
  }
  scope.finish(reply);
  return reply;
}

struct Options {
  int fd = -1;
  std::string plugin;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--fd") o.fd = std::atoi(argv[i + 1]);
    else if (k == "--plugin") o.plugin = argv[i + 1];
  }
  return o;
}

}  // namespace

int worker_main(int argc, char** argv) {
  // Dies with its host; becomes the parent of whatever the plugin's children leave behind, so
  // that they can be stopped after each attempt (see worker_limits.cpp).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  const Options o = parse(argc, argv);
  if (o.fd < 0 || o.plugin.empty()) {
    std::fprintf(stderr, "jobhost-worker: started without --fd and --plugin (it is started by jobhost)\n");
    return 2;
  }
  if (getppid() == 1) return 0;  // the host died before we could ask to die with it
  // Descriptors the host's own parent left open (not close-on-exec) are not the plugin's.
  if (o.fd == 3) close_range(4, ~0U, 0);
  HostLink link(o.fd);
  PluginRegistry plugins(PluginLoadOptions{true});  // the host checked the file's permissions
  // Secrets and connections are the host's: the extensions ask it.
  set_remote_lookups({[&link](std::string_view name) { return found(link.ask(kAskSecret, name)); },
                      [&link](std::string_view name) { return found(link.ask(kAskConnection, name)); }});
  try {
    plugins.load_path(o.plugin);
  } catch (const std::exception& e) {
    link.channel().send(kStartFailed, e.what());
    return 2;
  }
  if (!plugins.refused().empty()) {
    link.channel().send(kStartFailed, plugins.refused().front().reason);
    return 2;
  }
  install_limit_reporting(o.fd);
  link.channel().send(kReady, "");
  link.start();
  for (;;) {
    AttemptRequest req;
    std::string payload = link.next_attempt();
    try {
      req = decode_request(payload);
    } catch (const std::exception& e) {
      AttemptReply bad;
      bad.result.status = JH_STATUS_FATAL;
      bad.result.error = e.what();
      link.channel().send(kResult, encode(bad));
      continue;
    }
    AttemptReply reply = run_one(link, plugins, req);
    if (!link.channel().send(kResult, encode(reply))) return 0;
  }
}

}  // namespace jobhost::isolation
