{{/* Names, labels and the pieces every ArkID pod shares. */}}

{{- define "arkid.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "arkid.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: include "arkid.selector" (list $ "web") */}}
{{- define "arkid.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "arkid.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "arkid.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "arkid.fullname" .) -}}
{{- end -}}

{{- define "arkid.databaseUrl" -}}
{{- if .Values.postgresql.bundled -}}
postgres://{{ .Values.postgresql.username }}:{{ required "postgresql.password is required with the bundled PostgreSQL" .Values.postgresql.password }}@{{ include "arkid.fullname" . }}-postgresql:5432/{{ .Values.postgresql.database }}
{{- else -}}
{{- required "externalDatabase.url is required when postgresql.bundled is false" .Values.externalDatabase.url -}}
{{- end -}}
{{- end -}}

{{- define "arkid.redisUrl" -}}
{{- if .Values.redis.bundled -}}
redis://{{ include "arkid.fullname" . }}-redis:6379/0
{{- else -}}
{{- required "externalRedis.url is required when redis.bundled is false" .Values.externalRedis.url -}}
{{- end -}}
{{- end -}}

{{/* Environment of every ArkID container: settings from values, secrets from the Secret. */}}
{{- define "arkid.env" -}}
- name: ARKID_ENV
  value: production
- name: ARKID_BASE_URL
  value: {{ .Values.baseUrl | quote }}
- name: ARKID_ALLOWED_HOSTS
  value: {{ join "," .Values.allowedHosts | quote }}
- name: ARKID_TRUSTED_PROXIES
  value: {{ .Values.trustedProxies | quote }}
- name: ARKID_PROXY_SSL_HEADER
  value: X-Forwarded-Proto
- name: ARKID_LDAP_BASE_DN
  value: {{ .Values.ldap.baseDn | quote }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- range $key, $name := dict "secret-key" "ARKID_SECRET_KEY" "database-url" "ARKID_DATABASE_URL" "redis-url" "ARKID_REDIS_URL" }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "arkid.secretName" $ }}
      key: {{ $key }}
{{- end }}
{{- range $key, $name := dict "encryption-keys" "ARKID_ENCRYPTION_KEYS" "admin-password" "ARKID_ADMIN_PASSWORD" "metrics-token" "ARKID_METRICS_TOKEN" "ldap-admin-password" "ARKID_LDAP_ADMIN_PASSWORD" }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "arkid.secretName" $ }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- end -}}

{{/* Writable places under a read-only root filesystem, and settings_local.py. */}}
{{- define "arkid.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: var
  mountPath: /var/lib/arkid
{{- if .Values.settingsLocal }}
- name: settings-local
  mountPath: /app/settings_local.py
  subPath: settings_local.py
  readOnly: true
{{- end }}
{{- end -}}

{{- define "arkid.volumes" -}}
- name: tmp
  emptyDir: {}
- name: var
  emptyDir: {}
{{- if .Values.settingsLocal }}
- name: settings-local
  configMap:
    name: {{ include "arkid.fullname" . }}-settings
{{- end }}
{{- end -}}

{{/* Pods restart when their configuration or secrets change (a Deployment only rolls on a
pod template change). */}}
{{- define "arkid.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | cat (toJson .Values.env) | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

{{/* Everything a pod spec of an ArkID role shares. ArkID never talks to the Kubernetes API,
so no service account token is mounted. */}}
{{- define "arkid.podCommon" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
