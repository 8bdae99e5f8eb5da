use std::collections::BTreeSet;
use std::path::PathBuf;

use globset::{Glob, GlobSet, GlobSetBuilder};

/// A bad include or exclude pattern.
#[derive(Debug, thiserror::Error)]
#[error("invalid glob {pattern:?}: {message}")]
pub struct GlobError {
    pub pattern: String,
    pub message: String,
}

/// The files a source reads: include globs minus exclude globs.
///
/// Include patterns are expanded against the file system (`*`, `?`, `[...]`, `**`); exclude
/// patterns are matched against the full path and, when they hold no `/`, against the file name.
#[derive(Debug, Clone)]
pub struct FileGlobs {
    include: Vec<String>,
    exclude_path: GlobSet,
    exclude_name: GlobSet,
}

impl FileGlobs {
    /// Compiles the patterns; errors name the pattern.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, GlobError> {
        for p in include {
            glob::Pattern::new(p).map_err(|e| GlobError {
                pattern: p.clone(),
                message: e.to_string(),
            })?;
        }
        let mut by_path = GlobSetBuilder::new();
        let mut by_name = GlobSetBuilder::new();
        for p in exclude {
            let g = Glob::new(p).map_err(|e| GlobError {
                pattern: p.clone(),
                message: e.kind().to_string(),
            })?;
            if p.contains('/') {
                by_path.add(g);
            } else {
                by_name.add(g);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|e| GlobError {
                pattern: exclude.join(", "),
                message: e.to_string(),
            })
        };
        Ok(FileGlobs {
            include: include.to_vec(),
            exclude_path: build(by_path)?,
            exclude_name: build(by_name)?,
        })
    }

    /// Whether `path` is excluded.
    pub fn is_excluded(&self, path: &std::path::Path) -> bool {
        self.exclude_path.is_match(path)
            || path
                .file_name()
                .is_some_and(|n| self.exclude_name.is_match(n))
    }

    /// The directories the include patterns start from (the part before the first wildcard),
    /// to watch for changes.
    pub fn base_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = BTreeSet::new();
        for pattern in &self.include {
            let mut base = PathBuf::new();
            for comp in std::path::Path::new(pattern).components() {
                let s = comp.as_os_str().to_string_lossy();
                if s.contains(['*', '?', '[']) {
                    break;
                }
                base.push(comp);
            }
            // A pattern without wildcards names a file: watch its directory.
            if base.as_os_str() == std::ffi::OsStr::new(pattern) {
                base.pop();
            }
            if base.as_os_str().is_empty() {
                base.push(".");
            }
            dirs.insert(base);
        }
        dirs.into_iter().collect()
    }

    /// The regular files that match now, sorted by path. Unreadable directory entries are skipped
    /// (a file may vanish between listing and reading; the caller sees that when it opens it).
    pub fn expand(&self) -> Vec<PathBuf> {
        let mut out = BTreeSet::new();
        for pattern in &self.include {
            // Patterns were checked in `new`.
            let Ok(paths) = glob::glob(pattern) else {
                continue;
            };
            for path in paths.flatten() {
                if path.is_file() && !self.is_excluded(&path) {
                    out.insert(path);
                }
            }
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_and_excludes() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.log", "b.log", "c.log.gz", "d.txt"] {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/e.log"), "x\n").unwrap();
        let root = dir.path().display();
        let globs = FileGlobs::new(
            &[format!("{root}/*.log*"), format!("{root}/**/e.log")],
            &["*.gz".to_string()],
        )
        .unwrap();
        let names: Vec<String> = globs
            .expand()
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.log", "b.log", "sub/e.log"]);
    }

    #[test]
    fn bad_pattern_is_named() {
        let err = FileGlobs::new(&["/x/[".to_string()], &[]).unwrap_err();
        assert_eq!(err.pattern, "/x/[");
    }
}
