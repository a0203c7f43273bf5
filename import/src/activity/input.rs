//! Opening an activity file: plain files are memory-mapped (pieces are then ranges of the page
//! cache, copied nowhere), gzip files (detected by magic bytes) are inflated as a stream; with a
//! shared counter of the bytes consumed on disk for progress reporting.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use memmap2::Mmap;

use crate::error::ImportError;

/// The two bytes every gzip member starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Size of the buffer between the file and the gzip decoder.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Where the bytes of an opened activity file come from.
pub enum ActivitySource {
    /// A decompressed stream (gzip files, and empty files, which cannot be mapped).
    Stream(Box<dyn Read + Send>),
    /// The whole plain file, memory-mapped read-only. The reader must advance
    /// [`ActivityInput::bytes_read`] itself.
    Mapped(Arc<Mmap>),
}

/// An opened activity file: its bytes plus progress counters.
pub struct ActivityInput {
    /// The file's bytes (decompressed).
    pub source: ActivitySource,
    /// Size of the file on disk (compressed size for gzip).
    pub total_bytes: u64,
    /// Bytes of the file on disk consumed so far; updated as the stream is read.
    pub bytes_read: Arc<AtomicU64>,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
}

/// Opens `path`, transparently decompressing it if it starts with the gzip magic bytes, and
/// memory-mapping it if it is a non-empty plain file.
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
    let source = if gzip {
        ActivitySource::Stream(Box::new(MultiGzDecoder::new(io::BufReader::with_capacity(
            READ_BUFFER_BYTES,
            counted,
        ))))
    } else if total_bytes == 0 {
        ActivitySource::Stream(Box::new(counted))
    } else {
        // SAFETY: the mapping is read-only and private to this import. Its bytes change only if
        // another process rewrites the file during the import (docs/import.md asks operators not
        // to); a concurrent truncation would fault, as it would for any mmap reader.
        let map = unsafe { Mmap::map(&counted.inner) }.map_err(|e| ImportError::io(path, e))?;
        // Pieces are read once, front to back: ask for read-ahead, and let pages go behind us.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        ActivitySource::Mapped(Arc::new(map))
    };
    Ok(ActivityInput {
        source,
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
