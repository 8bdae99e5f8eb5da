use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

/// A bad include or exclude pattern.
#[derive(Debug, thiserror::Error)]
#[error("invalid glob {pattern:?}: {message}")]
pub struct GlobError {
    pub pattern: String,
    pub message: String,
}

/// One include pattern: the literal directory it starts from, how deep below it matches can be,
/// and the matcher of the whole path.
#[derive(Debug, Clone)]
struct Include {
    /// The pattern's literal directory prefix (the components before the first wildcard).
    base: PathBuf,
    /// How many path components below `base` a match has; `None` when the pattern holds `**`.
    depth: Option<usize>,
    matcher: GlobMatcher,
}

impl Include {
    fn new(pattern: &str) -> Result<Include, GlobError> {
        let matcher = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| GlobError {
                pattern: pattern.to_string(),
                message: e.kind().to_string(),
            })?
            .compile_matcher();
        let mut base = PathBuf::new();
        let mut rest = Vec::new();
        for comp in Path::new(pattern).components() {
            let s = comp.as_os_str().to_string_lossy();
            if rest.is_empty() && !s.contains(['*', '?', '[', '{']) {
                base.push(comp);
            } else {
                rest.push(s.into_owned());
            }
        }
        if rest.is_empty() {
            // A pattern without wildcards names a file: it lives in its parent directory.
            if let Some(name) = base.file_name() {
                rest.push(name.to_string_lossy().into_owned());
            }
            base.pop();
        }
        if base.as_os_str().is_empty() {
            base.push(".");
        }
        let depth = if rest.iter().any(|c| c.contains("**")) {
            None
        } else {
            Some(rest.len())
        };
        Ok(Include {
            base,
            depth,
            matcher,
        })
    }

    /// The path as the pattern spells it: a relative pattern without a leading `./` matches
    /// paths without one.
    fn candidate<'a>(&self, path: &'a Path) -> &'a Path {
        if self.base == Path::new(".") && !self.matcher.glob().glob().starts_with("./") {
            path.strip_prefix(".").unwrap_or(path)
        } else {
            path
        }
    }
}

/// What a walk of the globs' directories saw.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    /// The regular files that match an include pattern and no exclude pattern, sorted.
    pub matched: Vec<PathBuf>,
    /// Every directory the include patterns cover (walked to find the matches), sorted.
    pub dirs: Vec<PathBuf>,
}

/// The files a source reads: include globs minus exclude globs.
///
/// Include patterns (`*`, `?`, `[...]`, `{a,b}`, `**`) are matched with `globset` against the
/// paths found by walking each pattern's literal directory prefix (a `*` does not cross a `/`);
/// exclude patterns are matched against the full path and, when they hold no `/`, against the file
/// name.
#[derive(Debug, Clone)]
pub struct FileGlobs {
    include: Vec<Include>,
    exclude_path: GlobSet,
    exclude_name: GlobSet,
}

impl FileGlobs {
    /// Compiles the patterns; errors name the pattern.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, GlobError> {
        let include = include
            .iter()
            .map(|p| Include::new(p))
            .collect::<Result<Vec<_>, _>>()?;
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
            include,
            exclude_path: build(by_path)?,
            exclude_name: build(by_name)?,
        })
    }

    /// Whether `path` is excluded.
    pub fn is_excluded(&self, path: &Path) -> bool {
        self.exclude_path.is_match(path)
            || path
                .file_name()
                .is_some_and(|n| self.exclude_name.is_match(n))
    }

    /// The directories the include patterns start from (their literal directory prefix), to
    /// watch for changes.
    pub fn base_dirs(&self) -> Vec<PathBuf> {
        let dirs: BTreeSet<PathBuf> = self.include.iter().map(|i| i.base.clone()).collect();
        dirs.into_iter().collect()
    }

    /// The regular files that match now, sorted by path. Unreadable directory entries are skipped
    /// (a file may vanish between listing and reading; the caller sees that when it opens it).
    pub fn expand(&self) -> Vec<PathBuf> {
        self.walk().matched
    }

    /// Walks every include pattern's directories: the matching files and the directories walked.
    /// A directory that cannot be listed is skipped; symbolic links to directories are followed
    /// only where the pattern's depth is bounded (no `**`), so a link loop cannot trap the walk.
    pub fn walk(&self) -> Listing {
        let mut matched = BTreeSet::new();
        let mut dirs = BTreeSet::new();
        for include in &self.include {
            let mut stack = vec![(include.base.clone(), 0usize)];
            while let Some((dir, level)) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                dirs.insert(dir.clone());
                for entry in entries.flatten() {
                    let path = dir.join(entry.file_name());
                    let Ok(kind) = entry.file_type() else {
                        continue;
                    };
                    let (is_file, is_dir) = if kind.is_symlink() {
                        match std::fs::metadata(&path) {
                            Ok(m) => (m.is_file(), m.is_dir() && include.depth.is_some()),
                            Err(_) => continue,
                        }
                    } else {
                        (kind.is_file(), kind.is_dir())
                    };
                    let below = level + 1;
                    if is_dir && include.depth.is_none_or(|d| below < d) {
                        stack.push((path, below));
                    } else if is_file
                        && include.depth.is_none_or(|d| below == d)
                        && include.matcher.is_match(include.candidate(&path))
                        && !self.is_excluded(&path)
                    {
                        matched.insert(include.candidate(&path).to_path_buf());
                    }
                }
            }
        }
        Listing {
            matched: matched.into_iter().collect(),
            dirs: dirs.into_iter().collect(),
        }
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
    fn literal_prefix_is_the_base_and_double_star_recurses() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("live/a/b")).unwrap();
        for name in [
            "live/app.log",
            "live/app.log.1",
            "live/a/x.log",
            "live/a/b/y.log",
        ] {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let root = dir.path().display();
        let flat = FileGlobs::new(&[format!("{root}/live/*.log")], &[]).unwrap();
        assert_eq!(flat.base_dirs(), [dir.path().join("live")]);
        let listing = flat.walk();
        assert_eq!(listing.matched, [dir.path().join("live/app.log")]);
        assert_eq!(listing.dirs, [dir.path().join("live")]);
        let deep = FileGlobs::new(&[format!("{root}/live/**/*.log")], &[]).unwrap();
        let names: Vec<String> = deep
            .expand()
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["live/a/b/y.log", "live/a/x.log", "live/app.log"]);
        assert_eq!(deep.walk().dirs.len(), 3);
        let named = FileGlobs::new(&[format!("{root}/live/app.log")], &[]).unwrap();
        assert_eq!(named.base_dirs(), [dir.path().join("live")]);
        assert_eq!(named.expand(), [dir.path().join("live/app.log")]);
    }

    #[test]
    fn bad_pattern_is_named() {
        let err = FileGlobs::new(&["/x/[".to_string()], &[]).unwrap_err();
        assert_eq!(err.pattern, "/x/[");
    }
}
