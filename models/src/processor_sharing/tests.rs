//! Processor sharing as a state machine: jobs enter, timers come, jobs finish. The expected
//! times are worked out by hand from the definition (k jobs on N cores each progress at
//! min(1, N/k)), not read off the code.

use meshsim_sim::SimTime;

use super::{Arming, ProcessorSharing};
use crate::slab::SlabKey;

const MS: u64 = 1_000_000;

fn at(ms: u64) -> SimTime {
    SimTime::from_nanos(ms * MS)
}

/// Runs the jobs `(enter_ms, work_ms)` on `cores` and returns each one's finish, in ms, by
/// feeding the machine its own timers as an engine would (only the latest arming is live).
fn finishes(cores: f64, jobs: &[(u64, u64)]) -> Vec<f64> {
    let mut cpu = ProcessorSharing::new(cores);
    let mut done = vec![f64::NAN; jobs.len()];
    let mut armed: Vec<Arming> = Vec::new();
    let mut next_job = 0;
    loop {
        let timer = armed.iter().min_by_key(|arming| arming.at).copied();
        let entry = jobs.get(next_job).map(|&(enter, _)| at(enter));
        match (timer, entry) {
            (None, None) => break,
            (Some(timer), entry) if entry.is_none_or(|entry| timer.at < entry) => {
                armed.retain(|arming| *arming != timer);
                let (finished, arming) = cpu.on_timer(timer.at, timer.generation);
                for key in finished {
                    done[key.0 as usize] = timer.at.as_nanos() as f64 / MS as f64;
                }
                armed.extend(arming);
            }
            (_, Some(entry)) => {
                let work_ns = jobs[next_job].1 * MS;
                armed.push(cpu.enter(entry, SlabKey(next_job as u64), work_ns));
                next_job += 1;
            }
            (Some(_), None) => unreachable!("the guard above takes a timer when nothing enters"),
        }
    }
    assert_eq!(cpu.len(), 0, "every job finished");
    done
}

#[test]
fn one_job_alone_runs_at_full_speed_on_a_core_or_more() {
    assert_eq!(finishes(1.0, &[(0, 10)]), vec![10.0]);
    assert_eq!(finishes(4.0, &[(5, 10)]), vec![15.0]);
}

#[test]
fn a_fraction_of_a_core_slows_even_one_job() {
    // Kubernetes' `cpu: 500m`: half a core, so 10 ms of work take 20 ms.
    assert_eq!(finishes(0.5, &[(0, 10)]), vec![20.0]);
}

#[test]
fn two_jobs_on_one_core_share_it_until_the_shorter_ends() {
    // Both at rate 1/2: the 10 ms job has its work done at t = 20; the other has done 10 of
    // its 30 and runs alone for the last 20, to t = 40.
    assert_eq!(finishes(1.0, &[(0, 10), (0, 30)]), vec![20.0, 40.0]);
}

#[test]
fn a_job_entering_later_slows_the_one_in_work() {
    // Job 0 runs alone for 10 ms (10 done, 30 left), then both at 1/2: job 1 (10 ms) ends at
    // 10 + 20 = 30, job 0 has 20 left and ends at 50.
    assert_eq!(finishes(1.0, &[(0, 40), (10, 10)]), vec![50.0, 30.0]);
}

#[test]
fn jobs_up_to_the_cores_do_not_slow_each_other() {
    assert_eq!(
        finishes(2.0, &[(0, 10), (0, 30)]),
        vec![10.0, 30.0],
        "two jobs on two cores"
    );
    // Three on two: rate 2/3 each until the 10 ms job ends at 15; then two on two cores.
    assert_eq!(
        finishes(2.0, &[(0, 10), (0, 30), (0, 30)]),
        vec![15.0, 35.0, 35.0]
    );
}

#[test]
fn equal_finishes_end_together_in_key_order() {
    let mut cpu = ProcessorSharing::new(1.0);
    cpu.enter(at(0), SlabKey(7), 10 * MS);
    let arming = cpu.enter(at(0), SlabKey(3), 10 * MS);
    let (done, next) = cpu.on_timer(arming.at, arming.generation);
    assert_eq!(arming.at, at(20));
    assert_eq!(done, vec![SlabKey(3), SlabKey(7)]);
    assert_eq!(next, None);
}

#[test]
fn a_timer_armed_before_the_jobs_changed_finds_nothing() {
    let mut cpu = ProcessorSharing::new(1.0);
    let first = cpu.enter(at(0), SlabKey(0), 10 * MS);
    let second = cpu.enter(at(5), SlabKey(1), 10 * MS);
    assert_eq!(cpu.on_timer(first.at, first.generation), (Vec::new(), None));
    assert_eq!(cpu.len(), 2, "the stale timer finished nothing");
    // Job 0: 5 alone, then 5 more at 1/2 takes 10: t = 15.
    assert_eq!(second.at, at(15));
    let (done, _) = cpu.on_timer(second.at, second.generation);
    assert_eq!(done, vec![SlabKey(0)]);
}

#[test]
fn a_crash_clears_the_jobs_and_stales_the_timer() {
    let mut cpu = ProcessorSharing::new(1.0);
    let arming = cpu.enter(at(0), SlabKey(0), 10 * MS);
    cpu.clear();
    assert_eq!(cpu.len(), 0);
    assert_eq!(
        cpu.on_timer(arming.at, arming.generation),
        (Vec::new(), None)
    );
    // The cores start over, idle.
    let arming = cpu.enter(at(100), SlabKey(1), 10 * MS);
    assert_eq!(arming.at, at(110));
}
