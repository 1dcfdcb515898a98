//! An instance's own work, from its start to its end on the instance's CPU (`cpu.rs`): at
//! full speed, on shared cores, or on an event-loop process. Each path ends in the same place,
//! `after_work`, once the work is done.

use meshsim_record::Record;
use meshsim_sim::SimTime;

use super::ServiceInstance;
use super::cpu::Cpu;
use super::timer::ServiceTimer;
use crate::event_loops::LoopWork;
use crate::message::Message;
use crate::outbox::Outbox;
use crate::processor_sharing::Arming;
use crate::slab::SlabKey;
use crate::timer::TimerCode;

fn arm(arming: Arming, out: &mut Outbox<Message>) {
    out.set_timer(
        arming.at,
        ServiceTimer::CpuShare(arming.generation).encode(),
    );
}

fn run_loop_work(now: SimTime, process: u32, work: LoopWork, out: &mut Outbox<Message>) {
    out.set_timer(now + work.work_ns, ServiceTimer::LoopWork(process).encode());
}

impl ServiceInstance {
    /// Job `key` begins its own work of `work_ns` on the instance's CPU.
    pub(super) fn begin_work(
        &mut self,
        now: SimTime,
        key: SlabKey,
        work_ns: u64,
        out: &mut Outbox<Message>,
    ) {
        match &mut self.cpu {
            Cpu::Unlimited => out.set_timer(now + work_ns, ServiceTimer::Work(key).encode()),
            Cpu::Shared(shared) => arm(shared.enter(now, key, work_ns), out),
            Cpu::Loops(loops) => {
                if let (process, Some(work)) = loops.enter(LoopWork { key, work_ns }) {
                    run_loop_work(now, process, work, out);
                }
            }
        }
    }

    /// The shared cores' timer of arming `generation` came: the jobs whose work is done go on.
    pub(super) fn cpu_share_over(
        &mut self,
        now: SimTime,
        generation: u64,
        out: &mut Outbox<Message>,
    ) {
        let Cpu::Shared(shared) = &mut self.cpu else {
            unreachable!("a shared-cores timer at an instance without `cores`")
        };
        let (done, arming) = shared.on_timer(now, generation);
        if let Some(arming) = arming {
            arm(arming, out);
        }
        for key in done {
            self.work_done(now, key, out);
        }
    }

    /// Event-loop `process` finished the work it was running; it starts the next waiting.
    pub(super) fn loop_work_over(&mut self, now: SimTime, process: u32, out: &mut Outbox<Message>) {
        let Cpu::Loops(loops) = &mut self.cpu else {
            unreachable!("an event-loop timer at a threaded instance")
        };
        let (done, next) = loops.done(process);
        if let Some(next) = next {
            run_loop_work(now, process, next, out);
        }
        self.work_done(now, done.key, out);
    }

    /// Job `key`'s own work is done: its core-time is counted, then the job goes on.
    pub(super) fn work_done(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let Some(job) = self.jobs.get(key) else {
            unreachable!("work ended for a job that is gone: crashes clear the CPU")
        };
        // Under processor sharing a job uses exactly its work in core-time, however it was
        // shared: the sharing stretches its time, not its work.
        self.cpu_busy_ns += job.work_ns;
        if self.config.cores.is_some() {
            out.record(Record::CpuWork {
                key: self.config.key,
                core_ns: job.work_ns,
            });
        }
        self.after_work(now, key, out);
    }
}
