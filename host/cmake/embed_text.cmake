# cmake -DINPUT=file -DOUTPUT=file.cpp -DHEADER=dir/x.hpp -DFUNCTION=ns::name -P embed_text.cmake
# Writes a C++ source whose FUNCTION() (declared in HEADER as `std::string_view FUNCTION()`)
# returns INPUT's bytes. Bytes, not a raw string literal: any content embeds unchanged.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Lines of 32 bytes keep the generated file readable in a diff or a debugger.
string(REGEX REPLACE "((0x..,){32})" "\\1\n  " bytes "${bytes}")
get_filename_component(source_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${source_name} by host/cmake/embed_text.cmake. Do not edit.
#include \"${HEADER}\"

namespace {
// NUL-terminated so that an empty file still makes an array.
constexpr unsigned char kBytes[] = {
  ${bytes}0x00};
}  // namespace

std::string_view ${FUNCTION}() {
  return {reinterpret_cast<const char*>(kBytes), sizeof kBytes - 1};
}
")
# Only a changed output triggers a recompile.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
