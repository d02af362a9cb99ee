/*
 * listen.h - the listen address syntax shared by the config loader (checked at load
 * time) and the server (which binds it):
 *
 *   ":PORT"          all interfaces (IPv6 and IPv4)
 *   "HOST:PORT"      HOST a host name or dotted IPv4 address ([A-Za-z0-9.-], labels
 *                    of 1..63 characters not starting or ending in '-', at most 253)
 *   "[IPV6]:PORT"    a literal IPv6 address in brackets (no zone index)
 *
 * PORT is 1..5 decimal digits, 0..65535 (0 = any free port).
 *
 * Pure: no I/O, no name resolution.
 */
#ifndef GMW_LISTEN_H
#define GMW_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/*
 * Parse listen into host ("" for all interfaces; brackets removed) and port.
 * Returns 0, or -EINVAL with *why (if why is not NULL) set to a static one-line
 * reason; host and *port are only written on success. hostcap must hold the host
 * and its NUL (256 always suffices), otherwise -EINVAL ("host too long").
 */
GMW_MUST_CHECK int gmw_listen_parse(const char *listen, char *host, size_t hostcap, uint16_t *port,
                                    const char **why);

#endif
