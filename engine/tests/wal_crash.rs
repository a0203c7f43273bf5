//! Crash test of the WAL: a child process appends from several threads and is SIGKILLed at a random moment,
//! over and over on the same log; every batch it acknowledged must come back whole, exactly once.
//!
//! The child is this test binary itself, re-executed to run only [`crash_child_appends_until_killed`].
//! Set `ENGAGEDB_CRASH_SEED` to replay a failing run (the seed is printed).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use engine::wal::{Wal, WalOptions};
use engine::{BatchBuilder, EventBatch, ValueRef};

/// Tells the re-executed binary it is the child, and which WAL directory to use.
const CHILD_DIR_ENV: &str = "ENGAGEDB_CRASH_CHILD";
/// The round number, part of every marker so rounds never collide.
const CHILD_ROUND_ENV: &str = "ENGAGEDB_CRASH_ROUND";
/// The child's test name, for `--exact`.
const CHILD_TEST: &str = "crash_child_appends_until_killed";
const CHILD_THREADS: u32 = 3;
const ROUNDS: u32 = 20;

/// A batch's identity: (round, thread, batch number within that thread).
type Marker = (u32, u32, u32);

fn marker_text((round, thread, batch): Marker) -> String {
    format!("r{round}-t{thread}-b{batch}")
}

fn parse_marker(text: &str) -> Option<Marker> {
    let mut parts = text.split('-');
    let mut number = |prefix: char| parts.next()?.strip_prefix(prefix)?.parse().ok();
    Some((number('r')?, number('t')?, number('b')?))
}

/// Row count of a batch, derived from its marker so the parent can tell a whole batch from a partial one.
fn rows_of((round, thread, batch): Marker) -> usize {
    1 + ((round * 31 + thread * 7 + batch * 13) % 40) as usize
}

/// The batch the child appends for `marker`: row `i` has signal id `{marker}-r{i}`.
fn batch_for(marker: Marker) -> EventBatch {
    let text = marker_text(marker);
    let mut builder = BatchBuilder::new();
    for i in 0..rows_of(marker) {
        let id = format!("{text}-r{i}");
        let mut row = vec![ValueRef::Null; engine::col::COUNT];
        row[engine::col::TIME] = ValueRef::Int(1_700_000_000_000_000 + i as i64);
        row[engine::col::SIGNAL_ID] = ValueRef::Text(&id);
        row[engine::col::SIGNAL] = ValueRef::Text("ReadingProgress");
        row[engine::col::APP] = ValueRef::Text("Reading Progress");
        row[engine::col::STUDENT] = ValueRef::Text("5f0c8e2a9b3d4c1e8f7a6b5c4d3e2f1a");
        row[engine::col::READING_WPM] = ValueRef::Int(i as i64);
        builder.push_row(&row).expect("crash-test rows match the schema");
    }
    builder.finish()
}

fn wal_options(dir: &str) -> WalOptions {
    // Small files so that crashes also land around file rolls.
    WalOptions {
        max_file_bytes: 16 << 10,
        ..WalOptions::new(dir)
    }
}

/// The child: appends numbered batches from several threads forever, printing `ACK <marker>` after each
/// append returns. Run only by [`acknowledged_batches_survive_sigkill`], which kills it.
#[test]
#[ignore = "child process of acknowledged_batches_survive_sigkill; does nothing on its own"]
fn crash_child_appends_until_killed() {
    let (Ok(dir), Ok(round)) = (std::env::var(CHILD_DIR_ENV), std::env::var(CHILD_ROUND_ENV)) else {
        eprintln!("{CHILD_TEST} only runs as the child of acknowledged_batches_survive_sigkill");
        return;
    };
    let round: u32 = round.parse().expect("the parent passes a numeric round");
    let wal = Wal::open(wal_options(&dir), 0, |_, _| Ok(())).expect("child opens the WAL");
    std::thread::scope(|scope| {
        for thread in 0..CHILD_THREADS {
            let wal = &wal;
            scope.spawn(move || {
                for batch in 0..100_000 {
                    let marker = (round, thread, batch);
                    wal.append(&batch_for(marker)).expect("child append");
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

/// A small deterministic generator, so a failing run can be replayed from its seed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs one child until it is killed; returns the markers it acknowledged.
fn run_child_and_kill(dir: &str, round: u32, rng: &mut XorShift) -> BTreeSet<Marker> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args(["--exact", CHILD_TEST, "--ignored", "--nocapture", "--test-threads=1"])
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
        // Kill at a random moment, possibly while the child is still recovering or opening the log.
        std::thread::sleep(Duration::from_millis(rng.below(40)));
    } else {
        let kill_after = 1 + rng.below(60) as usize;
        while acked.len() < kill_after {
            let line = lines
                .next()
                .expect("child exited before being killed")
                .expect("reading child stdout");
            record_ack(&line, &mut acked);
        }
        std::thread::sleep(Duration::from_micros(rng.below(2_000)));
    }
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reaping the child");
    // Lines already in the pipe were printed after their appends returned: they count as acknowledged too.
    for line in lines {
        record_ack(&line.expect("reading child stdout"), &mut acked);
    }
    acked
}

/// Reopens the WAL and returns every batch it holds, keyed by marker, checking that sequence numbers are
/// contiguous from 1 and every batch is whole and appears once.
fn recover(dir: &str) -> BTreeMap<Marker, u64> {
    let mut found = BTreeMap::new();
    let mut expected_seq = 1;
    let wal = Wal::open(wal_options(dir), 0, |seq, batch| {
        assert_eq!(seq, expected_seq, "sequence numbers are contiguous");
        expected_seq += 1;
        let first_id = match batch.columns[engine::col::SIGNAL_ID].get(0) {
            ValueRef::Text(id) => id.to_string(),
            other => panic!("record {seq} has no signal id: {other:?}"),
        };
        let marker = first_id.strip_suffix("-r0").and_then(parse_marker);
        let marker = marker.unwrap_or_else(|| panic!("record {seq} holds a batch never sent: {first_id}"));
        assert_eq!(
            batch,
            batch_for(marker),
            "record {seq} is the whole batch {}",
            marker_text(marker)
        );
        assert!(
            found.insert(marker, seq).is_none(),
            "batch {} replayed twice",
            marker_text(marker)
        );
        Ok(())
    })
    .unwrap_or_else(|e| panic!("recovery after SIGKILL failed: {e}"));
    assert_eq!(wal.last_seq(), expected_seq - 1);
    found
}

#[test]
fn acknowledged_batches_survive_sigkill() {
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
    let mut rng = XorShift(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    let dir = dir.to_str().expect("temp path is UTF-8");
    let mut all_acked = BTreeSet::new();
    let mut previously_recovered = BTreeMap::new();
    for round in 0..ROUNDS {
        all_acked.extend(run_child_and_kill(dir, round, &mut rng));
        let recovered = recover(dir);
        for marker in &all_acked {
            assert!(
                recovered.contains_key(marker),
                "round {round}: acknowledged batch {} lost",
                marker_text(*marker)
            );
        }
        for (marker, seq) in &previously_recovered {
            assert_eq!(
                recovered.get(marker),
                Some(seq),
                "round {round}: recovered batch {marker:?} changed"
            );
        }
        // Each child thread appends its batches one after another, so per thread the log holds batches
        // 0..=k with at most the one in flight at the kill beyond the last acknowledged one.
        let mut per_thread: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
        for &(r, t, b) in recovered.keys() {
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
                "round {r} thread {t}: {} batches in the log but only {acked_here} acknowledged",
                batches.len()
            );
        }
        previously_recovered = recovered;
    }
    assert!(
        !all_acked.is_empty(),
        "the children acknowledged nothing, so nothing was tested"
    );
}
