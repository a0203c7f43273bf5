//! Turning a plan into pipelines and running them. A pipeline is a source (the `events` segments, or a
//! materialized batch), a list of streaming steps (filter, project, join probe) and a sink (collect,
//! aggregate, top-N). Plan nodes that need all their input (aggregation, sort, limit, distinct, a
//! join's hashed side) end a pipeline; their output is the source of the next. Segments are processed
//! in parallel by a small pool of scoped threads, each with its own sink, merged at the end.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use engine::segment::Segment;
use engine::Snapshot;

use super::aggregate::AggregateSink;
use super::array::{concat, Array, Batch};
use super::chunk::Chunk;
use super::eval::{eval, eval_mask};
use super::index::select_rows;
use super::join::{JoinTable, ProbeCache, ProbeStep};
use super::keys::CodeCache;
use super::memory::{MemoryBudget, Reservation};
use super::sort::{sort_batch, TopNSink};
use super::subquery::SubqueryResults;
use super::ExecError;
use crate::ast::JoinKind;
use crate::plan::{EventsFilter, Plan, ScalarExpr};
use crate::value::DataType;

/// Estimated remaining work past which the calling thread brings in the other workers.
const PARALLEL_AFTER: Duration = Duration::from_micros(300);

/// Where a pipeline's rows come from. A sink consumes what the steps make of them.
pub trait Sink: Send {
    /// Takes one chunk; `seq` orders chunks (segment position, or 0 for a batch).
    fn consume(&mut self, seq: usize, chunk: Chunk<'_>) -> Result<(), ExecError>;
    /// Folds another worker's sink into this one.
    fn merge(&mut self, other: Self) -> Result<(), ExecError>
    where
        Self: Sized;
    /// Whether the sink needs no more input (a satisfied LIMIT).
    fn satisfied(&self) -> bool {
        false
    }
}

enum Source<'p> {
    Events(&'p EventsFilter),
    Batch(Arc<Batch>),
    /// A node that materializes its output (aggregate, sort, limit, distinct), run when the pipeline
    /// runs, knowing which of its columns the steps read.
    Deferred(&'p Plan),
}

enum Step<'p> {
    Filter(&'p ScalarExpr),
    Project {
        exprs: &'p [ScalarExpr],
        required: Vec<bool>,
    },
    Probe(ProbeStep<'p>),
}

struct Pipeline<'p> {
    source: Source<'p>,
    steps: Vec<Step<'p>>,
    /// Columns of the pipeline's output.
    width: usize,
    /// Columns of the source the steps and sink read (set by `set_required`).
    source_needed: Option<Vec<bool>>,
}

impl<'p> Pipeline<'p> {
    fn new(source: Source<'p>, width: usize) -> Pipeline<'p> {
        Pipeline {
            source,
            steps: Vec::new(),
            width,
            source_needed: None,
        }
    }

    /// Records which columns each step must produce, given what the sink reads.
    fn set_required(&mut self, mut needed: Vec<bool>) {
        for step in self.steps.iter_mut().rev() {
            match step {
                Step::Filter(p) => add_columns(&mut needed, p),
                Step::Project { exprs, required } => {
                    *required = needed.clone();
                    let mut input = Vec::new();
                    for (e, _) in exprs.iter().zip(&needed).filter(|(_, &r)| r) {
                        e.collect_columns(&mut input);
                    }
                    needed = to_mask(&input, 0);
                }
                Step::Probe(p) => {
                    if let Some(r) = p.residual {
                        add_columns(&mut needed, r);
                    }
                    p.required = needed.clone();
                    let build_width = p.table.batch.columns.len();
                    let probe_at = if p.build_is_left { build_width } else { 0 };
                    let mut input: Vec<bool> = (0..p.probe_width)
                        .map(|c| needed.get(c + probe_at).copied().unwrap_or(true))
                        .collect();
                    let mut cols = Vec::new();
                    for k in p.probe_keys {
                        k.collect_columns(&mut cols);
                    }
                    for c in cols {
                        if let Some(x) = input.get_mut(c) {
                            *x = true;
                        }
                    }
                    if p.residual.is_some() {
                        input.iter_mut().for_each(|x| *x = true);
                    }
                    needed = input;
                }
            }
        }
        self.source_needed = Some(needed);
    }
}

fn add_columns(needed: &mut Vec<bool>, e: &ScalarExpr) {
    let mut cols = Vec::new();
    e.collect_columns(&mut cols);
    for c in cols {
        if c >= needed.len() {
            needed.resize(c + 1, false);
        }
        needed[c] = true;
    }
}

fn to_mask(cols: &[usize], min_len: usize) -> Vec<bool> {
    let len = cols.iter().map(|c| c + 1).max().unwrap_or(0).max(min_len);
    let mut m = vec![false; len];
    for &c in cols {
        m[c] = true;
    }
    m
}

/// Options of one query execution.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Worker threads for scans over many segments.
    pub threads: usize,
    /// Memory a query may hold (bytes).
    pub memory_limit: usize,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()).min(16),
            memory_limit: 4 << 30,
        }
    }
}

/// Runs plans against one snapshot.
pub struct Executor<'s> {
    snapshot: &'s Snapshot,
    options: &'s ExecOptions,
    caches: &'s super::QueryCaches,
    /// Subquery results computed so far.
    pub subqueries: SubqueryResults,
    codes: Arc<CodeCache>,
    budget: Arc<MemoryBudget>,
    held: Mutex<Vec<Reservation>>,
}

impl<'s> Executor<'s> {
    /// An executor over `snapshot`.
    pub fn new(snapshot: &'s Snapshot, options: &'s ExecOptions, caches: &'s super::QueryCaches) -> Executor<'s> {
        Executor {
            snapshot,
            options,
            caches,
            subqueries: SubqueryResults::default(),
            codes: caches.codes_for(snapshot),
            budget: MemoryBudget::new(options.memory_limit),
            held: Mutex::new(Vec::new()),
        }
    }

    /// Runs `plan` to a materialized batch.
    pub fn execute(&self, plan: &Plan) -> Result<Batch, ExecError> {
        self.execute_needed(plan, None)
    }

    /// Runs `plan`; output columns `needed` marks false may come back as NULL placeholders.
    fn execute_needed(&self, plan: &Plan, needed: Option<&[bool]>) -> Result<Batch, ExecError> {
        match plan {
            Plan::Aggregate { input, keys, aggs, .. } => self.aggregate(input, keys, aggs, needed),
            Plan::Distinct { input } => {
                let keys: Vec<ScalarExpr> = input
                    .schema()
                    .iter()
                    .enumerate()
                    .map(|(index, f)| ScalarExpr::Column { index, ty: f.ty })
                    .collect();
                self.aggregate(input, &keys, &[], None)
            }
            Plan::Limit { input, limit, offset } => {
                let skip = usize::try_from(*offset).unwrap_or(usize::MAX);
                let take = limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
                let keep = take.map(|t| t.saturating_add(skip));
                let batch = match input.as_ref() {
                    Plan::Sort { input, keys } => {
                        let pipeline = self.pipeline(input)?;
                        let types = types_of(input);
                        let keep = keep.unwrap_or(usize::MAX);
                        let mut p = pipeline;
                        p.set_required(vec![true; p.width]);
                        let sink = self.run(&p, || {
                            TopNSink::new(
                                keys,
                                keep,
                                types.clone(),
                                &self.subqueries,
                                self.budget.reservation("ORDER BY … LIMIT"),
                            )
                        })?;
                        sink.finish()
                    }
                    other => self.collect(other, keep)?,
                };
                Ok(slice(batch, skip, take))
            }
            Plan::Sort { input, keys } => {
                let batch = self.collect(input, None)?;
                let mut r = self.budget.reservation("ORDER BY");
                r.resize(batch.heap_bytes())?;
                sort_batch(batch, keys, &self.subqueries)
            }
            other => self.collect(other, None),
        }
    }

    fn aggregate(
        &self,
        input: &Plan,
        keys: &[ScalarExpr],
        aggs: &[crate::plan::AggregateCall],
        needed: Option<&[bool]>,
    ) -> Result<Batch, ExecError> {
        let mut p = self.pipeline(input)?;
        let mut cols = Vec::new();
        for k in keys {
            k.collect_columns(&mut cols);
        }
        for a in aggs {
            if let Some(e) = &a.arg {
                e.collect_columns(&mut cols);
            }
            if let Some(f) = &a.filter {
                f.collect_columns(&mut cols);
            }
        }
        p.set_required(to_mask(&cols, p.width));
        let sink = self.run(&p, || {
            AggregateSink::new(
                keys,
                aggs,
                &self.subqueries,
                self.codes.clone(),
                self.budget.reservation("GROUP BY"),
            )
        })?;
        sink.finish_needed(needed)
    }

    /// Runs `plan` as a pipeline into a collecting sink (at most `limit` rows, in source order).
    fn collect(&self, plan: &Plan, limit: Option<usize>) -> Result<Batch, ExecError> {
        let mut p = self.pipeline(plan)?;
        p.set_required(vec![true; p.width]);
        let types = types_of(plan);
        let taken = Arc::new(AtomicUsize::new(0));
        let sink = self.run(&p, || CollectSink {
            parts: Vec::new(),
            width: types.len(),
            limit,
            taken: taken.clone(),
            memory: self.budget.reservation("collecting rows"),
        })?;
        sink.finish(&types, limit)
    }

    /// Decomposes `plan` into a source and streaming steps.
    fn pipeline<'p>(&self, plan: &'p Plan) -> Result<Pipeline<'p>, ExecError> {
        let width = plan.schema().len();
        Ok(match plan {
            Plan::EventsScan { filter } => Pipeline::new(Source::Events(filter), width),
            Plan::TableScan { table } => {
                Pipeline::new(Source::Batch(self.caches.tables.get(*table, self.snapshot)), width)
            }
            Plan::OneRow => Pipeline::new(
                Source::Batch(Arc::new(Batch {
                    columns: Vec::new(),
                    rows: 1,
                })),
                width,
            ),
            Plan::Filter { input, predicate } => {
                let mut p = match (input.as_ref(), roster_lookup(predicate)) {
                    // `column = 'value'` on a roster table: read just those rows through its index.
                    (Plan::TableScan { table }, Some((column, value))) => {
                        match self.caches.tables.postings(*table, column, self.snapshot) {
                            Some(postings) => {
                                let batch = self.caches.tables.get(*table, self.snapshot);
                                let rows = postings.rows_for(value);
                                let columns = batch.columns.iter().map(|c| c.take(rows)).collect();
                                let source = Source::Batch(Arc::new(Batch {
                                    columns,
                                    rows: rows.len(),
                                }));
                                Pipeline::new(source, width)
                            }
                            None => self.pipeline(input)?,
                        }
                    }
                    _ => self.pipeline(input)?,
                };
                p.steps.push(Step::Filter(predicate));
                p
            }
            Plan::Project { input, exprs, .. } => {
                let mut p = self.pipeline(input)?;
                p.steps.push(Step::Project {
                    exprs,
                    required: vec![true; exprs.len()],
                });
                p.width = width;
                p
            }
            Plan::Join {
                left,
                right,
                kind,
                left_keys,
                right_keys,
                residual,
            } => {
                // Stream the side that reads `events` (for an inner join); hash the other.
                let build_is_left = *kind == JoinKind::Inner && right.reads_events() && !left.reads_events();
                let (probe_plan, build_plan, probe_keys, build_keys) = if build_is_left {
                    (right, left, right_keys, left_keys)
                } else {
                    (left, right, left_keys, right_keys)
                };
                let build = match build_plan.as_ref() {
                    Plan::TableScan { table } => self.caches.tables.get(*table, self.snapshot),
                    other => Arc::new(self.execute(other)?),
                };
                let table = JoinTable::build(build, build_keys, &self.subqueries)?;
                let mut r = self.budget.reservation("JOIN");
                r.resize(table.heap_bytes())?;
                // The hashed side lives as long as the query; so does its reservation.
                self.held
                    .lock()
                    .map_err(|_| ExecError::Internal("lock poisoned".into()))?
                    .push(r);
                let mut p = self.pipeline(probe_plan)?;
                p.steps.push(Step::Probe(ProbeStep {
                    table,
                    probe_keys,
                    residual: residual.as_ref(),
                    kind: *kind,
                    build_is_left,
                    probe_width: probe_plan.schema().len(),
                    required: vec![true; width],
                    // Each pair costs its two row numbers and a value per output column.
                    max_pairs: self.options.memory_limit / (12 + 16 * width.max(1)),
                    memory_limit: self.options.memory_limit,
                }));
                p.width = width;
                p
            }
            Plan::Aggregate { .. } | Plan::Sort { .. } | Plan::Limit { .. } | Plan::Distinct { .. } => {
                Pipeline::new(Source::Deferred(plan), width)
            }
        })
    }

    fn apply_steps<'a>(
        &self,
        steps: &[Step<'_>],
        caches: &mut [ProbeCache],
        mut chunk: Chunk<'a>,
    ) -> Result<Option<Chunk<'a>>, ExecError> {
        for (i, step) in steps.iter().enumerate() {
            if chunk.is_empty() {
                return Ok(None);
            }
            chunk = match step {
                Step::Filter(p) => {
                    let mask = eval_mask(p, &chunk, &self.subqueries)?;
                    if mask.iter().all(|&m| m) {
                        chunk
                    } else {
                        chunk.filter(&mask)
                    }
                }
                Step::Project { exprs, required } => {
                    let n = chunk.len();
                    let mut arrays = Vec::with_capacity(exprs.len());
                    for (e, &r) in exprs.iter().zip(required) {
                        arrays.push(if r {
                            Some(eval(e, &chunk, &self.subqueries)?.into_array(e.data_type(), n))
                        } else {
                            None
                        });
                    }
                    Chunk::from_arrays(arrays, n)
                }
                Step::Probe(p) => p.probe(chunk, &mut caches[i], &self.subqueries)?,
            };
        }
        Ok(if chunk.is_empty() { None } else { Some(chunk) })
    }

    /// Runs a pipeline into sinks made by `make` (one per worker), merged in worker order.
    fn run<S: Sink>(&self, p: &Pipeline<'_>, make: impl Fn() -> S + Sync) -> Result<S, ExecError> {
        let deferred;
        let source = match &p.source {
            Source::Deferred(plan) => {
                deferred = Source::Batch(Arc::new(self.execute_needed(plan, p.source_needed.as_deref())?));
                &deferred
            }
            s => s,
        };
        match source {
            Source::Deferred(_) => Err(ExecError::Internal("deferred source not materialized".into())),
            Source::Batch(batch) => {
                let mut sink = make();
                let mut caches: Vec<ProbeCache> = p.steps.iter().map(|_| ProbeCache::default()).collect();
                if let Some(chunk) = self.apply_steps(&p.steps, &mut caches, Chunk::from_batch(batch))? {
                    sink.consume(0, chunk)?;
                }
                Ok(sink)
            }
            Source::Events(filter) => {
                let segments = if filter.empty {
                    Vec::new()
                } else {
                    self.snapshot
                        .segments(filter.from, filter.to.map(|t| t.saturating_sub(1)))
                };
                let threads = self.options.threads.clamp(1, segments.len().max(1));
                let next = AtomicUsize::new(0);
                let stop = AtomicBool::new(false);
                // One worker's loop: claim segments in order until none are left.
                let work = |sink: &mut S,
                            caches: &mut [ProbeCache],
                            budget: Option<(Instant, usize)>|
                 -> Result<bool, ExecError> {
                    let mut done = 0usize;
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            return Ok(false);
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(seg) = segments.get(i) else { return Ok(false) };
                        if let Err(e) = self.scan_segment(p, filter, seg, i, caches, sink) {
                            stop.store(true, Ordering::Relaxed);
                            return Err(e);
                        }
                        if sink.satisfied() {
                            stop.store(true, Ordering::Relaxed);
                        }
                        done += 1;
                        // The calling thread asks for help once the rest looks worth a thread.
                        if let Some((started, total)) = budget {
                            let left = total.saturating_sub(next.load(Ordering::Relaxed));
                            let per_segment = started.elapsed() / done as u32;
                            if left >= 2 && per_segment * left as u32 >= PARALLEL_AFTER {
                                return Ok(true);
                            }
                        }
                    }
                };
                let new_caches = || -> Vec<ProbeCache> { p.steps.iter().map(|_| ProbeCache::default()).collect() };
                let mut sink = make();
                let mut caches = new_caches();
                // The calling thread starts alone: a query over little data finishes before another
                // thread would even be scheduled, which matters on a busy machine.
                let wants_help = work(
                    &mut sink,
                    &mut caches,
                    (threads > 1).then(|| (Instant::now(), segments.len())),
                )?;
                if !wants_help {
                    return Ok(sink);
                }
                let results: Vec<Result<S, ExecError>> = std::thread::scope(|scope| {
                    let handles: Vec<_> = (1..threads)
                        .map(|_| {
                            scope.spawn(|| -> Result<S, ExecError> {
                                let mut sink = make();
                                let mut caches = new_caches();
                                work(&mut sink, &mut caches, None)?;
                                Ok(sink)
                            })
                        })
                        .collect();
                    let own = work(&mut sink, &mut caches, None).map(|_| ());
                    let mut results: Vec<Result<S, ExecError>> = handles
                        .into_iter()
                        .map(|h| {
                            h.join()
                                .unwrap_or_else(|_| Err(ExecError::Internal("a query worker panicked".into())))
                        })
                        .collect();
                    if let Err(e) = own {
                        results.insert(0, Err(e));
                    }
                    results
                });
                for r in results {
                    sink.merge(r?)?;
                }
                Ok(sink)
            }
        }
    }

    fn scan_segment<S: Sink>(
        &self,
        p: &Pipeline<'_>,
        filter: &EventsFilter,
        seg: &Segment,
        seq: usize,
        caches: &mut [ProbeCache],
        sink: &mut S,
    ) -> Result<(), ExecError> {
        let rows = select_rows(seg, filter, &self.subqueries)?;
        if rows.is_empty() {
            return Ok(());
        }
        let chunk = Chunk::from_segment(seg, &rows);
        if let Some(chunk) = self.apply_steps(&p.steps, caches, chunk)? {
            sink.consume(seq, chunk)?;
        }
        Ok(())
    }
}

/// A conjunct `text column = 'literal'` of `predicate`, as (column, value).
fn roster_lookup(predicate: &ScalarExpr) -> Option<(usize, &str)> {
    let terms: Vec<&ScalarExpr> = match predicate {
        ScalarExpr::And(v) => v.iter().collect(),
        p => vec![p],
    };
    terms.into_iter().find_map(|t| match t {
        ScalarExpr::Cmp {
            op: crate::plan::CmpOp::Eq,
            left,
            right,
        } => match (left.as_ref(), right.as_ref()) {
            (
                ScalarExpr::Column {
                    index,
                    ty: DataType::Text,
                },
                ScalarExpr::Literal(crate::value::Value::Text(v), _),
            )
            | (
                ScalarExpr::Literal(crate::value::Value::Text(v), _),
                ScalarExpr::Column {
                    index,
                    ty: DataType::Text,
                },
            ) => Some((*index, v.as_str())),
            _ => None,
        },
        _ => None,
    })
}

fn types_of(plan: &Plan) -> Vec<DataType> {
    plan.schema().iter().map(|f| f.ty).collect()
}

/// Rows `skip..skip+take` of a batch.
fn slice(batch: Batch, skip: usize, take: Option<usize>) -> Batch {
    let end = take.map_or(batch.rows, |t| skip.saturating_add(t)).min(batch.rows);
    if skip == 0 && end == batch.rows {
        return batch;
    }
    let start = skip.min(end);
    let rows: Vec<u32> = (start as u32..end as u32).collect();
    Batch {
        columns: batch.columns.iter().map(|c| c.take(&rows).into_owned()).collect(),
        rows: rows.len(),
    }
}

/// Collects rows in source order, optionally stopping once `limit` rows are certain to be found.
struct CollectSink {
    parts: Vec<(usize, Batch)>,
    width: usize,
    limit: Option<usize>,
    taken: Arc<AtomicUsize>,
    memory: Reservation,
}

impl CollectSink {
    fn finish(mut self, types: &[DataType], limit: Option<usize>) -> Result<Batch, ExecError> {
        self.parts.sort_by_key(|(seq, _)| *seq);
        let mut rows = 0;
        let mut columns: Vec<Vec<Array<'static>>> = vec![Vec::new(); types.len()];
        for (_, part) in self.parts {
            if limit.is_some_and(|l| rows >= l) {
                break;
            }
            rows += part.rows;
            for (c, col) in part.columns.into_iter().enumerate() {
                columns[c].push(col);
            }
        }
        let columns = types
            .iter()
            .zip(columns)
            .map(|(ty, parts)| concat(*ty, parts))
            .collect();
        Ok(Batch { columns, rows })
    }
}

impl Sink for CollectSink {
    fn consume(&mut self, seq: usize, chunk: Chunk<'_>) -> Result<(), ExecError> {
        let n = chunk.len();
        let columns: Vec<Array<'static>> = (0..self.width)
            .map(|c| Ok(chunk.column(c)?.as_ref().clone().into_owned()))
            .collect::<Result<_, ExecError>>()?;
        let batch = Batch { columns, rows: n };
        let bytes: usize = self.parts.iter().map(|(_, b)| b.heap_bytes()).sum::<usize>() + batch.heap_bytes();
        self.memory.resize(bytes)?;
        self.parts.push((seq, batch));
        self.taken.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }

    fn merge(&mut self, other: Self) -> Result<(), ExecError> {
        let mut other = other;
        let extra: usize = other.parts.iter().map(|(_, b)| b.heap_bytes()).sum();
        let mine: usize = self.parts.iter().map(|(_, b)| b.heap_bytes()).sum();
        other.memory.resize(0)?;
        self.memory.resize(mine + extra)?;
        self.parts.append(&mut other.parts);
        Ok(())
    }

    fn satisfied(&self) -> bool {
        self.limit.is_some_and(|l| self.taken.load(Ordering::Relaxed) >= l)
    }
}
