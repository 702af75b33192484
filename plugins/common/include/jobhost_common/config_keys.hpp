// Config validation shared by the data job types: a typo in a key must fail loudly, not be
// silently ignored.
#pragma once

#include <jobhost/sdk.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace jobhost::common {

// Throws FatalError "config: unknown key '<table>.<key>' (valid keys: a, b, c)" for the first
// key of the table at `table_path` ("" = the whole config) that is not in `valid`.
void reject_unknown_keys(const Context& ctx, std::string_view table_path,
                         std::initializer_list<std::string_view> valid);
void reject_unknown_keys(const Context& ctx, std::string_view table_path, const std::vector<std::string>& valid);

// "a.b" or "b" when the prefix is empty; "a[1].b" for array elements.
std::string join_path(std::string_view prefix, std::string_view key);

// A required non-empty string.
std::string require_string(const Context& ctx, std::string_view path);

}  // namespace jobhost::common
