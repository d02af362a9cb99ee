/*
 * compiler.h - compiler attributes shared by every layer.
 *
 * GMW_MUST_CHECK marks a function whose result must not be ignored (it reports a
 * failure the caller has to handle): dropping it is a -Werror build failure. A caller
 * that really has nothing to do on failure says so with an explicit check.
 */
#ifndef GMW_COMPILER_H
#define GMW_COMPILER_H

#if defined(__GNUC__) || defined(__clang__)
#define GMW_MUST_CHECK __attribute__((warn_unused_result))
#else
#define GMW_MUST_CHECK
#endif

#endif
