// serve_status_fixture: the daemon's HTTP side over a FakeDaemon and a store filled by real
// runs, for the browser test. Prints one JSON line {"port": N, "runs": {...}} on stdout, then
// serves until stdin closes or SIGTERM/SIGINT arrives.
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "fake_daemon.hpp"
#include "serve/daemon_http.hpp"
#include "serve_fixture.hpp"
#include "support.hpp"

using namespace jobhost;

int main() {
  // Signals are taken by sigwait below, on this thread: block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // stdout carries the one line the test reads: logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("fixture"));
  test::TempDir dir;
  const test::FilledStore store = test::fill_store(dir.str());
  test::FakeDaemon daemon(store.path, test::fake_pipelines());
  serve::HttpServerOptions options;
  options.port = 0;
  serve::DaemonHttp http(daemon, options);
  http.start();
  std::cout << "{\"port\": " << http.port() << ", \"runs\": {\"failed\": \"" << store.failed_run
            << "\", \"success\": \"" << store.success_run << "\", \"hourly\": \""
            << store.hourly_run << "\", \"running\": \"" << store.running_run << "\"}}"
            << std::endl;

  std::thread([] {
    char buf[256];
    while (std::fread(buf, 1, sizeof buf, stdin) > 0) {
    }
    kill(getpid(), SIGTERM);  // stdin closed: the test is over
  }).detach();
  int sig = 0;
  sigwait(&stop_signals, &sig);
  http.stop();
  return 0;
}
