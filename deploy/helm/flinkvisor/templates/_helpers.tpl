{{/* Names, labels and the few derived settings every template shares. */}}

{{- define "flinkvisor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* `<release>-flinkvisor`, or the release name when it already contains the chart name. Object
names append `-operator` or `-supervisor`, so the prefix is kept to 50 characters. */}}
{{- define "flinkvisor.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "flinkvisor.operatorName" -}}
{{- printf "%s-operator" (include "flinkvisor.fullname" .) -}}
{{- end -}}

{{- define "flinkvisor.operatorServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "flinkvisor.operatorName" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "flinkvisor.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "flinkvisor.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "flinkvisor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flinkvisor
{{- end -}}

{{- define "flinkvisor.operatorSelectorLabels" -}}
app.kubernetes.io/name: {{ include "flinkvisor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* The namespaces that run Flink clusters: watched ones and supervisor.namespaces, without duplicates. */}}
{{- define "flinkvisor.workloadNamespaces" -}}
{{- concat .Values.watchNamespaces .Values.supervisor.namespaces | uniq | toJson -}}
{{- end -}}

{{/* The generated rules (files/rbac-rules.yaml, from src/install by `flinkvisor install generate`). */}}
{{- define "flinkvisor.rules" -}}
{{- $all := .context.Files.Get "files/rbac-rules.yaml" | fromYaml -}}
{{- if not (hasKey $all .name) -}}
{{- fail (printf "files/rbac-rules.yaml has no rules %q: run `flinkvisor install generate`" .name) -}}
{{- end -}}
{{- get $all .name | toYaml -}}
{{- end -}}

{{/* The control API must be either TLS or explicitly plain HTTP; a half-configured API fails here, not in a crash loop. */}}
{{- define "flinkvisor.validateApi" -}}
{{- $api := .Values.api -}}
{{- if gt (int $api.port) 0 -}}
{{- if and $api.insecureHttp $api.tls.secretName -}}
{{- fail "api.insecureHttp and api.tls.secretName exclude each other: serve the control API over TLS or over plain HTTP" -}}
{{- end -}}
{{- if not (or $api.insecureHttp $api.tls.secretName) -}}
{{- fail "the control API needs TLS: set api.tls.secretName to a Secret with tls.crt and tls.key, or api.insecureHttp=true (local clusters only), or api.port=0 to turn it off" -}}
{{- end -}}
{{- end -}}
{{- if and $api.tls.requireClientCertificate (not $api.tls.clientCa) -}}
{{- fail "api.tls.requireClientCertificate needs api.tls.clientCa=true (the Secret's ca.crt verifies the client certificates)" -}}
{{- end -}}
{{- if and $api.tls.clientCa (not $api.tls.secretName) -}}
{{- fail "api.tls.clientCa needs api.tls.secretName (ca.crt is read from that Secret)" -}}
{{- end -}}
{{- end -}}

{{/*
Node's options for the operator container, as the operator gives each supervisor its own
(src/operator/supervisor-memory.ts): a small young generation, and V8's old space ending 64 MiB
below the memory limit (Mi or Gi limits; none with another form), so the collector works harder
near the limit instead of the kernel killing the pod.
*/}}
{{- define "flinkvisor.operatorNodeOptions" -}}
{{- $limit := toString (dig "limits" "memory" "" .Values.operator.resources) -}}
{{- $mib := 0 -}}
{{- if regexMatch "^[0-9]+Mi$" $limit -}}
{{- $mib = trimSuffix "Mi" $limit | atoi -}}
{{- else if regexMatch "^[0-9]+Gi$" $limit -}}
{{- $mib = mul (trimSuffix "Gi" $limit | atoi) 1024 -}}
{{- end -}}
--max-semi-space-size=2{{ if gt $mib 0 }} --max-old-space-size={{ max 32 (sub $mib 64) }}{{ end }}
{{- end -}}
