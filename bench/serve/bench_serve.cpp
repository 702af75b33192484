// `jobhost serve` against the targets of issue 12 ("Performance"), each on the real binary run
// as a child in its own temp dir (--listen 127.0.0.1:0 --port-file):
//  - lag:  1,000 pipelines scheduled every minute ("* * * * *", one utilities.noop job each);
//          after >= 2 minute boundaries, lag = the run's first attempt start (attempt_log, ms)
//          minus its tick (the logical time). Target p99 <= 10 ms. Also prints the daemon's own
//          jobhost_serve_scheduler_lag_seconds histogram from /metrics. Floor in the same run:
//          1,000 threads parked until one instant, and how late each wakes.
//  - idle: 1,000 pipelines loaded, nothing due ("0 0 1 1 *"); utime+stime of the daemon from
//          /proc/PID/stat over --idle-seconds. Target <= 1% of a core.
//  - http: GET /api/v1/runs (default limit) at --rate requests/s, open loop, over --conns
//          keep-alive connections, against a store of --runs runs. Target p99 <= 5 ms.
//          Floor in the same run: GET /healthz at the same rate and connections.
//          The store is filled by running one real run (`jobhost run`) and copying its rows
//          (runs, run_definitions, attempt_log and every other table with a run_id column)
//          with INSERT ... SELECT from a recursive counter, in one transaction.
//
// Load generator: request i is due at t0 + i/rate and belongs to connection i % conns; each
// connection's thread sends its requests in order, no earlier than due, and latency is taken
// from the due time (a late send counts against the server: no coordinated omission).
//
//   bench_serve [--side lag|idle|http]... [--pipelines N] [--runs N] [--rate R] [--seconds S]
//               [--conns C] [--idle-seconds S] [--jobhost PATH] [--fill-only DIR]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::set<std::string> sides{"lag", "idle", "http"};
  int pipelines = 1000;
  int runs = 100000;
  int rate = 1000;
  int seconds = 10;
  int conns = 8;
  int idle_seconds = 20;
  std::string jobhost = JOBHOST_BENCH_BIN;
  std::string fill_only;  // --fill-only DIR: fill DIR/s.db with --runs runs and exit
};

void bench_line(const std::string& name, double value, const char* unit) {
  std::printf("BENCH name=%s value=%.4f unit=%s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

void note(const std::string& s) {
  std::printf("# %s\n", s.c_str());
  std::fflush(stdout);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "bench_serve.XXXXXX").string();
    if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string pipeline_toml(const std::string& name, const std::string& schedule) {
  return "[pipeline]\nname = \"" + name + "\"\nschedule = \"" + schedule +
         "\"\n[[jobs]]\nname = \"work\"\nuses = \"utilities.noop\"\n";
}

// ---- the daemon as a child ----------------------------------------------------------------

struct Serve {
  pid_t pid = -1;
  int port = 0;
  fs::path log;

  Serve(const Options& o, const fs::path& dir) : log(dir / "serve.log") {
    const std::string pl = (dir / "pl").string(), st = (dir / "s.db").string(), pf = (dir / "port").string();
    pid = fork();
    if (pid == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(o.jobhost.c_str(), o.jobhost.c_str(), "serve", "--pipelines", pl.c_str(), "--state", st.c_str(),
            "--listen", "127.0.0.1:0", "--port-file", pf.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < deadline) {
      if (read_file(log).find("serve: ready") != std::string::npos && fs::exists(pf)) {
        port = std::atoi(read_file(pf).c_str());
        if (port > 0) return;
      }
      int st_ = 0;
      if (waitpid(pid, &st_, WNOHANG) == pid) throw std::runtime_error("serve exited: " + read_file(log));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("serve not ready in 120 s");
  }
  ~Serve() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st = 0;
      waitpid(pid, &st, 0);
    }
  }
  // utime + stime in seconds.
  double cpu_seconds() const {
    std::string s = read_file("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream in(s.substr(s.rfind(')') + 2));
    std::string f;
    std::vector<std::string> fields;
    while (in >> f) fields.push_back(f);
    // after ")": field 3 is state (index 0); utime is field 14 (index 11), stime 15 (index 12)
    return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
};

// ---- HTTP/1.1 over one keep-alive connection ------------------------------------------------

class Conn {
 public:
  explicit Conn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect failed");
  }
  ~Conn() { close(fd_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // The status code; the body in `body`.
  int get(const std::string& target, std::string* body = nullptr) {
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
    for (size_t sent = 0; sent < req.size();) {
      ssize_t n = send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<size_t>(n);
    }
    size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) fill();
    const std::string head = buf_.substr(0, head_end);
    size_t length = 0;
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (auto p = lower.find("content-length:"); p != std::string::npos) length = std::stoul(lower.substr(p + 15));
    while (buf_.size() < head_end + 4 + length) fill();
    if (body) *body = buf_.substr(head_end + 4, length);
    buf_.erase(0, head_end + 4 + length);
    return std::atoi(head.c_str() + 9);
  }

 private:
  void fill() {
    char tmp[65536];
    ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) throw std::runtime_error("connection closed");
    buf_.append(tmp, static_cast<size_t>(n));
  }
  int fd_;
  std::string buf_;
};

struct LoadResult {
  std::vector<double> latency_ms;
  int errors = 0;
  double achieved_rate = 0;
};

LoadResult open_loop(int port, const std::string& target, int rate, int seconds, int conns) {
  const size_t total = static_cast<size_t>(rate) * static_cast<size_t>(seconds);
  std::vector<std::vector<double>> lat(static_cast<size_t>(conns));
  std::vector<int> errs(static_cast<size_t>(conns), 0);
  const auto t0 = Clock::now() + std::chrono::milliseconds(100);
  const auto step = std::chrono::nanoseconds(1'000'000'000LL / rate);
  std::vector<std::thread> threads;
  for (int c = 0; c < conns; ++c)
    threads.emplace_back([&, c] {
      Conn conn(port);
      for (size_t i = static_cast<size_t>(c); i < total; i += static_cast<size_t>(conns)) {
        const auto due = t0 + step * static_cast<long>(i);
        std::this_thread::sleep_until(due);
        int code = 0;
        try {
          code = conn.get(target);
        } catch (const std::exception&) {
          code = -1;
        }
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - due).count();
        if (code != 200) errs[static_cast<size_t>(c)]++;
        else lat[static_cast<size_t>(c)].push_back(ms);
        if (code == -1) return;
      }
    });
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  LoadResult r;
  for (auto& v : lat) r.latency_ms.insert(r.latency_ms.end(), v.begin(), v.end());
  for (int e : errs) r.errors += e;
  r.achieved_rate = static_cast<double>(r.latency_ms.size()) / wall;
  return r;
}

std::string http_get(int port, const std::string& target) {
  Conn c(port);
  std::string body;
  c.get(target, &body);
  return body;
}

// ---- SQLite helpers -------------------------------------------------------------------------

struct Db {
  sqlite3* db = nullptr;
  explicit Db(const fs::path& p) {
    if (sqlite3_open(p.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + p.string());
    sqlite3_busy_timeout(db, 10000);
  }
  ~Db() { sqlite3_close(db); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(m + " in: " + sql.substr(0, 200));
    }
  }
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string(sqlite3_errmsg(db)) + " in: " + sql);
    std::vector<std::vector<std::string>> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        auto t = sqlite3_column_text(st, i);
        row.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    return out;
  }
};

void write_pipelines(const fs::path& dir, int n, const std::string& schedule) {
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "p%04d", i);
    write_file(dir / (std::string(name) + ".toml"), pipeline_toml(name, schedule));
  }
}

// The scheduler_lag histogram lines of /metrics.
void print_metric_family(const std::string& metrics, const std::string& family) {
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(family, 0) == 0) note("metrics: " + line);
}

// ---- sides ----------------------------------------------------------------------------------

// The floor for starting N runs at one instant on this machine: N threads parked until the
// same instant, and how late each wakes. Any design that gives each run a thread pays this.
void floor_wake(int n) {
  const auto at = std::chrono::system_clock::now() + std::chrono::milliseconds(500);
  std::vector<double> late(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&late, at, i] {
      std::this_thread::sleep_until(at);
      late[static_cast<size_t>(i)] = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now() - at).count();
    });
  for (auto& t : threads) t.join();
  bench_line("floor_wake_p50", percentile(late, 0.5), "ms");
  bench_line("floor_wake_p99", percentile(late, 0.99), "ms");
  note("floor: " + std::to_string(n) + " threads parked until one instant, how late each wakes");
}

void side_lag(const Options& o) {
  floor_wake(o.pipelines);
  TempDir dir;
  write_pipelines(dir.path / "pl", o.pipelines, "* * * * *");
  Serve serve(o, dir.path);
  // Two full minute boundaries after ready, then time for the second minute's runs to start.
  const auto sys_now = std::chrono::system_clock::now();
  const auto minute = std::chrono::floor<std::chrono::minutes>(sys_now);
  const auto second_boundary = minute + std::chrono::minutes(2);
  note("lag: " + std::to_string(o.pipelines) + " pipelines every minute; waiting for 2 minute boundaries (~" +
       std::to_string(std::chrono::duration_cast<std::chrono::seconds>(second_boundary - sys_now).count() + 40) + " s)");
  std::this_thread::sleep_until(second_boundary + std::chrono::seconds(40));
  const std::string metrics = http_get(serve.port, "/metrics");
  const double cpu = serve.cpu_seconds();
  const std::string boundary_text = [&] {
    auto t = std::chrono::system_clock::to_time_t(second_boundary);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return std::string(b);
  }();
  {
    Db db(dir.path / "s.db");
    // First attempt start per run (attempt_log entry [4]: ms since the epoch) minus the tick.
    auto rows = db.rows(
        "SELECT r.logical_date, (SELECT min(json_extract(e.value, '$[4]')) FROM attempt_log l, "
        "json_each(l.entries) e WHERE l.run_id = r.id) - "
        "CAST(round((julianday(r.logical_date) - 2440587.5) * 86400000.0) AS INTEGER) "
        "FROM runs r WHERE r.logical_date <= '" + boundary_text + "'");
    std::vector<double> lags;
    std::map<std::string, std::vector<double>> by_tick;
    int missing = 0;
    for (auto& r : rows) {
      if (r[1].empty()) { ++missing; continue; }
      lags.push_back(std::stod(r[1]));
      by_tick[r[0]].push_back(std::stod(r[1]));
    }
    for (auto& [tick, v] : by_tick)
      note("tick " + tick + ": " + std::to_string(v.size()) + " runs, first job start lag p50 " +
           std::to_string(percentile(v, 0.5)) + " ms, p99 " + std::to_string(percentile(v, 0.99)) + " ms, max " +
           std::to_string(percentile(v, 1.0)) + " ms");
    if (missing) note(std::to_string(missing) + " runs with no attempt started yet (not counted)");
    bench_line("serve_lag_runs", static_cast<double>(lags.size()), "runs");
    bench_line("serve_lag_first_job_p50", percentile(lags, 0.5), "ms");
    bench_line("serve_lag_first_job_p99", percentile(lags, 0.99), "ms");
    bench_line("serve_lag_first_job_max", percentile(lags, 1.0), "ms");
    note("target: serve_lag_first_job_p99 <= 10 ms");
  }
  print_metric_family(metrics, "jobhost_serve_scheduler_lag_seconds");
  bench_line("serve_lag_daemon_cpu", cpu, "s");
}

void side_idle(const Options& o) {
  TempDir dir;
  write_pipelines(dir.path / "pl", o.pipelines, "0 0 1 1 *");
  Serve serve(o, dir.path);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double c0 = serve.cpu_seconds();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(o.idle_seconds));
  const double c1 = serve.cpu_seconds();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  bench_line("serve_idle_cpu", 100.0 * (c1 - c0) / wall, "percent_of_core");
  note("target: serve_idle_cpu <= 1 percent of a core (" + std::to_string(o.pipelines) + " pipelines, " +
       std::to_string(o.idle_seconds) + " s; /proc/PID/stat resolution " +
       std::to_string(100.0 / static_cast<double>(sysconf(_SC_CLK_TCK)) / wall) + " percent)");
}

// One real run, then its rows copied `runs - 1` times in one transaction.
void fill_store(const Options& o, const fs::path& dir) {
  write_file(dir / "seed.toml", pipeline_toml("seed", "0 0 1 1 *") +
                                    "[[jobs]]\nname = \"second\"\nuses = \"utilities.noop\"\ndepends_on = [\"work\"]\n");
  const std::string cmd = o.jobhost + " run " + (dir / "seed.toml").string() + " --date 2020-01-01T00:00:00Z --state " +
                          (dir / "s.db").string() + " > " + (dir / "seed.log").string() + " 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("seed run failed: " + read_file(dir / "seed.log"));
  const auto t0 = Clock::now();
  Db db(dir / "s.db");
  const std::string seed_id = db.rows("SELECT id FROM runs")[0][0];
  db.exec("BEGIN");
  db.exec("CREATE TEMP TABLE n(i INTEGER PRIMARY KEY)");
  db.exec("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < " + std::to_string(o.runs - 1) +
          ") INSERT INTO n SELECT i FROM c");
  // runs first: the copies' ids and (pipeline, logical_date) must be new.
  auto columns = [&](const std::string& table) {
    std::vector<std::string> cols;
    for (auto& r : db.rows("SELECT name, pk FROM pragma_table_info('" + table + "')")) cols.push_back(r[0]);
    return cols;
  };
  auto new_id = std::string("'bench-' || n.i");
  auto copy = [&](const std::string& table) {
    std::string names, values;
    for (auto& c : columns(table)) {
      if ((table == "attempt_log" || table == "pipeline_texts") && c == "id") continue;  // rowid: fresh
      names += (names.empty() ? "" : ", ") + c;
      std::string v = "t." + c;
      if ((table == "runs" && c == "id") || c == "run_id") v = new_id;
      else if (table == "runs" && c == "logical_date")
        v = "strftime('%Y-%m-%dT%H:%M:%SZ', '2020-01-01', '+' || n.i || ' minutes')";
      else if (table == "runs" && c == "started_at")
        v = "strftime('%Y-%m-%dT%H:%M:%fZ', t.started_at, '+' || n.i || ' seconds')";
      values += (values.empty() ? "" : ", ") + v;
    }
    std::string where = table == "runs" ? "t.id" : "t.run_id";
    db.exec("INSERT INTO " + table + "(" + names + ") SELECT " + values + " FROM " + table + " t, n WHERE " + where +
            " = '" + seed_id + "'");
  };
  copy("runs");
  for (auto& r : db.rows("SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name != 'runs' AND "
                         "EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'run_id')"))
    copy(r[0]);
  db.exec("DROP TABLE n");
  db.exec("COMMIT");
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::string count = db.rows("SELECT count(*) FROM runs")[0][0];
  note("store: " + count + " runs (1 real run of 2 noop jobs + copies by SQL in one transaction, " +
       std::to_string(s) + " s)");
}

void side_http(const Options& o) {
  TempDir dir;
  fill_store(o, dir.path);
  fs::create_directories(dir.path / "pl");
  Serve serve(o, dir.path);
  std::string body;
  {
    Conn c(serve.port);
    int code = c.get("/api/v1/runs", &body);
    note("GET /api/v1/runs: " + std::to_string(code) + ", " + std::to_string(body.size()) + " bytes");
  }
  open_loop(serve.port, "/api/v1/runs", o.rate, 1, o.conns);  // warm-up
  auto report = [&](const std::string& name, const std::string& target) {
    LoadResult r = open_loop(serve.port, target, o.rate, o.seconds, o.conns);
    bench_line(name + "_p50", percentile(r.latency_ms, 0.5), "ms");
    bench_line(name + "_p99", percentile(r.latency_ms, 0.99), "ms");
    bench_line(name + "_max", percentile(r.latency_ms, 1.0), "ms");
    bench_line(name + "_rate", r.achieved_rate, "req_per_s");
    if (r.errors) bench_line(name + "_errors", r.errors, "requests");
  };
  const double c0 = serve.cpu_seconds();
  report("serve_http_healthz_floor", "/healthz");
  const double c1 = serve.cpu_seconds();
  report("serve_http_runs", "/api/v1/runs");
  const double c2 = serve.cpu_seconds();
  bench_line("serve_http_healthz_cpu", 100.0 * (c1 - c0) / o.seconds, "percent_of_core");
  bench_line("serve_http_runs_cpu", 100.0 * (c2 - c1) / o.seconds, "percent_of_core");
  note("target: serve_http_runs_p99 <= 5 ms at " + std::to_string(o.rate) + " req/s, " + std::to_string(o.conns) +
       " keep-alive connections, " + std::to_string(o.runs) + " runs");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool sides_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--side") {
      if (!sides_given) o.sides.clear();
      sides_given = true;
      o.sides.insert(next());
    } else if (a == "--pipelines") o.pipelines = std::stoi(next());
    else if (a == "--runs") o.runs = std::stoi(next());
    else if (a == "--rate") o.rate = std::stoi(next());
    else if (a == "--seconds") o.seconds = std::stoi(next());
    else if (a == "--conns") o.conns = std::stoi(next());
    else if (a == "--idle-seconds") o.idle_seconds = std::stoi(next());
    else if (a == "--jobhost") o.jobhost = next();
    else if (a == "--fill-only") o.fill_only = next();
    else {
      std::fprintf(stderr, "usage: bench_serve [--side lag|idle|http]... [--pipelines N] [--runs N] [--rate R] "
                           "[--seconds S] [--conns C] [--idle-seconds S] [--jobhost PATH]\n");
      return 2;
    }
  }
  try {
    if (!o.fill_only.empty()) {
      fs::create_directories(o.fill_only);
      fill_store(o, o.fill_only);
      return 0;
    }
    if (o.sides.count("idle")) side_idle(o);
    if (o.sides.count("http")) side_http(o);
    if (o.sides.count("lag")) side_lag(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_serve: %s\n", e.what());
    return 1;
  }
  return 0;
}
