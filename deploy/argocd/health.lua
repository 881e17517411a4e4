-- Argo CD health of Flinkvisor's FlinkDeployment, FlinkCluster and FlinkJob (flinkvisor.io/v1).
-- Install it as a resource customization (deploy/argocd/README.md). Argo CD runs it with
-- gopher-lua (Lua 5.1) and, from argocd-cm, without the string, math or os libraries: plain
-- comparisons and table look-ups only. It reads what the supervisor and operator write: the
-- conditions (Ready, SpecValid, StateRestorable, UpgradeHealthy, CheckpointsProgressing,
-- StorageAccessible, ReconciliationPaused), supervisorStatus, clusterHealth, jobStatus and the stop
-- reason persisted with the state machine (docs/adr/0002-manual-stop-is-durable.md).
--   Healthy      converged and running (or a FlinkJob whose Flink job finished)
--   Progressing  starting, stopping, rescaling, an upgrade in its health check window, or not yet
--                observed
--   Degraded     a spec that does not parse, an unhealthy JobManager, a failed job or upgrade, a
--                job kept stopped for want of a snapshot, stalled checkpoints, refused credentials
--   Suspended    paused (annotation flinkvisor.io/paused "true"), stopped by request, parallelism 0
local hs = {}

-- Stop reasons the supervisor restarts the job after by itself (a spec change, a rescale, START, a rollback).
local restarting = { SpecChanged = true, Rescale = true, RestartRequested = true, RollingBack = true }

local function condition(status, conditionType)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function said(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local function result(healthStatus, message)
  hs.status = healthStatus
  hs.message = message
  return hs
end

local function health(obj)
  local kind = obj.kind
  local status = obj.status
  local metadata = obj.metadata or {}
  local annotations = metadata.annotations or {}

  if annotations["flinkvisor.io/paused"] == "true" then
    return result("Suspended", "Reconciliation is paused (annotation flinkvisor.io/paused)")
  end
  local paused = condition(status, "ReconciliationPaused")
  if paused ~= nil and paused.status == "True" then
    return result("Suspended", said(paused, "Reconciliation is paused"))
  end
  if status == nil then
    return result("Progressing", "Waiting for the " .. tostring(kind) .. " to be observed")
  end

  local specValid = condition(status, "SpecValid")
  local ready = condition(status, "Ready")
  if specValid ~= nil and specValid.status == "False" then
    return result("Degraded", said(specValid, "The spec is invalid"))
  end
  if ready ~= nil and (ready.reason == "InvalidSpec" or ready.reason == "ClusterNotFound") then
    return result("Degraded", said(ready, "Not ready: " .. ready.reason))
  end
  if metadata.generation ~= nil and status.observedGeneration ~= nil
      and status.observedGeneration < metadata.generation then
    return result("Progressing", "Waiting for generation " .. metadata.generation .. " to be observed")
  end

  if kind == "FlinkDeployment" then
    if ready == nil then
      return result("Progressing", "Waiting for the operator")
    end
    if ready.status == "True" then
      return result("Healthy", said(ready, "The cluster is Started"))
    end
    if ready.reason == "Stopped" then
      return result("Suspended", said(ready, "The cluster is Stopped"))
    end
    return result("Progressing", said(ready, "The cluster is " .. tostring(ready.reason)))
  end

  local state = status.supervisorStatus
  local machine = status.machine or {}
  local context = machine.context or {}

  if status.clusterHealth == "UNHEALTHY" then
    return result("Degraded", "The JobManager does not answer (clusterHealth UNHEALTHY)")
  end

  if kind == "FlinkCluster" then
    if state == "Started" then
      if ready ~= nil and ready.status == "True" then
        return result("Healthy", said(ready, "The cluster is Started"))
      end
      return result("Progressing", said(ready, "The cluster is Updating"))
    end
    if state == "Stopped" then
      local reason = context.stopReason or (context.stop or {}).reason
      if reason == "StartTimedOut" or reason == "Unhealthy" then
        return result("Degraded", said(ready, "The cluster stopped: " .. reason))
      end
      return result("Suspended", said(ready, "The cluster is Stopped"))
    end
    return result("Progressing", said(ready, "The cluster is " .. tostring(state or "Unknown")))
  end

  if kind == "FlinkJob" then
    local upgrade = condition(status, "UpgradeHealthy")
    if upgrade ~= nil and upgrade.status == "False" then
      return result("Degraded", said(upgrade, "The upgrade failed its health gate"))
    end
    local restorable = condition(status, "StateRestorable")
    if restorable ~= nil and restorable.status == "False" then
      return result("Degraded", said(restorable, "No snapshot to restore"))
    end
    local storage = condition(status, "StorageAccessible")
    if storage ~= nil and storage.status == "False" then
      return result("Degraded", said(storage, "The state storage refused the credentials"))
    end
    if state == "Started" then
      local checkpoints = condition(status, "CheckpointsProgressing")
      if checkpoints ~= nil and checkpoints.status == "False" then
        return result("Degraded", said(checkpoints, "Checkpoints do not complete"))
      end
      if upgrade ~= nil and upgrade.status == "Unknown" then
        return result("Progressing", said(upgrade, "Verifying the upgrade"))
      end
      if ready ~= nil and ready.status == "True" then
        return result("Healthy", said(ready, "The job is running"))
      end
      return result("Progressing", said(ready, "The job is Updating"))
    end
    if state == "Stopped" then
      local reason = context.stopReason
      local spec = obj.spec or {}
      if reason == "Manual" then
        return result("Suspended", said(ready, "Stopped by request; START runs it again"))
      end
      if reason == "Suspended" or spec.jobParallelism == 0 then
        return result("Suspended", "Suspended: jobParallelism is 0")
      end
      if reason == "Finished" or status.jobStatus == "FINISHED" then
        return result("Healthy", said(ready, "The job finished"))
      end
      if reason == "ClusterStopped" then
        return result("Progressing", said(ready, "Waiting for its cluster to start"))
      end
      if restarting[reason] then
        return result("Progressing", said(ready, "Restarting: " .. reason))
      end
      return result("Degraded", said(ready, "The job stopped: " .. tostring(reason or status.jobStatus or "unknown")))
    end
    return result("Progressing", said(ready, "The job is " .. tostring(state or "Unknown")))
  end

  return result("Unknown", "Not a Flinkvisor kind: " .. tostring(kind))
end

return health(obj)
