// The run lock across processes: a live holder blocks, a dead one is taken over. Children are
// coordinated through pipes, never by sleeping.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "state/run_lock.hpp"
#include "state_test_util.hpp"

using namespace jobhost;
using namespace jobhost::state;

namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { REQUIRE(::pipe(fd) == 0); }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
};

char read_byte(int fd) {
  char c = 0;
  return ::read(fd, &c, 1) == 1 ? c : '\0';
}

void write_byte(int fd, char c) { REQUIRE(::write(fd, &c, 1) == 1); }

// Forks a child that takes the lock, reports 'L' (or 'E' on error) on `up`, waits for a byte
// on `down`, then unlocks and exits 0. The parent opens no store before forking.
pid_t fork_lock_holder(const std::string& path, Pipe& up, Pipe& down) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    char result = 'E';
    try {
      auto store = test::open_store(path);
      if (!store->try_lock("daily", "2026-11-28")) result = 'L';
      (void)!::write(up.fd[1], &result, 1);
      char c;
      (void)!::read(down.fd[0], &c, 1);
      store->unlock("daily", "2026-11-28");
    } catch (...) {
      (void)!::write(up.fd[1], &result, 1);
    }
    ::_exit(result == 'L' ? 0 : 1);
  }
  return pid;
}

}  // namespace

TEST_CASE("a lock held by a live process is refused with its holder", "[state][lock]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  test::open_store(path);  // create the schema before forking
  Pipe up, down;
  pid_t child = fork_lock_holder(path, up, down);
  REQUIRE(read_byte(up.fd[0]) == 'L');

  auto store = test::open_store(path);
  auto holder = store->try_lock("daily", "2026-11-28");
  REQUIRE(holder);
  CHECK(holder->pid == child);
  CHECK(holder->hostname == this_hostname());
  CHECK_FALSE(holder->started_at.empty());
  // Other pairs are independent.
  CHECK_FALSE(store->try_lock("daily", "2026-11-29"));

  write_byte(down.fd[1], 'x');
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // The child unlocked: the slot is free.
  CHECK_FALSE(store->try_lock("daily", "2026-11-28"));
}

TEST_CASE("the lock of a killed process is taken over", "[state][lock]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  test::open_store(path);
  Pipe up, down;
  pid_t child = fork_lock_holder(path, up, down);
  REQUIRE(read_byte(up.fd[0]) == 'L');
  ::kill(child, SIGKILL);
  REQUIRE(::waitpid(child, nullptr, 0) == child);

  auto store = test::open_store(path);
  CHECK_FALSE(store->try_lock("daily", "2026-11-28"));
  test::RawDb raw(path);
  CHECK(raw.count("SELECT pid FROM run_locks WHERE pipeline = 'daily'") == ::getpid());
}

TEST_CASE("a stale lock row of a dead pid is taken over", "[state][lock]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  auto store = test::open_store(path);
  pid_t dead = ::fork();  // a child that exits at once and is reaped: its pid is dead
  REQUIRE(dead >= 0);
  if (dead == 0) ::_exit(0);
  REQUIRE(::waitpid(dead, nullptr, 0) == dead);
  REQUIRE_FALSE(pid_alive(dead));

  test::RawDb raw(path);
  raw.exec("INSERT INTO run_locks VALUES('daily', '2026-11-28', " + std::to_string(dead) +
           ", '" + this_hostname() + "', '2026-11-28T00:00:00.000Z')");
  CHECK_FALSE(store->try_lock("daily", "2026-11-28"));
  CHECK(raw.count("SELECT pid FROM run_locks") == ::getpid());
}

TEST_CASE("a lock from another host counts as live", "[state][lock]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  auto store = test::open_store(path);
  test::RawDb raw(path);
  raw.exec("INSERT INTO run_locks VALUES('daily', '2026-11-28', 1, 'other-host.example', "
           "'2026-11-28T00:00:00.000Z')");
  auto holder = store->try_lock("daily", "2026-11-28");
  REQUIRE(holder);
  CHECK(holder->hostname == "other-host.example");
  CHECK(holder->pid == 1);
  // unlock removes only our own lock.
  store->unlock("daily", "2026-11-28");
  CHECK(raw.count("SELECT count(*) FROM run_locks") == 1);
}

TEST_CASE("the same process cannot take a pair twice until it unlocks", "[state][lock]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  CHECK_FALSE(store->try_lock("daily", "2026-11-28"));
  auto again = store->try_lock("daily", "2026-11-28");
  REQUIRE(again);
  CHECK(again->pid == ::getpid());
  store->unlock("daily", "2026-11-28");
  CHECK_FALSE(store->try_lock("daily", "2026-11-28"));
}
