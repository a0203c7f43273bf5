//! `engagedb shell` as a program sees it: results on stdout in the requested format, errors on stderr,
//! and a non-zero exit status when any statement fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

fn shared() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let c = dir.join("shared/data/oea-insights");
        if c.is_dir() {
            return dir.join("shared");
        }
        assert!(dir.pop(), "shared/ not found above {}", env!("CARGO_MANIFEST_DIR"));
    }
}

/// An embedded store belongs to one process at a time: tests that open the shared store take turns.
static STORE_IN_USE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn engagedb(args: &[&str], stdin: Option<&str>) -> Output {
    let _turn = STORE_IN_USE.lock().unwrap_or_else(|p| p.into_inner());
    let mut child = Command::new(env!("CARGO_BIN_EXE_engagedb"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run engagedb");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait for engagedb")
}

/// The HEd sample imported once through `engagedb import`.
fn store() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = shared().join("data/oea-insights");
        let store = dir.path().join("store");
        let out = engagedb(
            &[
                "import",
                "--data",
                store.to_str().expect("utf-8 path"),
                "--roster",
                data.join("roster/hed_raw").to_str().expect("utf-8 path"),
                "--activity",
                data.join("activity/hed_reconstructed_raw/ApplicationUsage_reconstructed.csv.gz")
                    .to_str()
                    .expect("utf-8 path"),
            ],
            None,
        );
        assert!(
            out.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
    .path()
}

fn data_arg() -> String {
    store().join("store").to_string_lossy().into_owned()
}

#[test]
fn csv_output_is_the_contract_format() {
    let q01 = std::fs::read_to_string(shared().join("queries/q01_overview.sql")).expect("q01");
    // The query starts with a `--` comment: -c must take it as SQL, not as a flag.
    let out = engagedb(&["shell", "--data", &data_arg(), "--format", "csv", "-c", &q01], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected = std::fs::read_to_string(shared().join("queries/expected/q01_overview.csv")).expect("expected");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn several_statements_from_a_file_and_json_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("q.sql");
    std::fs::write(
        &file,
        "-- two questions\nSELECT count(*) AS n FROM events WHERE app = 'Teams';\nSELECT 1 + 1 AS two;\n",
    )
    .expect("write");
    let out = engagedb(
        &[
            "shell",
            "--data",
            &data_arg(),
            "--format",
            "json",
            "-f",
            file.to_str().expect("path"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"n\":20950}\n{\"two\":2}\n");
}

#[test]
fn statements_piped_on_stdin_print_as_a_table() {
    let out = engagedb(
        &["shell", "--data", &data_arg()],
        Some("SELECT name FROM orgs WHERE name = 'School of Education';"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("│ name"), "{text}");
    assert!(text.trim_end().ends_with("(1 row)"), "{text}");
}

#[test]
fn a_failing_statement_exits_non_zero_with_the_error_on_stderr() {
    let out = engagedb(
        &[
            "shell",
            "--data",
            &data_arg(),
            "--format",
            "csv",
            "-c",
            "SELECT 1 AS ok; SELECT nope FROM events",
        ],
        None,
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown column 'nope' at 1:24"), "{stderr}");
    // Statements before the failing one ran and printed.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n1\n");

    let out = engagedb(&["shell", "--data", &data_arg(), "-c", "SELEC 1"], None);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("syntax error: expected"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_missing_store_is_an_error_not_a_new_empty_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nothing-here");
    let out = engagedb(
        &["shell", "--data", missing.to_str().expect("path"), "-c", "SELECT 1"],
        None,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no engagedb store in"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!missing.exists(), "querying must not create a store");
}

#[test]
fn a_store_open_in_another_process_says_so() {
    let data = data_arg();
    let _turn = STORE_IN_USE.lock().unwrap_or_else(|p| p.into_inner());
    // This test process holds the store open; a second process must be told so.
    let held = engine::Db::open(&data, engine::DbOptions::default()).expect("open store");
    let out = Command::new(env!("CARGO_BIN_EXE_engagedb"))
        .args(["shell", "--data", &data, "-c", "SELECT 1"])
        .output()
        .expect("run engagedb");
    drop(held);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is open in another engagedb process"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
