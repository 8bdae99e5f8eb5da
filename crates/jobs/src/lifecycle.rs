//! The S3 bucket lifecycle configuration that carries out the tiers' storage class transitions
//! and expirations, for teams that prefer bucket lifecycle rules to the retention job.
//!
//! The JSON is what `aws s3api put-bucket-lifecycle-configuration --lifecycle-configuration
//! file://...` accepts: one rule per tier, filtered on `{prefix}/tier={name}/`, with the tier's
//! transitions, expiration after `retention_days + 1` days (never before the object's Object
//! Lock ends, which is its write date + `retention_days` + 1 day, since S3 stores an object
//! after auditlake read its events), removal of noncurrent versions, and cleanup of incomplete
//! multipart uploads; plus one rule for the incomplete uploads of the whole archive.
//!
//! Bucket lifecycle counts days from when S3 stored an object, as the retention job and Object
//! Lock count from when auditlake wrote it (never from the event date, an application's claim),
//! but it knows nothing of holds or receipts: what it expires is deleted without a receipt and
//! despite an auditlake hold (only an object legal hold or Object Lock stops it).

use serde::Serialize;

use auditlake_archive::layout::tier_prefix;
use auditlake_archive::tier::TierConfig;

/// Days after which a version that is no longer current is deleted.
pub const NONCURRENT_VERSION_DAYS: u32 = 1;
/// Days after which an incomplete multipart upload is aborted.
pub const ABORT_INCOMPLETE_UPLOAD_DAYS: u32 = 7;

/// A bucket lifecycle configuration, serialized as S3's API names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    pub rules: Vec<LifecycleRule>,
}

/// One rule of a lifecycle configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    #[serde(rename = "ID")]
    pub id: String,
    pub status: &'static str,
    pub filter: PrefixFilter,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<RuleTransition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Days>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noncurrent_version_expiration: Option<NoncurrentDays>,
    pub abort_incomplete_multipart_upload: DaysAfterInitiation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixFilter {
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleTransition {
    pub days: u32,
    pub storage_class: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Days {
    pub days: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentDays {
    pub noncurrent_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DaysAfterInitiation {
    pub days_after_initiation: u32,
}

/// The lifecycle configuration of `tiers` for an archive stored under `prefix` in its bucket
/// (`""` for the bucket's root; leading and trailing `/` are ignored).
pub fn lifecycle_configuration(tiers: &[TierConfig], prefix: &str) -> LifecycleConfiguration {
    let prefix = prefix.trim_matches('/');
    let under = |p: &str| {
        if prefix.is_empty() {
            p.to_string()
        } else {
            format!("{prefix}/{p}")
        }
    };
    let abort = DaysAfterInitiation {
        days_after_initiation: ABORT_INCOMPLETE_UPLOAD_DAYS,
    };
    let mut rules: Vec<LifecycleRule> = tiers
        .iter()
        .map(|t| LifecycleRule {
            id: format!("auditlake-tier-{}", t.name),
            status: "Enabled",
            filter: PrefixFilter {
                prefix: under(&tier_prefix(&t.name)),
            },
            transitions: t
                .transitions
                .iter()
                .map(|tr| RuleTransition {
                    days: tr.days,
                    storage_class: tr.storage_class.clone(),
                })
                .collect(),
            expiration: Some(Days {
                days: u64::from(t.retention_days) + 1,
            }),
            noncurrent_version_expiration: Some(NoncurrentDays {
                noncurrent_days: NONCURRENT_VERSION_DAYS,
            }),
            abort_incomplete_multipart_upload: abort.clone(),
        })
        .collect();
    rules.push(LifecycleRule {
        id: "auditlake-incomplete-uploads".to_string(),
        status: "Enabled",
        filter: PrefixFilter {
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        },
        transitions: Vec::new(),
        expiration: None,
        noncurrent_version_expiration: None,
        abort_incomplete_multipart_upload: abort,
    });
    LifecycleConfiguration { rules }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers() -> Vec<TierConfig> {
        #[derive(serde::Deserialize)]
        struct File {
            tiers: Vec<TierConfig>,
        }
        let text = r#"
            [[tiers]]
            name = "security"
            retention_days = 2555
            object_lock = "COMPLIANCE"
            transitions = [{ days = 30, storage_class = "STANDARD_IA" }, { days = 365, storage_class = "GLACIER_IR" }]
            match = { categories = ["authentication"] }

            [[tiers]]
            name = "standard"
            retention_days = 365
        "#;
        let tiers = toml::from_str::<File>(text).unwrap().tiers;
        auditlake_archive::validate_tiers(&tiers).unwrap();
        tiers
    }

    #[test]
    fn one_rule_per_tier_under_the_prefix() {
        let json = serde_json::to_value(lifecycle_configuration(&tiers(), "/prod/audit/")).unwrap();
        let want = serde_json::json!({
            "Rules": [
                {
                    "ID": "auditlake-tier-security",
                    "Status": "Enabled",
                    "Filter": { "Prefix": "prod/audit/tier=security/" },
                    "Transitions": [
                        { "Days": 30, "StorageClass": "STANDARD_IA" },
                        { "Days": 365, "StorageClass": "GLACIER_IR" }
                    ],
                    "Expiration": { "Days": 2556 },
                    "NoncurrentVersionExpiration": { "NoncurrentDays": 1 },
                    "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 }
                },
                {
                    "ID": "auditlake-tier-standard",
                    "Status": "Enabled",
                    "Filter": { "Prefix": "prod/audit/tier=standard/" },
                    "Expiration": { "Days": 366 },
                    "NoncurrentVersionExpiration": { "NoncurrentDays": 1 },
                    "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 }
                },
                {
                    "ID": "auditlake-incomplete-uploads",
                    "Status": "Enabled",
                    "Filter": { "Prefix": "prod/audit/" },
                    "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 }
                }
            ]
        });
        assert_eq!(json, want);
    }

    #[test]
    fn the_bucket_root_has_no_prefix() {
        let c = lifecycle_configuration(&tiers(), "");
        assert_eq!(c.rules[1].filter.prefix, "tier=standard/");
        assert_eq!(c.rules[2].filter.prefix, "");
    }
}
