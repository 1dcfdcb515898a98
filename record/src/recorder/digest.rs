//! The trace digest: every record but spans, folded in order into one XXH3-128 hash. Two runs
//! with the same digest did the same thing.

use meshsim_sim::SimTime;
use xxhash_rust::xxh3::Xxh3;

use crate::record::Record;

/// The trace digest's hasher behind a batch: records arrive a few dozen bytes at a time, and
/// the streaming hasher's cost per update (a copy into its own 256-byte buffer, checks) would
/// dominate if each went straight in. XXH3 hashes a byte stream, whatever the updates: batching
/// gives the same digest.
pub(super) struct DigestStream {
    hasher: Xxh3,
    batch: Box<[u8; DIGEST_BATCH_BYTES]>,
    len: usize,
    /// Where the record being laid out began, to check that its fixed fields fit.
    record_start: usize,
}

/// Bytes gathered before one update of the hasher.
const DIGEST_BATCH_BYTES: usize = 4096;
/// The most bytes of fixed fields one record lays out.
const DIGEST_RECORD_BYTES_MAX: usize = 64;

impl Default for DigestStream {
    fn default() -> Self {
        DigestStream {
            hasher: Xxh3::new(),
            batch: Box::new([0; DIGEST_BATCH_BYTES]),
            len: 0,
            record_start: 0,
        }
    }
}

impl DigestStream {
    /// Folds one record, taken at `now`, into the digest. Each record's fixed fields are laid
    /// straight into the batch, in copies of known size; only names and texts go through
    /// `update`. Every record starts with a tag byte of its own, never reused.
    // Inlined, with the traffic records' fold: every record but a span comes through here,
    // and as calls they made the recorder a quarter dearer (measured in instructions on the
    // chain bench: 9.39 G with calls, 9.12 G inlined).
    #[inline]
    pub(super) fn fold(&mut self, now: SimTime, record: &Record) {
        self.begin_record();
        self.put(&now.as_nanos().to_le_bytes());
        match record {
            Record::RequestSent { .. }
            | Record::RequestDone { .. }
            | Record::Served { .. }
            | Record::Gauge { .. }
            | Record::InFlightAtEnd { .. }
            | Record::Call { .. }
            | Record::Attempt { .. }
            | Record::Mesh { .. }
            | Record::GroupGauge { .. } => self.fold_traffic(record),
            _ => self.fold_state(record),
        }
    }

    /// Requests, what instances served, calls and what the mesh did to them.
    #[inline]
    fn fold_traffic(&mut self, record: &Record) {
        match record {
            Record::RequestSent { client, request } => {
                self.put(&[1]);
                self.put(&client.0.to_le_bytes());
                self.put(&request.to_le_bytes());
            }
            Record::RequestDone {
                client,
                request,
                sent_at_ns,
                outcome,
                status,
                reason,
            } => {
                self.put(&[2, *outcome as u8, reason.kind as u8]);
                self.put(&client.0.to_le_bytes());
                self.put(&request.to_le_bytes());
                self.put(&sent_at_ns.to_le_bytes());
                self.put(&status.to_le_bytes());
                self.put(&reason.group.map_or(u32::MAX, |group| group.0).to_le_bytes());
            }
            Record::Served {
                key,
                node,
                latency_ns,
                result,
            } => {
                self.put(&[3, *result as u8]);
                self.put(&key.group.0.to_le_bytes());
                self.put(&key.version.to_le_bytes());
                self.put(&node.0.to_le_bytes());
                self.put(&latency_ns.to_le_bytes());
            }
            Record::Gauge { key, gauge, delta } => {
                self.put(&[4, *gauge as u8]);
                self.put(&key.group.0.to_le_bytes());
                self.put(&key.version.to_le_bytes());
                self.put(&delta.to_le_bytes());
            }
            Record::InFlightAtEnd { client, count } => {
                self.put(&[5]);
                self.put(&client.0.to_le_bytes());
                self.put(&count.to_le_bytes());
            }
            Record::Call { caller, callee } => {
                self.put(&[7]);
                self.put(&caller.0.to_le_bytes());
                self.put(&callee.0.to_le_bytes());
            }
            Record::Attempt {
                caller,
                callee,
                retry,
            } => {
                self.put(&[8, u8::from(*retry)]);
                self.put(&caller.0.to_le_bytes());
                self.put(&callee.0.to_le_bytes());
            }
            Record::Mesh { callee, event } => {
                self.put(&[9, *event as u8]);
                self.put(&callee.0.to_le_bytes());
            }
            Record::GroupGauge {
                group,
                gauge,
                delta,
            } => {
                self.put(&[10, *gauge as u8]);
                self.put(&group.0.to_le_bytes());
                self.put(&delta.to_le_bytes());
            }
            _ => unreachable!("fold sends only traffic records here"),
        }
    }

    /// Events, brokers, sagas, rollouts and what models report at the end.
    fn fold_state(&mut self, record: &Record) {
        match record {
            Record::Event {
                kind,
                subject,
                detail,
            } => {
                self.put(&[6]);
                for text in [*kind, subject.as_str(), detail.as_str()] {
                    self.update(&(text.len() as u64).to_le_bytes());
                    self.update(text.as_bytes());
                }
            }
            Record::Broker {
                subscription,
                event,
            } => {
                self.put(&[11, *event as u8]);
                self.put(&subscription.to_le_bytes());
            }
            Record::BrokerOldest {
                subscription,
                published_at_ns,
            } => {
                self.put(&[12]);
                self.put(&subscription.to_le_bytes());
                self.put(&published_at_ns.unwrap_or(u64::MAX).to_le_bytes());
            }
            Record::Saga { event } => self.put(&[14, *event as u8]),
            Record::RouteWeight { key, basis_points } => {
                self.put(&[17]);
                self.put(&key.group.0.to_le_bytes());
                self.put(&key.version.to_le_bytes());
                self.put(&basis_points.to_le_bytes());
            }
            Record::Replicas { key, count } => {
                self.put(&[21]);
                self.put(&key.group.0.to_le_bytes());
                self.put(&key.version.to_le_bytes());
                self.put(&count.to_le_bytes());
            }
            Record::Rollout {
                rollout,
                outcome,
                failed_checks,
            } => {
                self.put(&[18, *outcome as u8]);
                self.put(&rollout.to_le_bytes());
                self.put(&failed_checks.to_le_bytes());
            }
            Record::Tally { group, name, value } => {
                self.put(&[15]);
                self.put(&group.0.to_le_bytes());
                self.put(&value.to_le_bytes());
                self.update(name.as_bytes());
            }
            Record::OrderFact {
                group,
                order,
                fact,
                count,
            } => {
                self.put(&[16]);
                self.put(&group.0.to_le_bytes());
                self.put(&order.0.0.to_le_bytes());
                self.put(&order.1.to_le_bytes());
                self.put(&count.to_le_bytes());
                self.update(fact.as_bytes());
            }
            Record::BrokerAtEnd {
                subscription,
                queued,
                in_flight,
            } => {
                self.put(&[13]);
                self.put(&subscription.to_le_bytes());
                self.put(&queued.to_le_bytes());
                self.put(&in_flight.to_le_bytes());
            }
            Record::CpuWork { key, core_ns } => {
                self.put(&[19]);
                self.put(&key.group.0.to_le_bytes());
                self.put(&key.version.to_le_bytes());
                self.put(&core_ns.to_le_bytes());
            }
            Record::Span(_) | Record::CallEnded(_) => {
                unreachable!("spans and call ends stay out of the digest")
            }
            _ => unreachable!("fold sends only state records here"),
        }
    }

    fn flush(&mut self) {
        self.hasher.update(&self.batch[..self.len]);
        self.len = 0;
        self.record_start = 0;
    }

    /// Makes room for one record's fixed fields.
    fn begin_record(&mut self) {
        if self.len + DIGEST_RECORD_BYTES_MAX > DIGEST_BATCH_BYTES {
            self.flush();
        }
        self.record_start = self.len;
    }

    /// A fixed field of the record begun last.
    fn put(&mut self, part: &[u8]) {
        let end = self.len + part.len();
        assert!(
            end - self.record_start <= DIGEST_RECORD_BYTES_MAX,
            "a record's fixed fields fit in {DIGEST_RECORD_BYTES_MAX} bytes"
        );
        self.batch[self.len..end].copy_from_slice(part);
        self.len = end;
    }

    /// Bytes of any length: a name, a text.
    fn update(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > DIGEST_BATCH_BYTES {
            self.flush();
        }
        if bytes.len() > DIGEST_BATCH_BYTES {
            self.hasher.update(bytes);
        } else {
            self.batch[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }

    pub(super) fn digest128(&self) -> u128 {
        let mut hasher = self.hasher.clone();
        hasher.update(&self.batch[..self.len]);
        hasher.digest128()
    }
}
