#include "state/crash_records.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include "state/attempt_log.hpp"  // kHostLost

namespace jobhost::state {
namespace {

bool parse_int(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t from = 0;
  for (size_t tab; (tab = line.find('\t', from)) != std::string_view::npos; from = tab + 1)
    fields.push_back(line.substr(from, tab - from));
  fields.push_back(line.substr(from));
  return fields;
}

// One line (without its '\n'); nothing when it is not a complete, well-formed record.
std::optional<CrashRecord> parse_line(std::string_view line) {
  auto f = split_tabs(line);
  if (f.size() != 8 || f[0] != kCrashLineTag) return std::nullopt;
  CrashRecord r;
  int64_t signal = 0;
  if (!parse_int(f[1], r.pid) || !parse_int(f[2], signal) || f[3].empty()) return std::nullopt;
  r.signal = static_cast<int>(signal);
  r.signal_name = f[3];
  const bool outside_job = f[4].empty() && f[5].empty() && f[6].empty() && f[7].empty();
  if (outside_job) return r;
  int64_t try_number = 0, attempt = 0;
  if (f[4].empty() || f[6].empty() || !parse_int(f[5], try_number) || !parse_int(f[7], attempt))
    return std::nullopt;
  r.run_id = f[4];
  r.try_number = static_cast<int>(try_number);
  r.job = f[6];
  r.attempt = static_cast<int>(attempt);
  return r;
}

}  // namespace

std::string CrashRecord::signal_text() const {
  return "signal " + std::to_string(signal) + " (" + signal_name + ")";
}

std::string crash_dir_for_store(const std::string& store_path) {
  return (std::filesystem::path(store_path).parent_path() / "crashes").string();
}

std::string crash_file_path(const std::string& crash_dir, int64_t pid) {
  return (std::filesystem::path(crash_dir) / (std::to_string(pid) + ".crash")).string();
}

std::vector<CrashRecord> read_crash_records(const std::string& crash_dir, int64_t pid) {
  if (pid <= 0) return {};
  std::ifstream in(crash_file_path(crash_dir, pid), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  std::vector<CrashRecord> records;
  // Only lines ended by '\n': a write cut short by the dying process is not a record.
  size_t from = 0;
  for (size_t nl; (nl = all.find('\n', from)) != std::string::npos; from = nl + 1) {
    auto r = parse_line(std::string_view(all).substr(from, nl - from));
    if (r && r->pid == pid) records.push_back(std::move(*r));
  }
  return records;
}

CrashVerdict::CrashVerdict(const std::vector<CrashRecord>& records, std::string run_id,
                           int try_number) {
  if (records.empty()) return;
  // A process dies of its first fatal signal: the newest record is that one (older ones can
  // only be from an earlier process with the same pid whose records were never applied).
  crashed_ = true;
  record_ = records.back();
  this_try_ = record_.run_id == run_id && record_.try_number == try_number;
}

std::string CrashVerdict::error_for(const std::string& job, int attempt) const {
  if (!crashed_) return kHostLost;
  if (this_try_ && record_.job == job && record_.attempt == attempt)
    return "host crashed during job " + job + ": " + record_.signal_text();
  std::string where = !record_.in_job() ? "outside any job"
                      : this_try_       ? "during job " + record_.job
                                        : "during job " + record_.job + " of run " + record_.run_id;
  return std::string(kHostLost) + " (it crashed " + where + ": " + record_.signal_text() + ")";
}

std::string CrashVerdict::summary() const {
  if (!crashed_) return "";
  if (!record_.in_job()) return "host crashed outside any job: " + record_.signal_text();
  return "host crashed during job " + record_.job +
         (this_try_ ? "" : " of run " + record_.run_id) + ": " + record_.signal_text();
}

}  // namespace jobhost::state
