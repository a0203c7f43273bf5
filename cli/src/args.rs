//! Command-line flags of every subcommand (clap derive). Behaviour lives in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// engagedb: an embedded analytical database for student-engagement analytics.
#[derive(Debug, Parser)]
#[command(name = "engagedb", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a sample district, load it into a local store and answer example questions.
    Demo {
        /// Where the demo keeps its generated files and store (reused on the next run).
        #[arg(long, default_value = "demo-data")]
        dir: PathBuf,
        /// Students in the generated district.
        #[arg(long, default_value_t = 2000)]
        students: usize,
        /// School days of activity.
        #[arg(long, default_value_t = 34)]
        days: u32,
    },
    /// Import a roster and/or activity export files into an embedded store (created if absent).
    Import {
        /// The data directory of the store.
        #[arg(long)]
        data: PathBuf,
        /// Roster folder (data-lake export, OneRoster/SDS v2.1 CSV, or SDS v1 CSV; detected).
        #[arg(long)]
        roster: Option<PathBuf>,
        /// Activity export file (headerless CSV, optionally .gz); repeatable.
        #[arg(long)]
        activity: Vec<PathBuf>,
        /// Row errors listed in full before they are only counted.
        #[arg(long, default_value_t = 20)]
        max_errors: usize,
        /// Time partition of a new store: hour, day, week or month. Fixed at creation (an existing
        /// store keeps its own); wider partitions take fewer bytes per event, narrower ones prune finer.
        #[arg(long, value_parser = parse_partition)]
        partition: Option<engine::Granularity>,
    },
    /// Write a realistic district (OneRoster v2.1 roster + 32-column activity export).
    Generate {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Number of students.
        #[arg(long, default_value_t = 600)]
        students: usize,
        /// Days of activity.
        #[arg(long, default_value_t = 34)]
        days: u32,
        /// Random seed (same seed, same bytes).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Mean events per student per day.
        #[arg(long, default_value_t = 4.0)]
        events_per_student_day: f64,
        /// Split the activity export into this many files.
        #[arg(long, default_value_t = 1)]
        files: usize,
        /// gzip the activity files.
        #[arg(long)]
        gzip: bool,
    },
    /// Run SQL against an embedded store: -c SQL, -f FILE, or statements piped on standard input.
    Shell {
        /// The data directory of the store.
        #[arg(long)]
        data: PathBuf,
        /// Run these statements (separated by `;`) and exit.
        #[arg(short = 'c', long = "command", conflicts_with = "file", allow_hyphen_values = true)]
        command: Option<String>,
        /// Run the statements in this file and exit.
        #[arg(short = 'f', long)]
        file: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Memory a query may use, in MiB.
        #[arg(long, default_value_t = 4096)]
        memory_limit: usize,
        /// Worker threads for scans (default: the number of cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Print each statement's run time.
        #[arg(long)]
        timing: bool,
    },
    /// Benchmarks on generated districts (release builds only give meaningful figures).
    Bench {
        /// What to measure.
        #[command(subcommand)]
        target: BenchTarget,
    },
    /// Administration of an embedded store.
    Admin {
        /// The data directory of the store.
        #[arg(long)]
        data: PathBuf,
        /// The task.
        #[command(subcommand)]
        task: AdminTask,
    },
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    /// Import a generated activity export (made once, then reused) into a fresh store, durably, and
    /// print rows/s and MB/s; optionally the same file loaded into DuckDB in the same run.
    Import {
        /// Approximate number of activity rows of the generated data set.
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        /// Folder for the data set and the store (the data set is reused across runs).
        #[arg(long, default_value = "bench-data")]
        dir: PathBuf,
        /// Also load the same CSV into DuckDB (python3 with the `duckdb` module) and print both times.
        #[arg(long)]
        duckdb: bool,
        /// Also measure the gzip-compressed copy of the file.
        #[arg(long)]
        gzip: bool,
    },
    /// The engagement suite's median latencies on a generated district, optionally beside DuckDB.
    Query(QueryBenchArgs),
}

/// Options of `engagedb bench query`.
#[derive(Debug, Args)]
pub struct QueryBenchArgs {
    /// Working folder (generated district, store, DuckDB export); reused between runs.
    #[arg(long, default_value = "bench-data/query")]
    pub dir: PathBuf,
    /// Events in the generated district (only when the store does not exist yet).
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Timed runs per query; the median is reported.
    #[arg(long, default_value_t = 15)]
    pub runs: usize,
    /// Untimed warm-up runs per query.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Also run the queries in DuckDB (Python `duckdb`) on the same data and compare.
    #[arg(long)]
    pub duckdb: bool,
    /// Folder with the suite's q*.sql (default: shared/queries above the working directory).
    #[arg(long)]
    pub queries: Option<PathBuf>,
}

/// How query results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned table for humans.
    Table,
    /// RFC 4180 CSV with a header row (NULL is an empty field).
    Csv,
    /// JSON lines, one object per row.
    Json,
}

/// Administrative tasks.
#[derive(Debug, Subcommand)]
pub enum AdminTask {
    /// Print segments, partitions, rows and bytes on disk.
    Stats,
    /// Merge each partition's segments into one now.
    Compact,
    /// Rebuild the catalog's segment manifest from the segment files.
    RebuildCatalog,
    /// Drop partitions that ended more than DAYS days ago.
    Retention {
        /// Age in days.
        #[arg(long)]
        days: i64,
    },
}

/// Parses `--partition`.
fn parse_partition(s: &str) -> Result<engine::Granularity, String> {
    engine::Granularity::parse(s).ok_or_else(|| format!("unknown partition '{s}': use hour, day, week or month"))
}
