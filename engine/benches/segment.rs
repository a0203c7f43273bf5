//! Segment benchmarks: building a 1M-row segment, merging two segments (compaction), scanning decoded
//! columns, and index lookups.
//! Also prints the bytes per event of a realistic batch, by column.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use engine::directory::FileBytes;
use engine::schema::{col, EVENT_COLUMNS};
use engine::segment::{encode_segment, merge_segments, Segment, SegmentMeta};
use engine::{BatchBuilder, EventBatch, ValueRef};

const ROWS: usize = 1_000_000;
const DAY_START: i64 = 1_641_168_000_000_000; // 2022-01-03T00:00:00Z in µs

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.below(u64::MAX), self.below(u64::MAX));
        let hex = format!("{a:016x}{b:016x}");
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }
}

/// One day of events shaped like Education Insights data: 5 schools, ~90 classes, ~600 students,
/// 15 signals, 5 apps, timestamps mostly in whole seconds, UUID signal ids, mostly-NULL optional columns.
fn realistic_batch(rows: usize) -> EventBatch {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let schools: Vec<String> = (0..5).map(|_| rng.uuid()).collect();
    let classes: Vec<(String, usize)> = (0..90).map(|i| (rng.uuid(), i % 5)).collect();
    let students: Vec<(String, usize)> = (0..600).map(|i| (rng.uuid(), i % 90)).collect();
    let signals = [
        "VisitTeamChannel",
        "PostChannelMessage",
        "ReplyChannelMessage",
        "ReactedWithEmoji",
        "ExpandChannelMessage",
        "CallRecording",
        "MeetingJoined",
        "AssignmentEvent",
        "SubmissionEvent",
        "FileAccessed",
        "FileModified",
        "FileUploaded",
        "ReadingProgressEvent",
        "UserActivity",
        "PageViewed",
    ];
    let apps = ["Teams", "Assignments", "SharePoint", "OneNote", "Reading Progress"];
    let actions = ["Assigned", "Submitted", "Returned", "Visited", "Edited"];
    let exts = ["docx", "pdf", "pptx", "xlsx", "png", "one"];
    let assignments: Vec<String> = (0..200).map(|_| rng.uuid()).collect();
    let meetings: Vec<String> = (0..150).map(|_| rng.uuid()).collect();
    let mut b = BatchBuilder::new();
    for _ in 0..rows {
        let (student, class_idx) = &students[rng.below(students.len() as u64) as usize];
        let (class, school_idx) = &classes[*class_idx];
        let signal_id = rng.uuid();
        let signal = rng.below(signals.len() as u64) as usize;
        let mut row = vec![ValueRef::Null; col::COUNT];
        // Whole seconds, but ~6% with a 7-digit fraction (in µs), as in the real export.
        let fraction = if rng.below(16) == 0 { rng.below(1_000_000) } else { 0 };
        row[col::TIME] = ValueRef::Int(DAY_START + rng.below(86_400) as i64 * 1_000_000 + fraction as i64);
        row[col::SIGNAL_ID] = ValueRef::Text(&signal_id);
        row[col::SIGNAL] = ValueRef::Text(signals[signal]);
        row[col::APP] = ValueRef::Text(apps[signal % apps.len()]);
        row[col::STUDENT] = ValueRef::Text(student);
        if rng.below(20) > 0 {
            row[col::CLASS] = ValueRef::Text(class);
            row[col::SCHOOL] = ValueRef::Text(&schools[*school_idx]);
        }
        let submission;
        match signals[signal] {
            "AssignmentEvent" | "SubmissionEvent" => {
                row[col::ACTION] = ValueRef::Text(actions[rng.below(3) as usize]);
                row[col::ASSIGNMENT] = ValueRef::Text(&assignments[rng.below(200) as usize]);
                submission = rng.uuid();
                row[col::SUBMISSION] = ValueRef::Text(&submission);
                row[col::DUE] = ValueRef::Int(DAY_START + rng.below(14) as i64 * 86_400_000_000);
                if rng.below(3) == 0 {
                    row[col::GRADE] = ValueRef::Double(rng.below(101) as f64);
                }
            }
            "FileAccessed" | "FileModified" | "FileUploaded" => {
                row[col::FILE_EXT] = ValueRef::Text(exts[rng.below(exts.len() as u64) as usize]);
            }
            "MeetingJoined" | "CallRecording" => {
                row[col::MEETING] = ValueRef::Text(&meetings[rng.below(150) as usize]);
                row[col::MEETING_SECONDS] = ValueRef::Int(rng.below(3_600) as i64);
            }
            "ReadingProgressEvent" => {
                row[col::READING_WPM] = ValueRef::Int(40 + rng.below(120) as i64);
                row[col::READING_ACCURACY] = ValueRef::Text(["0.9", "0.95", "1"][rng.below(3) as usize]);
                row[col::READING_ATTEMPT] = ValueRef::Int(1 + rng.below(3) as i64);
                row[col::READING_WORD_COUNT] = ValueRef::Int(50 + rng.below(400) as i64);
                row[col::READING_LANGUAGE] = ValueRef::Text("en-US");
                for c in [
                    col::READING_MISPRONUNCIATIONS,
                    col::READING_REPETITIONS,
                    col::READING_INSERTIONS,
                ] {
                    row[c] = ValueRef::Int(rng.below(10) as i64);
                }
            }
            _ => {}
        }
        b.push_row(&row).expect("generated rows match the schema");
    }
    b.finish()
}

fn print_size_report(seg: &Segment) {
    let rows = seg.num_rows() as f64;
    let mut per_column = vec![0u64; EVENT_COLUMNS.len()];
    for b in seg.blocks() {
        per_column[b.column as usize] += b.len;
    }
    let total = seg.size_bytes() as f64;
    let without_id = total - per_column[col::SIGNAL_ID] as f64;
    println!(
        "segment of {rows} rows: {:.2} bytes/event, {:.2} excluding signal_id",
        total / rows,
        without_id / rows
    );
    for (def, bytes) in EVENT_COLUMNS.iter().zip(&per_column) {
        println!("  {:<26} {:>8.3} bytes/event", def.name, *bytes as f64 / rows);
    }
}

fn benches(c: &mut Criterion) {
    let mut batch = realistic_batch(ROWS);
    // As `Db::append` hands batches to the flusher: id columns parsed into 128-bit UUIDs.
    batch.parse_uuid_columns();
    let meta = SegmentMeta::for_batch(1, DAY_START, 1, 0, &batch);
    let seg = Segment::from_batch(&batch, &meta).expect("realistic batch encodes");
    print_size_report(&seg);

    let mut g = c.benchmark_group("segment");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("build_1m_rows", |b| {
        b.iter(|| encode_segment(black_box(&batch), &meta).map(|v| v.len()))
    });

    let seconds = seg.int_column(col::MEETING_SECONDS).expect("int column");
    g.bench_function("sum_meeting_seconds_decoded", |b| {
        b.iter(|| black_box(&seconds.values).iter().sum::<i64>())
    });
    let times = seg.int_column(col::TIME).expect("time column");
    let (lo, hi) = (DAY_START + 3_600_000_000 * 8, DAY_START + 3_600_000_000 * 16);
    g.bench_function("count_time_range_decoded", |b| {
        b.iter(|| black_box(&times.values).iter().filter(|&&t| t >= lo && t < hi).count())
    });
    // Compaction of two half-million-row segments of one partition: merging the encoded segments, and
    // (for comparison) what compaction did before, decoding both to strings and encoding again.
    let halves: Vec<Segment> = [0..ROWS / 2, ROWS / 2..ROWS]
        .into_iter()
        .map(|rows| {
            let half = batch.take(&rows.collect::<Vec<usize>>());
            let meta = SegmentMeta::for_batch(2, DAY_START, 1, 0, &half);
            Segment::from_batch(&half, &meta).expect("half batch encodes")
        })
        .collect();
    let inputs: Vec<&Segment> = halves.iter().collect();
    g.bench_function("merge_2x500k_rows", |b| {
        b.iter(|| merge_segments(black_box(&inputs), &meta, None).map(|(_, v)| v.len()))
    });
    g.bench_function("decode_and_encode_2x500k_rows", |b| {
        b.iter(|| {
            let mut all = halves[0].to_batch().expect("decodes");
            all.extend(&halves[1].to_batch().expect("decodes"));
            encode_segment(black_box(&all), &meta).map(|v| v.len())
        })
    });

    let file = FileBytes::from_vec(encode_segment(&batch, &meta).expect("realistic batch encodes"));
    g.bench_function("open_and_decode_time_column", |b| {
        b.iter(|| {
            Segment::open(file.clone(), "bench.seg").and_then(|s| s.int_column(col::TIME).map(|c| c.values.len()))
        })
    });
    g.bench_function("open_and_decode_student_column", |b| {
        b.iter(|| {
            Segment::open(file.clone(), "bench.seg").and_then(|s| s.text_column(col::STUDENT).map(|c| c.ids.len()))
        })
    });
    g.finish();

    let classes = seg.text_column(col::CLASS).expect("text column");
    let class = classes.dict[classes.dict.len() / 2].clone();
    let mut g = c.benchmark_group("segment_index");
    g.throughput(Throughput::Elements(1));
    g.bench_function("index_lookup_count_one_class_1m", |b| {
        b.iter(|| {
            seg.index_lookup(col::CLASS, black_box(&class))
                .map(|bm| bm.map_or(0, |bm| bm.len()))
        })
    });
    g.finish();
}

criterion_group!(segment_benches, benches);
criterion_main!(segment_benches);
