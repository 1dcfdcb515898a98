//! The worker pool as a state machine: jobs offered and finished in, admissions, handed-back
//! jobs and gauge records out.

use meshsim_record::{Gauge, Record, VersionKey};
use meshsim_sim::Action;
use meshsim_sim::GroupId;

use super::{Admission, WorkerPool};
use crate::outbox::Outbox;

const KEY: VersionKey = VersionKey {
    group: GroupId(3),
    version: 1,
};

/// The pool's gauge records since the last call, as (gauge, delta) in order.
fn gauges(out: &mut Outbox<()>) -> Vec<(Gauge, i64)> {
    out.drain()
        .map(|action| match action {
            Action::Record(Record::Gauge { key, gauge, delta }) => {
                assert_eq!(key, KEY, "the pool records its own version's gauges");
                (gauge, delta)
            }
            _ => panic!("the pool only records gauges"),
        })
        .collect()
}

/// A pool of `workers` workers and room for `queue_max` jobs, with `count` jobs offered.
fn pool_offered(workers: u32, queue_max: u32, count: u32) -> (WorkerPool<u32>, Outbox<()>) {
    let mut pool = WorkerPool::new(KEY, workers, queue_max);
    let mut out = Outbox::default();
    for job in 0..count {
        assert_ne!(pool.offer(job, &mut out), Admission::Full(job));
    }
    (pool, out)
}

#[test]
fn offers_take_the_workers_then_the_queue_then_are_turned_away() {
    let mut pool = WorkerPool::new(KEY, 2, 1);
    let mut out = Outbox::default();
    assert_eq!(pool.offer('a', &mut out), Admission::Started('a'));
    assert_eq!(pool.offer('b', &mut out), Admission::Started('b'));
    assert_eq!(pool.offer('c', &mut out), Admission::Queued);
    assert_eq!(pool.offer('d', &mut out), Admission::Full('d'));
    assert_eq!(
        gauges(&mut out),
        [
            (Gauge::InFlight, 1),
            (Gauge::InFlight, 1),
            (Gauge::QueueDepth, 1)
        ],
        "a job turned away records nothing: the owner records the shed"
    );
    assert_eq!((pool.busy_workers(), pool.queue_depth()), (2, 1));
}

#[test]
fn a_pool_without_a_queue_turns_away_whatever_finds_no_worker() {
    let mut pool = WorkerPool::new(KEY, 1, 0);
    let mut out = Outbox::default();
    assert_eq!(pool.offer(1, &mut out), Admission::Started(1));
    assert_eq!(pool.offer(2, &mut out), Admission::Full(2));
    assert_eq!(gauges(&mut out), [(Gauge::InFlight, 1)]);
}

#[test]
fn finish_hands_the_worker_to_the_first_job_in_line() {
    let (mut pool, mut out) = pool_offered(1, 10, 4);
    gauges(&mut out);
    assert_eq!(pool.queued().copied().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(pool.finish(&mut out), Some(1));
    assert_eq!(
        gauges(&mut out),
        [
            (Gauge::InFlight, -1),
            (Gauge::QueueDepth, -1),
            (Gauge::InFlight, 1)
        ]
    );
    assert_eq!(pool.finish(&mut out), Some(2));
    assert_eq!(pool.finish(&mut out), Some(3));
    assert_eq!(pool.finish(&mut out), None);
    assert!(pool.is_idle());
}

#[test]
fn a_finish_makes_room_in_a_full_queue() {
    let (mut pool, mut out) = pool_offered(1, 1, 2);
    assert_eq!(pool.offer(9, &mut out), Admission::Full(9));
    assert_eq!(pool.finish(&mut out), Some(1));
    assert_eq!(pool.offer(9, &mut out), Admission::Queued);
}

#[test]
fn reset_returns_the_queued_jobs_and_zeroes_the_gauges() {
    let (mut pool, mut out) = pool_offered(2, 10, 5);
    let offered = gauges(&mut out);
    assert_eq!(pool.reset(&mut out), [2, 3, 4]);
    assert_eq!(
        gauges(&mut out),
        [(Gauge::InFlight, -2), (Gauge::QueueDepth, -3)],
        "in flight first, then the queue"
    );
    assert!(pool.is_idle());
    // A new process starts from nothing.
    assert_eq!(pool.offer(7, &mut out), Admission::Started(7));
    assert_eq!(
        offered.iter().map(|&(_, delta)| delta).sum::<i64>(),
        5,
        "five offered: two working, three waiting"
    );
}

#[test]
fn reset_of_an_idle_pool_records_nothing() {
    let mut pool = WorkerPool::<u32>::new(KEY, 3, 3);
    let mut out = Outbox::default();
    assert!(pool.reset(&mut out).is_empty());
    assert!(gauges(&mut out).is_empty());
}

#[test]
fn background_work_takes_a_worker_but_stays_out_of_the_gauges() {
    let mut pool = WorkerPool::new(KEY, 1, 5);
    let mut out = Outbox::default();
    pool.take_for_background();
    // The owner's own work is never queued: it may take more workers than there are.
    pool.take_for_background();
    assert_eq!(pool.busy_workers(), 2);
    assert_eq!(pool.offer(1, &mut out), Admission::Queued);
    pool.release_background();
    pool.release_background();
    // Its end hands nothing on; the next request to arrive takes the free worker.
    assert_eq!((pool.busy_workers(), pool.queue_depth()), (0, 1));
    assert_eq!(pool.offer(2, &mut out), Admission::Started(2));
    assert_eq!(pool.finish(&mut out), Some(1));
    assert_eq!(
        gauges(&mut out),
        [
            (Gauge::QueueDepth, 1),
            (Gauge::InFlight, 1),
            (Gauge::InFlight, -1),
            (Gauge::QueueDepth, -1),
            (Gauge::InFlight, 1)
        ]
    );
    // A crash drops background work too, and counts only the requests in flight.
    pool.take_for_background();
    assert!(pool.reset(&mut out).is_empty());
    assert_eq!(gauges(&mut out), [(Gauge::InFlight, -1)]);
    assert!(pool.is_idle());
}

#[test]
fn the_gauges_balance_to_zero_whatever_the_order() {
    let mut pool = WorkerPool::new(KEY, 3, 4);
    let mut out = Outbox::default();
    let mut sums = [0_i64; 2];
    let tally = |out: &mut Outbox<()>, sums: &mut [i64; 2]| {
        for (gauge, delta) in gauges(out) {
            sums[gauge as usize] += delta;
        }
    };
    // Offers and finishes interleaved; then a crash with work in hand; then a drain.
    for round in 0..40_u32 {
        if round % 3 == 2 && pool.busy_workers() > 0 {
            pool.finish(&mut out);
        } else {
            let _ = pool.offer(round, &mut out);
        }
        tally(&mut out, &mut sums);
        assert_eq!(sums[Gauge::InFlight as usize], pool.busy_workers() as i64);
        assert_eq!(sums[Gauge::QueueDepth as usize], pool.queue_depth() as i64);
        if round == 20 {
            pool.reset(&mut out);
            tally(&mut out, &mut sums);
            assert_eq!(sums, [0, 0]);
        }
    }
    while pool.busy_workers() > 0 {
        pool.finish(&mut out);
    }
    tally(&mut out, &mut sums);
    assert_eq!(sums, [0, 0]);
    assert!(pool.is_idle());
}
