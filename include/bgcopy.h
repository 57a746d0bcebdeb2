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

/** Major version of these headers. */
#define BGCOPY_VERSION_MAJOR 0
/** Minor version of these headers. */
#define BGCOPY_VERSION_MINOR 1
/** Patch version of these headers. */
#define BGCOPY_VERSION_PATCH 0
/** The version of these headers as a string. */
#define BGCOPY_VERSION_STRING "0.1.0"

BGCOPY_BEGIN_DECLS

/** The library's version string ("0.1.0"); static storage.
 * @return the version of the library that is running. */
BGCOPY_EXTERN const char *bgcopy_version(void);

BGCOPY_END_DECLS

#endif /* BGCOPY_H */
