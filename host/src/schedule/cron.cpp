// Parsing cron expressions into bit sets (Cron::Fields), and matching wall-clock minutes.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "config/diagnostics.hpp"  // closest_match, for did-you-mean
#include "schedule/cron_fields.hpp"

namespace jobhost::schedule {

namespace {

constexpr std::array<const char*, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 7> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldDef {
  const char* name;  // as messages name it
  unsigned min, max;
  unsigned star_max;                   // the top of '*' (day-of-week: 6, though 7 is allowed)
  const char* const* names = nullptr;  // names[i] is the value names_base + i
  size_t name_count = 0;
  unsigned names_base = 0;
};

const FieldDef kFieldDefs[5] = {
    {"minute", 0, 59, 59},
    {"hour", 0, 23, 23},
    {"day-of-month", 1, 31, 31},
    {"month", 1, 12, 12, kMonthNames.data(), kMonthNames.size(), 1},
    {"day-of-week", 0, 7, 6, kDayNames.data(), kDayNames.size(), 0},
};

// One field's text ("1-30/5,45") into a bit set; every error names the field and its text.
class FieldParser {
 public:
  FieldParser(const FieldDef& def, std::string_view text) : def_(def), text_(text) {}

  uint64_t parse() const {
    uint64_t bits = 0;
    size_t start = 0;
    while (true) {
      size_t comma = text_.find(',', start);
      std::string_view item = text_.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (item.empty()) fail("empty item in the list");
      bits |= parse_item(item);
      if (comma == std::string_view::npos) return bits;
      start = comma + 1;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ScheduleError("cron: " + std::string(def_.name) + " field '" + std::string(text_) +
                        "': " + what);
  }

  // "*", "a", "a-b", each with an optional "/step"; "a/step" means a through the maximum.
  uint64_t parse_item(std::string_view item) const {
    std::string_view base = item, step_text;
    const bool has_step = item.find('/') != std::string_view::npos;
    if (has_step) {
      base = item.substr(0, item.find('/'));
      step_text = item.substr(item.find('/') + 1);
      if (step_text.find('/') != std::string_view::npos)
        fail("'" + std::string(item) + "' has more than one '/'");
      if (base.empty()) fail("'" + std::string(item) + "' needs '*' or a range before '/'");
    }
    unsigned lo, hi;
    if (base == "*") {
      lo = def_.min;
      hi = def_.star_max;
    } else if (auto dash = base.find('-'); dash != std::string_view::npos) {
      lo = value(base.substr(0, dash));
      std::string_view end = base.substr(dash + 1);
      hi = value(end);
      // "fri-sun": Sunday ends a weekday range as 7, so the range runs forwards.
      if (def_.names == kDayNames.data() && hi == 0 && lo > 0 && !is_number(end)) hi = 7;
      if (lo > hi)
        fail("range " + std::string(base) + " runs backwards (write it as two ranges, e.g. " +
             std::to_string(lo) + "-" + std::to_string(def_.max) + "," + std::to_string(def_.min) +
             "-" + std::to_string(hi) + ")");
    } else {
      lo = value(base);
      hi = has_step ? def_.max : lo;
    }
    const unsigned step = has_step ? parse_step(step_text) : 1;
    uint64_t bits = 0;
    for (unsigned v = lo; v <= hi; v += step) bits |= uint64_t{1} << v;
    return bits;
  }

  static bool is_number(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  }

  unsigned parse_step(std::string_view s) const {
    if (!is_number(s)) fail("step '" + std::string(s) + "' is not a number");
    const unsigned long span = def_.max - def_.min + 1;
    const unsigned long v = s.size() > 4 ? 99999 : std::stoul(std::string(s));
    if (v == 0 || v > span)
      fail("step " + std::string(s) + " is out of range 1-" + std::to_string(span));
    return static_cast<unsigned>(v);
  }

  // A number or (month and day-of-week) a three-letter name, checked against the range.
  unsigned value(std::string_view token) const {
    if (token.empty()) fail("a range needs a value on both sides of '-'");
    if (is_number(token)) {
      const unsigned long v = token.size() > 4 ? 99999 : std::stoul(std::string(token));
      if (v < def_.min || v > def_.max)
        fail(std::string(token) + " is out of range " + std::to_string(def_.min) + "-" +
             std::to_string(def_.max));
      return static_cast<unsigned>(v);
    }
    const bool word = std::all_of(token.begin(), token.end(),
                                  [](unsigned char c) { return std::isalpha(c) != 0; });
    if (!def_.names || !word)
      fail("'" + std::string(token) + "' is not a number" + (def_.names ? " or a name" : ""));
    std::string lower(token);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::vector<std::string> names(def_.names, def_.names + def_.name_count);
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == lower) return def_.names_base + static_cast<unsigned>(i);
    const std::string hint = closest_match(lower, names);
    fail("unknown name '" + std::string(token) + "'" +
         (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }

  const FieldDef& def_;
  std::string_view text_;
};

struct Macro {
  const char* name;
  const char* expression;
};
const Macro kMacros[] = {
    {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},   {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
};

std::string_view expand_macro(std::string_view text) {
  for (auto& m : kMacros)
    if (text == m.name) return m.expression;
  std::vector<std::string> names;
  for (auto& m : kMacros) names.emplace_back(m.name);
  const std::string hint = closest_match(std::string(text), names);
  throw ScheduleError("cron: unknown macro '" + std::string(text) + "'" +
                      (hint.empty() ? " (known: @hourly @daily @midnight @weekly @monthly @yearly "
                                      "@annually)"
                                    : " (did you mean '" + hint + "'?)"));
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

Cron::Cron() : fields_(std::make_unique<Fields>()) {}
Cron::~Cron() = default;
Cron::Cron(const Cron& o)
    : expression_(o.expression_),
      wildcard_(o.wildcard_),
      fields_(std::make_unique<Fields>(*o.fields_)) {}
Cron& Cron::operator=(const Cron& o) {
  if (this != &o) *this = Cron(o);
  return *this;
}
Cron::Cron(Cron&&) noexcept = default;
Cron& Cron::operator=(Cron&&) noexcept = default;

Cron Cron::parse(std::string_view expression) {
  const auto words = split_fields(expression);
  if (words.empty())
    throw ScheduleError("cron: the expression is empty (write e.g. \"0 6 * * *\" or \"@daily\")");
  std::string_view body = expression;
  Cron cron;
  cron.expression_ = std::string(words.front());
  for (size_t i = 1; i < words.size(); ++i) cron.expression_ += " " + std::string(words[i]);
  if (words.size() == 1 && words.front().front() == '@') body = expand_macro(words.front());
  const auto fields = split_fields(body);
  if (fields.size() != 5)
    throw ScheduleError(
        "cron: expected 5 fields (minute hour day-of-month month day-of-week), got " +
        std::to_string(fields.size()) + " in '" + cron.expression_ + "'" +
        (fields.size() == 6 ? " (a seconds field is not supported)" : ""));
  uint64_t bits[5];
  for (size_t i = 0; i < 5; ++i) bits[i] = FieldParser(kFieldDefs[i], fields[i]).parse();
  Fields& f = *cron.fields_;
  f.minutes = bits[0];
  f.hours = static_cast<uint32_t>(bits[1]);
  f.days = static_cast<uint32_t>(bits[2]);
  f.months = static_cast<uint16_t>(bits[3]);
  f.weekdays = static_cast<uint8_t>((bits[4] | bits[4] >> 7) & 0x7f);  // 7 is Sunday too
  f.days_star = fields[2].front() == '*';
  f.weekdays_star = fields[4].front() == '*';
  cron.wildcard_ = fields[0].front() == '*' || fields[1].front() == '*';
  return cron;
}

bool Cron::matches(int /*year: no field for it*/, unsigned month, unsigned day, unsigned weekday,
                   unsigned hour, unsigned minute) const {
  if (month < 1 || month > 12 || day < 1 || day > 31 || weekday > 6 || hour > 23 || minute > 59)
    return false;
  return fields_->day_matches(month, day, weekday) && (fields_->hours >> hour & 1u) &&
         (fields_->minutes >> minute & 1u);
}

bool Cron::ever_matches() const {
  const LocalSeconds from{date::local_days{date::year{2000} / 1 / 1}};
  const LocalSeconds until{date::local_days{date::year{2400} / 1 / 1}};
  return next_match(*fields_, from, until).has_value();
}

}  // namespace jobhost::schedule
