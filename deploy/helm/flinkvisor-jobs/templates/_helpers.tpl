{{/* Names, labels, the grouping of jobs into clusters, and the spec of each cluster. */}}

{{- define "jobs.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flinkvisor
{{- end -}}

{{- define "jobs.flinkvisorImage" -}}
{{- default (printf "flinkvisor:%s" .Chart.AppVersion) .Values.images.flinkvisor -}}
{{- end -}}

{{- define "jobs.haServiceAccountName" -}}
{{- default (printf "%s-flink-ha" .Release.Name | trunc 63 | trimSuffix "-") .Values.highAvailability.serviceAccount.name -}}
{{- end -}}

{{/* The generated rules (files/rbac-rules.yaml, from src/install by `flinkvisor install generate`). */}}
{{- define "jobs.rules" -}}
{{- $all := .context.Files.Get "files/rbac-rules.yaml" | fromYaml -}}
{{- if not (hasKey $all .name) -}}
{{- fail (printf "files/rbac-rules.yaml has no rules %q: run `flinkvisor install generate`" .name) -}}
{{- end -}}
{{- get $all .name | toYaml -}}
{{- end -}}

{{/*
The clusters as JSON: {"order": [names in order of first appearance], "jobs": {name: [jobs]}}.
A job without `cluster` joins defaultCluster (the release name when empty).
*/}}
{{- define "jobs.clusters" -}}
{{- $default := default .Release.Name .Values.defaultCluster -}}
{{- $order := list -}}
{{- $byCluster := dict -}}
{{- range $i, $job := .Values.jobs -}}
{{- if not $job.name -}}
{{- fail (printf "jobs[%d] needs a name" $i) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $job.name) -}}
{{- fail (printf "jobs[%d].name %q must be a DNS label: lower-case letters, digits and '-'" $i $job.name) -}}
{{- end -}}
{{- $cluster := default $default $job.cluster -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $cluster) -}}
{{- fail (printf "cluster name %q (job %s) must be a DNS label: lower-case letters, digits and '-'" $cluster $job.name) -}}
{{- end -}}
{{- if gt (len $cluster) 45 -}}
{{- fail (printf "cluster name %q (job %s) is longer than 45 characters; set defaultCluster or jobs[].cluster" $cluster $job.name) -}}
{{- end -}}
{{- if gt (len (printf "%s-%s" $cluster $job.name)) 53 -}}
{{- fail (printf "FlinkJob name %s-%s is longer than 53 characters: shorten the job or cluster name" $cluster $job.name) -}}
{{- end -}}
{{- if not (hasKey $byCluster $cluster) -}}
{{- $order = append $order $cluster -}}
{{- $_ := set $byCluster $cluster list -}}
{{- end -}}
{{- range (get $byCluster $cluster) -}}
{{- if eq .name $job.name -}}
{{- fail (printf "job %s appears twice in cluster %s: job names are unique in a cluster" $job.name $cluster) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $byCluster $cluster (append (get $byCluster $cluster) $job) -}}
{{- end -}}
{{- dict "order" $order "jobs" $byCluster | toJson -}}
{{- end -}}

{{/* Values as Flink configuration strings (Flink's config.yaml values are strings in the CRD). */}}
{{- define "jobs.stringMap" -}}
{{- $out := dict -}}
{{- range $k, $v := . -}}
{{- $_ := set $out $k (include "jobs.string" $v) -}}
{{- end -}}
{{- $out | toJson -}}
{{- end -}}

{{/* A value as a string; whole numbers without an exponent (YAML numbers arrive as floats: 1000000, not 1e+06). */}}
{{- define "jobs.string" -}}
{{- if and (kindIs "float64" .) (eq . (float64 (int64 .))) -}}
{{- printf "%d" (int64 .) -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/*
A JobManager or TaskManager spec: the chart's additions (plugins, HA ServiceAccount) under the
user's values; lists are joined, maps merged, user wins.
Input: dict "extras" <dict> "user" <dict>.
*/}}
{{- define "jobs.podSpec" -}}
{{- $user := deepCopy (.user | default dict) -}}
{{- if not $user.resources -}}
{{- $user = omit $user "resources" -}}
{{- end -}}
{{- $out := mergeOverwrite (deepCopy .extras) $user -}}
{{- range $key := list "environment" "extraPorts" -}}
{{- $joined := concat (get $.extras $key | default list) (get $user $key | default list) -}}
{{- if $joined -}}
{{- $_ := set $out $key $joined -}}
{{- end -}}
{{- end -}}
{{- $out | toJson -}}
{{- end -}}

{{/* Keeps only the entries whose values are set (non-empty), so the CRD's defaults apply to the rest. */}}
{{- define "jobs.compact" -}}
{{- $out := dict -}}
{{- range $k, $v := . -}}
{{- if or (kindIs "bool" $v) (kindIs "float64" $v) (kindIs "int" $v) (kindIs "int64" $v) $v -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- $out | toJson -}}
{{- end -}}

{{/*
spec.cluster of one FlinkDeployment. Input: dict "root" $ "name" <cluster>.
Order: values of `cluster`, then `clusters.<name>`; derived settings (storage, HA, metrics) are
added, then flinkConfiguration entries the user set win, then `spec` is merged over everything.
*/}}
{{- define "jobs.clusterSpec" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $v := $root.Values -}}
{{- $s := mergeOverwrite (deepCopy $v.cluster) (deepCopy (get $v.clusters $name | default dict)) -}}
{{- $ha := gt (int $s.jobManager.replicas) 1 -}}
{{- $prom := $v.metrics.prometheus -}}
{{- $userConf := include "jobs.stringMap" ($s.flinkConfiguration | default dict) | fromJson -}}
{{- $conf := dict -}}
{{- if $ha -}}
{{- if not (or $v.storage.scheme (hasKey $userConf "high-availability.storageDir")) -}}
{{- fail (printf "cluster %s: jobManager.replicas > 1 turns on Kubernetes HA, which keeps its metadata on durable storage: set storage.scheme and storage.baseDir (or flinkConfiguration high-availability.storageDir)" $name) -}}
{{- end -}}
{{- /* The supervisor derives the HA configuration (type, cluster-id, namespace) from jobManager.replicas. */ -}}
{{- end -}}
{{- $conf = mergeOverwrite $conf $userConf -}}
{{- /* Pods: S3 plugin, HA ServiceAccount (the metrics port and annotations come from spec.metrics). */ -}}
{{- $podExtras := dict -}}
{{- if $v.storage.s3.plugin -}}
{{- $_ := set $podExtras "environment" (list (dict "name" "ENABLE_BUILT_IN_PLUGINS" "value" $v.storage.s3.plugin)) -}}
{{- end -}}
{{- if $ha -}}
{{- $_ := set $podExtras "serviceAccount" (include "jobs.haServiceAccountName" $root) -}}
{{- end -}}
{{- $jobManager := include "jobs.podSpec" (dict "extras" $podExtras "user" (omit $s.jobManager "replicas")) | fromJson -}}
{{- $_ := set $jobManager "replicas" (int $s.jobManager.replicas) -}}
{{- $taskManager := include "jobs.podSpec" (dict "extras" $podExtras "user" $s.taskManager) | fromJson -}}
{{- $_ := set $taskManager "taskSlots" (int $s.taskSlots) -}}
{{- $runtime := dict "image" $v.images.flink "pullPolicy" $v.images.pullPolicy -}}
{{- $supervisor := mergeOverwrite (dict "image" (include "jobs.flinkvisorImage" $root) "pullPolicy" $v.images.pullPolicy) (deepCopy $s.supervisor) -}}
{{- with $v.images.pullSecret -}}
{{- $_ := set $runtime "pullSecrets" . -}}
{{- $_ := set $supervisor "pullSecrets" . -}}
{{- end -}}
{{- $spec := dict "taskManagers" (int $s.taskManagers) "runtime" $runtime "jobManager" $jobManager "taskManager" $taskManager "supervisor" $supervisor -}}
{{- if $conf -}}
{{- $_ := set $spec "flinkConfiguration" $conf -}}
{{- end -}}
{{- /* The reporter, its port and annotations, and the state backend: derived by the supervisor from the spec. */ -}}
{{- if $prom.enabled -}}
{{- $_ := set $spec "metrics" (dict "prometheus" (dict "enabled" true "port" (int $prom.port) "scrapeAnnotations" $prom.scrapeAnnotations)) -}}
{{- end -}}
{{- with $s.stateBackend -}}
{{- if .type -}}
{{- $backend := dict "type" .type -}}
{{- if and (eq .type "rocksdb") (kindIs "bool" .incremental) -}}
{{- $_ := set $backend "incremental" .incremental -}}
{{- end -}}
{{- $_ := set $spec "stateBackend" $backend -}}
{{- end -}}
{{- end -}}
{{- with $v.storage.scheme -}}
{{- $storage := dict "scheme" . "baseDir" $v.storage.baseDir -}}
{{- $s3 := $v.storage.s3 -}}
{{- if has . (list "s3" "s3a" "s3p") -}}
{{- $s3spec := dict "pathStyleAccess" $s3.pathStyleAccess -}}
{{- with $s3.endpoint -}}
{{- $_ := set $s3spec "endpoint" . -}}
{{- end -}}
{{- with $s3.credentials.secretName -}}
{{- $_ := set $s3spec "credentialsSecret" (dict "name" . "accessKeyIdKey" $s3.credentials.accessKeyIdKey "secretAccessKeyKey" $s3.credentials.secretAccessKeyKey) -}}
{{- end -}}
{{- $_ := set $storage "s3" $s3spec -}}
{{- end -}}
{{- $_ := set $spec "storage" $storage -}}
{{- end -}}
{{- mergeOverwrite $spec (deepCopy ($s.spec | default dict)) | toJson -}}
{{- end -}}

{{/* Storage settings that cannot work, refused whether or not there are jobs yet. */}}
{{- define "jobs.validateStorage" -}}
{{- $st := .Values.storage -}}
{{- $s3Set := or $st.s3.endpoint $st.s3.credentials.secretName $st.s3.pathStyleAccess -}}
{{- if and $s3Set (not (has $st.scheme (list "s3" "s3a" "s3p"))) -}}
{{- fail (printf "storage.s3 settings need storage.scheme s3, s3a or s3p (it is %q)" $st.scheme) -}}
{{- end -}}
{{- if and $st.scheme (not $st.baseDir) -}}
{{- fail "storage.baseDir is required with storage.scheme" -}}
{{- end -}}
{{- if and $st.baseDir (not $st.scheme) -}}
{{- fail "storage.scheme is required with storage.baseDir (file, s3, s3a, s3p, gs, abfss, hdfs ...)" -}}
{{- end -}}
{{- if and (eq $st.scheme "file") $st.baseDir (not (hasPrefix "/" $st.baseDir)) -}}
{{- fail (printf "storage.baseDir must be an absolute path with scheme file (it is %q)" $st.baseDir) -}}
{{- end -}}
{{- if and $st.scheme (ne $st.scheme "file") (hasPrefix "/" $st.baseDir) -}}
{{- fail (printf "storage.baseDir must start with the bucket or authority with scheme %s (my-bucket/flink, not %q)" $st.scheme $st.baseDir) -}}
{{- end -}}
{{- end -}}

{{/* One entry of spec.jobs. Input: dict "root" $ "job" <job> "cluster" <name>. */}}
{{- define "jobs.jobSpec" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $job := .job -}}
{{- if eq (empty $job.jarPath) (empty $job.jarURI) -}}
{{- fail (printf "job %s: set exactly one of jarPath (a jar inside the bootstrap image) and jarURI (https, http or file)" $job.name) -}}
{{- end -}}
{{- $bootstrap := dict "image" (include "jobs.flinkvisorImage" $root) "pullPolicy" $v.images.pullPolicy "serviceAccount" $v.bootstrap.serviceAccount -}}
{{- with $v.images.pullSecret -}}
{{- $_ := set $bootstrap "pullSecrets" . -}}
{{- end -}}
{{- $bootstrap = mergeOverwrite $bootstrap (include "jobs.compact" (dict "jarPath" $job.jarPath "jarURI" $job.jarURI "className" $job.className) | fromJson) -}}
{{- with $job.arguments -}}
{{- $_ := set $bootstrap "arguments" (include "jobs.stringList" . | fromJsonArray) -}}
{{- end -}}
{{- $sp := $job.savepoint | default dict -}}
{{- $savepoint := include "jobs.compact" (dict "savepointMode" $sp.mode "savepointInterval" $sp.interval "savepointTargetPath" $sp.targetPath) | fromJson -}}
{{- $automatic := or (ne (default "Automatic" $sp.mode) "Manual") (gt (int (default 0 $sp.interval)) 0) -}}
{{- if and $automatic (not $sp.targetPath) (not $v.storage.scheme) -}}
{{- fail (printf "job %s: its savepoints are automatic (savepoint.mode defaults to Automatic) and need a place: set storage.scheme and storage.baseDir, or savepoint.targetPath, or savepoint.mode Manual" $job.name) -}}
{{- end -}}
{{- $rs := $job.restart | default dict -}}
{{- $restart := include "jobs.compact" (dict "restartPolicy" $rs.policy "restartDelay" $rs.delay "restartTimeout" $rs.timeout) | fromJson -}}
{{- $up := $job.upgrade | default dict -}}
{{- $upgrade := include "jobs.compact" (dict "upgradeMode" $up.mode "drainOnStop" $up.drainOnStop "maxCheckpointAge" $up.maxCheckpointAge) | fromJson -}}
{{- $gate := include "jobs.compact" (dict "healthCheckWindow" $up.healthCheckWindow "maxRestarts" $up.maxRestarts "rollback" $up.rollback) | fromJson -}}
{{- $spec := mergeOverwrite (dict "bootstrap" $bootstrap) $upgrade -}}
{{- if $gate -}}
{{- $_ := set $spec "upgrade" $gate -}}
{{- end -}}
{{- with $job.autoscaler -}}
{{- $as := deepCopy . -}}
{{- range $k := list "targetUtilization" "targetUtilizationBoundary" -}}
{{- if hasKey $as $k -}}
{{- $_ := set $as $k (toString (get $as $k)) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $spec "autoscaler" $as -}}
{{- end -}}
{{- if hasKey $job "parallelism" -}}
{{- $_ := set $spec "jobParallelism" (int $job.parallelism) -}}
{{- end -}}
{{- if $savepoint -}}
{{- $_ := set $spec "savepoint" $savepoint -}}
{{- end -}}
{{- if $restart -}}
{{- $_ := set $spec "restart" $restart -}}
{{- end -}}
{{- dict "name" $job.name "spec" (mergeOverwrite $spec (deepCopy ($job.spec | default dict))) | toJson -}}
{{- end -}}

{{- define "jobs.stringList" -}}
{{- $out := list -}}
{{- range . -}}
{{- $out = append $out (toString .) -}}
{{- end -}}
{{- $out | toJson -}}
{{- end -}}
