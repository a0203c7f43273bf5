//! `engagedb demo`: the README's one-command start. Generates a district into `DIR/source` (once),
//! imports it into the embedded store `DIR/store` (once), then answers example questions with timings.

use std::path::Path;
use std::time::Instant;

use engine::{col, IndexFilter, ScanRequest};

use super::{open_store, CliResult};

/// Runs the demo in `dir`.
pub fn run(dir: &Path, students: usize, days: u32) -> CliResult {
    let source = dir.join("source");
    let store = dir.join("store");
    let done_marker = dir.join(".imported");
    if !done_marker.exists() {
        println!(
            "== generating a district of {students} students over {days} days into {}",
            source.display()
        );
        let summary = super::generate::run(&source, students, days, 42, 4.0, 1, false)?;
        println!("== importing into the embedded store {}", store.display());
        let activity: Vec<_> = summary
            .files
            .iter()
            .filter(|f| f.starts_with(source.join("activity")))
            .cloned()
            .collect();
        super::import::run(&store, Some(&source.join("roster")), &activity, 5)?;
        std::fs::write(&done_marker, b"")?;
    } else {
        println!(
            "== reusing the store in {} (delete {} to start over)",
            store.display(),
            dir.display()
        );
    }
    let db = open_store(&store)?;
    let snap = db.snapshot()?;
    println!(
        "\n== {} events, {} classes, {} assignments",
        snap.rows(),
        snap.roster().classes.len(),
        snap.assignments().len()
    );

    println!("\nSignals per app (bitmap index counts):");
    for app in [
        "Assignments",
        "Teams",
        "TeamsMeeting",
        "SharePoint Online",
        "OneNote",
        "Reflect",
        "Reading Progress",
    ] {
        let started = Instant::now();
        let req = ScanRequest {
            filters: vec![IndexFilter {
                column: col::APP,
                values: vec![app.to_string()],
            }],
            ..Default::default()
        };
        let n = snap.count(&req)?;
        println!(
            "  {app:<20} {n:>10}   ({:.3} ms)",
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    println!("\nSignals per school:");
    for org in snap.roster().orgs.iter().filter(|o| o.kind == "school") {
        let started = Instant::now();
        let req = ScanRequest {
            filters: vec![IndexFilter {
                column: col::SCHOOL,
                values: vec![org.id.clone()],
            }],
            ..Default::default()
        };
        let n = snap.count(&req)?;
        println!(
            "  {:<40} {n:>10}   ({:.3} ms)",
            org.name,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    if let Some(class) = snap.roster().classes.first() {
        let started = Instant::now();
        let req = ScanRequest {
            filters: vec![IndexFilter {
                column: col::CLASS,
                values: vec![class.id.clone()],
            }],
            ..Default::default()
        };
        let n = snap.count(&req)?;
        println!(
            "\nSignals in class {} ({}): {n}   ({:.3} ms)",
            class.name,
            class.id,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    println!("\nInspect the store: engagedb admin --data {} stats", store.display());
    Ok(())
}
