//! A RabbitMQ-like message broker: topics, a durable queue per subscription, at-least-once
//! delivery with acknowledgements, redelivery after `ack_timeout`, and a dead-letter queue after
//! `max_deliveries`.
//!
//! The broker speaks the same messages as services, so the mesh applies to it unchanged:
//! - a **publish** is a request to the broker whose endpoint is the topic's index; the broker
//!   stores one copy per subscription and answers 200 once it has (publisher confirms). A
//!   publisher's sidecar therefore times out, retries and counts publishes like any call.
//! - a **delivery** is a request from the broker to one instance of the subscribing service,
//!   for the subscription's endpoint; the instance's answer is the acknowledgement: success
//!   acks, a failure sends the message back to the queue (a nack with requeue).
//!
//! Each instance of the subscriber is a consumer with a prefetch of its workers: the broker
//! never has more deliveries out to one instance than it has workers, so messages wait in the
//! broker, not in the instance's queue, and the queue depth shows the backlog. A consumer the
//! control plane reports down, or that refuses a delivery, gets nothing until it is back; what it
//! held returns to the front of the queue. The queues are durable: a broker crash keeps them and
//! returns whatever was out; a restarted broker delivers it again.

mod timer;

use std::collections::VecDeque;
use std::sync::Arc;

use meshsim_record::{BrokerEvent, Reason, ReasonKind, Record, Span, SpanKind};
use meshsim_sim::{GroupId, Input, NodeId, SimTime};

use crate::deadline::Deadlines;
use crate::message::{CallKey, Control, Message, Request, RequestContext, Response, attempt_span};
use crate::outbox::Outbox;
use crate::slab::{Slab, SlabKey};
use crate::timer::{TimerCode, expect_own};
use timer::BrokerTimer;

/// A broker as the scenario declares it.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub group: GroupId,
    /// The broker's own node: its deliveries' spans are keyed by it.
    pub node: NodeId,
    pub ack_timeout_ns: u64,
    pub max_deliveries: u32,
    /// A failed message waits this long before it is delivered again (a retry queue with a
    /// time to live); 0 delivers it again at once, as `RabbitMQ`'s requeue does.
    pub redelivery_delay_ns: u64,
    /// For each of the broker's topics (by index, the publish's endpoint), the indices into
    /// `subscriptions` it fans out to.
    pub topics: Vec<Vec<usize>>,
    pub subscriptions: Vec<SubscriptionConfig>,
}

#[derive(Debug, Clone)]
pub struct SubscriptionConfig {
    /// The subscription's index in the run's catalog, for records.
    pub catalog_index: u32,
    /// The subscribing service's group.
    pub group: GroupId,
    /// The subscribing service's instances.
    pub consumers: Vec<NodeId>,
    /// The subscriber's endpoint each message is delivered to.
    pub endpoint: u32,
    /// Deliveries out at once to one instance: the subscriber's workers.
    pub prefetch: u32,
    /// Consumers not deployed when the run starts (a rolling update's new instances): they
    /// get nothing until the control plane adds them.
    pub undeployed: Vec<NodeId>,
}

/// A message waiting in a queue.
#[derive(Debug, Clone, Copy)]
struct Stored {
    context: RequestContext,
    published_at: SimTime,
    /// Times it has been sent to a consumer.
    sent: u32,
    /// Times a consumer failed it or let it time out.
    failures: u32,
    /// The span of the publish's try that carried the message, when it is sampled (else 0):
    /// each consumer's span of it is that span's child.
    producer_span: u64,
}

/// A message out at a consumer.
#[derive(Debug, Clone, Copy)]
struct Delivery {
    subscription: usize,
    consumer: usize,
    message: Stored,
}

struct Subscription {
    queue: VecDeque<Stored>,
    /// Per consumer: whether deliveries may go to it.
    available: Vec<bool>,
    /// Per consumer: deliveries out.
    out: Vec<u32>,
    /// Where round robin over the consumers goes on from.
    next_consumer: usize,
    /// The oldest waiting message's publish time as last recorded.
    oldest_recorded: Option<SimTime>,
}

pub struct Broker {
    config: Arc<BrokerConfig>,
    subscriptions: Vec<Subscription>,
    deliveries: Slab<Delivery>,
    ack_deadlines: Deadlines,
    /// Failed messages waiting out `redelivery_delay`, oldest first (the delay is the same for
    /// all, so the order of failing is the order of becoming ready).
    delayed: VecDeque<(SimTime, usize, Stored)>,
    /// Whether a timer is set for the front of `delayed`.
    delay_armed: bool,
}

impl Broker {
    pub fn new(config: Arc<BrokerConfig>) -> Self {
        let subscriptions = config
            .subscriptions
            .iter()
            .map(|subscription| {
                assert!(
                    subscription.prefetch > 0,
                    "a consumer takes at least one message"
                );
                Subscription {
                    queue: VecDeque::new(),
                    available: subscription
                        .consumers
                        .iter()
                        .map(|consumer| !subscription.undeployed.contains(consumer))
                        .collect(),
                    out: vec![0; subscription.consumers.len()],
                    next_consumer: 0,
                    oldest_recorded: None,
                }
            })
            .collect();
        Broker {
            config,
            subscriptions,
            deliveries: Slab::default(),
            ack_deadlines: Deadlines::default(),
            delayed: VecDeque::new(),
            delay_armed: false,
        }
    }

    #[allow(clippy::needless_pass_by_value)] // Inputs are small and moved in, as for every model.
    pub fn handle(&mut self, now: SimTime, input: Input<Message>, out: &mut Outbox<Message>) {
        match input {
            Input::Message {
                from,
                message: Message::Request(request),
            } => self.publish(now, from, &request, out),
            Input::Message {
                message: Message::Response(response),
                ..
            } => self.answered(now, &response, out),
            Input::Refused {
                message: Message::Request(request),
                ..
            } => self.refused(now, request.call.slab_key(), out),
            // A rolling update adds a subscriber's instance to the consumers or takes it away.
            Input::Message {
                message:
                    Message::Control(Control::Endpoint { node, ready } | Control::Ready { node, ready }),
                ..
            } => self.membership(now, node, ready, out),
            // Rollout traffic is for sidecars and instances; a broker has neither.
            Input::Message { .. } | Input::Refused { .. } | Input::Start => {}
            Input::Timer(id) => match expect_own(id, "a broker") {
                BrokerTimer::Ack => self.ack_timeouts(now, out),
                BrokerTimer::Redeliver => self.redeliver_due(now, out),
            },
            Input::Membership { node, up } => self.membership(now, node, up, out),
            Input::Crashed => self.crash(now, out),
            Input::Restarted => {
                for index in 0..self.subscriptions.len() {
                    self.dispatch(now, index, out);
                }
            }
            Input::Finish => {
                // Each message still held is a step of some order's work not done yet.
                let held = self
                    .subscriptions
                    .iter()
                    .flat_map(|subscription| subscription.queue.iter())
                    .chain(self.delayed.iter().map(|(_, _, message)| message))
                    .chain(
                        self.deliveries
                            .iter()
                            .map(|(_, delivery)| &delivery.message),
                    );
                for message in held {
                    out.record(Record::OrderFact {
                        group: self.config.group,
                        order: message.context.trace(),
                        fact: "message_in_flight",
                        count: 1,
                    });
                }
                for (index, subscription) in self.subscriptions.iter().enumerate() {
                    out.record(Record::BrokerAtEnd {
                        subscription: self.config.subscriptions[index].catalog_index,
                        queued: subscription.queue.len() as u64
                            + self
                                .delayed
                                .iter()
                                .filter(|(_, delayed, _)| *delayed == index)
                                .count() as u64,
                        in_flight: subscription.out.iter().map(|&n| u64::from(n)).sum(),
                    });
                }
            }
        }
    }

    fn record(&self, subscription: usize, event: BrokerEvent, out: &mut Outbox<Message>) {
        out.record(Record::Broker {
            subscription: self.config.subscriptions[subscription].catalog_index,
            event,
        });
    }

    /// A publish: one copy per subscription of the topic, then the confirm.
    fn publish(
        &mut self,
        now: SimTime,
        from: NodeId,
        request: &Request,
        out: &mut Outbox<Message>,
    ) {
        let topic = request.endpoint as usize;
        let fan_out = self.config.topics[topic].clone();
        for subscription in fan_out {
            self.subscriptions[subscription].queue.push_back(Stored {
                context: request.context,
                published_at: now,
                sent: 0,
                failures: 0,
                producer_span: if request.context.sampled {
                    attempt_span(request.context.trace(), from, request.call)
                } else {
                    0
                },
            });
            self.record(subscription, BrokerEvent::Enqueued, out);
            self.dispatch(now, subscription, out);
        }
        out.send(
            from,
            Message::Response(Response {
                call: request.call,
                status: 200,
                reason: Reason::OK,
            }),
        );
    }

    /// Sends what waits to consumers with room, round robin.
    fn dispatch(&mut self, now: SimTime, index: usize, out: &mut Outbox<Message>) {
        let config = &self.config.subscriptions[index];
        loop {
            let subscription = &mut self.subscriptions[index];
            if subscription.queue.is_empty() {
                break;
            }
            let count = config.consumers.len();
            let Some(consumer) = (0..count)
                .map(|offset| (subscription.next_consumer + offset) % count)
                .find(|&consumer| {
                    subscription.available[consumer] && subscription.out[consumer] < config.prefetch
                })
            else {
                break;
            };
            subscription.next_consumer = (consumer + 1) % count;
            let mut message = subscription.queue.pop_front().expect("not empty");
            subscription.out[consumer] += 1;
            let event = if message.sent == 0 {
                BrokerEvent::Delivered
            } else {
                BrokerEvent::Redelivered
            };
            message.sent += 1;
            let key = self.deliveries.insert(Delivery {
                subscription: index,
                consumer,
                message,
            });
            self.record(index, event, out);
            delivery_span(&self.config, (key, &message, index), now, out);
            out.send(
                config.consumers[consumer],
                Message::Request(Request {
                    call: CallKey::from(key),
                    endpoint: config.endpoint,
                    context: message.context,
                    caller: self.config.group.0,
                }),
            );
            self.ack_deadlines.push(
                now + self.config.ack_timeout_ns,
                key,
                BrokerTimer::Ack.encode(),
                out,
            );
        }
        self.note_oldest(index, out);
    }

    /// Records the subscription's oldest waiting message when it changed.
    fn note_oldest(&mut self, index: usize, out: &mut Outbox<Message>) {
        let subscription = &mut self.subscriptions[index];
        let oldest = subscription
            .queue
            .front()
            .map(|message| message.published_at);
        if oldest != subscription.oldest_recorded {
            subscription.oldest_recorded = oldest;
            out.record(Record::BrokerOldest {
                subscription: self.config.subscriptions[index].catalog_index,
                published_at_ns: oldest.map(SimTime::as_nanos),
            });
        }
    }

    /// Takes a delivery back from its consumer.
    fn take(&mut self, key: SlabKey) -> Option<Delivery> {
        let delivery = self.deliveries.remove(key)?;
        let subscription = &mut self.subscriptions[delivery.subscription];
        subscription.out[delivery.consumer] -= 1;
        Some(delivery)
    }

    /// The consumer's answer: success acks; failure counts a failed delivery.
    fn answered(&mut self, now: SimTime, response: &Response, out: &mut Outbox<Message>) {
        let Some(delivery) = self.take(response.call.slab_key()) else {
            // An answer after the ack timeout already sent the message again.
            return;
        };
        if response.is_success() {
            self.record(delivery.subscription, BrokerEvent::Acked, out);
            self.dispatch(now, delivery.subscription, out);
        } else if response.reason.kind == ReasonKind::Reset
            && response.reason.group == Some(self.config.subscriptions[delivery.subscription].group)
        {
            // The consumer's process died holding it: its connection closed, so the message
            // goes back without a verdict, and nothing more goes there until it is back.
            let index = delivery.subscription;
            self.subscriptions[index].available[delivery.consumer] = false;
            self.returned(delivery, out);
            self.dispatch(now, index, out);
        } else {
            self.failed(now, delivery, out);
        }
    }

    /// A failed or timed-out delivery: to the dead-letter queue after `max_deliveries`, else
    /// back to the front of the queue.
    fn failed(&mut self, now: SimTime, delivery: Delivery, out: &mut Outbox<Message>) {
        let mut message = delivery.message;
        message.failures += 1;
        let index = delivery.subscription;
        if message.failures >= self.config.max_deliveries {
            self.record(index, BrokerEvent::DeadLettered, out);
        } else {
            self.record(index, BrokerEvent::Failed, out);
            if self.config.redelivery_delay_ns == 0 {
                self.subscriptions[index].queue.push_front(message);
            } else {
                let ready_at = now + self.config.redelivery_delay_ns;
                self.delayed.push_back((ready_at, index, message));
                if !self.delay_armed {
                    self.delay_armed = true;
                    out.set_timer(ready_at, BrokerTimer::Redeliver.encode());
                }
            }
        }
        self.dispatch(now, index, out);
    }

    /// A delivery that came back without a verdict goes back to the front, uncounted.
    fn returned(&mut self, delivery: Delivery, out: &mut Outbox<Message>) {
        self.record(delivery.subscription, BrokerEvent::Returned, out);
        self.subscriptions[delivery.subscription]
            .queue
            .push_front(delivery.message);
    }

    fn refused(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let Some(delivery) = self.take(key) else {
            return;
        };
        // The consumer's process is gone: nothing more goes to it until the control plane says
        // it is back.
        self.subscriptions[delivery.subscription].available[delivery.consumer] = false;
        let index = delivery.subscription;
        self.returned(delivery, out);
        self.dispatch(now, index, out);
    }

    /// Failed messages whose delay is over go back to the front of their queues.
    fn redeliver_due(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        self.delay_armed = false;
        let mut touched = Vec::new();
        while let Some(&(ready_at, index, message)) = self.delayed.front() {
            if ready_at > now {
                self.delay_armed = true;
                out.set_timer(ready_at, BrokerTimer::Redeliver.encode());
                break;
            }
            self.delayed.pop_front();
            self.subscriptions[index].queue.push_front(message);
            if !touched.contains(&index) {
                touched.push(index);
            }
        }
        for index in touched {
            self.dispatch(now, index, out);
        }
    }

    fn ack_timeouts(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        let deliveries = &self.deliveries;
        let due = self.ack_deadlines.expire(
            now,
            |key| deliveries.get(key).is_some(),
            BrokerTimer::Ack.encode(),
            out,
        );
        for key in due {
            if let Some(delivery) = self.take(key) {
                self.failed(now, delivery, out);
            }
        }
    }

    fn membership(&mut self, now: SimTime, node: NodeId, up: bool, out: &mut Outbox<Message>) {
        for index in 0..self.subscriptions.len() {
            let Some(consumer) = self.config.subscriptions[index]
                .consumers
                .iter()
                .position(|&consumer| consumer == node)
            else {
                continue;
            };
            self.subscriptions[index].available[consumer] = up;
            if !up {
                // The connection is gone: what the consumer held goes back (RabbitMQ requeues
                // unacknowledged messages of a closed channel).
                let held: Vec<SlabKey> = self
                    .deliveries
                    .iter()
                    .filter(|(_, delivery)| {
                        delivery.subscription == index && delivery.consumer == consumer
                    })
                    .map(|(key, _)| key)
                    .collect();
                for key in held {
                    let delivery = self.take(key).expect("listed just now");
                    self.returned(delivery, out);
                }
            }
            self.dispatch(now, index, out);
        }
    }

    /// The broker's process dies. The queues are on disk; deliveries out come back to them and
    /// go out again after the restart.
    fn crash(&mut self, _now: SimTime, out: &mut Outbox<Message>) {
        let keys: Vec<SlabKey> = self.deliveries.iter().map(|(key, _)| key).collect();
        for key in keys {
            let delivery = self.take(key).expect("listed just now");
            self.returned(delivery, out);
        }
        self.ack_deadlines.clear();
        // The retry queue is on disk too; its timer died with the process, so its messages go
        // back to their queues, to be delivered after the restart.
        for (_, index, message) in std::mem::take(&mut self.delayed) {
            self.subscriptions[index].queue.push_back(message);
        }
        self.delay_armed = false;
        for index in 0..self.subscriptions.len() {
            self.note_oldest(index, out);
        }
    }
}

/// Records, for a sampled message sent to a consumer as delivery `key`, the link from the
/// delivery to the publish that caused it: a span of no length at the broker whose id is the
/// one the consumer's span names as its parent (the delivery's sender and key), and whose
/// parent is the publish's try. The OTLP export writes no span for it and gives the consumer's
/// span the publish's as its parent.
fn delivery_span(
    config: &BrokerConfig,
    (key, message, subscription): (SlabKey, &Stored, usize),
    now: SimTime,
    out: &mut Outbox<Message>,
) {
    if !message.context.sampled {
        return;
    }
    let trace = message.context.trace();
    // The topic the subscription is on, for the consumer's `messaging.destination.name`.
    let topic = config
        .topics
        .iter()
        .position(|subscriptions| subscriptions.contains(&subscription))
        .map(|topic| (config.group, topic as u32));
    out.record(Record::Span(Box::new(Span {
        trace,
        node: config.node,
        kind: SpanKind::Deliver,
        start_ns: now.as_nanos(),
        end_ns: now.as_nanos(),
        endpoint: topic,
        peer: None,
        status: 0,
        number: message.sent,
        id: attempt_span(trace, config.node, CallKey::from(key)),
        parent: message.producer_span,
        events: Vec::new(),
    })));
}
