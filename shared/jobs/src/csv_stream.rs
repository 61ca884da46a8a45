//! An uploaded CSV read as a stream of records, never whole in memory: a
//! blocking `csv::Reader` over the object's body (bridged from async), on a
//! blocking thread, handing records over a small bounded channel. A worker
//! holds at most [`BUFFER`] records of a 20 MB file at a time.
//!
//! [`Rows`] numbers the data rows from 1 (the header is row 0) and can go
//! back to an earlier row by opening the pinned file again.

use std::future::Future;
use std::pin::Pin;

use crm_kernel::AppError;
use tokio::io::AsyncRead;
use tokio::sync::mpsc;

/// Records in flight between the reader thread and the worker.
pub const BUFFER: usize = 256;

/// A file's body, as the store streams it.
pub type Body = Box<dyn AsyncRead + Send + Unpin>;
/// Opens the pinned file (again): each pass, and each return to an earlier row.
pub type Opener<'a> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Body, AppError>> + Send + 'a>> + Send + Sync + 'a>;

/// The records of `body`, in order; an unreadable record ends the stream with its error.
pub fn records(body: Body) -> mpsc::Receiver<Result<csv::StringRecord, String>> {
    let (tx, rx) = mpsc::channel(BUFFER);
    let bridge = tokio_util::io::SyncIoBridge::new(body);
    tokio::task::spawn_blocking(move || {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bridge);
        for r in reader.records() {
            let failed = r.is_err();
            if tx.blocking_send(r.map_err(|e| e.to_string())).is_err() || failed {
                return;
            }
        }
    });
    rx
}

/// The data rows of one pinned file, read forward, reopened to go back.
pub struct Rows<'a> {
    open: Opener<'a>,
    rx: mpsc::Receiver<Result<csv::StringRecord, String>>,
    /// The number of the next data row the stream yields.
    next: u32,
}

impl<'a> Rows<'a> {
    /// Opens the file and reads its header.
    pub async fn open(open: Opener<'a>) -> Result<(Self, Option<csv::StringRecord>), AppError> {
        let mut rx = records(open().await?);
        let head = rx.recv().await.transpose().map_err(invalid)?;
        Ok((Self { open, rx, next: 1 }, head))
    }

    /// Counts the data rows left, refusing more than `max` (the stream is spent).
    pub async fn count(mut self, max: usize) -> Result<usize, AppError> {
        let mut n = 0;
        while let Some(r) = self.rx.recv().await {
            r.map_err(invalid)?;
            n += 1;
            if n > max {
                return Err(AppError::Rule {
                    code: "IMPORT_TOO_MANY_ROWS",
                    message: format!("the file has more than {max} rows; at most {max} per import"),
                });
            }
        }
        Ok(n)
    }

    /// Rows `from..=to` (fewer at the end of the file), with their numbers.
    pub async fn take(&mut self, from: u32, to: u32) -> Result<Vec<(u32, csv::StringRecord)>, AppError> {
        if from < self.next {
            // Back to an earlier row: read the file again from its header.
            self.rx = records((self.open)().await?);
            self.rx.recv().await.transpose().map_err(invalid)?;
            self.next = 1;
        }
        while self.next < from {
            match self.rx.recv().await {
                Some(r) => {
                    r.map_err(invalid)?;
                    self.next += 1;
                }
                None => return Ok(Vec::new()),
            }
        }
        let mut out = Vec::new();
        while self.next <= to {
            match self.rx.recv().await {
                Some(r) => out.push((self.next, r.map_err(invalid)?)),
                None => break,
            }
            self.next += 1;
        }
        Ok(out)
    }
}

fn invalid(e: String) -> AppError {
    AppError::Rule { code: "IMPORT_INVALID_CSV", message: format!("the file is not valid CSV: {e}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opener(text: &'static str) -> Opener<'static> {
        bytes(text.as_bytes())
    }

    fn bytes(b: &'static [u8]) -> Opener<'static> {
        Box::new(move || Box::pin(async move { Ok(Box::new(std::io::Cursor::new(b)) as Body) }))
    }

    #[tokio::test]
    async fn rows_stream_in_order_skip_forward_and_go_back_by_reopening() {
        let text = "a,b\n1,x\n2,y\n3,z\n4,w\n";
        let (rows, head) = Rows::open(opener(text)).await.unwrap();
        assert_eq!(head.unwrap().get(0), Some("a"));
        assert_eq!(rows.count(10).await.unwrap(), 4);
        let (mut rows, _) = Rows::open(opener(text)).await.unwrap();
        let firsts: Vec<u32> = rows.take(1, 2).await.unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(firsts, vec![1, 2]);
        let later = rows.take(4, 9).await.unwrap();
        assert_eq!(later.iter().map(|(n, r)| (*n, r.get(0).unwrap().to_string())).collect::<Vec<_>>(), vec![(4, "4".to_string())]);
        let again = rows.take(2, 3).await.unwrap();
        assert_eq!(again.iter().map(|(_, r)| r.get(1).unwrap().to_string()).collect::<Vec<_>>(), vec!["y", "z"], "back by reopening");
        assert!(rows.take(5, 6).await.unwrap().is_empty());
        let (rows, _) = Rows::open(opener(text)).await.unwrap();
        assert_eq!(rows.count(3).await.unwrap_err().code(), "IMPORT_TOO_MANY_ROWS");
        let (mut bad, _) = Rows::open(bytes(b"a\nok\n\xff\xfe\n")).await.unwrap();
        assert_eq!(bad.take(1, 2).await.unwrap_err().code(), "IMPORT_INVALID_CSV", "invalid UTF-8 in row 2");
    }
}
