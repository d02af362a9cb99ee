{{/*
Names. fullname is <release>-<chart> unless the release name already contains the chart name.
*/}}
{{- define "gmw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gmw.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gmw.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gmw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gmw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gmw.labels" -}}
helm.sh/chart: {{ include "gmw.chart" . }}
{{ include "gmw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gmw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gmw.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The webhook image: [registry/]repository@digest when a digest is set (it wins over the tag),
else [registry/]repository:tag (tag defaults to appVersion).
*/}}
{{- define "gmw.image" -}}
{{- $repo := .Values.image.repository }}
{{- with .Values.image.registry }}{{ $repo = printf "%s/%s" (trimSuffix "/" .) $repo }}{{ end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (toString (default .Chart.AppVersion .Values.image.tag)) }}
{{- end }}
{{- end }}

{{/* True ("true") while the image is the chart's unbuilt default: no registry, no digest. */}}
{{- define "gmw.imageIsUnbuiltDefault" -}}
{{- if and (not .Values.image.registry) (not .Values.image.digest) (eq .Values.image.repository "gomemlimit-webhook") }}true{{ end }}
{{- end }}

{{/* Secret holding tls.crt, tls.key and ca.crt, mounted by the server. */}}
{{- define "gmw.tlsSecretName" -}}
{{- if and (eq .Values.certs.mode "secret") .Values.certs.secret.name }}
{{- .Values.certs.secret.name }}
{{- else }}
{{- printf "%s-tls" (include "gmw.fullname" .) }}
{{- end }}
{{- end }}

{{/* The four DNS names the serving certificate must carry, as a list. */}}
{{- define "gmw.dnsNames" -}}
{{- $svc := include "gmw.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson }}
{{- end }}

{{/*
Namespaces the webhook never mutates: the Kubernetes system namespaces, the release
namespace (the webhook must not depend on itself) and config.excludeNamespaces. Sorted,
unique, as a JSON list. Used both by the namespaceSelector and the server's config.
*/}}
{{- define "gmw.excludedNamespaces" -}}
{{- $ns := list "kube-system" "kube-public" "kube-node-lease" .Release.Namespace }}
{{- $ns = concat $ns (.Values.config.excludeNamespaces | default list) }}
{{- $ns | uniq | sortAlpha | toJson }}
{{- end }}

{{/* Mount points inside the webhook container. */}}
{{- define "gmw.configDir" -}}/etc/gomemlimit-webhook{{- end }}
{{- define "gmw.tlsDir" -}}/var/run/gomemlimit-webhook/tls{{- end }}

{{/*
Server keys the running server cannot change live (it logs "takes effect after a restart"
and keeps the old value): a change of any of them restarts the Pods through a checksum
annotation. Everything else in the config file reloads live.
*/}}
{{- define "gmw.config.restartKeys" -}}
listen: {{ printf ":%d" (int .Values.server.port) | quote }}
tls:
  certFile: {{ include "gmw.tlsDir" . }}/tls.crt
  keyFile: {{ include "gmw.tlsDir" . }}/tls.key
threads: {{ int .Values.server.threads }}
connectionLimit: {{ int .Values.server.connectionLimit }}
perIpConnectionLimit: {{ int .Values.server.perIpConnectionLimit }}
headerTimeout: {{ .Values.server.headerTimeout | quote }}
idleTimeout: {{ .Values.server.idleTimeout | quote }}
{{- end }}

{{/* Keys the server reloads live (engine behaviour, timeouts, body limit, log level). */}}
{{- define "gmw.config.liveKeys" -}}
{{- $c := .Values.config -}}
requestTimeout: {{ .Values.server.requestTimeout | quote }}
shutdownGracePeriod: {{ .Values.server.shutdownGracePeriod | quote }}
maxBody: {{ .Values.server.maxBody | quote }}
logLevel: {{ .Values.server.logLevel }}
defaults:
  ratio: {{ $c.defaults.ratio | toString }}
  gogc: {{ $c.defaults.gogc | toString | quote }}
  requestPolicy: {{ $c.defaults.requestPolicy }}
minLimit: {{ $c.minLimit | quote }}
excludeNamespaces: {{ include "gmw.excludedNamespaces" . }}
invalidAnnotations: {{ $c.invalidAnnotations }}
preview: {{ $c.preview }}
malformedGOMEMLIMIT: {{ $c.malformedGOMEMLIMIT | default "repair" }}
exclude:
  images: {{ $c.exclude.images | default list | toJson }}
shim:
  enabled: {{ $c.shim.enabled }}
  image: {{ default (include "gmw.image" .) $c.shim.image | quote }}
  imagePullPolicy: {{ default .Values.image.pullPolicy $c.shim.imagePullPolicy }}
{{- end }}

{{/*
TLS material for certs.mode=self-signed, as a dict {ca, crt, key} of PEM text. Reuses the
existing Secret (lookup) so `helm upgrade` keeps the certificate; generates an ECDSA CA and
serving certificate otherwise. Computed once per render and cached, because the Secret, the
MutatingWebhookConfiguration's caBundle and the test must agree.
*/}}
{{- define "gmw.selfSignedTLS" -}}
{{- if not (hasKey .Values "__gmwTLS") }}
{{- $name := include "gmw.tlsSecretName" . }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $name }}
{{- $tls := dict }}
{{- if and $existing $existing.data (index $existing.data "tls.crt") (index $existing.data "tls.key") (index $existing.data "ca.crt") }}
{{- $_ := set $tls "ca" (index $existing.data "ca.crt" | b64dec) }}
{{- $_ := set $tls "crt" (index $existing.data "tls.crt" | b64dec) }}
{{- $_ := set $tls "key" (index $existing.data "tls.key" | b64dec) }}
{{- else }}
{{- $days := int .Values.certs.selfSigned.validityDays }}
{{- $caKey := genPrivateKey "ecdsa" }}
{{- $ca := genCAWithKey (printf "%s-ca" (include "gmw.fullname" .)) $days $caKey }}
{{- $dns := include "gmw.dnsNames" . | fromJsonArray }}
{{- $certKey := genPrivateKey "ecdsa" }}
{{- $cert := genSignedCertWithKey (index $dns 2) nil $dns $days $ca $certKey }}
{{- $_ := set $tls "ca" $ca.Cert }}
{{- $_ := set $tls "crt" $cert.Cert }}
{{- $_ := set $tls "key" $cert.Key }}
{{- end }}
{{- $_ := set .Values "__gmwTLS" $tls }}
{{- end }}
{{- toJson (get .Values "__gmwTLS") }}
{{- end }}

{{/* The caBundle for the webhook's clientConfig (base64 PEM), "" in cert-manager mode. */}}
{{- define "gmw.caBundle" -}}
{{- if eq .Values.certs.mode "self-signed" }}
{{- (include "gmw.selfSignedTLS" . | fromJson).ca | b64enc }}
{{- else if eq .Values.certs.mode "secret" }}
{{- .Values.certs.secret.caBundle }}
{{- end }}
{{- end }}

{{/* Restricted Pod Security Standard container securityContext. */}}
{{- define "gmw.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Who is sent to the webhooks, as a JSON list of entries {name, ns, pod}: one entry in opt-out
mode, two with disjoint namespace sets in opt-in mode (selectors AND together, so "namespace
label OR Pod label" needs two). Shared by the MutatingWebhookConfiguration (Pods) and the
ValidatingWebhookConfiguration (workloads), so both select exactly the same namespaces and
labels. See docs/install.md "Who reaches the webhook".
*/}}
{{- define "gmw.webhookEntries" -}}
{{- $entries := list }}
{{- if eq .Values.injection.mode "opt-in" }}
{{- $entries = append $entries (dict "name" "namespace" "ns" (dict "key" "gomemlimit.io/injection" "operator" "In" "values" (list "enabled")) "pod" (dict "key" "gomemlimit.io/inject" "operator" "NotIn" "values" (list "false"))) }}
{{- $entries = append $entries (dict "name" "pod-label" "ns" (dict "key" "gomemlimit.io/injection" "operator" "NotIn" "values" (list "enabled" "disabled")) "pod" (dict "key" "gomemlimit.io/inject" "operator" "In" "values" (list "true"))) }}
{{- else }}
{{- $entries = append $entries (dict "name" "" "ns" (dict "key" "gomemlimit.io/injection" "operator" "NotIn" "values" (list "disabled")) "pod" (dict "key" "gomemlimit.io/inject" "operator" "NotIn" "values" (list "false"))) }}
{{- end }}
{{- toJson $entries }}
{{- end }}

{{/*
namespaceSelector, objectSelector and matchConditions of one entry. Called with
(dict "root" $ "entry" . "target" "pods"|"workloads"); rendered at column 0, include with
nindent 4.
  pods:      objectSelector = the entry's gomemlimit.io/inject requirement + webhook.objectSelector,
             matchConditions = webhook.matchConditions.
  workloads: no objectSelector (for a workload the apiserver would match it against the
             workload's own labels); the same requirements are checked on the pod template's
             labels by a CEL matchCondition (gmw.templateLabelsCondition), followed by
             webhook.matchConditions.
*/}}
{{- define "gmw.webhookSelectors" -}}
{{- $userObj := .root.Values.webhook.objectSelector | default dict -}}
namespaceSelector:
  matchExpressions:
    # Never the system namespaces, nor the webhook's own namespace.
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ include "gmw.excludedNamespaces" .root }}
    - {{ toJson .entry.ns }}
    {{- with .root.Values.webhook.namespaceSelectorExpressions }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- if eq .target "workloads" }}
{{- $reserved := include "gmw.templateLabelsConditionName" . }}
{{- range .root.Values.webhook.matchConditions | default list }}
{{- if eq (toString .name) $reserved }}
{{- fail (printf "webhook.matchConditions: the name %q is the chart's own condition in the workload webhook; choose another" $reserved) }}
{{- end }}
{{- end }}
matchConditions:
  # The Pod webhook's objectSelector, applied to the labels the Pods will have (the pod
  # template's), not to the workload's own labels.
  - name: {{ include "gmw.templateLabelsConditionName" . }}
    expression: |-
      {{- include "gmw.templateLabelsCondition" . | nindent 6 }}
  {{- with .root.Values.webhook.matchConditions }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- else }}
objectSelector:
  {{- with $userObj.matchLabels }}
  matchLabels:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  matchExpressions:
    - {{ toJson .entry.pod }}
    {{- with $userObj.matchExpressions }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- with .root.Values.webhook.matchConditions }}
matchConditions:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of the chart's own matchCondition in the workload webhook. */}}
{{- define "gmw.templateLabelsConditionName" -}}gomemlimit-pod-template-labels{{- end }}

{{/*
CEL: true when the labels of the workload's pod template (the labels its Pods get) satisfy
the same LabelSelector the Pod webhook's objectSelector holds: the entry's
gomemlimit.io/inject requirement, then webhook.objectSelector's matchLabels and
matchExpressions. The template is object.spec.jobTemplate.spec.template for a CronJob (the
only kind with spec.jobTemplate) and object.spec.template for the others. Every step is
guarded with has(), and a null object (DELETE) or a missing template, metadata or labels map
counts as "no labels", as for a Pod without labels: the expression never errors on a valid
object (an error would skip the webhook under failurePolicy Ignore). The labels map is bound
once with a one-element list and all() (matchConditions have no variables).
Called with the same dict as gmw.webhookSelectors.
*/}}
{{- define "gmw.templateLabelsCondition" -}}
{{- $userObj := .root.Values.webhook.objectSelector | default dict -}}
{{- $reqs := list .entry.pod }}
{{- range $k, $v := $userObj.matchLabels | default dict }}
{{- $reqs = append $reqs (dict "key" $k "operator" "In" "values" (list (toString $v))) }}
{{- end }}
{{- range $userObj.matchExpressions | default list }}
{{- $reqs = append $reqs . }}
{{- end }}
{{- $clauses := list }}
{{- range $reqs }}
{{- $clauses = append $clauses (include "gmw.celLabelRequirement" .) }}
{{- end -}}
[
  object == null || !has(object.spec) ? {} :
  has(object.spec.jobTemplate) ?
    (has(object.spec.jobTemplate.spec) && has(object.spec.jobTemplate.spec.template) &&
     has(object.spec.jobTemplate.spec.template.metadata) &&
     has(object.spec.jobTemplate.spec.template.metadata.labels) ?
       object.spec.jobTemplate.spec.template.metadata.labels : {}) :
    (has(object.spec.template) && has(object.spec.template.metadata) &&
     has(object.spec.template.metadata.labels) ?
       object.spec.template.metadata.labels : {})
].all(labels,
  {{ join " &&\n  " $clauses }})
{{- end }}

{{/*
One LabelSelector requirement {key, operator, values} as CEL over the map `labels`, with
LabelSelector semantics: In = the key is present and its value listed; NotIn = absent or not
listed; Exists / DoesNotExist. Keys and values are JSON-quoted (a JSON string is a CEL string
literal). An unknown operator fails the render (the apiserver would refuse it too).
*/}}
{{- define "gmw.celLabelRequirement" -}}
{{- $k := toJson (toString .key) }}
{{- $vals := list }}
{{- range .values | default list }}{{ $vals = append $vals (toString .) }}{{ end }}
{{- if eq .operator "In" -}}
({{ $k }} in labels && labels[{{ $k }}] in {{ toJson $vals }})
{{- else if eq .operator "NotIn" -}}
(!({{ $k }} in labels) || !(labels[{{ $k }}] in {{ toJson $vals }}))
{{- else if eq .operator "Exists" -}}
({{ $k }} in labels)
{{- else if eq .operator "DoesNotExist" -}}
!({{ $k }} in labels)
{{- else }}
{{- fail (printf "webhook.objectSelector: operator %q is not one of In, NotIn, Exists, DoesNotExist" (toString .operator)) }}
{{- end }}
{{- end }}
