//! A node of the simulated world: the model an engine drives at one host.

use meshsim_record::Record;
use meshsim_sim::{Input, Model, SimTime};

use crate::autoscaler::Autoscaler;
use crate::broker::Broker;
use crate::message::Message;
use crate::outbox::Outbox;
use crate::rollout::RolloutController;
use crate::service::ServiceInstance;
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
