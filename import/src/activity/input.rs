//! Opening an activity file: plain or gzip (detected by magic bytes), with a shared counter of the
//! bytes consumed on disk for progress reporting.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::error::ImportError;

/// The two bytes every gzip member starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Size of the buffer between the file and the gzip decoder.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// An opened activity file: a byte stream (already decompressed) plus progress counters.
pub struct ActivityInput {
    /// The decompressed bytes.
    pub reader: Box<dyn Read + Send>,
    /// Size of the file on disk (compressed size for gzip).
    pub total_bytes: u64,
    /// Bytes of the file on disk consumed so far; updated as the stream is read.
    pub bytes_read: Arc<AtomicU64>,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
}

/// Opens `path`, transparently decompressing it if it starts with the gzip magic bytes.
pub fn open_activity_file(path: &Path) -> Result<ActivityInput, ImportError> {
    let mut file = File::open(path).map_err(|e| ImportError::io(path, e))?;
    let total_bytes = file.metadata().map_err(|e| ImportError::io(path, e))?.len();
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ImportError::io(path, e)),
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| ImportError::io(path, e))?;
    let gzip = got == 2 && magic == GZIP_MAGIC;
    let bytes_read = Arc::new(AtomicU64::new(0));
    let counted = CountingReader {
        inner: file,
        count: Arc::clone(&bytes_read),
    };
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(MultiGzDecoder::new(io::BufReader::with_capacity(
            READ_BUFFER_BYTES,
            counted,
        )))
    } else {
        Box::new(counted)
    };
    Ok(ActivityInput {
        reader,
        total_bytes,
        bytes_read,
        gzip,
    })
}

/// Counts the bytes that pass through it into a shared counter.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
