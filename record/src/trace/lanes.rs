//! The trace's tracks: which thread of its service's process a tree of spans goes on.
//!
//! Someone opening the trace wants one process per service (or workload) and, within it, the
//! requests on as few tracks as will hold them. A thread per request per instance, as the trace
//! once had, made hundreds of tracks of a single slice tree each. So each service's process has
//! lanes, and a tree (one request's spans at one instance, from its arrival to its answer) goes
//! on the first lane that is free for its whole time: lane 1 while requests come one at a time,
//! one more lane for each request that overlaps those already there. Slices on one lane then
//! never overlap without nesting, as the trace-event format requires. A request coming back to
//! a service (a saga's second step at the same store) takes its earlier lane when that lane is
//! free, so it reads as one row.
//!
//! Memory: a few numbers per lane, and a service has as many lanes as it had traced requests
//! at once, not as many as the run traced.

/// Whose tree a lane last took: (client, request).
type RequestKey = (u32, u64);

pub(crate) struct Lanes {
    /// Per group (process), its lanes in the order they were opened.
    by_group: Vec<Vec<Lane>>,
    /// Thread ids given so far. They are unique over the whole trace, not only within a
    /// process, because some viewers key a thread by its id alone.
    threads: u32,
}

struct Lane {
    thread: u32,
    /// The end of the last tree on the lane: a tree starting then or later fits.
    free_from_ns: u64,
    last_request: RequestKey,
}

/// Where a tree goes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The thread id its spans carry.
    pub thread: u32,
    /// Set when the lane is new: its number within its process, from 1, to name it by.
    pub opened_lane: Option<u32>,
}

impl Lanes {
    pub(super) fn new(group_count: usize) -> Lanes {
        Lanes {
            by_group: (0..group_count).map(|_| Vec::new()).collect(),
            threads: 0,
        }
    }

    /// Places a tree of `request` at a node of `group` that runs from `start_ns` to `end_ns`.
    pub(super) fn place(
        &mut self,
        group: usize,
        request: RequestKey,
        (start_ns, end_ns): (u64, u64),
    ) -> Placement {
        let lanes = &mut self.by_group[group];
        // A slice that starts as the previous one ends follows it, in the format as in
        // Perfetto: touching is not overlapping.
        let free = |lane: &Lane| lane.free_from_ns <= start_ns;
        let chosen = lanes
            .iter()
            .position(|lane| free(lane) && lane.last_request == request)
            .or_else(|| lanes.iter().position(free));
        if let Some(index) = chosen {
            let lane = &mut lanes[index];
            // Every tree already on the lane ended by `start_ns`, so the lane now ends here.
            lane.free_from_ns = end_ns;
            lane.last_request = request;
            return Placement {
                thread: lane.thread,
                opened_lane: None,
            };
        }
        self.threads += 1;
        lanes.push(Lane {
            thread: self.threads,
            free_from_ns: end_ns,
            last_request: request,
        });
        Placement {
            thread: self.threads,
            opened_lane: Some(lanes.len() as u32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opened(thread: u32, lane: u32) -> Placement {
        Placement {
            thread,
            opened_lane: Some(lane),
        }
    }

    fn reused(thread: u32) -> Placement {
        Placement {
            thread,
            opened_lane: None,
        }
    }

    #[test]
    fn requests_one_after_another_share_one_lane() {
        let mut lanes = Lanes::new(1);
        assert_eq!(lanes.place(0, (0, 1), (0, 10)), opened(1, 1));
        assert_eq!(lanes.place(0, (0, 2), (10, 20)), reused(1));
        assert_eq!(lanes.place(0, (0, 3), (25, 30)), reused(1));
    }

    #[test]
    fn an_overlapping_request_takes_the_first_free_lane() {
        let mut lanes = Lanes::new(2);
        assert_eq!(lanes.place(0, (0, 1), (0, 100)), opened(1, 1));
        assert_eq!(lanes.place(0, (0, 2), (10, 20)), opened(2, 2));
        // Thread ids run on over processes.
        assert_eq!(lanes.place(1, (0, 2), (10, 20)), opened(3, 1));
        assert_eq!(lanes.place(0, (0, 3), (30, 40)), reused(2));
        assert_eq!(lanes.place(0, (0, 4), (35, 120)), opened(4, 3));
        assert_eq!(lanes.place(0, (0, 5), (120, 130)), reused(1));
    }

    #[test]
    fn a_request_coming_back_takes_its_own_lane_when_free() {
        let mut lanes = Lanes::new(1);
        lanes.place(0, (0, 1), (0, 10));
        lanes.place(0, (0, 2), (5, 20));
        // Both lanes are free at 30; request 2 goes back to lane 2, not to the first one.
        assert_eq!(lanes.place(0, (0, 2), (30, 40)), reused(2));
        assert_eq!(lanes.place(0, (0, 3), (30, 40)), reused(1));
    }
}
