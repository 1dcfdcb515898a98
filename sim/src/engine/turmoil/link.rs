//! The loopback between a model and the task that shares its host: two queues and two
//! wake-ups, on the host's one thread.

use std::cell::RefCell;
use std::collections::VecDeque;

use tokio::sync::Notify;

/// What a paired host's model and task hand each other. The task [`send`](Link::send)s and
/// [`recv`](Link::recv)s; the host's loop takes the task's messages before its next turn and
/// gives it the model's after every input. Nothing crosses it in simulated time, as nothing
/// measurable crosses a pod's loopback.
pub struct Link<F, T> {
    from_task: RefCell<VecDeque<F>>,
    to_task: RefCell<VecDeque<T>>,
    /// Wakes the host's loop when the task has sent something.
    pub(super) host_wake: Notify,
    /// Wakes the task when the model has said something.
    task_wake: Notify,
}

impl<F, T> Link<F, T> {
    pub(super) fn new() -> Self {
        Link {
            from_task: RefCell::new(VecDeque::new()),
            to_task: RefCell::new(VecDeque::new()),
            host_wake: Notify::new(),
            task_wake: Notify::new(),
        }
    }

    /// Hands `message` to the model, which takes it at once (at this instant of simulated time).
    pub fn send(&self, message: F) {
        self.from_task.borrow_mut().push_back(message);
        self.host_wake.notify_one();
    }

    /// The model's next message. A single task receives: the wake-up is a permit, so a message
    /// given while nobody waits is found on the next call.
    pub async fn recv(&self) -> T {
        loop {
            let next = self.to_task.borrow_mut().pop_front();
            if let Some(message) = next {
                return message;
            }
            self.task_wake.notified().await;
        }
    }

    pub(super) fn take_from_task(&self) -> Option<F> {
        self.from_task.borrow_mut().pop_front()
    }

    pub(super) fn give_to_task(&self, message: T) {
        self.to_task.borrow_mut().push_back(message);
        self.task_wake.notify_one();
    }
}
