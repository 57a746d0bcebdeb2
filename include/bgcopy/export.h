/** @file bgcopy/export.h
 * bgcopy/export.h - symbol visibility for the public API.
 *
 * Every public function is declared with BGCOPY_EXTERN. Shared builds define
 * BGCOPY_BUILDING_SHARED while compiling the library (the CMake target does
 * this); consumers of a Windows DLL define BGCOPY_USING_SHARED. Elsewhere the
 * library is compiled with -fvisibility=hidden so only these names export.
 */
#ifndef BGCOPY_EXPORT_H
#define BGCOPY_EXPORT_H

/** @def BGCOPY_EXTERN
 * Marks a public function: dllexport while the Windows DLL is built
 * (BGCOPY_BUILDING_SHARED), dllimport for its consumers (BGCOPY_USING_SHARED),
 * default visibility with GCC and Clang, nothing elsewhere. */
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

/** @def BGCOPY_BEGIN_DECLS
 * Opens the declarations of a header: `extern "C" {` in C++, nothing in C. */
/** @def BGCOPY_END_DECLS
 * Closes what BGCOPY_BEGIN_DECLS opened. */
#ifdef __cplusplus
#define BGCOPY_BEGIN_DECLS extern "C" {
#define BGCOPY_END_DECLS   }
#else
#define BGCOPY_BEGIN_DECLS
#define BGCOPY_END_DECLS
#endif

#endif /* BGCOPY_EXPORT_H */
