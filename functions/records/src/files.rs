//! The files bucket (imports and exports under `transfers/`, kept 7 days):
//! presigned URLs so the browser uploads and downloads directly, and the
//! worker's reads and writes. `FILES_BUCKET` names it; locally the emulator
//! serves it (path-style addresses when an endpoint is configured).

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use crm_kernel::{AppError, Env, Timestamp};

/// How long a presigned URL works.
pub const URL_TTL_SECS: u64 = 900;

#[derive(Clone)]
pub struct Files {
    client: aws_sdk_s3::Client,
    bucket: Option<String>,
}

fn unavailable(what: &str) -> impl Fn(String) -> AppError + '_ {
    move |e| {
        tracing::error!(error = %e, what, "files bucket");
        AppError::Unavailable(format!("the file store could not {what}; retry"))
    }
}

impl Files {
    pub fn new(sdk: &aws_config::SdkConfig, env: &Env) -> Self {
        let conf = aws_sdk_s3::config::Builder::from(sdk).force_path_style(sdk.endpoint_url().is_some()).build();
        Self { client: aws_sdk_s3::Client::from_conf(conf), bucket: env.get("FILES_BUCKET").map(str::to_string) }
    }

    fn bucket(&self) -> Result<&str, AppError> {
        self.bucket.as_deref().ok_or_else(|| AppError::Unavailable("no files bucket is configured".into()))
    }

    /// A URL to `PUT` the object with `content_type`, and when it expires.
    pub async fn upload_url(&self, key: &str, content_type: &str) -> Result<(String, Timestamp), AppError> {
        let cfg = PresigningConfig::expires_in(Duration::from_secs(URL_TTL_SECS)).map_err(|e| AppError::Internal(e.to_string()))?;
        let req = self
            .client
            .put_object()
            .bucket(self.bucket()?)
            .key(key)
            .content_type(content_type)
            .presigned(cfg)
            .await
            .map_err(|e| unavailable("sign an upload")(e.to_string()))?;
        Ok((req.uri().to_string(), Timestamp::now().plus_seconds(URL_TTL_SECS as i64)))
    }

    /// A URL to `GET` the object, saved as `filename`.
    pub async fn download_url(&self, key: &str, filename: &str) -> Result<(String, Timestamp), AppError> {
        let cfg = PresigningConfig::expires_in(Duration::from_secs(URL_TTL_SECS)).map_err(|e| AppError::Internal(e.to_string()))?;
        let req = self
            .client
            .get_object()
            .bucket(self.bucket()?)
            .key(key)
            .response_content_disposition(format!("attachment; filename=\"{filename}\""))
            .presigned(cfg)
            .await
            .map_err(|e| unavailable("sign a download")(e.to_string()))?;
        Ok((req.uri().to_string(), Timestamp::now().plus_seconds(URL_TTL_SECS as i64)))
    }

    /// The object's size, or `None` when nothing was uploaded.
    pub async fn size(&self, key: &str) -> Result<Option<i64>, AppError> {
        match self.client.head_object().bucket(self.bucket()?).key(key).send().await {
            Ok(out) => Ok(Some(out.content_length.unwrap_or(0))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(unavailable("read the upload")(format!("{e:?}"))),
        }
    }

    pub async fn read(&self, key: &str) -> Result<Vec<u8>, AppError> {
        let out = self
            .client
            .get_object()
            .bucket(self.bucket()?)
            .key(key)
            .send()
            .await
            .map_err(|e| unavailable("read a file")(format!("{e:?}")))?;
        let bytes = out.body.collect().await.map_err(|e| unavailable("read a file")(e.to_string()))?;
        Ok(bytes.into_bytes().to_vec())
    }

    pub async fn write(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), AppError> {
        self.client
            .put_object()
            .bucket(self.bucket()?)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| unavailable("write a file")(format!("{e:?}")))?;
        Ok(())
    }
}
