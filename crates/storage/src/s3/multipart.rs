//! Multipart upload of one large object.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ServerSideEncryption, StorageClass,
};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use tracing::{debug, warn};

use super::request::backend_error;
use super::{MAX_PARTS, S3Store, lock_mode, sha256_base64, to_aws};
use crate::{PutOptions, Result, Sse};

impl S3Store {
    /// Uploads `data` in parts of `multipart_part_bytes`, `max_concurrent_parts` at a time;
    /// aborts the upload when any part, or the completion, fails.
    pub(super) async fn put_multipart(
        &self,
        key: &str,
        object_key: &str,
        data: Bytes,
        opts: &PutOptions,
    ) -> Result<()> {
        let part_bytes = self.cfg.multipart_part_bytes as usize;
        let parts = data.len().div_ceil(part_bytes);
        if parts as u64 > MAX_PARTS {
            return Err(backend_error(
                "put",
                key,
                &format!(
                    "object of {} bytes needs {parts} parts of multipart_part_bytes, more than s3's {MAX_PARTS}",
                    data.len()
                ),
                false,
            ));
        }
        let sse = opts.sse.clone().or_else(|| self.cfg.default_sse());
        let created = self
            .retry("put", key, || {
                let mut req = self
                    .client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(object_key)
                    .checksum_algorithm(ChecksumAlgorithm::Sha256)
                    .set_content_type(opts.content_type.clone())
                    .set_storage_class(opts.storage_class.as_deref().map(StorageClass::from));
                req = match &sse {
                    Some(Sse::Aes256) => req.server_side_encryption(ServerSideEncryption::Aes256),
                    Some(Sse::Kms { key_id }) => req
                        .server_side_encryption(ServerSideEncryption::AwsKms)
                        .set_ssekms_key_id(key_id.clone()),
                    None => req,
                };
                if let Some(lock) = &opts.object_lock {
                    req = req
                        .object_lock_mode(lock_mode(lock.mode))
                        .object_lock_retain_until_date(to_aws(lock.retain_until));
                }
                req.send()
            })
            .await?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| {
                backend_error(
                    "put",
                    key,
                    "CreateMultipartUpload returned no upload id",
                    false,
                )
            })?
            .to_string();
        debug!(bucket = %self.bucket, key, size = data.len(), parts, "multipart upload started");

        let uploaded: Result<Vec<CompletedPart>> = futures::stream::iter(0..parts)
            .map(|i| {
                let chunk = data.slice(i * part_bytes..((i + 1) * part_bytes).min(data.len()));
                self.upload_part(key, object_key, &upload_id, i as i32 + 1, chunk)
            })
            .buffered(self.cfg.max_concurrent_parts)
            .try_collect()
            .await;
        let completed = match uploaded {
            Ok(parts) => {
                let parts = CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build();
                self.retry("put", key, || {
                    self.client
                        .complete_multipart_upload()
                        .bucket(&self.bucket)
                        .key(object_key)
                        .upload_id(&upload_id)
                        .multipart_upload(parts.clone())
                        .send()
                })
                .await
            }
            Err(e) => Err(e),
        };
        let completed = match completed {
            Ok(out) => {
                if let Some(lock) = &opts.object_lock {
                    self.ensure_lock(key, out.version_id(), lock).await?;
                }
                Ok(())
            }
            Err(e) => Err(e),
        };
        if let Err(e) = completed {
            let aborted = self
                .retry("put", key, || {
                    self.client
                        .abort_multipart_upload()
                        .bucket(&self.bucket)
                        .key(object_key)
                        .upload_id(&upload_id)
                        .send()
                })
                .await;
            if let Err(abort) = aborted {
                warn!(bucket = %self.bucket, key, error = %abort, "cannot abort a failed multipart upload; a lifecycle rule must remove its parts");
            }
            return Err(e);
        }
        Ok(())
    }

    async fn upload_part(
        &self,
        key: &str,
        object_key: &str,
        upload_id: &str,
        part_number: i32,
        chunk: Bytes,
    ) -> Result<CompletedPart> {
        let checksum = sha256_base64(&chunk);
        let out = self
            .retry("put", key, || {
                self.client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(object_key)
                    .upload_id(upload_id)
                    .part_number(part_number)
                    .checksum_algorithm(ChecksumAlgorithm::Sha256)
                    .checksum_sha256(&checksum)
                    .body(ByteStream::from(chunk.clone()))
                    .send()
            })
            .await?;
        Ok(CompletedPart::builder()
            .part_number(part_number)
            .set_e_tag(out.e_tag().map(str::to_string))
            .checksum_sha256(checksum)
            .build())
    }
}
