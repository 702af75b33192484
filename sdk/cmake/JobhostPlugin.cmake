# jobhost_add_plugin(<name> SOURCES <src>... [LINK_LIBRARIES <lib>...] [OUTPUT_DIRECTORY <dir>])
#
# Builds a loadable plugin module <name>.so that exports only `jobhost_plugin_entry`:
# hidden visibility, a linker version script, and -z defs so an unresolved symbol fails the
# build instead of the load.
include_guard(GLOBAL)
set(_JOBHOST_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/jobhost_plugin.map" CACHE INTERNAL "")

function(jobhost_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LINK_LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "jobhost_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE JobhostSDK::sdk ${ARG_LINK_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${_JOBHOST_PLUGIN_MAP}")
  if(NOT APPLE AND NOT WIN32)
    target_link_options(${name} PRIVATE
      "LINKER:--version-script=${_JOBHOST_PLUGIN_MAP}" "LINKER:-z,defs")
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  elseif(DEFINED JOBHOST_PLUGIN_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${JOBHOST_PLUGIN_OUTPUT_DIRECTORY}")
  endif()
endfunction()
