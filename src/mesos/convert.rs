//! Conversions between the domain types (`types.rs`) and the generated wire
//! types (`proto.rs`). Decoding never panics: an event that lacks the part its
//! type announces is a [`ProtocolError`].

use std::time::Duration;

use prost::Message;

use super::proto::v1 as pb;
use super::proto::v1::scheduler as sched;
use super::types::*;

/// A well-framed record that is not a valid event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed event from the master: {0}")]
pub struct ProtocolError(pub String);

fn missing(what: &str) -> ProtocolError {
    ProtocolError(format!("{what} is missing"))
}

/// prost decodes an absent required message as its default: an empty id.
fn required(value: String, what: &str) -> Result<String, ProtocolError> {
    if value.is_empty() {
        Err(missing(what))
    } else {
        Ok(value)
    }
}

// ---------------------------------------------------------------- decoding

pub(crate) fn decode_event(bytes: &[u8]) -> Result<Event, ProtocolError> {
    let event = sched::Event::decode(bytes).map_err(|e| ProtocolError(e.to_string()))?;
    event_from_pb(event)
}

pub(crate) fn event_from_pb(event: sched::Event) -> Result<Event, ProtocolError> {
    use sched::event::Type;
    let Some(kind) = event.r#type.and_then(|t| Type::try_from(t).ok()) else {
        return Ok(Event::Unhandled(format!("event type {:?}", event.r#type)));
    };
    Ok(match kind {
        Type::Subscribed => {
            let s = event
                .subscribed
                .ok_or_else(|| missing("SUBSCRIBED.subscribed"))?;
            Event::Subscribed {
                framework_id: FrameworkId(required(
                    s.framework_id.value,
                    "SUBSCRIBED.framework_id",
                )?),
                heartbeat_interval: s
                    .heartbeat_interval_seconds
                    .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
                    .map(Duration::from_secs_f64),
                master: s.master_info.map(master_from_pb),
            }
        }
        Type::Offers => Event::Offers(
            event
                .offers
                .ok_or_else(|| missing("OFFERS.offers"))?
                .offers
                .into_iter()
                .map(offer_from_pb)
                .collect::<Result<_, _>>()?,
        ),
        Type::Rescind => Event::Rescind(OfferId(required(
            event
                .rescind
                .ok_or_else(|| missing("RESCIND.rescind"))?
                .offer_id
                .value,
            "RESCIND.offer_id",
        )?)),
        Type::Update => Event::Update(status_from_pb(
            event.update.ok_or_else(|| missing("UPDATE.update"))?.status,
        )?),
        Type::Message => {
            let m = event.message.ok_or_else(|| missing("MESSAGE.message"))?;
            Event::Message {
                agent_id: AgentId(m.agent_id.value),
                executor_id: ExecutorId(m.executor_id.value),
                data: m.data,
            }
        }
        Type::Failure => {
            let f = event.failure.ok_or_else(|| missing("FAILURE.failure"))?;
            Event::Failure {
                agent_id: f.agent_id.map(|a| AgentId(a.value)),
                executor_id: f.executor_id.map(|e| ExecutorId(e.value)),
                status: f.status,
            }
        }
        Type::Error => Event::Error(event.error.ok_or_else(|| missing("ERROR.error"))?.message),
        Type::Heartbeat => Event::Heartbeat,
        other => Event::Unhandled(other.as_str_name().to_string()),
    })
}

pub(crate) fn master_from_pb(m: pb::MasterInfo) -> MasterInfo {
    let address_ip = m.address.as_ref().and_then(|a| a.ip.clone());
    // The legacy `ip` field is an IPv4 address in network byte order.
    let legacy_ip = (m.ip != 0).then(|| std::net::Ipv4Addr::from(m.ip.to_le_bytes()).to_string());
    MasterInfo {
        hostname: m
            .hostname
            .clone()
            .or_else(|| m.address.as_ref().and_then(|a| a.hostname.clone())),
        ip: address_ip.or(legacy_ip),
        port: u16::try_from(m.port).unwrap_or(0),
        version: m.version,
        pid: m.pid,
        id: m.id,
    }
}

fn value_from_parts(
    kind: i32,
    scalar: Option<pb::value::Scalar>,
    ranges: Option<pb::value::Ranges>,
    set: Option<pb::value::Set>,
    text: Option<pb::value::Text>,
    what: &str,
) -> Result<Value, ProtocolError> {
    use pb::value::Type;
    match Type::try_from(kind) {
        Ok(Type::Scalar) => Ok(Value::Scalar(
            scalar
                .ok_or_else(|| missing(&format!("{what}.scalar")))?
                .value,
        )),
        Ok(Type::Ranges) => Ok(Value::Ranges(
            ranges
                .ok_or_else(|| missing(&format!("{what}.ranges")))?
                .range
                .into_iter()
                .map(|r| Range {
                    begin: r.begin,
                    end: r.end,
                })
                .collect(),
        )),
        Ok(Type::Set) => Ok(Value::Set(
            set.ok_or_else(|| missing(&format!("{what}.set")))?.item,
        )),
        Ok(Type::Text) => Ok(Value::Text(
            text.ok_or_else(|| missing(&format!("{what}.text")))?.value,
        )),
        Err(_) => Err(ProtocolError(format!(
            "{what} has unknown value type {kind}"
        ))),
    }
}

fn labels_from_pb(labels: Option<pb::Labels>) -> Vec<Label> {
    labels
        .map(|l| {
            l.labels
                .into_iter()
                .map(|l| Label {
                    key: l.key,
                    value: l.value,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn reservation_from_pb(
    r: pb::resource::ReservationInfo,
    fallback_role: Option<String>,
) -> Reservation {
    use pb::resource::reservation_info::Type;
    Reservation {
        kind: match r.r#type.and_then(|t| Type::try_from(t).ok()) {
            Some(Type::Static) => ReservationKind::Static,
            Some(Type::Dynamic) => ReservationKind::Dynamic,
            _ => ReservationKind::Unknown,
        },
        role: r.role.or(fallback_role),
        principal: r.principal,
        labels: labels_from_pb(r.labels),
    }
}

// `role` is read for masters that send the pre-refinement format.
#[allow(deprecated)]
pub(crate) fn resource_from_pb(r: pb::Resource) -> Result<Resource, ProtocolError> {
    let what = format!("resource {}", r.name);
    let value = value_from_parts(r.r#type, r.scalar, r.ranges, r.set, None, &what)?;
    let mut reservations: Vec<Reservation> = r
        .reservations
        .into_iter()
        .map(|x| reservation_from_pb(x, None))
        .collect();
    // Pre-refinement format (masters that ignore RESERVATION_REFINEMENT):
    // `role` names the reservation, `reservation` is set only if dynamic.
    if reservations.is_empty() {
        if let Some(role) = r.role.filter(|role| role != "*") {
            reservations.push(match r.reservation {
                Some(info) => Reservation {
                    kind: ReservationKind::Dynamic,
                    ..reservation_from_pb(info, Some(role))
                },
                None => Reservation {
                    kind: ReservationKind::Static,
                    role: Some(role),
                    principal: None,
                    labels: Vec::new(),
                },
            });
        }
    }
    Ok(Resource {
        name: r.name,
        value,
        allocation_role: r.allocation_info.and_then(|a| a.role),
        reservations,
        revocable: r.revocable.is_some(),
        shared: r.shared.is_some(),
        provider_id: r.provider_id.map(|p| p.value),
        disk_info: r.disk.is_some(),
    })
}

pub(crate) fn offer_from_pb(o: pb::Offer) -> Result<Offer, ProtocolError> {
    Ok(Offer {
        id: OfferId(required(o.id.value, "offer.id")?),
        framework_id: FrameworkId(o.framework_id.value),
        agent_id: AgentId(required(o.agent_id.value, "offer.agent_id")?),
        hostname: o.hostname,
        resources: o
            .resources
            .into_iter()
            .map(resource_from_pb)
            .collect::<Result<_, _>>()?,
        attributes: o
            .attributes
            .into_iter()
            .map(|a| {
                let what = format!("attribute {}", a.name);
                Ok(Attribute {
                    value: value_from_parts(a.r#type, a.scalar, a.ranges, a.set, a.text, &what)?,
                    name: a.name,
                })
            })
            .collect::<Result<_, ProtocolError>>()?,
        allocation_role: o.allocation_info.and_then(|a| a.role),
    })
}

pub(crate) fn task_state_from_pb(state: i32) -> TaskState {
    use pb::TaskState as S;
    match S::try_from(state) {
        Ok(S::TaskStaging) => TaskState::Staging,
        Ok(S::TaskStarting) => TaskState::Starting,
        Ok(S::TaskRunning) => TaskState::Running,
        Ok(S::TaskKilling) => TaskState::Killing,
        Ok(S::TaskFinished) => TaskState::Finished,
        Ok(S::TaskFailed) => TaskState::Failed,
        Ok(S::TaskKilled) => TaskState::Killed,
        Ok(S::TaskError) => TaskState::Error,
        Ok(S::TaskLost) => TaskState::Lost,
        Ok(S::TaskDropped) => TaskState::Dropped,
        Ok(S::TaskUnreachable) => TaskState::Unreachable,
        Ok(S::TaskGone) => TaskState::Gone,
        Ok(S::TaskGoneByOperator) => TaskState::GoneByOperator,
        Ok(S::TaskUnknown) => TaskState::Unknown,
        Err(_) => TaskState::Unrecognized(state),
    }
}

pub(crate) fn status_from_pb(s: pb::TaskStatus) -> Result<TaskStatus, ProtocolError> {
    Ok(TaskStatus {
        task_id: TaskId(required(s.task_id.value, "status.task_id")?),
        state: task_state_from_pb(s.state),
        message: s.message,
        source: s
            .source
            .and_then(|v| pb::task_status::Source::try_from(v).ok())
            .map(|v| v.as_str_name().to_string()),
        reason: s
            .reason
            .map(|v| match pb::task_status::Reason::try_from(v) {
                Ok(r) => r.as_str_name().to_string(),
                Err(_) => format!("REASON_{v}"),
            }),
        agent_id: s.agent_id.map(|a| AgentId(a.value)),
        executor_id: s.executor_id.map(|e| ExecutorId(e.value)),
        timestamp: s.timestamp,
        uuid: s.uuid,
        healthy: s.healthy,
        data: s.data,
        labels: labels_from_pb(s.labels),
    })
}

// ---------------------------------------------------------------- encoding

fn labels_to_pb(labels: &[Label]) -> Option<pb::Labels> {
    (!labels.is_empty()).then(|| pb::Labels {
        labels: labels
            .iter()
            .map(|l| pb::Label {
                key: l.key.clone(),
                value: l.value.clone(),
            })
            .collect(),
    })
}

// `role` is deprecated in favour of `roles` (MULTI_ROLE); we leave it unset.
#[allow(deprecated)]
pub(crate) fn framework_info_to_pb(
    s: &FrameworkSettings,
    id: Option<&FrameworkId>,
) -> pb::FrameworkInfo {
    use pb::framework_info::capability::Type as Cap;
    // PARTITION_AWARE: without it the master turns UNREACHABLE, GONE,
    // DROPPED and UNKNOWN into TASK_LOST, and a partitioned agent's tasks
    // could not be told from dead ones (the core keeps unreachable workers).
    let mut caps = vec![
        Cap::MultiRole,
        Cap::ReservationRefinement,
        Cap::TaskKillingState,
        Cap::PartitionAware,
    ];
    if s.gpu_resources {
        caps.push(Cap::GpuResources);
    }
    pb::FrameworkInfo {
        user: s.user.clone(),
        name: s.name.clone(),
        id: id.map(|id| pb::FrameworkId {
            value: id.0.clone(),
        }),
        failover_timeout: Some(s.failover_timeout.as_secs_f64()),
        checkpoint: Some(s.checkpoint),
        role: None,
        roles: vec![s.role.clone()],
        hostname: s.hostname.clone(),
        principal: s.principal.clone(),
        webui_url: s.webui_url.clone(),
        capabilities: caps
            .into_iter()
            .map(|c| pb::framework_info::Capability {
                r#type: Some(c as i32),
            })
            .collect(),
        labels: labels_to_pb(&s.labels),
    }
}

pub(crate) fn resource_to_pb(r: &Resource) -> pb::Resource {
    use pb::value::Type;
    let mut out = pb::Resource {
        name: r.name.clone(),
        allocation_info: r
            .allocation_role
            .as_ref()
            .map(|role| pb::resource::AllocationInfo {
                role: Some(role.clone()),
            }),
        reservations: r
            .reservations
            .iter()
            .map(|x| pb::resource::ReservationInfo {
                r#type: match x.kind {
                    ReservationKind::Static => {
                        Some(pb::resource::reservation_info::Type::Static as i32)
                    }
                    ReservationKind::Dynamic => {
                        Some(pb::resource::reservation_info::Type::Dynamic as i32)
                    }
                    ReservationKind::Unknown => None,
                },
                role: x.role.clone(),
                principal: x.principal.clone(),
                labels: labels_to_pb(&x.labels),
            })
            .collect(),
        revocable: r.revocable.then_some(pb::resource::RevocableInfo {}),
        shared: r.shared.then_some(pb::resource::SharedInfo {}),
        provider_id: r
            .provider_id
            .as_ref()
            .map(|p| pb::ResourceProviderId { value: p.clone() }),
        ..Default::default()
    };
    match &r.value {
        Value::Scalar(v) => {
            out.r#type = Type::Scalar as i32;
            out.scalar = Some(pb::value::Scalar { value: *v });
        }
        Value::Ranges(ranges) => {
            out.r#type = Type::Ranges as i32;
            out.ranges = Some(pb::value::Ranges {
                range: ranges
                    .iter()
                    .map(|r| pb::value::Range {
                        begin: r.begin,
                        end: r.end,
                    })
                    .collect(),
            });
        }
        Value::Set(items) => {
            out.r#type = Type::Set as i32;
            out.set = Some(pb::value::Set {
                item: items.clone(),
            });
        }
        // Resources are never text; Mesos' validation will say so.
        Value::Text(_) => out.r#type = Type::Text as i32,
    }
    out
}

fn duration_to_pb(d: Duration) -> pb::DurationInfo {
    pb::DurationInfo {
        nanoseconds: i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
    }
}

fn image_to_pb(name: &str) -> pb::Image {
    pb::Image {
        r#type: pb::image::Type::Docker as i32,
        docker: Some(pb::image::Docker {
            name: name.to_string(),
        }),
        cached: None,
    }
}

fn container_to_pb(c: &ContainerInfo) -> pb::ContainerInfo {
    use pb::container_info::{docker_info::Network, DockerInfo, MesosInfo, Type};
    let mut out = pb::ContainerInfo {
        volumes: c
            .volumes
            .iter()
            .map(|v| pb::Volume {
                mode: if v.read_only {
                    pb::volume::Mode::Ro
                } else {
                    pb::volume::Mode::Rw
                } as i32,
                container_path: v.container_path.clone(),
                host_path: v.host_path.clone(),
                image: None,
            })
            .collect(),
        hostname: c.hostname.clone(),
        ..Default::default()
    };
    match &c.runtime {
        ContainerRuntime::Docker {
            image,
            network,
            privileged,
            force_pull_image,
            parameters,
            port_mappings,
        } => {
            out.r#type = Type::Docker as i32;
            out.docker = Some(DockerInfo {
                image: image.clone(),
                network: Some(match network {
                    DockerNetwork::Host => Network::Host,
                    DockerNetwork::Bridge => Network::Bridge,
                    DockerNetwork::None => Network::None,
                    DockerNetwork::User => Network::User,
                } as i32),
                port_mappings: port_mappings
                    .iter()
                    .map(|p| pb::container_info::docker_info::PortMapping {
                        host_port: p.host_port,
                        container_port: p.container_port,
                        protocol: p.protocol.clone(),
                    })
                    .collect(),
                privileged: Some(*privileged),
                parameters: parameters
                    .iter()
                    .map(|(k, v)| pb::Parameter {
                        key: k.clone(),
                        value: v.clone(),
                    })
                    .collect(),
                force_pull_image: Some(*force_pull_image),
            });
        }
        ContainerRuntime::Mesos { image } => {
            out.r#type = Type::Mesos as i32;
            out.mesos = Some(MesosInfo {
                image: image.as_deref().map(image_to_pb),
            });
        }
    }
    out
}

pub(crate) fn task_to_pb(t: &TaskInfo) -> pb::TaskInfo {
    let c = &t.command;
    pb::TaskInfo {
        name: t.name.clone(),
        task_id: pb::TaskId {
            value: t.task_id.0.clone(),
        },
        agent_id: pb::AgentId {
            value: t.agent_id.0.clone(),
        },
        resources: t.resources.iter().map(resource_to_pb).collect(),
        command: Some(pb::CommandInfo {
            uris: c
                .uris
                .iter()
                .map(|u| pb::command_info::Uri {
                    value: u.value.clone(),
                    executable: Some(u.executable),
                    extract: Some(u.extract),
                    cache: Some(u.cache),
                    output_file: u.output_file.clone(),
                })
                .collect(),
            environment: (!c.environment.is_empty()).then(|| pb::Environment {
                variables: c
                    .environment
                    .iter()
                    .map(|(k, v)| pb::environment::Variable {
                        name: k.clone(),
                        r#type: Some(pb::environment::variable::Type::Value as i32),
                        value: Some(v.clone()),
                    })
                    .collect(),
            }),
            shell: Some(c.shell),
            value: Some(c.value.clone()),
            arguments: c.arguments.clone(),
            user: c.user.clone(),
        }),
        container: t.container.as_ref().map(container_to_pb),
        kill_policy: t.kill_grace_period.map(|d| pb::KillPolicy {
            grace_period: Some(duration_to_pb(d)),
        }),
        data: None,
        labels: labels_to_pb(&t.labels),
        max_completion_time: None,
    }
}

fn value_type(v: &Value) -> pb::value::Type {
    match v {
        Value::Scalar(_) => pb::value::Type::Scalar,
        Value::Ranges(_) => pb::value::Type::Ranges,
        Value::Set(_) => pb::value::Type::Set,
        Value::Text(_) => pb::value::Type::Text,
    }
}

/// Offers as the master would send them (used by fakes and benchmarks).
pub(crate) fn offers_event(offers: &[Offer]) -> sched::Event {
    let offers = offers
        .iter()
        .map(|o| pb::Offer {
            id: pb::OfferId {
                value: o.id.0.clone(),
            },
            framework_id: pb::FrameworkId {
                value: o.framework_id.0.clone(),
            },
            agent_id: pb::AgentId {
                value: o.agent_id.0.clone(),
            },
            hostname: o.hostname.clone(),
            resources: o.resources.iter().map(resource_to_pb).collect(),
            attributes: o
                .attributes
                .iter()
                .map(|a| {
                    let r = resource_to_pb(&Resource::with_value(a.name.clone(), a.value.clone()));
                    pb::Attribute {
                        name: a.name.clone(),
                        r#type: value_type(&a.value) as i32,
                        scalar: r.scalar,
                        ranges: r.ranges,
                        set: r.set,
                        text: match &a.value {
                            Value::Text(t) => Some(pb::value::Text { value: t.clone() }),
                            _ => None,
                        },
                    }
                })
                .collect(),
            allocation_info: o
                .allocation_role
                .as_ref()
                .map(|role| pb::resource::AllocationInfo {
                    role: Some(role.clone()),
                }),
            ..Default::default()
        })
        .collect();
    sched::Event {
        r#type: Some(sched::event::Type::Offers as i32),
        offers: Some(sched::event::Offers { offers }),
        ..Default::default()
    }
}

fn offer_ids(ids: &[OfferId]) -> Vec<pb::OfferId> {
    ids.iter()
        .map(|id| pb::OfferId {
            value: id.0.clone(),
        })
        .collect()
}

fn filters(refuse_seconds: Option<f64>) -> Option<pb::Filters> {
    refuse_seconds.map(|s| pb::Filters {
        refuse_seconds: Some(s),
    })
}

pub(crate) fn subscribe_call(
    settings: &FrameworkSettings,
    framework_id: Option<&FrameworkId>,
    suppressed: bool,
) -> sched::Call {
    sched::Call {
        framework_id: framework_id.map(|id| pb::FrameworkId {
            value: id.0.clone(),
        }),
        r#type: Some(sched::call::Type::Subscribe as i32),
        subscribe: Some(sched::call::Subscribe {
            framework_info: framework_info_to_pb(settings, framework_id),
            suppressed_roles: if suppressed {
                vec![settings.role.clone()]
            } else {
                Vec::new()
            },
        }),
        ..Default::default()
    }
}

pub(crate) fn call_to_pb(call: &Call, framework_id: &FrameworkId) -> sched::Call {
    use sched::call::{self, Type};
    let mut out = sched::Call {
        framework_id: Some(pb::FrameworkId {
            value: framework_id.0.clone(),
        }),
        ..Default::default()
    };
    let kind = match call {
        Call::Launch {
            offer_ids: ids,
            tasks,
            refuse_seconds,
        } => {
            out.accept = Some(call::Accept {
                offer_ids: offer_ids(ids),
                operations: if tasks.is_empty() {
                    Vec::new()
                } else {
                    vec![pb::offer::Operation {
                        r#type: Some(pb::offer::operation::Type::Launch as i32),
                        id: None,
                        launch: Some(pb::offer::operation::Launch {
                            task_infos: tasks.iter().map(task_to_pb).collect(),
                        }),
                    }]
                },
                filters: filters(*refuse_seconds),
            });
            Type::Accept
        }
        Call::Decline {
            offer_ids: ids,
            refuse_seconds,
        } => {
            out.decline = Some(call::Decline {
                offer_ids: offer_ids(ids),
                filters: filters(*refuse_seconds),
            });
            Type::Decline
        }
        Call::Revive { roles } => {
            out.revive = Some(call::Revive {
                roles: roles.clone(),
            });
            Type::Revive
        }
        Call::Suppress { roles } => {
            out.suppress = Some(call::Suppress {
                roles: roles.clone(),
            });
            Type::Suppress
        }
        Call::Kill {
            task_id,
            agent_id,
            grace_period,
        } => {
            out.kill = Some(call::Kill {
                task_id: pb::TaskId {
                    value: task_id.0.clone(),
                },
                agent_id: agent_id
                    .as_ref()
                    .map(|a| pb::AgentId { value: a.0.clone() }),
                kill_policy: grace_period.map(|d| pb::KillPolicy {
                    grace_period: Some(duration_to_pb(d)),
                }),
            });
            Type::Kill
        }
        Call::Reconcile { tasks } => {
            out.reconcile = Some(call::Reconcile {
                tasks: tasks
                    .iter()
                    .map(|t| call::reconcile::Task {
                        task_id: pb::TaskId {
                            value: t.task_id.0.clone(),
                        },
                        agent_id: t
                            .agent_id
                            .as_ref()
                            .map(|a| pb::AgentId { value: a.0.clone() }),
                    })
                    .collect(),
            });
            Type::Reconcile
        }
        Call::Acknowledge {
            agent_id,
            task_id,
            uuid,
        } => {
            out.acknowledge = Some(call::Acknowledge {
                agent_id: pb::AgentId {
                    value: agent_id.0.clone(),
                },
                task_id: pb::TaskId {
                    value: task_id.0.clone(),
                },
                uuid: uuid.clone(),
            });
            Type::Acknowledge
        }
        Call::Teardown => Type::Teardown,
        Call::UpdateFramework {
            settings,
            suppressed_roles,
        } => {
            out.update_framework = Some(call::UpdateFramework {
                framework_info: framework_info_to_pb(settings, Some(framework_id)),
                suppressed_roles: suppressed_roles.clone(),
            });
            Type::UpdateFramework
        }
    };
    out.r#type = Some(kind as i32);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_round_trips_resources_exactly() {
        let offered = pb::Resource {
            name: "cpus".into(),
            r#type: pb::value::Type::Scalar as i32,
            scalar: Some(pb::value::Scalar { value: 4.0 }),
            allocation_info: Some(pb::resource::AllocationInfo {
                role: Some("flink".into()),
            }),
            reservations: vec![pb::resource::ReservationInfo {
                r#type: Some(pb::resource::reservation_info::Type::Static as i32),
                role: Some("flink".into()),
                principal: None,
                labels: None,
            }],
            ..Default::default()
        };
        let domain = resource_from_pb(offered.clone()).unwrap();
        assert_eq!(domain.reserved_role(), Some("flink"));
        assert_eq!(domain.allocation_role.as_deref(), Some("flink"));
        assert_eq!(resource_to_pb(&domain), offered);
    }

    #[test]
    #[allow(deprecated)]
    fn pre_refinement_reservations_are_understood() {
        let r = pb::Resource {
            name: "mem".into(),
            r#type: pb::value::Type::Scalar as i32,
            scalar: Some(pb::value::Scalar { value: 1.0 }),
            role: Some("flink".into()),
            ..Default::default()
        };
        let d = resource_from_pb(r).unwrap();
        assert_eq!(d.reservations[0].kind, ReservationKind::Static);
        assert_eq!(d.reserved_role(), Some("flink"));
    }

    #[test]
    fn malformed_events_are_errors_not_panics() {
        for ty in [1, 2, 3, 4, 5, 6, 7] {
            let e = sched::Event {
                r#type: Some(ty),
                ..Default::default()
            };
            assert!(event_from_pb(e).is_err(), "type {ty}");
        }
        let e = sched::Event {
            r#type: Some(99),
            ..Default::default()
        };
        assert!(matches!(event_from_pb(e), Ok(Event::Unhandled(_))));
        assert!(decode_event(b"\xff\xff\xff").is_err());
        // A resource with a scalar type but no scalar value.
        let offer = pb::Offer {
            id: pb::OfferId { value: "o".into() },
            agent_id: pb::AgentId { value: "a".into() },
            resources: vec![pb::Resource {
                name: "cpus".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert!(offer_from_pb(offer).is_err());
    }

    #[test]
    fn framework_info_declares_capabilities_and_failover() {
        let mut s = FrameworkSettings::new("flink", "root");
        s.gpu_resources = true;
        s.failover_timeout = Duration::from_secs(60);
        let info = framework_info_to_pb(&s, Some(&FrameworkId::from("fw-1")));
        assert_eq!(info.failover_timeout, Some(60.0));
        assert_eq!(info.roles, vec!["*".to_string()]);
        assert_eq!(info.id.unwrap().value, "fw-1");
        let caps: Vec<i32> = info.capabilities.iter().filter_map(|c| c.r#type).collect();
        assert!(caps.contains(&(pb::framework_info::capability::Type::GpuResources as i32)));
        assert!(caps.contains(&(pb::framework_info::capability::Type::MultiRole as i32)));
    }

    #[test]
    fn framework_info_is_partition_aware() {
        let info = framework_info_to_pb(&FrameworkSettings::new("flink", "root"), None);
        let caps: Vec<i32> = info.capabilities.iter().filter_map(|c| c.r#type).collect();
        assert!(caps.contains(&(pb::framework_info::capability::Type::PartitionAware as i32)));
    }

    #[test]
    fn resources_with_disk_info_are_marked() {
        let mut volume = pb::Resource {
            name: "disk".into(),
            r#type: pb::value::Type::Scalar as i32,
            scalar: Some(pb::value::Scalar { value: 1024.0 }),
            ..Default::default()
        };
        assert!(!resource_from_pb(volume.clone()).unwrap().disk_info);
        volume.disk = Some(pb::resource::DiskInfo::default());
        assert!(resource_from_pb(volume).unwrap().disk_info);
    }

    #[test]
    fn offers_round_trip_through_the_wire_format() {
        let mut cpus = Resource::scalar("cpus", 4.0);
        cpus.allocation_role = Some("*".into());
        let offer = Offer {
            id: OfferId::from("o1"),
            framework_id: FrameworkId::from("fw"),
            agent_id: AgentId::from("a1"),
            hostname: "agent1".into(),
            resources: vec![
                cpus,
                Resource::ranges(
                    "ports",
                    vec![Range {
                        begin: 31000,
                        end: 32000,
                    }],
                ),
            ],
            attributes: vec![
                Attribute {
                    name: "rack".into(),
                    value: Value::Text("r1".into()),
                },
                Attribute {
                    name: "level".into(),
                    value: Value::Scalar(2.0),
                },
            ],
            allocation_role: Some("*".into()),
        };
        let bytes = offers_event(std::slice::from_ref(&offer)).encode_to_vec();
        assert_eq!(decode_event(&bytes).unwrap(), Event::Offers(vec![offer]));
    }

    proptest::proptest! {
        /// Any bytes a peer sends as a record decode to an event or an error.
        #[test]
        fn arbitrary_records_never_panic(bytes in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..512)) {
            let _ = decode_event(&bytes);
        }

        /// Valid protobuf of the right type with random sub-fields: no panic.
        #[test]
        fn arbitrary_typed_events_never_panic(ty in 0i32..16, body in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..256), field in 2u32..12) {
            let mut bytes = vec![0x08, ty as u8];
            bytes.push(((field << 3) | 2) as u8);
            bytes.push(body.len().min(127) as u8);
            bytes.extend_from_slice(&body[..body.len().min(127)]);
            let _ = decode_event(&bytes);
        }
    }

    #[test]
    fn legacy_master_ip_is_decoded() {
        let m = master_from_pb(pb::MasterInfo {
            id: "m".into(),
            ip: 16_777_343, // 127.0.0.1 in network order, as Mesos sends it
            port: 5050,
            ..Default::default()
        });
        assert_eq!(m.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(m.port, 5050);
    }

    #[test]
    fn calls_carry_framework_id_and_type() {
        let fw = FrameworkId::from("fw");
        let c = call_to_pb(
            &Call::Decline {
                offer_ids: vec![OfferId::from("o1")],
                refuse_seconds: Some(30.0),
            },
            &fw,
        );
        assert_eq!(c.r#type, Some(sched::call::Type::Decline as i32));
        assert_eq!(c.framework_id.unwrap().value, "fw");
        assert_eq!(
            c.decline.unwrap().filters.unwrap().refuse_seconds,
            Some(30.0)
        );
        let c = call_to_pb(&Call::Reconcile { tasks: vec![] }, &fw);
        assert!(c.reconcile.unwrap().tasks.is_empty());
    }
}
