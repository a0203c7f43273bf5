//! Crash test of the WAL: a child process appends from several threads and is SIGKILLed at a random moment,
//! over and over on the same log; every batch it acknowledged must come back whole, exactly once.
//!
//! The child is this test binary itself, re-executed to run only [`crash_child_appends_until_killed`].
//! Set `ENGAGEDB_CRASH_SEED` to replay a failing run (the seed is printed).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{append_until_killed, batch_for, check_recovered, child_env, marker_text, Marker, XorShift};
use engine::wal::{Wal, WalOptions};

/// The child's test name, for `--exact`.
const CHILD_TEST: &str = "crash_child_appends_until_killed";
const CHILD_THREADS: u32 = 3;
const ROUNDS: u32 = 20;

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
    let Some((dir, round)) = child_env() else {
        eprintln!("{CHILD_TEST} only runs as the child of acknowledged_batches_survive_sigkill");
        return;
    };
    let wal = Wal::open(wal_options(&dir), 0, |_, _| Ok(())).expect("child opens the WAL");
    append_until_killed(round, CHILD_THREADS, |marker| {
        wal.append(&batch_for(marker, 1)).expect("child append");
    });
}

/// Reopens the WAL and returns every batch it holds, keyed by marker, checking that sequence numbers are
/// contiguous from 1 and every batch is whole and appears once.
fn recover(dir: &str) -> BTreeMap<Marker, u64> {
    let mut found = BTreeMap::new();
    let mut expected_seq = 1;
    let wal = Wal::open(wal_options(dir), 0, |seq, batch| {
        assert_eq!(seq, expected_seq, "sequence numbers are contiguous");
        expected_seq += 1;
        let first_id = match batch.columns[engine::col::SIGNAL_ID].get(0).text() {
            Some(id) => id.into_owned(),
            None => panic!("record {seq} has no signal id"),
        };
        let marker = common::parse_signal_id(&first_id).map(|(m, _)| m);
        let marker = marker.unwrap_or_else(|| panic!("record {seq} holds a batch never sent: {first_id}"));
        assert_eq!(
            batch,
            batch_for(marker, 1),
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
    let mut rng = XorShift::from_env();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    let dir = dir.to_str().expect("temp path is UTF-8");
    let mut all_acked = BTreeSet::new();
    let mut previously_recovered = BTreeMap::new();
    for round in 0..ROUNDS {
        all_acked.extend(common::run_child_and_kill(CHILD_TEST, dir, round, &mut rng, 60, 2_000));
        let recovered = recover(dir);
        check_recovered(round, &all_acked, &recovered.keys().copied().collect());
        for (marker, seq) in &previously_recovered {
            assert_eq!(
                recovered.get(marker),
                Some(seq),
                "round {round}: recovered batch {marker:?} changed"
            );
        }
        previously_recovered = recovered;
    }
    assert!(
        !all_acked.is_empty(),
        "the children acknowledged nothing, so nothing was tested"
    );
}
