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

{{/* The webhook image, repository:tag (tag defaults to appVersion). */}}
{{- define "gmw.image" -}}
{{- printf "%s:%s" .Values.image.repository (toString (default .Chart.AppVersion .Values.image.tag)) }}
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
Who is sent to the webhooks: namespaceSelector, objectSelector and matchConditions, shared by
the MutatingWebhookConfiguration (Pods) and the ValidatingWebhookConfiguration (workloads) so
the two always select the same namespaces. Rendered at column 0; include with nindent 4.
*/}}
{{- define "gmw.webhookSelectors" -}}
namespaceSelector:
  matchExpressions:
    # Never the system namespaces, nor the webhook's own namespace.
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ include "gmw.excludedNamespaces" . }}
    {{- if eq .Values.injection.mode "opt-in" }}
    # injection.mode=opt-in: only namespaces labelled gomemlimit.io/injection=enabled.
    - key: gomemlimit.io/injection
      operator: In
      values: ["enabled"]
    {{- else }}
    # injection.mode=opt-out: a namespace labelled gomemlimit.io/injection=disabled opts out.
    - key: gomemlimit.io/injection
      operator: NotIn
      values: ["disabled"]
    {{- end }}
    {{- with .Values.webhook.namespaceSelectorExpressions }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- with .Values.webhook.objectSelector }}
objectSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.webhook.matchConditions }}
matchConditions:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
