//! The files bucket (imports and exports under `transfers/`, kept 7 days):
//! presigned forms and URLs so the browser uploads and downloads directly,
//! and the workers' reads and writes. `FILES_BUCKET` names it; locally the
//! emulator serves it (path-style addresses when an endpoint is configured).
//! The bucket is versioned: a job pins the version it was started with.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use crm_kernel::{AppError, Env, Timestamp};

use crate::policy::{self, UploadForm};

/// How long a presigned URL works.
pub const URL_TTL_SECS: u64 = 900;

#[derive(Clone)]
pub struct Files {
    client: aws_sdk_s3::Client,
    sdk: aws_config::SdkConfig,
    bucket: Option<String>,
}

/// An uploaded object: its size and the version a job pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub size: i64,
    pub version: Option<String>,
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
        Self { client: aws_sdk_s3::Client::from_conf(conf), sdk: sdk.clone(), bucket: env.get("FILES_BUCKET").map(str::to_string) }
    }

    fn bucket(&self) -> Result<&str, AppError> {
        self.bucket.as_deref().ok_or_else(|| AppError::Unavailable("no files bucket is configured".into()))
    }

    /// A presigned `POST` form for `key`: the storage refuses a file of
    /// another type or outside 1..=`max_bytes` ([`crate::policy`]).
    pub async fn upload_form(&self, key: &str, content_type: &str, max_bytes: i64) -> Result<UploadForm, AppError> {
        use aws_credential_types::provider::ProvideCredentials;
        let bucket = self.bucket()?;
        let provider = self.sdk.credentials_provider().ok_or_else(|| AppError::Internal("no AWS credentials to sign uploads".into()))?;
        let creds = provider.provide_credentials().await.map_err(|e| unavailable("sign an upload")(e.to_string()))?;
        let region = self.sdk.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".into());
        let url = match self.sdk.endpoint_url() {
            Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com/"),
        };
        let now = chrono::Utc::now();
        let rules = policy::Rules { bucket, key, content_type, max_bytes, expires: now + chrono::Duration::seconds(URL_TTL_SECS as i64) };
        let signer = policy::Signer {
            access_key: creds.access_key_id(),
            secret_key: creds.secret_access_key(),
            session_token: creds.session_token(),
            region: &region,
        };
        Ok(policy::form(url, &rules, &signer, now))
    }

    /// What was uploaded at `key`: its size and version (`None`: nothing yet).
    pub async fn uploaded(&self, key: &str) -> Result<Option<Uploaded>, AppError> {
        match self.client.head_object().bucket(self.bucket()?).key(key).send().await {
            Ok(out) => Ok(Some(Uploaded { size: out.content_length.unwrap_or(0), version: out.version_id })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(unavailable("read the upload")(format!("{e:?}"))),
        }
    }

    /// A streamed read of `key` at `version` (the one a job pinned; `None`:
    /// the latest), refused past `max_bytes` before a byte is read.
    pub async fn open(
        &self,
        key: &str,
        version: Option<&str>,
        max_bytes: i64,
    ) -> Result<impl tokio::io::AsyncRead + Send + Unpin + 'static, AppError> {
        let out = self
            .client
            .get_object()
            .bucket(self.bucket()?)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
            .map_err(|e| unavailable("read a file")(format!("{e:?}")))?;
        if out.content_length.unwrap_or(0) > max_bytes {
            return Err(AppError::PayloadTooLarge { limit: max_bytes as usize });
        }
        Ok(out.body.into_async_read())
    }

    /// A URL to `GET` the object, saved as `filename`.
    pub async fn download_url(&self, key: &str, filename: &str) -> Result<(String, Timestamp), AppError> {
        let url = self.presigned_get(key, None, Some(format!("attachment; filename=\"{filename}\""))).await?;
        Ok((url, Timestamp::now().plus_seconds(URL_TTL_SECS as i64)))
    }

    /// A URL to `GET` the object at `version` (the one that was checked;
    /// `None`: the latest) where it is shown (an image's `href`), not saved.
    pub async fn view_url(&self, key: &str, version: Option<&str>) -> Result<String, AppError> {
        self.presigned_get(key, version, None).await
    }

    /// A presigned `GET` of `key` at `version`, valid [`URL_TTL_SECS`], with a `Content-Disposition` when given.
    async fn presigned_get(&self, key: &str, version: Option<&str>, disposition: Option<String>) -> Result<String, AppError> {
        let cfg = PresigningConfig::expires_in(Duration::from_secs(URL_TTL_SECS)).map_err(|e| AppError::Internal(e.to_string()))?;
        let req = self
            .client
            .get_object()
            .bucket(self.bucket()?)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .set_response_content_disposition(disposition)
            .presigned(cfg)
            .await
            .map_err(|e| unavailable("sign a download")(e.to_string()))?;
        Ok(req.uri().to_string())
    }

    /// The whole object at `key` and `version`, refused past `max_bytes` before a byte is read.
    pub async fn read(&self, key: &str, version: Option<&str>, max_bytes: i64) -> Result<Vec<u8>, AppError> {
        use tokio::io::AsyncReadExt;
        let mut body = self.open(key, version, max_bytes).await?;
        let mut bytes = Vec::new();
        body.read_to_end(&mut bytes).await.map_err(|e| unavailable("read a file")(e.to_string()))?;
        Ok(bytes)
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

    /// Removes the object (a versioned bucket keeps it as a non-current
    /// version, which its lifecycle expires).
    pub async fn delete(&self, key: &str) -> Result<(), AppError> {
        self.client
            .delete_object()
            .bucket(self.bucket()?)
            .key(key)
            .send()
            .await
            .map_err(|e| unavailable("delete a file")(format!("{e:?}")))?;
        Ok(())
    }
}
