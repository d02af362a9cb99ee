/*
 * jarena.h - a per-thread bump allocator for jansson, scoped to one admission.
 *
 * Parsing a 5.6 KB AdmissionReview with jansson makes several hundred small allocations
 * that all die together when the review is answered; through malloc they cost about as much
 * as the parse itself (docs/benchmarks.md). Once gmw_jarena_install() has made these
 * functions jansson's allocator, every jansson allocation made on a thread between
 * gmw_jarena_begin() and the matching gmw_jarena_end() is carved from that thread's arena
 * (64 KiB chunks, 16-byte aligned), json_decref inside the scope frees nothing (the last
 * allocation is given back, so jansson's growing string buffers do not waste the chunk), and
 * gmw_jarena_end() releases everything at once (keeping one chunk for the next admission).
 * Outside a scope, or on a thread with no scope open, the functions are malloc and free.
 *
 * Contract for code inside a scope: no jansson value (nor a string jansson allocated, such
 * as json_dumps' result) may outlive the scope or be freed with free(): use json_decref and
 * json_dumpb into your own buffer. Scopes nest (only the outermost end releases). Without
 * gmw_jarena_install() (as in the unit tests, which install failing allocators of their
 * own) begin/end only count and change nothing.
 */
#ifndef GMW_JARENA_H
#define GMW_JARENA_H

#include <stdbool.h>
#include <stddef.h>

/* Make the arena jansson's allocator (json_set_alloc_funcs). Call once at startup, before
 * any jansson value exists. */
void gmw_jarena_install(void);

/* Open / close a scope on the calling thread. */
void gmw_jarena_begin(void);
void gmw_jarena_end(void);

/* True when jansson allocations on this thread currently go to the arena (installed and a
 * scope open): then json_decref of a tree built in the scope can be skipped. */
bool gmw_jarena_active(void);

/* The allocator itself (what gmw_jarena_install hands to jansson). */
void *gmw_jarena_malloc(size_t size);
void gmw_jarena_free(void *ptr);

#endif
