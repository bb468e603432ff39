{{/* Names, labels and the pieces every pod of the chart shares. */}}

{{- define "tenantry.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tenantry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tenantry
{{- end -}}

{{/* Selector labels of one process kind: include "tenantry.selector" (list . "web") */}}
{{- define "tenantry.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "tenantry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (printf "%s-console" (include "tenantry.fullname" .)) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tenantry.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "tenantry.secretName" -}}
{{- required "existingSecret is required: the name of a Secret holding SECRET_KEY, DATABASE_URL, REDIS_URL and METRICS_TOKEN" .Values.existingSecret -}}
{{- end -}}

{{/* Environment of every process: settings as values, secrets from existingSecret. */}}
{{- define "tenantry.env" -}}
- name: DEBUG
  value: "0"
- name: ALLOWED_HOSTS
  value: {{ printf "%s,localhost" .Values.host | quote }}
- name: CSRF_TRUSTED_ORIGINS
  value: {{ printf "%s://%s" .Values.scheme .Values.host | quote }}
- name: SITE_URL
  value: {{ printf "%s://%s" .Values.scheme .Values.host | quote }}
{{- if eq .Values.scheme "https" }}
- name: TRUST_X_FORWARDED_PROTO
  value: "1"
- name: SECURE_SSL_REDIRECT
  value: {{ ternary "1" "0" .Values.security.sslRedirect | quote }}
- name: SECURE_HSTS_SECONDS
  value: {{ .Values.security.hstsSeconds | quote }}
- name: SECURE_HSTS_INCLUDE_SUBDOMAINS
  value: {{ ternary "1" "0" .Values.security.hstsIncludeSubdomains | quote }}
{{- else }}
- name: SECURE_COOKIES
  value: "0"
{{- end }}
- name: LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: TENANTRY_SYSTEM_NAMESPACE
  value: {{ include "tenantry.systemNamespace" . | quote }}
- name: TENANTRY_INGRESS_NAMESPACE
  value: {{ .Values.ingressControllerNamespace | quote }}
- name: TENANTRY_CONSOLE_USERNAME
  value: {{ printf "system:serviceaccount:%s:%s" .Release.Namespace (include "tenantry.serviceAccountName" .) | quote }}
- name: CELERY_BEAT_LOCK_SECONDS
  value: {{ .Values.beat.lockSeconds | quote }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "tenantry.envFrom" -}}
- secretRef:
    name: {{ include "tenantry.secretName" . }}
{{- end -}}

{{/* Pod-level pieces shared by every pod: security context, /tmp, pull secrets. */}}
{{- define "tenantry.podCommon" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{- define "tenantry.containerCommon" -}}
image: {{ include "tenantry.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
envFrom:
  {{- include "tenantry.envFrom" . | nindent 2 }}
{{- end -}}

{{/* Rules of one kind ("ClusterRole" or "Role") from files/console-rbac.yaml, the same
     file the realcluster tests apply (deploy/rbac/console-clusterrole.yaml). */}}
{{- define "tenantry.rbacRules" -}}
{{- $root := index . 0 -}}
{{- $kind := index . 1 -}}
{{- $found := "" -}}
{{- range $doc := splitList "\n---" ($root.Files.Get "files/console-rbac.yaml") -}}
{{- $object := fromYaml $doc -}}
{{- if eq (get $object "kind") $kind -}}
{{- $found = toYaml (get $object "rules") -}}
{{- end -}}
{{- end -}}
{{- required (printf "files/console-rbac.yaml has no %s" $kind) $found -}}
{{- end -}}

{{- define "tenantry.systemNamespace" -}}
{{- .Values.systemNamespace | default .Release.Namespace -}}
{{- end -}}
