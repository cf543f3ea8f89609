//! From a matched worker to the TaskInfo Mesos launches. Pure.
//!
//! The TaskManager gets its configuration through the `FLINK_PROPERTIES`
//! environment variable (`key: value` lines, which `flink-mesos taskmanager`
//! reads as an overlay), never on its command line, and never secrets: the
//! template refuses to carry a secret key.

use std::time::Duration;

use crate::config::options::{self, Key};
pub use crate::config::values::Container;
use crate::mesos::{
    AgentId, CommandInfo, ContainerInfo, ContainerRuntime, DockerNetwork, Label, TaskId, TaskInfo,
    Uri, Volume,
};

use super::matching::Allocation;

/// Everything per-cluster that goes into every worker's TaskInfo.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskTemplate {
    /// `mesos.resourcemanager.tasks.taskmanager-cmd`.
    pub command: String,
    /// Shell text run before everything else (the overlays': writes the
    /// TaskManager configuration from the environment).
    pub setup: Option<String>,
    /// `mesos.resourcemanager.tasks.bootstrap-cmd`, run first.
    pub bootstrap: Option<String>,
    /// Configuration handed to every TaskManager (no secrets).
    pub properties: Vec<(String, String)>,
    /// Extra environment variables.
    pub environment: Vec<(String, String)>,
    /// Fetcher URIs: the artifact server's files and `mesos.resourcemanager.tasks.uris`.
    pub uris: Vec<Uri>,
    pub labels: Vec<(String, String)>,
    pub user: Option<String>,
    /// `mesos.resourcemanager.tasks.hostname` with `_TASK_`.
    pub hostname_pattern: Option<String>,
    pub container: Container,
    pub volumes: Vec<Volume>,
    pub kill_grace_period: Option<Duration>,
    /// Where each worker fetches its secrets, and the key of its token.
    pub secrets: Option<SecretsAccess>,
}

/// The secrets bundle's URL and the key that makes each task's token
/// (`src/artifacts/secrets.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct SecretsAccess {
    pub url: String,
    pub key: crate::artifacts::secrets::TokenKey,
}

impl TaskTemplate {
    /// A template that runs `command` with nothing else.
    pub fn command(command: impl Into<String>) -> TaskTemplate {
        TaskTemplate {
            command: command.into(),
            setup: None,
            bootstrap: None,
            properties: Vec::new(),
            environment: Vec::new(),
            uris: Vec::new(),
            labels: Vec::new(),
            user: None,
            hostname_pattern: None,
            container: Container::Mesos { image: None },
            volumes: Vec::new(),
            kill_grace_period: None,
            secrets: None,
        }
    }

    /// The TaskInfo for `task_id` on `agent_id` with its allocation.
    pub fn build(&self, task_id: &TaskId, agent_id: &AgentId, allocation: &Allocation) -> TaskInfo {
        let hostname = self
            .hostname_pattern
            .as_ref()
            .map(|p| p.replace("_TASK_", task_id.as_str()));
        let mut properties: Vec<(String, String)> = self
            .properties
            .iter()
            .filter(|(k, v)| options::secret_part(k, v).is_none())
            .cloned()
            .collect();
        for (key, port) in &allocation.ports {
            properties.retain(|(k, _)| k != key);
            properties.push((key.clone(), port.to_string()));
        }
        if let Some(h) = &hostname {
            let host = Key::TaskmanagerHost.name();
            properties.retain(|(k, _)| k != host);
            properties.push((host.into(), h.clone()));
        }
        let flink_properties: String = properties
            .iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect();
        let mut environment = self.environment.clone();
        environment.push(("FLINK_PROPERTIES".into(), flink_properties));
        environment.push(("FLINK_MESOS_TASK_ID".into(), task_id.as_str().to_string()));
        if let Some(access) = &self.secrets {
            use crate::artifacts::secrets::{TOKEN_ENV, URL_ENV};
            environment.push((URL_ENV.into(), access.url.clone()));
            environment.push((TOKEN_ENV.into(), access.key.token(task_id.as_str())));
        }
        // The setup and a bootstrap run as one: the bootstrap grouped, so
        // that a compound one cannot run its tail after a failed setup.
        let bootstrap = match (&self.setup, &self.bootstrap) {
            (Some(setup), Some(bootstrap)) => Some(format!("{setup} && {{\n{bootstrap}\n}}")),
            (setup, bootstrap) => setup.clone().or_else(|| bootstrap.clone()),
        };
        let value = super::command::task_shell(bootstrap.as_deref(), &self.command);
        let command = CommandInfo {
            value,
            shell: true,
            arguments: Vec::new(),
            uris: self.uris.clone(),
            environment,
            user: self.user.clone(),
        };
        let container = match &self.container {
            Container::Mesos { image: None } if self.volumes.is_empty() => None,
            Container::Mesos { image } => Some(ContainerInfo {
                runtime: ContainerRuntime::Mesos {
                    image: image.clone(),
                },
                volumes: self.volumes.clone(),
                hostname: None,
            }),
            Container::Docker {
                image,
                force_pull,
                parameters,
            } => Some(ContainerInfo {
                runtime: ContainerRuntime::Docker {
                    image: image.clone(),
                    network: DockerNetwork::Host,
                    privileged: false,
                    force_pull_image: *force_pull,
                    parameters: parameters.clone(),
                    port_mappings: Vec::new(),
                },
                volumes: self.volumes.clone(),
                hostname: None,
            }),
        };
        let mut labels: Vec<Label> = self.labels.iter().map(|(k, v)| Label::new(k, v)).collect();
        labels.push(Label::new("flink-mesos/worker", task_id.as_str()));
        TaskInfo {
            name: task_id.as_str().to_string(),
            task_id: task_id.clone(),
            agent_id: agent_id.clone(),
            resources: allocation.resources.clone(),
            command,
            container,
            labels,
            kill_grace_period: self.kill_grace_period,
        }
    }
}
