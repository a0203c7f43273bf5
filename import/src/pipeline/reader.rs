//! The read stage: cuts the mapped file into pieces (see [`crate::activity::MappedChunker`]), or
//! decompresses and cuts a stream (see [`crate::activity::Chunker`]),
//! notes the file's layout once its first well-formed row is seen, and hands pieces to the parse
//! workers in numbered order.

use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam::channel::{Receiver, Sender};
use memmap2::Mmap;

use super::parse::{find_layout, LayoutHint, Task};
use super::piece_bytes::PieceBytes;
use super::store::Done;
use crate::activity::{ActivitySource, Chunker, MappedChunker, Piece};
use crate::error::ImportError;
use crate::importer::ImportOptions;

/// Cuts the file's bytes into pieces, whichever way they come.
enum Cutter {
    /// Reads a stream into the circulating buffers.
    Stream(Chunker<Box<dyn Read + Send>>),
    /// Cuts ranges of the mapped file.
    Mapped(Arc<Mmap>, MappedChunker),
}

impl Cutter {
    /// The next piece, using `buffer` (one of the circulating buffers); `None` at the end.
    fn next(&mut self, mut buffer: Vec<u8>, bytes_read: &AtomicU64) -> io::Result<Option<(Piece, PieceBytes)>> {
        match self {
            Cutter::Stream(chunker) => Ok(chunker
                .next_piece(&mut buffer)?
                .map(|piece| (piece, PieceBytes::Buffer(buffer)))),
            Cutter::Mapped(map, chunker) => Ok(chunker.next_piece(map).map(|(piece, range)| {
                bytes_read.store(range.end as u64, Ordering::Relaxed);
                buffer.clear();
                let map = Arc::clone(map);
                (piece, PieceBytes::Mapped { map, range, buffer })
            })),
        }
    }
}

/// Cuts `source` piece by piece, each piece travelling with a buffer taken from `free`, sending
/// record pieces to `tasks` and skipped overlong records straight to `done`. Stops early (without
/// error) once the store stage stops handing buffers back. Advances `bytes_read` for a mapped file.
pub fn read_pieces(
    source: ActivitySource,
    bytes_read: &AtomicU64,
    path: &Path,
    opts: &ImportOptions,
    free: Receiver<Vec<u8>>,
    tasks: Sender<Task>,
    done: Sender<Done>,
) -> Result<(), ImportError> {
    let mut cutter = match source {
        ActivitySource::Stream(input) => Cutter::Stream(Chunker::new(input, opts.piece_bytes, opts.max_row_bytes)),
        ActivitySource::Mapped(map) => Cutter::Mapped(map, MappedChunker::new(opts.piece_bytes, opts.max_row_bytes)),
    };
    let mut layout = LayoutHint::Unknown;
    let mut seq = 0u64;
    let mut at_file_start = true;
    while let Ok(buffer) = free.recv() {
        let Some((piece, data)) = cutter.next(buffer, bytes_read).map_err(|e| ImportError::io(path, e))? else {
            return Ok(());
        };
        let first_in_file = std::mem::take(&mut at_file_start);
        let sent = match piece {
            Piece::Records => {
                let hint = match layout {
                    LayoutHint::Unknown => {
                        layout = find_layout(&data, opts.max_row_bytes, first_in_file);
                        layout
                    }
                    LayoutHint::Known { layout, .. } => LayoutHint::Known { layout, from: 0 },
                };
                let task = Task {
                    seq,
                    data,
                    layout: hint,
                    first_in_file,
                };
                tasks.send(task).is_ok()
            }
            Piece::TooLong { length, newlines } => done
                .send(Done::TooLong {
                    seq,
                    length,
                    newlines,
                    buffer: data.into_buffer(),
                })
                .is_ok(),
        };
        if !sent {
            return Ok(()); // the workers or the store stage stopped; the store stage reports why
        }
        seq += 1;
    }
    Ok(())
}
