{{/*
Chart name, overridable.
*/}}
{{- define "promoter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name of the release's objects. The release name alone when it already contains the chart name.
*/}}
{{- define "promoter.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "promoter.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Labels that select the pods; never change them after the first install (Deployment selectors are immutable).
*/}}
{{- define "promoter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "promoter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Labels on every object.
*/}}
{{- define "promoter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "promoter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: promoter
{{- end -}}

{{/*
Labels of the `helm test` pod: deliberately not the selector labels, so that the Service, the
PodDisruptionBudget and the NetworkPolicy never pick it up.
*/}}
{{- define "promoter.testLabels" -}}
app.kubernetes.io/name: {{ printf "%s-test" (include "promoter.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: helm-test
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "promoter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "promoter.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "promoter.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/*
Name of the Secret the chart itself creates (for values given inline).
*/}}
{{- define "promoter.secretName" -}}
{{- include "promoter.fullname" . -}}
{{- end -}}

{{- define "promoter.policiesConfigMapName" -}}
{{- printf "%s-policies" (include "promoter.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Prometheus credential key: the one the user named, or the conventional one for the auth type.
*/}}
{{- define "promoter.prometheusSecretKey" -}}
{{- $auth := .Values.prometheus.auth -}}
{{- if $auth.existingSecretKey -}}
{{- $auth.existingSecretKey -}}
{{- else if eq $auth.type "bearer" -}}
PROMETHEUS_BEARER_TOKEN
{{- else -}}
PROMETHEUS_PASSWORD
{{- end -}}
{{- end -}}

{{/*
PROMOTER_API_TOKENS from auth.tokens: name:role[:scope]:secret, comma separated; the scope lists the
namespaces and the clusters written @name (ns1|ns2|@cluster).
*/}}
{{- define "promoter.apiTokens" -}}
{{- $entries := list -}}
{{- range .Values.auth.tokens -}}
{{- $scope := .namespaces | default list -}}
{{- range .clusters -}}
{{- $scope = append $scope (printf "@%s" .) -}}
{{- end -}}
{{- if $scope -}}
{{- $entries = append $entries (printf "%s:%s:%s:%s" .name .role (join "|" $scope) .secret) -}}
{{- else -}}
{{- $entries = append $entries (printf "%s:%s:%s" .name .role .secret) -}}
{{- end -}}
{{- end -}}
{{- join "," $entries -}}
{{- end -}}

{{/*
The keys of the chart's own Secret, as a dict (empty when everything comes from existing Secrets).
*/}}
{{- define "promoter.secretData" -}}
{{- $data := dict -}}
{{- if and .Values.database.url (not .Values.database.existingSecret) -}}
{{- $_ := set $data "DATABASE_URL" .Values.database.url -}}
{{- end -}}
{{- if and .Values.auth.tokens (not .Values.auth.existingSecret) -}}
{{- $_ := set $data "PROMOTER_API_TOKENS" (include "promoter.apiTokens" .) -}}
{{- end -}}
{{- $auth := .Values.prometheus.auth -}}
{{- if not $auth.existingSecret -}}
{{- if and (eq $auth.type "bearer") $auth.bearerToken -}}
{{- $_ := set $data "PROMETHEUS_BEARER_TOKEN" $auth.bearerToken -}}
{{- else if and (eq $auth.type "basic") $auth.password -}}
{{- $_ := set $data "PROMETHEUS_PASSWORD" $auth.password -}}
{{- end -}}
{{- end -}}
{{- $hooks := .Values.webhookChecks -}}
{{- if not $hooks.existingSecret -}}
{{- range $key, $value := $hooks.secretEnv -}}
{{- $_ := set $data $key ($value | toString) -}}
{{- end -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/*
Namespaces that get a Role + RoleBinding: rbac.namespaces, or the release's namespace.
*/}}
{{- define "promoter.rbacNamespaces" -}}
{{- if .Values.rbac.namespaces -}}
{{- toYaml (uniq .Values.rbac.namespaces) -}}
{{- else -}}
{{- toYaml (list .Release.Namespace) -}}
{{- end -}}
{{- end -}}

{{/*
The least-privilege rules the service needs (docs/operations.md explains each).
*/}}
{{- define "promoter.rbacRules" -}}
{{- /* Exactly the calls the Kubernetes adapter makes (test/helm/rbac-matches-adapter.test.ts compares them). */}}
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "patch"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
{{- if .Values.rbac.canaryScaleDown }}
- apiGroups: ["apps"]
  resources: ["deployments/scale"]
  verbs: ["patch"]
{{- end }}
{{- end -}}

{{/*
Selector for promoter's own series in the PrometheusRule.
*/}}
{{- define "promoter.metricSelector" -}}
{{- if .Values.prometheusRule.selector -}}
{{- .Values.prometheusRule.selector -}}
{{- else -}}
{{- printf "job=%q,namespace=%q" (include "promoter.fullname" .) .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{/*
Combinations of values that JSON Schema cannot express well. All problems are reported at once, each
saying what to set.
*/}}
{{- define "promoter.validate" -}}
{{- $v := .Values -}}
{{- $errors := list -}}
{{- if $v.embeddedDatabase.enabled -}}
  {{- if or $v.database.url $v.database.existingSecret -}}
    {{- $errors = append $errors "embeddedDatabase.enabled=true cannot be combined with database.url or database.existingSecret" -}}
  {{- end -}}
  {{- if ne (int $v.replicas) 1 -}}
    {{- $errors = append $errors "embeddedDatabase.enabled=true needs replicas: 1 (each pod would have its own database)" -}}
  {{- end -}}
{{- else if and (not $v.database.url) (not $v.database.existingSecret) -}}
  {{- $errors = append $errors "set database.url or database.existingSecret (a Secret holding DATABASE_URL); for a throw-away single-replica install, embeddedDatabase.enabled=true" -}}
{{- end -}}
{{- if and $v.database.url $v.database.existingSecret -}}
  {{- $errors = append $errors "set database.url or database.existingSecret, not both" -}}
{{- end -}}
{{- $identity := or $v.identity.people $v.identity.workloads -}}
{{- if and (not $v.auth.tokens) (not $v.auth.existingSecret) (not $identity) -}}
  {{- $errors = append $errors "set auth.tokens or auth.existingSecret (a Secret holding PROMOTER_API_TOKENS), or identity.people / identity.workloads; the service refuses to start with nobody to let in" -}}
{{- end -}}
{{- if $v.identity.people -}}
  {{- range $field := list "issuer" "clientId" "rules" -}}
    {{- if not (index $v.identity.people $field) -}}
      {{- $errors = append $errors (printf "identity.people needs %s" $field) -}}
    {{- end -}}
  {{- end -}}
  {{- if not ($v.publicUrl | default $v.notifications.publicUrl) -}}
    {{- $errors = append $errors "identity.people needs publicUrl: the address people reach the service at (the provider sends them back to <publicUrl>/auth/callback)" -}}
  {{- end -}}
{{- else if $v.identity.clientSecret.existingSecret -}}
  {{- $errors = append $errors "identity.clientSecret.existingSecret is set but identity.people is empty: the client secret belongs to the people's OpenID provider" -}}
{{- end -}}
{{- if and $v.auth.tokens $v.auth.existingSecret -}}
  {{- $errors = append $errors "set auth.tokens or auth.existingSecret, not both" -}}
{{- end -}}
{{- if not $v.prometheus.url -}}
  {{- $errors = append $errors "set prometheus.url (the Prometheus HTTP API the checks query)" -}}
{{- end -}}
{{- $pa := $v.prometheus.auth -}}
{{- if eq $pa.type "bearer" -}}
  {{- if eq (empty $pa.bearerToken) (empty $pa.existingSecret) -}}
    {{- $errors = append $errors "prometheus.auth.type=bearer needs exactly one of prometheus.auth.bearerToken or prometheus.auth.existingSecret" -}}
  {{- end -}}
  {{- if or $pa.username $pa.password -}}
    {{- $errors = append $errors "prometheus.auth.username/password are for type basic, not bearer" -}}
  {{- end -}}
{{- else if eq $pa.type "basic" -}}
  {{- if not $pa.username -}}
    {{- $errors = append $errors "prometheus.auth.type=basic needs prometheus.auth.username" -}}
  {{- end -}}
  {{- if eq (empty $pa.password) (empty $pa.existingSecret) -}}
    {{- $errors = append $errors "prometheus.auth.type=basic needs exactly one of prometheus.auth.password or prometheus.auth.existingSecret" -}}
  {{- end -}}
  {{- if $pa.bearerToken -}}
    {{- $errors = append $errors "prometheus.auth.bearerToken is for type bearer, not basic" -}}
  {{- end -}}
{{- else if or $pa.bearerToken $pa.username $pa.password $pa.existingSecret -}}
  {{- $errors = append $errors "prometheus.auth credentials are set but prometheus.auth.type is none; set it to bearer or basic" -}}
{{- end -}}
{{- $clusterNames := list -}}
{{- range $v.clusters.items -}}
  {{- $clusterNames = append $clusterNames .name -}}
  {{- if and .kubeconfigKey (not $v.clusters.kubeconfigSecret) -}}
    {{- $errors = append $errors (printf "clusters.items '%s' reads kubeconfigKey '%s': set clusters.kubeconfigSecret (the Secret holding the kubeconfigs)" .name .kubeconfigKey) -}}
  {{- end -}}
{{- end -}}
{{- if ne (len $clusterNames) (len (uniq $clusterNames)) -}}
  {{- $errors = append $errors "clusters.items: each name may be used once" -}}
{{- end -}}
{{- if and $v.clusters.default (not (has $v.clusters.default $clusterNames)) -}}
  {{- $errors = append $errors (printf "clusters.default '%s' must be the name of one of clusters.items" $v.clusters.default) -}}
{{- end -}}
{{- if and $v.rbac.clusterWide $v.rbac.namespaces -}}
  {{- $errors = append $errors "rbac.namespaces must be empty when rbac.clusterWide=true" -}}
{{- end -}}
{{- if $errors -}}
  {{- fail (printf "\npromoter: invalid values:\n  - %s" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end -}}
