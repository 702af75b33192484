// What `--date` names: a run's logical date or time. With the pipeline name it identifies the
// run (its row in the run store, its run lock, its run id). It has one of two forms, its key:
//   - a date, YYYY-MM-DD: the only form before sub-daily schedules. Kept exactly as it is, so
//     the run ids, store rows and templates of date runs do not change;
//   - an instant, normalised to UTC as YYYY-MM-DDTHH:MM:SSZ (given with Z or an offset).
// The form is part of the identity: the date 2026-12-01 and the instant 2026-12-01T00:00:00Z
// are two different runs. Keys of one form sort in time order as text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jobhost {

// For messages: the forms normalize_logical_time accepts.
inline constexpr const char* kLogicalTimeForms =
    "give a date YYYY-MM-DD, or an ISO instant like 2026-12-01T13:00:00Z or "
    "2026-12-01T14:00:00+01:00";

// The key of `text`: a real calendar date as it is, or an instant ("2026-12-01T14:00:00+01:00",
// "2026-12-01T13:00Z") in UTC with seconds ("2026-12-01T13:00:00Z"). nullopt when it is
// neither, with `error` (when not null) saying what is wrong, e.g. "'2026-12-01T13:00:00' has
// no UTC offset (add Z, or one like +01:00)".
std::optional<std::string> normalize_logical_time(std::string_view text, std::string* error);

// As normalize_logical_time, but always an instant: a date stands for its midnight UTC. For the
// bounds of a data interval.
std::optional<std::string> normalize_instant(std::string_view text, std::string* error);

// The key is a date (YYYY-MM-DD), not an instant.
bool is_date_key(std::string_view key);
// The date of the key: {{ run.logical_date }}, and what job types see as the logical date.
std::string logical_date_of(std::string_view key);
// The key as an instant: {{ run.logical_time }}; a date's is its midnight UTC.
std::string logical_time_of(std::string_view key);

// What a run's data covers when nobody says: a date's UTC day, [D 00:00Z, D+1 00:00Z); an
// instant's [t, t]. A schedule sets it to (previous fire time, this one).
struct DataInterval {
  std::string start, end;  // instants, YYYY-MM-DDTHH:MM:SSZ
};
DataInterval default_data_interval(std::string_view key);

// The key's part of a run id: YYYYMMDD for a date (as ever), YYYYMMDDTHHMMSSZ for an instant
// (ISO 8601 basic format: no ':', so run ids stay valid file names).
std::string run_id_stamp(std::string_view key);

}  // namespace jobhost
