//! A workload's arrival file (`kind = "profile"` or `"replay"`): found beside the scenario
//! file, read once, and refused at its `file` key when it is missing, unsorted, has a bad row
//! or is too long.

use std::path::{Path, PathBuf};

use super::checker::Checker;
use crate::scenario::arrival_table::{self, ArrivalTable};
use crate::scenario::locate::DocPath;
use crate::scenario::schema::Arrival;

impl Checker<'_, '_> {
    /// The table of `arrival`'s file, for the kinds that have one and a file that reads.
    pub(super) fn arrival_file(
        &mut self,
        path: &DocPath,
        arrival: &Arrival,
    ) -> Option<ArrivalTable> {
        let (file, read) = match arrival {
            Arrival::Profile { file } => (file, true),
            Arrival::Replay { file } => (file, false),
            _ => return None,
        };
        let file_path = path.key("file");
        let on_disk = beside(self.file, file);
        let table = if read {
            arrival_table::read_profile(&on_disk).map(ArrivalTable::Profile)
        } else {
            arrival_table::read_replay(&on_disk).map(ArrivalTable::Replay)
        };
        match table {
            Ok(table) => {
                if let ArrivalTable::Replay(times_ns) = &table {
                    self.late_arrivals(&file_path, times_ns);
                }
                Some(table)
            }
            Err(error) => {
                self.error(&file_path, error.message).set_hint(error.hint);
                None
            }
        }
    }

    /// A replay's rows at or after the run's end are never sent: said, with their count.
    fn late_arrivals(&mut self, path: &DocPath, times_ns: &[u64]) {
        let end_ns = self.scenario.scenario.duration.as_nanos();
        let late = times_ns.len() - times_ns.partition_point(|&at_ns| at_ns < end_ns);
        if late > 0 && end_ns > 0 {
            self.warning(
                path,
                format!(
                    "{late} of the replay's {} arrivals come at or after the scenario ends at {}, and are not sent",
                    times_ns.len(),
                    self.scenario.scenario.duration
                ),
            )
            .set_hint("lengthen `duration` to replay them, or cut the file");
        }
    }
}

/// `file` as it lies beside the scenario file named `scenario_file` (as the user named it, so
/// relative to where meshsim runs); an absolute `file` stays as it is.
fn beside(scenario_file: &str, file: &str) -> PathBuf {
    let folder = Path::new(scenario_file).parent().unwrap_or(Path::new(""));
    folder.join(file)
}
