//! The archive as a whole: tiers and the routing of events into them, the partition layout of
//! object keys, Parquet encoding of event batches and their reading back, and the writer that
//! puts objects into an [`ObjectStore`](auditlake_storage::ObjectStore) with their tier's
//! storage class and Object Lock.
//!
//! ```text
//! tier={tier}/event_date={YYYY-MM-DD}/{source}-{first_event_time}-{object_seq}.parquet
//! _digests/{source}/{YYYY-MM-DD}/{seq}.json
//! _holds/{name}.json
//! ```

mod error;
pub mod layout;
pub mod reader;
pub mod tier;
pub mod writer;

pub use error::{ArchiveError, Result};
pub use layout::{ObjectKey, parse_data_key, partition_prefix};
pub use reader::{decode_parquet, read_object};
pub use tier::{ObjectLockMode, TierConfig, TierMatch, TierRouter, validate_tiers};
pub use writer::{ArchiveWriter, EncodedObject, WriterOptions, encode_parquet, sha256_hex};
