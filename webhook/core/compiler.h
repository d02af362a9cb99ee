/*
 * compiler.h - attributes shared by every layer.
 *
 * GMW_MUST_CHECK marks a function whose result must be looked at: every fallible public
 * function (0 or a negative errno, or a pointer that is NULL on failure). Dropping such
 * a result is a compile error under -Werror (as curl's dynbuf does it).
 */
#ifndef GMW_COMPILER_H
#define GMW_COMPILER_H

#if defined(__GNUC__) || defined(__clang__)
#define GMW_MUST_CHECK __attribute__((warn_unused_result))
#else
#define GMW_MUST_CHECK
#endif

#endif
