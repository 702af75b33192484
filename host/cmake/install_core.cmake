# Installs the core library for C++ programs that embed jobhost (the fluent API):
#   find_package(Jobhost CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE jobhost::core)
# jobhost_core is static, so its private dependencies are link dependencies of every consumer:
# JobhostConfig.cmake finds them again, from the same Debian packages as this build.
include(CMakePackageConfigHelpers)

set(_jobhost_cfgdir ${CMAKE_INSTALL_LIBDIR}/cmake/Jobhost)

set_target_properties(jobhost_core PROPERTIES EXPORT_NAME core)
set_target_properties(jobhost_sdk PROPERTIES EXPORT_NAME sdk)
# jobhost_warnings is a private link item of jobhost_core, and a static library's private link
# items are exported as $<LINK_ONLY:...>, so CMake needs it in the export set. LINK_ONLY carries
# no compile options and an INTERFACE library links nothing: consumers get no flags from it.
set_target_properties(jobhost_warnings PROPERTIES EXPORT_NAME internal_warnings)
install(TARGETS jobhost_core jobhost_sdk jobhost_warnings EXPORT JobhostTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT JobhostTargets NAMESPACE jobhost:: FILE JobhostTargets.cmake
        DESTINATION ${_jobhost_cfgdir})

# The public headers (abi.h and sdk.hpp come with the SDK's own install rules).
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/include/jobhost/pipeline.hpp
              ${CMAKE_CURRENT_BINARY_DIR}/generated/jobhost/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/jobhost)

configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/JobhostConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/JobhostConfig.cmake
  INSTALL_DESTINATION ${_jobhost_cfgdir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/JobhostConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/JobhostConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/JobhostConfigVersion.cmake
        DESTINATION ${_jobhost_cfgdir})
