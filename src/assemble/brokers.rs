//! Each broker's model, and which brokers deliver to each service.

use meshsim_models::{BrokerConfig, SubscriptionConfig};
use meshsim_sim::NodeId;

use super::autoscalers;
use crate::layout::Layout;
use crate::rollout;
use crate::scenario::resolved::{EndpointId, Resolved};

/// Each broker's model: its topics' fan-out to the subscriptions, each subscriber's instances
/// as consumers with a prefetch of their workers. Subscriptions are numbered across brokers in
/// the catalog's order.
pub(super) fn broker_configs(scenario: Resolved<'_>, layout: &Layout) -> Vec<BrokerConfig> {
    let mut catalog_index = 0u32;
    scenario
        .brokers
        .iter()
        .enumerate()
        .map(|(index, broker)| {
            let mut topics = vec![Vec::new(); broker.topics.len()];
            let mut subscriptions = Vec::new();
            let resolved = scenario
                .subscriptions
                .iter()
                .zip(&scenario.resolution.subscriptions);
            for (subscription, &EndpointId(service_id, endpoint)) in resolved {
                let Some(topic) = broker.topics.iter().position(|t| *t == subscription.topic)
                else {
                    continue;
                };
                let service_index = service_id.index();
                let service = &scenario.services[service_index];
                topics[topic].push(subscriptions.len());
                subscriptions.push(SubscriptionConfig {
                    catalog_index,
                    group: layout.services[service_index].group,
                    consumers: layout.services[service_index].instances.clone(),
                    endpoint: u32::from(endpoint),
                    prefetch: service.workers,
                    undeployed: if service.depends_on.is_empty() && service.start_time.is_none() {
                        let mut nodes = rollout::undeployed_nodes(&scenario, layout, service_index);
                        nodes.extend(autoscalers::standby_nodes(&scenario, layout, service_index));
                        nodes
                    } else {
                        // Not ready at the start: each joins the consumers when it says so.
                        layout.services[service_index].instances.clone()
                    },
                });
                catalog_index += 1;
            }
            BrokerConfig {
                group: layout.brokers[index].group,
                node: layout.brokers[index].node,
                ack_timeout_ns: broker.ack_timeout.as_nanos(),
                max_deliveries: broker.max_deliveries,
                redelivery_delay_ns: broker.redelivery_delay.as_nanos(),
                topics,
                subscriptions,
            }
        })
        .collect()
}

/// The brokers delivering to each service, for a rolling update's endpoint changes.
pub(super) fn subscribers(scenario: Resolved<'_>, layout: &Layout) -> Vec<Vec<NodeId>> {
    let mut subscribers: Vec<Vec<NodeId>> = vec![Vec::new(); scenario.services.len()];
    let resolved = scenario
        .subscriptions
        .iter()
        .zip(&scenario.resolution.subscriptions);
    for (subscription, &EndpointId(service, _)) in resolved {
        let service = service.index();
        for (index, broker) in scenario.brokers.iter().enumerate() {
            let node = layout.brokers[index].node;
            if broker.topics.contains(&subscription.topic) && !subscribers[service].contains(&node)
            {
                subscribers[service].push(node);
            }
        }
    }
    subscribers
}
