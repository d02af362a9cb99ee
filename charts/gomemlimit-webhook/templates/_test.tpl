{{/* Names of the `helm test` objects. */}}
{{- define "gmw.testName" -}}{{ include "gmw.fullname" . | trunc 55 | trimSuffix "-" }}-test{{- end }}
{{- define "gmw.testNamespace" -}}{{ include "gmw.fullname" . | trunc 55 | trimSuffix "-" }}-test{{- end }}
