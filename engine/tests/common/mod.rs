//! The crash-test harness shared by `wal_crash.rs` and `db_crash.rs`: the test binary re-executes itself
//! as a child that appends numbered batches from several threads and prints `ACK <marker>` after each
//! append returns; the parent SIGKILLs it at a random instant and then checks what recovery finds.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use engine::{BatchBuilder, EventBatch, ValueRef};

/// Tells the re-executed binary it is the child, and which directory to use.
pub const CHILD_DIR_ENV: &str = "ENGAGEDB_CRASH_CHILD";
/// The round number, part of every marker so rounds never collide.
pub const CHILD_ROUND_ENV: &str = "ENGAGEDB_CRASH_ROUND";

/// A batch's identity: (round, thread, batch number within that thread).
pub type Marker = (u32, u32, u32);

/// `r{round}-t{thread}-b{batch}`.
pub fn marker_text((round, thread, batch): Marker) -> String {
    format!("r{round}-t{thread}-b{batch}")
}

/// Inverse of [`marker_text`].
pub fn parse_marker(text: &str) -> Option<Marker> {
    let mut parts = text.split('-');
    let mut number = |prefix: char| parts.next()?.strip_prefix(prefix)?.parse().ok();
    Some((number('r')?, number('t')?, number('b')?))
}

/// Row count of a batch, derived from its marker so the parent can tell a whole batch from a partial one.
pub fn rows_of((round, thread, batch): Marker) -> usize {
    1 + ((round * 31 + thread * 7 + batch * 13) % 40) as usize
}

/// Signal id of row `i` of the batch `marker`.
pub fn signal_id(marker: Marker, i: usize) -> String {
    format!("{}-r{i}", marker_text(marker))
}

/// The marker and row number of a signal id made by [`signal_id`].
pub fn parse_signal_id(id: &str) -> Option<(Marker, usize)> {
    let (marker, row) = id.rsplit_once("-r")?;
    Some((parse_marker(marker)?, row.parse().ok()?))
}

/// The student of row `i` of the batch `marker`: a lower-case UUID of its own, so every batch adds
/// entries to the store's shared student dictionary while the child may be killed.
pub fn student_of((round, thread, batch): Marker, i: usize) -> String {
    format!(
        "{round:08x}-{thread:04x}-4000-8000-{:012x}",
        u64::from(batch) * 64 + i as u64
    )
}

/// The batch the child appends for `marker`: row `i` has signal id [`signal_id`]`(marker, i)`, student
/// [`student_of`]`(marker, i)`, `reading_wpm` = `i`, and a time `day_spread` days wide so batches land
/// in several partitions.
pub fn batch_for(marker: Marker, day_spread: i64) -> EventBatch {
    let mut builder = BatchBuilder::new();
    for i in 0..rows_of(marker) {
        let id = signal_id(marker, i);
        let student = student_of(marker, i);
        let mut row = vec![ValueRef::Null; engine::col::COUNT];
        let day = (marker.2 as i64 + i as i64) % day_spread.max(1);
        row[engine::col::TIME] = ValueRef::Int(1_700_006_400_000_000 + day * 86_400_000_000 + i as i64);
        row[engine::col::SIGNAL_ID] = ValueRef::Text(&id);
        row[engine::col::SIGNAL] = ValueRef::Text("ReadingProgress");
        row[engine::col::APP] = ValueRef::Text("Reading Progress");
        row[engine::col::STUDENT] = ValueRef::Text(&student);
        row[engine::col::READING_WPM] = ValueRef::Int(i as i64);
        builder.push_row(&row).expect("crash-test rows match the schema");
    }
    builder.finish()
}

/// The child's loop: `threads` threads call `append` on batches `(round, thread, 0..)` and print
/// `ACK <marker>` after each returns, until killed (or the parent goes away).
pub fn append_until_killed(round: u32, threads: u32, append: impl Fn(Marker) + Sync) {
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let append = &append;
            scope.spawn(move || {
                for batch in 0..100_000 {
                    let marker = (round, thread, batch);
                    append(marker);
                    let mut out = std::io::stdout().lock();
                    // A write error means the parent is gone: stop.
                    if writeln!(out, "ACK {}", marker_text(marker))
                        .and_then(|()| out.flush())
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
}

/// The child's directory and round, if this process is a crash child.
pub fn child_env() -> Option<(String, u32)> {
    let dir = std::env::var(CHILD_DIR_ENV).ok()?;
    let round = std::env::var(CHILD_ROUND_ENV).ok()?.parse().ok()?;
    Some((dir, round))
}

/// A small deterministic generator, so a failing run can be replayed from its seed.
pub struct XorShift(pub u64);

impl XorShift {
    /// The seed from `ENGAGEDB_CRASH_SEED`, or the clock (printed, so a failure can be replayed).
    pub fn from_env() -> XorShift {
        let seed = std::env::var("ENGAGEDB_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let nanos = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64);
                nanos | 1
            });
        println!("crash test seed: ENGAGEDB_CRASH_SEED={seed}");
        XorShift(seed)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs the test `child_test` of this binary as a child on `dir` until it is killed at a random moment
/// (before, during or after it opened the store, or after 1..=`max_acks` acknowledgements plus up to
/// `max_extra_us` µs); returns the markers it acknowledged.
pub fn run_child_and_kill(
    child_test: &str,
    dir: &str,
    round: u32,
    rng: &mut XorShift,
    max_acks: u64,
    max_extra_us: u64,
) -> BTreeSet<Marker> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args(["--exact", child_test, "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_ENV, dir)
        .env(CHILD_ROUND_ENV, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning the crash child");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut acked = BTreeSet::new();
    let record_ack = |line: &str, acked: &mut BTreeSet<Marker>| {
        // The harness's own "test ... " may precede the first ACK on its line.
        if let Some(text) = line.split_once("ACK ").map(|(_, text)| text) {
            acked.insert(parse_marker(text).unwrap_or_else(|| panic!("child printed a bad marker {text:?}")));
        }
    };
    if rng.below(3) == 0 {
        // Kill at a random moment, possibly while the child is still recovering or opening the store.
        std::thread::sleep(Duration::from_millis(rng.below(40)));
    } else {
        let kill_after = 1 + rng.below(max_acks) as usize;
        while acked.len() < kill_after {
            let Some(line) = lines.next() else { break };
            record_ack(&line.expect("reading child stdout"), &mut acked);
        }
        std::thread::sleep(Duration::from_micros(rng.below(max_extra_us)));
    }
    child.kill().expect("SIGKILL the child");
    let status = child.wait().expect("reaping the child");
    // Lines already in the pipe were printed after their appends returned: they count as acknowledged too.
    for line in lines {
        record_ack(&line.expect("reading child stdout"), &mut acked);
    }
    assert!(
        status.code().is_none(),
        "the child exited by itself ({status}) instead of being killed"
    );
    acked
}

/// Checks what recovery found against what was acknowledged, over all rounds so far: every acknowledged
/// batch is there; per (round, thread) the batches found are `0..=k` without a gap and at most one past
/// the last acknowledged (the append in flight at the kill).
pub fn check_recovered(round: u32, all_acked: &BTreeSet<Marker>, recovered: &BTreeSet<Marker>) {
    for marker in all_acked {
        assert!(
            recovered.contains(marker),
            "round {round}: acknowledged batch {} lost",
            marker_text(*marker)
        );
    }
    let mut per_thread: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
    for &(r, t, b) in recovered {
        assert!(r <= round, "batch from a future round {r}");
        per_thread.entry((r, t)).or_default().push(b);
    }
    for ((r, t), batches) in &per_thread {
        assert!(
            batches.iter().copied().eq(0..batches.len() as u32),
            "round {r} thread {t}: gap in {batches:?}"
        );
        let acked_here = all_acked.range((*r, *t, 0)..=(*r, *t, u32::MAX)).count();
        assert!(
            batches.len() <= acked_here + 1,
            "round {r} thread {t}: {} batches stored but only {acked_here} acknowledged",
            batches.len()
        );
    }
}
