/* bgcopy/export.h - symbol visibility for the public API.
 *
 * Every public function is declared with BGCOPY_EXTERN. Shared builds define
 * BGCOPY_BUILDING_SHARED while compiling the library (the CMake target does
 * this); consumers of a Windows DLL define BGCOPY_USING_SHARED. Elsewhere the
 * library is compiled with -fvisibility=hidden so only these names export.
 */
#ifndef BGCOPY_EXPORT_H
#define BGCOPY_EXPORT_H

#if defined(_WIN32)
#if defined(BGCOPY_BUILDING_SHARED)
#define BGCOPY_EXTERN __declspec(dllexport)
#elif defined(BGCOPY_USING_SHARED)
#define BGCOPY_EXTERN __declspec(dllimport)
#else
#define BGCOPY_EXTERN
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define BGCOPY_EXTERN __attribute__((visibility("default")))
#else
#define BGCOPY_EXTERN
#endif

#ifdef __cplusplus
#define BGCOPY_BEGIN_DECLS extern "C" {
#define BGCOPY_END_DECLS   }
#else
#define BGCOPY_BEGIN_DECLS
#define BGCOPY_END_DECLS
#endif

#endif /* BGCOPY_EXPORT_H */
