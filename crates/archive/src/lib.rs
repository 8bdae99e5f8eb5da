//! The archive's format and its evidence: tiers and the routing of events into them, the
//! partition layout of object keys, Parquet encoding of event batches and their reading back,
//! the writer that puts objects into an [`ObjectStore`](auditlake_storage::ObjectStore) with
//! their tier's storage class and Object Lock, the signed digest chains, rewrite markers, and
//! `verify`. The jobs that change an archive after it was written are in `auditlake-jobs`.
//!
//! ```text
//! tier={tier}/event_date={YYYY-MM-DD}/{source}-{first_event_time}-{object_seq}.parquet
//! _digests/{source}/{YYYY-MM-DD}/{seq}.json
//! _holds/{name}.json
//! _rewrites/{job}.json          markers of compaction and erasure jobs under way
//! ```

pub mod digest;
mod error;
pub mod layout;
pub mod markers;
pub mod merge;
pub mod reader;
pub mod signing;
pub mod tier;
pub mod verify;
pub mod writer;
pub mod written;

pub use digest::{DigestConfig, DigestWriter, ObjectEntry, Receipt};
pub use error::{ArchiveError, Result};
pub use layout::{ObjectKey, parse_data_key, partition_prefix};
pub use reader::{decode_parquet, read_object};
pub use signing::{DigestSigner, PublicKey};
pub use tier::{ObjectLockMode, TierConfig, TierMatch, TierRouter, Transition, validate_tiers};
pub use verify::{Finding, VerifyOptions, VerifyReport, verify_archive};
pub use writer::{
    ArchiveWriter, EncodedObject, WriterOptions, encode_batch, encode_parquet, sha256_hex,
};
