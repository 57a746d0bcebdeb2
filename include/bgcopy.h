/** @file bgcopy.h
 * bgcopy.h - umbrella header of bgcopy, a portable implementation of the
 * Background Intelligent Transfer Service (BITS) job model.
 *
 * Include this one header. The API mirrors the BITS COM interfaces:
 * IBackgroundCopyManager (bgcopy/manager.h), IBackgroundCopyJob, File, Error
 * and the callbacks (bgcopy/job.h), with Windows' HRESULT values
 * (bgcopy/errors.h) and enumeration values (bgcopy/types.h). The simulation
 * harness for deterministic tests is in bgcopy/sim.h.
 */
#ifndef BGCOPY_H
#define BGCOPY_H

#include "bgcopy/export.h"
#include "bgcopy/errors.h"
#include "bgcopy/types.h"
#include "bgcopy/manager.h"
#include "bgcopy/job.h"
#include "bgcopy/sim.h"

/* The version: the one source of truth. CMakeLists.txt reads these four lines
 * for project(VERSION), the shared library's version and SONAME
 * (libbgcopy.so.<MAJOR>), bgcopy.pc and the CMake package version, and fails
 * when the string disagrees with the numbers. The major number changes with
 * every incompatible change of the API or ABI. */

/** Major version of these headers. */
#define BGCOPY_VERSION_MAJOR 0
/** Minor version of these headers. */
#define BGCOPY_VERSION_MINOR 1
/** Patch version of these headers. */
#define BGCOPY_VERSION_PATCH 0
/** The version of these headers as a string: "MAJOR.MINOR.PATCH". */
#define BGCOPY_VERSION_STRING "0.1.0"

/** A version as one comparable number, 0xMMmmpp (each part 0-255).
 * @param major the major version.
 * @param minor the minor version.
 * @param patch the patch version. */
#define BGCOPY_VERSION_ENCODE(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))

/** The version of these headers as one number, for compile-time checks:
 * `#if BGCOPY_VERSION_NUMBER >= BGCOPY_VERSION_ENCODE(0, 2, 0)`. */
#define BGCOPY_VERSION_NUMBER \
    BGCOPY_VERSION_ENCODE(BGCOPY_VERSION_MAJOR, BGCOPY_VERSION_MINOR, BGCOPY_VERSION_PATCH)

BGCOPY_BEGIN_DECLS

/** The library's version string ("0.1.0"); static storage. Compare it with
 * BGCOPY_VERSION_STRING to find a program running against another version of
 * the library than the one it was compiled with. Any thread.
 * @return the version of the library that is running. */
BGCOPY_EXTERN const char *bgcopy_version(void);

BGCOPY_END_DECLS

#endif /* BGCOPY_H */
