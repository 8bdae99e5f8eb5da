//! A local directory as an object store: the embedded default.
//!
//! An object `a/b/c.parquet` is the file `{root}/a/b/c.parquet`. Writes are durable: the bytes go
//! to a temporary file in the target directory (named `.{name}.{pid}.{n}.tmp`), which is synced,
//! renamed into place, and the directory is synced. Names starting with `.` are reserved for
//! those temporary files: [`LocalStore`] rejects keys with such a segment and `list` skips them.
//!
//! A directory cannot enforce write-once retention, so a put that asks for Object Lock fails
//! with [`StorageError::Unsupported`]; legal holds are unsupported for the same reason.
//!
//! Unlike S3, a directory cannot hold both `a/b` and `a/b/c`: the second put fails.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::{ObjectMeta, ObjectStore, PutOptions, Result, StorageError, validate_key};

/// An object store in a local directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: Arc<PathBuf>,
}

impl LocalStore {
    /// Opens the store at `root`, creating the directory (and its parents) when missing.
    pub fn new(root: impl Into<PathBuf>) -> Result<LocalStore> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| StorageError::io(root.display(), e))?;
        Ok(LocalStore {
            root: Arc::new(root),
        })
    }

    /// The directory the store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Validates `key` and returns its path.
    fn path_of(&self, key: &str) -> Result<PathBuf> {
        validate_local_key(key)?;
        Ok(self.root.join(key))
    }

    /// Runs blocking file I/O off the async runtime's worker threads.
    async fn blocking<T, F>(&self, op: &'static str, key: &str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Path) -> Result<T> + Send + 'static,
    {
        let root = self.root.clone();
        match tokio::task::spawn_blocking(move || f(&root)).await {
            Ok(r) => r,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(StorageError::Backend {
                op,
                key: key.to_string(),
                message: format!("blocking task did not finish: {e}"),
                retryable: true,
            }),
        }
    }
}

/// [`validate_key`], plus: no segment may start with `.` (reserved for temporary files).
fn validate_local_key(key: &str) -> Result<()> {
    validate_key(key)?;
    if key.split('/').any(|seg| seg.starts_with('.')) {
        return Err(StorageError::InvalidKey {
            key: key.to_string(),
        });
    }
    Ok(())
}

/// Maps an I/O error of reading `key` to the store's errors: a missing file, or a path through
/// a file or onto a directory, is [`StorageError::NotFound`].
fn read_error(key: &str, path: &Path, e: io::Error) -> StorageError {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::IsADirectory => {
            StorageError::NotFound {
                key: key.to_string(),
            }
        }
        io::ErrorKind::PermissionDenied => StorageError::AccessDenied {
            key: key.to_string(),
            message: e.to_string(),
        },
        _ => StorageError::io(path.display(), e),
    }
}

fn write_error(key: &str, path: &Path, e: io::Error) -> StorageError {
    match e.kind() {
        io::ErrorKind::PermissionDenied => StorageError::AccessDenied {
            key: key.to_string(),
            message: e.to_string(),
        },
        _ => StorageError::io(path.display(), e),
    }
}

/// Opens a regular file for reading; a directory is not an object.
fn open_object(key: &str, path: &Path) -> Result<(File, u64)> {
    let file = File::open(path).map_err(|e| read_error(key, path, e))?;
    let meta = file.metadata().map_err(|e| read_error(key, path, e))?;
    if !meta.is_file() {
        return Err(StorageError::NotFound {
            key: key.to_string(),
        });
    }
    Ok((file, meta.len()))
}

/// The durable write ([`auditlake_durable::write_atomic`]), creating the object's directories.
fn put_blocking(key: &str, path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(path);
    // A concurrent delete may remove an empty parent directory between its creation and the
    // temp file's; that shows as NotFound, and creating the directories again settles it.
    let mut attempts = 0;
    loop {
        attempts += 1;
        auditlake_durable::create_dirs(dir).map_err(|e| write_error(key, dir, e))?;
        match auditlake_durable::write_atomic_in_existing_dir(path, data) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound && attempts < 3 => continue,
            Err(e) => return Err(write_error(key, path, e)),
        }
    }
}

fn meta_of(key: String, meta: &fs::Metadata) -> ObjectMeta {
    ObjectMeta {
        key,
        size: meta.len(),
        last_modified: meta.modified().ok().map(DateTime::<Utc>::from),
    }
}

/// Collects every object under `dir` (whose key prefix is `dir_key`, empty or ending in `/`)
/// whose name starts with `name_prefix`; deeper levels take every name.
fn walk(dir: &Path, dir_key: &str, name_prefix: &str, out: &mut Vec<ObjectMeta>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        // Names that are not UTF-8 cannot be keys; names starting with '.' are temporary.
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || !name.starts_with(name_prefix) {
            continue;
        }
        let path = entry.path();
        let file_type = match entry.file_type() {
            Ok(t) => t,
            // Removed while listing.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let key = format!("{dir_key}{name}");
        if file_type.is_dir() {
            walk(&path, &format!("{key}/"), "", out)?;
        } else {
            // Regular files, and symbolic links to them (never followed into directories).
            match fs::metadata(&path) {
                Ok(meta) if meta.is_file() => out.push(meta_of(key, &meta)),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Splits a list prefix into the directory part (empty or ending in `/`) and the name prefix
/// after it. `None` when no valid key can start with the prefix.
fn split_prefix(prefix: &str) -> Option<(&str, &str)> {
    let (dir, name) = match prefix.rfind('/') {
        Some(i) => (&prefix[..=i], &prefix[i + 1..]),
        None => ("", prefix),
    };
    let dir_ok = dir.is_empty()
        || dir[..dir.len() - 1]
            .split('/')
            .all(|seg| !seg.is_empty() && !seg.starts_with('.') && !seg.contains(['\\', '\0']));
    let name_ok = !name.starts_with('.') && !name.contains(['\\', '\0']);
    (dir_ok && name_ok && !prefix.starts_with('/')).then_some((dir, name))
}

#[async_trait]
impl ObjectStore for LocalStore {
    async fn put(&self, key: &str, data: Bytes, opts: &PutOptions) -> Result<()> {
        if opts.object_lock.is_some() {
            return Err(StorageError::Unsupported {
                op: "object lock",
                backend: self.describe(),
            });
        }
        let path = self.path_of(key)?;
        let owned = key.to_string();
        self.blocking("put", key, move |_root| put_blocking(&owned, &path, &data))
            .await
    }

    async fn get(&self, key: &str) -> Result<Bytes> {
        let path = self.path_of(key)?;
        let owned = key.to_string();
        self.blocking("get", key, move |_| {
            let (mut file, len) = open_object(&owned, &path)?;
            let mut buf = Vec::with_capacity(len as usize);
            file.read_to_end(&mut buf)
                .map_err(|e| read_error(&owned, &path, e))?;
            Ok(Bytes::from(buf))
        })
        .await
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let path = self.path_of(key)?;
        let owned = key.to_string();
        self.blocking("get_range", key, move |_| {
            let (mut file, len) = open_object(&owned, &path)?;
            let start = range.start.min(len);
            let end = range.end.clamp(start, len);
            let mut buf = vec![0; (end - start) as usize];
            if !buf.is_empty() {
                file.seek(SeekFrom::Start(start))
                    .and_then(|_| file.read_exact(&mut buf))
                    .map_err(|e| read_error(&owned, &path, e))?;
            }
            Ok(Bytes::from(buf))
        })
        .await
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let path = self.path_of(key)?;
        let owned = key.to_string();
        self.blocking("head", key, move |_| {
            let meta = fs::metadata(&path).map_err(|e| read_error(&owned, &path, e))?;
            if !meta.is_file() {
                return Err(StorageError::NotFound { key: owned });
            }
            Ok(meta_of(owned, &meta))
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let Some((dir, name)) = split_prefix(prefix) else {
            return Ok(Vec::new());
        };
        let (dir, name) = (dir.to_string(), name.to_string());
        self.blocking("list", prefix, move |root| {
            let start = root.join(&dir);
            let mut out = Vec::new();
            walk(&start, &dir, &name, &mut out)
                .map_err(|e| StorageError::io(start.display(), e))?;
            out.sort_unstable_by(|a, b| a.key.cmp(&b.key));
            Ok(out)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        let owned = key.to_string();
        self.blocking("delete", key, move |root| {
            match fs::remove_file(&path) {
                Ok(()) => {}
                // Missing, or not a file: there is no object to delete.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound
                            | io::ErrorKind::NotADirectory
                            | io::ErrorKind::IsADirectory
                    ) =>
                {
                    return Ok(());
                }
                Err(e) => return Err(write_error(&owned, &path, e)),
            }
            // Best effort: remove parents left empty, up to (not including) the root.
            let mut dir = path.parent();
            while let Some(d) = dir {
                if d == root || !d.starts_with(root) || fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
            Ok(())
        })
        .await
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LockMode, ObjectLock, conformance};

    fn store() -> (tempfile::TempDir, LocalStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("archive")).unwrap();
        (dir, store)
    }

    fn files_under(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.file_name().to_string_lossy().into_owned());
                }
            }
        }
        out.sort();
        out
    }

    #[tokio::test]
    async fn local_store_passes_conformance() {
        let (_dir, store) = store();
        conformance::run_all(&store).await;
        // The suite cleans up after itself, empty directories included.
        assert!(files_under(store.root()).is_empty());
        assert_eq!(fs::read_dir(store.root()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn put_leaves_no_temp_files() {
        let (_dir, store) = store();
        let opts = PutOptions::default();
        for i in 0..5 {
            let data = Bytes::from(vec![i as u8; 1000 * i]);
            store
                .put("tier=security/event_date=2026-11-21/a.parquet", data, &opts)
                .await
                .unwrap();
        }
        store
            .put("tier=security/b", Bytes::from_static(b"b"), &opts)
            .await
            .unwrap();
        assert_eq!(files_under(store.root()), ["a.parquet", "b"]);
        let path = store
            .root()
            .join("tier=security/event_date=2026-11-21/a.parquet");
        assert_eq!(fs::metadata(path).unwrap().len(), 4000);
    }

    #[tokio::test]
    async fn list_skips_temp_files_left_by_a_crash() {
        let (_dir, store) = store();
        store
            .put("p/a", Bytes::from_static(b"a"), &PutOptions::default())
            .await
            .unwrap();
        fs::write(store.root().join("p/.a.123.0.tmp"), b"partial").unwrap();
        let keys: Vec<_> = store
            .list("p/")
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.key)
            .collect();
        assert_eq!(keys, ["p/a"]);
        assert!(matches!(
            store.get("p/.a.123.0.tmp").await,
            Err(StorageError::InvalidKey { .. })
        ));
    }

    #[tokio::test]
    async fn object_lock_is_unsupported() {
        let (_dir, store) = store();
        let opts = PutOptions {
            object_lock: Some(ObjectLock {
                mode: LockMode::Compliance,
                retain_until: Utc::now(),
            }),
            ..Default::default()
        };
        let err = store
            .put("a", Bytes::from_static(b"x"), &opts)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StorageError::Unsupported {
                    op: "object lock",
                    ..
                }
            ),
            "{err}"
        );
        assert!(!store.exists("a").await.unwrap(), "nothing is written");
        let err = store.set_legal_hold("a", true).await.unwrap_err();
        assert!(matches!(err, StorageError::Unsupported { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_directory_is_not_an_object() {
        let (_dir, store) = store();
        store
            .put("d/x", Bytes::from_static(b"x"), &PutOptions::default())
            .await
            .unwrap();
        assert!(matches!(
            store.get("d").await,
            Err(StorageError::NotFound { .. })
        ));
        assert!(matches!(
            store.head("d").await,
            Err(StorageError::NotFound { .. })
        ));
        store.delete("d").await.unwrap();
        assert!(store.exists("d/x").await.unwrap());
    }

    #[tokio::test]
    async fn delete_removes_empty_parents_but_not_the_root() {
        let (_dir, store) = store();
        let opts = PutOptions::default();
        store
            .put("a/b/c/x", Bytes::from_static(b"x"), &opts)
            .await
            .unwrap();
        store
            .put("a/y", Bytes::from_static(b"y"), &opts)
            .await
            .unwrap();
        store.delete("a/b/c/x").await.unwrap();
        assert!(!store.root().join("a/b").exists());
        assert!(store.root().join("a").is_dir());
        store.delete("a/y").await.unwrap();
        assert!(!store.root().join("a").exists());
        assert!(store.root().is_dir());
    }

    #[test]
    fn prefixes_no_key_can_have_list_nothing() {
        assert_eq!(split_prefix(""), Some(("", "")));
        assert_eq!(split_prefix("a/b/c"), Some(("a/b/", "c")));
        assert_eq!(split_prefix("a/"), Some(("a/", "")));
        assert_eq!(split_prefix("../a"), None);
        assert_eq!(split_prefix("a//b"), None);
        assert_eq!(split_prefix("/a"), None);
    }
}
