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

{{/*
Labels selecting one component's pods; takes (dict "root" $ "component" name). An empty component
leaves the label out: objects every component shares in microservices mode.
*/}}
{{- define "kiln.componentSelectorLabels" -}}
app.kubernetes.io/name: {{ include "kiln.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "kiln.componentLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kiln.componentSelectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* The component of the objects that are not one component's: the single binary is "all". */}}
{{- define "kiln.sharedComponent" -}}
{{- if eq (include "kiln.mode" .) "single-binary" }}all{{ end }}
{{- end }}

{{- define "kiln.selectorLabels" -}}
{{ include "kiln.componentSelectorLabels" (dict "root" . "component" (include "kiln.sharedComponent" .)) }}
{{- end }}

{{- define "kiln.labels" -}}
{{ include "kiln.componentLabels" (dict "root" . "component" (include "kiln.sharedComponent" .)) }}
{{- end }}

{{/* .Values.mode, checked: every template branches on it. */}}
{{- define "kiln.mode" -}}
{{- if has .Values.mode (list "single-binary" "microservices") }}
{{- .Values.mode }}
{{- else }}
{{- fail (printf "mode must be single-binary or microservices, not %q" .Values.mode) }}
{{- end }}
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

{{/* Whether the etcd user name and password come from a Secret through environment variables. */}}
{{- define "kiln.etcdCredentials" -}}
{{- if and (eq (include "kiln.mode" .) "microservices") .Values.etcd.credentials.existingSecret }}true{{ end }}
{{- end }}

{{/* Whether kiln.yaml refers to environment variables, so Kiln must run with -config.expand-env. */}}
{{- define "kiln.expandEnv" -}}
{{- if or (eq (include "kiln.mode" .) "microservices") (include "kiln.s3StaticKeys" .) }}true{{ end }}
{{- end }}

{{/*
The environment variables kiln.yaml refers to: Secret keys, and in microservices mode the pod IP,
which each ring member registers as the address its peers dial.
*/}}
{{- define "kiln.configEnv" -}}
{{- if eq (include "kiln.mode" .) "microservices" }}
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end }}
{{- if include "kiln.s3StaticKeys" . }}
- name: KILN_S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.storage.s3.credentials.existingSecret }}
      key: {{ .Values.storage.s3.credentials.accessKeyIdKey }}
- name: KILN_S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.storage.s3.credentials.existingSecret }}
      key: {{ .Values.storage.s3.credentials.secretAccessKeyKey }}
{{- end }}
{{- if include "kiln.etcdCredentials" . }}
- name: KILN_ETCD_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .Values.etcd.credentials.existingSecret }}
      key: {{ .Values.etcd.credentials.usernameKey }}
- name: KILN_ETCD_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.etcd.credentials.existingSecret }}
      key: {{ .Values.etcd.credentials.passwordKey }}
{{- end }}
{{- end }}

{{/* The storage block of kiln.yaml (YAML text). */}}
{{- define "kiln.storageConfig" -}}
{{- $storage := dict "backend" .Values.storage.backend }}
{{- if eq .Values.storage.backend "filesystem" }}
{{- if eq (include "kiln.mode" .) "microservices" }}
{{- fail "microservices mode needs storage.backend s3: the components run in separate pods and share blocks only through the bucket" }}
{{- end }}
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
{{- toYaml $storage }}
{{- end }}

{{/*
The chart-owned kiln.yaml keys only microservices mode has (YAML text): one file serves every
component (each reads the keys of the components its -target names). The three rings live in etcd; each
member registers its pod IP (expanded from POD_IP) and Kiln's internal gRPC port, on which peers call it.
Ingesters and store-gateways keep their ring tokens on their volume, so a restarted pod takes back
the same series or blocks.
*/}}
{{- define "kiln.microservicesConfig" -}}
{{- if not .Values.etcd.endpoints }}
{{- fail "etcd.endpoints is required in microservices mode: the rings live in etcd" }}
{{- end }}
{{- range $key, $name := dict "ingester" "ingester" "storeGateway" "store-gateway" }}
{{- $v := index $.Values $key }}
{{- if lt (int $v.replicas) (int $v.replicationFactor) }}
{{- fail (printf "%s.replicas (%d) must be at least %s.replicationFactor (%d): every %s holds one of the replicas" $key (int $v.replicas) $key (int $v.replicationFactor) $name) }}
{{- end }}
{{- end }}
{{- $etcd := dict "endpoints" .Values.etcd.endpoints }}
{{- with .Values.etcd.dial_timeout }}{{ $_ := set $etcd "dial_timeout" . }}{{ end }}
{{- if include "kiln.etcdCredentials" . }}
{{- $_ := set $etcd "username" "${KILN_ETCD_USERNAME}" }}
{{- $_ := set $etcd "password" "${KILN_ETCD_PASSWORD}" }}
{{- end }}
{{- $kvstore := dict "store" "etcd" "etcd" $etcd }}
{{- $config := dict
  "ingester" (dict "lifecycler" (dict
    "address" "${POD_IP}"
    "tokens_file_path" "/data/ring-tokens"
    "ring" (dict "kvstore" $kvstore "replication_factor" (int .Values.ingester.replicationFactor))))
  "store_gateway" (dict "sharding_ring" (dict
    "instance_addr" "${POD_IP}"
    "tokens_file_path" "/data/ring-tokens"
    "kvstore" $kvstore
    "replication_factor" (int .Values.storeGateway.replicationFactor)))
  "compactor" (dict
    "data_dir" "/data/compactor"
    "sharding_ring" (dict "instance_addr" "${POD_IP}" "kvstore" $kvstore))
  "frontend" (dict "querier_addresses" (printf "%s-querier-headless:%d" (include "kiln.fullname" .) (int .Values.ports.grpc))) }}
{{- toYaml $config }}
{{- end }}

{{/*
kiln.yaml: .Values.config with the chart-owned keys (target, ports, data paths, storage, rings)
laid over it, so a values file cannot point Kiln away from the volume, the ports the probes use or
the addresses the components find each other at.
*/}}
{{- define "kiln.config" -}}
{{- $owned := dict
  "server" (dict "http_listen_port" (int .Values.ports.http) "grpc_listen_port" (int .Values.ports.grpc))
  "distributor" (dict "receivers" (dict "otlp" (dict "protocols" (dict "grpc" (dict "endpoint" (printf "0.0.0.0:%d" (int .Values.ports.otlp)))))))
  "pyroscopedb" (dict "data_path" "/data")
  "storage" (include "kiln.storageConfig" . | fromYaml) }}
{{- if eq (include "kiln.mode" .) "single-binary" }}
{{- $_ := set $owned "target" "all" }}
{{- else }}
{{- $owned = mustMergeOverwrite $owned (include "kiln.microservicesConfig" . | fromYaml) }}
{{- end }}
{{- if .Values.overrides }}
{{- $_ := set $owned "runtime_config" (dict "file" "/etc/kiln/overrides.yaml") }}
{{- end }}
{{- $config := mustMergeOverwrite (deepCopy .Values.config) $owned }}
{{- toYaml $config }}
{{- end }}

{{/*
What the chart runs, one entry per component (parsed with fromYaml). name: the -target and the
app.kubernetes.io/component label; object: the name of its workload, Services, PDB and
ServiceMonitor. Microservices entries also carry values (their block in values.yaml), kind, and
volume: claim (a volumeClaimTemplate, kept across restarts), scratch (an emptyDir) or none.
*/}}
{{- define "kiln.components" -}}
{{- $fullname := include "kiln.fullname" . }}
{{- if eq (include "kiln.mode" .) "single-binary" }}
- {name: all, object: {{ $fullname }}}
{{- else }}
- {name: distributor, object: {{ $fullname }}-distributor, values: distributor, kind: Deployment, volume: none, otlp: true}
- {name: ingester, object: {{ $fullname }}-ingester, values: ingester, kind: StatefulSet, volume: claim}
- {name: querier, object: {{ $fullname }}-querier, values: querier, kind: Deployment, volume: none}
- {name: query-frontend, object: {{ $fullname }}-query-frontend, values: queryFrontend, kind: Deployment, volume: none}
- {name: store-gateway, object: {{ $fullname }}-store-gateway, values: storeGateway, kind: StatefulSet, volume: claim}
- {name: compactor, object: {{ $fullname }}-compactor, values: compactor, kind: Deployment, volume: scratch}
{{- end }}
{{- end }}

{{/* The volumeClaimTemplates entry "data", from a persistence block of the values. */}}
{{- define "kiln.dataClaim" -}}
- metadata:
    name: data
    {{- with .annotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    accessModes:
      {{- toYaml .accessModes | nindent 6 }}
    {{- with .storageClassName }}
    storageClassName: {{ . }}
    {{- end }}
    resources:
      requests:
        storage: {{ .size }}
{{- end }}
