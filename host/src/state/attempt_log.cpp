#include "state/attempt_log.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <iterator>
#include <unordered_map>

#include "util/json_escape.hpp"

namespace jobhost::state {
namespace {

// Positions within an entry.
enum Field { kTry, kJob, kAttempt, kState, kStartedAt, kEndedAt, kDuration, kError, kConfigHash, kFields, kExtra = kFields };

void append_string(std::string& out, std::string_view text) {
  out.push_back('"');
  util::append_json_escaped(out, text);
  out.push_back('"');
}

// A number and the comma after it, without a temporary string.
void append_number(std::string& out, int64_t value) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  *end++ = ',';
  out.append(buf, static_cast<size_t>(end - buf));
}

// Seconds to the microsecond, without trailing zeros: 0.41, 12.000305, 0.
void append_seconds(std::string& out, double seconds) {
  const auto micros = static_cast<int64_t>(std::llround(seconds * 1e6));
  append_number(out, micros / 1000000);
  out.pop_back();  // append_number's comma
  int64_t fraction = micros % 1000000;
  if (fraction == 0) return;
  int digits = 6;
  while (fraction % 10 == 0) {
    fraction /= 10;
    --digits;
  }
  char buf[8];
  auto end = std::to_chars(buf, buf + sizeof buf, fraction).ptr;
  out.push_back('.');
  out.append(static_cast<size_t>(digits - (end - buf)), '0');
  out.append(buf, static_cast<size_t>(end - buf));
}

void append_time(std::string& out, int64_t unix_ms) {
  if (unix_ms < 0)
    out.append("null,");
  else
    append_number(out, unix_ms);
}

std::string text_of(const boost::json::value& v) {
  if (const auto* s = v.if_string()) return std::string(s->data(), s->size());
  return {};
}

int64_t int_of(const boost::json::value& v) {
  if (const auto* i = v.if_int64()) return *i;
  if (const auto* u = v.if_uint64()) return static_cast<int64_t>(*u);
  if (const auto* d = v.if_double()) return static_cast<int64_t>(*d);
  return 0;
}

// (job, try, attempt); the job name is a view into the attempt's own row.
struct AttemptKey {
  std::string_view job;
  int try_number;
  int attempt;
  bool operator==(const AttemptKey&) const = default;
};
struct AttemptKeyHash {
  size_t operator()(const AttemptKey& k) const {
    return std::hash<std::string_view>()(k.job) ^
           (static_cast<size_t>(k.try_number) * 0x9E3779B97F4A7C15ull + static_cast<size_t>(k.attempt));
  }
};

// Unix ms, or -1 when not known (null, or not a number).
int64_t time_of(const boost::json::value& v) { return v.is_number() ? int_of(v) : -1; }

// A non-negative amount, or -1 when not known.
double amount_of(const boost::json::value& v) {
  if (!v.is_number()) return -1;
  const double d = v.to_number<double>();
  return d >= 0 ? d : -1;
}

// The optional object after the nine fields; every fact resets when absent (each entry is
// complete on its own).
void read_extra(const boost::json::object* x, AttemptRow& r) {
  r.key.clear();
  r.handle.clear();
  r.has_handle = false;
  r.next_poll_ms = -1;
  r.polls = 0;
  r.lost = false;
  r.moved_to = 0;
  r.usage = {};
  if (!x) {
    // Before schema v6 a lost attempt was marked by its error text alone.
    r.lost = r.state == "failed" && r.error == kHostLost;
    return;
  }
  if (auto* v = x->if_contains("key")) r.key = text_of(*v);
  if (auto* v = x->if_contains("handle")) {
    r.handle = text_of(*v);
    r.has_handle = true;
  }
  if (auto* v = x->if_contains("next_poll")) r.next_poll_ms = time_of(*v);
  if (auto* v = x->if_contains("polls")) r.polls = static_cast<uint32_t>(int_of(*v));
  if (auto* v = x->if_contains("lost")) r.lost = v->is_bool() && v->get_bool();
  if (auto* v = x->if_contains("moved_to")) r.moved_to = static_cast<int>(int_of(*v));
  if (auto* v = x->if_contains("rss")) r.usage.peak_rss_bytes = v->is_number() ? int_of(*v) : -1;
  if (auto* v = x->if_contains("cpu_user")) r.usage.cpu_user_seconds = amount_of(*v);
  if (auto* v = x->if_contains("cpu_sys")) r.usage.cpu_system_seconds = amount_of(*v);
}

[[noreturn]] void malformed(const sql::Db& db, int64_t row, const std::string& why) {
  throw StoreError("state store " + db.path() + ": attempt_log row " + std::to_string(row) +
                   " is malformed: " + why);
}

}  // namespace

void append_entry(std::string& entries, const AttemptEntry& e) {
  if (entries.size() > 1) entries.push_back(',');
  entries.push_back('[');
  append_number(entries, e.try_number);
  append_string(entries, e.job);
  entries.push_back(',');
  append_number(entries, e.attempt);
  append_string(entries, e.state);
  entries.push_back(',');
  append_time(entries, e.started_ms);
  append_time(entries, e.ended_ms);
  append_number(entries, e.duration_ms);
  append_string(entries, e.error);
  entries.push_back(',');
  append_string(entries, e.config_hash);
  if (!e.key.empty() || e.handle || e.next_poll_ms >= 0 || e.polls || e.lost || e.moved_to ||
      e.usage.known()) {
    entries.append(",{");
    const size_t open = entries.size();
    auto field = [&](const char* name) {
      if (entries.size() > open) entries.push_back(',');
      entries.append(name);
    };
    if (!e.key.empty()) {
      field("\"key\":");
      append_string(entries, e.key);
    }
    if (e.handle) {
      field("\"handle\":");
      append_string(entries, *e.handle);
    }
    if (e.next_poll_ms >= 0) {
      field("\"next_poll\":");
      append_number(entries, e.next_poll_ms);
      entries.pop_back();  // append_number's comma
    }
    if (e.polls) {
      field("\"polls\":");
      append_number(entries, e.polls);
      entries.pop_back();
    }
    if (e.lost) field("\"lost\":true");
    if (e.moved_to) {
      field("\"moved_to\":");
      append_number(entries, e.moved_to);
      entries.pop_back();
    }
    if (e.usage.peak_rss_bytes >= 0) {
      field("\"rss\":");
      append_number(entries, e.usage.peak_rss_bytes);
      entries.pop_back();
    }
    if (e.usage.cpu_user_seconds >= 0) {
      field("\"cpu_user\":");
      append_seconds(entries, e.usage.cpu_user_seconds);
    }
    if (e.usage.cpu_system_seconds >= 0) {
      field("\"cpu_sys\":");
      append_seconds(entries, e.usage.cpu_system_seconds);
    }
    entries.push_back('}');
  }
  entries.push_back(']');
}

void insert_log_row(sql::Stmt& insert, const std::string& run_id, const std::string& entries) {
  insert.bind_ref(1, run_id).bind_ref(2, entries);
  insert.run();
}

std::vector<AttemptRow> load_attempts(sql::Db& db, const std::string& run_id,
                                      const std::string* job) {
  // With a job: skip, unparsed, the log rows whose text does not hold its name as a JSON
  // string. A name inside an error text is escaped differently, so it does not match; a
  // match only means "parse this row".
  sql::Stmt st(db, job ? "SELECT id, entries FROM attempt_log "
                         "WHERE run_id = ?1 AND instr(entries, ?2) > 0 ORDER BY id"
                       : "SELECT id, entries FROM attempt_log WHERE run_id = ?1 ORDER BY id");
  st.bind(1, run_id);
  std::string quoted_job;
  if (job) {
    append_string(quoted_job, *job);
    st.bind(2, quoted_job);
  }

  std::deque<AttemptRow> rows;  // stable addresses: the index keys view their job names
  std::unordered_map<AttemptKey, AttemptRow*, AttemptKeyHash> index;
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;  // error texts are stored as jobs wrote them
  while (st.step()) {
    const int64_t row_id = st.int64(0);
    boost::json::monotonic_resource arena;
    boost::json::error_code ec;
    boost::json::value doc = boost::json::parse(st.text_view(1), ec, &arena, options);
    if (ec) malformed(db, row_id, ec.message());
    const auto* entries = doc.if_array();
    if (!entries) malformed(db, row_id, "not a JSON array");
    int64_t position = 0;
    for (const auto& v : *entries) {
      const auto* e = v.if_array();
      if (!e || e->size() < kFields) malformed(db, row_id, "an entry is not an array of 9");
      const auto* name = (*e)[kJob].if_string();
      if (!name) malformed(db, row_id, "an entry has no job name");
      const std::string_view job_name(name->data(), name->size());
      const int64_t seq = (row_id << kSeqPositionBits) + position++;
      if (job && job_name != *job) continue;
      const auto try_number = static_cast<int>(int_of((*e)[kTry]));
      const auto attempt = static_cast<int>(int_of((*e)[kAttempt]));

      auto it = index.find({job_name, try_number, attempt});
      if (it == index.end()) {
        AttemptRow& added = rows.emplace_back();
        added.first_seq = seq;
        added.job.assign(job_name);
        added.try_number = try_number;
        added.attempt = attempt;
        it = index.emplace(AttemptKey{added.job, try_number, attempt}, &added).first;
      }
      AttemptRow& r = *it->second;
      r.seq = seq;
      r.state = text_of((*e)[kState]);
      r.started_ms = time_of((*e)[kStartedAt]);
      r.ended_ms = time_of((*e)[kEndedAt]);
      r.duration_ms = int_of((*e)[kDuration]);
      r.error = text_of((*e)[kError]);
      r.config_hash = text_of((*e)[kConfigHash]);
      read_extra(e->size() > kExtra ? (*e)[kExtra].if_object() : nullptr, r);
    }
  }
  index.clear();  // its keys view into `rows`
  std::vector<AttemptRow> sorted(std::make_move_iterator(rows.begin()),
                                 std::make_move_iterator(rows.end()));
  // An attempt recorded again later (a long attempt's end) moves to its newest entry.
  std::sort(sorted.begin(), sorted.end(),
            [](const AttemptRow& a, const AttemptRow& b) { return a.seq < b.seq; });
  return sorted;
}

}  // namespace jobhost::state
