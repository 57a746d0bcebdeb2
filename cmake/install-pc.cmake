# cmake/install-pc.cmake - install-time step that writes and installs bgcopy.pc.
#
# Runs inside cmake_install.cmake (install(SCRIPT) in CMakeLists.txt), after an install(CODE)
# block has set BGCOPY_PC_TEMPLATE (cmake/bgcopy.pc.in), BGCOPY_PC_STAGING (a directory of the
# build tree), BGCOPY_PC_VERSION, BGCOPY_PC_REQUIRES_PRIVATE, BGCOPY_PC_LIBS_PRIVATE and the
# install directories BGCOPY_PC_LIBDIR_REL / BGCOPY_PC_INCLUDEDIR_REL (relative to the prefix, or
# absolute). CMAKE_INSTALL_PREFIX is the prefix of this install - the configured one, or the one
# given to `cmake --install --prefix` - so the .pc names the directories the files really went
# to. file(INSTALL) adds DESTDIR, prints the usual "-- Installing:" line and records the file in
# install_manifest.txt.

set(BGCOPY_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
foreach(_dir LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${BGCOPY_PC_${_dir}_REL}")
        set(BGCOPY_PC_${_dir} "${BGCOPY_PC_${_dir}_REL}")
    else()
        set(BGCOPY_PC_${_dir} "\${prefix}/${BGCOPY_PC_${_dir}_REL}")
    endif()
endforeach()
if(IS_ABSOLUTE "${BGCOPY_PC_LIBDIR_REL}")
    set(_pc_destination "${BGCOPY_PC_LIBDIR_REL}/pkgconfig")
else()
    set(_pc_destination "${CMAKE_INSTALL_PREFIX}/${BGCOPY_PC_LIBDIR_REL}/pkgconfig")
endif()

configure_file("${BGCOPY_PC_TEMPLATE}" "${BGCOPY_PC_STAGING}/bgcopy.pc" @ONLY)
file(INSTALL DESTINATION "${_pc_destination}" TYPE FILE FILES "${BGCOPY_PC_STAGING}/bgcopy.pc")
