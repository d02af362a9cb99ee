/*
 * validate.h - POST /validate: the validating webhook for workloads (issue 10).
 *
 * CREATE and UPDATE of Deployments, StatefulSets, DaemonSets, ReplicaSets (apps, extensions),
 * Jobs, CronJobs (batch) and ReplicationControllers (core), without subresource: the pod
 * template goes through the preview (preview.h: the apiserver's defaulting, then the very
 * engine of /mutate) and the answer is
 *   - allowed: true, with the preview lines as warnings when config `preview` says so
 *     (dry-run: only when request.dryRun is true; always; off: never), or
 *   - allowed: false with exactly the status the Pod webhook gives for invalid annotations
 *     (code 400, reason BadRequest, the same message) and its warnings, in every mode.
 * An UPDATE whose pod template is unchanged (scale, status, labels of the workload) is
 * never denied: its Pods already fail or pass, and blocking a scale-down helps nobody.
 * Never a patch. Everything else (other kinds, DELETE, subresources) is allowed, silent.
 *
 * The envelope is read as review.h reads it (admission.k8s.io/v1 and v1beta1, the same
 * errors for bodies that are not AdmissionReviews). Pure: bytes in, bytes out.
 */
#ifndef GMW_VALIDATE_H
#define GMW_VALIDATE_H

#include <stddef.h>

#include "compiler.h"
#include "config.h"
#include "review.h"

/*
 * Handle the AdmissionReview JSON in body[0..len) as /validate. Contract as
 * gmw_review_handle (review.h): 0 with a malloc'd response (caller frees) and a summary
 * in *outcome (decision "allowed" | "denied" | "ignored"), -EINVAL with the reason in err
 * (the server answers 400), -ENOMEM (500).
 */
GMW_MUST_CHECK int gmw_validate_handle(const gmw_config *cfg, const char *body, size_t len,
                                       char **response, size_t *response_len,
                                       gmw_review_outcome *outcome, char *err, size_t errcap);

#endif
