/*
 * advice.h - warnings about the known GOMEMLIMIT / GOGC pitfalls, one line per pitfall and
 * container, saying why it hurts and what to do instead (docs/annotations.md "Advice"):
 *
 *   near-limit   GOMEMLIMIT at or above 95 % of limits.memory (the webhook's ratio >= 0.95,
 *                the memory-limit annotation, a user value, or valueFrom.resourceFieldRef
 *                limits.memory): the GC thrashes near the hard limit.
 *   low-gogc     GOGC below 25 (0..24): the GC runs almost constantly.
 *   gogc-off     GOGC=off (or negative) without a GOMEMLIMIT in effect: the heap grows until
 *                the OOM kill.
 *   low-request  requests.memory below half of GOMEMLIMIT: the Pod is evicted first under
 *                node memory pressure.
 *   tiny-heap    GOMEMLIMIT below 32 MiB: the runtime's own memory leaves the heap almost
 *                nothing and the GC runs constantly.
 *
 * Every advice warning starts with "gomemlimit: container NAME: advice: ".
 *
 * Pure: no I/O, no allocation besides the warnings list.
 */
#ifndef GMW_ADVICE_H
#define GMW_ADVICE_H

#include <jansson.h>
#include <stdint.h>

#include "warnings.h"

/* GOMEMLIMIT below this leaves the heap almost no room (tiny-heap). */
#define GMW_ADVICE_TINY_HEAP ((int64_t)32 << 20)
/* The ratio (x 10000) from which GOMEMLIMIT is too close to the limit (near-limit). */
#define GMW_ADVICE_NEAR_LIMIT_E4 9500u

/*
 * Add the advice for one container to w. `container` (borrowed) is the container as it will
 * run, i.e. after the webhook's patch: its last GOMEMLIMIT and GOGC env entries,
 * resources.limits.memory and resources.requests.memory are read. `ratio_e4` is the ratio
 * the webhook used for the GOMEMLIMIT it set, or 0 when GOMEMLIMIT is not the webhook's
 * ratio (user value, annotation, none): near-limit then compares bytes.
 * A request that is absent counts as equal to the limit (the apiserver defaults it so).
 */
void gmw_advice_container(gmw_warnings *w, const json_t *container, uint32_t ratio_e4);

#endif
