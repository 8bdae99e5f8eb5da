//! `[archive]`: where the archive lives, and the one place that turns it into a store.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{LocalStore, ObjectStore, Result, S3Config, S3Store, StorageError};

/// `[archive]`: where archive objects are written and read.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A local directory (`./archive`) or an S3 location (`s3://bucket/prefix`).
    pub url: String,
    /// S3 settings, for `s3://` urls. Credentials come from the standard AWS chain, never from here.
    pub s3: Option<S3Config>,
}

impl StoreConfig {
    /// A store at `url` with the default settings of its backend.
    pub fn from_url(url: impl Into<String>) -> StoreConfig {
        StoreConfig {
            url: url.into(),
            s3: None,
        }
    }

    /// Whether the url names an S3 location.
    pub fn is_s3(&self) -> bool {
        self.url.starts_with("s3://")
    }
}

/// Opens the store a [`StoreConfig`] names: a local directory, or an S3 location with every
/// setting of `[archive.s3]` (endpoint, region, addressing, encryption, timeouts).
pub async fn open(config: &StoreConfig) -> Result<Arc<dyn ObjectStore>> {
    if config.is_s3() {
        let (bucket, prefix) =
            crate::s3::parse_s3_url(&config.url).map_err(|e| StorageError::Config {
                key: e.key,
                message: e.message,
            })?;
        let s3 = config.s3.clone().unwrap_or_default();
        Ok(Arc::new(S3Store::new(&bucket, &prefix, &s3).await?))
    } else {
        Ok(Arc::new(LocalStore::new(&config.url)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_url_opens_a_local_store() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().to_str().unwrap();
        let store = open(&StoreConfig::from_url(url)).await.unwrap();
        store
            .put("a/b", bytes::Bytes::from_static(b"x"), &Default::default())
            .await
            .unwrap();
        assert!(dir.path().join("a/b").exists());
    }

    #[tokio::test]
    async fn a_bad_s3_url_names_the_key() {
        let err = open(&StoreConfig::from_url("s3://")).await.unwrap_err();
        assert!(err.to_string().starts_with("archive.url"), "{err}");
    }

    #[test]
    fn the_section_parses_with_its_s3_settings() {
        let c: StoreConfig = toml::from_str(
            "url = \"s3://b/p\"\n[s3]\nendpoint = \"http://127.0.0.1:9\"\nforce_path_style = true\n",
        )
        .unwrap();
        let s3 = c.s3.unwrap();
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        assert!(s3.force_path_style);
        assert!(toml::from_str::<StoreConfig>("url = \"x\"\nbogus = 1\n").is_err());
    }
}
