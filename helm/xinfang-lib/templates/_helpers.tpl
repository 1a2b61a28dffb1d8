{{/*
Names and labels. A service's resources are named "<release>-<service>"; every resource carries
the recommended app.kubernetes.io labels.
*/}}
{{- define "xinfang-lib.fullname" -}}
{{- printf "%s-%s" .Release.Name .Values.service | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "xinfang-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ .Values.service }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "xinfang-lib.labels" -}}
{{ include "xinfang-lib.selectorLabels" . }}
app.kubernetes.io/part-of: xinfang
app.kubernetes.io/version: {{ .Values.global.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "xinfang-lib.image" -}}
{{- $image := .Values.global.image -}}
{{- if $image.digest -}}
{{ printf "%s@%s" $image.repository $image.digest }}
{{- else -}}
{{ printf "%s:%s" $image.repository $image.tag }}
{{- end -}}
{{- end -}}

{{/* The name of the reference-data ConfigMap of a release. */}}
{{- define "xinfang-lib.referenceName" -}}
{{- printf "%s-reference" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The settings every process of the node reads (XINFANG__SECTION__KEY), from the umbrella's
global values: database and keys from Secrets, Kafka, tokens, telemetry, reference data.
*/}}
{{- define "xinfang-lib.env" -}}
{{- $g := .Values.global -}}
- name: XINFANG__NODE__REGION
  value: {{ $g.node.region | quote }}
- name: XINFANG__DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ $g.database.existingSecret }}
      key: {{ $g.database.urlKey }}
- name: XINFANG__EVENTS__BACKEND
  value: kafka
- name: XINFANG__EVENTS__BROKERS
  value: {{ $g.kafka.brokers | quote }}
- name: XINFANG__AUTH__ISSUER
  value: {{ $g.auth.issuer | quote }}
- name: XINFANG__AUTH__AUDIENCE
  value: {{ $g.auth.audience | quote }}
- name: XINFANG__AUTH__JWKS
  value: {{ $g.auth.jwks | default "/etc/xinfang/keys/jwks.json" | quote }}
{{- range list "XINFANG__PII__SEAL_KEYS" "XINFANG__PII__HASH_KEYS" "XINFANG__AUDIT__CHAIN_KEYS" }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $g.keys.existingSecret }}
      key: {{ . }}
{{- end }}
- name: XINFANG__TELEMETRY__LOG_FORMAT
  value: json
- name: XINFANG__TELEMETRY__LOG_FILTER
  value: {{ $g.telemetry.logFilter | quote }}
{{- if $g.telemetry.otlpEndpoint }}
- name: XINFANG__TELEMETRY__OTLP_ENDPOINT
  value: {{ $g.telemetry.otlpEndpoint | quote }}
{{- end }}
{{- if $g.exchange.hubUrl }}
# Linked to the province: the services follow what the exchange brings down.
- name: XINFANG__EXCHANGE__HUB_URL
  value: {{ $g.exchange.hubUrl | quote }}
{{- end }}
{{- with $g.portal.trustedProxies }}
# The portal (and the ingress before it) may name the citizen's address for the rate limits.
- name: XINFANG__PUBLIC__TRUSTED_PROXIES
  value: {{ join "," . | quote }}
{{- end }}
{{- if $g.reference.files }}
- name: XINFANG__REFERENCE__DIR
  value: /etc/xinfang/reference
{{- end }}
{{- end -}}
