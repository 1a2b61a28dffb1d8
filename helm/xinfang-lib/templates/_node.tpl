{{/*
What a release renders once, beside its services (the umbrella chart's templates): the
reference data ConfigMap and the migration Job.
*/}}

{{/*
The reference data (channels, categories, organisation, calendar) a bureau edits, from
global.reference.files (file name → TOML text; `--set-file` fills it). Every service's pods
carry its checksum, so a change rolls them; a SIGHUP-style reload needs no restart otherwise.
*/}}
{{- define "xinfang-lib.referenceConfigMap" -}}
{{- if .Values.global.reference.files }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "xinfang-lib.referenceName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/part-of: xinfang
    app.kubernetes.io/managed-by: {{ .Release.Service }}
data:
  {{- range $name, $text := .Values.global.reference.files }}
  {{ $name }}: |
    {{- $text | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
`xinfang migrate` before every install and upgrade: each service's Migrator, each with its own
history table. The rollout waits for it; a failed migration stops the upgrade.
*/}}
{{- define "xinfang-lib.migrationJob" -}}
{{- $g := .Values.global -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ printf "%s-migrate" .Release.Name | trunc 63 | trimSuffix "-" }}
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/name: migrate
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/part-of: xinfang
    app.kubernetes.io/managed-by: {{ .Release.Service }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: 3
  activeDeadlineSeconds: 900
  ttlSecondsAfterFinished: 86400
  template:
    metadata:
      labels:
        app.kubernetes.io/name: migrate
        app.kubernetes.io/instance: {{ .Release.Name }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      {{- with $g.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: migrate
          image: {{ include "xinfang-lib.image" . | quote }}
          imagePullPolicy: {{ $g.image.pullPolicy }}
          args: ["migrate"]
          env:
            - name: XINFANG__DATABASE__URL
              valueFrom:
                secretKeyRef:
                  name: {{ $g.database.existingSecret }}
                  key: {{ $g.database.urlKey }}
            - name: XINFANG__TELEMETRY__LOG_FORMAT
              value: json
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
            limits:
              cpu: "1"
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
{{- end -}}
