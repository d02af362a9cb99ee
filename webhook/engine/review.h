/*
 * review.h - AdmissionReview (admission.k8s.io/v1 and v1beta1) in, AdmissionReview out.
 *
 * Only CREATE of core/v1 pods without subresource goes to the engine; everything else
 * is answered allowed with no patch. The response has the request's apiVersion,
 * kind AdmissionReview, response.uid copied exactly, allowed, patchType+patch (base64)
 * only when there is a change, warnings and auditAnnotations.
 *
 * Pure: bytes in, bytes out; the server and `mutate --review` call it.
 *
 * Input decisions (docs/annotations.md): duplicate JSON keys keep the last value (as the
 * apiserver's decoder does); a missing apiVersion is answered in admission.k8s.io/v1, any
 * other apiVersion than v1/v1beta1 or a kind other than AdmissionReview is an error;
 * request.name, namespace, oldObject and the object's kind may be missing; dryRun is
 * ignored (no side effects). A "pods" CREATE with a subresource is ignored.
 * The response JSON is compact; "patch" is standard padded base64 of the compact patch.
 */
#ifndef GMW_REVIEW_H
#define GMW_REVIEW_H

#include <stddef.h>

#include "compiler.h"
#include "config.h"
#include "engine.h"

/* What the webhook answered to one AdmissionReview. */
typedef enum {
    GMW_DECISION_PATCHED = 0, /* allowed with a patch */
    GMW_DECISION_ALLOWED,     /* allowed, no change */
    GMW_DECISION_DENIED,      /* allowed: false (invalid annotations, deny mode) */
    GMW_DECISION_IGNORED,     /* not a Pod CREATE: allowed untouched */
} gmw_review_decision;

/* The decision's name for logs and metrics: "patched", "allowed", "denied", "ignored"
 * ("unknown" for a value outside the enum). Static string. */
const char *gmw_review_decision_name(gmw_review_decision d);

typedef struct {
    char uid[128];
    char api_version[48];
    char operation[16]; /* "CREATE", "UPDATE", ... or "" */
    char ns[64];
    char name[254]; /* request.name, else object metadata.name, else generateName */
    gmw_review_decision decision;
    size_t container_count; /* copied from the engine result (0 when not a Pod CREATE) */
    gmw_container_outcome containers[GMW_MAX_CONTAINER_OUTCOMES];
} gmw_review_outcome;

/*
 * Handle the AdmissionReview JSON in body[0..len). On success return 0, store a
 * malloc'd NUL-terminated response JSON in *response (caller frees with free()),
 * its length in *response_len, and a summary in *outcome. If body is not JSON or not
 * an AdmissionReview with a request.uid, return -EINVAL with a one-line reason in err
 * (the server answers 400); when out of memory, return -ENOMEM with "out of memory" in
 * err (the server answers 500). *response is then NULL. (jansson's parser reports some
 * failed allocations as syntax errors: those come back as -EINVAL "invalid JSON: ...".)
 */
GMW_MUST_CHECK int gmw_review_handle(const gmw_config *cfg, const char *body, size_t len,
                                     char **response, size_t *response_len,
                                     gmw_review_outcome *outcome, char *err, size_t errcap);

#endif
