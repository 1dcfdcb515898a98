//! `[[broker]]` and `[[subscription]]`: topics, delivery limits, and who consumes what is published.

use indexmap::{IndexMap, IndexSet};

use super::checker::{Checker, root};
use super::references::endpoint_id;
use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;

impl Checker<'_, '_> {
    pub(super) fn check_brokers(&mut self) {
        let brokers = &self.scenario.brokers;
        self.count_limit(
            &root("broker"),
            brokers.len(),
            limits::BROKERS_MAX,
            "brokers",
        );
        self.count_limit(
            &root("broker"),
            self.names.topics.len(),
            limits::TOPICS_MAX,
            "topics",
        );
        let mut seen = IndexMap::new();
        let mut topics_seen: IndexMap<&str, DocPath> = IndexMap::new();
        for (index, broker) in brokers.iter().enumerate() {
            let path = root("broker").index(index);
            self.name(&path.key("name"), &broker.name, "broker name");
            self.unique(&mut seen, &broker.name, &path.key("name"), "broker name");
            self.host_name_clash(&path.key("name"), &broker.name, "broker");
            if broker.topics.is_empty() {
                self.warning(
                    &path.key("topics"),
                    format!("broker {} declares no topics", quote(&broker.name)),
                );
            }
            for (topic_index, topic) in broker.topics.iter().enumerate() {
                let topic_path = path.key("topics").index(topic_index);
                self.label(&topic_path, topic, "topic name", limits::LABEL_CHARS_MAX);
                self.unique(&mut topics_seen, topic, &topic_path, "topic");
            }
            self.positive_duration(&path.key("ack_timeout"), broker.ack_timeout);
            let deliveries_path = path.key("max_deliveries");
            self.whole_at_least(&deliveries_path, u64::from(broker.max_deliveries), 1);
            self.whole_at_most(
                &deliveries_path,
                u64::from(broker.max_deliveries),
                u64::from(limits::MAX_DELIVERIES_MAX),
                "deliveries per message",
            );
        }
    }

    pub(super) fn check_subscriptions(&mut self) {
        let subscriptions = &self.scenario.subscriptions;
        self.count_limit(
            &root("subscription"),
            subscriptions.len(),
            limits::SUBSCRIPTIONS_MAX,
            "subscriptions",
        );
        let mut seen: IndexMap<(&str, &str, &str), DocPath> = IndexMap::new();
        let mut subscribed: IndexSet<&str> = IndexSet::new();
        for (index, subscription) in subscriptions.iter().enumerate() {
            let path = root("subscription").index(index);
            self.topic_ref(&path.key("topic"), &subscription.topic);
            subscribed.insert(subscription.topic.as_str());
            if let Some(service) =
                self.service_ref(&path.key("service"), &subscription.service, "subscription")
            {
                let endpoint =
                    self.endpoint_ref(&path.key("endpoint"), service, &subscription.endpoint);
                self.resolving.subscriptions[index] =
                    endpoint.and_then(|endpoint| endpoint_id(service, endpoint));
            }
            let key = (
                subscription.topic.as_str(),
                subscription.service.as_str(),
                subscription.endpoint.as_str(),
            );
            if let Some(first) = seen.get(&key) {
                let line = self.line_of(first);
                let diagnostic = self.error(&path, "duplicate subscription");
                if let Some(line) = line {
                    diagnostic.set_hint(format!(
                        "the same topic, service and endpoint are subscribed on line {line}"
                    ));
                }
            } else {
                seen.insert(key, path);
            }
        }
        let unconsumed: Vec<(&str, DocPath)> = self
            .published
            .iter()
            .filter(|(topic, _)| !subscribed.contains(**topic))
            .map(|(topic, path)| (*topic, path.clone()))
            .collect();
        for (topic, path) in unconsumed {
            self.warning(&path, format!("nothing subscribes to topic {}: its messages are never consumed", quote(topic)))
                .set_hint(format!(
                    "add a [[subscription]] with topic = \"{topic}\", service = \"...\", endpoint = \"...\""
                ));
        }
    }
}
