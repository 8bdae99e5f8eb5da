{{/*
Named templates. Every one takes a context of the form

    (dict "Values" <the auditlake values> "Release" .Release)

so that an application's chart, with auditlake as a dependency, renders the same names and the
same sidecar as this chart does:

    spec:
      template:
        spec:
          initContainers:       # "containers:" when auditlake.sidecar.native is false
            {{- include "auditlake.sidecar.container" (dict "Values" .Values.auditlake "Release" .Release) | nindent 12 }}
          volumes:
            {{- include "auditlake.sidecar.volumes" (dict "Values" .Values.auditlake "Release" .Release) | nindent 12 }}

and, in the application's container:

          volumeMounts:
            {{- include "auditlake.app.volumeMount" (dict "Values" .Values.auditlake "Release" .Release) | nindent 12 }}

Names do not use .Chart, which is the application's chart in that case.
*/}}

{{- define "auditlake.name" -}}
{{- default "auditlake" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "auditlake.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "auditlake.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A name of at most 52 characters with a suffix: CronJob names are limited to 52. */}}
{{- define "auditlake.cronJobName" -}}
{{- $base := include "auditlake.fullname" .ctx | trunc (int (sub 51 (len .suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $base .suffix -}}
{{- end -}}

{{- define "auditlake.configMapName" -}}
{{- printf "%s-config" (include "auditlake.fullname" . | trunc 56 | trimSuffix "-") -}}
{{- end -}}

{{- define "auditlake.selectorLabels" -}}
app.kubernetes.io/name: {{ include "auditlake.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "auditlake.labels" -}}
{{ include "auditlake.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: auditlake
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "auditlake.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/* The service account of the agent's pods. */}}
{{- define "auditlake.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "auditlake.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The service account of a job: (dict "ctx" $ctx "job" "retention"|"verify"). */}}
{{- define "auditlake.jobServiceAccountName" -}}
{{- $sa := (index .ctx.Values .job).serviceAccount -}}
{{- if $sa.create -}}
{{- default (printf "%s-%s" (include "auditlake.fullname" .ctx | trunc 52 | trimSuffix "-") .job) $sa.name -}}
{{- else if $sa.name -}}
{{- $sa.name -}}
{{- else -}}
{{- include "auditlake.serviceAccountName" .ctx -}}
{{- end -}}
{{- end -}}

{{/* terminationGracePeriodSeconds of a pod with the sidecar: the agent's grace + 10 s. */}}
{{- define "auditlake.terminationGracePeriodSeconds" -}}
{{- add (int64 .Values.agent.shutdownGraceSecs) 10 -}}
{{- end -}}

{{- define "auditlake.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "auditlake.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The sections the agent's file and the console's (console.enabled) share, so that both name the
same archive, route to the same tiers and sign with the same key. Each section is preceded by a
blank line; include them with "{{- include ... }}".
*/}}

{{/* [archive], and [archive.s3] for an s3:// url with S3 options. */}}
{{- define "auditlake.config.archive" -}}
{{- $v := .Values }}

[archive]
url = {{ $v.archive.url | toJson }}
{{- $s3 := $v.archive.s3 }}
{{- if and (hasPrefix "s3://" $v.archive.url) (or $s3.region $s3.endpoint $s3.forcePathStyle $s3.sse $s3.kmsKeyId) }}

[archive.s3]
{{- with $s3.region }}
region = {{ toJson . }}
{{- end }}
{{- with $s3.endpoint }}
endpoint = {{ toJson . }}
{{- end }}
{{- if $s3.forcePathStyle }}
force_path_style = true
{{- end }}
{{- with $s3.sse }}
sse = {{ toJson . }}
{{- end }}
{{- with $s3.kmsKeyId }}
kms_key_id = {{ toJson . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The [[tiers]], in routing order. */}}
{{- define "auditlake.config.tiers" -}}
{{- $v := .Values -}}
{{- range $v.tiers }}

[[tiers]]
name = {{ .name | toJson }}
retention_days = {{ int64 .retentionDays }}
{{- with .storageClass }}
storage_class = {{ toJson . }}
{{- end }}
{{- with .objectLock }}
object_lock = {{ toJson . }}
{{- end }}
{{- with .match }}
{{- $parts := list }}
{{- with .categories }}{{ $parts = append $parts (printf "categories = %s" (toJson .)) }}{{ end }}
{{- with .actions }}{{ $parts = append $parts (printf "actions = %s" (toJson .)) }}{{ end }}
match = { {{ join ", " $parts }} }
{{- end }}
{{- end }}
{{- end -}}

{{/* [digest]: the mounted signing key, when secrets.signingKey names one. */}}
{{- define "auditlake.config.digest" -}}
{{- $v := .Values -}}
{{- if $v.secrets.signingKey.existingSecret }}

[digest]
signing_key_file = "/var/run/secrets/auditlake/signing/signing.key"
{{- end }}
{{- end -}}

{{/* The agent's configuration file, from the values. */}}
{{- define "auditlake.config.toml" -}}
{{- $v := .Values -}}
# Generated by the auditlake chart from its values; see README.md for every key.
version = 1

[agent]
state_dir = "/var/lib/auditlake"
listen = {{ printf "0.0.0.0:%d" (int64 $v.agent.port) | quote }}
flush_interval_secs = {{ int64 $v.agent.flushIntervalSecs }}
batch_max_events = {{ int64 $v.agent.batchMaxEvents }}
batch_max_bytes = {{ int64 $v.agent.batchMaxBytes }}
spool_max_bytes = {{ int64 $v.agent.spoolMaxBytes }}
row_group_rows = {{ int64 $v.agent.rowGroupRows }}
zstd_level = {{ int64 $v.agent.zstdLevel }}
poll_interval_ms = {{ int64 $v.agent.pollIntervalMs }}
shutdown_grace_secs = {{ int64 $v.agent.shutdownGraceSecs }}
{{- include "auditlake.config.archive" . }}
{{- range $v.sources }}

[[sources]]
name = {{ .name | toJson }}
paths = {{ .paths | toJson }}
{{- with .exclude }}
exclude = {{ toJson . }}
{{- end }}
profile = {{ .profile | toJson }}
{{- with .startAt }}
start_at = {{ toJson . }}
{{- end }}
{{- if hasKey . "keepRaw" }}
keep_raw = {{ .keepRaw }}
{{- end }}
{{- with .maxLineBytes }}
max_line_bytes = {{ int64 . }}
{{- end }}
{{- end }}
{{- include "auditlake.config.tiers" . }}
{{- include "auditlake.config.digest" . }}
{{- with $v.extraConfig }}

{{ . }}
{{- end }}
{{- end -}}

{{/* Environment shared by the sidecar and the jobs: secrets and the AWS region / endpoint. */}}
{{- define "auditlake.secretEnv" -}}
{{- $v := .Values -}}
{{- if $v.secrets.webhookToken.existingSecret -}}
- name: AUDITLAKE_WEBHOOK_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.webhookToken.existingSecret }}
      key: {{ $v.secrets.webhookToken.key }}
{{ end -}}
{{- end -}}

{{/* The sidecar container: one list item, for "containers:" or, native, "initContainers:". */}}
{{- define "auditlake.sidecar.container" -}}
{{- $v := .Values -}}
- name: auditlake
  image: {{ include "auditlake.image" . }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  {{- if $v.sidecar.native }}
  restartPolicy: Always
  {{- end }}
  args:
    - agent
    - --config
    - /etc/auditlake/auditlake.toml
  env:
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    - name: NODE_NAME
      valueFrom:
        fieldRef:
          fieldPath: spec.nodeName
    - name: CONTAINER_NAME
      value: {{ $v.sidecar.appContainerName | quote }}
    {{- with include "auditlake.secretEnv" . | trim }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with $v.sidecar.mallocTunables }}
    - name: GLIBC_TUNABLES
      value: {{ . | quote }}
    {{- end }}
    {{- with $v.sidecar.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: audit-metrics
      containerPort: {{ int64 $v.agent.port }}
      protocol: TCP
  livenessProbe:
    httpGet:
      path: /healthz
      port: audit-metrics
    {{- toYaml $v.sidecar.livenessProbe | nindent 4 }}
  {{- if $v.sidecar.readinessProbe.enabled }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: audit-metrics
    {{- toYaml (omit $v.sidecar.readinessProbe "enabled") | nindent 4 }}
  {{- end }}
  resources:
    {{- toYaml $v.sidecar.resources | nindent 4 }}
  securityContext:
    {{- include "auditlake.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    - name: auditlake-config
      mountPath: /etc/auditlake
      readOnly: true
    - name: auditlake-state
      mountPath: /var/lib/auditlake
    - name: auditlake-tmp
      mountPath: /tmp
    - name: {{ $v.logVolume.name }}
      mountPath: {{ $v.logVolume.mountPath }}
      readOnly: true
    {{- if $v.secrets.signingKey.existingSecret }}
    - name: auditlake-signing-key
      mountPath: /var/run/secrets/auditlake/signing
      readOnly: true
    {{- end }}
{{- end -}}

{{/* The sidecar's volumes: list items for the pod's "volumes:". */}}
{{- define "auditlake.sidecar.volumes" -}}
{{- $v := .Values -}}
- name: auditlake-config
  configMap:
    name: {{ include "auditlake.configMapName" . }}
- name: auditlake-state
  {{- if eq $v.stateVolume.type "persistentVolumeClaim" }}
  persistentVolumeClaim:
    claimName: {{ $v.stateVolume.claimName }}
  {{- else }}
  emptyDir:
    sizeLimit: {{ $v.stateVolume.sizeLimit }}
  {{- end }}
- name: auditlake-tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if $v.logVolume.create }}
- name: {{ $v.logVolume.name }}
  emptyDir:
    sizeLimit: {{ $v.logVolume.sizeLimit }}
{{- end }}
{{- with include "auditlake.signingKeyVolume" . | trim }}
{{ . }}
{{- end }}
{{- end -}}

{{- define "auditlake.signingKeyVolume" -}}
{{- if .Values.secrets.signingKey.existingSecret }}
- name: auditlake-signing-key
  secret:
    secretName: {{ .Values.secrets.signingKey.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.secrets.signingKey.key }}
        path: signing.key
{{- end }}
{{- end -}}

{{/* The mount of the log volume in the application's container (read-write). */}}
{{- define "auditlake.app.volumeMount" -}}
- name: {{ .Values.logVolume.name }}
  mountPath: {{ .Values.logVolume.mountPath }}
{{- end -}}

{{/*
The console (`auditlake serve`, console.enabled): its names, its configuration file and its pod's
volumes. The same context as above.
*/}}

{{- define "auditlake.console.fullname" -}}
{{- printf "%s-console" (include "auditlake.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{- define "auditlake.console.configMapName" -}}
{{- printf "%s-config" (include "auditlake.console.fullname" . | trunc 56 | trimSuffix "-") -}}
{{- end -}}

{{- define "auditlake.console.selectorLabels" -}}
{{ include "auditlake.selectorLabels" . }}
app.kubernetes.io/component: console
{{- end -}}

{{/* The console's service account: its own, unless console.serviceAccount names another. */}}
{{- define "auditlake.console.serviceAccountName" -}}
{{- $sa := .Values.console.serviceAccount -}}
{{- if $sa.create -}}
{{- default (include "auditlake.console.fullname" .) $sa.name -}}
{{- else -}}
{{- default "default" $sa.name -}}
{{- end -}}
{{- end -}}

{{/* Where the console keeps the record of reads and its pipeline's state (a volume). */}}
{{- define "auditlake.console.stateDir" -}}
/var/lib/auditlake-serve
{{- end -}}

{{/* terminationGracePeriodSeconds of the console's pod: 5 s for the requests in flight, the
pipeline's grace to flush the record of reads, and 10 s more. */}}
{{- define "auditlake.console.terminationGracePeriodSeconds" -}}
{{- add (int64 .Values.console.shutdownGraceSecs) 15 -}}
{{- end -}}

{{/* The console's configuration file: the agent's [archive], [[tiers]], [digest] and
extraConfig, the [agent] settings of the pipeline that archives the record of reads, and
[serve]. */}}
{{- define "auditlake.console.toml" -}}
{{- $v := .Values -}}
{{- $c := $v.console -}}
{{- $names := list -}}
{{- range $c.tokens -}}
{{- if has .name $names -}}
{{- fail (printf "console.tokens: the name %q is given twice" .name) -}}
{{- end -}}
{{- $names = append $names .name -}}
{{- end -}}
{{- range $v.sources -}}
{{- if eq .name $c.accessSource -}}
{{- fail (printf "console.accessSource: %q is also a source's name; each source is one digest chain" .name) -}}
{{- end -}}
{{- end -}}
# Generated by the auditlake chart from its values (console.*) for `auditlake serve`; the
# [archive], [[tiers]] and [digest] are the agent's, so the console reads the agent's archive and
# archives its record of reads beside it.
version = 1

# The pipeline that archives the record of reads; serve sets its state_dir (under
# [serve] state_dir) and listen (its own address serves /metrics).
[agent]
flush_interval_secs = {{ int64 $c.flushIntervalSecs }}
batch_max_events = {{ int64 $v.agent.batchMaxEvents }}
batch_max_bytes = {{ int64 $v.agent.batchMaxBytes }}
spool_max_bytes = {{ int64 $c.spoolMaxBytes }}
row_group_rows = {{ int64 $v.agent.rowGroupRows }}
zstd_level = {{ int64 $v.agent.zstdLevel }}
shutdown_grace_secs = {{ int64 $c.shutdownGraceSecs }}
{{- include "auditlake.config.archive" . }}
{{- include "auditlake.config.tiers" . }}
{{- include "auditlake.config.digest" . }}
{{- with $v.extraConfig }}

{{ . | trimSuffix "\n" }}
{{- end }}

[serve]
listen = {{ printf "0.0.0.0:%d" (int64 $c.port) | quote }}
state_dir = {{ include "auditlake.console.stateDir" . | quote }}
access_source = {{ $c.accessSource | toJson }}
verify_interval_secs = {{ int64 $c.verifyIntervalSecs }}
max_page = {{ int64 $c.maxPage }}
{{- with $c.oidc }}
{{- if .enabled }}

[serve.oidc]
issuer = {{ .issuer | toJson }}
audience = {{ .audience | toJson }}
{{- if .jwksUrl }}
jwks_url = {{ .jwksUrl | toJson }}
{{- else }}
jwks_file = "/etc/auditlake/jwks.json"
{{- end }}
{{- with .algorithms }}
algorithms = {{ toJson . }}
{{- end }}
{{- with .rolesClaim }}
roles_claim = {{ toJson . }}
{{- end }}
{{- with .roleMap }}
{{- $parts := list }}
{{- range $claim, $role := . }}{{ $parts = append $parts (printf "%s = %s" (toJson $claim) (toJson $role)) }}{{ end }}
role_map = { {{ join ", " $parts }} }
{{- end }}
{{- with .defaultRole }}
default_role = {{ toJson . }}
{{- end }}
{{- with .tenantClaim }}
tenant_claim = {{ toJson . }}
{{- end }}
{{- if hasKey . "leewaySecs" }}
leeway_secs = {{ int64 .leewaySecs }}
{{- end }}
{{- end }}
{{- end }}
{{- range $c.tokens }}

[[serve.tokens]]
name = {{ .name | toJson }}
sha256 = {{ .sha256 | toJson }}
role = {{ .role | toJson }}
{{- with .tenants }}
tenants = {{ toJson . }}
{{- end }}
{{- with .actorIds }}
actor_ids = {{ toJson . }}
{{- end }}
{{- end }}


[identity]
learn = {{ $c.identity.learn }}
learn_sources = {{ $c.identity.learnSources | toJson }}
learn_interval_secs = {{ int $c.identity.learnIntervalSecs }}
{{- range $c.identities }}

[[identity.people]]
{{- with .name }}
name = {{ toJson . }}
{{- end }}
ids = {{ .ids | toJson }}
{{- end }}
{{- end -}}

{{/* The signing key of [digest] with, beside it, its public key (verify.publicKey) as
signing.pub, which `auditlake serve` trusts when it checks the archive's digests. */}}
{{- define "auditlake.console.signingKeyVolume" -}}
{{- $v := .Values -}}
{{- if $v.secrets.signingKey.existingSecret }}
- name: auditlake-signing-key
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ $v.secrets.signingKey.existingSecret }}
          items:
            - key: {{ $v.secrets.signingKey.key }}
              path: signing.key
      {{- if $v.verify.publicKey.existingSecret }}
      - secret:
          name: {{ $v.verify.publicKey.existingSecret }}
          items:
            - key: {{ $v.verify.publicKey.key }}
              path: signing.pub
      {{- else if $v.verify.publicKey.value }}
      - configMap:
          name: {{ include "auditlake.configMapName" . }}
          items:
            - key: signing.pub
              path: signing.pub
      {{- end }}
{{- end }}
{{- end -}}
