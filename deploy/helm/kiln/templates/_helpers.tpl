{{/* Chart name, truncated to the 63 characters Kubernetes names allow. */}}
{{- define "kiln.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "kiln.fullname" -}}
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

{{- define "kiln.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kiln.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: all
{{- end }}

{{- define "kiln.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kiln.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kiln.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kiln.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Whether static S3 keys come from a Secret through environment variables. */}}
{{- define "kiln.s3StaticKeys" -}}
{{- if and (eq .Values.storage.backend "s3") .Values.storage.s3.credentials.existingSecret }}true{{ end }}
{{- end }}

{{/*
kiln.yaml: .Values.config with the chart-owned keys (target, ports, data path, storage) laid over
it, so a values file cannot point Kiln away from the volume or the ports the probes use.
*/}}
{{- define "kiln.config" -}}
{{- $storage := dict "backend" .Values.storage.backend }}
{{- if eq .Values.storage.backend "filesystem" }}
{{- $_ := set $storage "filesystem" (dict "dir" "/data/storage") }}
{{- else if eq .Values.storage.backend "s3" }}
{{- $s3in := .Values.storage.s3 }}
{{- if not $s3in.bucket_name }}
{{- fail "storage.s3.bucket_name is required when storage.backend is s3" }}
{{- end }}
{{- $s3 := dict "bucket_name" $s3in.bucket_name "region" $s3in.region "insecure" $s3in.insecure "force_path_style" $s3in.force_path_style }}
{{- with $s3in.endpoint }}{{ $_ := set $s3 "endpoint" . }}{{ end }}
{{- with $s3in.prefix }}{{ $_ := set $s3 "prefix" . }}{{ end }}
{{- if include "kiln.s3StaticKeys" . }}
{{- $_ := set $s3 "access_key_id" "${KILN_S3_ACCESS_KEY_ID}" }}
{{- $_ := set $s3 "secret_access_key" "${KILN_S3_SECRET_ACCESS_KEY}" }}
{{- end }}
{{- $_ := set $storage "s3" $s3 }}
{{- else }}
{{- fail (printf "storage.backend must be filesystem or s3, not %q" .Values.storage.backend) }}
{{- end }}
{{- $owned := dict
  "target" "all"
  "server" (dict "http_listen_port" (int .Values.ports.http) "grpc_listen_port" (int .Values.ports.grpc))
  "distributor" (dict "receivers" (dict "otlp" (dict "protocols" (dict "grpc" (dict "endpoint" (printf "0.0.0.0:%d" (int .Values.ports.otlp)))))))
  "pyroscopedb" (dict "data_path" "/data")
  "storage" $storage }}
{{- if .Values.overrides }}
{{- $_ := set $owned "runtime_config" (dict "file" "/etc/kiln/overrides.yaml") }}
{{- end }}
{{- $config := mustMergeOverwrite (deepCopy .Values.config) $owned }}
{{- toYaml $config }}
{{- end }}
