//! One generated district: the generator's roster and activity files imported into a temporary store,
//! engagedb's own tables exported to CSV for DuckDB, and the values the query generator samples from.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine::{Db, DbOptions};
use import::generate::{generate, GenerateOptions};
use query::format::write_csv;
use query::{DataType, QueryEngine, Value};

use crate::rng::Rng;

/// The tables engagedb exposes, in export order.
pub const TABLES: [&str; 6] = ["events", "assignments", "orgs", "classes", "people", "enrollments"];

/// How a district is generated and stored.
#[derive(Debug, Clone)]
pub struct DistrictSpec {
    /// Generator seed (also names the district in failure reports).
    pub seed: u64,
    /// Rostered students.
    pub students: usize,
    /// Days of activity.
    pub days: u32,
    /// First day.
    pub start_date: (i32, u32, u32),
    /// Activity part files (each imported separately, flushed after it).
    pub files: usize,
    /// The store's memtable size: a small one flushes mid-import, giving several segments per partition.
    pub memtable_rows: usize,
    /// Leave the last file's rows in the memtable (read through the snapshot's buffered segment).
    pub last_file_buffered: bool,
    /// Merge each partition's segments after the import.
    pub compact: bool,
    /// Import the last activity file only after half of the queries ran (on the same query engine,
    /// so whatever it caches must notice the new data).
    pub phased: bool,
}

impl DistrictSpec {
    /// The districts every CI run compares on: small, partly unflushed, split over many segments, one
    /// compacted, one across a leap day and a month end; three imported in two phases.
    pub fn ci() -> Vec<DistrictSpec> {
        vec![
            DistrictSpec {
                seed: 1,
                students: 300,
                days: 10,
                start_date: (2022, 1, 3),
                files: 1,
                memtable_rows: 1 << 20,
                last_file_buffered: false,
                compact: false,
                phased: false,
            },
            DistrictSpec {
                seed: 2,
                students: 700,
                days: 16,
                start_date: (2022, 1, 27),
                files: 3,
                memtable_rows: 5_000,
                last_file_buffered: true,
                compact: false,
                phased: true,
            },
            DistrictSpec {
                seed: 3,
                students: 1000,
                days: 12,
                start_date: (2021, 12, 20),
                files: 2,
                memtable_rows: 8_000,
                last_file_buffered: false,
                compact: true,
                phased: true,
            },
            DistrictSpec {
                seed: 4,
                students: 150,
                days: 6,
                start_date: (2024, 2, 26),
                files: 2,
                memtable_rows: 2_000,
                last_file_buffered: true,
                compact: false,
                phased: true,
            },
        ]
    }

    /// A district derived from `seed` (for long local runs).
    pub fn from_seed(seed: u64) -> DistrictSpec {
        let mut r = Rng::new(seed.wrapping_mul(7919));
        let days = r.range(3, 20) as u32;
        DistrictSpec {
            seed,
            students: r.range(60, 900) as usize,
            days,
            start_date: *r.pick(&[
                (2022, 1, 3),
                (2021, 12, 27),
                (2022, 2, 24),
                (2020, 2, 26),
                (2023, 10, 30),
            ]),
            files: r.range(1, i64::from(days.min(4))) as usize,
            memtable_rows: *r.pick(&[1 << 20, 3_000, 20_000]),
            last_file_buffered: r.chance(0.3),
            compact: r.chance(0.3),
            phased: r.chance(0.4),
        }
    }
}

/// Distinct non-NULL values of every column of every table, keyed `table.column`, sorted.
#[derive(Debug, Default)]
pub struct Sample {
    /// The values.
    pub values: HashMap<String, Vec<Value>>,
}

impl Sample {
    /// The values of `key` (empty if the column holds only NULLs).
    pub fn of(&self, key: &str) -> &[Value] {
        self.values.get(key).map_or(&[], Vec::as_slice)
    }

    /// The timestamps of `key` as microseconds.
    pub fn times(&self, key: &str) -> Vec<i64> {
        self.of(key)
            .iter()
            .filter_map(|v| if let Value::Timestamp(t) = v { Some(*t) } else { None })
            .collect()
    }
}

/// A district loaded into engagedb, with its tables exported for DuckDB.
pub struct District {
    /// How it was made.
    pub spec: DistrictSpec,
    /// The store's query engine.
    pub engine: QueryEngine,
    /// `schema.csv` and one CSV per table.
    pub tables_dir: PathBuf,
    /// Values to build predicates from.
    pub sample: Sample,
    /// Rows per table.
    pub rows: BTreeMap<&'static str, usize>,
    /// Import phases done (1, or 2 after `next_phase`).
    pub phase: usize,
    stored: usize,
    pending: Vec<PathBuf>,
    gen_dir: PathBuf,
    db: Arc<Db>,
    dir: tempfile::TempDir,
}

fn sql_type(ty: DataType) -> &'static str {
    match ty {
        DataType::Timestamp => "TIMESTAMP",
        DataType::Double => "DOUBLE",
        DataType::Int => "BIGINT",
        DataType::Bool => "BOOLEAN",
        _ => "VARCHAR",
    }
}

impl District {
    /// Generates the district `spec` describes, imports it (all but the last activity file when
    /// `spec.phased`) and exports its tables.
    pub fn build(spec: &DistrictSpec) -> District {
        let dir = tempfile::tempdir().expect("temp dir");
        let gen_dir = dir.path().join("generated");
        let summary = generate(&GenerateOptions {
            out_dir: gen_dir.clone(),
            students: spec.students,
            days: spec.days,
            seed: spec.seed,
            start_date: spec.start_date,
            events_per_student_day: 4.0,
            activity_files: spec.files,
            gzip: false,
        })
        .expect("generate district");
        let opts = DbOptions {
            background_compaction: false,
            sync: false,
            memtable_rows: spec.memtable_rows,
            ..DbOptions::default()
        };
        let db = Db::open(dir.path().join("store"), opts).expect("open store");
        import::import_roster(db.as_ref(), &gen_dir.join("roster")).expect("import roster");
        let mut activity: Vec<PathBuf> = summary
            .files
            .iter()
            .filter(|p| p.parent().is_some_and(|d| d.ends_with("activity")))
            .cloned()
            .collect();
        assert_eq!(activity.len(), spec.files, "activity files of {spec:?}");
        let pending = if spec.phased && activity.len() > 1 {
            activity.split_off(activity.len() - 1)
        } else {
            vec![]
        };
        let engine = QueryEngine::new(db.clone());
        let mut d = District {
            spec: spec.clone(),
            engine,
            tables_dir: PathBuf::new(),
            sample: Sample::default(),
            rows: BTreeMap::new(),
            phase: 0,
            stored: 0,
            pending,
            gen_dir,
            db,
            dir,
        };
        d.import(&activity, d.pending.is_empty());
        d
    }

    /// Whether activity files are held back for [`District::next_phase`].
    pub fn has_next_phase(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Imports the activity files held back for a second phase (re-importing the roster first), and
    /// exports the tables again; the query engine and its caches stay. Returns whether there was one.
    pub fn next_phase(&mut self) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        import::import_roster(self.db.as_ref(), &self.gen_dir.join("roster")).expect("re-import roster");
        let files = std::mem::take(&mut self.pending);
        self.import(&files, true);
        true
    }

    /// Imports `files` (flushing after each unless the last is to stay buffered), compacts if the spec
    /// says so, and exports the tables to a new directory.
    fn import(&mut self, files: &[PathBuf], last_phase: bool) {
        let import_opts = import::ImportOptions {
            batch_rows: 2_000,
            ..import::ImportOptions::default()
        };
        for (i, file) in files.iter().enumerate() {
            let s =
                import::import_activity(self.db.as_ref(), file, &import_opts, &mut |_| {}).expect("import activity");
            assert_eq!(s.rows_rejected, 0, "generated rows rejected: {:?}", s.errors);
            self.stored += s.events_stored as usize;
            if i + 1 < files.len() || !(last_phase && self.spec.last_file_buffered) {
                self.db.flush().expect("flush");
            }
        }
        if self.spec.compact && last_phase {
            self.db.compact().expect("compact");
        }
        self.phase += 1;
        self.tables_dir = self.dir.path().join(format!("tables-{}", self.phase));
        std::fs::create_dir_all(&self.tables_dir).expect("tables dir");
        let (sample, rows) = export_tables(&self.engine, &self.tables_dir);
        assert_eq!(
            rows["events"], self.stored,
            "SELECT * FROM events returns every stored event"
        );
        if self.phase == 1 {
            self.sample = sample;
        }
        self.rows = rows;
    }
}

/// Writes every table as CSV plus `schema.csv`, and collects each column's distinct values.
fn export_tables(engine: &QueryEngine, dir: &Path) -> (Sample, BTreeMap<&'static str, usize>) {
    let mut schema = String::new();
    let mut sample = Sample::default();
    let mut rows = BTreeMap::new();
    for table in TABLES {
        let r = engine
            .query(&format!("SELECT * FROM {table}"))
            .expect("SELECT * from a table");
        let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{table}.csv"))).expect("csv"));
        write_csv(&r, &mut file).expect("write table csv");
        for (i, c) in r.columns.iter().enumerate() {
            schema.push_str(&format!("{table},{},{}\n", c.name, sql_type(c.ty)));
            let mut values: Vec<Value> = r
                .rows
                .iter()
                .map(|row| row[i].clone())
                .filter(|v| !v.is_null())
                .collect();
            values.sort_by(|a, b| a.total_cmp(b));
            values.dedup();
            sample.values.insert(format!("{table}.{}", c.name), values);
        }
        rows.insert(table, r.rows.len());
    }
    std::fs::write(dir.join("schema.csv"), schema).expect("schema.csv");
    (sample, rows)
}
