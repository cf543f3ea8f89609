//! The app's resources: memory for the JobManager and the appmaster beside
//! it, and the container (image, Docker parameters, volumes).

use serde_json::{json, Map, Value};

use crate::config::options::Key;
use crate::config::settings::{Container, JobManagerMemory, Settings};
use crate::config::values::VolumeMode;

use super::{
    Request, APPMASTER_OVERHEAD_MB, JOBMANAGER_DEFAULT_PROCESS_MB, JOBMANAGER_JVM_OVERHEAD_MB,
    JOBMANAGER_METASPACE_AND_OVERHEAD_MB,
};

/// The JobManager process plus the appmaster beside it, in MB.
pub(super) fn memory_mb(settings: &Settings, notes: &mut Vec<String>) -> u64 {
    let jobmanager = match settings.jobmanager_memory {
        JobManagerMemory::Process { mb } => mb,
        JobManagerMemory::Flink { mb } => mb + JOBMANAGER_METASPACE_AND_OVERHEAD_MB,
        JobManagerMemory::Heap { mb, .. } => mb + JOBMANAGER_JVM_OVERHEAD_MB,
        JobManagerMemory::Unset => {
            notes.push(format!(
                "no JobManager memory is configured; `mem` assumes {}: {JOBMANAGER_DEFAULT_PROCESS_MB}m \
                 (Flink's shipped configuration); set it so that the container and the JobManager agree",
                Key::JobmanagerMemoryProcessSize
            ));
            JOBMANAGER_DEFAULT_PROCESS_MB
        }
    };
    jobmanager + APPMASTER_OVERHEAD_MB
}

/// The appmaster runs in the TaskManagers' container (same Flink
/// distribution), unless `--docker-image` names another image.
pub(super) fn container(
    settings: &Settings,
    req: &Request,
    notes: &mut Vec<String>,
) -> Option<Value> {
    let (kind, image, force_pull, parameters) = match (&req.docker_image, &settings.tasks.container)
    {
        (
            Some(image),
            Container::Docker {
                force_pull,
                parameters,
                ..
            },
        ) => (
            "DOCKER",
            Some(image.clone()),
            *force_pull,
            parameters.clone(),
        ),
        (Some(image), Container::Mesos { .. }) => {
            ("DOCKER", Some(image.clone()), false, Vec::new())
        }
        (
            None,
            Container::Docker {
                image,
                force_pull,
                parameters,
            },
        ) => (
            "DOCKER",
            Some(image.clone()),
            *force_pull,
            parameters.clone(),
        ),
        (None, Container::Mesos { image }) => ("MESOS", image.clone(), false, Vec::new()),
    };
    let mut volumes = Vec::new();
    for v in &settings.tasks.volumes {
        let Some(host) = &v.host_path else {
            notes.push(format!(
                "the volume `{}` has no host path and is left out: Marathon needs `host_path:{}`",
                v.container_path, v.container_path
            ));
            continue;
        };
        let mode = match v.mode {
            VolumeMode::ReadOnly => "RO",
            VolumeMode::ReadWrite => "RW",
        };
        volumes.push(json!({"containerPath": v.container_path, "hostPath": host, "mode": mode}));
    }
    if image.is_none() && volumes.is_empty() {
        return None;
    }
    let mut c = Map::new();
    c.insert("type".into(), json!(kind));
    if let Some(image) = image {
        let mut docker = Map::new();
        docker.insert("image".into(), json!(image));
        docker.insert("forcePullImage".into(), json!(force_pull));
        if !parameters.is_empty() {
            let params: Vec<Value> = parameters
                .iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect();
            docker.insert("parameters".into(), Value::Array(params));
        }
        c.insert("docker".into(), Value::Object(docker));
    }
    if !volumes.is_empty() {
        c.insert("volumes".into(), Value::Array(volumes));
    }
    Some(Value::Object(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobmanager_flink_size_sizes_the_app() {
        let (s, _) = crate::config::settings::for_tests(&[
            "mesos.master=m:5050",
            "jobmanager.memory.flink.size=1024m",
        ]);
        let mut notes = Vec::new();
        // Flink memory + metaspace and overhead + the appmaster.
        assert_eq!(memory_mb(&s, &mut notes), 1024 + 448 + 128);
        assert!(notes.is_empty(), "{notes:?}");
    }
}
