{{/*
A control-plane service (gateway, settings-service, models-service): Deployment, Service, HPA, PDB.
Arguments (dict): root, component, values (its block in values.yaml), secretNames (variables read
from the component's Secret as <NAME>_FILE), env (extra env entries, YAML list text).
*/}}
{{- define "helix.serviceWorkload" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $fullname := printf "%s-%s" (include "helix.fullname" $root) .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "helix.labels" . | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "helix.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "helix.labels" . | nindent 8 }}
      {{- $annotations := $v.podAnnotations | default dict }}
      {{- if $root.Values.secrets.create }}
      {{- /* Roll the pods when the chart-managed Secret changes. */}}
      {{- $annotations = merge (dict "checksum/secret" (toJson $v.secret.values | sha256sum | trunc 16)) $annotations }}
      {{- end }}
      {{- with $annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      securityContext:
        {{- include "helix.podSecurityContext" $root | nindent 8 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "helix.image" (dict "root" $root "image" $root.Values.controlPlane.image) }}
          imagePullPolicy: {{ $root.Values.controlPlane.image.pullPolicy }}
          args: [{{ .component | quote }}]
          securityContext:
            {{- include "helix.containerSecurityContext" $root | nindent 12 }}
          env:
            {{- include "helix.commonEnv" . | nindent 12 }}
            - name: HELIX_NATS_CREDS
              value: /var/run/helix/nats/{{ .component }}.creds
            {{- include "helix.secretFileEnv" (dict "names" .secretNames) | trim | nindent 12 }}
            {{- with .env }}
            {{- . | nindent 12 }}
            {{- end }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
          startupProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 2
            failureThreshold: 60
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          volumeMounts:
            {{- include "helix.secretVolumeMounts" . | nindent 12 }}
      volumes:
        {{- include "helix.secretVolumes" . | nindent 8 }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "helix.selectorLabels" . | nindent 14 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "helix.labels" . | nindent 4 }}
spec:
  type: {{ $v.service.type | default "ClusterIP" }}
  selector:
    {{- include "helix.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $v.service.port }}
      targetPort: http
      protocol: TCP
{{- if $v.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "helix.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullname }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
    {{- with $v.autoscaling.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
{{- end }}
{{- if $v.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "helix.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $v.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "helix.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}
