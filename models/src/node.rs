//! A node of the simulated world: the model an engine drives at one host.

use meshsim_record::Record;
use meshsim_sim::{Input, Loopback, Model, SimTime};

use crate::autoscaler::Autoscaler;
use crate::broker::Broker;
use crate::message::Message;
use crate::outbox::Outbox;
use crate::rollout::RolloutController;
use crate::service::{FromCode, ServiceInstance, ToCode};
use crate::store::Store;
use crate::workload::WorkloadClient;

pub enum Node {
    Service(Box<ServiceInstance>),
    Client(Box<WorkloadClient>),
    Broker(Box<Broker>),
    Store(Box<Store>),
    Rollout(Box<RolloutController>),
    Autoscaler(Box<Autoscaler>),
}

impl Model for Node {
    type Message = Message;
    type Record = Record;

    fn handle(&mut self, now: SimTime, input: Input<Message>, out: &mut Outbox<Message>) {
        match self {
            Node::Service(instance) => instance.handle(now, input, out),
            Node::Client(client) => client.handle(now, input, out),
            Node::Broker(broker) => broker.handle(now, input, out),
            Node::Store(store) => store.handle(now, input, out),
            Node::Rollout(controller) => controller.handle(now, input, out),
            Node::Autoscaler(autoscaler) => autoscaler.handle(now, input, out),
        }
    }
}

/// Only a service instance whose work is code has code beside it: the turmoil engine pairs no
/// other node with a task.
impl Loopback for Node {
    type FromTask = FromCode;
    type ToTask = ToCode;

    fn on_task_message(&mut self, now: SimTime, message: FromCode, out: &mut Outbox<Message>) {
        match self {
            Node::Service(instance) => instance.on_code_message(now, message, out),
            _ => unreachable!("code beside a node that is not a service instance"),
        }
    }

    fn next_for_task(&mut self) -> Option<ToCode> {
        match self {
            Node::Service(instance) => instance.next_for_code(),
            _ => None,
        }
    }
}
