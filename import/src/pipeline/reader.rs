//! The read stage: decompresses and cuts the file into pieces (see [`crate::activity::Chunker`]),
//! notes the file's layout once its first well-formed row is seen, and hands pieces to the parse
//! workers in numbered order.

use std::io::Read;
use std::path::Path;

use crossbeam::channel::{Receiver, Sender};

use super::parse::{find_layout, LayoutHint, Task};
use super::store::Done;
use crate::activity::{Chunker, Piece};
use crate::error::ImportError;
use crate::importer::ImportOptions;

/// Reads `input` piece by piece into buffers taken from `free`, sending record pieces to `tasks`
/// and skipped overlong records straight to `done`. Stops early (without error) once the store
/// stage stops handing buffers back.
pub fn read_pieces(
    input: Box<dyn Read + Send>,
    path: &Path,
    opts: &ImportOptions,
    free: Receiver<Vec<u8>>,
    tasks: Sender<Task>,
    done: Sender<Done>,
) -> Result<(), ImportError> {
    let mut chunker = Chunker::new(input, opts.piece_bytes, opts.max_row_bytes);
    let mut layout = LayoutHint::Unknown;
    let mut seq = 0u64;
    let mut at_file_start = true;
    while let Ok(mut buffer) = free.recv() {
        let Some(piece) = chunker.next_piece(&mut buffer).map_err(|e| ImportError::io(path, e))? else {
            return Ok(());
        };
        let first_in_file = std::mem::take(&mut at_file_start);
        let sent = match piece {
            Piece::Records => {
                let hint = match layout {
                    LayoutHint::Unknown => {
                        layout = find_layout(&buffer, opts.max_row_bytes, first_in_file);
                        layout
                    }
                    LayoutHint::Known { layout, .. } => LayoutHint::Known { layout, from: 0 },
                };
                let task = Task {
                    seq,
                    data: buffer,
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
                    buffer,
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
