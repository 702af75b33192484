// Text into HTML for the status page: every value from a pipeline file, a job or the store is
// escaped through here, so a job's error or output cannot inject markup.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jobhost::serve {

// & < > " ' as character references: safe in element text and in quoted attribute values.
std::string html_escape(std::string_view text);

// True for an absolute http:// or https:// URL without whitespace or control characters: the
// only outputs shown as links (never javascript:, data: or relative ones).
bool is_web_url(std::string_view text);

// An output value as HTML: a link when is_web_url, else escaped text.
std::string output_html(std::string_view value);

// 850 -> "850 ms", 1500 -> "1.5 s", 185000 -> "3 m 05 s", 3720000 -> "1 h 02 m".
std::string format_duration_ms(int64_t ms);

}  // namespace jobhost::serve
