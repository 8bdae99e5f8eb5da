//! The archive as a whole: tiers and the routing of events into them, the partition layout of
//! object keys, Parquet encoding of event batches and their reading back, and the writer that
//! puts objects into an [`ObjectStore`](auditlake_storage::ObjectStore) with their tier's
//! storage class and Object Lock.
//!
//! ```text
//! tier={tier}/event_date={YYYY-MM-DD}/{source}-{first_event_time}-{object_seq}.parquet
//! _digests/{source}/{YYYY-MM-DD}/{seq}.json
//! _holds/{name}.json
//! _rewrites/{job}.json          markers of compaction and erasure jobs under way
//! ```

pub mod compaction;
pub mod digest;
pub mod erasure;
mod error;
pub mod hold;
pub mod layout;
pub mod lifecycle;
pub mod reader;
pub mod retention;
pub mod rewrite;
pub mod signing;
pub mod tier;
pub mod verify;
pub mod writer;
pub mod written;

pub use digest::{DigestConfig, DigestWriter, ObjectEntry, Receipt};
pub use error::{ArchiveError, Result};
pub use hold::Hold;
pub use layout::{ObjectKey, parse_data_key, partition_prefix};
pub use lifecycle::{LifecycleConfiguration, lifecycle_configuration};
pub use reader::{decode_parquet, read_object};
pub use retention::{
    RetentionConfig, RetentionPlan, RetentionRun, apply_retention, plan_retention,
    plan_retention_at,
};
pub use signing::{DigestSigner, PublicKey};
pub use tier::{ObjectLockMode, TierConfig, TierMatch, TierRouter, Transition, validate_tiers};
pub use verify::{Finding, VerifyOptions, VerifyReport, verify_archive};
pub use writer::{
    ArchiveWriter, EncodedObject, WriterOptions, encode_batch, encode_parquet, sha256_hex,
};
