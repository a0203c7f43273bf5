//! Writing activity rows with every core: a day's events are cut into blocks, the blocks are
//! rendered (and, for gzip, compressed as separate gzip members) on scoped threads, and a writer
//! thread appends them to the file in order while the next day is simulated.
//!
//! The output is a function of the events only: block boundaries depend on the event count, not on
//! the number of threads, so the same options still give the same bytes on any machine.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crossbeam::channel::{bounded, Receiver, Sender};
use flate2::write::GzEncoder;
use flate2::Compression;

use super::activity_writer::RowRenderer;
use super::event::{AssignmentInfo, Event};
use super::GenerateError;

/// Events rendered per block (and per gzip member).
const BLOCK_EVENTS: usize = 32_768;
/// Blocks waiting for the writer thread at most.
const QUEUE_BLOCKS: usize = 16;
/// Write buffer of the output file.
const WRITE_BUFFER: usize = 1 << 20;

/// An activity part file being written from another thread. [`BlockFile::finish`] must be called
/// to learn whether every write succeeded.
pub struct BlockFile {
    path: PathBuf,
    gzip: bool,
    blocks: Option<Sender<Vec<u8>>>,
    /// Buffers the writer is done with, to render the next blocks into (saves page faults).
    returned: Receiver<Vec<u8>>,
    writer: Option<JoinHandle<std::io::Result<()>>>,
    rows: u64,
    wrote_any: bool,
}

impl BlockFile {
    /// Creates (truncates) `path`; with `gzip`, blocks become gzip members (fast level).
    pub fn create(path: &Path, gzip: bool) -> Result<BlockFile, GenerateError> {
        let file = File::create(path).map_err(|e| GenerateError::io(path, e))?;
        let (tx, rx) = bounded::<Vec<u8>>(QUEUE_BLOCKS);
        let (back_tx, back_rx) = bounded::<Vec<u8>>(QUEUE_BLOCKS);
        let writer = std::thread::spawn(move || {
            let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
            for mut block in rx.iter() {
                out.write_all(&block)?;
                block.clear();
                let _ = back_tx.try_send(block); // a full pool just drops it
            }
            out.flush()
        });
        Ok(BlockFile {
            path: path.to_path_buf(),
            gzip,
            blocks: Some(tx),
            returned: back_rx,
            writer: Some(writer),
            rows: 0,
            wrote_any: false,
        })
    }

    /// Renders `events` (one day, in order) on up to `threads` threads and queues them for writing.
    pub fn write_events(
        &mut self,
        renderer: &RowRenderer<'_>,
        events: &[Event],
        assignments: &[AssignmentInfo],
        threads: usize,
    ) -> Result<(), GenerateError> {
        let blocks: Vec<&[Event]> = events.chunks(BLOCK_EVENTS).collect();
        let gzip = self.gzip;
        let render = |block: &[Event], mut text: Vec<u8>| -> std::io::Result<Vec<u8>> {
            text.reserve(block.len() * 320);
            for event in block {
                renderer.render(&mut text, event, assignments);
                text.push(b'\n');
            }
            if !gzip {
                return Ok(text);
            }
            let mut member = GzEncoder::new(Vec::with_capacity(text.len() / 3), Compression::fast());
            member.write_all(&text)?;
            member.finish()
        };
        let threads = threads.clamp(1, blocks.len().max(1));
        // Block i goes to thread i % threads, with a recycled buffer if one came back.
        let mut jobs: Vec<Vec<(&[Event], Vec<u8>)>> = (0..threads).map(|_| Vec::new()).collect();
        for (i, block) in blocks.iter().enumerate() {
            jobs[i % threads].push((block, self.returned.try_recv().unwrap_or_default()));
        }
        let mut rendered: Vec<std::io::Result<Vec<u8>>> = Vec::with_capacity(blocks.len());
        std::thread::scope(|scope| {
            let mut jobs = jobs.into_iter();
            let mine = jobs.next().unwrap_or_default();
            let workers: Vec<_> = jobs
                .map(|job| {
                    let render = &render;
                    scope.spawn(move || job.into_iter().map(|(b, buf)| render(b, buf)).collect::<Vec<_>>())
                })
                .collect();
            let mine: Vec<_> = mine.into_iter().map(|(b, buf)| render(b, buf)).collect();
            let mut per_thread: Vec<std::vec::IntoIter<_>> = vec![mine.into_iter()];
            for w in workers {
                per_thread.push(w.join().unwrap_or_default().into_iter());
            }
            for i in 0..blocks.len() {
                let next = per_thread[i % threads].next();
                rendered.push(next.unwrap_or_else(|| Err(std::io::Error::other("a render thread panicked"))));
            }
        });
        for block in rendered {
            let block = block.map_err(|e| GenerateError::io(&self.path, e))?;
            self.send(block)?;
        }
        self.rows += events.len() as u64;
        Ok(())
    }

    fn send(&mut self, block: Vec<u8>) -> Result<(), GenerateError> {
        self.wrote_any = true;
        let sent = self.blocks.as_ref().is_some_and(|tx| tx.send(block).is_ok());
        if sent {
            return Ok(());
        }
        // The writer stopped early: finish() reports its error.
        Err(self
            .join_writer()
            .err()
            .unwrap_or_else(|| GenerateError::io(&self.path, std::io::Error::other("the writer thread stopped"))))
    }

    fn join_writer(&mut self) -> Result<(), GenerateError> {
        self.blocks.take();
        match self.writer.take().map(JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(GenerateError::io(&self.path, e)),
            Some(Err(_)) => Err(GenerateError::io(
                &self.path,
                std::io::Error::other("the writer thread panicked"),
            )),
        }
    }

    /// Waits for every block to be written; returns the path and the number of rows.
    pub fn finish(mut self) -> Result<(PathBuf, u64), GenerateError> {
        if self.gzip && !self.wrote_any {
            // An empty part is still a valid gzip file: one empty member.
            let empty = GzEncoder::new(Vec::new(), Compression::fast())
                .finish()
                .map_err(|e| GenerateError::io(&self.path, e))?;
            self.send(empty)?;
        }
        self.join_writer()?;
        Ok((self.path.clone(), self.rows))
    }
}

impl Drop for BlockFile {
    fn drop(&mut self) {
        let _ = self.join_writer();
    }
}
