//! The sidecar's finished calls, waiting for the model that owns it to take them, first
//! finished first.
//!
//! Usually one call finishes per input and is taken at once, so the first few wait inline in
//! the sidecar: a queue of its own on the heap would be one more cache miss each call at
//! thousands of instances. A crash can finish hundreds at once; they spill to the heap.

use smallvec::SmallVec;

use super::call::Completion;

#[derive(Default)]
pub(super) struct Completions {
    finished: SmallVec<[Completion; 2]>,
    /// How many of `finished` were taken: the next to take is `finished[taken]`.
    taken: usize,
}

impl Completions {
    pub(super) fn push_back(&mut self, completion: Completion) {
        self.finished.push(completion);
    }

    pub(super) fn pop_front(&mut self) -> Option<Completion> {
        let completion = self.finished.get(self.taken).copied()?;
        self.taken += 1;
        if self.taken == self.finished.len() {
            self.clear();
        }
        Some(completion)
    }

    pub(super) fn clear(&mut self) {
        self.finished.clear();
        self.taken = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::Completions;
    use meshsim_record::Reason;

    use crate::message::{CallKey, Response};
    use crate::sidecar::call::Completion;
    use crate::slab::SlabKey;

    fn completion(owner: u64) -> Completion {
        Completion {
            owner: SlabKey(owner),
            response: Response::new(CallKey(owner), 200, Reason::OK),
        }
    }

    #[test]
    fn first_finished_first_taken_across_spills() {
        let mut completions = Completions::default();
        for owner in 0..5 {
            completions.push_back(completion(owner));
        }
        assert_eq!(completions.pop_front().map(|done| done.owner.0), Some(0));
        completions.push_back(completion(5));
        let taken: Vec<u64> = std::iter::from_fn(|| completions.pop_front())
            .map(|done| done.owner.0)
            .collect();
        assert_eq!(taken, [1, 2, 3, 4, 5]);
        assert!(completions.pop_front().is_none());
        completions.push_back(completion(6));
        assert_eq!(completions.pop_front().map(|done| done.owner.0), Some(6));
    }
}
