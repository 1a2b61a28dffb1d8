{{/*
Everything one service runs as: `xinfang serve <service>` in a Deployment behind a Service, with
gRPC probes on its two health names (liveness on "", readiness on the service's own name), and
optionally an HPA, a PDB, a NetworkPolicy and a ServiceMonitor. A thin chart's whole template is
{{ include "xinfang-lib.service" . }}.
*/}}
{{- define "xinfang-lib.service" -}}
{{ include "xinfang-lib.deployment" . }}
---
{{ include "xinfang-lib.k8sService" . }}
{{- if and .Values.ingress .Values.ingress.enabled }}
---
{{ include "xinfang-lib.ingress" . }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
---
{{ include "xinfang-lib.hpa" . }}
{{- end }}
{{- if .Values.pdb.enabled }}
---
{{ include "xinfang-lib.pdb" . }}
{{- end }}
{{- if .Values.global.networkPolicy.enabled }}
---
{{ include "xinfang-lib.networkPolicy" . }}
{{- end }}
{{- if .Values.global.monitoring.serviceMonitor }}
---
{{ include "xinfang-lib.serviceMonitor" . }}
{{- end }}
{{- end -}}

{{- define "xinfang-lib.deployment" -}}
{{- $g := .Values.global -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "xinfang-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "xinfang-lib.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "xinfang-lib.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "xinfang-lib.labels" . | nindent 8 }}
      annotations:
        # A change of the reference data (or of the settings) rolls the pods.
        checksum/reference: {{ toJson $g.reference.files | sha256sum }}
        checksum/settings: {{ toJson .Values.settings | sha256sum }}
    spec:
      automountServiceAccountToken: false
      {{- with $g.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      terminationGracePeriodSeconds: 30
      containers:
        - name: {{ .Values.service }}
          image: {{ include "xinfang-lib.image" . | quote }}
          imagePullPolicy: {{ $g.image.pullPolicy }}
          args: ["serve", {{ .Values.service | quote }}]
          ports:
            - name: {{ include "xinfang-lib.portName" . }}
              containerPort: {{ .Values.port }}
              protocol: TCP
          env:
            - name: XINFANG__LISTEN__{{ upper .Values.service }}
              value: {{ printf "0.0.0.0:%d" (int .Values.port) | quote }}
            - name: XINFANG__TELEMETRY__SERVICE_NAME
              value: {{ printf "xinfang-%s" .Values.service | quote }}
            {{- include "xinfang-lib.env" . | nindent 12 }}
            {{- /* The portal's services, by their names in this release. */}}
            {{- range $service, $port := .Values.backends }}
            - name: {{ printf "XINFANG__PORTAL__%s_URL" (upper $service) }}
              value: {{ printf "http://%s-%s:%d" $.Release.Name $service (int $port) | quote }}
            {{- end }}
            {{- range $key, $value := .Values.settings }}
            - name: {{ printf "XINFANG__%s" (upper (replace "." "__" $key)) }}
              value: {{ $value | quote }}
            {{- end }}
          {{- if eq (include "xinfang-lib.portName" .) "http" }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 5
            failureThreshold: 2
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 2
            failureThreshold: 60
          {{- else }}
          livenessProbe:
            grpc:
              port: {{ .Values.port }}
              service: ""
            periodSeconds: 10
            failureThreshold: 3
          readinessProbe:
            grpc:
              port: {{ .Values.port }}
              service: {{ .Values.healthName | quote }}
            periodSeconds: 5
            failureThreshold: 2
          startupProbe:
            grpc:
              port: {{ .Values.port }}
              service: ""
            periodSeconds: 2
            failureThreshold: 60
          {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if not $g.auth.jwks }}
            - name: keys
              mountPath: /etc/xinfang/keys
              readOnly: true
            {{- end }}
            {{- if $g.reference.files }}
            - name: reference
              mountPath: /etc/xinfang/reference
              readOnly: true
            {{- end }}
            {{- range .Values.secretFiles }}
            - name: {{ .name }}
              mountPath: {{ .mountPath }}
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- if not $g.auth.jwks }}
        # The identity provider's public keys, as `xinfang keys generate` put them in the Secret.
        - name: keys
          secret:
            secretName: {{ $g.keys.existingSecret }}
            items:
              - key: jwks.json
                path: jwks.json
        {{- end }}
        {{- if $g.reference.files }}
        - name: reference
          configMap:
            name: {{ include "xinfang-lib.referenceName" . }}
        {{- end }}
        {{- range .Values.secretFiles }}
        - name: {{ .name }}
          secret:
            secretName: {{ .secretName }}
        {{- end }}
{{- end -}}

{{- define "xinfang-lib.k8sService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "xinfang-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "xinfang-lib.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "xinfang-lib.selectorLabels" . | nindent 4 }}
  ports:
    - name: {{ include "xinfang-lib.portName" . }}
      port: {{ .Values.port }}
      targetPort: {{ include "xinfang-lib.portName" . }}
      protocol: TCP
      appProtocol: {{ include "xinfang-lib.portName" . }}
{{- end -}}

{{/* The service's port: gRPC, or HTTP for the portal. */}}
{{- define "xinfang-lib.portName" -}}
{{- if eq (.Values.protocol | default "grpc") "http" }}http{{ else }}grpc{{ end -}}
{{- end -}}

{{/* The portal's Ingress: the only door from outside, TLS at the ingress controller. */}}
{{- define "xinfang-lib.ingress" -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "xinfang-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "xinfang-lib.labels" . | nindent 4 }}
spec:
  {{- with .Values.ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  tls:
    - hosts: [{{ .Values.ingress.host | quote }}]
      secretName: {{ .Values.ingress.tlsSecret }}
  rules:
    - host: {{ .Values.ingress.host | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ include "xinfang-lib.fullname" . }}
                port:
                  name: http
{{- end -}}

{{- define "xinfang-lib.hpa" -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "xinfang-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "xinfang-lib.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "xinfang-lib.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .Values.autoscaling.cpuPercent }}
{{- end -}}

{{- define "xinfang-lib.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "xinfang-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "xinfang-lib.labels" . | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "xinfang-lib.selectorLabels" . | nindent 6 }}
{{- end -}}

{{/*
Only the release's own pods and the namespaces named in global.networkPolicy.clientNamespaces
(the ingress controller's, the portal's) reach a service's gRPC port.
*/}}
{{- define "xinfang-lib.networkPolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "xinfang-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "xinfang-lib.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "xinfang-lib.selectorLabels" . | nindent 6 }}
  policyTypes: ["Ingress"]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/instance: {{ .Release.Name }}
        {{- range .Values.global.networkPolicy.clientNamespaces }}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ . }}
        {{- end }}
      ports:
        - port: {{ include "xinfang-lib.portName" . }}
          protocol: TCP
{{- end -}}

{{- define "xinfang-lib.serviceMonitor" -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "xinfang-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "xinfang-lib.labels" . | nindent 4 }}
spec:
  selector:
    matchLabels:
      {{- include "xinfang-lib.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: grpc
      path: /metrics
      interval: 30s
{{- end -}}
