// Quoting of SQL identifiers and literals for SQL the plugins build from config.
#pragma once

#include <string>
#include <string_view>

namespace jobhost::sql {

// "name" with embedded double quotes doubled: safe for any table or column name.
std::string quote_ident(std::string_view name);
// 'text' with embedded single quotes doubled.
std::string quote_literal(std::string_view text);
// True for [A-Za-z_][A-Za-z0-9_]*: what config may use as a bare column name.
bool is_plain_identifier(std::string_view name);
// Case-insensitive ASCII comparison, as SQLite compares identifiers.
bool same_identifier(std::string_view a, std::string_view b);

}  // namespace jobhost::sql
