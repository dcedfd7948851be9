{{/* Resource names are "<release>-<component>" (fullnameOverride replaces the release part). */}}
{{- define "helix.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "helix.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "helix.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by every object; "component" is added per object. */}}
{{- define "helix.labels" -}}
helm.sh/chart: {{ include "helix.chart" .root }}
app.kubernetes.io/name: {{ include "helix.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: helix
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{- define "helix.selectorLabels" -}}
app.kubernetes.io/name: {{ include "helix.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
An image reference with a pinned tag: the component's tag, else the chart's appVersion.
"latest" (or no tag at all) is refused at render time.
*/}}
{{- define "helix.image" -}}
{{- $tag := .image.tag | default .root.Chart.AppVersion | toString -}}
{{- if or (eq $tag "") (eq $tag "latest") -}}
{{- fail (printf "image %s needs a pinned tag (not \"latest\")" .image.repository) -}}
{{- end -}}
{{- $registry := .image.registry | default .root.Values.global.imageRegistry -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry .image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Name of a component's key Secret: existingSecret, else "<release>-<component>". */}}
{{- define "helix.secretName" -}}
{{- .values.secret.existingSecret | default (printf "%s-%s" (include "helix.fullname" .root) .component) -}}
{{- end -}}

{{/* Name of a component's NATS credentials Secret: existingSecret, else "<release>-<component>-nats". */}}
{{- define "helix.natsSecretName" -}}
{{- .values.natsCreds.existingSecret | default (printf "%s-%s-nats" (include "helix.fullname" .root) .component) -}}
{{- end -}}

{{- define "helix.podSecurityContext" -}}
{{ toYaml .Values.podSecurityContext }}
{{- end -}}

{{- define "helix.containerSecurityContext" -}}
{{ toYaml .Values.containerSecurityContext }}
{{- end -}}

{{/* Environment every process gets: NATS URL, its creds file, log level. */}}
{{- define "helix.commonEnv" -}}
- name: HELIX_NATS_URL
  value: {{ .root.Values.nats.url | quote }}
- name: LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
- name: NODE_ENV
  value: production
{{- if include "helix.natsTlsCa" .root }}
- name: HELIX_NATS_TLS_CA
  value: /var/run/helix/nats-ca/{{ .root.Values.nats.tlsCa.key }}
{{- end }}
{{- end -}}

{{/* Non-empty when a NATS CA bundle is configured. */}}
{{- define "helix.natsTlsCa" -}}
{{- if or .Values.nats.tlsCa.secretName .Values.nats.tlsCa.configMapName }}true{{ end -}}
{{- end -}}

{{- define "helix.natsTlsCaMount" -}}
{{- if include "helix.natsTlsCa" . }}
- name: nats-ca
  mountPath: /var/run/helix/nats-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "helix.natsTlsCaVolume" -}}
{{- with .Values.nats.tlsCa }}
{{- if .secretName }}
- name: nats-ca
  secret:
    secretName: {{ .secretName }}
    defaultMode: 0444
{{- else if .configMapName }}
- name: nats-ca
  configMap:
    name: {{ .configMapName }}
    defaultMode: 0444
{{- end }}
{{- end }}
{{- end -}}

{{/* One env entry per secret file: <NAME>_FILE=/var/run/helix/secrets/<NAME>. */}}
{{- define "helix.secretFileEnv" -}}
{{- range .names }}
- name: {{ . }}_FILE
  value: /var/run/helix/secrets/{{ . }}
{{- end }}
{{- end -}}

{{/* Mounts every Helix container has: its secrets, its NATS creds, a writable /tmp. */}}
{{- define "helix.secretVolumeMounts" -}}
- name: secrets
  mountPath: /var/run/helix/secrets
  readOnly: true
- name: nats-creds
  mountPath: /var/run/helix/nats
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- include "helix.natsTlsCaMount" .root }}
{{- end -}}

{{- define "helix.secretVolumes" -}}
- name: secrets
  secret:
    secretName: {{ include "helix.secretName" . }}
    defaultMode: 0440
- name: nats-creds
  secret:
    secretName: {{ include "helix.natsSecretName" . }}
    defaultMode: 0440
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpSizeLimit }}
{{- include "helix.natsTlsCaVolume" .root }}
{{- end -}}
