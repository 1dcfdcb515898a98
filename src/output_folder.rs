//! An output folder written whole or not at all.
//!
//! A run (or a sweep) writes into a staging folder beside its target, `.NAME.partial`, and only
//! when everything is written does it take the target's place. So the target always holds one
//! whole output: the new one, or, if the run was interrupted (Ctrl-C, a kill, a full disk), the
//! previous one untouched. The next run into the same target finds what an interrupted one left
//! and says so.
//!
//! Directories cannot be swapped in one step without platform calls, so taking the place is two
//! renames: the old target to `.NAME.previous`, then the staging folder to the target. A kill
//! between the two leaves `.NAME.previous` and no target; the next run puts it back first.
//!
//! meshsim replaces the target whole, so it refuses a target that exists and is not a meshsim
//! output (a home folder given to `--out` by mistake is never touched).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Files that mark a folder as a meshsim output: a run's, a sweep's, or an interrupted one's.
const OUTPUT_MARKS: [&str; 5] = [
    "summary.json",
    "sweep.json",
    "metrics.csv",
    "events.csv",
    "sweep.csv",
];

/// An output being written: files go into [`OutputFolder::path`] until [`OutputFolder::commit`].
#[derive(Debug)]
pub(crate) struct OutputFolder {
    target: PathBuf,
    staging: PathBuf,
    previous: PathBuf,
    committed: bool,
}

/// What an earlier, interrupted run into the same target left, said once before this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Leftover {
    /// A staging folder: that run stopped before it finished; the target is as it was.
    Partial,
    /// The target moved aside and not replaced: that run stopped between its two renames.
    Restored,
}

impl OutputFolder {
    /// Prepares to write the output that will become `target`. Returns what an interrupted
    /// earlier run left, if anything, after tidying it up.
    pub(crate) fn begin(target: &Path) -> anyhow::Result<(OutputFolder, Option<Leftover>)> {
        let Some(name) = target
            .file_name()
            .filter(|name| *name != ".." && *name != ".")
        else {
            bail!(
                "`{}` names no folder of its own: meshsim replaces its output folder whole, so \
                 give a new or meshsim-written folder, such as `out/run-1`",
                target.display()
            );
        };
        let name = name.to_string_lossy();
        let parent = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        let staging = parent.join(format!(".{name}.partial"));
        let previous = parent.join(format!(".{name}.previous"));
        let mut leftover = None;
        if previous.is_dir() {
            if target.exists() {
                remove(&previous)?;
            } else {
                fs::rename(&previous, target).with_context(|| {
                    format!(
                        "cannot put {} back as {}",
                        previous.display(),
                        target.display()
                    )
                })?;
                leftover = Some(Leftover::Restored);
            }
        }
        if staging.exists() {
            remove(&staging)?;
            leftover = leftover.or(Some(Leftover::Partial));
        }
        if target.exists() && !is_output(target) {
            bail!(
                "{} exists and is not a meshsim output (it has none of {}); meshsim replaces its \
                 output folder whole, so it leaves this one alone: give `--out` another folder",
                target.display(),
                OUTPUT_MARKS.join(", ")
            );
        }
        fs::create_dir(&staging)
            .with_context(|| format!("cannot create the folder {}", staging.display()))?;
        let folder = OutputFolder {
            target: target.to_path_buf(),
            staging,
            previous,
            committed: false,
        };
        Ok((folder, leftover))
    }

    /// Where to write the files now.
    pub(crate) fn path(&self) -> &Path {
        &self.staging
    }

    /// Puts the written output in the target's place, and removes the one it replaces.
    pub(crate) fn commit(mut self) -> anyhow::Result<()> {
        if self.target.exists() {
            fs::rename(&self.target, &self.previous).with_context(|| {
                format!(
                    "cannot move the previous output {} aside",
                    self.target.display()
                )
            })?;
        }
        fs::rename(&self.staging, &self.target).with_context(|| {
            format!("cannot move the new output into {}", self.target.display())
        })?;
        self.committed = true;
        if self.previous.exists() {
            remove(&self.previous)?;
        }
        Ok(())
    }
}

impl Drop for OutputFolder {
    /// An output not committed (an error, Ctrl-C) is removed: the target keeps the previous one.
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// What to tell the user about an interrupted earlier run into `target`.
pub(crate) fn leftover_note(target: &Path, leftover: &Leftover) -> String {
    match leftover {
        Leftover::Partial => format!(
            "note: an earlier run into {} was interrupted before it finished; its partial output \
             was removed, and {} held the run before it, whole, until now",
            target.display(),
            target.display()
        ),
        Leftover::Restored => format!(
            "note: an earlier run into {} was interrupted as it replaced the output; the previous \
             output was put back whole before this run",
            target.display()
        ),
    }
}

fn is_output(folder: &Path) -> bool {
    let Ok(mut entries) = fs::read_dir(folder) else {
        return false;
    };
    let empty = entries.next().is_none();
    empty || OUTPUT_MARKS.iter().any(|mark| folder.join(mark).is_file())
}

fn remove(folder: &Path) -> anyhow::Result<()> {
    fs::remove_dir_all(folder).with_context(|| format!("cannot remove {}", folder.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_replaces_the_previous_one_only_when_committed() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        let (first, leftover) = OutputFolder::begin(&target).unwrap();
        assert_eq!(leftover, None);
        fs::write(first.path().join("summary.json"), "first").unwrap();
        first.commit().unwrap();
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "first"
        );

        // Dropped without a commit, as on an error: the previous output stays.
        let (second, _) = OutputFolder::begin(&target).unwrap();
        fs::write(second.path().join("summary.json"), "second").unwrap();
        drop(second);
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "first"
        );
        assert!(!root.path().join(".run.partial").exists());
    }

    #[test]
    fn what_a_killed_run_left_is_tidied_and_reported() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        let (first, _) = OutputFolder::begin(&target).unwrap();
        fs::write(first.path().join("summary.json"), "first").unwrap();
        first.commit().unwrap();
        // A kill during a run leaves its staging folder.
        fs::create_dir(root.path().join(".run.partial")).unwrap();
        let (_, leftover) = OutputFolder::begin(&target).unwrap();
        assert_eq!(leftover, Some(Leftover::Partial));
        // A kill between the two renames leaves the previous output aside and no target.
        fs::rename(&target, root.path().join(".run.previous")).unwrap();
        let (_, leftover) = OutputFolder::begin(&target).unwrap();
        assert_eq!(leftover, Some(Leftover::Restored));
        assert_eq!(
            fs::read_to_string(target.join("summary.json")).unwrap(),
            "first"
        );
    }

    #[test]
    fn a_folder_that_is_not_an_output_is_never_replaced() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("thesis.tex"), "years of work").unwrap();
        let error = OutputFolder::begin(root.path()).unwrap_err().to_string();
        assert!(error.contains("is not a meshsim output"), "{error}");
        assert!(root.path().join("thesis.tex").exists());
        assert!(OutputFolder::begin(Path::new(".")).is_err());
    }
}
